from __future__ import annotations

import sys
import threading
import time

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from sharing import selectors, services
from sharing.management.commands import _common
from sharing.management.commands.share_preview import print_plan
from sharing.models import SyncJob


def _run_inline(job_id: int) -> None:
    from sharing.tasks import run_sync_job

    try:
        run_sync_job(job_id)
    except Exception:  # noqa: BLE001 — the job row carries the error; the poller reports it
        pass
    finally:
        connection.close()


def follow_job(stdout, job_id: int) -> SyncJob:
    """Run the job here (a worker may take it first: the lease decides) and draw progress."""
    runner = threading.Thread(target=_run_inline, args=(job_id,), daemon=True)
    runner.start()
    while True:
        job = SyncJob.objects.get(pk=job_id)
        stdout.write(f"\r{_common.progress_bar(job.done, job.total)}", ending="")
        stdout.flush()
        if job.is_finished or (not runner.is_alive() and job.lease_until is None):
            break
        time.sleep(0.5)
    runner.join(timeout=1)
    stdout.write("")
    return SyncJob.objects.get(pk=job_id)


class Command(BaseCommand):
    help = (
        "Ativa o compartilhamento de cadastros (IRREVERSÍVEL): os cadastros da origem "
        "sobrescrevem os dos destinos (com cópia anterior guardada) e os que faltam são incluídos."
    )

    def add_arguments(self, parser):
        parser.add_argument("--origin", required=True, help="CNPJ da empresa origem")
        parser.add_argument("--to", required=True, help="CNPJs dos destinos, separados por vírgula")
        parser.add_argument("--registries", default="parties,products")
        parser.add_argument("--origin-permissions", default="include,edit,delete")
        parser.add_argument("--destination-permissions", default="include,edit")
        parser.add_argument("--yes", action="store_true", help="confirma sem perguntar")

    def handle(self, *args, **options):
        origin = _common.company_by_cnpj(options["origin"])
        destinations = _common.companies_by_cnpj(options["to"])
        registries = _common.registries(options["registries"])
        origin_permissions = _common.permissions(options["origin_permissions"])
        destination_permissions = _common.permissions(options["destination_permissions"])

        print_plan(self.stdout, origin, destinations, registries)
        if not options["yes"]:
            self.stdout.write(
                "ESSA OPERAÇÃO É IRREVERSÍVEL: os cadastros da origem substituirão os dos destinos."
            )
            self.stdout.write("Digite 'sim' para confirmar e ativar o sincronismo: ", ending="")
            self.stdout.flush()
            answer = sys.stdin.readline().strip().lower() if not sys.stdin.closed else ""
            if answer != "sim":
                raise CommandError("Ativação cancelada: nada foi alterado.")
        try:
            share = self._share_for(origin, destinations, registries, origin_permissions,
                                    destination_permissions)
            job = services.share_activate(share=share, confirmed=True)
        except (ValidationError, PermissionDenied) as error:
            messages = getattr(error, "messages", [str(error)])
            raise CommandError(" ".join(messages)) from None
        self.stdout.write(f"Compartilhamento nº {share.pk}: ativação nº {job.pk} iniciada.")
        job = follow_job(self.stdout, job.pk)
        if job.status != SyncJob.Status.DONE:
            raise CommandError("A ativação não terminou: " + "; ".join(job.errors[-3:]))
        counts = job.counts
        self.stdout.write(
            f"Concluído: {counts.get('created', 0)} incluídos, {counts.get('overwritten', 0)} "
            f"sobrescritos, {counts.get('conflicts', 0)} conflitos, em "
            f"{counts.get('timings', {}).get('total_s', 0):.1f} s."
        )
        for error in job.errors[:20]:
            self.stdout.write(f"  aviso: {error}")

    def _share_for(self, origin, destinations, registries, origin_permissions, destination_permissions):
        """Join destinations to the origin's live share of these registries, or configure one."""
        member = selectors.member_for(origin.pk, registries[0])
        if member is not None:
            share = member.share
            if not member.is_origin or sorted(share.registries) != registries:
                raise CommandError(
                    f"{origin.display_name} já participa do compartilhamento nº {share.pk} "
                    f"({share.get_registries_display()}) e não é a origem dele com esses cadastros."
                )
            for company in destinations:
                if not share.members.filter(company=company).exclude(state="removed").exists():
                    services.member_add(share=share, company=company, permissions=destination_permissions)
            return share
        return services.share_configure(
            origin=origin, registries=registries, origin_permissions=origin_permissions,
            destinations=dict.fromkeys(destinations, destination_permissions),
        )
