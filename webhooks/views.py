"""Resumo do App → Webhooks: endpoints, "Testar", the delivery log and the dead-letter
list with "Reenviar". Administrators of the company only."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from companies.models import Company
from companies.selectors import company_for_user
from webhooks import selectors, services
from webhooks.forms import EndpointForm
from webhooks.models import ALL_TOPICS, Endpoint


def _admin_company(request: HttpRequest, company_id: int) -> Company:
    company = company_for_user(request.user, company_id)
    if not company.membership.is_admin:
        raise PermissionDenied("Somente administradores da empresa podem ver e configurar os webhooks.")
    return company


def _endpoint(company: Company, endpoint_id: int) -> Endpoint:
    try:
        return selectors.endpoint_of(company, endpoint_id)
    except Endpoint.DoesNotExist:
        raise Http404("Webhook não encontrado.") from None


def _created(request: HttpRequest, company: Company, endpoint: Endpoint, title: str) -> HttpResponse:
    return render(request, "webhooks/secret.html", {
        "company": company, "membership": company.membership, "endpoint": endpoint, "title": title,
    })


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
@never_cache
def endpoint_list(request: HttpRequest, company_id: int) -> HttpResponse:
    company = _admin_company(request, company_id)
    form = EndpointForm(request.POST or None, initial={"topics": ALL_TOPICS, "active": True})
    if request.method == "POST" and form.is_valid():
        try:
            endpoint = services.endpoint_create(company=company, **form.cleaned_data)
        except services.EndpointRefused as refusal:
            form.add_error("url", str(refusal))
        else:
            return _created(request, company, endpoint, "Webhook cadastrado")
    return render(request, "webhooks/list.html", {
        "company": company, "membership": company.membership, "form": form,
        "endpoints": selectors.endpoints_of(company),
    })


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
@never_cache
def endpoint_detail(request: HttpRequest, company_id: int, endpoint_id: int) -> HttpResponse:
    company = _admin_company(request, company_id)
    endpoint = _endpoint(company, endpoint_id)
    initial = {"url": endpoint.url, "topics": endpoint.topics, "active": endpoint.active}
    form = EndpointForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.endpoint_update(company=company, endpoint_id=endpoint.pk, **form.cleaned_data)
        except services.EndpointRefused as refusal:
            form.add_error("url", str(refusal))
        else:
            messages.success(request, "Webhook salvo.")
            return redirect("webhooks:detail", company.pk, endpoint.pk)
    return render(request, "webhooks/detail.html", _detail_context(company, endpoint, form))


def _detail_context(company: Company, endpoint: Endpoint, form: EndpointForm | None = None, **extra) -> dict:
    return {
        "company": company, "membership": company.membership, "endpoint": endpoint,
        "form": form or EndpointForm(initial={"url": endpoint.url, "topics": endpoint.topics,
                                              "active": endpoint.active}),
        "attempts": selectors.recent_attempts(endpoint), "dead": selectors.dead_letters(endpoint),
        "pending": selectors.next_pending(endpoint), **extra,
    }


@require_http_methods(["POST"])
@login_required
def endpoint_ping(request: HttpRequest, company_id: int, endpoint_id: int) -> HttpResponse:
    """"Testar": sends the ping now and shows the answer (htmx fragment, or the page)."""
    company = _admin_company(request, company_id)
    endpoint = _endpoint(company, endpoint_id)
    attempt = services.endpoint_ping(company=company, endpoint_id=endpoint.pk)
    if request.htmx:
        return render(request, "webhooks/detail.html#ping-result", {"ping": attempt, "endpoint": endpoint})
    return render(request, "webhooks/detail.html", _detail_context(company, _endpoint(company, endpoint.pk),
                                                                   ping=attempt))


@require_http_methods(["POST"])
@login_required
def endpoint_redeliver(request: HttpRequest, company_id: int, endpoint_id: int) -> HttpResponse:
    company = _admin_company(request, company_id)
    endpoint = _endpoint(company, endpoint_id)
    one = request.POST.get("delivery")
    ids = [int(one)] if one and one.isdigit() else None
    count = services.redeliver(company=company, endpoint_id=endpoint.pk, delivery_ids=ids)
    if count:
        messages.success(request, f"{count} evento(s) de volta à fila, com o mesmo messageId: enviados em seguida.")
    else:
        messages.info(request, "Nenhum evento na lista de falhas para reenviar.")
    return redirect(reverse("webhooks:detail", args=[company.pk, endpoint.pk]) + "#falhas")


@require_http_methods(["POST"])
@login_required
@never_cache
def endpoint_secret(request: HttpRequest, company_id: int, endpoint_id: int) -> HttpResponse:
    company = _admin_company(request, company_id)
    endpoint = services.endpoint_rotate_secret(company=company, endpoint_id=_endpoint(company, endpoint_id).pk)
    return _created(request, company, endpoint, "Novo segredo de assinatura")


@require_http_methods(["POST"])
@login_required
def endpoint_delete(request: HttpRequest, company_id: int, endpoint_id: int) -> HttpResponse:
    company = _admin_company(request, company_id)
    services.endpoint_delete(company=company, endpoint_id=_endpoint(company, endpoint_id).pk)
    messages.success(request, "Webhook excluído: os eventos dele deixam de ser enviados.")
    return redirect("webhooks:list", company.pk)
