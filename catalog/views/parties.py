"""Clientes e fornecedores: list, detail, create, edit and delete."""

from __future__ import annotations

import copy

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from catalog import field_groups, selectors, services
from catalog.exceptions import StaleEdit, WriteRefused
from catalog.forms import (
    AttachmentForm,
    PartyForm,
    PartyListFilterForm,
    add_service_errors,
    stale_differences,
)
from catalog.models import Party
from catalog.views._common import (
    confirm_delete,
    existing_record,
    render_detail,
    render_list,
    saved_message,
    share_status_of,
)
from companies.models import Company
from companies.selectors import company_for_user


@require_http_methods(["GET", "HEAD"])
@login_required
def party_list(request: HttpRequest, company_id: int) -> HttpResponse:
    company = company_for_user(request.user, company_id)
    filter_form = PartyListFilterForm(request.GET)
    filters = filter_form.filters()
    page = selectors.list_page(
        selectors.party_list(company=company, filters=filters),
        number=request.GET.get("page"),
        sort_field="legal_name",
        searched=bool(filters.q.strip()),
    )
    page.object_list = selectors.with_share_status(company=company, registry="party", records=page.object_list)
    return render_list(
        request,
        "catalog/party_list.html",
        {
            "company": company, "filter_form": filter_form, "filters": filters, "page": page,
            "create_status": selectors.create_status(company=company, registry="party"),
        },
    )


def party_detail_response(
    request: HttpRequest,
    company: Company,
    party_id: int,
    *,
    attachment_form: AttachmentForm | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    """The detail page; attachment views re-render it with their form's errors."""
    party = selectors.party_detail(company=company, party_id=party_id)
    selectors.with_share_status(company=company, registry="party", records=[party])
    # Every stored field by group; characteristics and attachments have cards of their own.
    groups, empty_groups = field_groups.record_groups(party, "party", shown_apart=("characteristics", "attachments"))
    context = {
        "company": company,
        "party": party,
        "groups": groups,
        "empty_groups": empty_groups,
        "shared_fields": field_groups.shared_names("party"),
        "supplied_products": selectors.products_supplied_by(company=company, party=party),
        "attachment_form": attachment_form or AttachmentForm(),
        "attachment_error": error,
        "max_attachment_bytes": settings.MAX_ATTACHMENT_BYTES,
        "registry": "party",
        "sync": selectors.record_sync(company=company, registry="party", record_id=party.pk),
        # The panel polls the record's page (attachment views render it at their own URL).
        "sync_poll_url": reverse("catalog:party_detail", args=[company.pk, party.pk]),
    }
    return render_detail(request, "catalog/party_detail.html", context, status=status)


@require_http_methods(["GET", "HEAD"])
@login_required
def party_detail(request: HttpRequest, company_id: int, party_id: int) -> HttpResponse:
    company = company_for_user(request.user, company_id)
    return party_detail_response(request, company, party_id)


def _render_form(
    request: HttpRequest,
    company: Company,
    form: PartyForm,
    *,
    party: Party | None = None,
    stale: dict | None = None,
    existing: dict | None = None,
    status: int = 200,
) -> HttpResponse:
    context = {"company": company, "form": form, "party": party, "stale": stale, "existing": existing}
    return render(request, "catalog/party_form.html", context, status=status)


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def party_create(request: HttpRequest, company_id: int) -> HttpResponse:
    company = company_for_user(request.user, company_id)
    if request.method != "POST":
        return _render_form(request, company, PartyForm(company=company))
    form = PartyForm(request.POST, company=company)
    if not form.is_valid():
        return _render_form(request, company, form, status=400)
    try:
        party = services.party_create(
            company=company, data=form.party_data(), actor_id=request.user.pk, source="web"
        )
    except WriteRefused as refusal:
        form.add_error(None, refusal.message)
        return _render_form(request, company, form, existing=existing_record(company, refusal), status=403)
    except ValidationError as error:
        add_service_errors(form, error)
        return _render_form(request, company, form, existing=existing_record(company, error), status=400)
    saved_message(
        request, f"Cliente/fornecedor “{party.legal_name}” incluído.", before=None,
        after=selectors.record_sync(company=company, registry="party", record_id=party.pk),
    )
    return redirect("catalog:party_detail", company_id=company.pk, party_id=party.pk)


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def party_edit(request: HttpRequest, company_id: int, party_id: int) -> HttpResponse:
    company = company_for_user(request.user, company_id)
    party = selectors.party_get(company=company, party_id=party_id)
    # Without the edit permission the shared fields are read-only; the others stay editable.
    share_status = share_status_of(company, "party", party)
    if request.method != "POST":
        form = PartyForm(company=company, instance=party, share_status=share_status)
        return _render_form(request, company, form, party=party)
    # The form works on a copy: binding it changes its instance, and a refused edit
    # must still show the saved record in the heading.
    form = PartyForm(request.POST, company=company, instance=copy.copy(party), share_status=share_status)
    if not form.is_valid():
        return _render_form(request, company, form, party=party, status=400)
    before = selectors.record_sync(company=company, registry="party", record_id=party.pk)
    try:
        party = services.party_update(
            company=company,
            party_id=party.pk,
            data=form.party_data(),
            expected_version=form.expected_version,
            actor_id=request.user.pk,
            source="web",
        )
    except StaleEdit as stale:
        # Show what is saved now, next to what the user typed; nothing was written.
        current = stale.current
        stale_info = {"message": str(stale), "differences": stale_differences(form, current)}
        fresh = PartyForm(company=company, instance=current, share_status=share_status)
        return _render_form(request, company, fresh, party=current, stale=stale_info, status=409)
    except WriteRefused as refusal:
        form.add_error(None, refusal.message)
        return _render_form(request, company, form, party=party, status=403)
    except ValidationError as error:
        add_service_errors(form, error)
        return _render_form(request, company, form, party=party, existing=existing_record(company, error), status=400)
    saved_message(
        request, f"Cliente/fornecedor “{party.legal_name}” alterado.", before=before,
        after=selectors.record_sync(company=company, registry="party", record_id=party.pk),
    )
    return redirect("catalog:party_detail", company_id=company.pk, party_id=party.pk)


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def party_delete(request: HttpRequest, company_id: int, party_id: int) -> HttpResponse:
    company = company_for_user(request.user, company_id)
    party = selectors.party_get(company=company, party_id=party_id)
    return confirm_delete(
        request,
        company=company,
        record=party,
        registry="party",
        delete=services.party_delete,
        success_message=lambda party: (
            f"Cliente/fornecedor “{party.legal_name}” (nº {party.pk}) excluído. Se precisar dele de volta, "
            "o suporte pode restaurá-lo."
        ),
    )
