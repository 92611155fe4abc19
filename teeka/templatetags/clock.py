"""Times of day as people say them."""

import datetime

from django import template
from django.utils.dateformat import time_format
from django.utils.translation import get_language

register = template.Library()

# Hindi says which part of the day before the time: "सुबह 9:00", "शाम 5:00".
# Each part starts at its hour and lasts until the next one's.
_PARTS_OF_DAY = {
    "hi": [(0, "रात"), (4, "सुबह"), (12, "दोपहर"), (16, "शाम"), (19, "रात")],
}


@register.filter
def clock(value: datetime.time | None) -> str:
    """9:00 -> "सुबह 9:00" in Hindi, "9:00 AM" in English."""
    if value is None:
        return ""
    parts = _PARTS_OF_DAY.get((get_language() or "").split("-")[0])
    if parts is None:
        return time_format(value, "g:i A")
    part = [name for start, name in parts if value.hour >= start][-1]
    return f"{part} {time_format(value, 'g:i')}"
