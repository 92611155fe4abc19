from django.conf import settings
from django.http import HttpRequest


def portal(request: HttpRequest) -> dict:
    return {
        "STATE_NAME": settings.TEEKA_STATE_NAME,
        "HELPLINE": settings.TEEKA_HELPLINE,
    }
