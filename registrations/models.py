from django.conf import settings
from django.db import connections, models, router
from django.db.models.functions import Lower, Right
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField
from simple_history.models import HistoricalRecords

from . import ids


class Account(models.Model):
    """One per verified mobile number; holds up to four people."""

    mobile = PhoneNumberField(_("mobile number"), region="IN", unique=True)
    # Officials search by the last digits a caller reads out; "ends with" on
    # the mobile cannot use an index, equality on these four digits can.
    mobile_last4 = models.GeneratedField(
        expression=Right("mobile", 4),
        output_field=models.CharField(max_length=4),
        db_persist=True,
    )
    language = models.CharField(
        _("language"), max_length=5, choices=settings.LANGUAGES, default="hi"
    )
    created_at = models.DateTimeField(default=timezone.now)
    last_sign_in_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        indexes = [models.Index(fields=["mobile_last4"], name="account_mobile_last4")]

    def __str__(self) -> str:
        return self.masked_mobile()

    def masked_mobile(self) -> str:
        return mask_mobile(str(self.mobile))

    def first_free_seat(self, seats: int) -> int | None:
        """The lowest of seats 1 to `seats` that no one on the account holds (a
        withdrawn person holds none); None when all are taken."""
        # Written out: asked on every add-person form, where the ORM's building
        # of the statement cost more than running it.
        with connections[router.db_for_read(Registration, instance=self)].cursor() as cursor:
            cursor.execute(
                "SELECT seat FROM registrations_registration WHERE account_id = %s", [self.pk]
            )
            taken = {seat for (seat,) in cursor.fetchall()}
        return next((seat for seat in range(1, seats + 1) if seat not in taken), None)


def mobile_ends_with(digits: str, prefix: str = "") -> dict:
    """Lookups for "the mobile ends with these 4 or more digits" that an index
    answers: the last four by equality, the rest checked on those few rows."""
    return {f"{prefix}mobile_last4": digits[-4:], f"{prefix}mobile__endswith": digits}


def mask_mobile(e164: str) -> str:
    """+919876543210 -> ******3210: enough to recognise, not to call."""
    return "******" + e164[-4:] if e164 else ""


class IdType(models.TextChoices):
    AADHAAR = "AADHAAR", _("Aadhaar card")
    VOTER = "VOTER", _("Voter ID (EPIC)")
    PAN = "PAN", _("PAN card")
    DRIVING = "DRIVING", _("Driving licence")
    PASSPORT = "PASSPORT", _("Passport")
    RATION = "RATION", _("Ration card")


class Gender(models.TextChoices):
    FEMALE = "F", _("Female")
    MALE = "M", _("Male")
    OTHER = "O", _("Other")


class PriorityGroup(models.IntegerChoices):
    """Served in this order; the number is the rank."""

    HEALTH_WORKER = 1, _("Health worker")
    FRONTLINE_WORKER = 2, _("Frontline worker")
    AGED_60_PLUS = 3, _("Aged 60 or over")
    AGED_45_COMORBID = 4, _("Aged 45 or over with a long-term illness")
    EVERYONE = 5, _("Everyone else")


class RationCard(models.TextChoices):
    """The ration-card type asked at registration: category quotas (the
    quotas app) may be defined by it. Blank: registered before it was asked."""

    ANTYODAYA = "antyodaya", _("Antyodaya (AAY)")
    BPL = "bpl", _("Below poverty line (BPL)")
    APL = "apl", _("Above poverty line (APL)")
    NONE = "none", _("No ration card")


# The one fair order, used by the allocator and by every "place in queue":
# priority group, then time in the queue, then the reference as a tie-break.
QUEUE_ORDER = ("priority", "queue_at", "reference")


