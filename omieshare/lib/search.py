"""Search that ignores accents and case: "comercio" finds "Comércio", "ACAO" finds "Ação".

People type names without accents. A letter that can carry an accent in Portuguese (and a
few neighbours) stands in the regular expression for all its accented forms:
"comercio" → [CÇcç][OÓÒÔÕÖoóòôõö]M[EÉÈÊËeéèêë]R…, matched case-insensitively (`~*`
on PostgreSQL, which a GIN trigram index serves; Django's REGEXP with (?i) on SQLite, the
first-run default).

`words_condition(fields, text)` is what the search boxes use: the text is cut into words
and every word must appear somewhere in the record, in any of `fields`, in any order
("bosch alicate" finds "Alicate universal Bosch"). The fields are joined into one text
(`SearchText`), so one trigram index per table serves every word at once
(catalog/migrations/0008_search_words); the expression here and the index's must stay
identical or PostgreSQL stops using the index.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from django.db.models import Func, Lookup, Q, TextField

from omieshare.lib.brazil import strip_mask

_FORMS = {
    "A": "AÁÀÂÃÄ",
    "E": "EÉÈÊË",
    "I": "IÍÌÎÏ",
    "O": "OÓÒÔÕÖ",
    "U": "UÚÙÛÜ",
    "C": "CÇ",
    "N": "NÑ",
}

# More words than anyone types in a search box, each longer than any field searched: the
# rest is dropped rather than turned into an ever longer regular expression.
MAX_WORDS = 8
MAX_WORD_LENGTH = 120
# Control characters: PostgreSQL refuses a NUL in any text (a 500 page for a pasted
# "\x00"), and no field holds the others.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# What a document, NCM, CEST or EAN is made of once its mask is gone.
_DOCUMENT_CHARACTERS = re.compile(r"[0-9A-Z]+")
# Between two fields of a SearchText: a word never holds a space, so no word matches
# across two fields ("LT" at the end of one and "DA" at the start of the next).
SEPARATOR = " "


def _base_letter(character: str) -> str:
    """"É" → "E", "ç" → "C": the letter without its accent, upper case."""
    return unicodedata.normalize("NFKD", character)[0].upper()


def accentless_pattern(text: str) -> str:
    """The regular expression (upper case) that finds `text` with or without accents.
    Everything but letters is escaped: ".*", "(" or "\\" are looked for as typed."""
    parts = []
    for character in text:
        base = _base_letter(character) if character.isalpha() else character
        forms = _FORMS.get(base)
        # Both cases spelled out: `~*` folds non-ASCII letters only where the database's
        # locale knows them (not under the "C" collation).
        parts.append(f"[{forms}{forms.lower()}]" if forms else re.escape(character.upper()))
    return "".join(parts)


def search_words(text: str | None) -> list[str]:
    """The words of what was typed in a search box, each once (whatever its case)."""
    words: list[str] = []
    seen: set[str] = set()
    for word in _CONTROL.sub(" ", text or "").split():
        word = word[:MAX_WORD_LENGTH]
        if word.upper() not in seen:
            seen.add(word.upper())
            words.append(word)
    return words[:MAX_WORDS]


def word_pattern(word: str) -> str:
    """The regular expression for one word: the word without accents, or, for a masked
    document, NCM or EAN ("11.222.333/0001", "8471.30.12"), also its stored bare form."""
    pattern = accentless_pattern(word)
    bare = strip_mask(word)
    if (bare != word.upper() and _DOCUMENT_CHARACTERS.fullmatch(bare)
            and any(c.isdigit() for c in bare)):
        pattern = f"(?:{pattern}|{re.escape(bare)})"
    return pattern


class SearchText(Func):
    """The given text columns of a row joined by SEPARATOR: what the words are looked for
    in. Written out as plain `||` (immutable, unlike concat()) so an index can hold it;
    the columns must be NOT NULL, which every searched one is (blank is '')."""

    output_field = TextField()

    def as_sql(self, compiler, connection, **extra_context):
        sqls, params = [], []
        for expression in self.get_source_expressions():
            sql, expression_params = compiler.compile(expression)
            sqls.append(sql)
            params.extend(expression_params)
        return "(" + f" || '{SEPARATOR}' || ".join(sqls) + ")", params


class MatchesPattern(Lookup):
    """`lhs` matches a regular expression, whatever the case of either.

    On PostgreSQL `~*` on the text as stored: the trigram index holds the same text
    (pg_trgm folds case itself), and not computing UPPER(text) for every row it rechecks
    halves the cost of a search that matches tens of thousands of rows.
    """

    lookup_name = "matches_pattern"

    def get_db_prep_lookup(self, value, connection):
        return "%s", [value]

    def as_sql(self, compiler, connection):  # SQLite and the rest: Django's REGEXP, no case
        column, params = self.process_lhs(compiler, connection)
        pattern, pattern_params = self.process_rhs(compiler, connection)
        return f"{column} REGEXP {pattern}", [*params, *[f"(?i){p}" for p in pattern_params]]

    def as_postgresql(self, compiler, connection):
        column, params = self.process_lhs(compiler, connection)
        pattern, pattern_params = self.process_rhs(compiler, connection)
        return f"{column} ~* {pattern}", [*params, *pattern_params]


def words_condition(fields: Sequence[str], text: str | None) -> Q | None:
    """Every word of `text` somewhere in `fields` (None when there is no word: no filter)."""
    words = search_words(text)
    if not words:
        return None
    document = SearchText(*fields)
    return Q(*[MatchesPattern(document, word_pattern(word)) for word in words])

