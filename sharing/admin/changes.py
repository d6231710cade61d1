"""The outbox: changes on their way to the other members."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.html import format_html

from companies.admin import MaskedSearchMixin
from omieshare.lib.admin import messages_of, pretty_json_field
from sharing import services
from sharing.admin._common import EngineRecordAdmin, _changelist_url, _short, _shown
from sharing.models import CHANGE_SOURCE_NAMES, AuditEntry, Change, change_action_name, change_source_name


class ChangeActionFilter(admin.SimpleListFilter):
    title = "ação"
    parameter_name = "action"

    def lookups(self, request, model_admin):
        return [(action, name.capitalize()) for action, name in Change.Action.choices]

    def queryset(self, request, queryset):
        return queryset.filter(action=self.value()) if self.value() else queryset


class ChangeSourceFilter(admin.SimpleListFilter):
    """Where a change was made, in words: "Tela (web)", "API", "Admin (suporte)"…"""

    title = "origem da alteração"
    parameter_name = "source"

    def lookups(self, request, model_admin):
        return list(CHANGE_SOURCE_NAMES.items())

    def queryset(self, request, queryset):
        return queryset.filter(source=self.value()) if self.value() else queryset


@admin.register(Change)
class ChangeAdmin(MaskedSearchMixin, EngineRecordAdmin):
    list_display = [
        "number",
        "record_link",
        "share_link",
        "company",
        "action_name",
        "version",
        "status",
        "attempts",
        "error",
        "source_name",
        "created_at",
        "applied_at",
    ]
    list_display_links = ["number"]
    list_filter = ["status", ChangeActionFilter, "shared_record__registry", ChangeSourceFilter, "company"]
    list_select_related = ["shared_record", "share", "share__origin", "company"]
    search_fields = ["shared_record__match_key", "company__legal_name", "company__cnpj", "last_error"]
    masked_search_fields = ("shared_record__match_key", "company__cnpj")
    show_full_result_count = False
    fields = [
        "share_link",
        "record_link",
        "version",
        "company",
        "action_name",
        "fields_pretty",
        "actor_link",
        "source_name",
        "status",
        "attempts",
        "last_error",
        "created_at",
        "applied_at",
        "related",
    ]
    readonly_fields = fields
    actions = ["retry_changes"]

    @admin.display(description="nº", ordering="pk")
    def number(self, change: Change) -> int:
        return change.pk

    @admin.display(description="último erro")
    def error(self, change: Change) -> str:
        return _short(change.last_error)

    fields_pretty = pretty_json_field("changed_fields", "campos alterados")

    @admin.display(description="ver também")
    def related(self, change: Change):
        return format_html(
            '<a href="{}">Aplicações e falhas na trilha de auditoria</a>',
            _changelist_url(AuditEntry, change__id__exact=change.pk),
        )

    @admin.action(permissions=["retry"], description="Reenviar alterações com falha")
    def retry_changes(self, request, queryset):
        ids = list(queryset.values_list("pk", flat=True)[: services.MAX_CHANGES_PER_RETRY + 1])
        try:
            retried, applied = services.changes_retry(change_ids=ids, user=request.user)
        except ValidationError as error:
            self.message_user(request, " ".join(messages_of(error)), messages.ERROR)
            return
        for change in retried:
            self.log_change(request, change, "Reenviada para aplicação pelo admin.")
        if retried:
            self.message_user(
                request,
                f"{len(retried)} alteração(ões) reenviada(s) para aplicação às demais empresas. "
                "Acompanhe a situação e o último erro nesta lista.",
                messages.SUCCESS,
            )
        if applied:
            self.message_user(
                request, f"{applied} alteração(ões) já estava(m) aplicada(s): nada a reenviar.", messages.INFO
            )

    share_link = _shown("share", "compartilhamento")
    record_link = _shown("shared_record", "cadastro compartilhado")
    actor_link = _shown("actor", "usuário")

    @admin.display(description="ação", ordering="action")
    def action_name(self, change: Change) -> str:
        return change_action_name(change.action).capitalize()

    @admin.display(description="origem da alteração", ordering="source")
    def source_name(self, change: Change) -> str:
        return change_source_name(change.source)
