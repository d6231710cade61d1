"""Produtos: list, detail, create, edit and delete, plus the supplier search used by
the product form."""

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
    ProductForm,
    ProductListFilterForm,
    add_service_errors,
    stale_differences,
)
from catalog.models import Product
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
from omieshare.lib.text import without_unstorable


@require_http_methods(["GET", "HEAD"])
@login_required
def product_list(request: HttpRequest, company_id: int) -> HttpResponse:
    company = company_for_user(request.user, company_id)
    filter_form = ProductListFilterForm(request.GET)
    filters = filter_form.filters()
    page = selectors.list_page(
        selectors.product_list(company=company, filters=filters),
        number=request.GET.get("page"),
        sort_field="description",
        searched=bool(filters.q.strip()),
    )
    page.object_list = selectors.with_share_status(company=company, registry="product", records=page.object_list)
    return render_list(
        request,
        "catalog/product_list.html",
        {
            "company": company, "filter_form": filter_form, "filters": filters, "page": page,
            "create_status": selectors.create_status(company=company, registry="product"),
        },
    )


def product_detail_response(
    request: HttpRequest,
    company: Company,
    product_id: int,
    *,
    attachment_form: AttachmentForm | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    """The detail page; attachment views re-render it with their form's errors."""
    product = selectors.product_detail(company=company, product_id=product_id)
    selectors.with_share_status(company=company, registry="product", records=[product])
    # Every stored field by group; the lists and the structure table have cards of their own.
    groups, empty_groups = field_groups.record_groups(
        product, "product", shown_apart=("characteristics", "suppliers", "bom", "attachments")
    )
    context = {
        "company": company,
        "product": product,
        "groups": groups,
        "empty_groups": empty_groups,
        "shared_fields": field_groups.shared_names("product"),
        "stock_balance": selectors.product_stock_balance(company=company, product=product),
        "price_entries": selectors.product_price_entries(company=company, product=product),
        "used_in": selectors.product_used_in(company=company, product=product),
        "attachment_form": attachment_form or AttachmentForm(),
        "attachment_error": error,
        "max_attachment_bytes": settings.MAX_ATTACHMENT_BYTES,
        "registry": "product",
        "sync": selectors.record_sync(company=company, registry="product", record_id=product.pk),
        # The panel polls the record's page (attachment views render it at their own URL).
        "sync_poll_url": reverse("catalog:product_detail", args=[company.pk, product.pk]),
    }
    return render_detail(request, "catalog/product_detail.html", context, status=status)


@require_http_methods(["GET", "HEAD"])
@login_required
def product_detail(request: HttpRequest, company_id: int, product_id: int) -> HttpResponse:
    company = company_for_user(request.user, company_id)
    return product_detail_response(request, company, product_id)


def _render_form(
    request: HttpRequest,
    company: Company,
    form: ProductForm,
    *,
    product: Product | None = None,
    stale: dict | None = None,
    existing: dict | None = None,
    status: int = 200,
) -> HttpResponse:
    context = {"company": company, "form": form, "product": product, "stale": stale, "existing": existing}
    return render(request, "catalog/product_form.html", context, status=status)


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def product_create(request: HttpRequest, company_id: int) -> HttpResponse:
    company = company_for_user(request.user, company_id)
    if request.method != "POST":
        suggestion = services.product_code_suggestion(company=company)
        return _render_form(request, company, ProductForm(company=company, initial={"code": suggestion}))
    form = ProductForm(request.POST, company=company)
    if not form.is_valid():
        return _render_form(request, company, form, status=400)
    try:
        product = services.product_create(
            company=company, data=form.product_data(), actor_id=request.user.pk, source="web"
        )
    except WriteRefused as refusal:
        form.add_error(None, refusal.message)
        return _render_form(request, company, form, existing=existing_record(company, refusal), status=403)
    except ValidationError as error:
        add_service_errors(form, error)
        return _render_form(request, company, form, existing=existing_record(company, error), status=400)
    saved_message(
        request, f"Produto {product.code} – “{product.description}” incluído.", before=None,
        after=selectors.record_sync(company=company, registry="product", record_id=product.pk),
    )
    return redirect("catalog:product_detail", company_id=company.pk, product_id=product.pk)


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def product_edit(request: HttpRequest, company_id: int, product_id: int) -> HttpResponse:
    company = company_for_user(request.user, company_id)
    product = selectors.product_get(company=company, product_id=product_id)
    # Without the edit permission the shared fields are read-only; the others stay editable.
    share_status = share_status_of(company, "product", product)
    if request.method != "POST":
        form = ProductForm(company=company, instance=product, share_status=share_status)
        return _render_form(request, company, form, product=product)
    # The form works on a copy: binding it changes its instance, and a refused edit
    # must still show the saved record in the heading.
    form = ProductForm(request.POST, company=company, instance=copy.copy(product), share_status=share_status)
    if not form.is_valid():
        return _render_form(request, company, form, product=product, status=400)
    before = selectors.record_sync(company=company, registry="product", record_id=product.pk)
    try:
        product = services.product_update(
            company=company,
            product_id=product.pk,
            data=form.product_data(),
            expected_version=form.expected_version,
            actor_id=request.user.pk,
            source="web",
        )
    except StaleEdit as stale:
        # Show what is saved now, next to what the user typed; nothing was written.
        current = stale.current
        stale_info = {"message": str(stale), "differences": stale_differences(form, current)}
        fresh = ProductForm(company=company, instance=current, share_status=share_status)
        return _render_form(request, company, fresh, product=current, stale=stale_info, status=409)
    except WriteRefused as refusal:
        form.add_error(None, refusal.message)
        return _render_form(request, company, form, product=product, status=403)
    except ValidationError as error:
        add_service_errors(form, error)
        return _render_form(
            request, company, form, product=product, existing=existing_record(company, error), status=400
        )
    saved_message(
        request, f"Produto {product.code} – “{product.description}” alterado.", before=before,
        after=selectors.record_sync(company=company, registry="product", record_id=product.pk),
    )
    return redirect("catalog:product_detail", company_id=company.pk, product_id=product.pk)


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def product_delete(request: HttpRequest, company_id: int, product_id: int) -> HttpResponse:
    company = company_for_user(request.user, company_id)
    product = selectors.product_get(company=company, product_id=product_id)
    return confirm_delete(
        request,
        company=company,
        record=product,
        registry="product",
        delete=services.product_delete,
        success_message=lambda product: (
            f"Produto {product.code} – {product.description} excluído, com o seu saldo de estoque e os seus "
            "preços nas tabelas. Se precisar dele de volta, o suporte pode restaurá-lo."
        ),
    )


@require_http_methods(["GET", "HEAD"])
@login_required
def supplier_options(request: HttpRequest, company_id: int) -> HttpResponse:
    """Suppliers matching the typed text, as checkboxes the product form can tick."""
    company = company_for_user(request.user, company_id)
    # NUL cannot be searched in PostgreSQL (a 500 before): dropped, the rest is searched.
    q = without_unstorable(request.GET.get("supplier_q", "")).strip()[:100]
    suppliers = selectors.supplier_search(company=company, q=q) if q else []
    return render(
        request,
        "catalog/product_form.html#supplier-options",
        {"company": company, "suppliers": suppliers, "supplier_q": q},
    )
