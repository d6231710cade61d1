"""Admin for support staff over the sharing engine: shares, members, jobs, changes,
snapshots and the audit trail.

The engine's own records (shared records, links, the outbox, jobs, snapshots, audit) are
view-only here: only the engine writes them, and a hand edit would break its guarantees
(versions, exactly-once application, the audit trail itself). What support staff may do
goes through the same services and tasks as every other path:

- a member's permissions (include, edit, delete) are changed by
  `services.member_set_permissions`, which audits the change;
- "Ressincronizar" (a share, or one member) queues a resync job (`services.resync_start`);
- "Reenviar alterações com falha" applies them again (`services.changes_retry`);
- "Retomar ativação que falhou" starts a new activation job (`services.job_resume`);
- "Restaurar cópia anterior" runs `services.snapshot_restore`, a catalog write like any
  other: the sharing permissions apply and, while the record is shared, the restored
  values reach the other members.

A share is configured, activated and left through the wizard or the commands, never here.
Every action reports what it did with messages; a refusal is a message, never an error page.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.db import models
from django.db.models import Count, F, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.formats import localize
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator

from catalog.exceptions import StaleEdit, WriteRefused
from catalog.registries import describe
from companies.admin import CompanyAdmin, MaskedSearchMixin
from companies.models import Company
from omieshare.lib.durations import format_duration
from omieshare.templatetags.numbers import format_number
from sharing import selectors, services
from sharing.canonical import canonical_values, diff_fields
from sharing.models import (
    CHANGE_SOURCE_NAMES,
    AuditEntry,
    Change,
    RecordLink,
    Share,
    SharedRecord,
    ShareMember,
    Snapshot,
    SyncJob,
    activation_summary,
    change_action_name,
    change_source_name,
    record_key,
)
from sharing.services import Permissions
from sharing.templatetags.shared_values import field_label, shared_value

logger = logging.getLogger(__name__)

# What a service raises to refuse; nothing was written.
REFUSALS = (ValidationError, PermissionDenied, WriteRefused, StaleEdit, ObjectDoesNotExist)
# Actions act once per selected row; beyond this, use the management commands.
MAX_ROWS_PER_ACTION = 1000
MAX_SNAPSHOTS_PER_ACTION = 100


# --- display helpers ---------------------------------------------------------------------


def _messages_of(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error) or error.__class__.__name__


def _json_text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True, default=str)


def _pretty(value: Any):
    """A JSON value as indented, wrapped text (values, counts, errors)."""
    if value in (None, "", [], {}):
        return "—"
    return format_html(
        '<pre style="white-space: pre-wrap; margin: 0; max-height: 32em; overflow: auto">{}</pre>',
        _json_text(value),
    )


def _short(value: Any, length: int = 60) -> str:
    if value in (None, "", [], {}):
        return "—"
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return Truncator(" ".join(text.split())).chars(length)


def _compare(rows: list[tuple[str, Any, Any]], before: str, after: str):
    """A small table field | before | after, for the fields that differ, with the fields'
    pt-BR names and their values as the pages show them (masked CNPJ, "Sim"/"Não", …)."""
    if not rows:
        return "Nenhuma diferença."
    return format_html(
        "<table><thead><tr><th>campo</th><th>{}</th><th>{}</th></tr></thead><tbody>{}</tbody></table>",
        before,
        after,
        format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            ((field_label(name), _short(shared_value(old, name), 200), _short(shared_value(new, name), 200))
             for name, old, new in rows),
        ),
    )


def _record_label(values: dict | None) -> str:
    values = values or {}
    return values.get("legal_name") or values.get("description") or ""


def _change_url(obj) -> str:
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


def _changelist_url(model, **filters) -> str:
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    query = "&".join(f"{key}={value}" for key, value in filters.items())
    return f"{url}?{query}" if query else url


def _local_record_link(registry: str, local_id: int | None):
    """The catalog admin page of the local row a link or snapshot points at."""
    if local_id is None:
        return "—"
    try:
        url = reverse(f"admin:catalog_{registry}_change", args=[local_id])
    except NoReverseMatch:
        return f"nº {local_id}"
    return format_html(
        '<a href="{}">{} nº {}</a>', url, describe(registry).kind, local_id
    )


def _count(queryset, field: str = "share") -> Coalesce:
    """COUNT(*) of a correlated queryset as a subquery (no join fan-out on the main query)."""
    counted = queryset.order_by().values(field).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def _shown(name: str, label: str):
    """A model field under a pt-BR label, as a display method.

    Some engine fields were declared without a verbose_name, and the admin would call them
    "company", "share" or "restored by". Related rows are linked to their admin page."""

    @admin.display(description=label, ordering=name)
    def show(self, obj):
        value = getattr(obj, name)
        if value is None:
            return self.get_empty_value_display()
        if isinstance(value, datetime):
            return localize(timezone.localtime(value))
        choices_display = getattr(obj, f"get_{name}_display", None)
        if choices_display is not None:
            return choices_display()
        if isinstance(value, models.Model):
            try:
                return format_html('<a href="{}">{}</a>', _change_url(value), value)
            except NoReverseMatch:
                return str(value)
        return value

    return show


def _titled(base: type[admin.FieldListFilter], title: str) -> type[admin.FieldListFilter]:
    """A list filter under a pt-BR title (see `_shown`)."""

    class Titled(base):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.title = title

    return Titled


def _by_company() -> tuple[str, type[admin.FieldListFilter]]:
    return ("company", _titled(admin.RelatedFieldListFilter, "empresa"))


def _by_registry() -> tuple[str, type[admin.FieldListFilter]]:
    return ("registry", _titled(admin.ChoicesFieldListFilter, "cadastro"))


class _ServiceRefused(Exception):
    """Carries a service's refusal out of the admin's transaction (rolled back on the way)."""

    def __init__(self, error: Exception) -> None:
        super().__init__(str(error))
        self.error = error


class ViewOnly:
    """No add, change or delete from the admin: the engine alone writes these rows."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class EngineRecordAdmin(ViewOnly, admin.ModelAdmin):
    """View-only: rows written by the sharing engine alone."""

    # Who may run the support actions: Django's permissions on the rows they create or
    # update, even though the pages themselves are view-only.
    def has_resync_permission(self, request) -> bool:
        return request.user.has_perm("sharing.add_syncjob")

    def has_retry_permission(self, request) -> bool:
        return request.user.has_perm("sharing.change_change")

    def has_restore_permission(self, request) -> bool:
        return request.user.has_perm("sharing.change_snapshot")


