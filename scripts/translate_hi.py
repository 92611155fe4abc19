"""Add Hindi translations to the shared catalog, safely from several shells.

    .venv/bin/python scripts/translate_hi.py my-strings.json

The JSON maps each English msgid to its Hindi text (or, for a plural, to a
list [singular, plural]). Under a file lock, this refreshes the catalog from
the code (makemessages), fills in the given strings, and compiles it, so two
people translating at once never overwrite each other.
"""

import fcntl
import json
import subprocess
import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "locale/hi/LC_MESSAGES/django.po"
MANAGE = [sys.executable, str(ROOT / "manage.py")]


def refresh_catalog() -> None:
    subprocess.run(
        [
            *MANAGE,
            "makemessages",
            "-l",
            "hi",
            "--no-obsolete",
            # File names without line numbers: a change elsewhere in a file does not
            # rewrite the catalog, so parallel branches merge without conflicts.
            "--add-location=file",
            "--ignore=.venv",
            "--ignore=var",
            "--ignore=benchmarks",
            "--ignore=tests",
            "--ignore=scripts",
        ],
        check=True,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )


def apply(translations: dict) -> list[str]:
    catalog = polib.pofile(str(PO))
    missing = []
    for msgid, text in translations.items():
        entry = catalog.find(msgid)
        if entry is None:
            missing.append(msgid)
            continue
        if isinstance(text, list):
            entry.msgstr_plural = {0: text[0], 1: text[1]}
        else:
            entry.msgstr = text
        if "fuzzy" in entry.flags:
            entry.flags.remove("fuzzy")
    catalog.save()
    return missing


def main() -> None:
    translations = {}
    for name in sys.argv[1:]:
        translations.update(json.loads(Path(name).read_text(encoding="utf-8")))
    with open(ROOT / "locale/.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        refresh_catalog()
        missing = apply(translations)
        subprocess.run(
            [*MANAGE, "compilemessages", "-l", "hi", "--ignore=.venv"],
            check=True,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
        )
    catalog = polib.pofile(str(PO))
    # A fuzzy entry is makemessages' guess from a similar string; it is not
    # compiled, so the page shows English: it counts as untranslated.
    untranslated = [e.msgid for e in catalog.untranslated_entries() + catalog.fuzzy_entries()]
    for msgid in missing:
        print(f"not in the code (yet): {msgid!r}")
    print(f"{len(untranslated)} strings still untranslated")
    for msgid in untranslated[:40]:
        print(f"  {msgid!r}")


if __name__ == "__main__":
    main()
