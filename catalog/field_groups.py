"""How the pages group a record's fields, and what they say about sharing them.

The groups are catalog/omie_fields.py's (PARTY_GROUPS / PRODUCT_GROUPS, through
`coverage()`), and whether a field travels between the companies of a share is the
registry descriptor's answer (catalog/registries.py `shared_fields`), read on each call.
The record forms, the detail pages, the admin and the sharing preview all build on this
module, so they show the same groups in the same order and say the same thing about what
is shared and what stays in each company.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from django.core.exceptions import FieldDoesNotExist
from django.utils.text import capfirst, slugify

from catalog.display import is_unset, record_value
from catalog.omie_fields import FieldCoverage, coverage
from omieshare.lib.brazil import mask_phone

# Groups few companies fill (a vehicle's RENAVAM data, a weapon's serial numbers…): shown
# collapsed, so that a form of a hundred fields stays usable, unless they hold a value or an
# error.
RARE_GROUPS = frozenset({
    "Veículo", "Armamento", "Medicamento", "Combustível", "IBPT", "Dados bancários", "Endereço de entrega",
})

# What a person should know about a group as a whole, shown with its fields.
GROUP_NOTES = {
    ("party", "Endereço"): (
        "Cliente/fornecedor do exterior: escolha a UF EX (Exterior), informe o código do país no Banco "
        "Central (ex.: 2496 = Estados Unidos, 1600 = China), o NIF ou o documento no exterior, e deixe o "
        "CNPJ/CPF em branco. Sem CNPJ/CPF, o cadastro não é compartilhado com as outras empresas do grupo: "
        "fica só nesta empresa."
    ),
}

SHARED_TEXT = "compartilhado com o grupo"
LOCAL_TEXT = "fica nesta empresa"
MIXED_TEXT = "em parte compartilhado"

Sharing = Literal["shared", "local", "mixed"]


@dataclass(frozen=True)
class Group:
    """One group of a registry's fields, in the order the pages show them."""

    registry: str
    title: str  # pt-BR, as omie_fields names it
    fields: tuple[FieldCoverage, ...]

    @property
    def slug(self) -> str:
        """For ids and anchors: "grupo-dados-bancarios"."""
        return f"grupo-{slugify(self.title)}"

    @property
    def rare(self) -> bool:
        return self.title in RARE_GROUPS

    @property
    def note(self) -> str:
        return GROUP_NOTES.get((self.registry, self.title), "")

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(row.field for row in self.fields)

    @property
    def shared_names(self) -> frozenset[str]:
        return frozenset(row.field for row in self.fields if row.shared)

    @property
    def sharing(self) -> Sharing:
        return sharing_of(self.fields)


def sharing_of(rows: Iterable[FieldCoverage]) -> Sharing:
    shared = {row.shared for row in rows}
    if shared == {True}:
        return "shared"
    if shared == {False}:
        return "local"
    return "mixed"


def sharing_text(sharing: Sharing) -> str:
    return {"shared": SHARED_TEXT, "local": LOCAL_TEXT, "mixed": MIXED_TEXT}[sharing]


def shared_names(registry: str) -> frozenset[str]:
    """The registry's fields that travel between the companies of a share."""
    return frozenset(row.field for row in coverage(registry) if row.shared)


def groups(registry: str) -> list[Group]:
    """The registry's groups with their fields, each field's sharing as of now."""
    result: list[Group] = []
    rows: list[FieldCoverage] = []
    for row in coverage(registry):
        if rows and row.group != rows[0].group:
            result.append(Group(registry, rows[0].group, tuple(rows)))
            rows = []
        rows.append(row)
    if rows:
        result.append(Group(registry, rows[0].group, tuple(rows)))
    return result


@dataclass(frozen=True)
class GroupSummary:
    """Some fields of one group, for a sentence: the whole group, or these labels."""

    title: str
    labels: tuple[str, ...]
    whole: bool  # every field of the group is in it

    def __str__(self) -> str:
        if self.whole:
            return self.title
        return f"{self.title}: {', '.join(self.labels)}"


