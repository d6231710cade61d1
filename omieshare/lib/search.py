"""Search that ignores accents and case: "comercio" finds "Comércio", "ACAO" finds "Ação".

People type names without accents. The lookup `accentless` matches a text column against a
regular expression in which every letter that can carry an accent in Portuguese (and a few
neighbours) stands for all its accented forms: "comercio" → C[OÓÒÔÕÖ]M[EÉÈÊË]RC[IÍÌÎÏ][OÓÒÔÕÖ].
On PostgreSQL it is `UPPER(column) ~ pattern`, which the trigram indexes on UPPER(column)
(catalog/migrations/0002) serve as they serve `icontains`: no index and no cost on writes.
On SQLite (the first-run default) Django's REGEXP function runs it case-insensitively.
"""

from __future__ import annotations

import re
import unicodedata

from django.db.models import CharField, Lookup, TextField

_FORMS = {
    "A": "AÁÀÂÃÄ",
    "E": "EÉÈÊË",
    "I": "IÍÌÎÏ",
    "O": "OÓÒÔÕÖ",
    "U": "UÚÙÛÜ",
    "C": "CÇ",
    "N": "NÑ",
}


def _base_letter(character: str) -> str:
    """"É" → "E", "ç" → "C": the letter without its accent, upper case."""
    return unicodedata.normalize("NFKD", character)[0].upper()


def accentless_pattern(text: str) -> str:
    """The regular expression (upper case) that finds `text` with or without accents."""
    parts = []
    for character in text:
        base = _base_letter(character) if character.isalpha() else character
        forms = _FORMS.get(base)
        parts.append(f"[{forms}]" if forms else re.escape(character.upper()))
    return "".join(parts)


class Accentless(Lookup):
    lookup_name = "accentless"

    def get_db_prep_lookup(self, value, connection):
        return "%s", [accentless_pattern(str(value))]

    def as_sql(self, compiler, connection):  # SQLite and the rest: Django's REGEXP, no case
        column, params = self.process_lhs(compiler, connection)
        pattern, pattern_params = self.process_rhs(compiler, connection)
        return f"{column} REGEXP {pattern}", [*params, *[f"(?i){p}" for p in pattern_params]]

    def as_postgresql(self, compiler, connection):
        column, params = self.process_lhs(compiler, connection)
        pattern, pattern_params = self.process_rhs(compiler, connection)
        # The same expression as the trigram indexes: UPPER(column::text).
        return f"UPPER({column}::text) ~ {pattern}", [*params, *pattern_params]


CharField.register_lookup(Accentless)
TextField.register_lookup(Accentless)
