"""The audit trail."""

from __future__ import annotations

from django.contrib import admin

from companies.admin import MaskedSearchMixin
from omieshare.lib.admin import pretty_json_field
from sharing.admin._common import EngineRecordAdmin, _compare, _local_record_link, _short, _shown
from sharing.models import AuditEntry
from sharing.templatetags.shared_values import field_label


@admin.register(AuditEntry)
class AuditEntryAdmin(MaskedSearchMixin, EngineRecordAdmin):
    list_display = [
        "created_at",
        "action_name",
        "share_link",
        "company",
        "actor",
        "registry",
        "record_link",
        "fields_short",
        "detail_short",
    ]
    list_filter = ["action", "registry", "company"]
    list_select_related = ["share", "share__origin", "company", "actor", "shared_record", "change"]
    search_fields = [
        "detail",
        "shared_record__match_key",
        "company__legal_name",
        "company__cnpj",
        "actor__username",
        "actor__email",
    ]
    masked_search_fields = ("shared_record__match_key", "company__cnpj")
    date_hierarchy = "created_at"
    show_full_result_count = False
    fields = [
        "created_at",
        "action_name",
        "share_link",
        "company",
        "actor",
        "registry",
        "record_link",
        "change_link",
        "local_record",
        "detail",
        "differences",
        "fields_pretty",
        "old_values_pretty",
        "new_values_pretty",
    ]
    readonly_fields = fields

    @admin.display(description="ação", ordering="action")
    def action_name(self, entry: AuditEntry) -> str:
        return entry.action_label

    @admin.display(description="campos")
    def fields_short(self, entry: AuditEntry) -> str:
        return _short(", ".join(field_label(name) for name in entry.fields or []), 50)

    @admin.display(description="detalhe")
    def detail_short(self, entry: AuditEntry) -> str:
        return _short(entry.detail, 80)

    @admin.display(description="registro local")
    def local_record(self, entry: AuditEntry):
        return _local_record_link(entry.registry, entry.local_id) if entry.registry else "—"

    @admin.display(description="o que mudou")
    def differences(self, entry: AuditEntry):
        if not entry.old_values and not entry.new_values:
            return "—"
        names = list(dict.fromkeys([*(entry.fields or []), *entry.old_values, *entry.new_values]))
        rows = [(name, entry.old_values.get(name), entry.new_values.get(name)) for name in names]
        return _compare(rows, "antes", "depois")

    @admin.display(description="campos")
    def fields_pretty(self, entry: AuditEntry):
        return ", ".join(field_label(name) for name in entry.fields or []) or "—"

    old_values_pretty = pretty_json_field("old_values", "valores anteriores")

    new_values_pretty = pretty_json_field("new_values", "valores novos")

    share_link = _shown("share", "compartilhamento")
    record_link = _shown("shared_record", "cadastro compartilhado")
    change_link = _shown("change", "alteração")
