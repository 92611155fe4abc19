from axes import admin as axes_admin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group
from django.utils.translation import gettext_lazy as _

from teeka.admin import BigTableAdmin

from .models import Area, District, Locality, OfficialProfile
from .scoped_admin import MatrixAdmin, ScopedAdmin, ScopedRelatedFilter


@admin.register(District)
class DistrictAdmin(ScopedAdmin, admin.ModelAdmin):
    scope_path = "pk"
    list_display = ("name_en", "name_hi", "lgd_code", "population_2011")
    search_fields = ("name_en", "name_hi")
    readonly_fields = ("lgd_code",)


@admin.register(Area)
class AreaAdmin(ScopedAdmin, admin.ModelAdmin):
    list_display = ("name_en", "name_hi", "kind", "district", "lgd_code")
    list_filter = ("kind", ("district", ScopedRelatedFilter))
    list_select_related = ("district",)
    search_fields = ("name_en", "name_hi")
    ordering = ("district__name_en", "kind", "name_en")


@admin.register(Locality)
class LocalityAdmin(ScopedAdmin, BigTableAdmin):
    scope_path = "area__district"
    list_display = ("name", "gram_panchayat", "kind", "area", "district_name", "pincode")
    list_filter = ("kind", ("area__district", ScopedRelatedFilter))
    list_select_related = ("area__district",)
    search_fields = ("name", "gram_panchayat", "pincode")
    autocomplete_fields = ("area",)

    @admin.display(description=_("district"), ordering="area__district__name_en")
    def district_name(self, obj: Locality) -> str:
        return str(obj.area.district)


@admin.register(OfficialProfile)
class OfficialProfileAdmin(ScopedAdmin, admin.ModelAdmin):
    # Who sees which district is the state administrators' decision.
    scope_path = None
    list_display = ("user", "district_names")
    filter_horizontal = ("districts",)
    search_fields = ("user__username",)
    autocomplete_fields = ("user",)

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("districts")

    @admin.display(description=_("districts"))
    def district_names(self, obj: OfficialProfile) -> str:
        return ", ".join(str(d) for d in obj.districts.all())


class OfficialProfileInline(MatrixAdmin, admin.StackedInline):
    model = OfficialProfile
    filter_horizontal = ("districts",)
    can_delete = False
    verbose_name_plural = _("districts this person works for")


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class StaffUserAdmin(ScopedAdmin, UserAdmin):
    scope_path = None
    inlines = (OfficialProfileInline,)
    list_display = ("username", "first_name", "last_name", "is_active", "role_names", "last_login")
    list_filter = ("is_active", "groups")

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    @admin.display(description=_("roles"))
    def role_names(self, obj) -> str:
        return ", ".join(g.name for g in obj.groups.all())


# The role groups and django-axes' sign-in records are the state
# administrators' (Subject.STAFF): the same matrix decides for them.
admin.site.unregister(Group)


@admin.register(Group)
class RoleGroupAdmin(MatrixAdmin, GroupAdmin):
    pass


for _model, _admin_class in (
    (AccessAttempt, axes_admin.AccessAttemptAdmin),
    (AccessLog, axes_admin.AccessLogAdmin),
    (AccessFailureLog, axes_admin.AccessFailureLogAdmin),
):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)
        admin.site.register(_model, type(_admin_class.__name__, (MatrixAdmin, _admin_class), {}))
