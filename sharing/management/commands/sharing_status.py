from __future__ import annotations

from django.core.management.base import BaseCommand
from django.db.models import Count

from sharing import selectors
from sharing.management.commands import _common
from sharing.models import RecordLink, Share
from sharing.resync import find_drift


class Command(BaseCommand):
    help = "Situação dos compartilhamentos: empresas, vínculos, alterações pendentes, última tarefa e divergências."

    def add_arguments(self, parser):
        parser.add_argument("--share", type=int)

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
        for item in drift:
            drift_by_company[item.company_id] = drift_by_company.get(item.company_id, 0) + 1
        for member in share.members.select_related("company").order_by("-is_origin", "pk"):
            role = "origem " if member.is_origin else "destino"
            self.stdout.write(
                f"  {role} {member.company.display_name[:32]:32} {member.company.cnpj_masked:20} "
                f"{member.get_state_display():22} permissões: {member.permissions_display():28} "
                f"vínculos: {links.get(member.company_id, 0):>7}  divergências: "
                f"{drift_by_company.get(member.company_id, 0)}"
            )
        pending = selectors.pending_changes(share)
        self.stdout.write(
            f"  alterações pendentes: {pending.filter(status='pending').count()}, "
            f"com falha: {pending.filter(status='failed').count()}"
        )
        job = selectors.last_job(share)
        if job:
            self.stdout.write(
                f"  última tarefa: {job} {job.done}/{job.total} "
                f"iniciada {job.started_at or '-'} concluída {job.finished_at or '-'}"
            )
