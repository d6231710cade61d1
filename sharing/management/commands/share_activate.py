from __future__ import annotations

import sys
import threading
import time

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from catalog.registries import describe
from omieshare.lib.durations import format_duration
from sharing import services
from sharing.management.commands import _common
from sharing.management.commands.share_preview import print_plan
from sharing.models import SyncJob, activation_summary


def _run_inline(job_id: int) -> None:
    from sharing.tasks import run_sync_job

    try:
        run_sync_job(job_id)
    except Exception:  # noqa: BLE001 — the job row carries the error; the poller reports it
        pass
    finally:
        connection.close()


def follow_job(stdout, job_id: int) -> SyncJob:
    """Run the job here (a worker may take it first: the lease decides) and show progress.

    On a terminal the bar is redrawn in place; into a file or a pipe the \\r frames would
    run together, so there each change of progress is a line of its own.
    """
    runner = threading.Thread(target=_run_inline, args=(job_id,), daemon=True)
    runner.start()
    in_place = stdout.isatty()
    shown = ""
    while True:
        job = SyncJob.objects.get(pk=job_id)
        finished = job.is_finished or (not runner.is_alive() and job.lease_until is None)
        line = _common.progress_bar(job.done, job.total, finished=finished)
        if in_place:
            stdout.write(f"\r{line:<{len(shown)}}", ending="")  # padded over a longer frame
            stdout.flush()
        elif line != shown:
            stdout.write(f"progresso: {line}")
        shown = line
        if finished:
            break
        time.sleep(0.5)
    runner.join(timeout=1)
    if in_place:
        stdout.write("")
    return SyncJob.objects.get(pk=job_id)


def print_configuration(stdout, plan: services.SharePlan) -> None:
    """What confirming starts: the share, each member's permissions, and the notes on what
    changes for members already there. The confirmation is checked against exactly this."""
    if plan.share is None:
        stdout.write("Configuração a ativar (compartilhamento novo):")
    else:
        stdout.write(f"Configuração a ativar (entrada no compartilhamento nº {plan.share.pk}):")
    stdout.write(f"  Cadastros: {', '.join(describe(r).choice_label for r in plan.registries)}")
    stdout.write(f"  Origem: {plan.origin.display_name} — {plan.origin_permissions.display()}")
    for company, permissions in plan.destinations.items():
        stdout.write(f"  Destino: {company.display_name} — {permissions.display()}")
    for note in plan.notes:
        stdout.write(f"Observação: {note}")


class Command(BaseCommand):
    help = (
        "Ativa o compartilhamento de cadastros (IRREVERSÍVEL): os cadastros da origem "
        "sobrescrevem os dos destinos (com cópia anterior guardada) e os que faltam são incluídos. "
        "Se a origem já compartilha esses cadastros, os destinos entram no compartilhamento dela."
    )

    def add_arguments(self, parser):
        _common.add_share_arguments(parser)
        parser.add_argument("--origin-permissions", default="include,edit,delete",
                            help="permissões da origem num compartilhamento novo: " + _common.PERMISSIONS_HELP)
        parser.add_argument("--destination-permissions", default="include,edit",
                            help="permissões dos destinos: " + _common.PERMISSIONS_HELP)
        parser.add_argument("--yes", action="store_true", help="confirma sem perguntar")

    def handle(self, *args, **options):
        origin = _common.company_by_cnpj(options["origin"])
        destinations = _common.companies_by_cnpj(options["to"])
        registries = _common.registries(options["registries"])
        origin_permissions = _common.permissions(options["origin_permissions"])
        destination_permissions = _common.permissions(options["destination_permissions"])
        # Refused now rather than after the user has read the preview and typed "sim".
        _common.check_share(origin, destinations, registries)
        try:
            plan = services.share_plan(
                origin=origin, registries=registries, origin_permissions=origin_permissions,
                destinations=dict.fromkeys(destinations, destination_permissions),
            )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None

        print_plan(self.stdout, origin, destinations, registries)
        print_configuration(self.stdout, plan)
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
            # All or nothing: a refusal (say, one destination busy in another share) leaves
            # no destination half-added, waiting with permissions nobody meant to keep; and
            # only what the prompt showed starts: a change made while it waited is refused.
            job = services.share_start(
                origin=origin, registries=registries, origin_permissions=origin_permissions,
                destinations=[(company, destination_permissions) for company in destinations],
                expected_fingerprint=plan.fingerprint,
            )
        except services.ConfigurationChanged:
            raise CommandError(
                f"{services.CONFIGURATION_CHANGED} Rode o comando de novo para ver a nova prévia e confirmar."
            ) from None
        except (ValidationError, PermissionDenied) as error:
            messages = getattr(error, "messages", [str(error)])
            raise CommandError(" ".join(messages) + " Nada foi alterado.") from None
        self.stdout.write(f"Compartilhamento nº {job.share_id}: ativação nº {job.pk} iniciada.")
        job = follow_job(self.stdout, job.pk)
        if job.status != SyncJob.Status.DONE:
            raise CommandError("A ativação não terminou: " + "; ".join(job.errors[-3:]))
        counts = job.counts
        took = format_duration(counts.get("timings", {}).get("total_s", 0), decimals=1)
        self.stdout.write(f"Concluído em {took}: {activation_summary(counts)}")
        for error in job.errors[:20]:
            self.stdout.write(f"  aviso: {error}")
