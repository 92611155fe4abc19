from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from registrations.models import PriorityGroup

from .models import Vaccine


@require_GET
def how_slots_are_allotted(request: HttpRequest) -> HttpResponse:
    """The allocator's rules in plain words, with the numbers it really uses."""
    intervals = [
        (label, settings.TEEKA_DOSE_INTERVAL_DAYS[value])
        for value, label in Vaccine.choices
        if value in settings.TEEKA_DOSE_INTERVAL_DAYS
    ]
    return render(
        request,
        "slots/how_slots_are_allotted.html",
        {
            "groups": PriorityGroup.choices,
            "intervals": intervals,
            "notice_hours": settings.TEEKA_NOTICE_HOURS,
            "no_shows": settings.TEEKA_NO_SHOWS_BEFORE_BACK_OF_QUEUE,
            "quiet_from": settings.SMS_QUIET_START_HOUR,
            "quiet_until": settings.SMS_QUIET_END_HOUR,
        },
    )
