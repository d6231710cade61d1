"""How long something took, the way a person reads it in pt-BR: "45 s", "1 min 5 s",
"2 h 3 min". One formatter for the job page, the admin and the commands, so the same
duration reads the same everywhere."""

from __future__ import annotations

from omieshare.templatetags.numbers import format_number

EMPTY = "—"


def format_duration(seconds: float | None, *, decimals: int = 0) -> str:
    """`seconds` as text; "—" when unknown. Under a minute, `decimals` keeps fractions of a
    second ("0,35 s") for work that often ends within one; longer spans show whole units."""
    if seconds is None:
        return EMPTY
    whole = int(round(seconds))
    if whole < 60:
        return f"{format_number(round(seconds, decimals))} s" if decimals else f"{whole} s"
    minutes, seconds = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes} min {seconds} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"
