from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden, JsonResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from quotas.models import Policy
from registrations.models import PriorityGroup
from teeka.sms import inbound_is_genuine

from . import reminders
from .models import Vaccine
from .services import Busy


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
            "policies": Policy.objects.filter(active=True)
            .order_by("starts_on", "id")
            .prefetch_related("categories"),
        },
    )


@csrf_exempt  # the gateway signs instead: X-Teeka-Signature over the body
@require_POST
def inbound_sms(request: HttpRequest) -> HttpResponse:
    """A reply to a reminder, posted by the SMS gateway (fields from, text)."""
    if not inbound_is_genuine(request.body, request.headers.get("X-Teeka-Signature", "")):
        return HttpResponseForbidden("bad signature")
    try:
        outcome = reminders.handle_reply(
            mobile=request.POST.get("from", ""), text=request.POST.get("text", "")
        )
    except Busy:
        # Still in conflict after the retries: the gateway sends it again later.
        return JsonResponse({"outcome": "busy"}, status=503)
    return JsonResponse({"outcome": outcome.value})
