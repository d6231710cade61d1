"""Snapshots (copies kept before an engine write, and of every deleted record) and restoring
them."""

from __future__ import annotations

import logging
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.formats import localize

from catalog.registries import describe
from companies.admin import MaskedSearchMixin
from omieshare.lib.admin import MAX_SNAPSHOTS_PER_ACTION, messages_of, pretty_json_field
from sharing import selectors, services
from sharing.admin._common import (
    REFUSALS,
    EngineRecordAdmin,
    _by_company,
    _by_registry,
    _compare,
    _local_record_link,
    _record_label,
    _short,
    _shown,
    _titled,
)
from sharing.canonical import canonical_values, diff_fields
from sharing.models import CHANGE_SOURCE_NAMES, RecordLink, Snapshot, SyncJob
from sharing.propagation import SOURCE as SHARING_SOURCE

# The name the module had before it became a package, kept for log filters.
logger = logging.getLogger("sharing.admin")


@admin.register(Snapshot)
class SnapshotAdmin(MaskedSearchMixin, EngineRecordAdmin):
    list_display = [
        "label",
        "reason_name",
        "company_link",
        "registry_name",
        "local_record",
        "share_link",
        "created_at",
        "restored_at",
        "restored_by_link",
    ]
    list_filter = [
        ("reason", _titled(admin.ChoicesFieldListFilter, "motivo")),
        _by_registry(),
        ("restored_at", _titled(admin.EmptyFieldListFilter, "restaurado")),
        _by_company(),
    ]
    list_select_related = ["company", "share", "share__origin", "restored_by", "actor"]
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
        "reason_name",
        "share_link",
        "job_link",
        "deleted_by",
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
        if _is_deleted(snapshot):
            return f"{describe(snapshot.registry).kind} nº {snapshot.local_id} (excluído)"
        return _local_record_link(snapshot.registry, snapshot.local_id)

    @admin.display(description="excluído por")
    def deleted_by(self, snapshot: Snapshot) -> str:
        if snapshot.reason != Snapshot.Reason.DELETED:
            return "—"
        who = str(snapshot.actor) if snapshot.actor_id else ""
        how = CHANGE_SOURCE_NAMES.get(snapshot.source, "")
        if snapshot.source == SHARING_SOURCE:
            how = "o compartilhamento (exclusão feita em outra empresa do grupo)"
        return ", ".join(part for part in (who, how) if part) or "—"

    values_pretty = pretty_json_field("values", "valores anteriores")

    @admin.display(description="diferenças para o registro atual")
    def differences(self, snapshot: Snapshot):
        if _is_deleted(snapshot):
            return (
                "O cadastro foi excluído: restaurar o inclui de novo com o mesmo número, os mesmos códigos e "
                "os valores abaixo (com imagens, anexos e, num produto, estrutura, fornecedores, estoque e "
                "preços)."
            )
        if snapshot.reason == Snapshot.Reason.DELETED:
            return "O cadastro já foi restaurado a partir desta cópia."
        current = canonical_values(snapshot.registry, snapshot.company_id, [snapshot.local_id]).get(snapshot.local_id)
        if current is None:
            return "O registro local não tem mais CNPJ/CPF ou não existe: compare pelos valores abaixo."
        rows = [(name, snapshot.values.get(name), current.get(name))
                for name in diff_fields(snapshot.registry, snapshot.values, current)]
        return _compare(rows, f"na cópia ({_taken_when(snapshot)})", "no registro hoje")

    @admin.display(description="ao restaurar")
    def restore_note(self, snapshot: Snapshot) -> str:
        if snapshot.reason == Snapshot.Reason.DELETED:
            return _deleted_restore_note(snapshot)
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
        if snapshot.reason == Snapshot.Reason.DELETED:
            return {"snapshot": snapshot, "title": _snapshot_title(snapshot), "differences": self.differences(snapshot),
                    "reaches": [], "deleted": True, "note": _deleted_restore_note(snapshot)}
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
            companies = services.snapshot_restore(snapshot=snapshot, user=request.user)
        except REFUSALS as error:
            self.message_user(
                request, f"Não restaurado, nada foi alterado: {what}. {' '.join(messages_of(error))}", messages.ERROR
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
        if snapshot.reason == Snapshot.Reason.DELETED:
            others = [company.display_name for company in companies if company.pk != snapshot.company_id]
            if others:
                text += (f" Restaurado também em {', '.join(others)}, cada uma com a sua cópia, e compartilhado "
                         "de novo com o grupo.")
        elif shared:
            text += " O cadastro continua compartilhado: os valores restaurados serão aplicados às demais empresas."
        self.message_user(request, text, messages.SUCCESS)

    reason_name = _shown("reason", "motivo")
    share_link = _shown("share", "compartilhamento")
    job_link = _shown("job", "tarefa que sobrescreveu")
    company_link = _shown("company", "empresa")
    registry_name = _shown("registry", "cadastro")
    restored_by_link = _shown("restored_by", "restaurado por")


def _taken_when(snapshot: Snapshot) -> str:
    """Which write the copy was kept before (three engine writes, and every deletion)."""
    if snapshot.reason == Snapshot.Reason.DELETED:
        return "ao ser excluído"
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


def _is_deleted(snapshot: Snapshot) -> bool:
    """A deletion's copy whose record is still deleted (not restored from it)."""
    return snapshot.reason == Snapshot.Reason.DELETED and snapshot.restored_at is None


def _deleted_restore_note(snapshot: Snapshot) -> str:
    descriptor = describe(snapshot.registry)
    note = (
        f"A ação “Restaurar cópia anterior” inclui o {descriptor.kind} de novo nesta empresa, com o mesmo número "
        f"(nº {snapshot.local_id}), pelo mesmo caminho de qualquer inclusão. Se o código, o código de integração "
        "ou, com a validação de unicidade, o CNPJ/CPF ou EAN tiver sido usado por outro cadastro depois da "
        "exclusão, a restauração é recusada e nada é alterado."
    )
    if snapshot.change_id is not None:
        note += (
            " Ele era compartilhado: a exclusão é desfeita em todas as empresas do grupo onde foi excluído (cada "
            "uma com a sua cópia), e ele volta a ser compartilhado; a empresa precisa da permissão de inclusão."
        )
    if snapshot.restored_at:
        note += f" Já foi restaurada em {localize(timezone.localtime(snapshot.restored_at))}."
    return note
