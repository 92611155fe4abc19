"""Pre-aggregated counts for the dashboard and the public statistics.

Counting a million registrations on every page view would take seconds, so
`summaries.refresh()` (the Celery task `refresh_summaries`, every few minutes)
rebuilds these small tables in one transaction and the pages only sum them.

People are counted where they live (the registration's block or town) on
the day they registered; appointments and doses where they were given (the
centre's block or town) on the day of their session. Seats are not
summarised: the coming week's sessions are few and are read live, so they
are always current.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

# The counted measures, in the order the dashboard shows them.
MEASURES = (
    "registered",
    "waiting",
    "allotted",
    "dose1",
    "dose2",
    "no_show",
    "cancelled",
    "appointments",
)


class Counts(models.Model):
    # Registrations made that day (duplicates left out), and of those the ones
    # now waiting or holding an appointment.
    registered = models.PositiveIntegerField(default=0)
    waiting = models.PositiveIntegerField(default=0)
    allotted = models.PositiveIntegerField(default=0)
    # Appointments whose session fell on that day at a centre of this place,
    # by what became of them; `appointments` leaves the cancelled out.
    dose1 = models.PositiveIntegerField(default=0)
    dose2 = models.PositiveIntegerField(default=0)
    no_show = models.PositiveIntegerField(default=0)
    cancelled = models.PositiveIntegerField(default=0)
    appointments = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True


class AreaDay(Counts):
    """One block or town on one day."""

    day = models.DateField()
    district = models.ForeignKey("districts.District", on_delete=models.CASCADE, related_name="+")
    area = models.ForeignKey("districts.Area", on_delete=models.CASCADE, related_name="+")

    class Meta:
        verbose_name = _("counts of a block or town on a day")
        constraints = [models.UniqueConstraint(fields=["day", "area"], name="areaday_unique")]
        indexes = [models.Index(fields=["district", "day"], name="areaday_district_day")]

    def __str__(self) -> str:
        return f"{self.area} {self.day}"


class GroupDay(Counts):
    """One priority group and gender in one district on one day."""

    day = models.DateField()
    district = models.ForeignKey("districts.District", on_delete=models.CASCADE, related_name="+")
    priority = models.PositiveSmallIntegerField()
    gender = models.CharField(max_length=1)

    class Meta:
        verbose_name = _("counts of a priority group and gender on a day")
        constraints = [
            models.UniqueConstraint(
                fields=["day", "district", "priority", "gender"], name="groupday_unique"
            )
        ]
        indexes = [models.Index(fields=["district", "day"], name="groupday_district_day")]

    def __str__(self) -> str:
        return f"{self.district} P{self.priority} {self.gender} {self.day}"


class SummaryState(models.Model):
    """The single row that says when the summaries were last rebuilt; refreshes
    lock it so that two never interleave."""

    computed_at = models.DateTimeField(null=True)
    took_ms = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("summary state")
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="summary_singleton")]

    def __str__(self) -> str:
        return f"{self.computed_at}"
