"""Products and their structure (bill of materials)."""

from __future__ import annotations

from django.contrib import admin

from catalog import selectors, services
from catalog.admin._common import ServiceInlineFormSet, StorableJSONField, _refusal, _refusal_messages_for
from catalog.admin.attachments import ProductAttachmentInline
from catalog.admin.records import CatalogRecordAdmin, CatalogRecordForm
from catalog.models import BillOfMaterialsItem, Product


class ProductAdminForm(CatalogRecordForm):
    masked_initial = {"ncm": "ncm_masked", "cest": "cest_masked"}
    inline_error_keys = {"bom": "a estrutura do produto"}

    class Meta:
        model = Product
        fields = ["company", *services.PRODUCT_FIELDS, "suppliers"]
        field_classes = {"characteristics": StorableJSONField, "videos": StorableJSONField}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "code" in self.fields and not self.instance.pk:
            self.fields["code"].required = False
            self.fields["code"].help_text = (
                "Único na empresa. Deixe em branco para usar o código sugerido."
            )

    def clean_videos(self):
        return self.cleaned_data.get("videos") or []  # an empty box: no videos

    def clean(self):
        cleaned_data = super().clean()
        self.check_same_company("suppliers", cleaned_data.get("suppliers") or [])
        if cleaned_data.get("family"):
            self.check_same_company("family", [cleaned_data["family"]])
        return cleaned_data


class BillOfMaterialsInline(admin.TabularInline):
    """The product's structure; written by the product service as its `bom`."""

    model = BillOfMaterialsItem
    fk_name = "product"
    formset = ServiceInlineFormSet
    fields = ["component", "quantity"]
    autocomplete_fields = ["component"]
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("component")

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        errors = _refusal_messages_for(_refusal(request), "bom")
        if errors:
            formset = type(formset.__name__, (formset,), {"service_errors": errors})
        return formset


def _inline_lines(formset, *fields: str) -> list[tuple]:
    """The rows a valid inline formset holds after the submission (deleted ones left out)."""
    lines = []
    for row in formset.forms:
        data = getattr(row, "cleaned_data", None) or {}
        if not data or data.get("DELETE") or any(data.get(name) is None for name in fields):
            continue
        lines.append(tuple(data[name] for name in fields))
    return lines


@admin.register(Product)
class ProductAdmin(CatalogRecordAdmin):
    registry = "product"
    form = ProductAdminForm
    list_display = [
        "code",
        "description",
        "company",
        "unit",
        "ncm_display",
        "ean",
        "price",
        "family",
        "active",
        "version",
        "updated_at",
    ]
    list_display_links = ["code", "description"]
    list_filter = ["company", "active", "item_type", "origin", "blocked"]
    list_select_related = ["company", "family"]
    search_fields = ["code", "description", "ean", "ncm"]
    search_words_fields = selectors.PRODUCT_SEARCH_FIELDS
    autocomplete_fields = ["company", "family", "suppliers"]
    inlines = [BillOfMaterialsInline, ProductAttachmentInline]
    fields_apart = ("bom", "attachments")  # the inlines below the form

    @admin.display(description="NCM", ordering="ncm")
    def ncm_display(self, product: Product) -> str:
        return product.ncm_masked

    def update(self, *, record_id, **kwargs):
        return services.product_update(product_id=record_id, **kwargs)

    def delete_record(self, *, record_id, **kwargs):
        return services.product_delete(product_id=record_id, **kwargs)

    def write(self, request, form, formsets, change):
        cleaned = form.cleaned_data
        data = {name: cleaned[name] for name in services.PRODUCT_FIELDS if name in form.fields}
        if "suppliers" in form.fields:
            data["suppliers"] = list(cleaned.get("suppliers") or [])
        for formset in formsets:
            if formset.model is BillOfMaterialsItem and (formset.has_changed() or not change):
                data["bom"] = _inline_lines(formset, "component", "quantity")
        if change:
            return services.product_update(
                company=form.instance.company,
                product_id=form.instance.pk,
                data=data,
                expected_version=cleaned["expected_version"],
                actor_id=request.user.pk,
                source="admin",
            )
        return services.product_create(
            company=cleaned["company"], data=data, actor_id=request.user.pk, source="admin"
        )
