"""The two registries ("cadastros") a company keeps and the group shares: parties
(clientes e fornecedores) and products (produtos).

Everything that differs between the two lives here, once: the model, table and match key,
the fields that travel between companies, the pt-BR words people read, the catalog
services that write them, the URL names of their pages and Omie's names for them.
Sharing, the API, the admin and the commands read a `Registry` instead of testing the
registry's name again.

Callers look a registry up with `describe(name)` each time they need it (never keep a field
list at import time): a test, or a later change, then only has to replace the entry in
REGISTRIES for activation, propagation, preview and resync to follow.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from django.db import models
from django.utils.module_loading import import_string
from psycopg import sql

from catalog.models import Party, Product
from omieshare.lib.brazil import mask_cpf_cnpj


def _plain_key(key: str) -> str:
    return key


@dataclass(frozen=True)
class Registry:
    name: str  # "party" / "product": what Share.registries, SharedRecord.registry … store
    model: type[models.Model]
    # The match key: the column by which the same record is recognised in every company.
    key: str
    # The fields that travel between companies (docs/ARCHITECTURE.md §2), in the order
    # messages list them. A product rule of sharing, declared here so that catalog never
    # imports sharing; activation, propagation, the canonical query, preview, drift
    # detection, resync and the API all read this one list. Everything else
    # (integration code, tags, stock, price tables) stays in each company.
    # Whether a record may lack the key (a party without CNPJ/CPF): such a record is never
    # shared, it stays its company's own.
    key_optional: bool
    shared_fields: tuple[str, ...]
    # Shared fields that are references to other rows (mapped per company, not copied as
    # they are), with the SQL that makes them company-independent from a row `p` of the
    # table and the joins of sharing.canonical.
    references: Mapping[str, str]
    # Plain fields whose canonical SQL is not simply the column (`p.<name>`).
    casts: Mapping[str, str]
    # Local-only columns a company's new copy starts with (SQL literals), as activation
    # inserts it; a column declared shared is copied instead.
    new_copy_defaults: Mapping[str, str]
    # pt-BR words: one record ("cliente"), its kind in a sentence ("cliente/fornecedor"),
    # the registry as a whole ("clientes e fornecedores"; "clientes/fornecedores" where a
    # column is narrow; "Clientes e fornecedores" as a choice).
    noun: str
    kind: str
    plural: str
    short_plural: str
    choice_label: str
    key_label: str  # how the match key is called: "CNPJ/CPF", "código"
    name_field: str  # the column people recognise a record by
    share_flag: str  # the Share boolean that says the registry is shared
    # Dotted paths of the catalog services that write the registry (resolved when called,
    # since catalog.services imports this module's neighbours).
    create_service: str
    update_service: str
    delete_service: str
    values_service: str
    get_selector: str
    list_selector: str
    omie_name: str  # Omie's word for the registry ("clientes", "produtos")
    omie_call: str  # the singular of Omie's calls: IncluirCliente, ConsultarProduto …
    omie_fields: str  # dotted path of our field ↔ Omie name table
    display_key: Callable[[str], str] = field(default=_plain_key)
    # How a message names one record: "nº 1000042 – Pimenta Ltda", "A1 – Água mineral".
    label: Callable[[Any], str] = field(default=str)
    # What the preview calls a likely duplicate.
    duplicate_rule: str = ""
    # What a deletion removes with the record (and keeps in its copy for support).
    deleted_with: str = ""
    # Why a record other records use may not be deleted: how it is used ("é componente da
    # estrutura de") and what to do first ("retire-o dessas estruturas").
    used_by: str = ""
    free_it: str = ""

    # --- derived, computed on each call so a replaced descriptor is followed ----------

    @property
    def table(self) -> str:
        return self.model._meta.db_table

    @property
    def table_sql(self) -> sql.Identifier:
        return sql.Identifier(self.table)

    @property
    def key_sql(self) -> sql.Identifier:
        return sql.Identifier(self.key)

    @property
    def id_field(self) -> str:
        """The foreign key to this registry on other rows and the URL argument: party_id …"""
        return f"{self.name}_id"

    @property
    def plain_fields(self) -> tuple[str, ...]:
        """Shared model fields copied as they are between rows (the rest are references):
        by activation's SQL and by propagation alike."""
        return tuple(name for name in self.shared_fields if name not in self.references)

    def expression(self, name: str) -> str:
        """The SQL computing a shared field's canonical value from a row `p`."""
        if name in self.references:
            return self.references[name]
        return self.casts.get(name, f"p.{name}")

    def url_name(self, page: str) -> str:
        """catalog:party_detail, catalog:product_list …"""
        return f"catalog:{self.name}_{page}"

    @property
    def create(self) -> Callable[..., Any]:
        return import_string(self.create_service)

    @property
    def update(self) -> Callable[..., Any]:
        return import_string(self.update_service)

    @property
    def delete(self) -> Callable[..., Any]:
        return import_string(self.delete_service)

    @property
    def values(self) -> Callable[[Any], dict[str, Any]]:
        return import_string(self.values_service)

    def get_record(self, *, company, record_id: int):
        """The company's record (404 otherwise), through the catalog selector."""
        return import_string(self.get_selector)(company=company, **{self.id_field: record_id})

    @property
    def list_records(self) -> Callable[..., Any]:
        return import_string(self.list_selector)

    @property
    def omie_field_names(self) -> Mapping[str, tuple[str, str]]:
        return import_string(self.omie_fields)

    def key_phrase(self, key: str) -> str:
        """The key as a sentence names it: "CNPJ/CPF 12.345.678/0001-95", "código P-1"."""
        return f"{self.key_label} {self.display_key(key)}"

    def record_name(self, record) -> str:
        return getattr(record, self.name_field)

    def in_use_text(self, label: str, users: list[str]) -> str:
        """Why a record others use may not be deleted: "O produto A1 – Água é componente da
        estrutura de 2 produtos: P9 – Kit, P10 – Caixa. Retire-o dessas estruturas antes de
        excluí-lo; nada foi excluído." (at most five named)."""
        shown = ", ".join(users[:5]) + (f" e mais {len(users) - 5}" if len(users) > 5 else "")
        count = f"{len(users)} produto" + ("" if len(users) == 1 else "s")
        return (
            f"O {self.kind} {label} {self.used_by} {count}: {shown}. "
            f"{self.free_it[0].upper()}{self.free_it[1:]} antes de excluí-lo; nada foi excluído."
        )