class Registration(models.Model):
    class Status(models.TextChoices):
        # Waiting for the next dose (doses_received says which).
        WAITING = "waiting", _("Waiting for a slot")
        ALLOTTED = "allotted", _("Slot allotted")
        # Keeps the queue place; not allotted until the person resumes.
        PAUSED = "paused", _("Paused")
        COMPLETED = "completed", _("Fully vaccinated")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        DUPLICATE = "duplicate", _("Duplicate")

    # The foreign keys below have no index of their own where an index in
    # Meta starts with the same column: every index is written again each
    # time a person's status changes (a million times a run), so none is
    # kept twice. See Meta.indexes and docs/performance.md, "Allotting".
    account = models.ForeignKey(
        Account,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="registrations",
        verbose_name=_("account"),
        db_index=False,  # one_person_once_per_account starts with it
    )
    # Which of the account's four places this person takes.
    seat = models.PositiveSmallIntegerField(null=True, blank=True)
    # Unique by a constraint in Meta rather than unique=True, which would also
    # give PostgreSQL a second, pattern-matching index nobody searches with.
    reference = models.CharField(
        _("reference"), max_length=9, default=ids.new_reference, editable=False
    )
    name = models.CharField(_("full name"), max_length=100)
    gender = models.CharField(_("gender"), max_length=1, choices=Gender.choices)
    birth_year = models.PositiveSmallIntegerField(_("year of birth"))
    id_type = models.CharField(_("photo ID"), max_length=10, choices=IdType.choices)
    id_hash = models.CharField(max_length=64, editable=False)
    id_last4 = models.CharField(_("ID number, last 4"), max_length=4)
    priority = models.PositiveSmallIntegerField(_("priority group"), choices=PriorityGroup.choices)
    district = models.ForeignKey(
        "districts.District", on_delete=models.PROTECT, db_index=False, verbose_name=_("district")
    )
    area = models.ForeignKey(
        "districts.Area", on_delete=models.PROTECT, db_index=False, verbose_name=_("block or town")
    )
    locality = models.ForeignKey(
        "districts.Locality",
        on_delete=models.PROTECT,
        db_index=False,
        verbose_name=_("village or ward"),
    )
    # In no index: allotting stays HOT, and a policy reads it with the queue.
    # A database default too: registrations are inserted in raw SQL.
    ration_card = models.CharField(
        _("ration card"),
        max_length=9,
        choices=RationCard.choices,
        blank=True,
        default="",
        db_default="",
    )
    address_line = models.CharField(_("house and street"), max_length=200, blank=True)
    pincode = models.CharField(_("PIN code"), max_length=6, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.WAITING
    )
    doses_received = models.PositiveSmallIntegerField(default=0)
    last_dose_date = models.DateField(null=True, blank=True)
    last_vaccine = models.CharField(max_length=20, blank=True)
    # Fixed at the first registration; registering again never changes it.
    registered_at = models.DateTimeField(_("registered at"), default=timezone.now)
    # Where the person stands in the queue: registered_at, unless repeated
    # no-shows sent them to the back.
    queue_at = models.DateTimeField(default=timezone.now)
    no_show_count = models.PositiveSmallIntegerField(default=0)
    # The person's own "no slot before this day" (set when they cancel for
    # another date); the sessions they gave up are slots.SkippedSession rows.
    not_before = models.DateField(_("no slot before"), null=True, blank=True)
    duplicate_of = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="duplicates",
        verbose_name=_("duplicate of"),
        db_index=False,  # reg_duplicate_of, for the few rows that have one
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("registered by"),
        help_text=_("The official who registered this person on their behalf."),
        db_index=False,  # reg_created_by, for the few rows that have one
    )
    no_mobile_reason = models.CharField(_("why there is no mobile"), max_length=200, blank=True)

    # History is read per registration (by id) and by date, never by place or
    # account: those copies of the foreign keys carry no index, which spares
    # every registration six index writes. history_user keeps its own, which
    # deleting a user needs.
    history = HistoricalRecords(
        no_db_index=["account", "district", "area", "locality", "created_by", "duplicate_of"]
    )

    class Meta:
        verbose_name = _("registration")
        verbose_name_plural = _("registrations")
        constraints = [
            models.UniqueConstraint(fields=["reference"], name="registration_reference_unique"),
            models.UniqueConstraint(fields=["id_type", "id_hash"], name="one_registration_per_id"),
            models.UniqueConstraint(
                "account",
                Lower("name"),
                "birth_year",
                name="one_person_once_per_account",
            ),
            # A withdrawn person gives their seat up (seat NULL), so this
            # constraint need not look at the status (see the queue indexes).
            models.UniqueConstraint(fields=["account", "seat"], name="account_seat_unique"),
            models.CheckConstraint(
                condition=models.Q(seat__gte=1, seat__lte=4), name="account_has_four_seats"
            ),
            models.CheckConstraint(
                condition=models.Q(account__isnull=True)
                | models.Q(seat__isnull=False)
                | models.Q(status="withdrawn"),
                name="account_registration_has_seat",
            ),
            models.CheckConstraint(
                condition=models.Q(birth_year__gte=1900, birth_year__lte=2100),
                name="birth_year_plausible",
            ),
            models.CheckConstraint(
                condition=models.Q(doses_received__lte=2), name="at_most_two_doses"
            ),
            # Fully vaccinated means both doses: the status filter asks for
            # both to find these people in reg_fully_vaccinated.
            models.CheckConstraint(
                condition=~models.Q(status="completed") | models.Q(doses_received=2),
                name="fully_vaccinated_had_two_doses",
            ),
        ]
        indexes = [
            # The queue in its fair order, for the allocator and "your place in
            # the queue": people who still need a dose. No index on this table
            # names the status, so allotting a person (status waiting ->
            # allotted, the allocator's one write to this table) is a HOT
            # update: a new row version on the same page and no index entries
            # at all. It was most of an allotment's cost when these indexes
            # were conditioned on the status (benchmarks/allocation.py).
            models.Index(
                fields=["district", "priority", "queue_at", "reference"],
                condition=models.Q(doses_received__lt=2),
                name="reg_district_queue",
            ),
            models.Index(
                fields=["area", "priority", "queue_at", "reference"],
                condition=models.Q(doses_received__lt=2),
                name="reg_area_queue",
            ),
            # Also the district's foreign-key index.
            models.Index(fields=["district", "registered_at"], name="reg_district_registered"),
            # The State administrator's list, newest first (and the date
            # filter), over every district; a registration's date never
            # changes, so allotting stays HOT (docs/performance.md, "Lists").
            models.Index(fields=["registered_at"], name="reg_registered"),
            # The same for the fully vaccinated (the status filter): walking
            # reg_registered for them skipped every recent registration, none
            # fully vaccinated yet (18.8 s at 10,000,000). The condition names
            # the doses, not the status: allotting stays HOT, and a second
            # dose, which changes the doses, was never HOT.
            models.Index(
                fields=["registered_at"],
                condition=models.Q(doses_received=2),
                name="reg_fully_vaccinated",
            ),
            # Possible duplicates (same name, year of birth and village or
            # ward), found by walking this index in order.
            models.Index(
                "district",
                "locality",
                Lower("name"),
                "birth_year",
                name="reg_district_person",
            ),
            # The admin's age-band filter: a range of birth years in a district.
            models.Index(fields=["district", "birth_year"], name="reg_district_birth_year"),
            # The admin's block-or-town filter, newest first (a big town has
            # a hundred thousand people at 10,000,000: all read to sort them
            # with an index on the area alone), and the area's foreign key.
            # A village or ward, offered once its block is picked, is found
            # by district and village in reg_district_person.
            models.Index(fields=["area", "registered_at"], name="reg_area_registered"),
            models.Index(
                fields=["created_by"],
                condition=models.Q(created_by__isnull=False),
                name="reg_created_by",
            ),
            models.Index(
                fields=["duplicate_of"],
                condition=models.Q(duplicate_of__isnull=False),
                name="reg_duplicate_of",
            ),
        ]

    def __str__(self) -> str:
        return f"{ids.format_reference(self.reference)} {self.name}"

    @property
    def display_reference(self) -> str:
        return ids.format_reference(self.reference)

    def masked_id(self) -> str:
        return f"{self.get_id_type_display()} ••••{self.id_last4}"

    def age_on(self, day) -> int:
        """Age by year of birth alone: a little generous, and the same for all."""
        return day.year - self.birth_year

    def next_dose(self) -> int:
        return self.doses_received + 1

    def set_id_number(self, id_type: str, number: str) -> None:
        self.id_type = id_type
        if isinstance(number, ids.KeyedId):  # masked when an import was read
            self.id_hash, self.id_last4 = number.id_hash, number.last4
            return
        self.id_hash = ids.hash_id_number(id_type, number)
        self.id_last4 = ids.id_last4(number)


