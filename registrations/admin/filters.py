"""Changelist filters for registrations; each offers only the official's rows."""

from django.contrib import admin
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from districts.models import Locality
from districts.scoped_admin import scope

from ..models import Registration

AGE_BANDS = {
    "18-44": (18, 44),
    "45-59": (45, 59),
    "60+": (60, 200),
}


class AgeBandFilter(admin.SimpleListFilter):
    title = _("age band")
    parameter_name = "age"

    def lookups(self, request, model_admin) -> list:
        return [("18-44", _("18 to 44")), ("45-59", _("45 to 59")), ("60+", _("60 and over"))]

    def queryset(self, request, queryset: QuerySet) -> QuerySet:
        band = AGE_BANDS.get(self.value() or "")
        if band is None:
            return queryset
        year = timezone.localdate().year
        return queryset.filter(birth_year__gte=year - band[1], birth_year__lte=year - band[0])


class LocalityFilter(admin.SimpleListFilter):
    """Villages and wards of the chosen block or town: a district has
    hundreds, so the list appears once an area is picked."""

    title = _("village or ward")
    parameter_name = "locality"
    area_parameter = "area__id__exact"

    def lookups(self, request, model_admin) -> list:
        area_id = request.GET.get(self.area_parameter, "")
        if not area_id.isdigit():
            return []
        localities = scope(Locality.objects.filter(area_id=area_id), request.user, "area__district")
        return [(loc.pk, str(loc)) for loc in localities.order_by("name")]

    def has_output(self) -> bool:
        return True

    def queryset(self, request, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if not (value and value.isdigit()):
            return queryset
        # With its district (the same rows: a registration's village is in
        # its district, by its foreign keys), so that reg_district_person
        # finds the village's people rather than all its block's.
        district = Locality.objects.filter(pk=value).values_list("area__district_id", flat=True)
        return queryset.filter(locality_id=value, district_id__in=list(district))


class StatusFilter(admin.ChoicesFieldListFilter):
    """The status filter, which for "fully vaccinated" also asks for both
    doses (the same people: the check fully_vaccinated_had_two_doses), so that
    the database finds them newest first in reg_fully_vaccinated instead of
    walking past every recent registration, none of them fully vaccinated
    yet (docs/performance.md, "Lists")."""

    def queryset(self, request, queryset: QuerySet) -> QuerySet:
        queryset = super().queryset(request, queryset)
        chosen = self.used_parameters.get(self.lookup_kwarg)
        if chosen in (Registration.Status.COMPLETED, [Registration.Status.COMPLETED]):
            queryset = queryset.filter(doses_received=2)
        return queryset
