"""The Hindi catalog as shipped: every message translated and none left
fuzzy (gettext ignores a fuzzy entry, so a changed English text silently
shows in English to a Hindi reader), and the compiled .mo says what the .po says."""

from pathlib import Path

import polib

CATALOG = Path(__file__).resolve().parents[2] / "locale" / "hi" / "LC_MESSAGES"


def test_every_message_has_a_hindi_translation_that_gettext_will_use():
    catalog = polib.pofile(str(CATALOG / "django.po"))
    left = [e.msgid for e in catalog if e.obsolete is False and not e.translated()]

    assert left == []


def test_the_compiled_catalog_is_the_current_one():
    source = {
        (e.msgctxt, e.msgid): e.msgstr or e.msgstr_plural.get(0)
        for e in polib.pofile(str(CATALOG / "django.po"))
        if e.translated()
    }
    compiled = {
        (e.msgctxt, e.msgid): e.msgstr or e.msgstr_plural.get(0)
        for e in polib.mofile(str(CATALOG / "django.mo"))
        if e.msgid
    }

    assert compiled == source
