"""The compiled pt-BR catalogue under locale/ (committed, so that no machine needs gettext's
msgfmt) says what its .po source says."""

from __future__ import annotations

import ast
import gettext

from django.conf import settings


def _po_entries(path) -> dict[str, str]:
    """msgid → msgstr of a .po file of single-line entries (the header left out)."""
    entries, msgid = {}, None
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("msgid "):
            msgid = ast.literal_eval(line[len("msgid "):])
        elif line.startswith("msgstr ") and msgid:
            entries[msgid] = ast.literal_eval(line[len("msgstr "):])
    return entries


def test_the_compiled_catalogue_matches_its_source():
    folder = settings.BASE_DIR / "locale" / "pt_BR" / "LC_MESSAGES"
    entries = _po_entries(folder / "django.po")
    with open(folder / "django.mo", "rb") as compiled:
        catalogue = gettext.GNUTranslations(compiled)

    assert entries, "no entries read from django.po"
    assert {msgid: catalogue.gettext(msgid) for msgid in entries} == entries, (
        "locale/pt_BR/LC_MESSAGES/django.mo is stale: msgfmt -o django.mo django.po"
    )
    assert len(catalogue._catalog) - 1 == len(entries)  # nothing compiled that the .po lacks
