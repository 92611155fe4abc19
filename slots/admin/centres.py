from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy
from simple_history.admin import SimpleHistoryAdmin

from districts.scoped_admin import ScopedAdmin, ScopedRelatedFilter, vaccinators_visible_to

from ..forms import CentreAdminForm
from ..models import Centre


@admin.register(Centre)
class CentreAdmin(ScopedAdmin, SimpleHistoryAdmin):
    form = CentreAdminForm
    list_display = ("name", "area_name", "locality_name", "district_name", "active")
    list_filter = ("active", ("district", ScopedRelatedFilter), ("area", ScopedRelatedFilter))
    list_select_related = ("district", "area", "locality")
    search_fields = ("name", "address", "pincode")
    autocomplete_fields = ("area", "locality")
    filter_horizontal = ("staff",)

    # Centre's keys have no verbose_name of their own: translated titles here.
    @admin.display(description=gettext_lazy("block or town"), ordering="area__name_en")
    def area_name(self, obj: Centre) -> str:
        return str(obj.area)

    @admin.display(description=gettext_lazy("village or ward"), ordering="locality__name")
    def locality_name(self, obj: Centre) -> str:
        return str(obj.locality)

    @admin.display(description=gettext_lazy("district"), ordering="district__name_en")
    def district_name(self, obj: Centre) -> str:
        return str(obj.district)

    def formfield_for_manytomany(self, db_field, request: HttpRequest, **kwargs):
        if db_field.name == "staff":
            kwargs["queryset"] = vaccinators_visible_to(request.user)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        # A centre with sessions is closed (active off), never deleted.
        return False
