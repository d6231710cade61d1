"""Small helpers shared by the catalog views."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers

from catalog import selectors
from catalog.exceptions import StaleEdit, WriteRefused
from catalog.forms import ConfirmDeleteForm


def wants_fragment(request: HttpRequest) -> bool:
    """An htmx request for part of the page (a history restore needs the whole page)."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.history_restore_request


def render_list(request: HttpRequest, template: str, context: dict[str, Any]) -> HttpResponse:
    """The whole list page, or only its results table for search-as-you-type."""
    name = f"{template}#results" if wants_fragment(request) else template
    response = render(request, name, context)
    # The same URL answers with a page or a fragment: caches must tell them apart.
    patch_vary_headers(response, ["HX-Request"])
    return response


def confirm_soft_delete(
    request: HttpRequest,
    *,
    company,
    record,
    registry: str,
    delete: Callable[..., Any],
    success_message: Callable[[Any], str],
) -> HttpResponse:
    """The "Excluir" page of a party or product: confirm, then soft delete through the
    service with the version the page was loaded with; a refusal is shown, nothing written."""
    # Shared: deleting inactivates it in every company of the group, and may not be allowed here.
    share_status = selectors.with_share_status(company=company, registry=registry, records=[record])[0].share_status
    context = {"company": company, "record": record, "registry": registry, "share_status": share_status}
    if request.method != "POST":
        context["form"] = ConfirmDeleteForm(initial={"version": record.version})
        return render(request, "catalog/confirm_delete.html", context)
    form = ConfirmDeleteForm(request.POST)
    context["form"] = form
    if not form.is_valid():
        context["error"] = "Recarregue a página e confirme novamente."
        return render(request, "catalog/confirm_delete.html", context, status=400)
    try:
        record = delete(
            company=company,
            **{f"{registry}_id": record.pk},
            expected_version=form.cleaned_data["version"],
            actor_id=request.user.pk,
            source="web",
        )
    except StaleEdit as stale:
        context.update(
            record=stale.current,
            form=ConfirmDeleteForm(initial={"version": stale.current.version}),
            error=str(stale),
        )
        return render(request, "catalog/confirm_delete.html", context, status=409)
    except WriteRefused as refusal:
        context["error"] = refusal.message
        return render(request, "catalog/confirm_delete.html", context, status=403)
    except ValidationError as error:
        context["error"] = " ".join(error.messages)
        return render(request, "catalog/confirm_delete.html", context, status=400)
    messages.success(request, success_message(record))
    return redirect(f"catalog:{registry}_detail", **{"company_id": company.pk, f"{registry}_id": record.pk})
