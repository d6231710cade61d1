"""Helpers shared by the sharing pages: who may see and change a share, durations, labels."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from companies import selectors as company_selectors
from companies.models import Company, Membership
from sharing.models import Share

# Labels of shared fields, for the preview's field-by-field differences.
FIELD_LABELS = {
    "cnpj_cpf": "CNPJ/CPF", "person_type": "Tipo de pessoa", "legal_name": "Razão social / nome completo",
    "trade_name": "Nome fantasia", "street": "Endereço", "number": "Número", "complement": "Complemento",
    "district": "Bairro", "city": "Cidade", "state": "UF", "cep": "CEP", "country_code": "País",
    "phone_ddd": "DDD", "phone_number": "Telefone", "email": "E-mail", "characteristics": "Características",
    "active": "Ativo", "salespeople": "Vendedores", "attachments": "Imagens e anexos",
    "code": "Código do produto", "description": "Descrição", "unit": "Unidade", "ncm": "NCM", "ean": "EAN",
    "price": "Preço unitário de venda", "origin": "Origem da mercadoria", "item_type": "Tipo do produto",
    "cest": "CEST", "family": "Família de produto", "suppliers": "Fornecedores", "bom": "Estrutura",
}


def forbidden(request: HttpRequest, company: Company, message: str) -> HttpResponse:
    """403 with a message the user understands (Django's default 403 page says nothing)."""
    return render(request, "sharing/forbidden.html", {"company": company, "message": message}, status=403)


def is_admin(user, company: Company) -> bool:
    return Membership.objects.filter(user=user, company=company, role=Membership.Role.ADMIN).exists()


def share_for(request: HttpRequest, company_id: int, share_id: int) -> tuple[Company, Share]:
    """The company (404 unless the user is a member of it) and a share it takes part in
    (404 otherwise, drafts included: they are not shown anywhere)."""
    company = company_selectors.company_for_user(request.user, company_id)
    share = get_object_or_404(
        Share.objects.select_related("origin").exclude(status=Share.Status.DRAFT),
        pk=share_id, members__company=company,
    )
    return company, share


def origin_admin_message(share_or_company) -> str:
    origin = getattr(share_or_company, "origin", share_or_company)
    return (
        f"Somente administradores de {origin.display_name} (empresa origem) podem configurar "
        "o compartilhamento de cadastros. Peça a um administrador que faça essa configuração."
    )


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def page_number(request: HttpRequest) -> int:
    try:
        number = int(request.GET.get("pagina", "1"))
    except ValueError:
        raise Http404("Página inválida.") from None
    if number < 1:
        raise Http404("Página inválida.")
    return number
