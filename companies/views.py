"""Pages of the companies app: "Meus Aplicativos", "Resumo do App" and the group page.

Every page of a company gets it through `company_for_user`, which answers 404 to anyone
without a membership in it.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_http_methods

from companies import selectors, services
from companies.forms import UniqueValidationForm
from companies.models import Company


def _sharing_wizard_url(company: Company) -> str | None:
    """The sharing wizard's URL once that app provides it; None until then, so the group
    page shows "Cadastros Compartilhados" without a change here when the wizard lands."""
    try:
        return reverse("sharing:wizard", kwargs={"company_id": company.pk})
    except NoReverseMatch:
        pass
    try:
        return reverse("sharing:wizard")
    except NoReverseMatch:
        return None


@require_http_methods(["GET", "HEAD"])
@login_required
def home(request: HttpRequest) -> HttpResponse:
    return redirect("companies:my_apps")


@require_http_methods(["GET", "HEAD"])
@login_required
def my_apps(request: HttpRequest) -> HttpResponse:
    memberships = selectors.memberships_for_user(request.user)
    return render(request, "companies/my_apps.html", {"memberships": memberships})


@require_http_methods(["GET", "HEAD"])
@login_required
def summary(request: HttpRequest, company_id: int) -> HttpResponse:
    company = selectors.company_for_user(request.user, company_id)
    return render(
        request,
        "companies/summary.html",
        {
            "company": company,
            "membership": company.membership,
            "group_rows": selectors.group_companies_for_user(company, request.user),
        },
    )


@require_http_methods(["GET", "HEAD"])
@login_required
def group(request: HttpRequest, company_id: int) -> HttpResponse:
    company = selectors.company_for_user(request.user, company_id)
    return render(
        request,
        "companies/group.html",
        {
            "company": company,
            "membership": company.membership,
            "group_rows": selectors.group_companies_for_user(company, request.user),
            "sharing_wizard_url": _sharing_wizard_url(company),
        },
    )


@require_http_methods(["POST"])
@login_required
def unique_validation(request: HttpRequest, company_id: int) -> HttpResponse:
    """Turn "validação de unicidade de cadastros" on or off (admins of the company only).

    Works as a plain form post (redirects back to "Resumo do App") and, with htmx, answers
    with the fragments that show the setting."""
    company = selectors.company_for_user(request.user, company_id)
    membership = company.membership
    if not membership.is_admin:
        raise PermissionDenied("Somente administradores da empresa podem alterar a validação de unicidade.")
    form = UniqueValidationForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest("Valor inválido para a validação de unicidade.")
    enabled: bool = form.cleaned_data["enabled"]
    company = services.company_set_unique_validation(company=company, user=request.user, enabled=enabled)
    status = (
        "Validação de unicidade de cadastros ativada."
        if enabled
        else "Validação de unicidade de cadastros desativada."
    )
    if request.htmx:
        # The setting's card, plus the group table (out of band), which shows it too.
        context = {
            "company": company,
            "membership": membership,
            "group_rows": selectors.group_companies_for_user(company, request.user),
            "status": status,
        }
        html = render_to_string("companies/summary.html#unique-setting", context, request)
        html += render_to_string("companies/summary.html#group-card", {**context, "oob": True}, request)
        return HttpResponse(html)
    messages.success(request, status)
    return redirect(reverse("companies:summary", args=[company.pk]) + "#unicidade")
