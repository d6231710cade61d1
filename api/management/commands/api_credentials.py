from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from api import services
from api.models import ApiCredential
from companies.models import Company
from omieshare.lib.brazil import normalize_cnpj


class Command(BaseCommand):
    help = (
        "Mostra a app_key da API de uma empresa; com --rotate, gera um novo par app_key/app_secret "
        "(o anterior deixa de funcionar) e o imprime uma única vez."
    )

    def add_arguments(self, parser):
        parser.add_argument("cnpj", help="CNPJ da empresa, com ou sem máscara.")
        parser.add_argument("--rotate", action="store_true", help="Gera um novo par app_key/app_secret.")

    def handle(self, *args, **options):
        try:
            cnpj = normalize_cnpj(options["cnpj"])
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        company = Company.objects.filter(cnpj=cnpj).first()
        if company is None:
            raise CommandError(f"Nenhuma empresa com o CNPJ {options['cnpj']}.")
        if options["rotate"]:
            issued = services.credential_issue(company=company)
            self.stdout.write(f"Empresa: {company.display_name} ({company.cnpj_masked})")
            self.stdout.write(f"app_key: {issued.app_key}")
            self.stdout.write(f"app_secret: {issued.app_secret}")
            self.stdout.write("Guarde o app_secret agora: ele não é armazenado e não será mostrado de novo.")
            return
        credential = ApiCredential.objects.filter(company=company).first()
        if credential is None:
            self.stdout.write(f"{company.display_name} ainda não tem chave de acesso. Use --rotate para gerar uma.")
            return
        self.stdout.write(f"Empresa: {company.display_name} ({company.cnpj_masked})")
        self.stdout.write(f"app_key: {credential.app_key}")
        self.stdout.write(
            "O app_secret não pode ser mostrado: só o seu hash é armazenado. Use --rotate para gerar um novo par."
        )
