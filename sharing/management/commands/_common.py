"""Shared parsing for the sharing commands: companies by CNPJ, registries, permissions."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError

from companies.models import Company
from omieshare.lib.brazil import mask_cpf_cnpj, normalize_cnpj
from omieshare.templatetags.numbers import format_number
from sharing import services
from sharing.models import Share
from sharing.services import Permissions

REGISTRY_NAMES = {"parties": "party", "party": "party", "clientes": "party",
                  "products": "product", "product": "product", "produtos": "product"}


def company_by_cnpj(text: str) -> Company:
    try:
        cnpj = normalize_cnpj(text)
    except ValidationError as error:
        raise CommandError(f"{text}: {' '.join(error.messages)}") from None
    company = Company.objects.filter(cnpj=cnpj).first()
    if company is None:
        raise CommandError(f"Nenhuma empresa com o CNPJ {mask_cpf_cnpj(cnpj)}.")
    return company


def companies_by_cnpj(text: str | list[str]) -> list[Company]:
    """Companies by CNPJ, from "a,b" or from a repeated option's ["a", "b,c"]."""
    parts = ",".join(text) if isinstance(text, list) else text
    companies = [company_by_cnpj(part) for part in parts.split(",") if part.strip()]
    if not companies:
        raise CommandError("Informe pelo menos um CNPJ de destino em --to.")
    return companies


def registries(text: str) -> list[str]:
    names = [part.strip().lower() for part in text.split(",") if part.strip()]
    unknown = [n for n in names if n not in REGISTRY_NAMES]
    if unknown or not names:
        raise CommandError("--registries aceita parties e/ou products (ex.: --registries parties,products).")
    return sorted({REGISTRY_NAMES[n] for n in names})


def permissions(text: str) -> Permissions:
    try:
        return Permissions.parse(text)
    except ValidationError as error:
        raise CommandError(" ".join(error.messages)) from None


def share_by_id(share_id: int) -> Share:
    share = Share.objects.select_related("origin").filter(pk=share_id).first()
    if share is None:
        raise CommandError(f"Compartilhamento nº {share_id} não existe.")
    return share


REGISTRIES_HELP = "o que compartilhar: parties (clientes e fornecedores) e/ou products (produtos), " \
    "separados por vírgula (padrão: %(default)s)"
PERMISSIONS_HELP = "include, edit e/ou delete, separados por vírgula, ou none para nenhuma (padrão: %(default)s)"


def add_share_arguments(parser) -> None:
    """--origin, --to and --registries, the same for the preview and the activation."""
    parser.add_argument("--origin", required=True, help="CNPJ da empresa origem")
    # Repeatable as well as comma-separated: a second --to used to replace the first one
    # silently, and the activation then left a destination out.
    parser.add_argument("--to", required=True, action="append",
                        help="CNPJs das empresas destino, separados por vírgula (ou --to repetido)")
    parser.add_argument("--registries", default="parties,products", help=REGISTRIES_HELP)


def check_share(origin: Company, destinations: list[Company], registries: list[str]) -> None:
    """What the activation would refuse, refused now (before a preview or a confirmation)."""
    try:
        services.share_check(origin=origin, destinations=destinations, registries=registries)
    except ValidationError as error:
        raise CommandError(" ".join(error.messages)) from None


def progress_bar(done: int, total: int, *, finished: bool = False, width: int = 30) -> str:
    if not total:  # no work counted yet (or none at all): a bar would claim a false 100 %
        return "concluído" if finished else "preparando…"
    fraction = done / total
    filled = int(width * fraction)
    return f"[{'#' * filled}{'.' * (width - filled)}] {format_number(done)}/{format_number(total)} ({fraction:.0%})"