def _start_resync(modeladmin: admin.ModelAdmin, request, share: Share, member: ShareMember | None) -> None:
    """Queue a resync of the share (or one member) and say so, or say why not."""
    scope = member.company.display_name if member else "todas as empresas"
    try:
        # What resync_start would refuse for the share's state, told apart from other
        # refusals: nothing is wrong, there is simply nothing to resync there.
        services.check_resync_scope(share, member.company if member else None)
    except ValidationError as error:
        modeladmin.message_user(
            request, f"{share} ({scope}): não ressincronizado. {_messages_of(error)}", messages.WARNING
        )
        return
    running = share.jobs.live().filter(kind=SyncJob.Kind.RESYNC).values_list("pk", flat=True).first()
    try:
        job = services.resync_start(share=share, company=member.company if member else None, user=request.user)
    except REFUSALS as error:
        modeladmin.message_user(
            request, f"{share} ({scope}): não ressincronizado. {_messages_of(error)}", messages.ERROR
        )
        return
    if job.pk == running:
        modeladmin.message_user(
            request,
            format_html(
                '{}: já há uma ressincronização na fila ou em andamento (<a href="{}">{}</a>); '
                "nenhuma outra foi criada. Aguarde a conclusão e tente de novo se ainda precisar.",
                share,
                _change_url(job),
                job,
            ),
            messages.WARNING,
        )
        return
    modeladmin.log_change(request, member or share, f"Ressincronização nº {job.pk} solicitada ({scope}).")
    modeladmin.message_user(
        request,
        format_html(
            '{} ({}): ressincronização na fila (<a href="{}">{}</a>). Divergências encontradas serão '
            "corrigidas com os valores compartilhados.",
            share,
            scope,
            _change_url(job),
            job,
        ),
        messages.SUCCESS,
    )


# --- shares and members ------------------------------------------------------------------


class ShareMemberInline(ViewOnly, admin.TabularInline):
    """The share's companies; permissions are changed on each member's own page."""

    model = ShareMember
    fields = ["company", "is_origin", "permissions", "state", "added_at", "activated_at", "removed_at"]
    readonly_fields = fields
    extra = 0
    show_change_link = True
    can_delete = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("company")

    @admin.display(description="permissões")
    def permissions(self, member: ShareMember) -> str:
        return member.permissions_display()


