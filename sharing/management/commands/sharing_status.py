from __future__ import annotations

from django.core.management.base import BaseCommand
from django.db.models import Count
from django.utils import timezone

from omieshare.templatetags.numbers import format_number
from sharing import selectors, services
from sharing.management.commands import _common
from sharing.models import Change, RecordLink, Share, ShareMember
from sharing.resync import find_drift


class Command(BaseCommand):
    help = (
        "Situação dos compartilhamentos: empresas, vínculos, alterações pendentes (e há quanto tempo "
        "a mais antiga espera), última tarefa e divergências. Datas no horário local."
    )

    def add_arguments(self, parser):
        parser.add_argument("--share", type=int, metavar="ID",
                            help="só este compartilhamento (padrão: todos os não encerrados)")

    def handle(self, *args, **options):
        shares = [_common.share_by_id(options["share"])] if options["share"] else list(
            Share.objects.exclude(status=Share.Status.DISSOLVED).order_by("pk")
        )
        if not shares:
            self.stdout.write("Nenhum compartilhamento ativo.")
        for share in shares:
            self._show(share)
        orphans = {label: n for label, n in selectors.orphan_counts().items() if n}
        if orphans:
            self.stdout.write(self.style.WARNING(
                "Registros órfãos (apagados fora do sistema): "
                + ", ".join(f"{label}: {n}" for label, n in orphans.items())
            ))

    def _show(self, share: Share) -> None:
        self.stdout.write(
            f"Compartilhamento nº {share.pk} — {share.get_status_display()} — origem "
            f"{share.origin.display_name} — {share.get_registries_display()}"
        )
        links = dict(
            RecordLink.objects.filter(shared_record__share=share)
            .values_list("company_id").annotate(n=Count("id")).values_list("company_id", "n")
        )
        drift = find_drift(share) if share.status == Share.Status.ACTIVE else []
        drift_by_company: dict[int, int] = {}
        behind_by_company: dict[int, int] = {}  # waiting for (or failed to receive) the latest version
        for item in drift:
            counted = behind_by_company if item.behind is not None else drift_by_company
            counted[item.company_id] = counted.get(item.company_id, 0) + 1
        # One line per company: a company that left and came back has a removed membership
        # and a present one, and the links and drift (keyed by company) are the present one's.
        rows = list(share.members.select_related("company").order_by("-is_origin", "pk"))
        for member in selectors.one_row_per_company(rows):
            earlier = [m.removed_at for m in rows
                       if m.company_id == member.company_id and m is not member and m.removed_at]
            role = "origem " if member.is_origin else "destino"
            line = f"  {role} {member.company.display_name[:32]:32} {member.company.cnpj_masked:20} "
            if member.state == ShareMember.State.REMOVED:
                line += f"Removido em {services.local_time_text(member.removed_at)}"
            else:
                line += (
                    f"{member.get_state_display():22} permissões: {member.permissions_display():28} "
                    f"vínculos: {links.get(member.company_id, 0):>7}  divergências: "
                    f"{drift_by_company.get(member.company_id, 0)}"
                )
                if behind_by_company.get(member.company_id):
                    line += f"  sem a última versão: {behind_by_company[member.company_id]}"
            if earlier:
                line += f"  (já saiu em {', '.join(services.local_time_text(moment) for moment in earlier)})"
            self.stdout.write(line)
        unapplied = selectors.pending_changes(share)
        pending = unapplied.filter(status=Change.Status.PENDING)
        oldest = pending.order_by("created_at").values_list("created_at", flat=True).first()
        waiting = ""
        if oldest is not None:
            # Support tells a busy worker from a stopped one by how long the oldest waits.
            waiting = f" (a mais antiga espera há {services.age_text(oldest)}"
            if timezone.now() - oldest > services.STUCK_AFTER:
                waiting += "; o worker (manage.py qcluster) pode estar parado"
            waiting += ")"
        self.stdout.write(
            f"  alterações pendentes: {pending.count()}{waiting}, "
            f"com falha: {unapplied.filter(status=Change.Status.FAILED).count()}"
        )
        job = selectors.last_job(share)
        if job:
            self.stdout.write(
                f"  última tarefa: {job} {format_number(job.done)}/{format_number(job.total)} "
                f"iniciada {services.local_time_text(job.started_at)} "
                f"concluída {services.local_time_text(job.finished_at)}"
            )
