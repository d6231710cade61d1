"""Numbers meant for people, the pt-BR way: 3900 → "3.900", 1234.5 → "1.234,5".

USE_THOUSAND_SEPARATOR is off (settings.py), so `{{ value }}` prints machine values (ids,
versions, page numbers in URLs) as they are; a count or amount a person reads goes through
`{{ value|number }}`. Loaded as a template builtin, so no `{% load %}` is needed; Python
code (admin columns, messages, command output) calls `format_number()`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template
from django.conf import settings
from django.utils import formats, translation

register = template.Library()


@register.filter("number")
def format_number(value: Any) -> str:
    """An int, Decimal or float grouped by thousands in the active language; anything else
    (None, "", text) comes back as it is, so `|number|default:"—"` still works. Always in the
    site's language, also where none is active (a worker, a command under override(None))."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return value
    with translation.override(settings.LANGUAGE_CODE):
        return formats.number_format(value, use_l10n=True, force_grouping=True)
