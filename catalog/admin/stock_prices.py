"""Stock balances and price tables (local to each company, never shared)."""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.urls import reverse
from django.utils.html import format_html

from catalog import services
from catalog.admin._common import (
    LimitedInlineFormSet,
    ServiceModelForm,
    ServiceWriteAdmin,
    _is_autocomplete,
    _refusal,
    _refusal_messages_for,
)
from catalog.models import PriceTable, PriceTableItem, Product, StockBalance
from omieshare.templatetags.numbers import format_number


class StockBalanceAdminForm(ServiceModelForm):
    class Meta:
        model = StockBalance
        fields = ["product", "quantity"]


@admin.register(StockBalance)
class StockBalanceAdmin(ServiceWriteAdmin):
    form = StockBalanceAdminForm
    list_display = ["product", "company", "quantity", "updated_at"]
    list_filter = ["company"]
    list_select_related = ["product", "company"]
    search_fields = ["product__code", "product__description"]
    autocomplete_fields = ["product"]
    show_full_result_count = False
    fields = ["product", "company", "quantity", "updated_at"]

    def get_readonly_fields(self, request, obj=None):
        return ["product", "company", "updated_at"] if obj is not None else ["company", "updated_at"]

    def has_delete_permission(self, request, obj=None):
        return False  # no service deletes a balance: set it to zero instead

    def write(self, request, form, formsets, change):
        product = form.instance.product if change else form.cleaned_data["product"]
        return services.stock_balance_set(
            company=product.company, product_id=product.pk, quantity=form.cleaned_data["quantity"]
        )


class PriceTableItemInline(admin.TabularInline):
    """The table's prices; the 50 first rows (all of them under "Itens da tabela de preço")."""

    model = PriceTableItem
    formset = LimitedInlineFormSet
    fields = ["product", "price"]
    autocomplete_fields = ["product"]
    extra = 0
    can_delete = False  # no service removes an item

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("table", "product").order_by("product__code", "pk")

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        errors = _refusal_messages_for(_refusal(request), "items")
        if errors:
            formset = type(formset.__name__, (formset,), {"service_errors": errors})
        return formset


class PriceTableAdminForm(ServiceModelForm):
    inline_error_keys = {"items": "os itens da tabela"}

    class Meta:
        model = PriceTable
        fields = ["company", "name", "active"]


@admin.register(PriceTable)
class PriceTableAdmin(ServiceWriteAdmin):
    form = PriceTableAdminForm
    list_display = ["name", "company", "active", "item_count"]
    list_filter = ["company", "active"]
    list_select_related = ["company"]
    search_fields = ["name"]
    autocomplete_fields = ["company"]
    fields = ["company", "name", "active", "items_link"]
    inlines = [PriceTableItemInline]

    ordering = ["name", "id"]

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if _is_autocomplete(request):
            return queryset
        return queryset.annotate(item_count=Count("items"))

    @admin.display(description="itens", ordering="item_count")
    def item_count(self, table: PriceTable) -> str:
        return format_number(table.item_count)

    @admin.display(description="todos os itens")
    def items_link(self, table: PriceTable) -> str:
        if not table.pk:
            return "—"
        url = reverse("admin:catalog_pricetableitem_changelist") + f"?table__id__exact={table.pk}"
        return format_html('<a href="{}">{} itens (abaixo, os {} primeiros)</a>',
                           url, table.items.count(), LimitedInlineFormSet.max_shown)

    def get_readonly_fields(self, request, obj=None):
        # No service renames a table or changes its "ativa" flag once created.
        return ["company", "name", "active", "items_link"] if obj is not None else ["items_link"]

    def has_delete_permission(self, request, obj=None):
        return False  # no service deletes a price table

    def write(self, request, form, formsets, change):
        if change:
            table = form.instance
        else:
            cleaned = form.cleaned_data
            table = services.price_table_create(
                company=cleaned["company"], name=cleaned["name"], active=cleaned["active"]
            )
        for formset in formsets:
            if formset.model is not PriceTableItem:
                continue
            for row in formset.forms:
                if not getattr(row, "cleaned_data", None) or not (row.has_changed() or not change):
                    continue
                product, price = row.cleaned_data.get("product"), row.cleaned_data.get("price")
                if product is None or price is None:
                    continue
                try:
                    services.price_table_item_set(
                        company=table.company, table_id=table.pk, product_id=product.pk, price=price
                    )
                except ValidationError as error:
                    raise ValidationError({"items": [f"{product}: {m}" for m in error.messages]}) from error
                except (Product.DoesNotExist, PriceTable.DoesNotExist) as error:
                    raise ValidationError(
                        {"items": [f"{product}: o produto pertence a outra empresa."]}
                    ) from error
        return table


class PriceTableItemAdminForm(ServiceModelForm):
    class Meta:
        model = PriceTableItem
        fields = ["table", "product", "price"]

    def clean(self):
        cleaned_data = super().clean()
        table, product = cleaned_data.get("table"), cleaned_data.get("product")
        if table and product and table.company_id != product.company_id:
            self.add_error("product", f"O produto pertence a outra empresa ({product.company}).")
        return cleaned_data


@admin.register(PriceTableItem)
class PriceTableItemAdmin(ServiceWriteAdmin):
    form = PriceTableItemAdminForm
    list_display = ["product", "table", "company", "price"]
    list_filter = ["table__company", "table"]
    list_select_related = ["product", "table", "table__company"]
    search_fields = ["product__code", "product__description", "table__name"]
    autocomplete_fields = ["table", "product"]
    show_full_result_count = False

    def get_readonly_fields(self, request, obj=None):
        return ["table", "product"] if obj is not None else []

    @admin.display(description="empresa", ordering="table__company")
    def company(self, item: PriceTableItem) -> str:
        return str(item.table.company)

    def has_delete_permission(self, request, obj=None):
        return False  # no service removes an item from a table

    def write(self, request, form, formsets, change):
        table = form.instance.table if change else form.cleaned_data["table"]
        product = form.instance.product if change else form.cleaned_data["product"]
        try:
            return services.price_table_item_set(
                company=table.company, table_id=table.pk, product_id=product.pk, price=form.cleaned_data["price"]
            )
        except (Product.DoesNotExist, PriceTable.DoesNotExist) as error:
            raise ValidationError({"product": "O produto pertence a outra empresa."}) from error
