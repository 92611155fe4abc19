import copy
import datetime
import re

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from districts.models import Area, District, Locality

from .models import Gender, IdType, PriorityGroup, RationCard
from .services import PersonDetails, derive_priority
from .validators import normalise_code, validate_id_number, validate_mobile, validate_pincode


class MobileForm(forms.Form):
    mobile = forms.CharField(
        label=_("Mobile number"),
        max_length=20,
        help_text=_("10 digits. We send a 6-digit code to it by SMS."),
        widget=forms.TextInput(
            attrs={"type": "tel", "inputmode": "numeric", "autocomplete": "tel-national"}
        ),
    )

    def clean_mobile(self) -> str:
        return validate_mobile(self.cleaned_data["mobile"])


class CodeForm(forms.Form):
    # Typed in any script's digits, with a space or dash in the middle: read
    # as its 6 ASCII digits (no pattern attribute, which would refuse ०-९).
    code = forms.CharField(
        label=_("6-digit code from the SMS"),
        max_length=12,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )

    def clean_code(self) -> str:
        code = normalise_code(self.cleaned_data["code"])
        if not re.fullmatch(r"[0-9]{6}", code):
            raise ValidationError(_("The code has 6 digits."))
        return code


class SharedChoicesMixin:
    """For a choice field whose choices are fixed (an enum's): the copy that
    each form makes of the field shares them.
    Django deep-copies them, lazy labels and all, per form, which was a fifth
    of the person form's cost on the registration rush (measured)."""

    def __deepcopy__(self, memo):
        result = copy.copy(self)
        memo[id(self)] = result
        result.widget = copy.copy(self.widget)
        result.widget.attrs = self.widget.attrs.copy()
        result.error_messages = self.error_messages.copy()
        result.validators = self.validators[:]
        return result


class SharedChoiceField(SharedChoicesMixin, forms.ChoiceField):
    pass


class Occupation(SharedChoicesMixin, forms.TypedChoiceField):
    """Only the groups a person can claim; age-based groups are derived."""

    def __init__(self, **kwargs):
        choices = [
            (PriorityGroup.HEALTH_WORKER.value, PriorityGroup.HEALTH_WORKER.label),
            (PriorityGroup.FRONTLINE_WORKER.value, PriorityGroup.FRONTLINE_WORKER.label),
            (PriorityGroup.EVERYONE.value, _("Neither")),
        ]
        super().__init__(choices=choices, coerce=int, **kwargs)


def district_choices() -> list[tuple[int, str]]:
    return sorted(((d.pk, d.name) for d in District.objects.all()), key=lambda c: c[1])


def area_choices(district_id: int | str) -> list[tuple[str, list[tuple[int, str]]]]:
    """Blocks, then towns, each under its heading."""
    areas = Area.objects.filter(district_id=district_id)
    groups = []
    for kind, heading in ((Area.Kind.BLOCK, _("Blocks")), (Area.Kind.TOWN, _("Towns"))):
        options = sorted(((a.pk, a.name) for a in areas if a.kind == kind), key=lambda c: c[1])
        if options:
            groups.append((heading, options))
    return groups


def locality_choices(area_id: int | str) -> list[tuple[int, str]]:
    return [(loc.pk, str(loc)) for loc in Locality.objects.filter(area_id=area_id)]


class PlaceField(forms.ModelChoiceField):
    """One step of the place cascade, read as an id without a query: whether
    the three places fit together is decided when the row is written (by the
    database's composite keys on PostgreSQL), and a misfit comes back as a
    message for this field. Only a form that narrows the queryset (an
    official's districts) has it checked here."""

    def to_python(self, value) -> int | None:
        if value in self.empty_values:
            return None
        narrowed = self.queryset is not None
        if not str(value).isdigit() or (narrowed and not self.queryset.filter(pk=value).exists()):
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return int(value)


def _cascade_field(label, empty_label, invalid) -> PlaceField:
    return PlaceField(
        label=label,
        queryset=None,
        empty_label=empty_label,
        error_messages={"invalid_choice": invalid},
    )


RETYPE_ID_MESSAGE = _(
    "For your safety the ID number is not shown again on this page: please type it again."
)


class _UnshownBoundField(forms.BoundField):
    def value(self):
        # The page that sends a form back with a problem never carries the
        # whole ID number (not in the page, the browser's history or a proxy).
        if self.form.is_bound and self.form.errors:
            return None
        return super().value()


class IdNumberField(forms.CharField):
    """An ID number field that a refused form leaves empty."""

    def get_bound_field(self, form, field_name) -> forms.BoundField:
        return _UnshownBoundField(form, self, field_name)


