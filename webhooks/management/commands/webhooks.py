from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from companies.models import Company
from omieshare.lib.brazil import normalize_cnpj
from webhooks import selectors, services
from webhooks.models import ALL_TOPICS


class Command(BaseCommand):
    help = (
        "Webhooks de uma empresa: lista (padrão), --add URL, --pause/--resume ID, --test ID, "
        "--redeliver ID (a lista de falhas), --delete ID."
    )

    def add_arguments(self, parser):
        parser.add_argument("cnpj", help="CNPJ da empresa, com ou sem máscara.")
        parser.add_argument("--add", metavar="URL", help="Cadastra um webhook e imprime o segredo (uma única vez).")
        parser.add_argument("--topics", default=",".join(ALL_TOPICS),
                            help="Tópicos separados por vírgula (padrão: todos).")
        parser.add_argument("--paused", action="store_true", help="Com --add: cadastra pausado.")
        parser.add_argument("--pause", type=int, metavar="ID")
        parser.add_argument("--resume", type=int, metavar="ID")
        parser.add_argument("--test", type=int, metavar="ID", help="Envia o ping e mostra a resposta.")
        parser.add_argument("--redeliver", type=int, metavar="ID", help="Reenvia a lista de falhas.")
        parser.add_argument("--delete", type=int, metavar="ID")

    def handle(self, *args, **options):
        try:
            company = Company.objects.filter(cnpj=normalize_cnpj(options["cnpj"])).first()
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        if company is None:
            raise CommandError(f"Nenhuma empresa com o CNPJ {options['cnpj']}.")
        try:
            self._act(company, options)
        except services.EndpointRefused as refusal:
            raise CommandError(str(refusal)) from None
        except services.Endpoint.DoesNotExist:
            raise CommandError("Webhook não encontrado nesta empresa.") from None

    def _act(self, company: Company, options) -> None:
        if options["add"]:
            topics = [topic.strip() for topic in options["topics"].split(",") if topic.strip()]
            endpoint = services.endpoint_create(company=company, url=options["add"], topics=topics,
                                                active=not options["paused"])
            self.stdout.write(f"Webhook {endpoint.pk} cadastrado: {endpoint.url}")
            self.stdout.write(f"Segredo de assinatura: {endpoint.secret}")
            self.stdout.write("Guarde o segredo agora: ele não será mostrado de novo.")
        elif options["pause"] or options["resume"]:
            endpoint_id = options["pause"] or options["resume"]
            services.endpoint_set_active(company=company, endpoint_id=endpoint_id, active=bool(options["resume"]))
            self.stdout.write("Webhook reativado." if options["resume"] else "Webhook pausado.")
        elif options["test"]:
            attempt = services.endpoint_ping(company=company, endpoint_id=options["test"])
            if attempt.ok:
                self.stdout.write(f"HTTP {attempt.status_code} em {attempt.duration_ms} ms: {attempt.answer[:200]}")
            else:
                raise CommandError(attempt.error)
        elif options["redeliver"]:
            count = services.redeliver(company=company, endpoint_id=options["redeliver"])
            self.stdout.write(f"{count} evento(s) de volta à fila.")
        elif options["delete"]:
            services.Endpoint.objects.get(company=company, pk=options["delete"])
            services.endpoint_delete(company=company, endpoint_id=options["delete"])
            self.stdout.write("Webhook excluído.")
        else:
            for endpoint in selectors.endpoints_of(company):
                state = "ativo" if endpoint.active else "pausado"
                self.stdout.write(f"{endpoint.pk}\t{state}\t{endpoint.pending} na fila\t{endpoint.dead} falhas\t"
                                  f"{endpoint.url}\t{','.join(endpoint.topics)}")
