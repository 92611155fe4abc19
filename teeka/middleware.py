"""Response headers every page gets unless its view says otherwise."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control


class PrivateByDefaultMiddleware:
    """`Cache-Control: private, no-store` on every answer whose view set no
    caching of its own: the officials' lists, day lists, dashboard and its
    downloads, the check-in pages and the citizens' own pages show a person
    or a count that no shared cache (nor the browser's disk on an office
    computer) should keep. Pages meant to be cached say so (the place lists'
    `cache_control(public=True)`); static files never reach here."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not response.has_header("Cache-Control"):
            patch_cache_control(response, private=True, no_store=True)
        return response
