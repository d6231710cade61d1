"""Small helpers shared by the catalog views."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers

from catalog import hooks, selectors
from catalog.exceptions import RecordInUse, StaleEdit, WriteRefused
from catalog.forms import ConfirmDeleteForm
from catalog.registries import REGISTRIES, describe


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


def confirm_delete(
    request: HttpRequest,
    *,
    company,
    record,
    registry: str,
    delete: Callable[..., Any],
    success_message: Callable[[Any], str],
) -> HttpResponse:
    """The "Excluir" page of a party or product: confirm, then delete through the service
    with the version the page was loaded with, and go back to the list (the record is gone);
    a refusal is shown, nothing deleted. A record others use says so before anyone confirms."""
    descriptor = describe(registry)
    # Shared: deleting it deletes it in every company of the group, and may not be allowed here.
    share_status = selectors.with_share_status(company=company, registry=registry, records=[record])[0].share_status
    users = selectors.record_users(registry=registry, company_ids=[company.pk], record_ids=[record.pk]).get(record.pk)
    urls = {f"{page}_url": reverse(descriptor.url_name(page), args=[company.pk, record.pk])
            for page in ("detail", "delete", "edit")}
    context = {"company": company, "record": record, "registry": descriptor, "share_status": share_status,
               "in_use": descriptor.in_use_text(descriptor.label(record), users) if users else "", **urls}
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
    except RecordInUse as in_use:
        context["error"] = context["in_use"] = in_use.message
        return render(request, "catalog/confirm_delete.html", context, status=409)
    except WriteRefused as refusal:
        context["error"] = refusal.message
        return render(request, "catalog/confirm_delete.html", context, status=403)
    except ValidationError as error:
        context["error"] = " ".join(error.messages)
        return render(request, "catalog/confirm_delete.html", context, status=400)
    messages.success(request, success_message(record))
    return redirect(descriptor.url_name("list"), company_id=company.pk)


def share_status_of(company, registry: hooks.Registry, record) -> hooks.RecordShareStatus | None:
    """How the record is shared in this company (None when it is not)."""
    return selectors.with_share_status(company=company, registry=registry, records=[record])[0].share_status


# How a refusal names the record it points at: parties by number, products by code.
_EXISTING_LABELS = {
    "party": lambda record: f"nº {record.pk} – {record.legal_name}",
    "product": lambda record: f"{record.code} – {record.description}",
}


def existing_record(company, error: Exception) -> dict[str, str] | None:
    """The record a refusal points at (the holder of a duplicate CNPJ/CPF, code or EAN, or
    this company's copy of a shared record), with what this company may do with it, for
    the form to link to it instead of leaving the user to look for it."""
    registry, record_id = getattr(error, "registry", None), getattr(error, "record_id", None)
    if registry not in REGISTRIES or not record_id:
        return None
    descriptor = describe(registry)
    try:
        record = descriptor.get_record(company=company, record_id=record_id)
    except Http404:
        return None
    label = _EXISTING_LABELS[registry](record)
    status = share_status_of(company, registry, record)
    return {
        "url": reverse(descriptor.url_name("detail"),
                       kwargs={"company_id": company.pk, descriptor.id_field: record.pk}),
        "label": label + ("" if record.active else " (inativo)"),
        "scope": status.edit_scope if status else "Esta empresa pode editá-lo.",
    }


def _names(syncs: list[hooks.MemberSync]) -> str:
    return ", ".join(m.company for m in syncs)


def saved_message(
    request: HttpRequest, text: str, *, before: hooks.RecordSync | None, after: hooks.RecordSync | None
) -> None:
    """The message after a save. The save only queues the change for the other companies
    (a worker applies it a moment later), so it says the change was sent and where to
    follow it; when the outcome is already known (applied, or refused by a company), it
    says that instead."""
    if after is None or (before is not None and before.version == after.version):
        messages.success(request, text)  # not shared, or only fields that stay here changed
        return
    others = after.others
    failed = [m for m in others if m.state == "failed"]
    pending = [m for m in others if m.state == "pending"]
    if failed:
        reasons = "; ".join(f"{m.company}: {m.reason}" for m in failed)
        messages.warning(
            request,
            f"{text} A alteração foi enviada ao grupo, mas não foi aplicada em {reasons}. "
            "Veja “Sincronismo com o grupo”, abaixo.",
        )
    elif pending:
        messages.success(
            request,
            f"{text} A alteração foi enviada às outras empresas do grupo ({_names(pending)}); "
            "o resultado aparece abaixo, em “Sincronismo com o grupo”.",
        )
    elif others:
        messages.success(request, f"{text} A alteração já chegou às outras empresas do grupo ({_names(others)}).")
    else:
        messages.success(request, text)


def render_detail(request: HttpRequest, template: str, context: dict[str, Any], *, status: int = 200) -> HttpResponse:
    """A record's page, or only its "Sincronismo com o grupo" panel, which htmx polls while
    a change is on its way to another company."""
    if wants_fragment(request):
        response = render(request, "catalog/_sync_status.html", context)
    else:
        response = render(request, template, context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response
