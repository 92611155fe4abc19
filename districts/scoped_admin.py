"""District scoping for the admin, in one mixin every ModelAdmin uses.

It applies districts.scoping to the changelist, every view that opens a row by
id (change, delete, history and a historical version: 404 for a row of another
district), the choices of foreign keys and many-to-many fields, autocomplete,
related-field filters, actions (they act on the scoped changelist queryset)
and exports (django-import-export builds them from the changelist too).
"""

from django.contrib import admin
from django.contrib.admin.utils import get_fields_from_path
from django.contrib.auth import get_user_model
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest
from django.utils.text import capfirst

from . import access
from .models import Area
from .roles import VACCINATOR
from .scoping import visible_district_ids

# How a row of each model reaches its district, for foreign-key choices.
CHOICE_SCOPE_PATHS = {
    "districts.district": "pk",
    "districts.area": "district",
    "districts.locality": "area__district",
    "slots.centre": "district",
    "slots.session": "district",
    "slots.appointment": "session__district",
    "registrations.registration": "district",
}


def visible_ids(user) -> set[int] | None:
    """visible_district_ids(), asked once per request: a changelist scopes its
    rows, each filter and each foreign key, and would ask a dozen times."""
    if not hasattr(user, "_teeka_visible_ids"):
        user._teeka_visible_ids = visible_district_ids(user)
    return user._teeka_visible_ids


def scope(queryset: QuerySet, user, path: str = "district") -> QuerySet:
    """districts.scoping.scope() with the per-request answer."""
    ids = visible_ids(user)
    return queryset if ids is None else queryset.filter(**{f"{path}__in": ids})


def scoped_choices(model: type[Model], user) -> QuerySet | None:
    """The rows of `model` this user may pick; None when the model is not
    district-bound (the field keeps its own choices)."""
    queryset = model._default_manager.all()
    path = CHOICE_SCOPE_PATHS.get(model._meta.label_lower)
    if path is None:
        return None
    return scope(queryset, user, path)


def vaccinators_visible_to(user) -> QuerySet:
    """Vaccinators an official may put on a centre: those of their districts."""
    users = get_user_model().objects.filter(groups__name=VACCINATOR, is_active=True)
    ids = visible_ids(user)
    if ids is not None:
        users = users.filter(official__districts__in=ids)
    return users.distinct().order_by("username")


def has_own_label(field) -> bool:
    """False for a foreign key declared without a verbose_name: Django then
    shows its bare (English, untranslatable) attribute name."""
    return field.verbose_name != field.name.replace("_", " ")


def related_label(field) -> str:
    """A foreign key's translated label: its own, or its model's name."""
    return field.verbose_name if has_own_label(field) else field.related_model._meta.verbose_name


def _choice_label(row: Model) -> str:
    # A block and a town may share a name (Abhanpur block, Abhanpur town).
    if isinstance(row, Area):
        return f"{row} ({row.get_kind_display()})"
    return str(row)


class ScopedRelatedFilter(admin.RelatedFieldListFilter):
    """A related-field filter that offers only the official's own rows."""

    def __init__(self, field, request, params, model, model_admin, field_path):
        super().__init__(field, request, params, model, model_admin, field_path)
        self.title = related_label(field)

    def field_choices(self, field, request, model_admin) -> list:
        choices = scoped_choices(field.related_model, request.user)
        if choices is None:
            return super().field_choices(field, request, model_admin)
        ordering = self.field_admin_ordering(field, request, model_admin)
        if ordering:
            choices = choices.order_by(*ordering)
        return [(row.pk, _choice_label(row)) for row in choices]


# The query parameters a declared list filter on a field path reads (Django's
# field filters: exact value, empty or not, a date range, "is empty").
FILTER_SUFFIXES = ("", "__exact", "__isnull", "__gte", "__lt", "__isempty", "__in")
DATE_HIERARCHY_SUFFIXES = ("__year", "__month", "__day", "__gte", "__lt")


