"""After activation: a job's progress, the share, "Editar" (permissions, "Remover") and the
audit trail."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods
from django_htmx.http import HttpResponseStopPolling

from companies.models import Company
from companies.selectors import is_admin
from omieshare.lib.durations import format_duration
from omieshare.lib.text import is_ascii_digits
from sharing import selectors, services
from sharing.forms import AUDIT_CHANGE_FILTERS, AuditFilterForm, PermissionsForm
from sharing.models import (
    AuditEntry,
    Change,
    Share,
    ShareMember,
    SyncJob,
    change_action_name,
    change_text,
    record_key,
)
from sharing.templatetags.shared_values import FIELD_LABELS, is_empty
from sharing.views._common import forbidden, left_share, origin_admin_message, share_for

FIELD_ORDER = {name: position for position, name in enumerate(FIELD_LABELS)}

AUDIT_PER_PAGE = 50
FAILING_PER_PAGE = 50


def _job_timing(job: SyncJob) -> dict[str, str]:
    if job.started_at is None:
        return {"elapsed": "—", "remaining": "—"}
    end = job.finished_at or timezone.now()
    elapsed = (end - job.started_at).total_seconds()
    remaining = None
    if job.is_finished:
        remaining = 0
    elif job.done and job.total:
        remaining = elapsed * (job.total - job.done) / job.done
    return {"elapsed": format_duration(elapsed), "remaining": format_duration(remaining)}


@require_http_methods(["GET", "HEAD"])
@login_required
def job(request: HttpRequest, company_id: int, share_id: int, job_id: int) -> HttpResponse:
    """The progress of a sync job; htmx polls the bar every second until the job ends."""
    company, share = share_for(request, company_id, share_id)
    sync_job = get_object_or_404(SyncJob, pk=job_id, share=share)
    resumable = (
        sync_job.kind == SyncJob.Kind.ACTIVATE and sync_job.status == SyncJob.Status.FAILED
        and share.members.filter(state=ShareMember.State.PENDING).exists()
        and is_admin(request.user, share.origin)
    )
    context = {"company": company, "share": share, "job": sync_job, "resumable": resumable, **_job_timing(sync_job)}
    if request.htmx:
        html = render_to_string("sharing/job.html#progress", context, request)
        if sync_job.is_finished:
            return HttpResponseStopPolling(html)
        return HttpResponse(html)
    return render(request, "sharing/job.html", context)


@require_http_methods(["POST"])
@login_required
def job_resume(request: HttpRequest, company_id: int, share_id: int, job_id: int) -> HttpResponse:
    """"Retomar a ativação" (services.job_resume), for an admin of the origin."""
    company, share = share_for(request, company_id, share_id)
    failed = get_object_or_404(SyncJob, pk=job_id, share=share, kind=SyncJob.Kind.ACTIVATE,
                               status=SyncJob.Status.FAILED)
    try:
        resumed = services.job_resume(job=failed, user=request.user)
    except PermissionDenied:
        return forbidden(request, company, origin_admin_message(share))
    except ValidationError as error:
        messages.error(request, error.messages[0])
        return redirect("sharing:job", company_id=company.pk, share_id=share.pk, job_id=failed.pk)
    messages.success(request, f"Ativação retomada (tarefa nº {resumed.pk}): o que já foi copiado fica como está.")
    return redirect("sharing:job", company_id=company.pk, share_id=share.pk, job_id=resumed.pk)


@require_http_methods(["GET", "HEAD"])
@login_required
def share_detail(request: HttpRequest, company_id: int, share_id: int) -> HttpResponse:
    company, share = share_for(request, company_id, share_id)
    members = selectors.one_row_per_company(
        share.members.select_related("company").order_by("-is_origin", "state", "company__legal_name")
    )
    failing_page = Paginator(selectors.failing_record_ids(share), FAILING_PER_PAGE).get_page(request.GET.get("pagina"))
    return render(request, "sharing/share_detail.html", {
        "company": company,
        "share": share,
        "left": left_share(share, company),
        "origin_member": next((m for m in members if m.is_origin), None),
        "destinations": [m for m in members if not m.is_origin],
        "pending_changes": selectors.pending_changes(share).filter(status=Change.Status.PENDING).count(),
        "failed_changes": share.changes.filter(status=Change.Status.FAILED).count(),
        "last_job": selectors.last_job(share),
        "can_edit": share.status != Share.Status.DISSOLVED and is_admin(request.user, share.origin),
        # Per-record sync status: records that did not reach some member, with "Tentar novamente".
        "failing_page": failing_page,
        "failing": selectors.failing_records(list(failing_page.object_list)),
    })


@require_http_methods(["POST"])
@login_required
def record_retry(request: HttpRequest, company_id: int, share_id: int, record_id: int) -> HttpResponse:
    """"Tentar novamente" for one record of the sync status list (origin admins only)."""
    company, share = share_for(request, company_id, share_id)
    try:
        record = services.record_retry(share=share, shared_record_id=record_id, user=request.user)
    except PermissionDenied:
        return forbidden(request, company, origin_admin_message(share))
    except ObjectDoesNotExist:
        raise Http404("Cadastro não encontrado neste compartilhamento.") from None
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        label = record.values.get("legal_name") or record.values.get("description") or record.match_key
        messages.success(
            request,
            f"Nova tentativa de sincronizar “{label}” colocada na fila. Atualize a página em alguns "
            "segundos para ver o resultado.",
        )
    return redirect(reverse("sharing:share_detail", args=[company.pk, share.pk]) + "#sincronismo")


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def share_edit(request: HttpRequest, company_id: int, share_id: int) -> HttpResponse:
    """"Editar": each member's permissions and "Remover" a destination, then "Salvar Alterações"."""
    company, share = share_for(request, company_id, share_id)
    if not is_admin(request.user, share.origin):
        return forbidden(request, company, origin_admin_message(share))
    if share.status == Share.Status.DISSOLVED:
        messages.error(request, "Este compartilhamento foi encerrado; não há o que editar.")
        return redirect("sharing:share_detail", company.pk, share.pk)
    members = list(selectors.present_members(share).order_by("-is_origin", "company__legal_name"))
    rows = [
        (m, PermissionsForm(request.POST if request.method == "POST" else None, prefix=f"m{m.pk}", initial={
            "can_create": m.can_create, "can_update": m.can_update, "can_delete": m.can_delete}))
        for m in members
    ]
    if request.method == "POST" and all(form.is_valid() for _, form in rows):
        to_remove = {int(pk) for pk in request.POST.getlist("remover") if is_ascii_digits(pk)}
        # The origin has no "Remover"; an id that is not a row of this page is ignored.
        removing = [m.pk for m, _ in rows if m.pk in to_remove and not m.is_origin]
        try:
            changed, removed = services.share_members_update(
                share=share,
                permissions={m.pk: form.permissions() for m, form in rows if form.has_changed()},
                remove=removing, user=request.user,
            )
        except PermissionDenied as error:
            return forbidden(request, company, str(error))
        except ValidationError as error:  # nothing was saved
            messages.error(request, error.messages[0])
            return redirect("sharing:share_detail", company.pk, share.pk)
        for member in changed:
            messages.success(request, f"Permissões de {member.company.display_name} alteradas.")
        for member in removed:
            messages.success(
                request,
                f"{member.company.display_name} removida do compartilhamento: os cadastros já "
                "sincronizados permanecem nela, mas não serão mais atualizados.",
            )
        if not changed and not removed:
            messages.info(request, "Nenhuma alteração a salvar.")
        return redirect("sharing:share_detail", company.pk, share.pk)
    return render(request, "sharing/share_edit.html", {"company": company, "share": share, "rows": rows})


