"""Admin plumbing shared by the catalog and sharing admins.

One place for what both admins need alike: how a service's refusal leaves the admin's
transaction, how a refusal reads as messages, how many rows one action may touch and how a
JSON field is shown on a change page.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.html import format_html

# Catalog bulk actions call a service once per record; beyond this, use a command instead.
MAX_RECORDS_PER_ACTION = 1000
# Sharing actions act once per selected row; beyond this, use the management commands.
MAX_ROWS_PER_ACTION = 1000
# Restoring snapshots writes a catalog record each, so fewer at a time.
MAX_SNAPSHOTS_PER_ACTION = 100


class ServiceRefused(Exception):
    """Carries a service's refusal out of the admin's transaction (rolled back on the way)."""

    def __init__(self, error: Exception) -> None:
        super().__init__(str(error))
        self.error = error


def messages_of(error: Exception) -> list[str]:
    """A refusal as the sentences to show; callers join them where one line is wanted."""
    if isinstance(error, ValidationError):
        return list(error.messages)
    return [str(error) or error.__class__.__name__]


def json_text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True, default=str)


def pretty(value: Any):
    """A JSON value as indented, wrapped text (values, counts, errors)."""
    if value in (None, "", [], {}):
        return "—"
    return format_html(
        '<pre style="white-space: pre-wrap; margin: 0; max-height: 32em; overflow: auto">{}</pre>',
        json_text(value),
    )


def pretty_json_field(name: str, description: str) -> Callable:
    """A display method showing the JSON field `name` of the row with `pretty()`."""

    @admin.display(description=description)
    def show(self, obj):
        return pretty(getattr(obj, name))

    return show