class MatrixAdmin:
    """Mixin for ModelAdmin: every permission method asks the role matrix
    (districts.access) as well as Django's permissions, and only the declared
    filters are accepted as lookups from the query string."""

    def _matrix_allows(self, request: HttpRequest, action: str) -> bool:
        opts = self.model._meta
        return access.model_allows(request.user, opts.app_label, opts.model_name, action)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._matrix_allows(request, access.VIEW) and super().has_module_permission(request)

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return self._matrix_allows(request, access.VIEW) and super().has_view_permission(
            request, obj
        )

    def has_add_permission(self, request: HttpRequest, *args) -> bool:
        return self._matrix_allows(request, access.ADD) and super().has_add_permission(
            request, *args
        )

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return self._matrix_allows(request, access.CHANGE) and super().has_change_permission(
            request, obj
        )

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return self._matrix_allows(request, access.DELETE) and super().has_delete_permission(
            request, obj
        )

    def declared_lookups(self, request: HttpRequest) -> set[str]:
        """The query parameters this admin's own filters read, and no other:
        no lookup on a mobile, an ID hash or a code can be made up in the URL."""
        allowed = set()
        for item in self.get_list_filter(request):
            if isinstance(item, type):  # a SimpleListFilter: its own parameter
                allowed.add(item.parameter_name)
                continue
            path = item[0] if isinstance(item, tuple | list) else item
            field = get_fields_from_path(self.model, path)[-1]
            paths = [path]
            if field.is_relation:
                paths.append(f"{path}__{field.target_field.name}")
            allowed.update(p + suffix for p in paths for suffix in FILTER_SUFFIXES)
        if self.date_hierarchy:
            allowed.update(self.date_hierarchy + s for s in DATE_HIERARCHY_SUFFIXES)
        return allowed

    def lookup_allowed(self, lookup: str, value, request: HttpRequest | None = None) -> bool:
        if request is None or lookup not in self.declared_lookups(request):
            return False
        return super().lookup_allowed(lookup, value, request)


class ScopedAdmin(MatrixAdmin):
    """Mixin for ModelAdmin: `scope_path` is the lookup from the model to its
    District, or None for rows only statewide roles may see."""

    scope_path: str | None = "district"

    def scope_queryset(self, queryset: QuerySet, request: HttpRequest) -> QuerySet:
        if self.scope_path is None:
            return queryset if visible_ids(request.user) is None else queryset.none()
        return scope(queryset, request.user, self.scope_path)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return self.scope_queryset(super().get_queryset(request), request)

    def get_object(self, request: HttpRequest, object_id: str, from_field=None):
        # The stock admin redirects with "does not exist"; a row of another
        # district is simply not there for this official.
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404
        return obj

    def visible_or_404(self, request: HttpRequest, object_id) -> Model:
        try:
            return self.get_queryset(request).get(pk=object_id)
        except (self.model.DoesNotExist, ValueError, TypeError):
            raise Http404 from None

    def history_view(self, request: HttpRequest, object_id: str, extra_context=None):
        # simple_history falls back to the last historical copy of a row it
        # cannot find, which would leak another district's history.
        self.visible_or_404(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(
        self, request: HttpRequest, object_id: str, version_id, extra_context=None
    ):
        self.visible_or_404(request, object_id)
        return super().history_form_view(request, object_id, version_id, extra_context)

    def formfield_for_foreignkey(self, db_field, request: HttpRequest, **kwargs):
        choices = scoped_choices(db_field.related_model, request.user)
        if choices is not None and "queryset" not in kwargs:
            kwargs["queryset"] = choices
        if not has_own_label(db_field):
            kwargs.setdefault("label", capfirst(related_label(db_field)))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request: HttpRequest, **kwargs):
        choices = scoped_choices(db_field.related_model, request.user)
        if choices is not None and "queryset" not in kwargs:
            kwargs["queryset"] = choices
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str):
        # Autocomplete passes the target admin's queryset here; scope it again
        # so no caller can hand in an unscoped one.
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        return self.scope_queryset(queryset, request), may_have_duplicates
