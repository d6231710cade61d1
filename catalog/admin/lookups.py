"""Salespeople and product families."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Count

from catalog import services
from catalog.admin._common import ServiceModelForm, ServiceWriteAdmin, _is_autocomplete
from catalog.models import ProductFamily, Salesperson
from omieshare.templatetags.numbers import format_number


class SalespersonAdminForm(ServiceModelForm):
    class Meta:
        model = Salesperson
        fields = ["company", "name", "email", "active"]


@admin.register(Salesperson)
class SalespersonAdmin(ServiceWriteAdmin):
    form = SalespersonAdminForm
    list_display = ["name", "email", "company", "active"]
    list_filter = ["company", "active"]
    list_select_related = ["company"]
    search_fields = ["name", "email"]
    autocomplete_fields = ["company"]
    fields = ["company", "name", "email", "active"]

    def get_readonly_fields(self, request, obj=None):
        return ["company"] if obj is not None else []

    def has_delete_permission(self, request, obj=None):
        return False  # no service deletes a salesperson: make it inactive instead

    def write(self, request, form, formsets, change):
        cleaned = form.cleaned_data
        if change:
            return services.salesperson_update(
                company=form.instance.company,
                salesperson_id=form.instance.pk,
                data={name: cleaned[name] for name in ("name", "email", "active")},
            )
        return services.salesperson_create(
            company=cleaned["company"], name=cleaned["name"], email=cleaned["email"], active=cleaned["active"]
        )


class ProductFamilyAdminForm(ServiceModelForm):
    class Meta:
        model = ProductFamily
        fields = ["company", "name"]


@admin.register(ProductFamily)
class ProductFamilyAdmin(ServiceWriteAdmin):
    form = ProductFamilyAdminForm
    list_display = ["name", "company", "product_count"]
    list_filter = ["company"]
    list_select_related = ["company"]
    search_fields = ["name"]
    autocomplete_fields = ["company"]
    fields = ["company", "name"]

    ordering = ["name", "id"]

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if _is_autocomplete(request):
            return queryset
        return queryset.annotate(product_count=Count("products"))

    @admin.display(description="produtos", ordering="product_count")
    def product_count(self, family: ProductFamily) -> str:
        return format_number(family.product_count)

    def get_readonly_fields(self, request, obj=None):
        return ["company"] if obj is not None else []

    def has_delete_permission(self, request, obj=None):
        return False  # no service deletes a family (products point at it)

    def write(self, request, form, formsets, change):
        cleaned = form.cleaned_data
        if change:
            return services.family_rename(
                company=form.instance.company, family_id=form.instance.pk, name=cleaned["name"]
            )
        return services.family_create(company=cleaned["company"], name=cleaned["name"])
