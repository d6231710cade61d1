"""What every sharing admin page builds on: display helpers, list filters with pt-BR
titles and the view-only base for the engine's own rows.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from django.contrib import admin
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.db import models
from django.db.models import Count, IntegerField, Subquery
from django.db.models.functions import Coalesce
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.formats import localize
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator

from catalog.exceptions import StaleEdit, WriteRefused
from catalog.registries import describe
from sharing.templatetags.shared_values import field_label, shared_value

# What a service raises to refuse; nothing was written.
REFUSALS = (ValidationError, PermissionDenied, WriteRefused, StaleEdit, ObjectDoesNotExist)


# --- display helpers ---------------------------------------------------------------------


def _short(value: Any, length: int = 60) -> str:
    if value in (None, "", [], {}):
        return "—"
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return Truncator(" ".join(text.split())).chars(length)


def _compare(rows: list[tuple[str, Any, Any]], before: str, after: str):
    """A small table field | before | after, for the fields that differ, with the fields'
    pt-BR names and their values as the pages show them (masked CNPJ, "Sim"/"Não", …)."""
    if not rows:
        return "Nenhuma diferença."
    return format_html(
        "<table><thead><tr><th>campo</th><th>{}</th><th>{}</th></tr></thead><tbody>{}</tbody></table>",
        before,
        after,
        format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            ((field_label(name), _short(shared_value(old, name), 200), _short(shared_value(new, name), 200))
             for name, old, new in rows),
        ),
    )


def _record_label(values: dict | None) -> str:
    values = values or {}
    return values.get("legal_name") or values.get("description") or ""


def _change_url(obj) -> str:
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


def _changelist_url(model, **filters) -> str:
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    query = "&".join(f"{key}={value}" for key, value in filters.items())
    return f"{url}?{query}" if query else url


def _local_record_link(registry: str, local_id: int | None):
    """The catalog admin page of the local row a link or snapshot points at."""
    if local_id is None:
        return "—"
    try:
        url = reverse(f"admin:catalog_{registry}_change", args=[local_id])
    except NoReverseMatch:
        return f"nº {local_id}"
    return format_html(
        '<a href="{}">{} nº {}</a>', url, describe(registry).kind, local_id
    )


def _count(queryset, field: str = "share") -> Coalesce:
    """COUNT(*) of a correlated queryset as a subquery (no join fan-out on the main query)."""
    counted = queryset.order_by().values(field).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def _shown(name: str, label: str):
    """A model field under a pt-BR label, as a display method.

    Some engine fields were declared without a verbose_name, and the admin would call them
    "company", "share" or "restored by". Related rows are linked to their admin page."""

    @admin.display(description=label, ordering=name)
    def show(self, obj):
        value = getattr(obj, name)
        if value is None:
            return self.get_empty_value_display()
        if isinstance(value, datetime):
            return localize(timezone.localtime(value))
        choices_display = getattr(obj, f"get_{name}_display", None)
        if choices_display is not None:
            return choices_display()
        if isinstance(value, models.Model):
            try:
                return format_html('<a href="{}">{}</a>', _change_url(value), value)
            except NoReverseMatch:
                return str(value)
        return value

    return show


def _titled(base: type[admin.FieldListFilter], title: str) -> type[admin.FieldListFilter]:
    """A list filter under a pt-BR title (see `_shown`)."""

    class Titled(base):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.title = title

    return Titled


def _by_company() -> tuple[str, type[admin.FieldListFilter]]:
    return ("company", _titled(admin.RelatedFieldListFilter, "empresa"))


def _by_registry() -> tuple[str, type[admin.FieldListFilter]]:
    return ("registry", _titled(admin.ChoicesFieldListFilter, "cadastro"))


class ViewOnly:
    """No add, change or delete from the admin: the engine alone writes these rows."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class EngineRecordAdmin(ViewOnly, admin.ModelAdmin):
    """View-only: rows written by the sharing engine alone."""

    # Who may run the support actions: Django's permissions on the rows they create or
    # update, even though the pages themselves are view-only.
    def has_resync_permission(self, request) -> bool:
        return request.user.has_perm("sharing.add_syncjob")

    def has_retry_permission(self, request) -> bool:
        return request.user.has_perm("sharing.change_change")

    def has_restore_permission(self, request) -> bool:
        return request.user.has_perm("sharing.change_snapshot")
