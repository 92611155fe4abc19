"""Finding a village or ward the way a block office writes it.

Paper lists name a place by what the clerk sees: "Baktara-2 (Baktara)" as the
admin shows it, "baktara 2" without the bracket, "BAKTARA-2 (BAKTARA)" in
capitals, with the gram panchayat in brackets or not. 372 villages of the
state (94 of Raipur's) have brackets in their own name, so cutting the typed
text at " (" found none of them. A name is compared by its words only: case,
spacing, brackets, dashes and dots do not count, and any script's digits are
read as digits.

The source has no LGD code for villages and wards, nor a second script for
their names (villages are in Latin letters, wards in Devanagari), so a
village is found by its name and, where two share it, its gram panchayat.
"""

import difflib
import re
import unicodedata
from dataclasses import dataclass, field

from django.contrib.postgres.search import TrigramSimilarity
from django.db import connection

from .models import Area, Locality

SEPARATORS = re.compile(r"[\s()\[\]{}\-‐‑–—.,/\\'\"_:;]+")
BRACKETED = re.compile(r"\([^()]*\)")


def place_key(text: str) -> str:
    """The words of a place name, lower case, digits in ASCII."""
    text = unicodedata.normalize("NFKC", text or "")
    text = "".join(str(unicodedata.digit(c)) if c.isdigit() else c for c in text)
    return " ".join(SEPARATORS.split(text.casefold())).strip()


def without_brackets(text: str) -> str:
    """The name with every bracketed part left out ("Dhobani (Dhowni (A))"
    becomes "Dhobani")."""
    while BRACKETED.search(text):
        text = BRACKETED.sub(" ", text)
    return text


@dataclass
class Found:
    locality: Locality | None = None
    # Several places answer to the name: the gram panchayat tells them apart.
    several: list[Locality] = field(default_factory=list)


class LocalityIndex:
    """An area's villages or wards by every way their names are written."""

    def __init__(self, area: Area) -> None:
        self.area = area
        self.by_key: dict[str, set[Locality]] = {}
        self.by_base: dict[str, set[Locality]] = {}
        # A list of thousands of rows names a few hundred places: each
        # spelling is looked up once.
        self._found: dict[str, Found] = {}
        for locality in area.localities.all():
            panchayat = f"{locality.name} ({locality.gram_panchayat})"
            for written in (locality.name, str(locality), panchayat):
                self.by_key.setdefault(place_key(written), set()).add(locality)
            base = place_key(without_brackets(locality.name))
            self.by_base.setdefault(base, set()).add(locality)

    def find(self, typed: str) -> Found:
        """Exactly as written (words, not spacing or case), else without the
        brackets typed."""
        if typed not in self._found:
            self._found[typed] = self._find(typed)
        return self._found[typed]

    def _find(self, typed: str) -> Found:
        for table, key in (
            (self.by_key, place_key(typed)),
            (self.by_base, place_key(without_brackets(typed))),
        ):
            matches = table.get(key, set())
            if len(matches) == 1:
                return Found(locality=next(iter(matches)))
            if matches:
                return Found(several=sorted(matches, key=str))
        return Found()


def closest_localities(areas: list[Area], typed: str, n: int = 3) -> list[Locality]:
    """The n villages or wards of these areas nearest to a misspelling:
    trigram similarity (pg_trgm) on PostgreSQL, difflib on the embedded SQLite."""
    places = Locality.objects.filter(area__in=areas).select_related("area")
    if connection.vendor == "postgresql":
        similar = TrigramSimilarity("name", without_brackets(typed).strip())
        return list(places.annotate(similarity=similar).order_by("-similarity", "name")[:n])
    by_name = {str(loc): loc for loc in places}
    return [by_name[name] for name in difflib.get_close_matches(typed, by_name, n=n, cutoff=0)]
