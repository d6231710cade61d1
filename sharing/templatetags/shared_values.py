"""Template filters for a shared field: `{{ name|field_label }}` and
`{{ value|shared_value:name }}`, used by the preview's differences and the audit trail. The
formatting itself is catalog/display.py's, shared with the admin and the commands."""

from __future__ import annotations

from django import template

from catalog.display import EMPTY, FIELD_LABELS, display_value, field_label, is_empty

__all__ = ["EMPTY", "FIELD_LABELS", "field_label", "is_empty", "shared_value"]

register = template.Library()
register.filter("field_label", field_label)
shared_value = register.filter("shared_value", display_value)