class PersonForm(forms.Form):
    """One person; district, block or town and village or ward form a cascade
    whose choices narrow as the earlier ones are picked."""

    name = forms.CharField(label=_("Full name, as on the ID"), max_length=100)
    gender = SharedChoiceField(label=_("Gender"), choices=Gender.choices, widget=forms.RadioSelect)
    birth_year = forms.IntegerField(
        label=_("Year of birth"),
        min_value=1900,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    id_type = SharedChoiceField(label=_("Photo ID"), choices=IdType.choices)
    id_number = IdNumberField(
        label=_("ID number"),
        max_length=30,
        help_text=_("We keep only the last 4 characters; the full number is never shown again."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )
    occupation = Occupation(
        label=_("Do you work in health care or on the front line?"),
        initial=PriorityGroup.EVERYONE.value,
        help_text=_("Front line: police, home guards, sanitation, revenue and panchayat staff."),
    )
    long_term_illness = forms.BooleanField(
        label=_("I have a long-term illness (diabetes, heart, kidney, lung disease, cancer)"),
        required=False,
        help_text=_("Counts for people aged 45 or over. People 60 or over come first anyway."),
    )
    # Asked of everyone: a state's quota policy may keep seats by card type.
    ration_card = SharedChoiceField(
        label=_("Ration card"),
        choices=RationCard.choices,
        widget=forms.RadioSelect,
        help_text=_(
            "The type of ration card the person's family holds. Some seats may be kept for "
            "each type: bring the card to the centre."
        ),
        error_messages={"required": _("Choose the type of ration card, or No ration card.")},
    )
    district = _cascade_field(
        _("District"), _("Choose district"), _("Please choose a district from the list.")
    )
    area = _cascade_field(
        _("Block or town"),
        _("Choose block or town"),
        _("Please choose a block or town in the district you picked."),
    )
    locality = _cascade_field(
        _("Village or ward"),
        _("Choose village or ward"),
        _("Please choose a village or ward in the block or town you picked."),
    )
    address_line = forms.CharField(label=_("House and street"), max_length=200, required=False)
    pincode = forms.CharField(
        label=_("PIN code"),
        max_length=6,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._retype_noted = False
        # Choices are callables: built only when the form is drawn, so a valid
        # submission (validated against the querysets) never pays for them.
        self.fields["district"].choices = lambda: [("", _("Choose district")), *district_choices()]
        district_id = self._picked("district")
        area_id = self._picked("area") if district_id else None
        self.fields["area"].choices = lambda: [
            ("", _("Choose block or town")),
            *(area_choices(district_id) if district_id else []),
        ]
        self.fields["locality"].choices = lambda: [
            ("", _("Choose village or ward")),
            *(locality_choices(area_id) if area_id else []),
        ]

    def _picked(self, name: str) -> str | None:
        value = self.data.get(name) if self.is_bound else self.initial.get(name)
        return str(value) if value and str(value).isdigit() else None

    def full_clean(self) -> None:
        self._cleaning = True
        try:
            super().full_clean()
        finally:
            self._cleaning = False
        self._note_retype()

    def add_error(self, field, error) -> None:
        super().add_error(field, error)
        if not getattr(self, "_cleaning", False):
            self._note_retype()  # a refusal after is_valid() (the database said no)

    def _note_retype(self) -> None:
        """Any refusal empties the ID number (IdNumberField): say so once, by
        it. Added after cleaning, so the number typed is still checked and a
        problem with it is told now, not after it is typed again."""
        if self._retype_noted or not self._errors or not self.data.get("id_number", "").strip():
            return
        self._retype_noted = True
        if "id_number" not in self._errors:
            self._errors["id_number"] = self.error_class(
                renderer=self.renderer, field_id=self["id_number"].auto_id
            )
        self._errors["id_number"].append(ValidationError(RETYPE_ID_MESSAGE))

    def clean_birth_year(self) -> int:
        year = self.cleaned_data["birth_year"]
        if year > timezone.localdate().year - settings.TEEKA_MIN_AGE:
            raise ValidationError(
                _("Vaccination is open to people aged %(age)d or over.")
                % {"age": settings.TEEKA_MIN_AGE}
            )
        return year

    def clean_pincode(self) -> str:
        return validate_pincode(self.cleaned_data["pincode"])

    def clean(self) -> dict:
        data = super().clean()
        if data.get("id_type") and data.get("id_number"):
            try:
                data["id_number"] = validate_id_number(data["id_type"], data["id_number"])
            except ValidationError as error:
                self.add_error("id_number", error)
        return data

    def details(self) -> PersonDetails:
        data = self.cleaned_data
        return PersonDetails(
            name=data["name"],
            gender=data["gender"],
            birth_year=data["birth_year"],
            id_type=data["id_type"],
            id_number=data["id_number"],
            priority=derive_priority(
                occupation=data["occupation"],
                birth_year=data["birth_year"],
                long_term_illness=data["long_term_illness"],
            ),
            district_id=data["district"],
            area_id=data["area"],
            locality_id=data["locality"],
            address_line=data["address_line"],
            pincode=data["pincode"],
            ration_card=data["ration_card"],
        )


class WithdrawForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("Yes, take this person out of the queue for good"),
        required=True,
        error_messages={"required": _("Tick the box to confirm.")},
    )


class CancelChoice(models.TextChoices):
    ANOTHER_DATE = "another_date", _("Another date")
    PAUSE = "pause", _("Pause")
    WITHDRAW = "withdraw", _("Withdraw")


# Each choice in plain words, under its name.
CANCEL_CHOICE_HELP = {
    CancelChoice.ANOTHER_DATE: _(
        "I cannot come that day. Keep my place in the queue and give me a slot on another "
        "date. This session will not be offered to me again."
    ),
    CancelChoice.PAUSE: _(
        "Keep my place in the queue, but give me no slot until I press Resume on this page "
        "(or ask the helpline)."
    ),
    CancelChoice.WITHDRAW: _("Take this person out of the queue for good."),
}


class CancelForm(forms.Form):
    choice = forms.ChoiceField(
        label=_("What would you like?"),
        choices=CancelChoice.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose one of the three.")},
    )
    not_before = forms.DateField(
        label=_("No slot before (optional)"),
        required=False,
        help_text=_("Only for another date: the first day you can come."),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("Type the date as day-month-year, for example 25-12-2026.")},
    )

    def choices_with_help(self) -> list[tuple]:
        return [(radio, CANCEL_CHOICE_HELP[radio.data["value"]]) for radio in self["choice"]]

    def clean_not_before(self) -> datetime.date | None:
        day = self.cleaned_data["not_before"]
        today = timezone.localdate()
        if day is not None and day <= today:
            raise ValidationError(_("Choose a day after today, or leave it empty."))
        if day is not None and day > today + datetime.timedelta(days=365):
            raise ValidationError(_("Choose a day within a year, or pause instead."))
        return day
