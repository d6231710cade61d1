"""Rules on catalog values that several write paths share (pages, admin, API, sharing):
checked in the models' clean(), which catalog/services.py runs through full_clean()."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError

from omieshare.lib.text import has_unstorable

# Omie's limits for a characteristic: 30 characters for its name, 60 for its content. A
# longer one typed in a page would be refused by Omie, and by our own API when the record
# travels back out through an integration.
CHARACTERISTIC_NAME_MAX = 30
CHARACTERISTIC_CONTENT_MAX = 60


def _shortened(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else f"{text[:limit]}…"


UNSTORABLE_MESSAGE = (
    "contém o caractere nulo (\\u0000) ou meio par UTF-16 (como \\ud800), que não podem ser "
    "gravados. Remova-o e salve novamente."
)


def validate_storable_json(value: Any, label: str) -> None:
    """No key or text inside `value` holds NUL or a lone surrogate: PostgreSQL's jsonb refuses
    both ("unsupported Unicode escape sequence"), which was an error page in the admin, whose
    JSON fields take escapes as typed. Walked with a list, so no nesting depth overflows."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str) and has_unstorable(item):
            raise ValidationError(f"{label} {UNSTORABLE_MESSAGE}", code="unstorable")
        if isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)


def validate_characteristics(value: Any) -> None:
    """Name → content pairs of text, within Omie's lengths. Every problem is listed."""
    if not isinstance(value, dict):
        raise ValidationError("Características devem ser pares nome → valor.", code="characteristics")
    validate_storable_json(value, "Uma característica")
    errors = []
    for name, content in value.items():
        if not isinstance(content, str):
            errors.append(f"A característica “{_shortened(str(name))}” deve ter um texto como valor.")
            continue
        if len(name) > CHARACTERISTIC_NAME_MAX:
            errors.append(
                f"O nome da característica “{_shortened(name)}” tem {len(name)} caracteres; "
                f"o limite é {CHARACTERISTIC_NAME_MAX}."
            )
        if len(content) > CHARACTERISTIC_CONTENT_MAX:
            errors.append(
                f"O valor da característica “{_shortened(name)}” tem {len(content)} caracteres; "
                f"o limite é {CHARACTERISTIC_CONTENT_MAX}."
            )
    if errors:
        raise ValidationError(errors, code="characteristics")
