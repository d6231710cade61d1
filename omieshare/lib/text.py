"""What counts as a digit, and the characters no stored or searched text may hold.

Python's str.isdigit() and int() accept far more than 0-9: "²" is a digit to isdigit() but
int("²") fails (a 500), and int("٣") (an Arabic-Indic three) is 3, so a value nobody typed
as 3 would be stored as 3. Brazilian codes, ids and page numbers are written with the ASCII
digits only; every check of user input goes through these helpers.
"""

from __future__ import annotations

import re

_ASCII_INTEGER = re.compile(r"[+-]?[0-9]+")
# PostgreSQL text cannot hold U+0000, and a lone UTF-16 surrogate (which JSON's "\ud800"
# escape produces) cannot be encoded as UTF-8: either one fails the query or the answer.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def is_ascii_digits(text: str) -> bool:
    """True for a non-empty string of 0-9 only."""
    return bool(text) and text.isascii() and text.isdigit()


def ascii_int(value: object) -> int:
    """An integer written with ASCII digits (an optional sign, no "_" separators, no other
    scripts' digits). Raises ValueError like int() for anything else."""
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, int):
        return value
    text = str(value).strip()
    if not _ASCII_INTEGER.fullmatch(text):
        raise ValueError(value)
    return int(text)


def has_unstorable(text: str) -> bool:
    """True when `text` holds NUL or a lone surrogate."""
    return _UNSTORABLE.search(text) is not None


def without_unstorable(text: str) -> str:
    """`text` without NUL and lone surrogates (for search boxes: what remains is searched)."""
    return _UNSTORABLE.sub("", text)


def printable(text: str) -> str:
    """`text` safe to show in a message: NUL and lone surrogates written as \\u escapes."""
    return _UNSTORABLE.sub(lambda match: f"\\u{ord(match.group()):04x}", text)
