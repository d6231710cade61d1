"""Template filters for catalog pages: Brazilian money, masks and small display helpers.

`money` formats by hand instead of through Django's l10n so that it reads "R$ 1.234,56"
whatever the active language or the USE_THOUSAND_SEPARATOR setting.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django import template

from omieshare.lib import brazil

register = template.Library()


def _group_thousands(digits: str) -> str:
    groups = []
    while len(digits) > 3:
        groups.insert(0, digits[-3:])
        digits = digits[:-3]
    groups.insert(0, digits)
    return ".".join(groups)


def format_decimal_br(value: Any, places: int = 2) -> str:
    """1234.5 → "1.234,50". Empty or unparseable values come back as ""."""
    if value is None or value == "":
        return ""
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return ""
    exponent = Decimal(1).scaleb(-places)
    number = number.quantize(exponent, rounding=ROUND_HALF_UP)
    sign = "-" if number < 0 else ""
    integer, _, fraction = f"{abs(number):f}".partition(".")
    text = _group_thousands(integer)
    return f"{sign}{text},{fraction}" if places else f"{sign}{text}"


@register.filter
def money(value: Any) -> str:
    """Decimal → "R$ 1.234,56" (negative: "-R$ 1.234,56")."""
    text = format_decimal_br(value, 2)
    if not text:
        return ""
    if text.startswith("-"):
        return f"-R$ {text[1:]}"
    return f"R$ {text}"


@register.filter
def quantity(value: Any) -> str:
    """A quantity with up to 4 decimals, trailing zeros dropped: 2.5000 → "2,5"."""
    text = format_decimal_br(value, 4)
    if "," in text:
        text = text.rstrip("0").rstrip(",")
    return text


@register.filter
def cpf_cnpj(value: str | None) -> str:
    return brazil.mask_cpf_cnpj(value)


@register.filter
def cep(value: str | None) -> str:
    return brazil.mask_cep(value)


@register.filter
def ncm(value: str | None) -> str:
    return brazil.mask_ncm(value)


@register.filter
def cest(value: str | None) -> str:
    return brazil.mask_cest(value)


@register.filter
def filesize(value: Any) -> str:
    """Bytes → "12 KB" / "3,4 MB", in pt-BR."""
    try:
        size = int(value)
    except (TypeError, ValueError):
        return ""
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{format_decimal_br(Decimal(size) / 1024, 0)} KB"
    return f"{format_decimal_br(Decimal(size) / (1024 * 1024), 1)} MB"


@register.filter
def tag_label(tag: Any) -> str:
    """Tags are stored as strings; Omie's API shape {"tag": "..."} is shown the same way."""
    if isinstance(tag, dict):
        return str(tag.get("tag", ""))
    return str(tag)


@register.simple_tag(takes_context=True)
def query_with(context: template.Context, **changes: Any) -> str:
    """The current query string with some parameters replaced ("" or None removes one),
    for pagination links that keep the search and the filters."""
    request = context["request"]
    params = request.GET.copy()
    for key, value in changes.items():
        if value in (None, ""):
            params.pop(key, None)
        else:
            params[key] = value
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"
