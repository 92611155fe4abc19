import secrets
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class Vaccine(models.TextChoices):
    COVISHIELD = "COVISHIELD", "Covishield"
    COVAXIN = "COVAXIN", "Covaxin"


class Centre(models.Model):
    district = models.ForeignKey(
        "districts.District", on_delete=models.PROTECT, verbose_name=_("district")
    )
    area = models.ForeignKey(
        "districts.Area", on_delete=models.PROTECT, verbose_name=_("block or town")
    )
    locality = models.ForeignKey(
        "districts.Locality", on_delete=models.PROTECT, verbose_name=_("village or ward")
    )
    name = models.CharField(_("name"), max_length=150)
    address = models.CharField(_("address"), max_length=250)
    pincode = models.CharField(_("PIN code"), max_length=6, blank=True)
    active = models.BooleanField(_("active"), default=True)
    # Vaccinators who may check people in here.
    staff = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="centres", verbose_name=_("vaccinators")
    )
    created_at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords(excluded_fields=["created_at"])

    class Meta:
        ordering = ["name"]
        verbose_name = _("vaccination centre")
        verbose_name_plural = _("vaccination centres")
        constraints = [
            models.UniqueConstraint(fields=["id", "district"], name="centre_id_district"),
        ]
        indexes = [models.Index(fields=["district", "active"], name="centre_district_active")]

    def __str__(self) -> str:
        return self.name


