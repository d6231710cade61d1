"""References an API write names by Omie's keys → the ids catalog/services.py takes.

Images (`imagens[].url_imagem`), suppliers (`fornecedores`), salespeople (`codigo_vendedor`)
and the product structure (`estrutura`) arrive as Omie-style keys: addresses, CNPJ/CPF,
e-mails, product codes. Each is looked up in the calling company only, so another
company's id is "not found" exactly like an id that does not exist; unknown references
are a fault naming them, and nothing is written.

Image addresses are never fetched: each becomes a Blob that stands for the address
(catalog.services.blob_for_url), attached like any stored file, so sharing copies it
unchanged.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from urllib.parse import unquote, urlsplit

from django.core.exceptions import ValidationError
from django.db.models import Q

from api.faults import INVALID_VALUE, MISSING_FIELD, NOT_FOUND, ApiFault
from api.translate import decimal_value, list_of_dicts, whole_number
from catalog import services
from catalog.models import BillOfMaterialsItem, Party, Product, Salesperson
from companies.models import Company
from omieshare.lib.brazil import normalize_cpf_cnpj
from omieshare.lib.text import is_ascii_digits

MAX_IMAGES = 50


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _given(value: Any) -> bool:
    return value not in (None, "", 0, "0")


def _id(value: Any, name: str) -> int:
    if isinstance(value, bool):
        raise ApiFault(INVALID_VALUE, f"{name} inválido: [{value}].")
    try:
        return whole_number(value)
    except ValueError:
        raise ApiFault(INVALID_VALUE, f"{name} inválido: [{value}].") from None


def _missing(what: str, keys: list[str]) -> ApiFault:
    return ApiFault(NOT_FOUND, f"{what} não cadastrado nesta empresa: [{', '.join(keys)}]!")


# --- images -----------------------------------------------------------------------------


def image_urls(param: dict[str, Any]) -> list[str] | None:
    """The addresses in `imagens[].url_imagem`, in order, without repeats; None if the
    field was not sent (the record's images are then left as they are)."""
    if "imagens" not in param:
        return None
    urls: list[str] = []
    for item in list_of_dicts(param["imagens"], "imagens"):
        url = _text(item.get("url_imagem"))
        if url and url not in urls:
            urls.append(url)
    if len(urls) > MAX_IMAGES:
        raise ApiFault(INVALID_VALUE, f"No máximo {MAX_IMAGES} imagens por cadastro (recebidas {len(urls)}).")
    return urls


def _filename(url: str) -> str:
    parts = urlsplit(url)
    name = unquote(parts.path.rstrip("/").rsplit("/", 1)[-1]) or parts.hostname or "imagem"
    return name[:200]


def attachments_with_images(record: Party | Product | None, urls: list[str]) -> list[list]:
    """The full attachment list for services ([blob key, filename, is_image] each): the
    record's stored files stay, its address images become exactly `urls`."""
    blobs = []
    for url in urls:
        try:
            blobs.append(services.blob_for_url(url=url))
        except ValidationError as error:
            raise ApiFault(INVALID_VALUE, f"{' '.join(error.messages)} (campo imagens[].url_imagem)") from None
    kept = []
    if record is not None:
        # Lock the record first (the service locks it again, same transaction), so a file
        # attached from the pages meanwhile is not dropped from the list written below.
        list(type(record).objects.select_for_update(of=("self",)).filter(pk=record.pk).values_list("pk"))
        kept = [
            [a.blob_id, a.filename, a.is_image]
            for a in record.attachments.select_related("blob")
            if not a.blob.url
        ]
    return kept + [[blob.sha256, _filename(blob.url), True] for blob in blobs]


# --- suppliers (products) ----------------------------------------------------------------


def supplier_ids(company: Company, value: Any) -> list[int]:
    """`fornecedores`: a list whose items are a codigo_cliente_omie (number), a CNPJ/CPF
    (text, with or without mask), or an object with one of codigo_cliente_omie, cnpj_cpf,
    codigo_cliente_integracao. The client/supplier must belong to the same company."""
    if value in (None, ""):
        return []
    if not isinstance(value, list):
        raise ApiFault(INVALID_VALUE, "O campo fornecedores deve ser uma lista.")
    ids: list[int] = []
    documents: list[str] = []
    codes: list[str] = []
    for item in value:
        if isinstance(item, dict):
            if _given(item.get("codigo_cliente_omie")):
                ids.append(_id(item["codigo_cliente_omie"], "codigo_cliente_omie"))
            elif _text(item.get("cnpj_cpf")):
                documents.append(_document(item["cnpj_cpf"]))
            elif _text(item.get("codigo_cliente_integracao")):
                codes.append(_text(item["codigo_cliente_integracao"]))
            else:
                raise ApiFault(
                    MISSING_FIELD,
                    "Cada fornecedor deve ter codigo_cliente_omie, cnpj_cpf ou codigo_cliente_integracao.",
                )
        elif isinstance(item, int) and not isinstance(item, bool):
            ids.append(item)
        elif isinstance(item, str) and item.strip():
            text = item.strip()
            if is_ascii_digits(text) and len(text) not in (11, 14):
                ids.append(int(text))
            elif is_ascii_digits(text):
                # A bare 11/14-digit number is a CPF/CNPJ when it is a valid one, else an id.
                try:
                    documents.append(normalize_cpf_cnpj(text))
                except ValidationError:
                    ids.append(int(text))
            else:
                documents.append(_document(text))
        else:
            raise ApiFault(INVALID_VALUE, f"Fornecedor inválido: [{item}].")

    parties = Party.objects.filter(company=company)
    found_ids = set(parties.filter(pk__in=ids).values_list("pk", flat=True))
    by_document: dict[str, int] = {}
    # Several records may share a document when uniqueness is off: prefer a supplier,
    # then an active one, then the oldest — the one a user would call "the" supplier.
    for pk, document in parties.filter(cnpj_cpf__in=documents).order_by(
        "-is_supplier", "-active", "pk"
    ).values_list("pk", "cnpj_cpf"):
        by_document.setdefault(document, pk)
    by_code = dict(parties.filter(code__in=codes).values_list("code", "pk"))
    missing = (
        [str(pk) for pk in ids if pk not in found_ids]
        + [d for d in documents if d not in by_document]
        + [c for c in codes if c not in by_code]
    )
    if missing:
        raise _missing("Fornecedor", missing)
    return list(dict.fromkeys(ids + [by_document[d] for d in documents] + [by_code[c] for c in codes]))


def _document(value: Any) -> str:
    try:
        return normalize_cpf_cnpj(_text(value))
    except ValidationError as error:
        raise ApiFault(INVALID_VALUE, f"{' '.join(error.messages)} (campo fornecedores)") from None


# --- salespeople (clients) ---------------------------------------------------------------


def salesperson_ids(company: Company, value: Any) -> list[int]:
    """`codigo_vendedor`: the salesperson's id or e-mail (Omie keeps one; a list is accepted
    too). 0 or empty means none."""
    values = value if isinstance(value, list) else [value]
    ids: list[int] = []
    emails: list[str] = []
    for item in values:
        if not _given(item):
            continue
        if isinstance(item, str) and "@" in item:
            emails.append(item.strip().lower())
        else:
            ids.append(_id(item, "codigo_vendedor"))
    salespeople = Salesperson.objects.filter(company=company)
    found_ids = set(salespeople.filter(pk__in=ids).values_list("pk", flat=True))
    by_email: dict[str, int] = {}
    if emails:
        query = Q()
        for email in emails:
            query |= Q(email__iexact=email)
        by_email = {email.lower(): pk for pk, email in salespeople.filter(query).values_list("pk", "email")}
    missing = [str(pk) for pk in ids if pk not in found_ids] + [e for e in emails if e not in by_email]
    if missing:
        raise _missing("Vendedor", missing)
    return list(dict.fromkeys(ids + [by_email[e] for e in emails]))


# --- structure (products) ----------------------------------------------------------------

_COMPONENT_ID = ("idProdMalha", "codigo_produto")
_COMPONENT_CODE = ("codProdMalha", "codigo")
_COMPONENT_INTEGRATION = ("intProdMalha", "codigo_produto_integracao")
_QUANTITY = ("quantProdMalha", "quantidade")
BOM_QUANTITY_PLACES = BillOfMaterialsItem._meta.get_field("quantity").decimal_places


def _first(item: dict[str, Any], names: tuple[str, ...]) -> Any:
    return next((item[name] for name in names if _given(item.get(name))), None)


def bom_lines(company: Company, value: Any) -> list[tuple[int, Decimal]]:
    """`estrutura`: [{idProdMalha | codProdMalha | intProdMalha, quantProdMalha}], the
    components by our id, product code or integration code, of the same company."""
    lines: list[tuple[str, Any, Decimal]] = []
    for item in list_of_dicts(value, "estrutura"):
        # Not _first: a quantity of 0 was sent, and deserves "greater than zero", not "missing".
        sent = next((item[name] for name in _QUANTITY if item.get(name) not in (None, "")), None)
        if sent is None:
            raise ApiFault(
                MISSING_FIELD, "Preenchimento obrigatório do campo [estrutura.quantProdMalha] não informado!"
            )
        quantity = decimal_value(sent, "estrutura.quantProdMalha", places=BOM_QUANTITY_PLACES)
        if quantity <= 0:
            raise ApiFault(
                INVALID_VALUE, f"O campo estrutura.quantProdMalha deve ser maior que zero (recebido [{sent}])."
            )
        if (key := _first(item, _COMPONENT_ID)) is not None:
            lines.append(("id", _id(key, "estrutura.idProdMalha"), quantity))
        elif (key := _first(item, _COMPONENT_CODE)) is not None:
            lines.append(("code", _text(key).upper(), quantity))
        elif (key := _first(item, _COMPONENT_INTEGRATION)) is not None:
            lines.append(("integration_code", _text(key), quantity))
        else:
            raise ApiFault(
                MISSING_FIELD,
                "Cada item da estrutura deve ter idProdMalha, codProdMalha ou intProdMalha.",
            )
    products = Product.objects.filter(company=company)
    resolved: dict[tuple[str, Any], int] = {}
    for kind in ("id", "code", "integration_code"):
        keys = [key for k, key, _ in lines if k == kind]
        if keys:
            field = "pk" if kind == "id" else kind
            for pk, key in products.filter(**{f"{field}__in": keys}).values_list("pk", field):
                resolved[(kind, key)] = pk
    missing = [str(key) for kind, key, _ in lines if (kind, key) not in resolved]
    if missing:
        raise _missing("Produto componente", missing)
    return [(resolved[(kind, key)], quantity) for kind, key, quantity in lines]
