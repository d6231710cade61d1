"""Clients and suppliers."""

from __future__ import annotations

from django.contrib import admin

from catalog import selectors, services
from catalog.admin._common import StorableJSONField
from catalog.admin.attachments import PartyAttachmentInline
from catalog.admin.records import CatalogRecordAdmin, CatalogRecordForm
from catalog.models import Party


class PartyAdminForm(CatalogRecordForm):
    masked_initial = {"cnpj_cpf": "cnpj_cpf_masked", "cep": "cep_masked"}

    class Meta:
        model = Party
        fields = ["company", *services.PARTY_FIELDS, "salespeople"]
        field_classes = {"characteristics": StorableJSONField, "tags": StorableJSONField}

    def clean(self):
        cleaned_data = super().clean()
        self.check_same_company("salespeople", cleaned_data.get("salespeople") or [])
        return cleaned_data


@admin.register(Party)
class PartyAdmin(CatalogRecordAdmin):
    registry = "party"
    form = PartyAdminForm
    list_display = [
        "legal_name",
        "trade_name",
        "document",
        "company",
        "city",
        "state",
        "is_client",
        "is_supplier",
        "active",
        "version",
        "updated_at",
    ]
    list_filter = ["company", "active", "is_client", "is_supplier", "person_type", "state", "icms_taxpayer"]
    list_select_related = ["company"]
    search_fields = ["legal_name", "trade_name", "cnpj_cpf", "code", "email", "city"]
    search_words_fields = selectors.PARTY_SEARCH_FIELDS
    autocomplete_fields = ["company", "salespeople"]
    inlines = [PartyAttachmentInline]
    def update(self, *, record_id, **kwargs):
        return services.party_update(party_id=record_id, **kwargs)

    def delete_record(self, *, record_id, **kwargs):
        return services.party_delete(party_id=record_id, **kwargs)

    def write(self, request, form, formsets, change):
        cleaned = form.cleaned_data
        data = {name: cleaned[name] for name in services.PARTY_FIELDS if name in form.fields}
        if "salespeople" in form.fields:
            data["salespeople"] = list(cleaned.get("salespeople") or [])
        if change:
            return services.party_update(
                company=form.instance.company,
                party_id=form.instance.pk,
                data=data,
                expected_version=cleaned["expected_version"],
                actor_id=request.user.pk,
                source="admin",
            )
        return services.party_create(
            company=cleaned["company"], data=data, actor_id=request.user.pk, source="admin"
        )