def summarize(registry: str, names: Iterable[str], labels: dict[str, str] | None = None) -> list[GroupSummary]:
    """The fields `names` by group, a group named as a whole when all its fields are in:
    "Identificação: Código de integração, Tags; Inscrições e tributação; …" reads better
    than sixty labels. `labels` replaces a field's label (a form's own wording)."""
    wanted = set(names)
    labels = labels or {}
    result = []
    for group in groups(registry):
        rows = [row for row in group.fields if row.field in wanted]
        if not rows:
            continue
        result.append(GroupSummary(
            title=group.title,
            labels=tuple(labels.get(row.field) or capfirst(row.label) for row in rows),
            whole=len(rows) == len(group.fields),
        ))
    return result


@dataclass(frozen=True)
class RegistrySharing:
    """What travels and what stays in each company, for one registry."""

    registry: str
    shared: list[GroupSummary]
    local: list[GroupSummary]


def registry_sharing(registry: str) -> RegistrySharing:
    rows = coverage(registry)
    return RegistrySharing(
        registry=registry,
        shared=summarize(registry, [row.field for row in rows if row.shared]),
        local=summarize(registry, [row.field for row in rows if not row.shared]),
    )


# --- a record's page ------------------------------------------------------------------------

# A telephone reads as one line, "(11) 3333-4444": its DDD goes with its number.
_PHONE_PAIRS = {"phone_number": "phone_ddd", "phone2_number": "phone2_ddd", "fax_number": "fax_ddd"}


@dataclass(frozen=True)
class Fact:
    name: str
    label: str
    value: str
    shared: bool
    long: bool  # free text (observações): a line of its own


@dataclass(frozen=True)
class FactGroup:
    group: Group
    facts: tuple[Fact, ...]  # the fields that hold a value

    @property
    def title(self) -> str:
        return self.group.title

    @property
    def slug(self) -> str:
        return self.group.slug

    @property
    def sharing(self) -> Sharing:
        return self.group.sharing

    @property
    def sharing_text(self) -> str:
        return sharing_text(self.group.sharing)

    @property
    def shared_facts(self) -> list[Fact]:
        return [fact for fact in self.facts if fact.shared]

    @property
    def local_facts(self) -> list[Fact]:
        return [fact for fact in self.facts if not fact.shared]


def _fact_value(record, name: str) -> str:
    if name in _PHONE_PAIRS:
        return mask_phone(getattr(record, _PHONE_PAIRS[name]), getattr(record, name))
    if name == "salespeople":
        return ", ".join(
            f"{person.name}{'' if person.active else ' (inativo)'}" for person in record.salespeople.all()
        )
    return record_value(record, name)


def _is_unset(record, name: str) -> bool:
    if name in _PHONE_PAIRS:
        return not getattr(record, name) and not getattr(record, _PHONE_PAIRS[name])
    if name == "salespeople":
        return not record.salespeople.all()
    return is_unset(record, name)


def record_groups(record, registry: str, *, shown_apart: Iterable[str] = ()) -> tuple[list[FactGroup], list[Group]]:
    """A record's fields by group for its page: the groups with something filled in (only
    the filled fields), and the groups with nothing filled in (named, not listed field by
    field). `shown_apart` are fields the page shows in cards of their own (a structure
    table, the attachments), left out here."""
    apart = set(shown_apart) | set(_PHONE_PAIRS.values())
    filled: list[FactGroup] = []
    empty: list[Group] = []
    for group in groups(registry):
        names = [name for name in group.names if name not in apart]
        if not names:
            continue
        facts = []
        for row in group.fields:
            if row.field not in names or _is_unset(record, row.field):
                continue
            model_field = _model_field(record, row.field)
            facts.append(Fact(
                name=row.field,
                label=capfirst(row.label),
                value=_fact_value(record, row.field),
                shared=row.shared,
                long=model_field is not None and model_field.get_internal_type() == "TextField",
            ))
        if facts:
            filled.append(FactGroup(group, tuple(facts)))
        else:
            empty.append(group)
    return filled, empty


def _model_field(record, name: str):
    try:
        return record._meta.get_field(name)
    except FieldDoesNotExist:  # a relation kept apart (attachments, bom)
        return None