@require_http_methods(["GET", "HEAD"])
@login_required
def audit(request: HttpRequest, company_id: int, share_id: int) -> HttpResponse:
    """The share's audit trail, newest first, filterable by company and action, paged."""
    company, share = share_for(request, company_id, share_id)
    # Each company once, even one that was removed and added back (two member rows).
    companies = list(Company.objects.filter(share_memberships__share=share).distinct().order_by("legal_name"))
    form = AuditFilterForm(request.GET or None, companies=companies)
    entries = (
        AuditEntry.objects.filter(share=share)
        .select_related("company", "actor", "shared_record", "change", "change__company").order_by("-created_at", "-id")
    )
    left = left_share(share, company)
    if left is not None:
        # A company that left sees the trail up to its removal, not what the others do since.
        entries = entries.filter(
            Q(created_at__lte=left.removed_at) | Q(action=AuditEntry.Action.REMOVE, company=company)
        )
    if form.is_valid():
        if form.cleaned_data["empresa"]:
            entries = entries.filter(company_id=form.cleaned_data["empresa"])
        action = form.cleaned_data["acao"]
        if action in AUDIT_CHANGE_FILTERS:
            entries = entries.filter(action=AuditEntry.Action.CHANGE, change__action=AUDIT_CHANGE_FILTERS[action])
        elif action:
            entries = entries.filter(action=action)
    page = Paginator(entries, AUDIT_PER_PAGE).get_page(request.GET.get("pagina"))
    for entry in page.object_list:
        entry.summary = _audit_summary(entry)
        entry.diff = _audit_diff(entry)
        entry.is_inclusion = bool(entry.diff) and not entry.old_values
        if entry.shared_record is not None:
            entry.record_key = record_key(entry.shared_record.registry, entry.shared_record.match_key)
    query = request.GET.copy()
    query.pop("pagina", None)
    return render(request, "sharing/audit.html", {
        "company": company, "share": share, "left": left, "form": form, "page": page, "query": query.urlencode(),
    })


def _audit_diff(entry: AuditEntry) -> list[tuple[str, object, object]]:
    """(field, before, after) of a change. Only a change carries values: applying it, or
    failing to, repeats its field names with none, which would read "Campo: — → —"."""
    old, new = entry.old_values or {}, entry.new_values or {}
    if entry.action != AuditEntry.Action.CHANGE or not (old or new):
        return []
    # In the order of the record's form (CNPJ/CPF and name first), not the engine's.
    names = sorted(entry.fields or [], key=lambda name: FIELD_ORDER.get(name, len(FIELD_ORDER)))
    rows = [(name, old.get(name), new.get(name)) for name in names]
    if not old:
        # An inclusion lists what was filled in, not every field the record could have.
        rows = [row for row in rows if not is_empty(row[2])]
    return rows


def _audit_summary(entry: AuditEntry) -> str:
    """One line for an audit entry. Changes and their application are told from the
    Change row (what, which version, made where and how); other entries carry their text."""
    change = entry.change
    if change is None:
        return entry.detail
    if entry.action == AuditEntry.Action.CHANGE:
        return change_text(change.action, change.version, change.source)
    what = f"{change_action_name(change.action)} (versão {change.version})"
    made_in = f"feita em {change.company.display_name}"
    if entry.action == AuditEntry.Action.APPLY:
        return f"{what.capitalize()} {made_in}, aplicada nesta empresa."
    if entry.action == AuditEntry.Action.APPLY_FAILED:
        return f"Falha ao aplicar a {what} {made_in} — {entry.detail}"
    return entry.detail
