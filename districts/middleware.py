from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse


class StaffIdleTimeoutMiddleware:
    """Signs staff out after STAFF_IDLE_SECONDS without a request: an office
    computer left open must not stay signed in to a district's people."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            # Re-setting the expiry on each request makes it a sliding window.
            request.session.set_expiry(settings.STAFF_IDLE_SECONDS)
        return self.get_response(request)