@admin.register(Share)
class ShareAdmin(MaskedSearchMixin, EngineRecordAdmin):
    """Configured and activated in the wizard or with the commands; here to look and resync."""

    list_display = [
        "number",
        "origin",
        "registries",
        "status",
        "destination_count",
        "pending_changes",
        "activated_at",
        "created_at",
    ]
    list_display_links = ["number", "origin"]
    list_filter = ["status", "shares_parties", "shares_products"]
    list_select_related = ["origin"]
    search_fields = [
        "=id",
        "origin__legal_name",
        "origin__trade_name",
        "origin__cnpj",
        "members__company__legal_name",
        "members__company__cnpj",
    ]
    masked_search_fields = ("origin__cnpj", "members__company__cnpj")
    fields = [
        "origin",
        "registries",
        "status",
        "configured_by",
        "created_at",
        "activated_by",
        "activated_at",
        "dissolved_at",
        "code_counter",
        "related",
    ]
    readonly_fields = fields
    inlines = [ShareMemberInline]
    actions = ["resync_shares"]

    def get_queryset(self, request):
        destinations = ShareMember.objects.filter(share=OuterRef("pk"), is_origin=False).exclude(
            state=ShareMember.State.REMOVED
        )
        pending = Change.objects.filter(share=OuterRef("pk")).exclude(status=Change.Status.APPLIED)
        return (
            super()
            .get_queryset(request)
            .annotate(destination_count=_count(destinations), pending_count=_count(pending))
        )

    @admin.display(description="nº", ordering="pk")
    def number(self, share: Share) -> int:
        return share.pk

    @admin.display(description="cadastros")
    def registries(self, share: Share) -> str:
        return share.get_registries_display() or "—"

    @admin.display(description="destinos", ordering="destination_count")
    def destination_count(self, share: Share) -> str:
        return format_number(share.destination_count)

    @admin.display(description="alterações pendentes", ordering="pending_count")
    def pending_changes(self, share: Share):
        if not share.pending_count:
            return 0
        url = _changelist_url(Change, share__id__exact=share.pk, status__in="pending,failed")
        return format_html('<a href="{}">{}</a>', url, format_number(share.pending_count))

    @admin.display(description="ver também")
    def related(self, share: Share):
        links = [
            ("Cadastros compartilhados", SharedRecord, {"share__id__exact": share.pk}),
            ("Vínculos", RecordLink, {"shared_record__share__id__exact": share.pk}),
            ("Alterações a propagar", Change, {"share__id__exact": share.pk}),
            ("Tarefas de sincronismo", SyncJob, {"share__id__exact": share.pk}),
            ("Cópias anteriores", Snapshot, {"share__id__exact": share.pk}),
            ("Trilha de auditoria", AuditEntry, {"share__id__exact": share.pk}),
        ]
        return format_html_join(
            " · ", '<a href="{}">{}</a>', ((_changelist_url(model, **query), label) for label, model, query in links)
        )

    @admin.action(permissions=["resync"], description="Ressincronizar compartilhamento")
    def resync_shares(self, request, queryset):
        for share in queryset.select_related("origin")[:MAX_ROWS_PER_ACTION]:
            _start_resync(self, request, share, None)


