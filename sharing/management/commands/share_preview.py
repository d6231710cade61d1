from __future__ import annotations

import time

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from catalog.display import display_value, is_empty
from catalog.registries import describe
from omieshare.lib.durations import format_duration
from omieshare.templatetags.numbers import format_number
from sharing.canonical import field_verbose_name
from sharing.management.commands import _common
from sharing.planner import CATEGORIES, CATEGORY_LABELS, plan, plan_rows

# Short column headers; the legend under the table spells each one out.
HEADERS = {
    "create": "incluir", "overwrite": "sobrescrever", "identical": "iguais", "destination_only": "só destino",
    "skipped": "sem CNPJ/CPF", "duplicates": "duplicidades", "conflicts": "conflitos",
}


def _value(value, name: str) -> str:
    if is_empty(value):
        return "(vazio)"
    text = display_value(value, name)
    # Quoted, so that spaces at either end of a text show in the terminal.
    return f'"{text}"' if isinstance(value, str) else text


def print_plan(stdout, origin, destinations, registries, *, details: int = 0) -> float:
    started = time.monotonic()
    try:
        plans = plan(origin=origin, destinations=destinations, registries=registries)
    except ValidationError as error:  # no PostgreSQL (the embedded SQLite of a first run)
        raise CommandError(" ".join(error.messages)) from None
    elapsed = time.monotonic() - started
    widths = {c: max(len(HEADERS[c]), 7) for c in CATEGORIES}  # 7 digits: up to 9.999.999
    header = f"{'destino':30} {'cadastro':22} " + " ".join(f"{HEADERS[c]:>{widths[c]}}" for c in CATEGORIES)
    stdout.write(f"Origem: {origin.display_name} ({origin.cnpj_masked})")
    stdout.write(header)
    stdout.write("-" * len(header))
    for item in plans:
        row = f"{item.company.display_name[:30]:30} {describe(item.registry).short_plural:22} "
        row += " ".join(f"{format_number(item.counts[c]):>{widths[c]}}" for c in CATEGORIES)
        stdout.write(row)
    stdout.write("Legenda: " + "; ".join(f"{HEADERS[c]} = {CATEGORY_LABELS[c]}" for c in CATEGORIES))
    if details:
        stdout.write(f"Diferenças dos cadastros a sobrescrever (até {details} por destino e cadastro):")
        for item in plans:
            for row in plan_rows(origin=origin, dest=item.company, registry=item.registry,
                                 category="overwrite", limit=details):
                changes = "; ".join(
                    f"{field_verbose_name(item.registry, name)}: {_value(old, name)} → {_value(new, name)}"
                    for name, old, new in row["differences"]
                )
                key = describe(item.registry).display_key(row["key"])
                stdout.write(f"  {item.company.display_name} · {describe(item.registry).short_plural} "
                             f"{key}: {changes or 'reativado'}")
    stdout.write(f"(prévia calculada em {format_duration(elapsed, decimals=2)}; nada foi gravado)")
    return elapsed


class Command(BaseCommand):
    help = "Mostra o que a ativação do compartilhamento faria em cada destino, sem gravar nada."

    def add_arguments(self, parser):
        _common.add_share_arguments(parser)
        parser.add_argument("--details", type=int, default=0, metavar="N",
                            help="listar as diferenças de até N cadastros a sobrescrever por destino (padrão: 0)")

    def handle(self, *args, **options):
        if options["details"] < 0:
            raise CommandError("--details deve ser 0 ou mais (quantos cadastros a sobrescrever listar).")
        origin = _common.company_by_cnpj(options["origin"])
        destinations = _common.companies_by_cnpj(options["to"])
        registries = _common.registries(options["registries"])
        # A preview of something the activation would refuse would only mislead.
        _common.check_share(origin, destinations, registries)
        print_plan(self.stdout, origin, destinations, registries, details=options["details"])
