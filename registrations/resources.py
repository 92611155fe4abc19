"""Import of the districts' paper lists, and exports with masked IDs and mobiles.

Import rows become the registration register_person() makes for the citizen
flow (services.new_person), so the same dedupe and eligibility rules apply;
a paper list in the background is checked and written set-based
(registrations.import_plan), the library's import_data row by row only to
name a row the database refused. A row whose ID is already registered (or
appears earlier in the file) is skipped and reported, not imported twice.
"""

import datetime
import functools
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import DatabaseError
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from import_export import fields, resources

from districts.lookup import LocalityIndex, closest_localities
from districts.models import Area, District, Locality
from districts.scoping import visible_district_ids

from . import ids
from .models import Account, IdType, PriorityGroup, RationCard, Registration, mask_mobile
from .services import PersonDetails, RegistrationRefused, derive_priority, register_person
from .validators import validate_id_number, validate_mobile, validate_pincode

RATION_CARD_WORDS = {
    "aay": RationCard.ANTYODAYA,
    "अंत्योदय": RationCard.ANTYODAYA,
    "बीपीएल": RationCard.BPL,
    "एपीएल": RationCard.APL,
    "कोई नहीं": RationCard.NONE,
    "नहीं": RationCard.NONE,
}
GENDER_WORDS = {
    "f": "F",
    "female": "F",
    "woman": "F",
    "महिला": "F",
    "स्त्री": "F",
    "m": "M",
    "male": "M",
    "man": "M",
    "पुरुष": "M",
    "o": "O",
    "other": "O",
    "अन्य": "O",
}
ID_TYPE_WORDS = {
    "epic": IdType.VOTER,
    "voter id": IdType.VOTER,
    "aadhar": IdType.AADHAAR,
    "driving licence": IdType.DRIVING,
    "dl": IdType.DRIVING,
}
DATE_FORMATS = ("%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y", "%d.%m.%Y")


def _text(row: dict, column: str) -> str:
    value = row.get(column)
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def id_type_of(typed: str) -> str | None:
    return _id_type_of(typed, translation.get_language())


@functools.lru_cache(maxsize=256)
def _id_type_of(typed: str, language: str | None) -> str | None:
    # A list of thousands of rows names a few types: each spelling is looked
    # up once per language (the labels are translated).
    words = {c: str(label).lower() for c, label in IdType.choices}
    found = (c for c, label in words.items() if typed.upper() == c or typed.lower() == label)
    return ID_TYPE_WORDS.get(typed.lower()) or next(found, None)


# An ID cell once masked: MASKED + "<last 4>:<keyed hash>", or MASKED + "!"
# + why the number was refused (the number itself is gone either way).
MASKED = "#masked:"


def standard_header(header: object) -> str:
    """The column a header names: "id_number / फ़ोटो पहचान संख्या" (the
    template's) and " ID Number " both read as "id_number"."""
    english = str(header or "").split(" / ")[0]
    return "_".join(english.strip().lower().split())


def mask_cell(typed_type: str, typed_number: str) -> str:
    """What an import keeps of a typed ID number: the keyed hash and last 4,
    or why it was refused; the number itself is gone either way."""
    id_type = id_type_of(typed_type)
    if id_type is None:
        return f"{MASKED}!"  # the unknown ID type is what the row is told
    try:
        keyed = ids.KeyedId.of(id_type, validate_id_number(id_type, typed_number))
    except ValidationError as error:
        return f"{MASKED}!{' '.join(error.messages)}"
    return f"{MASKED}{keyed.last4}:{keyed.id_hash}"


def last4_shown(cell: str) -> str:
    if cell.startswith(MASKED):
        last4, _sep, id_hash = cell[len(MASKED) :].partition(":")
        return last4 if id_hash else ""
    return ids.id_last4(cell)


def _unmask(cell: str, problems: "RowProblems") -> ids.KeyedId | None:
    body = cell[len(MASKED) :]
    last4, _sep, id_hash = body.partition(":")
    if body.startswith("!") or not id_hash:
        problems.add("id_number", body[1:] or _("The ID number is missing."))
        return None
    return ids.KeyedId(id_hash, last4)


