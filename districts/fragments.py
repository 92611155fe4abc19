"""Pieces of pages drawn from the places alone, the same for every visitor
(the <option>s of a district's blocks and towns, the blank add-person form),
kept ready in each web process for a minute.

On launch day every visitor asks for them, several times each; drawn afresh
they cost a query and most of a request's time. They change only when the
geography does (load_geography, an official's edit in the admin): an edit
empties this process's store at once, and the others within PLACES_SECONDS.
"""

import time
from collections.abc import Callable, Hashable

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils.translation import get_language

from .models import Area, District, Locality

PLACES_SECONDS = 60

_store: dict[tuple, tuple[float, str]] = {}


def drawn(key: Hashable, draw: Callable[[], str]) -> str:
    """What `draw()` returns for `key` in the active language, drawn at most
    once a minute per process."""
    full_key = (key, get_language())
    now = time.monotonic()
    kept = _store.get(full_key)
    if kept is not None and kept[0] > now:
        return kept[1]
    text = draw()
    _store[full_key] = (now + PLACES_SECONDS, text)
    return text


def forget() -> None:
    _store.clear()


@receiver(post_save, sender=District)
@receiver(post_save, sender=Area)
@receiver(post_save, sender=Locality)
@receiver(post_delete, sender=District)
@receiver(post_delete, sender=Area)
@receiver(post_delete, sender=Locality)
def _places_changed(**kwargs) -> None:
    forget()
