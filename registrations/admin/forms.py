from django import forms
from django.utils.translation import gettext_lazy as _

from districts.forms import PlaceModelForm
from districts.models import District
from districts.scoped_admin import scope

from ..forms import PersonForm
from ..models import Registration
from ..validators import mask_aadhaar_numbers, validate_mobile


class AssistedRegistrationForm(PersonForm):
    """The citizen's form, for an official or help desk: the mobile may be
    missing (a reason is then recorded) and only their districts are offered."""

    mobile = forms.CharField(
        label=_("Mobile number"),
        max_length=20,
        required=False,
        help_text=_("The person's own or a family member's. Leave empty if they have none."),
    )
    no_mobile_reason = forms.CharField(
        label=_("Why there is no mobile"), max_length=200, required=False
    )

    field_order = ["mobile", "no_mobile_reason"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        districts = scope(District.objects.all(), user, "pk")
        self.fields["district"].queryset = districts
        self.fields["district"].choices = [("", _("Choose district"))] + sorted(
            ((d.pk, d.name) for d in districts), key=lambda c: c[1]
        )

    def clean_mobile(self) -> str | None:
        typed = self.cleaned_data["mobile"].strip()
        return validate_mobile(typed) if typed else None

    def clean(self) -> dict:
        data = super().clean()
        if not data.get("mobile") and not data.get("no_mobile_reason", "").strip():
            self.add_error("no_mobile_reason", _("Without a mobile, say why (for the record)."))
        return data


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200)


class AllotForm(ReasonForm):
    session = forms.ModelChoiceField(label=_("Session"), queryset=None)
    override_wishes = forms.BooleanField(
        label=_(
            "Allot even where the person asked not to (paused, gave this session up, or "
            "no slot before a later day)"
        ),
        required=False,
    )

    field_order = ["session", "reason", "override_wishes"]

    def __init__(self, *args, sessions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["session"].queryset = sessions
        self.fields["reason"].required = False


class MarkDuplicateForm(ReasonForm):
    duplicate = forms.ModelChoiceField(label=_("Duplicate"), queryset=None)
    original = forms.ModelChoiceField(label=_("Keep"), queryset=None)

    def __init__(self, *args, registrations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["duplicate"].queryset = registrations
        self.fields["original"].queryset = registrations


class RegistrationChangeForm(PlaceModelForm):
    class Meta:
        model = Registration
        fields = (
            "name",
            "gender",
            "birth_year",
            "priority",
            "ration_card",
            "district",
            "area",
            "locality",
            "address_line",
            "pincode",
        )

    def clean_address_line(self) -> str:
        return mask_aadhaar_numbers(self.cleaned_data["address_line"])
