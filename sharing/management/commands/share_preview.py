from __future__ import annotations

import time

from django.core.management.base import BaseCommand

from sharing.management.commands import _common
from sharing.planner import CATEGORIES, CATEGORY_LABELS, plan, plan_rows


def print_plan(stdout, origin, destinations, registries, *, details: int = 0) -> float:
    started = time.monotonic()
    plans = plan(origin=origin, destinations=destinations, registries=registries)
    elapsed = time.monotonic() - started
    labels = {"party": "clientes/fornecedores", "product": "produtos"}
    header = f"{'destino':30} {'cadastro':22} " + " ".join(f"{c[:12]:>12}" for c in CATEGORIES)
    stdout.write(f"Origem: {origin.display_name} ({origin.cnpj_masked})")
    stdout.write(header)
    stdout.write("-" * len(header))
    for item in plans:
        row = f"{item.company.display_name[:30]:30} {labels[item.registry]:22} "
        row += " ".join(f"{item.counts[c]:>12}" for c in CATEGORIES)
        stdout.write(row)
    stdout.write("Legenda: " + "; ".join(f"{c} = {CATEGORY_LABELS[c]}" for c in CATEGORIES))
    if details:
        for item in plans:
            for row in plan_rows(origin=origin, dest=item.company, registry=item.registry,
                                 category="overwrite", limit=details):
                changes = ", ".join(f"{name}: {old!r} → {new!r}" for name, old, new in row["differences"])
                stdout.write(f"  {item.company.display_name} {row['key']}: {changes}")
    stdout.write(f"(prévia calculada em {elapsed:.2f} s; nada foi gravado)")
    return elapsed


class Command(BaseCommand):
    help = "Mostra o que a ativação do compartilhamento faria em cada destino, sem gravar nada."

    def add_arguments(self, parser):
        parser.add_argument("--origin", required=True, help="CNPJ da empresa origem")
        parser.add_argument("--to", required=True, help="CNPJs dos destinos, separados por vírgula")
        parser.add_argument("--registries", default="parties,products", help="parties,products")
        parser.add_argument("--details", type=int, default=0, help="listar N diferenças por destino")

    def handle(self, *args, **options):
        origin = _common.company_by_cnpj(options["origin"])
        destinations = _common.companies_by_cnpj(options["to"])
        registries = _common.registries(options["registries"])
        print_plan(self.stdout, origin, destinations, registries, details=options["details"])
