from django.contrib import admin
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from districts.scoped_admin import ScopedAdmin, ScopedRelatedFilter, vaccinators_visible_to

from ..forms import CentreAdminForm
from ..models import Centre


@admin.register(Centre)
class CentreAdmin(ScopedAdmin, SimpleHistoryAdmin):
    form = CentreAdminForm
    list_display = ("name", "area", "locality", "district", "active")
    list_filter = ("active", ("district", ScopedRelatedFilter), ("area", ScopedRelatedFilter))
    list_select_related = ("district", "area", "locality")
    search_fields = ("name", "address", "pincode")
    autocomplete_fields = ("area", "locality")
    filter_horizontal = ("staff",)

    def formfield_for_manytomany(self, db_field, request: HttpRequest, **kwargs):
        if db_field.name == "staff":
            kwargs["queryset"] = vaccinators_visible_to(request.user)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        # A centre with sessions is closed (active off), never deleted.
        return False
