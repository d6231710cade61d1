"""Rules on catalog values that several write paths share (pages, admin, API, sharing):
checked in the models' clean(), which catalog/services.py runs through full_clean()."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError

# Omie's limits for a characteristic: 30 characters for its name, 60 for its content. A
# longer one typed in a page would be refused by Omie, and by our own API when the record
# travels back out through an integration.
CHARACTERISTIC_NAME_MAX = 30
CHARACTERISTIC_CONTENT_MAX = 60


def _shortened(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else f"{text[:limit]}…"


def validate_characteristics(value: Any) -> None:
    """Name → content pairs of text, within Omie's lengths. Every problem is listed."""
    if not isinstance(value, dict):
        raise ValidationError("Características devem ser pares nome → valor.", code="characteristics")
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
