"""The place cascade as small server-rendered fragments: the <option>s of the
blocks and towns of a district, and of the villages and wards of one of them.

The registration form works without them (one step at a time); with
JavaScript they fill the next list as soon as the previous one is picked.
"""

from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from registrations.forms import area_choices, locality_choices

from .fragments import drawn

_DAY = 24 * 3600


def _number(request: HttpRequest, name: str) -> int | None:
    value = request.GET.get(name, "")
    return int(value) if value.isdigit() else None


# Names are localised, so caches must keep one copy per language.
@require_GET
@cache_control(public=True, max_age=_DAY)
@vary_on_headers("Accept-Language", "Cookie")
def areas(request: HttpRequest) -> HttpResponse:
    district_id = _number(request, "district")
    return HttpResponse(
        drawn(
            ("areas", district_id),
            lambda: render_to_string(
                "districts/_area_options.html",
                {"groups": area_choices(district_id) if district_id else []},
            ),
        )
    )


@require_GET
@cache_control(public=True, max_age=_DAY)
@vary_on_headers("Accept-Language", "Cookie")
def localities(request: HttpRequest) -> HttpResponse:
    area_id = _number(request, "area")
    return HttpResponse(
        drawn(
            ("localities", area_id),
            lambda: render_to_string(
                "districts/_locality_options.html",
                {"options": locality_choices(area_id) if area_id else []},
            ),
        )
    )
