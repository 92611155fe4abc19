"""Officials' forms for centres and sessions (the admin uses them)."""

import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from districts.forms import PlaceModelForm

from .models import Centre, Session, Vaccine

WEEKDAYS = [
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
]
MAX_PLAN_DAYS = 31


class WeekPlanForm(forms.Form):
    """Sessions for many centres and days in one go."""

    centres = forms.ModelMultipleChoiceField(
        label=_("Centres"), queryset=Centre.objects.none(), widget=forms.CheckboxSelectMultiple
    )
    first_day = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    last_day = forms.DateField(label=_("Until"), widget=forms.DateInput(attrs={"type": "date"}))
    weekdays = forms.TypedMultipleChoiceField(
        label=_("On these days"),
        choices=WEEKDAYS,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        initial=[0, 1, 2, 3, 4, 5],
    )
    vaccine = forms.ChoiceField(
        label=_("Vaccine"),
        choices=Vaccine.choices,
        help_text=_("For every centre, unless another is chosen for it below."),
    )
    dose = forms.TypedChoiceField(
        label=_("Dose"), choices=[(1, _("Dose 1")), (2, _("Dose 2"))], coerce=int
    )
    min_age = forms.IntegerField(label=_("Minimum age"), min_value=18, max_value=120, initial=18)
    max_age = forms.IntegerField(
        label=_("Maximum age"), min_value=18, max_value=120, required=False
    )
    capacity = forms.IntegerField(
        label=_("Capacity per day"),
        min_value=1,
        max_value=5000,
        help_text=_("For every centre, unless another is given for it below."),
    )
    start_time = forms.TimeField(
        label=_("From (time)"),
        initial=datetime.time(9, 0),
        widget=forms.TimeInput(attrs={"type": "time"}),
    )
    end_time = forms.TimeField(
        label=_("Until (time)"),
        initial=datetime.time(17, 0),
        widget=forms.TimeInput(attrs={"type": "time"}),
    )
    publish = forms.BooleanField(
        label=_("Publish now (the allocator fills them)"), required=False, initial=True
    )

    def __init__(self, *args, centres, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["centres"].queryset = centres
        # Each centre may differ from the plan's capacity and vaccine: a PHC
        # and a district hospital do not vaccinate as many in a day.
        self.centre_list = list(centres)
        for centre in self.centre_list:
            self.fields[f"capacity_{centre.pk}"] = forms.IntegerField(
                label=_("Capacity at %(centre)s") % {"centre": centre.name},
                min_value=1,
                max_value=5000,
                required=False,
            )
            self.fields[f"vaccine_{centre.pk}"] = forms.ChoiceField(
                label=_("Vaccine at %(centre)s") % {"centre": centre.name},
                choices=[("", _("as above")), *Vaccine.choices],
                required=False,
            )

    def common_fields(self) -> list[forms.BoundField]:
        """The plan's own fields, without the centres and their own values."""
        per_centre = ("centres", "capacity_", "vaccine_")
        return [self[name] for name in self.fields if not name.startswith(per_centre)]

    def centre_rows(self) -> list[tuple]:
        """For each centre: its tick box, its capacity and its vaccine."""
        boxes = {str(box.data["value"]): box for box in self["centres"]}
        return [
            (boxes[str(c.pk)], self[f"capacity_{c.pk}"], self[f"vaccine_{c.pk}"])
            for c in self.centre_list
        ]

    def clean(self) -> dict:
        data = super().clean()
        first, last = data.get("first_day"), data.get("last_day")
        if first and first < timezone.localdate():
            self.add_error("first_day", _("Sessions cannot be planned in the past."))
        if first and last and not 0 <= (last - first).days < MAX_PLAN_DAYS:
            self.add_error(
                "last_day",
                _("Plan at most %(n)d days, ending on or after the first.") % {"n": MAX_PLAN_DAYS},
            )
        if data.get("max_age") and data.get("min_age") and data["max_age"] < data["min_age"]:
            self.add_error("max_age", _("The maximum age is below the minimum age."))
        if (
            data.get("start_time")
            and data.get("end_time")
            and data["end_time"] <= data["start_time"]
        ):
            self.add_error("end_time", _("The session must end after it starts."))
        return data

    def days(self) -> list[datetime.date]:
        data = self.cleaned_data
        span = (data["last_day"] - data["first_day"]).days + 1
        every = (data["first_day"] + datetime.timedelta(n) for n in range(span))
        return [day for day in every if day.weekday() in data["weekdays"]]

    def sessions(self) -> list[Session]:
        """Unsaved sessions, one per centre and chosen day."""
        data = self.cleaned_data
        return [
            Session(
                centre=centre,
                district_id=centre.district_id,
                date=day,
                vaccine=data[f"vaccine_{centre.pk}"] or data["vaccine"],
                dose=data["dose"],
                min_age=data["min_age"],
                max_age=data["max_age"],
                capacity=data[f"capacity_{centre.pk}"] or data["capacity"],
                start_time=data["start_time"],
                end_time=data["end_time"],
                published=data["publish"],
            )
            for centre in data["centres"]
            for day in self.days()
        ]


class CapacityForm(forms.Form):
    capacity = forms.IntegerField(label=_("New capacity"), min_value=0, max_value=5000)
    # Going below the bookings takes seats from people: only on purpose.
    move_people = forms.BooleanField(
        label=_("Move the people who lose their seat to other sessions"),
        required=False,
        help_text=_(
            "Only needed below the bookings: the people booked last lose their seat, get "
            "another one at once by the allotment rules (or wait at their place) and are "
            "told why by SMS."
        ),
    )
    reason = forms.CharField(
        label=_("Reason (sent to the people who lose their seat)"),
        max_length=200,
        required=False,
    )

    def clean(self) -> dict:
        data = super().clean()
        if data.get("move_people") and not data.get("reason", "").strip():
            self.add_error("reason", _("Say why: the people who lose their seat are told."))
        return data


class CancelSessionForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (sent to the people booked)"),
        max_length=200,
        help_text=_("For example: vaccine supply did not arrive."),
    )


class RunAllocationForm(forms.Form):
    district = forms.ModelChoiceField(label=_("District"), queryset=None)

    def __init__(self, *args, districts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["district"].queryset = districts


class CentreAdminForm(PlaceModelForm):
    class Meta:
        model = Centre
        fields = ("name", "district", "area", "locality", "address", "pincode", "active", "staff")

    def clean_staff(self):
        staff = self.cleaned_data.get("staff")
        district = self.cleaned_data.get("district")
        if (
            staff
            and district
            and any(
                not u.official.districts.filter(pk=district.pk).exists()
                for u in staff
                if hasattr(u, "official")
            )
        ):
            raise ValidationError(_("A vaccinator of another district cannot work here."))
        return staff
