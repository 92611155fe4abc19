from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from . import access


class StaffIdleTimeoutMiddleware:
    """Signs staff out after STAFF_IDLE_SECONDS without a request: an office
    computer left open must not stay signed in to a district's people.

    Decided after the view, and only when the request read the session
    anyway (every staff page does, to know who asks): a citizen's page that
    needs no session (the place lists, asked for twice a journey) is not
    made to read it from Redis for this. A staff member's request that never
    read the session does not push the expiry on: stricter, never looser. It
    also covers the sign-in itself, whose new session gets the short expiry
    at once instead of at the next page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is not None and session.accessed and request.user.is_authenticated:
            # Re-setting the expiry on each request makes it a sliding window.
            session.set_expiry(settings.STAFF_IDLE_SECONDS)
        return response


class RoleMatrixMiddleware:
    """Refuses any page of the admin, the check-in and the dashboard that the
    role matrix (districts.access.PAGES) does not give the signed-in user,
    before the view runs. A page the matrix does not name is refused to
    everybody: a new view stays shut until the matrix says who may use it.

    Signed-out callers (and non-staff in the admin) go on to the view, which
    sends them to sign in."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view, args, kwargs) -> HttpResponse | None:
        match = request.resolver_match
        if match is None or match.namespace not in access.GUARDED_NAMESPACES:
            return None
        if match.view_name in access.PUBLIC_PAGES or not request.user.is_authenticated:
            return None
        if match.namespace == "admin" and not request.user.is_staff:
            return None
        need = access.page_need(match.view_name, request.method)
        if need is not None and access.allows_all(request.user, need):
            return None
        if match.namespace == "checkin":
            # As permission_required does: a phone signed in as someone else
            # is offered the vaccinator's sign-in.
            return redirect_to_login(request.get_full_path(), reverse("checkin:login"))
        raise PermissionDenied
