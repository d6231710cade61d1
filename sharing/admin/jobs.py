"""Sync jobs (activation, resync, removal)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from companies.admin import MaskedSearchMixin
from companies.models import Company
from omieshare.lib.admin import MAX_ROWS_PER_ACTION, messages_of, pretty_json_field
from omieshare.lib.durations import format_duration
from omieshare.templatetags.numbers import format_number
from sharing import services
from sharing.admin._common import REFUSALS, EngineRecordAdmin, _shown
from sharing.models import SyncJob, activation_summary


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
                self.message_user(request, f"{job}: não retomada. {' '.join(messages_of(error))}", messages.WARNING)
            except REFUSALS as error:
                self.message_user(request, f"{job}: não retomada. {' '.join(messages_of(error))}", messages.ERROR)
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

    errors_pretty = pretty_json_field("errors", "erros")

    share_link = _shown("share", "compartilhamento")
    created_by_link = _shown("created_by", "solicitada por")
    lease = _shown("lease_until", "reservada a um processo até")
