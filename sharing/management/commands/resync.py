from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from sharing import services
from sharing.management.commands import _common
from sharing.management.commands.share_activate import follow_job
from sharing.models import SyncJob
from sharing.resync import find_drift


class Command(BaseCommand):
    help = "Reaplica os valores compartilhados nas empresas, corrigindo divergências. Idempotente."

    def add_arguments(self, parser):
        parser.add_argument("--share", type=int, required=True)
        parser.add_argument("--company", help="CNPJ: só esta empresa")
        parser.add_argument("--dry-run", action="store_true", help="só listar as divergências")

    def handle(self, *args, **options):
        share = _common.share_by_id(options["share"])
        company = _common.company_by_cnpj(options["company"]) if options["company"] else None
        try:
            services.check_resync_scope(share, company)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        drift = find_drift(share, company.pk if company else None)
        for item in drift[:200]:
            self.stdout.write(
                f"  empresa {item.company_id} {item.registry} nº {item.local_id}: {', '.join(item.fields)}"
            )
        self.stdout.write(f"{len(drift)} divergência(s) encontrada(s).")
        if options["dry_run"] or not drift:
            return
        job = follow_job(self.stdout, services.resync_start(share=share, company=company).pk)
        if job.status != SyncJob.Status.DONE:
            raise CommandError("A ressincronização não terminou: " + "; ".join(job.errors[-3:]))
        self.stdout.write(f"Corrigidas: {job.counts.get('fixed', 0)} de {job.counts.get('drift', 0)}.")
        for error in job.errors[:20]:
            self.stdout.write(f"  erro: {error}")