class RowProblems:
    """Collects what is wrong with one row, column by column."""

    def __init__(self) -> None:
        self.errors: dict[str, list[str]] = {}

    def add(self, column: str, message: str) -> None:
        self.errors.setdefault(column, []).append(str(message))

    def raise_if_any(self) -> None:
        if self.errors:
            raise ValidationError(self.errors)


@dataclass
class RowRead:
    """A row as the import read it: its spreadsheet row, the person, their
    mobile, the list's date, and why the row is skipped (a duplicate), if it is."""

    line: int
    details: PersonDetails
    mobile: str | None
    registered_at: datetime.datetime | None
    no_mobile_reason: str
    duplicate_reason: str | None


class RegistrationImportResource(resources.ModelResource):
    name = fields.Field(attribute="name", column_name="name")
    gender = fields.Field(attribute="gender", column_name="gender")
    birth_year = fields.Field(attribute="birth_year", column_name="birth_year")
    id_type = fields.Field(attribute="id_type", column_name="id_type")
    id_number = fields.Field(attribute="id_last4", column_name="id_number")
    mobile = fields.Field(column_name="mobile")
    no_mobile_reason = fields.Field(attribute="no_mobile_reason", column_name="no_mobile_reason")
    priority = fields.Field(attribute="priority", column_name="priority")
    ration_card = fields.Field(attribute="ration_card", column_name="ration_card")
    district = fields.Field(attribute="district__name_en", column_name="district")
    block_or_town = fields.Field(attribute="area__name_en", column_name="block_or_town")
    village_or_ward = fields.Field(attribute="locality__name", column_name="village_or_ward")
    address = fields.Field(attribute="address_line", column_name="address")
    pincode = fields.Field(attribute="pincode", column_name="pincode")
    registered_on = fields.Field(attribute="registered_at", column_name="registered_on")

    class Meta:
        model = Registration
        fields = (
            "name",
            "gender",
            "birth_year",
            "id_type",
            "id_number",
            "mobile",
            "no_mobile_reason",
            "priority",
            "ration_card",
            "district",
            "block_or_town",
            "village_or_ward",
            "address",
            "pincode",
            "registered_on",
        )
        import_id_fields = ()
        # Row by row, each through register_person() (the library's bulk mode
        # would skip its rules); registrations.import_plan is the set-based path.
        use_bulk = False
        skip_unchanged = False
        report_skipped = True
        # No before/after table of each row: a list of 50,000 rows would keep
        # 50,000 of them, and an import only ever adds people.
        skip_diff = True

    def __init__(
        self, *, user=None, lines: list[int] | None = None, on_row=None, fast=False, **kwargs
    ) -> None:
        super().__init__(**kwargs)
        self.user = user
        # The spreadsheet row of each data row, when blank rows were left out
        # (registrations.import_jobs); else data row n is row n + 1.
        self.lines = lines
        # Called with each row's result: the background import's progress.
        self.on_row = on_row
        # fast: rows are written without a savepoint each (the caller's one
        # transaction is rolled back whole if any row is refused); the first
        # refusal by the database stops the pass (aborted), and the caller
        # runs the list again the slow way to tell every refused row.
        self.fast, self.aborted = fast, False
        # Looked up once per import, not once per row: the official's
        # districts, each typed district and block, the accounts used, and
        # which of the list's IDs are registered already (before_import).
        self._allowed: set[int] | None | bool = False
        self._districts: dict[str, District | None] = {}
        self._areas: dict[tuple[int, str], list[Area]] = {}
        self._accounts: dict[str, Account] = {}
        self._existing: dict[tuple[str, str], Registration] | None = None
        self.seen_ids: dict[tuple[str, str], int] = {}
        # (file line, reason) for rows skipped as duplicates, for the preview.
        self.skipped: list[tuple[int, str]] = []
        self._place_indexes: dict[int, LocalityIndex] = {}
        self._mobiles: dict[str, tuple[str | None, str]] = {}
        self._priorities: dict[tuple[str, int | None], tuple[int, str]] = {}

    # import_export hooks -----------------------------------------------------

    def get_import_id_fields(self) -> list:
        return []

    def get_or_init_instance(self, instance_loader, row):
        return Registration(), True

    def before_import(self, dataset, **kwargs) -> None:
        """Which of the list's ID numbers are registered already: one query
        per few thousand rows instead of one a row. A person registered after
        this still cannot be registered twice (the unique constraint), and is
        refused by name."""
        self.load_existing(dataset.headers or [], dataset)

    def load_existing(self, headers: list[str], rows: Iterable) -> None:
        """before_import, for a caller that reads the rows itself
        (registrations.import_plan)."""
        if "id_number" not in headers:
            return
        type_column = headers.index("id_type") if "id_type" in headers else None
        number_column = headers.index("id_number")
        wanted: dict[str, set[str]] = {}
        for values in rows:
            cell = values[number_column]
            if type_column is None or not isinstance(cell, str) or not cell.startswith(MASKED):
                continue
            id_type = id_type_of(str(values[type_column] or "").strip())
            id_hash = cell[len(MASKED) :].partition(":")[2]
            if id_type and id_hash:
                wanted.setdefault(id_type, set()).add(id_hash)
        self._existing = {}
        for id_type, hashes in wanted.items():
            hashes = sorted(hashes)
            for start in range(0, len(hashes), 5000):
                found = Registration.objects.filter(
                    id_type=id_type, id_hash__in=hashes[start : start + 5000]
                )
                self._existing.update({(r.id_type, r.id_hash): r for r in found})

    def import_row(self, row, instance_loader, **kwargs):
        if self.aborted:
            return self.get_row_result_class()()  # this pass is given up
        result = super().import_row(row, instance_loader, **kwargs)
        if self.on_row is not None:
            self.on_row(result)
        return result

    def line_of(self, row_number: int) -> int:
        """The spreadsheet's row number of the dataset's `row_number` (from 1)."""
        return self.lines[row_number - 1] if self.lines else row_number + 1

    def import_instance(self, instance: Registration, row: dict, **kwargs) -> None:
        # The header is row 1 of the spreadsheet, so data row n is row n + 1:
        # every message numbers rows so (the preview's table too).
        instance._import_line = self.line_of(kwargs.get("row_number", 0))
        read = self.read_row(row, kwargs.get("row_number", 0))
        details = read.details
        instance.name, instance.birth_year = details.name, details.birth_year
        instance.gender, instance.priority = details.gender, details.priority
        instance.district_id, instance.area_id = details.district_id, details.area_id
        instance.locality_id = details.locality_id
        instance.address_line, instance.pincode = details.address_line, details.pincode
        instance.ration_card = details.ration_card
        instance.set_id_number(details.id_type, details.id_number)
        instance.no_mobile_reason = read.no_mobile_reason
        instance._import = (details, read.mobile, read.registered_at)
        instance._duplicate_reason = read.duplicate_reason

    def read_row(self, row: dict, row_number: int) -> "RowRead":
        """One row as the import reads it; ValidationError (by column) if
        anything in it is wrong."""
        line = self.line_of(row_number)
        problems = RowProblems()
        details = self._details(row, problems)
        mobile = self._mobile(row, problems)
        registered_at = self._registered_on(row, problems)
        problems.raise_if_any()
        number = details.id_number
        if not isinstance(number, ids.KeyedId):
            number = ids.KeyedId.of(details.id_type, number)
        return RowRead(
            line=line,
            details=details,
            mobile=mobile,
            registered_at=registered_at,
            no_mobile_reason="" if mobile else self._no_mobile_reason(row),
            duplicate_reason=self._duplicate_reason((details.id_type, number.id_hash), line),
        )

    def skip_row(self, instance, original, row, import_validation_errors=None) -> bool:
        reason = getattr(instance, "_duplicate_reason", None)
        if reason and not import_validation_errors:
            self.skipped.append((instance._import_line, reason))
            return True
        return False

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        # register_person() and the database check the row; full_clean()
        # would only repeat it without the citizen flow's messages.
        if import_validation_errors:
            raise ValidationError(import_validation_errors)

    def save_instance(self, instance: Registration, is_create: bool, row, **kwargs) -> None:
        details, mobile, registered_at = instance._import
        try:
            saved = register_person(
                account=self._account(mobile) if mobile else None,
                details=details,
                by=self.user,
                no_mobile_reason=instance.no_mobile_reason,
                # The paper list's date keeps the person's place in the queue.
                registered_at=registered_at,
                reason=_("Imported from a paper list"),
                savepoint=not self.fast,
            )
        except RegistrationRefused as refusal:
            raise ValidationError(refusal.message) from None
        except DatabaseError:
            if self.fast:
                self.aborted = True
            raise
        instance.pk, instance.reference = saved.pk, saved.reference

    def _account(self, mobile: str) -> Account:
        # A family's rows share a mobile: its account is found once, by one
        # statement (INSERT ... ON CONFLICT) that needs no savepoint even when
        # a citizen signs up with the number meanwhile.
        if mobile not in self._accounts:
            account = Account(mobile=mobile)
            Account.objects.bulk_create(
                [account], update_conflicts=True, unique_fields=["mobile"], update_fields=["mobile"]
            )
            self._accounts[mobile] = account
        return self._accounts[mobile]

    # Reading one row ---------------------------------------------------------

    def _details(self, row: dict, problems: RowProblems) -> PersonDetails:
        name = " ".join(_text(row, "name").split())
        if not name:
            problems.add("name", _("The name is missing."))
        gender = GENDER_WORDS.get(_text(row, "gender").lower())
        if gender is None:
            problems.add("gender", _("Gender must be F, M or O (female, male, other)."))
        birth_year = self._birth_year(row, problems)
        id_type, id_number = self._id(row, problems)
        district = self._district(row, problems)
        area = self._area(row, district, problems) if district else None
        locality = self._locality(row, area, problems) if area else None
        pincode = self._pincode(row, problems)
        priority = self._priority(row, birth_year, problems)
        return PersonDetails(
            name=name,
            gender=gender or "",
            birth_year=birth_year or 0,
            id_type=id_type or "",
            id_number=id_number or "",
            priority=priority,
            district_id=district.pk if district else 0,
            area_id=area.pk if area else 0,
            locality_id=locality.pk if locality else 0,
            address_line=_text(row, "address")[:200],
            pincode=pincode,
            ration_card=self._ration_card(row, problems),
        )

    def _birth_year(self, row: dict, problems: RowProblems) -> int | None:
        text = _text(row, "birth_year")
        this_year = timezone.localdate().year
        if not text.isdigit() or not 1900 <= int(text) <= this_year:
            problems.add("birth_year", _("The year of birth must be 4 digits, like 1975."))
            return None
        return int(text)

    def _id(self, row: dict, problems: RowProblems) -> tuple[str | None, str | None]:
        number = _text(row, "id_number")
        if number:
            # The preview shows a refused row's cells as read: never the whole
            # number (django-import-export keeps this very dict for it).
            row["id_number"] = "••••" + last4_shown(number)
        id_type = id_type_of(_text(row, "id_type"))
        if id_type is None:
            problems.add(
                "id_type",
                _("Unknown photo ID type: use one of %(types)s.")
                % {"types": ", ".join(IdType.values)},
            )
            return None, None
        if number.startswith(MASKED):  # the admin's preview masked the file as it read it
            return id_type, _unmask(number, problems)
        try:
            return id_type, validate_id_number(id_type, number)
        except ValidationError as error:
            problems.add("id_number", " ".join(error.messages))
            return id_type, None

    def _district(self, row: dict, problems: RowProblems) -> District | None:
        if self._allowed is False:
            self._allowed = visible_district_ids(self.user)
        allowed = self._allowed
        typed = _text(row, "district")
        if typed not in self._districts:
            districts = (
                District.objects.all()
                if allowed is None
                else District.objects.filter(pk__in=allowed)
            )
            if not typed and len(allowed or ()) == 1:
                self._districts[typed] = districts.first()
            else:
                self._districts[typed] = districts.filter(
                    Q(name_en__iexact=typed)
                    | Q(name_hi=typed)
                    | Q(lgd_code=int(typed) if typed.isdigit() else -1)
                ).first()
        match = self._districts[typed]
        if match is None:
            problems.add(
                "district", _("“%(name)s” is not a district you can import into.") % {"name": typed}
            )
        return match

    def _area(self, row: dict, district: District, problems: RowProblems) -> Area | None:
        typed = _text(row, "block_or_town")
        number = int(typed) if typed.isdigit() else -1
        if (district.pk, typed) not in self._areas:
            self._areas[district.pk, typed] = list(
                district.areas.filter(
                    Q(name_en__iexact=typed) | Q(name_hi=typed) | Q(lgd_code=number)
                )
            )
        matches = self._areas[district.pk, typed]
        if len(matches) > 1:
            # A block and a town of one name: the village or ward tells them apart.
            village = _text(row, "village_or_ward")
            found_in = [a for a in matches if self._places(a).find(village).locality]
            if village and not found_in:
                self._no_such_place(village, matches, problems)
                return None
            matches = found_in
        if len(matches) == 1:
            return matches[0]
        if matches:
            problems.add(
                "block_or_town",
                _("“%(name)s” is both a block and a town: write its LGD code.") % {"name": typed},
            )
        else:
            problems.add(
                "block_or_town",
                _("There is no block or town “%(name)s” in %(district)s.")
                % {"name": typed, "district": district},
            )
        return None

    def _places(self, area: Area) -> LocalityIndex:
        # One index per block or town for the whole file: a list of
        # thousands of rows names a few dozen places.
        if area.pk not in self._place_indexes:
            self._place_indexes[area.pk] = LocalityIndex(area)
        return self._place_indexes[area.pk]

    def _locality(self, row: dict, area: Area, problems: RowProblems) -> Locality | None:
        typed = _text(row, "village_or_ward")
        places = self._places(area)
        found = places.find(typed)
        if found.locality:
            return found.locality
        if found.several:
            problems.add(
                "village_or_ward",
                _(
                    "Several villages are called “%(name)s”: add the gram panchayat "
                    "in brackets, like “%(example)s”."
                )
                % {"name": typed, "example": str(found.several[0])},
            )
            return None
        self._no_such_place(typed, [area], problems)
        return None

    def _no_such_place(self, typed: str, areas: list[Area], problems: RowProblems) -> None:
        nearest = "”, “".join(str(loc) for loc in closest_localities(areas, typed))
        problems.add(
            "village_or_ward",
            _("There is no village or ward “%(name)s” in %(area)s. Nearest: “%(closest)s”.")
            % {"name": typed, "area": _(" or ").join(str(a) for a in areas), "closest": nearest},
        )

    def _pincode(self, row: dict, problems: RowProblems) -> str:
        try:
            return validate_pincode(_text(row, "pincode"))
        except ValidationError as error:
            problems.add("pincode", " ".join(error.messages))
            return ""

    def _ration_card(self, row: dict, problems: RowProblems) -> str:
        """A code or its Hindi word; an empty cell: not asked (an old list)."""
        typed = _text(row, "ration_card").lower()
        card = RATION_CARD_WORDS.get(typed, typed if typed in RationCard.values else None)
        if typed and card is None:
            problems.add(
                "ration_card",
                _("Unknown ration card: use one of %(cards)s, or leave it empty.")
                % {"cards": ", ".join(RationCard.values)},
            )
        return card or ""

    def _priority(self, row: dict, birth_year: int | None, problems: RowProblems) -> int:
        typed = _text(row, "priority") or str(PriorityGroup.EVERYONE.value)
        # A list repeats a few groups and years of birth: each pair once.
        if (typed, birth_year) not in self._priorities:
            self._priorities[typed, birth_year] = self._priority_of(typed, birth_year)
        priority, refused = self._priorities[typed, birth_year]
        if refused:
            problems.add("priority", refused)
        return priority

    def _priority_of(self, typed: str, birth_year: int | None) -> tuple[int, str]:
        if not typed.isdigit() or int(typed) not in PriorityGroup.values:
            refused = _("The priority group must be a number from 1 to 5.")
            return PriorityGroup.EVERYONE, refused
        claimed = int(typed)
        # Age groups follow the year of birth, as in the citizen flow.
        priority = derive_priority(
            occupation=claimed
            if claimed <= PriorityGroup.FRONTLINE_WORKER
            else PriorityGroup.EVERYONE,
            birth_year=birth_year or timezone.localdate().year,
            long_term_illness=claimed == PriorityGroup.AGED_45_COMORBID,
        )
        return priority, ""

    def _mobile(self, row: dict, problems: RowProblems) -> str | None:
        typed = _text(row, "mobile")
        if not typed:
            return None
        # A family's rows repeat their number, and reading one is most of a
        # row's parsing (phonenumbers): each is read once per import.
        if typed not in self._mobiles:
            self._mobiles[typed] = _read_mobile(typed)
        mobile, refused = self._mobiles[typed]
        if refused:
            problems.add("mobile", refused)
        return mobile

    def _no_mobile_reason(self, row: dict) -> str:
        return _text(row, "no_mobile_reason")[:200] or _(
            "Registered from a paper list without a mobile number"
        )

    def _registered_on(self, row: dict, problems: RowProblems) -> datetime.datetime | None:
        value = row.get("registered_on")
        if value in (None, ""):
            return None
        day = value.date() if isinstance(value, datetime.datetime) else value
        if not isinstance(day, datetime.date):
            day = _read_date(str(value).strip())
        if day is None or day > timezone.localdate():
            problems.add(
                "registered_on",
                _("The registration date must be a past date, day/month/year, like 01/05/2021."),
            )
            return None
        return timezone.make_aware(datetime.datetime.combine(day, datetime.time(9, 0)))

    def _duplicate_reason(self, key: tuple[str, str], line: int) -> str | None:
        if key in self.seen_ids:
            return _("Row %(line)d: the same ID is on row %(first)d of this file; skipped.") % {
                "line": line,
                "first": self.seen_ids[key],
            }
        if self._existing is None:
            existing = Registration.objects.filter(id_type=key[0], id_hash=key[1]).first()
        else:
            existing = self._existing.get(key)
        if existing is not None:
            return _(
                "Row %(line)d: this ID is already registered as %(ref)s (%(status)s); skipped."
            ) % {
                "line": line,
                "ref": existing.display_reference,
                "status": existing.get_status_display(),
            }
        self.seen_ids[key] = line
        return None


