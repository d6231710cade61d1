"""How a catalog field's value reads for a person: pt-BR labels, and values as a person writes
them ("Carla Mendes <carla@…>", "Segmento: Varejo", masked CNPJ/CPF, "Sim"/"Não",
"PRD00432 × 2") instead of the JSON the sharing engine stores (sharing/canonical.py).

The one formatter for every place that shows a field's value: the preview's differences and
the audit trail (through sharing/templatetags/shared_values.py), the admin (the current
values of a stale edit, the audit and snapshot pages) and the share_preview command.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.db import models

from catalog.models import Party, Product, characteristics_dict
from catalog.templatetags.catalog_extras import money, quantity, tag_label
from omieshare.lib import brazil

EMPTY = "—"

FIELD_LABELS = {
    "cnpj_cpf": "CNPJ/CPF", "person_type": "Tipo de pessoa", "legal_name": "Razão social / nome completo",
    "trade_name": "Nome fantasia", "street": "Endereço", "number": "Número", "complement": "Complemento",
    "district": "Bairro", "city": "Cidade", "state": "UF", "cep": "CEP", "country_code": "País",
    "phone_ddd": "DDD", "phone_number": "Telefone", "email": "E-mail", "characteristics": "Características",
    "city_ibge": "Código IBGE da cidade", "phone2_ddd": "DDD do telefone 2", "phone2_number": "Telefone 2",
    "fax_ddd": "DDD do fax", "fax_number": "Fax",
    "active": "Ativo", "salespeople": "Vendedores", "attachments": "Imagens e anexos",
    "is_client": "Cliente", "is_supplier": "Fornecedor",
    "code": "Código do produto", "description": "Descrição", "unit": "Unidade", "ncm": "NCM", "ean": "EAN",
    "price": "Preço unitário de venda", "origin": "Origem da mercadoria", "item_type": "Tipo do produto",
    "cest": "CEST", "family": "Família de produto", "suppliers": "Fornecedores", "bom": "Estrutura",
}


# Omie's country codes (catalog.Party.country_code); the group's records are Brazilian.
COUNTRIES = {"1058": "Brasil"}


def _salespeople(value: list) -> str:
    # Stored as [e-mail, name] pairs (matched by e-mail in every member).
    return ", ".join(f"{name} <{email}>" if name else email for email, name in value)


def _characteristics(value: list | dict) -> str:
    # Stored as [name, value] pairs; audit entries written before may hold an object.
    return "; ".join(f"{name}: {text}" for name, text in characteristics_dict(value).items())


def _structure(value: list) -> str:
    # Stored as [component code, quantity] pairs.
    return ", ".join(f"{code} × {quantity(amount)}" for code, amount in value)


def _attachments(value: list) -> str:
    # Stored as [content hash, file name, is image]; the file name is what a person knows.
    return ", ".join(filename for _blob, filename, _is_image in value)


def _choice(choices) -> Callable[[Any], str]:
    labels = {str(key): label for key, label in choices}
    return lambda value: labels.get(str(value), str(value))


_FORMATTERS: dict[str, Callable[[Any], str]] = {
    "cnpj_cpf": brazil.mask_cpf_cnpj,
    "bank_holder_document": brazil.mask_cpf_cnpj,
    "delivery_document": brazil.mask_cpf_cnpj,
    "manufacturer_cnpj": brazil.mask_cpf_cnpj,
    "delivery_cep": brazil.mask_cep,
    "suppliers": lambda documents: ", ".join(brazil.mask_cpf_cnpj(d) for d in documents),
    "salespeople": _salespeople,
    "characteristics": _characteristics,
    "bom": _structure,
    "attachments": _attachments,
    "cep": brazil.mask_cep,
    "country_code": lambda code: COUNTRIES.get(str(code), str(code)),
    "ncm": brazil.mask_ncm,
    "cest": brazil.mask_cest,
    "price": money,
    "person_type": _choice(Party.PersonType.choices),
    "origin": _choice(Product.Origin.choices),
    "item_type": _choice(Product.ItemType.choices),
}


def _plain(value: Any) -> str:
    if isinstance(value, dict):
        return "; ".join(f"{key}: {_plain(item)}" for key, item in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(_plain(item) for item in value)
    return str(value)


def field_label(name: str) -> str:
    return FIELD_LABELS.get(name, name)


def is_empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def display_value(value: Any, name: str = "") -> str:
    """One field's value as text, by its field name; "—" when empty."""
    if is_empty(value):
        return EMPTY
    if isinstance(value, bool):
        return "Sim" if value else "Não"
    formatter = _FORMATTERS.get(name)
    if formatter is not None:
        try:
            return formatter(value) or EMPTY
        except (TypeError, ValueError, AttributeError):
            pass  # a shape this formatter does not know (an older record): shown as it is
    return _plain(value)


# --- a record's own fields (the detail pages, a stale edit's differences) -----------------

# Shown even when zero: a product's sale price of R$ 0,00 is something to see.
SHOWN_WHEN_ZERO = frozenset({"price"})


def record_value(record: models.Model, name: str) -> str:
    """A field of a Party or Product instance as a person reads it: choices by their label,
    "Sim"/"Não", masked documents, money with R$ (two decimal places), other decimals as
    written ("1,25"), dates dd/mm/aaaa. "" when there is nothing to show."""
    field = record._meta.get_field(name)
    value = getattr(record, name)
    if value is None or value == "":
        return ""
    if field.choices:
        return str(getattr(record, f"get_{name}_display")())
    if isinstance(value, bool):
        return "Sim" if value else "Não"
    if name == "tags":
        return ", ".join(label for label in (tag_label(tag) for tag in value) if label)
    if is_empty(value):
        return ""
    if name in _FORMATTERS:
        shown = display_value(value, name)
        return "" if shown == EMPTY else shown
    if isinstance(value, Decimal):
        return money(value) if field.decimal_places == 2 else quantity(value)
    if isinstance(value, datetime.date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, list | tuple):
        return ", ".join(str(item) for item in value)
    return str(value)


def is_unset(record: models.Model, name: str) -> bool:
    """Whether a field holds nothing worth a line on the record's page: empty text or list,
    an unticked flag, a zero Omie sends for "not informed"."""
    value = getattr(record, name)
    if isinstance(value, bool):
        return not value
    if record._meta.get_field(name).choices:  # origin 0 is "0 - Nacional", a value
        return value is None or value == ""
    if isinstance(value, Decimal | int) and name not in SHOWN_WHEN_ZERO:
        return value == 0
    return is_empty(value)
