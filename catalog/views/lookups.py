"""Vendedores and famílias de produto: short lists with a form to add one."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from catalog import selectors, services
from catalog.forms import FamilyForm, SalespersonForm, add_service_errors
from companies.selectors import company_for_user


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def salesperson_list(request: HttpRequest, company_id: int) -> HttpResponse:
    company = company_for_user(request.user, company_id)
    form = SalespersonForm(request.POST or None, company=company)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                salesperson = services.salesperson_create(
                    company=company, name=form.cleaned_data["name"], email=form.cleaned_data["email"]
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, f"Vendedor “{salesperson.name}” incluído.")
                return redirect("catalog:salesperson_list", company_id=company.pk)
        status = 400
    salespeople = selectors.salespeople_overview(company=company)
    return render(
        request,
        "catalog/salesperson_list.html",
        {"company": company, "form": form, "salespeople": salespeople},
        status=status,
    )


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def family_list(request: HttpRequest, company_id: int) -> HttpResponse:
    company = company_for_user(request.user, company_id)
    form = FamilyForm(request.POST or None, company=company)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                family = services.family_create(company=company, name=form.cleaned_data["name"])
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, f"Família “{family.name}” incluída.")
                return redirect("catalog:family_list", company_id=company.pk)
        status = 400
    families = selectors.families_overview(company=company)
    return render(
        request,
        "catalog/family_list.html",
        {"company": company, "form": form, "families": families},
        status=status,
    )
