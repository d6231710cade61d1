"""Shared parsing for the sharing commands: companies by CNPJ, registries, permissions."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError

from companies.models import Company
from omieshare.lib.brazil import mask_cpf_cnpj, normalize_cnpj
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


def companies_by_cnpj(text: str) -> list[Company]:
    companies = [company_by_cnpj(part) for part in text.split(",") if part.strip()]
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


def progress_bar(done: int, total: int, width: int = 30) -> str:
    fraction = done / total if total else 1.0
    filled = int(width * fraction)
    return f"[{'#' * filled}{'.' * (width - filled)}] {done}/{total} ({fraction:.0%})"
