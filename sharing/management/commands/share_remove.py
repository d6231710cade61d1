from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from sharing import services
from sharing.management.commands import _common


class Command(BaseCommand):
    help = "Remove uma empresa do compartilhamento; os cadastros ficam nela, sem atualização automática."

    def add_arguments(self, parser):
        parser.add_argument("--share", type=int, required=True, metavar="ID",
                            help="número do compartilhamento (veja sharing_status)")
        parser.add_argument("--company", required=True, help="CNPJ da empresa a remover")

    def handle(self, *args, **options):
        share = _common.share_by_id(options["share"])
        company = _common.company_by_cnpj(options["company"])
        try:
            services.member_remove(share=share, company=company)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        share.refresh_from_db()
        self.stdout.write(
            f"{company.display_name} removida do compartilhamento nº {share.pk}. Os cadastros já "
            "sincronizados permanecem na empresa, sem atualização automática."
        )
        if share.status == share.Status.DISSOLVED:
            self.stdout.write("Era o último destino: o compartilhamento foi encerrado.")
