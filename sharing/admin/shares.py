"""Shares and their members; "Ressincronizar" for either."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import OuterRef
from django.http import HttpResponseRedirect
from django.utils.html import format_html, format_html_join

from companies.admin import MaskedSearchMixin
from omieshare.lib.admin import MAX_ROWS_PER_ACTION, ServiceRefused, messages_of
from omieshare.templatetags.numbers import format_number
from sharing import services
from sharing.admin._common import (
    REFUSALS,
    EngineRecordAdmin,
    ViewOnly,
    _change_url,
    _changelist_url,
    _count,
    _shown,
)
from sharing.models import AuditEntry, Change, RecordLink, Share, SharedRecord, ShareMember, Snapshot, SyncJob
from sharing.services import Permissions


def _start_resync(modeladmin: admin.ModelAdmin, request, share: Share, member: ShareMember | None) -> None:
    """Queue a resync of the share (or one member) and say so, or say why not."""
    scope = member.company.display_name if member else "todas as empresas"
    try:
        # What resync_start would refuse for the share's state, told apart from other
        # refusals: nothing is wrong, there is simply nothing to resync there.
        services.check_resync_scope(share, member.company if member else None)
    except ValidationError as error:
        modeladmin.message_user(
            request, f"{share} ({scope}): não ressincronizado. {' '.join(messages_of(error))}", messages.WARNING
        )
        return
    running = share.jobs.live().filter(kind=SyncJob.Kind.RESYNC).values_list("pk", flat=True).first()
    try:
        job = services.resync_start(share=share, company=member.company if member else None, user=request.user)
    except REFUSALS as error:
        modeladmin.message_user(
            request, f"{share} ({scope}): não ressincronizado. {' '.join(messages_of(error))}", messages.ERROR
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
            raise ServiceRefused(error) from error

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ServiceRefused as refused:  # the admin's transaction rolled back: nothing saved
            self.message_user(
                request, f"Permissões não alteradas: {' '.join(messages_of(refused.error))}", messages.ERROR
            )
            return HttpResponseRedirect(request.get_full_path())

    @admin.action(permissions=["resync"], description="Ressincronizar empresa")
    def resync_members(self, request, queryset):
        for member in queryset.select_related("company", "share", "share__origin")[:MAX_ROWS_PER_ACTION]:
            _start_resync(self, request, member.share, member)

    share_link = _shown("share", "compartilhamento")
    added_by_link = _shown("added_by", "incluída por")