PARTY = Registry(
    name="party",
    model=Party,
    key="cnpj_cpf",
    key_optional=True,
    shared_fields=(
        "cnpj_cpf", "person_type", "legal_name", "trade_name", "street", "number", "complement",
        "district", "city", "state", "cep", "country_code", "phone_ddd", "phone_number", "email",
        # The article's "Endereço" and "Telefone": the IBGE code names the shared city (a
        # company must not keep one that contradicts it); the second phone and the fax are
        # telephones. Everything else Omie has (inscrições, bank data, delivery address,
        # recomendações, weights, tax settings) stays in each company.
        "city_ibge", "phone2_ddd", "phone2_number", "fax_ddd", "fax_number",
        # A party's roles travel: activation always gave a new copy the origin's roles, and
        # a supplier-only record must not arrive, or stay, a client elsewhere (issue 10).
        "is_client", "is_supplier", "characteristics", "active", "salespeople", "attachments",
    ),
    references=MappingProxyType({
        "salespeople": "COALESCE(salespeople.value, '[]'::jsonb)",
        "attachments": "COALESCE(attachments.value, '[]'::jsonb)",
    }),
    casts=MappingProxyType({}),
    new_copy_defaults=MappingProxyType({"code": "''", "tags": "'[]'::jsonb"}),
    noun="cliente",
    kind="cliente/fornecedor",
    plural="clientes e fornecedores",
    short_plural="clientes/fornecedores",
    choice_label="Clientes e fornecedores",
    key_label="CNPJ/CPF",
    name_field="legal_name",
    share_flag="shares_parties",
    create_service="catalog.services.party_create",
    update_service="catalog.services.party_update",
    delete_service="catalog.services.party_delete",
    values_service="catalog.services.party_values",
    get_selector="catalog.selectors.party_get",
    list_selector="catalog.selectors.party_list",
    omie_name="clientes",
    omie_call="Cliente",
    omie_fields="catalog.omie_fields.PARTY_FIELDS",
    display_key=mask_cpf_cnpj,
    label=lambda party: f"nº {party.pk} – {party.legal_name}",
    duplicate_rule="mesmo nome com outro CNPJ/CPF",
    deleted_with="os vínculos com vendedores, as imagens e os anexos",
    used_by="está na lista de fornecedores de",
    free_it="retire-o da lista de fornecedores desses produtos",
)

PRODUCT = Registry(
    name="product",
    model=Product,
    key="code",
    key_optional=False,
    shared_fields=(
        "code", "description", "unit", "ncm", "ean", "price", "origin", "item_type", "cest",
        "family", "suppliers", "characteristics", "bom", "active", "attachments",
    ),
    references=MappingProxyType({
        "family": "COALESCE(f.name, '')",
        "suppliers": "COALESCE(suppliers.value, '[]'::jsonb)",
        "bom": "COALESCE(bom.value, '[]'::jsonb)",
        "attachments": "COALESCE(attachments.value, '[]'::jsonb)",
    }),
    # Decimal as text: the same digits in every company's canonical values.
    casts=MappingProxyType({"price": "p.price::text"}),
    new_copy_defaults=MappingProxyType({"integration_code": "''"}),
    noun="produto",
    kind="produto",
    plural="produtos",
    short_plural="produtos",
    choice_label="Produtos",
    key_label="código",
    name_field="description",
    share_flag="shares_products",
    create_service="catalog.services.product_create",
    update_service="catalog.services.product_update",
    delete_service="catalog.services.product_delete",
    values_service="catalog.services.product_values",
    get_selector="catalog.selectors.product_get",
    list_selector="catalog.selectors.product_list",
    omie_name="produtos",
    omie_call="Produto",
    omie_fields="catalog.omie_fields.PRODUCT_FIELDS",
    label=lambda product: f"{product.code} – {product.description}",
    duplicate_rule="mesmo EAN em outro código",
    deleted_with=(
        "a estrutura, a lista de fornecedores, as imagens e os anexos, o saldo de estoque e os preços "
        "nas tabelas de preço desta empresa"
    ),
    used_by="é componente da estrutura de",
    free_it="retire-o dessas estruturas",
)

# Replace an entry (tests: monkeypatch.setitem) and every caller follows.
REGISTRIES: dict[str, Registry] = {"party": PARTY, "product": PRODUCT}

# For model and form fields: ("party", "Clientes e fornecedores"), ("product", "Produtos").
REGISTRY_CHOICES = [(r.name, r.choice_label) for r in (PARTY, PRODUCT)]


def describe(name: str) -> Registry:
    """The registry called `name`; an unknown name is a programming error, said loudly
    (never quietly taken for the other registry)."""
    try:
        return REGISTRIES[name]
    except KeyError:
        raise KeyError(f"Unknown registry {name!r}: expected one of {sorted(REGISTRIES)}") from None


def of_attachment(attachment) -> Registry:
    """The registry of the record an attachment belongs to (one of its keys is set)."""
    for registry in REGISTRIES.values():
        if getattr(attachment, registry.id_field, None):
            return registry
    raise KeyError(f"Attachment {attachment.pk} belongs to no record")


def of_record(record) -> Registry:
    """The registry of a Party or Product instance."""
    for registry in REGISTRIES.values():
        if isinstance(record, registry.model):
            return registry
    raise KeyError(f"No registry for {type(record).__name__}")