@admin.register(ShareMember)
class ShareMemberAdmin(MaskedSearchMixin, admin.ModelAdmin):
    """A company in a share. Only its permissions change here, through the service."""

    list_display = [
        "company",
        "share_link",
        "role",
        "permissions",
        "state",
        "added_at",
        "activated_at",
        "removed_at",
    ]
    list_filter = ["state", "is_origin", "can_create", "can_update", "can_delete", "company"]
    list_select_related = ["company", "share", "share__origin"]
    search_fields = ["company__legal_name", "company__trade_name", "company__cnpj", "=share__id"]
    masked_search_fields = ("company__cnpj",)
    fields = [
        "share_link",
        "company",
        "is_origin",
        "state",
        "can_create",
        "can_update",
        "can_delete",
        "added_by_link",
        "added_at",
        "activated_at",
        "removed_at",
    ]
    readonly_fields = [
        "share_link",
        "company",
        "is_origin",
        "state",
        "added_by_link",
        "added_at",
        "activated_at",
        "removed_at",
    ]
    actions = ["resync_members"]

    @admin.display(description="papel", ordering="is_origin")
    def role(self, member: ShareMember) -> str:
        return "origem" if member.is_origin else "destino"

    @admin.display(description="permissões")
    def permissions(self, member: ShareMember) -> str:
        return member.permissions_display()

    def has_add_permission(self, request):
        return False  # members are added by the wizard or share_activate

    def has_delete_permission(self, request, obj=None):
        return False  # leaving a share is services.member_remove (the wizard, share_remove)

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.state == ShareMember.State.REMOVED:
            return False  # a removed company's permissions mean nothing any more
        return super().has_change_permission(request, obj)

    def has_resync_permission(self, request) -> bool:
        return request.user.has_perm("sharing.add_syncjob")

    def save_model(self, request, obj, form, change):
        if not change or not form.has_changed():
            return
        # Staff act as support (user=None): the service checks that a *web* user is an
        # admin of the origin, which support staff usually are not. The audit entry still
        # names them (actor).
        try:
            services.member_set_permissions(
                member=obj,
                permissions=Permissions(
                    can_create=form.cleaned_data["can_create"],
                    can_update=form.cleaned_data["can_update"],
                    can_delete=form.cleaned_data["can_delete"],
                ),
                user=None,
                actor=request.user,
            )
        except (ValidationError, PermissionDenied) as error:
            raise _ServiceRefused(error) from error

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except _ServiceRefused as refused:  # the admin's transaction rolled back: nothing saved
            self.message_user(request, f"Permissões não alteradas: {_messages_of(refused.error)}", messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    @admin.action(permissions=["resync"], description="Ressincronizar empresa")
    def resync_members(self, request, queryset):
        for member in queryset.select_related("company", "share", "share__origin")[:MAX_ROWS_PER_ACTION]:
            _start_resync(self, request, member.share, member)

    share_link = _shown("share", "compartilhamento")
    added_by_link = _shown("added_by", "incluída por")


# --- shared records and links ------------------------------------------------------------


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
    list_display = ["key", "label", "registry", "share_link", "version", "updated_at"]
    list_display_links = ["key", "label"]
    list_filter = ["registry", ("share", _titled(admin.RelatedFieldListFilter, "compartilhamento"))]
    list_select_related = ["share", "share__origin"]
    search_fields = ["match_key"]
    masked_search_fields = ("match_key",)
    show_full_result_count = False
    ordering = ["-updated_at", "-id"]
    fields = ["share_link", "registry", "match_key", "version", "created_at", "updated_at", "related", "values_pretty"]
    readonly_fields = fields
    inlines = [RecordLinkInline]

    @admin.display(description="chave", ordering="match_key")
    def key(self, record: SharedRecord) -> str:
        return record_key(record.registry, record.match_key)

    @admin.display(description="nome / descrição")
    def label(self, record: SharedRecord) -> str:
        return _short(_record_label(record.values), 60)

    @admin.display(description="valores compartilhados")
    def values_pretty(self, record: SharedRecord):
        return _pretty(record.values)

    @admin.display(description="ver também")
    def related(self, record: SharedRecord):
        return format_html(
            '<a href="{}">Alterações</a> · <a href="{}">Trilha de auditoria</a>',
            _changelist_url(Change, shared_record__id__exact=record.pk),
            _changelist_url(AuditEntry, shared_record__id__exact=record.pk),
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


# --- the outbox --------------------------------------------------------------------------


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

    @admin.display(description="campos alterados")
    def fields_pretty(self, change: Change):
        return _pretty(change.changed_fields)

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
            self.message_user(request, _messages_of(error), messages.ERROR)
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


# --- jobs --------------------------------------------------------------------------------


@admin.register(SyncJob)
class SyncJobAdmin(MaskedSearchMixin, EngineRecordAdmin):
    list_display = [
        "number",
        "share_link",
        "kind",
        "status",
        "progress",
        "percent_display",
        "attempts",
        "error_count",
        "created_by_link",
        "created_at",
        "started_at",
        "finished_at",
        "duration",
    ]
    list_display_links = ["number"]
    list_filter = ["status", "kind"]
    list_select_related = ["share", "share__origin", "created_by"]
    search_fields = ["=share__id", "share__origin__legal_name", "share__origin__cnpj"]
    masked_search_fields = ("share__origin__cnpj",)
    fields = [
        "share_link",
        "kind",
        "status",
        "progress",
        "percent_display",
        "attempts",
        "failures",
        "created_by_link",
        "created_at",
        "started_at",
        "finished_at",
        "duration",
        "lease",
        "params_pretty",
        "summary",
        "counts_pretty",
        "errors_pretty",
    ]
    readonly_fields = fields
    actions = ["resume_activations"]

    @admin.action(permissions=["resync"], description="Retomar ativação que falhou")
    def resume_activations(self, request, queryset):
        """An activation that gave up after repeated errors leaves its share half activated
        and its members' writes refused: a new job copies what is missing (idempotent)."""
        for job in queryset.select_related("share", "share__origin")[:MAX_ROWS_PER_ACTION]:
            try:
                # Staff act as support (user=None), as for permissions.
                resumed = services.job_resume(job=job)
            except services.NotResumable as error:  # nothing to resume: not an error
                self.message_user(request, f"{job}: não retomada. {_messages_of(error)}", messages.WARNING)
            except REFUSALS as error:
                self.message_user(request, f"{job}: não retomada. {_messages_of(error)}", messages.ERROR)
            else:
                self.message_user(request, f"{job}: retomada como {resumed}.", messages.SUCCESS)

    @admin.display(description="nº", ordering="pk")
    def number(self, job: SyncJob) -> int:
        return job.pk

    @admin.display(description="feito/total")
    def progress(self, job: SyncJob) -> str:
        if job.kind == SyncJob.Kind.RESYNC and job.is_finished and not job.total:
            return "nada a corrigir"  # a clean check, which used to read "0/0"
        return f"{format_number(job.done)} de {format_number(job.total)}"

    @admin.display(description="%")
    def percent_display(self, job: SyncJob) -> str:
        return f"{job.percent} %"

    @admin.display(description="erros")
    def error_count(self, job: SyncJob) -> str:
        return format_number(len(job.errors or []))

    @admin.display(description="duração")
    def duration(self, job: SyncJob) -> str:
        if not job.started_at:
            return "—"
        text = format_duration(((job.finished_at or timezone.now()) - job.started_at).total_seconds())
        return text if job.finished_at else f"{text} (em andamento)"

    @admin.display(description="empresas")
    def params_pretty(self, job: SyncJob):
        company_id = (job.params or {}).get("company_id")
        if company_id is None:
            return "Todas as empresas do compartilhamento"
        company = Company.objects.filter(pk=company_id).first()
        return str(company) if company else f"Empresa nº {company_id} (excluída)"

    @admin.display(description="resultado")
    def summary(self, job: SyncJob) -> str:
        return job.summary or "—"

    @admin.display(description="resultado por empresa")
    def counts_pretty(self, job: SyncJob):
        by_company = (job.counts or {}).get("by_company") or {}
        if not by_company:
            return "—"
        names = dict(Company.objects.filter(pk__in=[int(pk) for pk in by_company]).values_list("pk", "trade_name"))
        rows = format_html_join(
            "", "<tr><td>{}</td><td>{}</td></tr>",
            ((names.get(int(pk)) or f"nº {pk}", activation_summary(counts)) for pk, counts in by_company.items()),
        )
        return format_html("<table><tbody>{}</tbody></table>", rows)

    @admin.display(description="erros")
    def errors_pretty(self, job: SyncJob):
        return _pretty(job.errors)

    share_link = _shown("share", "compartilhamento")
    created_by_link = _shown("created_by", "solicitada por")
    lease = _shown("lease_until", "reservada a um processo até")


# --- snapshots ---------------------------------------------------------------------------


@admin.register(Snapshot)
class SnapshotAdmin(MaskedSearchMixin, EngineRecordAdmin):
    list_display = [
        "label",
        "company_link",
        "registry_name",
        "local_record",
        "share_link",
        "created_at",
        "restored_at",
        "restored_by_link",
    ]
    list_filter = [
        _by_registry(),
        ("restored_at", _titled(admin.EmptyFieldListFilter, "restaurado")),
        _by_company(),
    ]
    list_select_related = ["company", "share", "share__origin", "restored_by"]
    search_fields = [
        "values__code",
        "values__cnpj_cpf",
        "values__legal_name",
        "values__description",
        "company__legal_name",
        "company__cnpj",
    ]
    masked_search_fields = ("values__cnpj_cpf", "company__cnpj")
    show_full_result_count = False
    fields = [
        "share_link",
        "job_link",
        "company_link",
        "registry_name",
        "local_record",
        "created_at",
        "restored_at",
        "restored_by_link",
        "restore_note",
        "differences",
        "values_pretty",
    ]
    readonly_fields = fields
    actions = ["restore_snapshots"]
    change_form_template = "sharing/admin/snapshot_change_form.html"

    @admin.display(description="nome / descrição")
    def label(self, snapshot: Snapshot) -> str:
        return _short(_record_label(snapshot.values) or f"nº {snapshot.local_id}", 60)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # The page's subtitle is str(snapshot); say whose copy it is and when.
        snapshot = self.get_object(request, object_id)
        if snapshot is not None:
            extra_context = {**(extra_context or {}), "subtitle": _snapshot_title(snapshot)}
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.display(description="registro local", ordering="local_id")
    def local_record(self, snapshot: Snapshot):
        return _local_record_link(snapshot.registry, snapshot.local_id)

    @admin.display(description="valores anteriores")
    def values_pretty(self, snapshot: Snapshot):
        return _pretty(snapshot.values)

    @admin.display(description="diferenças para o registro atual")
    def differences(self, snapshot: Snapshot):
        current = canonical_values(snapshot.registry, snapshot.company_id, [snapshot.local_id]).get(snapshot.local_id)
        if current is None:
            return "O registro local não tem mais CNPJ/CPF ou não existe: compare pelos valores abaixo."
        rows = [(name, snapshot.values.get(name), current.get(name))
                for name in diff_fields(snapshot.registry, snapshot.values, current)]
        return _compare(rows, f"na cópia ({_taken_when(snapshot)})", "no registro hoje")

    @admin.display(description="ao restaurar")
    def restore_note(self, snapshot: Snapshot) -> str:
        note = (
            "A ação “Restaurar cópia anterior” grava estes valores no registro local pelo mesmo caminho "
            "de qualquer edição. "
        )
        if _is_linked(snapshot):
            note += (
                "O registro continua compartilhado: a empresa precisa da permissão de edição e os "
                "valores restaurados serão aplicados também às demais empresas do grupo."
            )
        else:
            note += "O registro não está mais compartilhado: só esta empresa é alterada."
        if snapshot.restored_at:
            note += f" Já foi restaurada em {localize(timezone.localtime(snapshot.restored_at))}."
        return note

    @admin.action(permissions=["restore"], description="Restaurar cópia anterior")
    def restore_snapshots(self, request, queryset):
        snapshots = list(
            queryset.select_related("company", "restored_by").order_by("pk")[: MAX_SNAPSHOTS_PER_ACTION + 1]
        )
        if len(snapshots) > MAX_SNAPSHOTS_PER_ACTION:
            self.message_user(
                request,
                f"Selecione no máximo {MAX_SNAPSHOTS_PER_ACTION} cópias por vez. Nada foi restaurado.",
                messages.ERROR,
            )
            return
        if request.POST.get("confirmar") != "sim":
            # A restore overwrites the record, and every company sharing it: say where first.
            return TemplateResponse(request, "sharing/admin/snapshot_restore_confirm.html", {
                **self.admin_site.each_context(request),
                "title": "Restaurar as cópias anteriores selecionadas?",
                "opts": self.model._meta,
                "items": [self._restore_preview(snapshot) for snapshot in snapshots],
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            })
        for snapshot in snapshots:
            self._restore(request, snapshot)

    def _restore_preview(self, snapshot: Snapshot) -> dict[str, Any]:
        link = RecordLink.objects.filter(
            company_id=snapshot.company_id, registry=snapshot.registry, local_id=snapshot.local_id
        ).select_related("shared_record__share").first()
        reaches = []
        if link is not None:
            reaches = [
                member.company.display_name
                for member in selectors.active_members(link.shared_record.share).exclude(company_id=snapshot.company_id)
            ]
        return {"snapshot": snapshot, "title": _snapshot_title(snapshot), "differences": self.differences(snapshot),
                "reaches": reaches}

    def _restore(self, request, snapshot: Snapshot) -> None:
        what = f"{self.label(snapshot)} em {snapshot.company.display_name}"
        before = snapshot.restored_at, snapshot.restored_by
        shared = _is_linked(snapshot)
        try:
            services.snapshot_restore(snapshot=snapshot, user=request.user)
        except REFUSALS as error:
            self.message_user(
                request, f"Não restaurado, nada foi alterado: {what}. {_messages_of(error)}", messages.ERROR
            )
            return
        except Exception:  # noqa: BLE001 — one bad row must not hide the others' results
            logger.exception("restoring snapshot %s failed", snapshot.pk)
            self.message_user(
                request,
                f"Não restaurado, nada foi alterado: {what}. Erro inesperado (registrado no log do servidor).",
                messages.ERROR,
            )
            return
        self.log_change(request, snapshot, "Cópia anterior restaurada pelo admin.")
        text = f"Restaurado: {what}."
        if before[0] is not None:
            who = f" por {before[1]}" if before[1] else ""
            text += f" Esta cópia já tinha sido restaurada em {localize(timezone.localtime(before[0]))}{who}."
        if shared:
            text += " O cadastro continua compartilhado: os valores restaurados serão aplicados às demais empresas."
        self.message_user(request, text, messages.SUCCESS)

    share_link = _shown("share", "compartilhamento")
    job_link = _shown("job", "tarefa que sobrescreveu")
    company_link = _shown("company", "empresa")
    registry_name = _shown("registry", "cadastro")
    restored_by_link = _shown("restored_by", "restaurado por")


def _taken_when(snapshot: Snapshot) -> str:
    """Which engine write the copy was kept before (snapshots are taken by three)."""
    if snapshot.job is None:
        return "antes de o compartilhamento adotar o cadastro"
    if snapshot.job.kind == SyncJob.Kind.RESYNC:
        return f"antes da ressincronização nº {snapshot.job_id}"
    return "antes da ativação"


def _snapshot_title(snapshot: Snapshot) -> str:
    label = _record_label(snapshot.values) or f"{snapshot.get_registry_display()} nº {snapshot.local_id}"
    when = localize(timezone.localtime(snapshot.created_at))
    return f"{label} em {snapshot.company.display_name}, como era {_taken_when(snapshot)} ({when})"


def _is_linked(snapshot: Snapshot) -> bool:
    return RecordLink.objects.filter(
        company_id=snapshot.company_id, registry=snapshot.registry, local_id=snapshot.local_id
    ).exists()


# --- audit -------------------------------------------------------------------------------


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

    @admin.display(description="valores anteriores")
    def old_values_pretty(self, entry: AuditEntry):
        return _pretty(entry.old_values)

    @admin.display(description="valores novos")
    def new_values_pretty(self, entry: AuditEntry):
        return _pretty(entry.new_values)

    share_link = _shown("share", "compartilhamento")
    record_link = _shown("shared_record", "cadastro compartilhado")
    change_link = _shown("change", "alteração")


# --- companies, as sharing needs them ----------------------------------------------------


class CompanyInShareAdmin(CompanyAdmin):
    """A company taking part in a share keeps its CNPJ and group (the rule is
    Company.clean()'s, through companies/hooks.py, so it holds on every path): here they are
    shown read-only, with the reason. Remove it from the share first (wizard or
    `share_remove`)."""

    def _share_of(self, company: Company) -> Share | None:
        return selectors.share_holding(company.pk)

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and self._share_of(obj) is not None:
            fields += ["cnpj_display", "group"]
        return fields

    def get_fields(self, request, obj=None):
        # Read-only, the CNPJ is shown masked (the bare field would read "15334299000198").
        fields = list(super().get_fields(request, obj))
        if obj is not None and self._share_of(obj) is not None:
            fields = ["cnpj_display" if name == "cnpj" else name for name in fields]
        return fields

    def change_view(self, request, object_id, form_url="", extra_context=None):
        company = self.get_object(request, object_id)
        share = self._share_of(company) if company is not None else None
        if share is not None and request.method == "GET":
            # The same sentence Company.clean() refuses a change with, on any other path.
            self.message_user(request, selectors.identity_locked_reason(company.pk), messages.INFO)
        return super().change_view(request, object_id, form_url, extra_context)


admin.site.unregister(Company)
admin.site.register(Company, CompanyInShareAdmin)


# django-q2's own pages (tasks, schedules, the queue) in pt-BR: see sharing/admin/queue.py.
from sharing.admin import queue  # noqa: E402,F401
