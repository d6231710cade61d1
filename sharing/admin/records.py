"""Shared records and the links from each company's local row to them."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import F
from django.utils.html import format_html

from companies.admin import MaskedSearchMixin
from omieshare.lib.admin import pretty_json_field
from sharing.admin._common import (
    EngineRecordAdmin,
    ViewOnly,
    _by_company,
    _by_registry,
    _changelist_url,
    _local_record_link,
    _record_label,
    _short,
    _shown,
    _titled,
)
from sharing.models import AuditEntry, Change, RecordLink, SharedRecord, Snapshot, record_key


class RecordLinkInline(ViewOnly, admin.TabularInline):
    model = RecordLink
    fields = ["company_link", "local_record", "applied_version", "last_error", "updated_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("company")

    @admin.display(description="registro local")
    def local_record(self, link: RecordLink):
        return _local_record_link(link.registry, link.local_id)

    company_link = _shown("company", "empresa")


@admin.register(SharedRecord)
class SharedRecordAdmin(MaskedSearchMixin, EngineRecordAdmin):
    list_display = ["key", "label", "registry", "share_link", "version", "updated_at", "deleted_at"]
    list_display_links = ["key", "label"]
    list_filter = [
        "registry",
        ("share", _titled(admin.RelatedFieldListFilter, "compartilhamento")),
        ("deleted_at", _titled(admin.EmptyFieldListFilter, "excluído")),
    ]
    list_select_related = ["share", "share__origin"]
    search_fields = ["match_key"]
    masked_search_fields = ("match_key",)
    show_full_result_count = False
    ordering = ["-updated_at", "-id"]
    fields = ["share_link", "registry", "match_key", "version", "created_at", "updated_at", "deleted_at", "related",
              "values_pretty"]
    readonly_fields = fields
    inlines = [RecordLinkInline]

    @admin.display(description="chave", ordering="match_key")
    def key(self, record: SharedRecord) -> str:
        return record_key(record.registry, record.match_key)

    @admin.display(description="nome / descrição")
    def label(self, record: SharedRecord) -> str:
        return _short(_record_label(record.values), 60)

    values_pretty = pretty_json_field("values", "valores compartilhados")

    @admin.display(description="ver também")
    def related(self, record: SharedRecord):
        links = format_html(
            '<a href="{}">Alterações</a> · <a href="{}">Trilha de auditoria</a>',
            _changelist_url(Change, shared_record__id__exact=record.pk),
            _changelist_url(AuditEntry, shared_record__id__exact=record.pk),
        )
        if record.deleted_at is None:
            return links
        # Where support restores it: the copies its deletion kept, one per company.
        deletion = Change.objects.filter(shared_record=record, version=record.version).values_list("pk", flat=True)
        return format_html(
            '{} · <a href="{}">Cópias guardadas na exclusão</a>', links,
            _changelist_url(Snapshot, change__id__exact=deletion.first()),
        )

    share_link = _shown("share", "compartilhamento")


class LinkStateFilter(admin.SimpleListFilter):
    title = "sincronismo"
    parameter_name = "sincronismo"

    def lookups(self, request, model_admin):
        return [("em_dia", "em dia"), ("atrasado", "versão atrasada"), ("erro", "com erro")]

    def queryset(self, request, queryset):
        if self.value() == "em_dia":
            return queryset.filter(applied_version__gte=F("shared_record__version"), last_error="")
        if self.value() == "atrasado":
            return queryset.filter(applied_version__lt=F("shared_record__version"))
        if self.value() == "erro":
            return queryset.exclude(last_error="")
        return queryset


@admin.register(RecordLink)
class RecordLinkAdmin(MaskedSearchMixin, EngineRecordAdmin):
    list_display = [
        "record_link",
        "company_link",
        "registry_name",
        "local_record",
        "applied_version",
        "shared_version",
        "error",
        "updated_at",
    ]
    list_filter = [
        _by_registry(),
        LinkStateFilter,
        ("shared_record__share", _titled(admin.RelatedFieldListFilter, "compartilhamento")),
        _by_company(),
    ]
    list_select_related = ["shared_record", "company"]
    search_fields = ["shared_record__match_key", "company__legal_name", "company__cnpj"]
    masked_search_fields = ("shared_record__match_key", "company__cnpj")
    show_full_result_count = False
    ordering = ["-updated_at", "-id"]
    fields = [
        "record_link",
        "company_link",
        "registry_name",
        "local_record",
        "applied_version",
        "shared_version",
        "last_error",
        "updated_at",
    ]
    readonly_fields = fields

    @admin.display(description="registro local", ordering="local_id")
    def local_record(self, link: RecordLink):
        return _local_record_link(link.registry, link.local_id)

    @admin.display(description="versão compartilhada")
    def shared_version(self, link: RecordLink) -> int:
        return link.shared_record.version

    @admin.display(description="último erro")
    def error(self, link: RecordLink) -> str:
        return _short(link.last_error)

    record_link = _shown("shared_record", "cadastro compartilhado")
    company_link = _shown("company", "empresa")
    registry_name = _shown("registry", "cadastro")
