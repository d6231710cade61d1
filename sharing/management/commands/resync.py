from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from sharing import services
from sharing.management.commands import _common
from sharing.management.commands.share_activate import follow_job
from sharing.models import resync_summary
from sharing.resync import checked_count, find_drift

LISTED = 200
LISTED_ERRORS = 20


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
        for item in drift[:LISTED]:
            self.stdout.write(f"  {item.summary}")
        if len(drift) > LISTED:
            self.stdout.write(f"  … e mais {len(drift) - LISTED}.")
        if not drift:
            # "0 divergência(s) encontrada(s)" told nothing of how much was checked.
            checked = checked_count(share, company.pk if company else None)
            self.stdout.write(resync_summary({"drift": 0, "checked": checked}))
            return
        self.stdout.write(f"{len(drift)} divergência(s) encontrada(s).")
        if options["dry_run"]:
            return
        job = follow_job(self.stdout, services.resync_start(share=share, company=company).pk)
        counts = job.counts
        if "drift" not in counts:  # the job gave up (or is still being retried) before its end
            raise CommandError("A ressincronização não terminou: " + "; ".join(job.errors[-3:]))
        self.stdout.write(f"Corrigidas: {counts['fixed']} de {counts['drift']}.")
        if counts.get("recreated"):
            self.stdout.write(
                f"Recriados com os valores compartilhados (apagados fora do sistema): {counts['recreated']}."
            )
        if counts.get("snapshots"):
            self.stdout.write(
                f"Valores anteriores guardados (restauráveis no admin, Cópias anteriores): {counts['snapshots']}."
            )
        for error in job.errors[:LISTED_ERRORS]:
            self.stdout.write(f"  {error}")
        if counts.get("failed"):
            more = f" (listados os primeiros {LISTED_ERRORS})" if counts["failed"] > LISTED_ERRORS else ""
            raise CommandError(
                f"{counts['failed']} divergência(s) não corrigida(s){more}: corrija a causa indicada e rode "
                f"a ressincronização de novo. Detalhes na tarefa nº {job.pk} (admin, Tarefas de sincronismo)."
            )
