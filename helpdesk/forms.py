from django import forms
from django.utils.translation import gettext_lazy as _

from districts.models import District
from registrations import ids
from registrations.models import Registration
from registrations.validators import validate_mobile

from .models import Category, clean_ticket_reference


class MobileField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Mobile number"))
        kwargs.setdefault("max_length", 20)
        super().__init__(**kwargs)
        self.widget.attrs.update(
            {"type": "tel", "inputmode": "tel", "autocomplete": "tel-national"}
        )

    def clean(self, value: str) -> str:
        return validate_mobile(super().clean(value))


class TicketForm(forms.Form):
    mobile = MobileField(help_text=_("We send the ticket reference and our reply here."))
    category = forms.ChoiceField(
        label=_("What is it about?"), choices=Category.choices, widget=forms.RadioSelect
    )
    registration_reference = forms.CharField(
        label=_("Registration reference (if you have one)"),
        required=False,
        max_length=20,
        help_text=_("It is on your slip and in our SMS, like ABC-DEF-GHJ."),
    )
    district = forms.ModelChoiceField(
        label=_("Your district"),
        queryset=District.objects.order_by("name_en"),
        required=False,
        empty_label=_("Choose your district"),
        help_text=_("Not needed when you give a registration reference."),
    )
    description = forms.CharField(
        label=_("What happened?"),
        max_length=1000,
        min_length=10,
        widget=forms.Textarea(attrs={"rows": 5}),
    )

    def clean_registration_reference(self) -> Registration | None:
        typed = self.cleaned_data["registration_reference"].strip()
        if not typed:
            return None
        reference = ids.clean_reference(typed)
        registration = reference and Registration.objects.filter(reference=reference).first()
        if not registration:
            raise forms.ValidationError(
                _(
                    "We could not find a registration with this reference. Check it, or leave it "
                    "empty and choose your district."
                ),
                code="unknown_registration",
            )
        return registration

    def clean(self) -> dict:
        data = super().clean()
        if not data.get("registration_reference") and not data.get("district"):
            if "registration_reference" not in self.errors:
                self.add_error(
                    "district", _("Choose your district, so that the right office sees it.")
                )
        return data


class StatusForm(forms.Form):
    reference = forms.CharField(
        label=_("Ticket reference"), max_length=20, help_text=_("Like T-ABC-DEF-GHJ.")
    )
    mobile = MobileField(help_text=_("The number you gave when you raised the ticket."))

    def clean_reference(self) -> str:
        reference = clean_ticket_reference(self.cleaned_data["reference"])
        if reference is None:
            raise forms.ValidationError(
                _("This is not a ticket reference. Check it against our SMS."), code="reference"
            )
        return reference


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code from the SMS"),
        max_length=8,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )
