"""Omie's field names and shapes ↔ our model fields, built on catalog/omie_fields.py.

The plain one-to-one fields come from the map in catalog/omie_fields.py; the few that
Omie shapes differently (tags, características, inativo, the fiscal block, the family) are
translated here by hand.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone

from api.faults import INVALID_VALUE, ApiFault
from catalog import omie_fields
from catalog.models import Party, Product
from catalog.registries import describe
from catalog.validators import CHARACTERISTIC_CONTENT_MAX, CHARACTERISTIC_NAME_MAX
from omieshare.lib import brazil
from omieshare.lib.brazil import FOREIGN_STATE
from omieshare.lib.text import is_ascii_digits

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# Ours → Omie, for the plain fields: those with a simple Omie name and no special shape.
_PARTY_SPECIAL = {"id", "person_type", "salespeople", "active", "is_client", "is_supplier", "tags", "characteristics"}
_PRODUCT_SPECIAL = {"id", "active", "price", "item_type", "characteristics", "family"}



def _is_text(model, name: str) -> bool:
    return model._meta.get_field(name).get_internal_type() in ("CharField", "TextField")


PARTY_PLAIN = {
    ours: omie
    for ours, (omie, _) in omie_fields.PARTY_FIELDS.items()
    if _IDENTIFIER.match(omie) and ours not in _PARTY_SPECIAL and _is_text(Party, ours)
}
PRODUCT_PLAIN = {
    ours: omie
    for ours, (omie, _) in omie_fields.PRODUCT_FIELDS.items()
    if _IDENTIFIER.match(omie) and ours not in _PRODUCT_SPECIAL and _is_text(Product, ours)
}

CLIENT_TAG = "Cliente"
SUPPLIER_TAG = "Fornecedor"


# Relations the API names differently from the catalog's map (which documents them loosely).
_RELATION_NAMES = {
    "salespeople": "codigo_vendedor",
    "suppliers": "fornecedores",
    "bom": "estrutura",
    "attachments": "imagens",
}


def omie_field_name(registry: str, field: str) -> str:
    if field in _RELATION_NAMES:
        return _RELATION_NAMES[field]
    table = describe(registry).omie_field_names
    entry = table.get(field)
    return entry[0] if entry else field


def _text(value: Any, name: str) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "S" if value else "N"
    if isinstance(value, dict | list):
        # str() would store Python's repr ("{'a': 1}") as if it were the text sent.
        raise ApiFault(INVALID_VALUE, f"O campo {name} deve ser um texto, não um objeto ou uma lista.")
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ApiFault(INVALID_VALUE, f"O campo {name} deve ser um texto (recebido [{value}]).")
        # A whole number written as a JSON float (pandas writes its numeric columns so) is the
        # code 456, not "456.0"; Omie's PHP reads 456.0 as "456" too.
        if value.is_integer():
            return str(int(value))
    return str(value)


def key_text(value: Any, name: str) -> str:
    """A code that names a record (codigo_cliente_integracao, codigo…), as stored: the same
    text for 456, 456.0 and " 456 ", so a look-up finds what a write stored."""
    return _text(value, name).strip()


def _zero_padded(value: Any, width: int) -> Any:
    """A code of `width` digits sent as a JSON number has lost its leading zeros (CEP
    01310-100 arrives as 1310100, NCM 0901.21.00 as 9012100): they are put back. Text is
    left as it was typed."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 10**width:
        return str(value).zfill(width)
    return value


def document_text(value: Any, name: str = "cnpj_cpf") -> str:
    """cnpj_cpf as sent. Sent as a JSON number, a CPF or CNPJ that starts with 0 has lost its
    zeros (CNPJ 02.923.710/0001-19 arrives as 2923710000119): they are put back for
    whichever document the check digits confirm, a CPF first. Anything else stays as sent,
    for normalize_cpf_cnpj to judge."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        digits = str(value)
        for width, check in ((11, brazil.normalize_cpf), (14, brazil.normalize_cnpj)):
            if len(digits) <= width:
                try:
                    return check(digits.zfill(width))
                except ValidationError:
                    continue
    return _text(value, name).strip()


def flag(value: Any, name: str) -> bool:
    """Omie's 'S'/'N' flags (booleans accepted too)."""
    if isinstance(value, bool):
        return value
    text = _text(value, name).strip().upper()
    if text in {"S", "SIM", "TRUE", "1"}:
        return True
    if text in {"N", "NAO", "NÃO", "FALSE", "0", ""}:
        return False
    raise ApiFault(INVALID_VALUE, f"O campo {name} deve ser 'S' ou 'N' (recebido [{value}]).")


def tag_names(value: Any) -> list[str]:
    """`tags` as Omie answers it ([{"tag": "Fornecedor"}]), or as many integrations send
    it: plain strings (["Fornecedor"]), or both mixed. Empty names are dropped."""
    if value in (None, ""):
        return []
    if not isinstance(value, list):
        raise ApiFault(
            INVALID_VALUE, 'O campo tags deve ser uma lista, como [{"tag": "Fornecedor"}] ou ["Fornecedor"].'
        )
    names = [
        _text(item.get("tag"), "tags[].tag") if isinstance(item, dict) else _text(item, "tags[]")
        for item in value
    ]
    return [name.strip() for name in names if name.strip()]


def phone_from_omie(param: dict[str, Any], data: dict[str, Any], ddd: tuple[str, str], number: tuple[str, str]) -> None:
    """A telephone's DDD and number (`ddd`, `number`: (Omie name, our field)) as the model
    takes them. A number sent with its DDD inside ("(21) 99999-8888") and no DDD tag brings
    its own DDD: the record's previous DDD is not kept to contradict it."""
    (omie_ddd, ours_ddd), (omie_number, ours_number) = ddd, number
    if omie_number not in param or omie_ddd in param:
        return
    try:
        inside, _ = brazil.split_phone("", data[ours_number])
    except ValidationError:
        return  # the model names what is wrong with it
    if inside:
        data[ours_ddd] = inside


def list_of_dicts(value: Any, name: str) -> list[dict]:
    if value in (None, ""):
        return []
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise ApiFault(INVALID_VALUE, f"O campo {name} deve ser uma lista de objetos.")
    return value




def _characteristics(value: Any, name_keys: tuple[str, ...]) -> dict[str, str]:
    result: dict[str, str] = {}
    for item in list_of_dicts(value, "caracteristicas"):
        key = next((key for key in name_keys if item.get(key) not in (None, "")), name_keys[0])
        name = _text(item.get(key), f"caracteristicas[].{key}").strip()
        content = _text(item.get("conteudo"), "caracteristicas[].conteudo").strip()
        if len(name) > CHARACTERISTIC_NAME_MAX:
            raise ApiFault(INVALID_VALUE, f"O campo caracteristicas[].{key} aceita no máximo "
                                          f"{CHARACTERISTIC_NAME_MAX} caracteres (recebido [{name}]).")
        if len(content) > CHARACTERISTIC_CONTENT_MAX:
            raise ApiFault(INVALID_VALUE, f"O campo caracteristicas[].conteudo aceita no máximo "
                                          f"{CHARACTERISTIC_CONTENT_MAX} caracteres (característica [{name}]).")
        if name:
            result[name] = content
    return result


# --- clients and suppliers --------------------------------------------------------------


def party_data_from_omie(param: dict[str, Any], *, updating: bool = False) -> dict[str, Any]:
    """Omie's client fields → data for catalog/services.py. `param` has Omie's spelling
    (api.omie_schema.canonical_param refused any tag outside Omie's structure before).

    `tags`: the free tags sent replace the record's. The "Cliente"/"Fornecedor" tags are our
    is_client/is_supplier flags. A new record is a supplier only when tagged so, and a client
    when tagged so or when not a supplier. On an update a flag tag present sets its flag and
    an absent one leaves the flag alone: integrations send tags to add a label ("VIP") and
    would otherwise turn a supplier into a client without meaning to; Omie does not document
    the list as replacing these roles, so we do not take it as "no longer a supplier"."""
    from api import omie_schema  # it builds on this module's converters

    data = omie_schema.fields_from_omie("party", param)
    if flag(param.get("separar_endereco"), "separar_endereco"):
        omie_schema.apply_split(data, "street", "number", "complement")
    delivery = param.get("enderecoEntrega") or {}
    if flag(delivery.get("entSepararEndereco"), "enderecoEntrega.entSepararEndereco"):
        omie_schema.apply_split(data, "delivery_street", "delivery_number", "delivery_complement")
    # pesquisar_cep asks Omie to fill the empty address fields from its CEP base; there is
    # no CEP base here, so the address stays as sent (the flag must still be S or N).
    flag(param.get("pesquisar_cep"), "pesquisar_cep")
    # As integrations send them: a CEP or a document sent as a number lost its leading
    # zeros; a phone typed with its DDD inside the number.
    if "cep" in param:
        data["cep"] = _text(_zero_padded(param["cep"], 8), "cep").strip()
    if "cnpj_cpf" in param:
        data["cnpj_cpf"] = document_text(param["cnpj_cpf"])
    phone_from_omie(param, data, ("telefone1_ddd", "phone_ddd"), ("telefone1_numero", "phone_number"))
    phone_from_omie(param, data, ("telefone2_ddd", "phone2_ddd"), ("telefone2_numero", "phone2_number"))
    phone_from_omie(param, data, ("fax_ddd", "fax_ddd"), ("fax_numero", "fax_number"))
    if "tags" in param:
        tags = tag_names(param["tags"])
        lowered = {tag.lower() for tag in tags}
        is_supplier = SUPPLIER_TAG.lower() in lowered
        is_client = CLIENT_TAG.lower() in lowered
        if updating:
            data.update({"is_supplier": True} if is_supplier else {})
            data.update({"is_client": True} if is_client else {})
        else:
            data["is_supplier"] = is_supplier
            data["is_client"] = is_client or not is_supplier
        data["tags"] = [tag for tag in tags if tag.lower() not in {CLIENT_TAG.lower(), SUPPLIER_TAG.lower()}]
    if "caracteristicas" in param:
        data["characteristics"] = _characteristics(param["caracteristicas"], ("campo", "nome_caracteristica"))
    if "inativo" in param:
        data["active"] = not flag(param["inativo"], "inativo")
    if "pessoa_fisica" in param:
        # Omie fills it from the document; sent, it must still be S or N (an "X" was silently
        # ignored). It decides only for a record without CNPJ/CPF (a client abroad): the
        # model derives the kind from a document.
        individual = flag(param["pessoa_fisica"], "pessoa_fisica")
        data["person_type"] = Party.PersonType.INDIVIDUAL if individual else Party.PersonType.COMPANY
    if "exterior" in param:
        _apply_exterior(data, flag(param["exterior"], "exterior"))
    return data


def _apply_exterior(data: dict[str, Any], abroad: bool) -> None:
    """Omie's `exterior` flag ("S" for a client abroad), which Omie derives from the state
    EX: "S" alone means estado EX; one that contradicts the estado sent is refused."""
    state = str(data.get("state", "")).strip().upper()
    if abroad and "state" not in data:
        data["state"] = FOREIGN_STATE
    elif abroad and state != FOREIGN_STATE:
        raise ApiFault(
            INVALID_VALUE,
            f"O campo exterior = 'S' indica um cliente do exterior, que tem estado EX (recebido estado [{state}]).",
        )
    elif not abroad and state == FOREIGN_STATE:
        raise ApiFault(INVALID_VALUE, "O campo exterior = 'N' não combina com o estado EX (exterior).")


def _info(record, imported: bool) -> dict[str, str]:
    created = timezone.localtime(record.created_at)
    updated = timezone.localtime(record.updated_at)
    created_by = "API" if imported else "WEB"
    return {
        "dInc": created.strftime("%d/%m/%Y"),
        "hInc": created.strftime("%H:%M:%S"),
        "dAlt": updated.strftime("%d/%m/%Y"),
        "hAlt": updated.strftime("%H:%M:%S"),
        "importado_api": "S" if imported else "N",  # ours, kept for integrations that read it
        "cImpAPI": "S" if imported else "N",  # Omie's name for the same flag
        # Omie names the user; we know only whether the record came in through the API.
        # Who made the last change is not recorded, so uAlt is said only for a record
        # never changed since its creation.
        "uInc": created_by,
        "uAlt": created_by if record.version == 1 else "",
    }


def images_to_omie(attachments, image_url=None) -> list[dict[str, str]]:
    """`imagens[].url_imagem`: an address image as given; a stored image file as the address
    of its download page (`image_url(attachment)`). Attachments must come with their blob."""
    return [
        {"url_imagem": attachment.blob.url or (image_url(attachment) if image_url else "")}
        for attachment in attachments
        if attachment.is_image
    ]


def party_to_omie(party: Party, *, imported: bool = False, image_url=None) -> dict[str, Any]:
    """A client as Omie answers it. Needs `salespeople` and `attachments__blob` prefetched
    when listing (see api.clients)."""
    from api import omie_schema  # it builds on this module's converters

    result: dict[str, Any] = {"codigo_cliente_omie": party.pk}
    omie_schema.fields_to_omie("party", party, result)  # cnpj_cpf with the mask, as Omie answers
    result["pessoa_fisica"] = "S" if party.person_type == Party.PersonType.INDIVIDUAL else "N"
    result["exterior"] = "S" if party.is_foreign else "N"
    tags = []
    if party.is_client:
        tags.append({"tag": CLIENT_TAG})
    if party.is_supplier:
        tags.append({"tag": SUPPLIER_TAG})
    tags += [{"tag": tag} for tag in party.tags or []]
    result["tags"] = tags
    result["caracteristicas"] = [
        {"campo": name, "conteudo": value} for name, value in (party.characteristics or {}).items()
    ]
    salespeople = sorted(party.salespeople.all(), key=lambda s: s.pk)
    result["codigo_vendedor"] = salespeople[0].pk if salespeople else 0
    result["recomendacoes"]["codigo_vendedor"] = result["codigo_vendedor"]  # where Omie has it
    result["vendedores"] = [
        {"codigo_vendedor": s.pk, "nome": s.name, "email": s.email} for s in salespeople
    ]
    result["imagens"] = images_to_omie(party.attachments.all(), image_url)
    result["inativo"] = "N" if party.active else "S"
    result["importado_api"] = "S" if imported else "N"
    result["info"] = _info(party, imported)
    return result


def party_to_omie_summary(party: Party) -> dict[str, Any]:
    return {
        "codigo_cliente": party.pk,
        "codigo_cliente_integracao": party.code,
        "razao_social": party.legal_name,
        "nome_fantasia": party.trade_name,
        "cnpj_cpf": party.cnpj_cpf_masked,
    }


# --- products ---------------------------------------------------------------------------


# ASCII digits only: \d and Decimal() also take other scripts' digits ("١٠" would be 10).
_DECIMAL_TEXT = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?")
_INTEGER_TEXT = re.compile(r"[+-]?[0-9]+")


def whole_number(value: Any) -> int:
    """An id, page or count as sent. int() alone also takes "1_000" (Python's digit
    separator) and "٣" (an Arabic-Indic 3), which no integration means; raises ValueError
    like int()."""
    if isinstance(value, float) and value.is_integer():  # 1234567.0, as pandas writes ids
        value = int(value)
    text = str(value).strip()
    if isinstance(value, bool) or not _INTEGER_TEXT.fullmatch(text):
        raise ValueError(value)
    return int(text)


