"""Omie's write structures (clientes_cadastro, produto_servico_cadastro) as the API reads and
answers them, built from catalog/omie_fields.py.

- `canonical_param`: a write's tags in Omie's spelling. Omie matches tag names whatever
  their case (its faults echo them in upper case); a tag outside its structure, at the top
  or inside an object such as dadosBancarios, is refused with fault 5001 rather than
  accepted and dropped.
- `fields_from_omie` / `fields_to_omie`: every field of the map that is a plain value (a
  text, an S/N flag, a number, a date), at the top or in a nested object, converted by the
  model field's type: Omie's "S"/"N" ↔ booleans, JSON numbers ↔ decimals and integers,
  dd/mm/aaaa ↔ dates. The fields with a shape of their own (tags, características,
  the family, the fiscal origin …) stay in api/translate.py.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.db import models

from api.faults import INVALID_VALUE, UNKNOWN_TAG, ApiFault
from api.translate import decimal_value, flag, key_text, list_of_dicts, whole_number
from catalog import omie_fields
from catalog.registries import describe
from omieshare.lib.brazil import mask_cpf_cnpj

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

# Fields with a shape of their own, translated by hand in api/translate.py (and api/clients.py,
# api/products.py): never read or answered by the generic code below.
_SPECIAL = {
    "party": {"id", "person_type", "salespeople", "active", "is_client", "is_supplier", "tags", "characteristics",
              "attachments", "created_at", "updated_at"},
    "product": {"id", "active", "price", "item_type", "characteristics", "family", "suppliers", "bom", "attachments",
                "origin", "cest", "videos", "created_at", "updated_at"},
}
# Documents answered with their mask, as cnpj_cpf is.
_MASKED_DOCUMENTS = {"cnpj_cpf", "bank_holder_document", "delivery_document", "manufacturer_cnpj"}
# Omie's name of each write structure (the "tipo complexo" its faults name).
TYPE_NAMES = {"party": "clientes_cadastro", "product": "produto_servico_cadastro"}


@dataclass(frozen=True)
class Field:
    ours: str
    path: tuple[str, ...]  # ("inscricao_estadual",) or ("dadosBancarios", "codigo_banco")
    kind: str  # text, flag, decimal, integer, date
    places: int = 0

    @property
    def name(self) -> str:
        return ".".join(self.path)


@dataclass(frozen=True)
class Schema:
    type_name: str
    top: dict[str, str]  # lower-case tag → Omie's spelling
    objects: dict[str, dict[str, str]]  # an object's tag (Omie's spelling) → its keys, lower → spelling
    fields: tuple[Field, ...]


def _tags_of(omie: str) -> list[tuple[str, ...]]:
    """The tags an entry of the map names: "peso_liq" → [("peso_liq",)];
    "dadosIbpt.fonte" → [("dadosIbpt", "fonte")]; "imagens[].url_imagem" → [("imagens",)];
    "codigo_familia / descricao_familia" → both; "tags[].tag = 'Cliente'" → [("tags",)]."""
    paths = []
    for part in omie.split(" / "):
        token = part.split(" ", 1)[0]
        if "[]" in token:
            paths.append((token.split("[]", 1)[0],))
        elif "." in token:
            paths.append(tuple(token.split(".")))
        elif token:
            paths.append((token,))
    return [path for path in paths if all(_IDENTIFIER.fullmatch(tag) for tag in path)]


def _kind(field: models.Field) -> tuple[str, int]:
    kind = field.get_internal_type()
    if kind == "BooleanField":
        return "flag", 0
    if kind == "DecimalField":
        return "decimal", field.decimal_places
    if kind in ("PositiveIntegerField", "PositiveBigIntegerField", "PositiveSmallIntegerField", "IntegerField"):
        return "integer", 0
    if kind == "DateField":
        return "date", 0
    return "text", 0


@cache
def schema(registry: str) -> Schema:
    fields_map = omie_fields.PARTY_FIELDS if registry == "party" else omie_fields.PRODUCT_FIELDS
    others = omie_fields.PARTY_OTHER_TAGS if registry == "party" else omie_fields.PRODUCT_OTHER_TAGS
    model = describe(registry).model
    top: dict[str, str] = {}
    objects: dict[str, dict[str, str]] = {}
    fields: list[Field] = []

    def add(path: tuple[str, ...]) -> None:
        top[path[0].lower()] = path[0]
        if len(path) == 2:
            objects.setdefault(path[0], {})[path[1].lower()] = path[1]

    for ours, (omie, _note) in fields_map.items():
        for path in _tags_of(omie):
            add(path)
        if ours in _SPECIAL[registry] or ours in ("created_at", "updated_at"):
            continue
        paths = _tags_of(omie)
        if len(paths) == 1 and len(paths[0]) <= 2 and "[]" not in omie:
            kind, places = _kind(model._meta.get_field(ours))
            fields.append(Field(ours, paths[0], kind, places))
    for omie in others:
        for path in _tags_of(omie):
            add(path)
    return Schema(TYPE_NAMES[registry], top, objects, tuple(fields))


def _unknown(tag: Any, type_name: str) -> ApiFault:
    return ApiFault(UNKNOWN_TAG, f"Tag [{str(tag).upper()}] não faz parte da estrutura do tipo complexo [{type_name}]!")


def _spelled(given: dict[str, Any], known: dict[str, str], type_name: str) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for tag, value in given.items():
        spelling = known.get(str(tag).lower())
        if spelling is None:
            raise _unknown(tag, type_name)
        if spelling in result:
            raise ApiFault(INVALID_VALUE, f"A tag [{spelling}] foi enviada mais de uma vez (com outra grafia).")
        result[spelling] = value
    return result


def canonical_param(registry: str, param: dict[str, Any]) -> dict[str, Any]:
    """The write's tags in Omie's spelling, nested objects included; 5001 for any tag
    outside Omie's structure, named in upper case as Omie's fault does."""
    structure = schema(registry)
    result = _spelled(param, structure.top, structure.type_name)
    for name, keys in structure.objects.items():
        value = result.get(name)
        if value in (None, ""):
            continue
        if not isinstance(value, dict):
            raise ApiFault(INVALID_VALUE, f"O campo {name} deve ser um objeto.")
        result[name] = _spelled(value, keys, name)
    return result


def _sent(param: dict[str, Any], path: tuple[str, ...]) -> tuple[bool, Any]:
    if len(path) == 1:
        return (path[0] in param), param.get(path[0])
    inner = param.get(path[0])
    if not isinstance(inner, dict) or path[1] not in inner:
        return False, None
    return True, inner[path[1]]


def _date_from_omie(value: Any, name: str) -> datetime.date | None:
    if value in (None, ""):
        return None
    text = str(value).strip()
    for pattern in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return datetime.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise ApiFault(INVALID_VALUE, f"Data inválida no campo {name}: [{value}]; use dd/mm/aaaa.")


def _integer_from_omie(value: Any, name: str) -> int:
    if value in (None, ""):
        return 0
    try:
        return whole_number(value)
    except ValueError:
        raise ApiFault(INVALID_VALUE, f"O campo {name} deve ser um número inteiro (recebido [{value}]).") from None


def _text_from_omie(value: Any, name: str) -> str:
    # One rule for every text field: 456.0 (as pandas writes a code) is "456", NaN is refused.
    return key_text(value, name)


def fields_from_omie(registry: str, param: dict[str, Any]) -> dict[str, Any]:
    """Every plain field the write sends (in Omie's spelling: see canonical_param), as data
    for catalog/services.py. A field not sent is left out (an update keeps it)."""
    data: dict[str, Any] = {}
    for field in schema(registry).fields:
        sent, value = _sent(param, field.path)
        if not sent:
            continue
        if field.kind == "flag":
            data[field.ours] = flag(value, field.name)
        elif field.kind == "decimal":
            data[field.ours] = decimal_value(0 if value in (None, "") else value, field.name, field.places)
        elif field.kind == "integer":
            data[field.ours] = _integer_from_omie(value, field.name)
        elif field.kind == "date":
            data[field.ours] = _date_from_omie(value, field.name)
        else:
            data[field.ours] = _text_from_omie(value, field.name)
    return data


def _to_omie(field: Field, value: Any) -> Any:
    if field.kind == "flag":
        return "S" if value else "N"
    if field.kind == "decimal":
        return float(value)
    if field.kind == "integer":
        return int(value)
    if field.kind == "date":
        return value.strftime("%d/%m/%Y") if value else ""
    if field.ours in _MASKED_DOCUMENTS:
        return mask_cpf_cnpj(value)
    return value


def fields_to_omie(registry: str, record, result: dict[str, Any]) -> dict[str, Any]:
    """Add every plain field of `record` to `result` with Omie's names and types, nested
    objects with all their keys."""
    for field in schema(registry).fields:
        value = _to_omie(field, getattr(record, field.ours))
        if len(field.path) == 1:
            result[field.path[0]] = value
        else:
            result.setdefault(field.path[0], {})[field.path[1]] = value
    return result


# --- request options -----------------------------------------------------------------

# "Rua das Flores, 123 - Sala 4", "Av. Brasil 1500, bloco B", "Rua Sete, s/n"
_STREET_NUMBER = re.compile(
    r"^(?P<street>.*?[^\s,])[\s,]+(?:n[º°o.]?\s*)?(?P<number>\d+[A-Za-z]?|s/?n)\b\s*(?:[-–,/]\s*)?(?P<complement>.*)$",
    re.IGNORECASE,
)


def split_street(street: str) -> tuple[str, str, str] | None:
    """Omie's separar_endereco: the number and complement written into the street line,
    apart. None when the line has no number to take out."""
    found = _STREET_NUMBER.match(street.strip())
    if not found:
        return None
    number = "S/N" if found["number"].lower().startswith("s") else found["number"]
    return found["street"].strip(), number, found["complement"].strip()


def apply_split(data: dict[str, Any], street: str, number: str, complement: str) -> None:
    """Split data[street] when it carries the number; a number or complement sent on its
    own wins over the one found in the line."""
    parts = split_street(str(data.get(street) or ""))
    if parts is None:
        return
    data[street] = parts[0]
    if not data.get(number):
        data[number] = parts[1]
    if parts[2] and not data.get(complement):
        data[complement] = parts[2]


def videos_from_omie(value: Any) -> list[str]:
    urls: list[str] = []
    for item in list_of_dicts(value, "videos"):
        item = _spelled(item, {"url_video": "url_video"}, "videos")
        url = _text_from_omie(item.get("url_video"), "videos[].url_video")
        if url and url not in urls:
            urls.append(url)
    return urls


def videos_to_omie(urls: list[str]) -> list[dict[str, str]]:
    return [{"url_video": url} for url in urls or []]