def _read_mobile(typed: str) -> tuple[str | None, str]:
    """The mobile, or why it is refused."""
    try:
        return validate_mobile(typed), ""
    except ValidationError as error:
        return None, " ".join(error.messages)


@functools.lru_cache(maxsize=4096)
def _read_date(text: str) -> datetime.date | None:
    """A typed day in any of DATE_FORMATS; a list repeats a few hundred days."""
    return next((d for f in DATE_FORMATS if (d := _parse_date(text, f))), None)


def _parse_date(text: str, fmt: str) -> datetime.date | None:
    try:
        return datetime.datetime.strptime(text, fmt).date()
    except ValueError:
        return None


class RegistrationExportResource(resources.ModelResource):
    """What leaves the portal: references and masks, never a whole ID or mobile."""

    reference = fields.Field(column_name="reference")
    name = fields.Field(attribute="name", column_name="name")
    gender = fields.Field(attribute="gender", column_name="gender")
    birth_year = fields.Field(attribute="birth_year", column_name="birth_year")
    photo_id = fields.Field(column_name="photo_id")
    mobile = fields.Field(column_name="mobile")
    priority = fields.Field(column_name="priority")
    district = fields.Field(attribute="district__name_en", column_name="district")
    block_or_town = fields.Field(attribute="area__name_en", column_name="block_or_town")
    village_or_ward = fields.Field(attribute="locality__name", column_name="village_or_ward")
    status = fields.Field(column_name="status")
    doses_received = fields.Field(attribute="doses_received", column_name="doses_received")
    registered_at = fields.Field(attribute="registered_at", column_name="registered_at")

    class Meta:
        model = Registration
        fields = (
            "reference",
            "name",
            "gender",
            "birth_year",
            "photo_id",
            "mobile",
            "priority",
            "district",
            "block_or_town",
            "village_or_ward",
            "status",
            "doses_received",
            "registered_at",
        )

    def __init__(self, **kwargs) -> None:
        super().__init__()

    def dehydrate_reference(self, obj: Registration) -> str:
        return ids.format_reference(obj.reference)

    def dehydrate_photo_id(self, obj: Registration) -> str:
        return obj.masked_id()

    def dehydrate_mobile(self, obj: Registration) -> str:
        return mask_mobile(str(obj.account.mobile)) if obj.account_id else ""

    def dehydrate_priority(self, obj: Registration) -> str:
        return str(obj.get_priority_display())

    def dehydrate_status(self, obj: Registration) -> str:
        return str(obj.get_status_display())

    def dehydrate_registered_at(self, obj: Registration) -> str:
        return timezone.localtime(obj.registered_at).strftime("%Y-%m-%d %H:%M")
