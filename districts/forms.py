from django import forms
from django.utils.translation import gettext_lazy as _


class PlaceFormMixin:
    """For model forms with district, area and locality fields: says which one
    does not belong, next to the field, before the database refuses it (the
    composite keys are the last line, and the only one on SQLite's side)."""

    def clean(self) -> dict:
        data = super().clean()
        district, area, locality = data.get("district"), data.get("area"), data.get("locality")
        if district and area and area.district_id != district.pk:
            self.add_error("area", _("This block or town is not in the chosen district."))
        if area and locality and locality.area_id != area.pk:
            self.add_error(
                "locality", _("This village or ward is not in the chosen block or town.")
            )
        return data


class PlaceModelForm(PlaceFormMixin, forms.ModelForm):
    pass