class SignInCode(models.Model):
    """The one-time sign-in code of a mobile number, and the counters that limit
    guessing and sending. One row per number, locked while it changes."""

    mobile = models.CharField(max_length=16, unique=True)
    code_hash = models.CharField(max_length=64, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    # Wrong tries count per number, not per code: sending a fresh code must not
    # buy a guesser five more tries.
    wrong_tries = models.PositiveSmallIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)
    window_started_at = models.DateTimeField(default=timezone.now)
    sends_in_window = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("sign-in code")
        verbose_name_plural = _("sign-in codes")

    def __str__(self) -> str:
        return mask_mobile(self.mobile)


class NormalFormFlag(models.Model):
    """Something stored before every number had one normal form, for an
    official to check: found by `manage.py repair_stored_numbers` (and the
    migration that runs it once). Shown in the possible duplicates."""

    class Kind(models.TextChoices):
        # The keyed hash was taken of a non-ASCII spelling; the number is not
        # stored, so it cannot be hashed again, and the same ID typed in
        # ASCII digits would register a second time.
        ID_SPELLING = "id_spelling", _("ID number typed in other digits")
        # The account's mobile, read in ASCII digits, is another account's:
        # two accounts of one number are never merged silently.
        MOBILE_CLASH = "mobile_clash", _("Mobile is another account's, typed in other digits")
        NOT_A_MOBILE = "not_mobile", _("Mobile is not a mobile number")

    kind = models.CharField(_("what"), max_length=12, choices=Kind.choices)
    registration = models.ForeignKey(
        Registration, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    other_account = models.ForeignKey(
        Account, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    # What was stored, masked as shown elsewhere (the last 4 as they were).
    detail = models.CharField(max_length=100, blank=True)
    found_at = models.DateTimeField(default=timezone.now)
    checked_at = models.DateTimeField(null=True, blank=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("stored number to check")
        verbose_name_plural = _("stored numbers to check")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "registration"],
                condition=models.Q(registration__isnull=False),
                name="normal_form_flag_registration",
            ),
            models.UniqueConstraint(
                fields=["kind", "account"],
                condition=models.Q(account__isnull=False),
                name="normal_form_flag_account",
            ),
        ]

    def __str__(self) -> str:
        return self.get_kind_display()