def decimal_value(value: Any, name: str, places: int = 2) -> Decimal:
    """A price (2 decimals) or quantity (`places`) as a Decimal.

    A JSON number arrives as a binary float, where 0.1 + 0.2 is 0.30000000000000004: it is
    rounded to the field's decimals, as the sender meant. Text is taken as written, so
    more decimals than the field holds is refused rather than silently rounded."""
    not_a_number = ApiFault(INVALID_VALUE, f"O campo {name} deve ser um número (recebido [{value}]).")
    if isinstance(value, bool):
        raise not_a_number
    if isinstance(value, float):
        if not math.isfinite(value):
            raise not_a_number
        try:
            return Decimal(repr(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
        except InvalidOperation:  # too many digits for the context: beyond any field anyway
            raise ApiFault(INVALID_VALUE, f"O campo {name} é grande demais (recebido [{value}]).") from None
    text = _text(value, name).strip()
    if "," in text:  # "1.234,56" as typed in Brazil
        text = text.replace(".", "").replace(",", ".")
    if not _DECIMAL_TEXT.fullmatch(text):
        raise not_a_number
    number = Decimal(text)
    if number.normalize().as_tuple().exponent < -places:
        raise ApiFault(
            INVALID_VALUE, f"O campo {name} aceita no máximo {places} casas decimais (recebido [{value}])."
        )
    return number


def product_data_from_omie(param: dict[str, Any]) -> dict[str, Any]:
    """Omie's product fields → data for catalog/services.py (the family stays as given:
    see `family_from_omie`). `param` has Omie's spelling (api.omie_schema.canonical_param
    refused any tag outside Omie's structure before)."""
    from api import omie_schema  # it builds on this module's converters

    data = omie_schema.fields_from_omie("product", param)
    if "videos" in param:
        data["videos"] = omie_schema.videos_from_omie(param["videos"])
    if list_of_dicts(param.get("componentes_kit"), "componentes_kit"):
        # A kit sent and dropped would be worse than refused: there are no kits here.
        raise ApiFault(INVALID_VALUE, "Kits (componentes_kit) não são aceitos aqui; informe a composição do "
                                      "produto na estrutura.")
    if "ncm" in param:  # sent as a number, an NCM lost its leading zero
        data["ncm"] = _text(_zero_padded(param["ncm"], 8), "ncm").strip()
    if "valor_unitario" in param:
        data["price"] = decimal_value(param["valor_unitario"], "valor_unitario")
    if "tipoItem" in param:
        item_type = _text(param["tipoItem"], "tipoItem").strip()
        data["item_type"] = item_type.zfill(2) if is_ascii_digits(item_type) else item_type
    fiscal = param.get("recomendacoes_fiscais")
    if fiscal not in (None, "") and not isinstance(fiscal, dict):
        raise ApiFault(INVALID_VALUE, "O campo recomendacoes_fiscais deve ser um objeto.")
    fiscal = fiscal or {}
    if "cest" in param:
        data["cest"] = _text(_zero_padded(param["cest"], 7), "cest").strip()
    if "id_cest" in fiscal:
        data["cest"] = _text(_zero_padded(fiscal["id_cest"], 7), "recomendacoes_fiscais.id_cest").strip()
    if "origem_mercadoria" in fiscal:
        origin = _text(fiscal["origem_mercadoria"], "recomendacoes_fiscais.origem_mercadoria").strip()
        # "²" passes str.isdigit() and fails int(); "٣" is int() 3: only 0-8 written in ASCII.
        if not (is_ascii_digits(origin) and int(origin) <= 8):
            raise ApiFault(
                INVALID_VALUE,
                f"Origem da mercadoria inválida: [{origin}]; use um número de 0 a 8 "
                "(campo recomendacoes_fiscais.origem_mercadoria).",
            )
        data["origin"] = int(origin)
    if "caracteristicas" in param:
        data["characteristics"] = _characteristics(param["caracteristicas"], ("nome_caracteristica", "campo"))
    if "inativo" in param:
        data["active"] = not flag(param["inativo"], "inativo")
    return data


def product_to_omie(product: Product, *, imported: bool = False, image_url=None) -> dict[str, Any]:
    from api import omie_schema  # it builds on this module's converters

    result: dict[str, Any] = {"codigo_produto": product.pk}
    omie_schema.fields_to_omie("product", product, result)
    result["ncm"] = product.ncm_masked  # Omie answers with the dots
    result["valor_unitario"] = float(product.price)
    result["tipoItem"] = product.item_type
    result["recomendacoes_fiscais"].update(origem_mercadoria=str(product.origin), id_cest=product.cest_masked)
    result["cest"] = product.cest_masked
    result["codigo_familia"] = product.family_id or 0
    result["descricao_familia"] = product.family.name if product.family_id else ""
    result["caracteristicas"] = [
        {"nome_caracteristica": name, "conteudo": value}
        for name, value in (product.characteristics or {}).items()
    ]
    result["fornecedores"] = [
        {"codigo_cliente_omie": s.pk, "cnpj_cpf": s.cnpj_cpf_masked, "razao_social": s.legal_name}
        for s in sorted(product.suppliers.all(), key=lambda s: s.pk)
    ]
    result["estrutura"] = [
        {
            "idProdMalha": item.component_id,
            "codProdMalha": item.component.code,
            "descrProdMalha": item.component.description,
            "quantProdMalha": float(item.quantity),
        }
        for item in sorted(product.bom_items.all(), key=lambda i: i.component.code)
    ]
    result["imagens"] = images_to_omie(product.attachments.all(), image_url)
    result["videos"] = omie_schema.videos_to_omie(product.videos)
    result["inativo"] = "N" if product.active else "S"
    result["importado_api"] = "S" if imported else "N"
    # Answers only: this company's stock and price tables (never shared, never written
    # through the product), and Omie's concepts that do not exist here.
    stock = getattr(product, "stock_balance", None)
    result["quantidade_estoque"] = float(stock.quantity) if stock else 0.0
    result["tabelas_preco"] = [
        {"nCodTabPreco": item.table_id, "cNomeTabPreco": item.table.name, "nValorTabPreco": float(item.price)}
        for item in sorted(product.price_table_items.all(), key=lambda i: i.table.name)
    ]
    result["componentes_kit"] = []
    result["codInt_familia"] = ""
    result["produto_variacao"] = "N"
    result["variacao"] = "N"
    result["id_produto_variacao"] = 0
    result["info"] = _info(product, imported)
    return result


def product_to_omie_summary(product: Product) -> dict[str, Any]:
    return {
        "codigo_produto": product.pk,
        "codigo_produto_integracao": product.integration_code,
        "codigo": product.code,
        "descricao": product.description,
        "valor_unitario": float(product.price),
    }


# --- values answered as they were sent ----------------------------------------------------


def _alone(normalize: Callable[[str], str]) -> Callable[[str], tuple[str]]:
    return lambda value: (normalize(value),)


# Values Omie keeps as text and answers as they were sent, which the catalog keeps in a
# normal form: groups of Omie names (a telephone's DDD and number go together: the number
# may carry the DDD) with the function from their texts to the stored values. These are
# the models' own normalisers, so a spelling "means" exactly what writing it stores.
ECHOED: dict[str, tuple[tuple[tuple[str, ...], Callable[..., tuple[str, ...]]], ...]] = {
    "party": (
        (("cep",), _alone(Party.normalizers["cep"])),
        (("email",), _alone(Party.normalizers["email"])),
        (("telefone1_ddd", "telefone1_numero"), brazil.split_phone),
        (("telefone2_ddd", "telefone2_numero"), brazil.split_phone),
        (("fax_ddd", "fax_numero"), brazil.split_phone),
        (("inscricao_estadual",), _alone(Party.normalizers["state_registration"])),
        (("recomendacoes.email_fatura",), _alone(Party.normalizers["billing_email"])),
        (("enderecoEntrega.entCEP",), _alone(Party.normalizers["delivery_cep"])),
        (("enderecoEntrega.entIE",), _alone(Party.normalizers["delivery_state_registration"])),
    ),
    "product": (
        (("codigo",), _alone(Product.normalizers["code"])),
        (("unidade",), _alone(Product.normalizers["unit"])),
        (("cfop",), _alone(Product.normalizers["cfop"])),
    ),
}
_ABSENT = object()


def _at(record: dict[str, Any], name: str) -> Any:
    """The value at an Omie name, dotted for a nested object ("enderecoEntrega.entCEP")."""
    *objects, key = name.split(".")
    for part in objects:
        record = record.get(part)
        if not isinstance(record, dict):
            return _ABSENT
    return record.get(key, _ABSENT)


def _put(record: dict[str, Any], name: str, value: Any) -> None:
    *objects, key = name.split(".")
    for part in objects:
        record = record[part]
    record[key] = value


def _stored_form(normalize: Callable[..., tuple[str, ...]], texts: tuple[str, ...]) -> tuple[str, ...] | None:
    try:
        return tuple(normalize(*texts))
    except ValidationError:
        return None


def spellings_sent(registry: str, param: dict[str, Any]) -> tuple[dict[str, str], set[str]]:
    """What a write sent of the echoed values, for api.services.spelling_remember: the
    texts that differ from their stored form ({"cep": "01310-100"}), and every name of the
    groups the write touched (their earlier spellings are forgotten). A value sent as a
    JSON number is answered as Omie types it, text, so there is no spelling to keep."""
    sent: dict[str, str] = {}
    touched: set[str] = set()
    for names, normalize in ECHOED[registry]:
        if all(_at(param, name) is _ABSENT for name in names):
            continue
        touched.update(names)
        texts = {name: _at(param, name).strip() for name in names if isinstance(_at(param, name), str)}
        if not any(texts.values()):
            continue
        candidate = tuple(texts.get(name, "") for name in names)
        if _stored_form(normalize, candidate) != candidate:
            sent.update({name: text for name, text in texts.items() if text})
    return sent, touched


def as_sent(registry: str, answer: dict[str, Any], spelling: dict[str, str] | None) -> dict[str, Any]:
    """`answer` (a record as party_to_omie / product_to_omie build it) with each echoed
    group in the spelling its integration last sent, while that spelling still means the
    stored values; after a change made elsewhere (a page, sharing), the stored values."""
    for names, normalize in ECHOED[registry] if spelling else ():
        if not any(name in spelling for name in names) or any(_at(answer, name) is _ABSENT for name in names):
            continue
        stored = tuple(_at(answer, name) for name in names)
        candidate = tuple(spelling.get(name, stored[i]) for i, name in enumerate(names))
        if _stored_form(normalize, candidate) == stored:
            for name, text in zip(names, candidate, strict=True):
                _put(answer, name, text)
    return answer


# --- errors -----------------------------------------------------------------------------


def validation_message(registry: str, error: ValidationError) -> str:
    """A ValidationError from catalog/services.py, naming fields the way Omie does."""
    if not hasattr(error, "error_dict"):
        return " ".join(error.messages)
    parts = []
    for field, messages in error.message_dict.items():
        text = " ".join(messages)
        if field == "__all__":
            parts.append(text)
        else:
            parts.append(f"{text} (campo {omie_field_name(registry, field)})")
    return " ".join(parts)


def is_duplicate(error: ValidationError) -> bool:
    """Refused because another record holds the same code / document / EAN."""
    prefixes = ("Já existe", "Não foi possível salvar: outro cadastro")
    return any(message.startswith(prefixes) for message in error.messages)
