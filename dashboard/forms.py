from django import forms
from django.contrib.auth.models import AbstractBaseUser
from django.utils.translation import gettext_lazy as _

from districts.models import District
from districts.scoping import scope, visible_district_ids

from .report import Filters


class FilterForm(forms.Form):
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    district = forms.TypedChoiceField(label=_("District"), required=False, coerce=int)

    def __init__(self, *args, user: AbstractBaseUser, **kwargs):
        super().__init__(*args, **kwargs)
        districts = [(d.pk, d.name) for d in scope(District.objects.all(), user, path="pk")]
        # Someone who sees one district has nothing to choose.
        everyone = [("", _("All districts"))] if len(districts) != 1 else []
        self.fields["district"].choices = everyone + districts
        self.only_district = districts[0][0] if len(districts) == 1 else None
        self.statewide = visible_district_ids(user) is None

    def clean(self) -> dict:
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            raise forms.ValidationError(_("The start date must not be after the end date."))
        return data

    def filters(self) -> Filters:
        """The filters to apply; the defaults when the form is not valid."""
        data = self.cleaned_data if self.is_valid() else {}
        return Filters(
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            district_id=data.get("district") or self.only_district,
        )