class ImportJob(models.Model):
    """A paper list being read in the background: its rows (each ID number
    already reduced to its keyed hash and last 4, never the number), how far
    the worker has got, and what the preview and the confirmation found.
    The official finds it again on the imports page, whatever became of the
    browser tab that started it."""

    class Status(models.TextChoices):
        READING = "reading", _("reading the file")
        QUEUED = "queued", _("waiting for a worker")
        CHECKING = "checking", _("checking the rows")
        CHECKED = "checked", _("checked: waiting for your confirmation")
        WRITING = "writing", _("writing the rows")
        DONE = "done", _("done")
        REFUSED = "refused", _("nothing written")
        EXPIRED = "expired", _("expired: upload the file again")
        FAILED = "failed", _("failed")

    RUNNING = (Status.READING, Status.QUEUED, Status.CHECKING, Status.WRITING)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # The district the official imports into, when they see one; a state
    # administrator's list may name any (NULL): only those who see every
    # district see it.
    district = models.ForeignKey(
        "districts.District", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    file_name = models.CharField(max_length=200)
    # The language of the page that started it: the rows' messages are in it.
    language = models.CharField(max_length=8)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    created_at = models.DateTimeField(default=timezone.now)
    checked_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    rows_total = models.PositiveIntegerField(default=0)
    rows_checked = models.PositiveIntegerField(default=0)
    rows_written = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    # {"headers": [...], "rows": [[...], ...]} with ID cells masked
    # (registrations.resources.MASKED); emptied once written or expired.
    rows = models.JSONField(null=True, blank=True)
    # What the preview and the confirmation found (registrations.import_jobs).
    report = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("paper-list import")
        verbose_name_plural = _("paper-list imports")
        indexes = [models.Index(fields=["created_by", "-created_at"], name="importjob_by_user")]

    def __str__(self) -> str:
        return self.file_name


class ExportJob(models.Model):
    """A big export written in the background, offered for download to the
    official who asked and to nobody else, until `expires_at`
    (registrations.export_jobs; a periodic task deletes expired files)."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("waiting for a worker")
        WRITING = "writing", _("writing the file")
        READY = "ready", _("ready to download")
        FAILED = "failed", _("failed")
        EXPIRED = "expired", _("expired")

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    file_format = models.CharField(max_length=8)
    # The columns the official chose (none chosen: all of them).
    fields = models.JSONField(default=list)
    file_name = models.CharField(max_length=200)
    # The registrations the official's list showed when they asked, in its
    # order: the file is of those, whatever the filters mean later.
    pks = models.JSONField(default=list)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    rows_total = models.PositiveIntegerField(default=0)
    rows_written = models.PositiveIntegerField(default=0)
    # The file (masked IDs and mobiles, formulas neutralised) in the database,
    # so any web node can serve what any worker wrote.
    content = models.BinaryField(null=True, blank=True)

    class Meta:
        verbose_name = _("export file")
        verbose_name_plural = _("export files")

    def __str__(self) -> str:
        return self.file_name


class QueueCount(models.Model):
    """A count of people waiting, kept by the database (QueueDay, QueueHour,
    QueueSpan)."""

    # Filled only by the database (migrations 0014, 0016, 0021, 0022 and 0024).
    area_id = models.IntegerField()
    district_id = models.IntegerField()
    doses_received = models.PositiveSmallIntegerField()
    priority = models.PositiveSmallIntegerField()
    day = models.DateField()
    last_vaccine = models.CharField(max_length=20)
    last_dose_date = models.DateField(null=True)
    waiting = models.IntegerField(default=0)

    class Meta:
        abstract = True

    @staticmethod
    def covering_key(name: str, *key: str) -> models.UniqueConstraint:
        """The unique key of a count, with the count itself in its index: a
        sum over a place's rows reads the index alone (an index-only scan)."""
        return models.UniqueConstraint(
            fields=[*key, "last_vaccine", "last_dose_date"],
            include=["waiting"],
            nulls_distinct=False,
            name=name,
        )


class QueueDay(QueueCount):
    """How many people wait for a dose in one block or town, by the dose
    (doses_received), priority group and day of joining the queue (the UTC
    day of queue_at); for a second dose also by the vaccine and day of the
    first, which say from when it is due; and by ration card (migration
    0022), so the place within a quota category, which is a set of cards and
    groups (quotas.standing), is summed here too.

    Kept by the database itself: a trigger on registrations_registration
    (migration 0014) adds and takes away whatever each statement changed, for
    every writer alike (the citizen's insert, the allocator's batches,
    officials, cancellations, no-shows). So "your place in the queue" is a sum
    over these rows and a count within one day, whatever the size of the
    queue (registrations.services.queue_place). The block's weeks and the
    district's days are summed from QueueSpan (without the card), so no index
    here starts with the district."""

    ration_card = models.CharField(max_length=9, default="")

    class Meta:
        constraints = [
            QueueCount.covering_key(
                "queue_day_unique", "area_id", "doses_received", "priority", "day", "ration_card"
            )
        ]

    def __str__(self) -> str:
        return f"{self.area_id} {self.priority} {self.day}: {self.waiting}"


class QueueHour(QueueCount):
    """QueueDay's counts by the hour of the day as well: with them, "your
    place" counts the people of the person's own day hour by hour, and only
    those of their own hour one by one, however busy the day was."""

    hour = models.PositiveSmallIntegerField()
    ration_card = models.CharField(max_length=9, default="")

    class Meta:
        # The district's place no longer reads the hours (QueueSpan's ten
        # minutes): no index by district (0024).
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "area_id",
                    "doses_received",
                    "priority",
                    "day",
                    "hour",
                    "ration_card",
                    "last_vaccine",
                    "last_dose_date",
                ],
                nulls_distinct=False,
                name="queue_hour_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.area_id} {self.priority} {self.day} {self.hour}h: {self.waiting}"