class Session(models.Model):
    """One day of vaccination at a centre, with the capacity it publishes."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        CANCELLED = "cancelled", _("Cancelled")

    centre = models.ForeignKey(
        Centre, on_delete=models.PROTECT, related_name="sessions", verbose_name=_("centre")
    )
    # Copied from the centre (a composite key keeps them equal) so the
    # allocator finds a district's sessions without a join.
    district = models.ForeignKey(
        "districts.District", on_delete=models.PROTECT, verbose_name=_("district")
    )
    date = models.DateField(_("date"))
    start_time = models.TimeField(_("from"), default=time(9, 0))
    end_time = models.TimeField(_("until"), default=time(17, 0))
    vaccine = models.CharField(_("vaccine"), max_length=20, choices=Vaccine.choices)
    dose = models.PositiveSmallIntegerField(_("dose"), choices=[(1, _("Dose 1")), (2, _("Dose 2"))])
    min_age = models.PositiveSmallIntegerField(_("minimum age"), default=18)
    max_age = models.PositiveSmallIntegerField(_("maximum age"), null=True, blank=True)
    capacity = models.IntegerField(_("capacity"))
    booked = models.IntegerField(_("booked"), default=0, editable=False)
    published = models.BooleanField(_("published"), default=False)
    status = models.CharField(
        _("status"), max_length=9, choices=Status.choices, default=Status.ACTIVE
    )
    cancel_reason = models.CharField(_("reason for cancelling"), max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # Vials the vaccinator opened at this session (slots.services.open_vial):
    # with the doses given, what is left in an open vial and what was wasted.
    vials_opened = models.PositiveIntegerField(_("vials opened"), default=0)
    last_vial_opened_at = models.DateTimeField(_("last vial opened at"), null=True, blank=True)
    # Doses thrown away with a vial that expired before it was used up,
    # counted when the next one is opened: without them, "left in the open
    # vial" would count the old vial's doses as still there.
    doses_discarded = models.PositiveIntegerField(
        _("doses discarded with expired vials"), default=0
    )
    # Standby (slots.services.call_standby): doses offered to waiting people
    # nearby so they are not wasted, and how many more people than doses a
    # call texts, since not everyone can come within the hour.
    standby_doses = models.PositiveIntegerField(_("doses offered to standby"), default=0)
    standby_margin = models.PositiveSmallIntegerField(
        _("standby margin"),
        default=2,
        help_text=_("How many more people than doses a standby call texts."),
    )

    history = HistoricalRecords(excluded_fields=["created_at"])

    class Meta:
        ordering = ["date", "start_time"]
        verbose_name = _("session")
        verbose_name_plural = _("sessions")
        constraints = [
            models.CheckConstraint(condition=Q(capacity__gte=0), name="capacity_not_negative"),
            models.CheckConstraint(condition=Q(booked__gte=0), name="booked_not_negative"),
            models.CheckConstraint(condition=Q(booked__lte=F("capacity")), name="never_overbooked"),
            models.CheckConstraint(condition=Q(dose__in=[1, 2]), name="dose_one_or_two"),
            models.CheckConstraint(
                condition=Q(max_age__isnull=True) | Q(max_age__gte=F("min_age")),
                name="age_band_in_order",
            ),
            models.CheckConstraint(
                condition=Q(end_time__gt=F("start_time")), name="session_ends_after_start"
            ),
            # A week plan sent twice must not make twin sessions whose seats
            # the allocator would fill twice over.
            models.UniqueConstraint(
                fields=["centre", "date", "start_time", "dose"],
                condition=Q(status="active"),
                name="one_active_session_per_slot",
                violation_error_message=_(
                    "This centre already has a session of this dose starting then on that day."
                ),
            ),
        ]
        indexes = [
            models.Index(
                fields=["district", "date"],
                condition=Q(published=True, status="active"),
                name="session_open_by_district",
            ),
            models.Index(fields=["centre", "date"], name="session_centre_date"),
        ]

    def __str__(self) -> str:
        return f"{self.centre} {self.date:%d-%m-%Y} {self.get_vaccine_display()} D{self.dose}"

    def seats_left(self) -> int:
        return self.capacity - self.booked

    def doses_per_vial(self) -> int:
        return settings.TEEKA_VIALS[self.vaccine]["doses"]

    def doses_opened(self) -> int:
        return self.vials_opened * self.doses_per_vial()

    def doses_given(self) -> int:
        return self.appointments.filter(status="attended").count()

    def open_vial_expires_at(self):
        """When the doses left in the last vial opened must be thrown away."""
        if self.last_vial_opened_at is None:
            return None
        hours = settings.TEEKA_VIALS[self.vaccine]["open_hours"]
        return self.last_vial_opened_at + timedelta(hours=hours)

    def vials_at(self, now: datetime) -> "Vials":
        """The vials as the vaccinator needs them at `now`."""
        given = self.doses_given()
        expires = self.open_vial_expires_at()
        usable = expires is not None and now < expires
        left = self.doses_opened() - given - self.doses_discarded
        return Vials(
            given=given,
            opened=self.doses_opened(),
            left=max(left, 0) if usable else 0,
            expires=expires if usable else None,
            per_vial=self.doses_per_vial(),
        )


@dataclass(frozen=True)
class Vials:
    """A session's vials at one moment: doses given, opened, left in the
    open vial (0 once it has expired) and when that one expires."""

    given: int
    opened: int
    left: int
    expires: datetime | None
    per_vial: int


def new_verification_code() -> str:
    return f"{secrets.randbelow(10000):04d}"


class Appointment(models.Model):
    CHECKIN_MAX_WRONG_CODES = 5

    class Status(models.TextChoices):
        BOOKED = "booked", _("Booked")
        ATTENDED = "attended", _("Vaccinated")
        NO_SHOW = "no_show", _("Did not come")
        CANCELLED = "cancelled", _("Cancelled")

    ACTIVE = [Status.BOOKED, Status.ATTENDED]

    registration = models.ForeignKey(
        "registrations.Registration",
        on_delete=models.PROTECT,
        related_name="appointments",
        verbose_name=_("registration"),
    )
    # Indexed by appointment_session_status, which starts with it: every index
    # here is written by every allotment (see docs/performance.md, "Allotting").
    session = models.ForeignKey(
        Session,
        on_delete=models.PROTECT,
        related_name="appointments",
        db_index=False,
        verbose_name=_("session"),
    )
    dose = models.PositiveSmallIntegerField(_("dose"))
    status = models.CharField(
        _("status"), max_length=9, choices=Status.choices, default=Status.BOOKED
    )
    # Null means the allocator; otherwise the official who allotted by hand.
    allotted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("allotted by"),
        db_index=False,  # appointment_allotted_by, for the few allotted by hand
    )
    code = models.CharField(_("verification code"), max_length=4, default=new_verification_code)
    created_at = models.DateTimeField(_("allotted at"), default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    attended_at = models.DateTimeField(null=True, blank=True)
    batch_number = models.CharField(_("batch number"), max_length=40, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(_("reason"), max_length=200, blank=True)
    # The 4-digit code guards the check-in; after CHECKIN_MAX_WRONG_CODES wrong
    # ones it is no longer accepted, and the vaccinator checks the photo ID.
    # Database defaults too: the allocator inserts appointments in raw SQL.
    wrong_codes = models.PositiveSmallIntegerField(_("wrong codes typed"), default=0, db_default=0)
    # The category share of the session this seat counts against (the
    # quotas app), when a policy covered the session; for a rolled-over seat,
    # the share it came from. Null: allotted outside the shares (no policy,
    # by hand, standby). No index: read only by session.
    share_of = models.ForeignKey(
        "quotas.Category",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("seat from the share of"),
        db_index=False,
    )
    # The person's own category under that policy when the seat was given
    # (null: none). A seat whose share_of differs was rolled over to them:
    # quotas.Rollover is kept from these two by a trigger (slots/0015).
    category = models.ForeignKey(
        "quotas.Category",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("category of the person"),
        db_index=False,
    )
    checked_in_without_code = models.CharField(
        _("checked in without the code, because"),
        max_length=200,
        blank=True,
        default="",
        db_default="",
    )

    history = HistoricalRecords(
        excluded_fields=["updated_at", "wrong_codes"], no_db_index=["share_of", "category"]
    )

    class Meta:
        verbose_name = _("appointment")
        verbose_name_plural = _("appointments")
        constraints = [
            models.UniqueConstraint(
                fields=["registration", "dose"],
                condition=Q(status__in=["booked", "attended"]),
                name="one_active_appointment_per_dose",
            ),
            models.CheckConstraint(condition=Q(dose__in=[1, 2]), name="appointment_dose_1_or_2"),
        ]
        indexes = [
            models.Index(fields=["session", "status"], name="appointment_session_status"),
            models.Index(
                fields=["allotted_by"],
                condition=Q(allotted_by__isnull=False),
                name="appointment_allotted_by",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.registration.reference} D{self.dose} {self.session.date:%d-%m-%Y}"

    def code_locked(self) -> bool:
        return self.wrong_codes >= self.CHECKIN_MAX_WRONG_CODES


class AllocationRun(models.Model):
    """One run of the allocator over a district: the record of who ran, when,
    and what came of it. Updated in each batch's transaction, so after a crash
    it shows how far the run got."""

    district = models.ForeignKey(
        "districts.District", on_delete=models.PROTECT, verbose_name=_("district")
    )
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    batches = models.PositiveIntegerField(default=0)
    allotted = models.PositiveIntegerField(default=0)
    still_waiting = models.PositiveIntegerField(null=True, blank=True)
    seats_left = models.PositiveIntegerField(null=True, blank=True)
    # Closed by the district's next run: its worker died (or was stopped)
    # mid-run. Its finished batches stand; the next run did the rest.
    interrupted = models.BooleanField(_("interrupted"), default=False)

    class Meta:
        verbose_name = _("allocation run")
        verbose_name_plural = _("allocation runs")
        indexes = [models.Index(fields=["district", "started_at"], name="run_district_started")]

    def __str__(self) -> str:
        return f"{self.district_id} {self.started_at:%d-%m-%Y %H:%M}"


class AllocationRequest(models.Model):
    """A district that asked for a run (an official's change) and has not had
    one since: kept in the database so a request made while the broker was
    away is caught up when it returns (slots.tasks.catch_up_allocations)."""

    district = models.OneToOneField(
        "districts.District", on_delete=models.CASCADE, primary_key=True
    )
    requested_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("allocation request")
        verbose_name_plural = _("allocation requests")

    def __str__(self) -> str:
        return f"{self.district_id} {self.requested_at:%d-%m-%Y %H:%M}"


class SkippedSession(models.Model):
    """A session a person cancelled to have another date: it is never offered
    to them again, by the allocator or (without an official's override) by
    hand. Few rows, read once per allocation batch for the open sessions."""

    session = models.ForeignKey(
        Session, on_delete=models.CASCADE, related_name="+", verbose_name=_("session")
    )
    registration = models.ForeignKey(
        "registrations.Registration",
        on_delete=models.CASCADE,
        related_name="skipped_sessions",
        verbose_name=_("registration"),
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("session a person gave up")
        verbose_name_plural = _("sessions people gave up")
        constraints = [
            # Starts with the session: the allocator reads by open session.
            models.UniqueConstraint(fields=["session", "registration"], name="skip_session_once"),
        ]

    def __str__(self) -> str:
        return f"{self.registration_id} {self.session_id}"


class Reminder(models.Model):
    """The SMS sent the day before a slot, asking the person to confirm or give
    the seat up, and their one reply (slots.reminders)."""

    class Reply(models.TextChoices):
        NONE = "", _("no reply yet")
        CONFIRMED = "yes", _("will come")
        DECLINED = "no", _("gave the seat up")

    appointment = models.OneToOneField(
        Appointment,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="reminder",
        verbose_name=_("appointment"),
    )
    # The number the reminder went to, as E.164: a reply is found by its sender.
    mobile = models.CharField(_("mobile"), max_length=16)
    sent_at = models.DateTimeField(_("reminded at"), default=timezone.now)
    reply = models.CharField(_("reply"), max_length=3, choices=Reply.choices, blank=True)
    replied_at = models.DateTimeField(_("replied at"), null=True, blank=True)

    class Meta:
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        indexes = [models.Index(fields=["mobile", "sent_at"], name="reminder_mobile_sent")]

    def __str__(self) -> str:
        return f"{self.appointment_id} {self.reply or '-'}"


class StandbyCall(models.Model):
    """A waiting person texted to come for a dose that would otherwise be
    wasted; `appointment` once they came and were vaccinated as standby."""

    session = models.ForeignKey(
        Session, on_delete=models.CASCADE, related_name="standby_calls", verbose_name=_("session")
    )
    registration = models.ForeignKey(
        "registrations.Registration",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("registration"),
    )
    called_at = models.DateTimeField(_("texted at"), default=timezone.now)
    come_by = models.DateTimeField(_("asked to come by"))
    appointment = models.OneToOneField(
        Appointment,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="standby_call",
        verbose_name=_("appointment"),
    )

    class Meta:
        verbose_name = _("standby call")
        verbose_name_plural = _("standby calls")
        constraints = [
            models.UniqueConstraint(fields=["session", "registration"], name="standby_once")
        ]

    def __str__(self) -> str:
        return f"{self.session_id} {self.registration_id}"