class QueueSpan(QueueCount):
    """QueueDay's counts without the ration card, in spans of time that do
    not multiply as the queue fills (migration 0024): each block's or town's
    weeks, and each district's weeks, days and ten minutes (`area_id` NULL),
    kept by the same trigger. `span` is its length in minutes; `day` the
    Monday of a week or the day; `minute` the minute of the day a ten minutes
    start at (0 otherwise). A first dose is due for everyone: its rows keep
    no vaccine or day of a first dose.

    The place in the block then sums a few dozen weeks and the days of the
    person's week (QueueDay), and in the district the weeks, the days of the
    person's week and the ten minutes of their day before theirs, however full
    each day is: at 10,000,000 registrations the blocks' days alone were
    thousands of rows a person."""

    WEEK, DAY, TEN_MINUTES = 10080, 1440, 10

    area_id = models.IntegerField(null=True)
    span = models.PositiveSmallIntegerField()
    minute = models.PositiveSmallIntegerField(default=0)

    class Meta:
        constraints = [
            QueueCount.covering_key(
                "queue_span_unique",
                "district_id",
                "area_id",
                "doses_received",
                "span",
                "priority",
                "day",
                "minute",
            )
        ]

    def __str__(self) -> str:
        where = self.area_id or f"district {self.district_id}"
        return f"{where} {self.priority} {self.span}min {self.day} {self.minute}: {self.waiting}"
