"""The only write path for catalog records.

Every create, update, delete and restore of a party or product, from the pages, the admin,
management commands, the API or the sharing engine, goes through these functions. Each
runs in one transaction: it locks the row, checks the edit is not stale, normalises and
validates (`full_clean()`), applies the company's uniqueness rule, writes, and then calls
the sharing hook (`catalog.hooks.notify_write`) inside the same transaction, so a refusal
there leaves nothing written.

A delete removes the row (it is gone for every reader, its codes free again, as in Omie)
after handing its full copy (catalog.copies) to the hook's keeper, which keeps it for
support; `record_restore` puts it back from that copy. `active` is an ordinary field.

Data comes in as a mapping of model field names (see PARTY_FIELDS / PRODUCT_FIELDS) plus
the relations named below; unknown keys are a programming error (TypeError).
"""

from __future__ import annotations

import datetime
import hashlib
import mimetypes
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.files.base import ContentFile
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.db.models import BigIntegerField, Max
from django.db.models.functions import Cast, Substr

from catalog import hooks, selectors
from catalog.copies import columns_from_copy, record_copy
from catalog.exceptions import DuplicateRecord, RecordInUse, StaleEdit
from catalog.models import (
    Attachment,
    BillOfMaterialsItem,
    Blob,
    Party,
    PriceTable,
    PriceTableItem,
    Product,
    ProductFamily,
    Salesperson,
    StockBalance,
    characteristics_pairs,
    ean_gtin14,
)
from catalog.registries import describe, of_attachment, of_record
from companies.models import Company
from omieshare.lib.brazil import gtin14, mask_cpf_cnpj
from omieshare.lib.locks import advisory_xact_lock
from omieshare.lib.memo import read_once

PARTY_FIELDS = (
    "code",
    "cnpj_cpf",
    "person_type",
    "legal_name",
    "trade_name",
    "street",
    "number",
    "complement",
    "district",
    "city",
    "state",
    "cep",
    "country_code",
    "nif",
    "foreign_document",
    "phone_ddd",
    "phone_number",
    "email",
    "is_client",
    "is_supplier",
    "characteristics",
    "tags",
    "active",
    # Omie's other fields (catalog/omie_fields.py says which Omie tag each one is).
    "state_registration", "municipal_registration", "suframa_registration", "icms_taxpayer", "simples_nacional",
    "rural_producer", "activity_type", "cnae", "contact_name", "homepage", "phone2_ddd", "phone2_number",
    "fax_ddd", "fax_number", "notes", "detailed_notes", "city_ibge", "credit_limit", "block_billing", "blocked",
    "block_deletion", "send_attachments", "overdue_instruction", "installments",
    "billing_email", "generate_boletos", "carrier_code", "subscriber_type", "bank_code", "bank_branch",
    "bank_account", "bank_holder_document", "bank_holder_name", "bank_transfer_default", "pix_key",
    "delivery_name", "delivery_document", "delivery_street", "delivery_number", "delivery_complement",
    "delivery_district", "delivery_cep", "delivery_state", "delivery_city", "delivery_phone",
    "delivery_state_registration",
)
# salespeople: Salesperson instances or ids of the same company. attachments: the full
# list of [blob sha256, filename, is_image] the record should have (used by sharing, which
# points every company's copy at the same stored bytes).
PARTY_RELATIONS = ("salespeople", "attachments")

PRODUCT_FIELDS = (
    "code",
    "integration_code",
    "description",
    "unit",
    "ncm",
    "ean",
    "price",
    "origin",
    "item_type",
    "cest",
    "family",
    "characteristics",
    "active",
    # Omie's other fields (catalog/omie_fields.py says which Omie tag each one is).
    "net_weight", "gross_weight", "height", "width", "depth", "brand", "model_name", "warranty_days",
    "crossdocking_days", "lead_time", "detailed_description", "internal_notes", "show_description_nfe",
    "show_description_order", "videos", "minimum_stock", "blocked", "block_deletion", "lot_controlled",
    "price_table_id", "sold_in_pos", "sold_in_marketplace", "relevant_scale",
    "manufacturer_cnpj", "cfop", "icms_cst", "icms_csosn", "icms_modality", "icms_rate", "icms_base_reduction",
    "icms_relief_reason", "icms_fcp_rate", "tax_benefit_code", "pis_cst", "pis_rate", "pis_base_reduction",
    "cofins_cst", "cofins_rate", "cofins_base_reduction", "ibs_cbs_cst", "ibs_cbs_class", "ibs_state_rate",
    "ibs_city_rate", "ibs_state_reduction", "ibs_city_reduction", "cbs_rate", "cbs_reduction", "tax_rule_origin",
    "ibpt_rate", "ibpt_federal", "ibpt_state", "ibpt_city", "ibpt_source", "ibpt_key", "ibpt_version",
    "ibpt_valid_from", "ibpt_valid_until", "anvisa_code", "max_consumer_price", "anp_code", "anp_description",
    "glp_percent", "natural_gas_national_percent", "natural_gas_imported_percent", "fuel_starting_value",
    "vehicle_manufacture_year", "vehicle_model_year", "vehicle_chassis", "vehicle_displacement",
    "vehicle_max_traction", "vehicle_condition", "vehicle_color_code", "vehicle_denatran_color", "vehicle_color",
    "vehicle_axle_distance", "vehicle_species", "vehicle_max_capacity", "vehicle_model_code", "vehicle_engine",
    "vehicle_gross_weight", "vehicle_net_weight", "vehicle_power", "vehicle_serial", "vehicle_fuel_type",
    "vehicle_operation", "vehicle_paint", "vehicle_restriction", "vehicle_type", "vehicle_vin_condition",
    "weapon_barrel_serial", "weapon_description", "weapon_serial", "weapon_type",
)
# suppliers: Party instances or ids; bom: iterable of (component, quantity) pairs, where
# component is a Product or an id of the same company.
PRODUCT_RELATIONS = ("suppliers", "bom", "attachments")


# --- values: what a record holds, as JSON-friendly data for hooks, audit and diffs ------


def _json_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def _field_values(record, names: Iterable[str]) -> dict[str, Any]:
    """The record's plain fields as JSON-friendly values. A decimal is written with its
    column's places ("0.0000", never "0"), so an unchanged weight read back from the
    database compares equal to the one just cleaned."""
    values = {}
    for name in names:
        value = getattr(record, name)
        if isinstance(value, Decimal):
            places = record._meta.get_field(name).decimal_places
            value = value.quantize(Decimal(1).scaleb(-places))
        values[name] = _json_value(value)
    return values


def party_values(party: Party, *, known: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """`known`: values of relations the caller already has (see _known_relations), not read."""
    values = _field_values(party, PARTY_FIELDS)
    # As pairs: two dicts with the same pairs in another order are equal, and a reordering
    # is a change (it must reach the other companies).
    values["characteristics"] = characteristics_pairs(party.characteristics)
    values["salespeople"] = _relation(known, "salespeople", lambda: sorted(
        party.salespeople.values_list("id", flat=True)
    ))
    values["attachments"] = _relation(known, "attachments", lambda: _attachment_values(party.attachments.all()))
    return values


def product_values(product: Product, *, known: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """`known`: values of relations the caller already has (see _known_relations), not read."""
    values = _field_values(product, (name for name in PRODUCT_FIELDS if name != "family"))
    values["characteristics"] = characteristics_pairs(product.characteristics)
    values["family"] = product.family_id
    values["suppliers"] = _relation(known, "suppliers", lambda: sorted(
        product.suppliers.values_list("id", flat=True)
    ))
    values["bom"] = _relation(known, "bom", lambda: sorted(
        [component_id, str(quantity)]
        for component_id, quantity in product.bom_items.values_list("component_id", "quantity")
    ))
    values["attachments"] = _relation(known, "attachments", lambda: _attachment_values(product.attachments.all()))
    return values


def _attachment_values(attachments: Iterable[Attachment]) -> list[list]:
    return sorted([a.blob_id, a.filename, a.is_image] for a in attachments)


def _relation(known: Mapping[str, Any] | None, name: str, read) -> list:
    return list(known[name]) if known and name in known else read()


def _known_relations(
    before: Mapping[str, Any] | None, data: Mapping[str, Any], relations: Iterable[str], written: Mapping[str, Any]
) -> dict[str, Any]:
    """The values of a just-written record's relations that need no reading back: those the
    write did not touch, as they were before (read under the record's lock, which every
    writer of its relations takes; none on a create), and those it set to a list it knows
    (`written`: name → sorted ids). Saves a query per relation on every write."""
    known = {}
    for name in relations:
        if name not in data:
            known[name] = before[name] if before is not None else []
        elif written.get(name) is not None:
            known[name] = written[name]
    return known


def _changed(before: Mapping[str, Any] | None, after: Mapping[str, Any]) -> tuple[str, ...]:
    if before is None:
        return tuple(after)
    return tuple(name for name in after if before.get(name) != after.get(name))


# --- shared plumbing -------------------------------------------------------------------


def _check_keys(data: Mapping[str, Any], allowed: Iterable[str]) -> None:
    unknown = set(data) - set(allowed)
    if unknown:
        raise TypeError(f"Unknown fields for this record: {', '.join(sorted(unknown))}")


def _check_version(record, expected_version: int | None) -> None:
    if expected_version is not None and record.version != int(expected_version):
        raise StaleEdit(record, expected_version=int(expected_version))


def _save_checked(record) -> None:
    """Save, and turn a unique-constraint race into a message.

    Called inside the service's own `transaction.atomic()`, which the message leaves: that
    block's savepoint (or, outermost, its transaction) undoes the failed statement, so a
    savepoint of its own here would be one more round trip on every write, for nothing."""
    try:
        record.save()
    except IntegrityError as error:
        raise ValidationError(
            "Não foi possível salvar: outro cadastro com o mesmo código foi salvo ao mesmo "
            "tempo. Confira e tente novamente."
        ) from error


def _ids_in_company(model, items: Iterable[Any], *, company: Company, label: str) -> list[int]:
    ids = sorted({item.pk if hasattr(item, "pk") else int(item) for item in items})
    found = set(model.objects.filter(company=company, pk__in=ids).values_list("pk", flat=True))
    missing = [pk for pk in ids if pk not in found]
    if missing:
        raise ValidationError({label: f"Não encontrado nesta empresa: {', '.join(map(str, missing))}."})
    return ids


def _enforces_uniqueness(company: Company) -> bool:
    """Read the setting from the database: the caller's Company may be an older copy. Once
    per API request (omieshare/lib/memo.py): every record of a lote asks it."""
    return read_once(
        ("enforces uniqueness", company.pk),
        lambda: Company.objects.filter(pk=company.pk, enforce_unique_records=True).exists(),
    )


def _is_new(record, before: Mapping[str, Any] | None, name: str) -> bool:
    """Whether the write gives the record a new value for the field `name` (any on a create)."""
    return before is None or before[name] != _field_values(record, [name])[name]


def _code_taken(record, field: str) -> bool:
    """Whether another record of the company holds this (non-blank) code: the check of the
    model's unique (company, <field>) constraint for non-blank codes, as one query. Django's
    own check of a constraint with a condition costs a savepoint, a query and a release."""
    code = getattr(record, field)
    if not code:
        return False
    holders = type(record).objects.filter(company_id=record.company_id, **{field: code})
    if record.pk is not None:
        holders = holders.exclude(pk=record.pk)
    return holders.exists()


# The constraints of Party and Product, which _write_party and _write_product check
# themselves instead of calling validate_constraints(): Django's checks cost a query each (a
# savepoint too with a condition), and the price's ~3 ms of Python turning the product's
# hundred-odd fields into a query, on every write. A test keeps this list equal to the models' own, so a
# new constraint is not left to the database's bare error.
CONSTRAINTS_CHECKED_HERE = {
    "party_unique_code_per_company",  # _clean_party
    "product_unique_code_per_company",  # _check_product_unique
    "product_unique_integration_code",  # _write_product
    "product_price_not_negative",  # the price field's validator, in full_clean()
}


def _constraint_error(model, name: str) -> ValidationError:
    """The error full_clean() gives when the model's constraint `name` is violated."""
    constraint = next(c for c in model._meta.constraints if c.name == name)
    error = ValidationError(constraint.get_violation_error_message(), code=constraint.violation_error_code)
    return ValidationError({NON_FIELD_ERRORS: [error]})


# --- parties (clientes e fornecedores) --------------------------------------------------


def _check_party_unique(party: Party, company: Company) -> None:
    if not (party.cnpj_cpf and _enforces_uniqueness(company)):
        return
    advisory_xact_lock("party-document", company.pk, party.cnpj_cpf)
    holder = (
        Party.objects.filter(company=company, cnpj_cpf=party.cnpj_cpf)
        .exclude(pk=party.pk)
        .order_by("pk")
        .first()
    )
    if holder:
        state = "" if holder.active else " (inativo)"
        raise DuplicateRecord(
            {
                "cnpj_cpf": (
                    f"Já existe um cliente/fornecedor com o CNPJ/CPF {mask_cpf_cnpj(party.cnpj_cpf)} "
                    f"nesta empresa: nº {holder.pk} – {holder.legal_name}{state}. "
                    "A validação de unicidade de cadastros está ativada."
                )
            },
            registry="party", record_id=holder.pk,
        )


def _clean_party(party: Party, before: Mapping[str, Any] | None) -> None:
    """party.full_clean(): the same errors, in the same order, without two queries per write.
    The company is the service's own (Django would look it up to see that it exists), and
    the unique code is checked by _code_taken, only when the write changes it."""
    errors: dict[str, list] = {}
    try:
        party.full_clean(exclude=["company"], validate_constraints=False)
    except ValidationError as error:
        errors = error.update_error_dict(errors)
    if "code" not in errors and _is_new(party, before, "code") and _code_taken(party, "code"):
        errors = _constraint_error(Party, "party_unique_code_per_company").update_error_dict(errors)
    if errors:
        raise ValidationError(errors)


def _write_party(
    party: Party,
    *,
    company: Company,
    data: Mapping[str, Any],
    action: hooks.Action,
    before: dict[str, Any] | None,
    actor_id: int | None,
    source: str,
    base_version: int | None,
) -> Party:
    _check_keys(data, PARTY_FIELDS + PARTY_RELATIONS)
    for name in PARTY_FIELDS:
        if name in data:
            setattr(party, name, data[name])
    salespeople = None
    if "salespeople" in data:
        salespeople = _ids_in_company(Salesperson, data["salespeople"], company=company, label="salespeople")
    _clean_party(party, before)
    # Only a document new to this record is checked: duplicates made while uniqueness was
    # off must still be editable (and deletable), which is how a user cleans them up.
    if before is None or before["cnpj_cpf"] != party.cnpj_cpf:
        _check_party_unique(party, company)
    _save_checked(party)
    if salespeople is not None:
        party.salespeople.set(salespeople)
    if "attachments" in data:
        _set_attachments(company, party, data["attachments"])
    after = party_values(party, known=_known_relations(before, data, PARTY_RELATIONS, {"salespeople": salespeople}))
    _notify("party", action, company, party, before, after, actor_id, source, base_version)
    return party


def party_create(
    *, company: Company, data: Mapping[str, Any], actor_id: int | None = None, source: str = "web"
) -> Party:
    with transaction.atomic():
        party = Party(company=company)
        return _write_party(
            party, company=company, data=data, action="create", before=None,
            actor_id=actor_id, source=source, base_version=None,
        )


def _lock_party(company: Company, party_id: int) -> Party:
    return Party.objects.select_for_update(of=("self",)).get(company=company, pk=party_id)


def party_update(
    *,
    company: Company,
    party_id: int,
    data: Mapping[str, Any],
    expected_version: int | None = None,
    actor_id: int | None = None,
    source: str = "web",
) -> Party:
    """Change a party. With `expected_version`, refuse (StaleEdit) if it changed meanwhile."""
    return _change_record(
        "party", company=company, record_id=party_id, data=data, action="update",
        expected_version=expected_version, actor_id=actor_id, source=source,
    )


def party_delete(
    *,
    company: Company,
    party_id: int,
    expected_version: int | None = None,
    actor_id: int | None = None,
    source: str = "web",
) -> Party:
    """Delete the party (its copy is kept for support); refused while products list it
    as a supplier. Returns the party as it was."""
    return _delete_record(
        "party", company=company, record_id=party_id, expected_version=expected_version,
        actor_id=actor_id, source=source,
    )


# --- products --------------------------------------------------------------------------


def _check_product_unique(
    product: Product, company: Company, *, check_code: bool = True, check_ean: bool = True
) -> None:
    # Product codes are unique per company always (a constraint; this gives the message).
    holder = None
    if check_code:
        advisory_xact_lock("product-code", company.pk, product.code)
        holder = (  # only what the message names, not the whole wide row
            Product.objects.filter(company=company, code=product.code).exclude(pk=product.pk)
            .only("description").first()
        )
    if holder:
        raise DuplicateRecord(
            {"code": f"Já existe um produto com o código {product.code} nesta empresa: {holder.description}."},
            registry="product", record_id=holder.pk,
        )
    if check_ean and product.ean and _enforces_uniqueness(company):
        # One GTIN however it is written (7891000315507 = 07891000315507): compared, and
        # locked, in its GTIN-14 form.
        gtin = gtin14(product.ean)
        advisory_xact_lock("product-ean", company.pk, gtin)
        holder = (
            _products_with_gtin(Product.objects.filter(company=company), gtin)
            .exclude(pk=product.pk)
            .order_by("pk")
            .first()
        )
        if holder:
            same = "" if holder.ean == product.ean else f" (o mesmo código de barras que {product.ean})"
            raise DuplicateRecord(
                {
                    "ean": (
                        f"Já existe um produto com o EAN {holder.ean}{same} nesta empresa: "
                        f"{holder.code} – {holder.description}. "
                        "A validação de unicidade de cadastros está ativada."
                    )
                },
                registry="product", record_id=holder.pk,
            )


def _products_with_gtin(queryset, gtin: str):
    """The products of `queryset` whose EAN is the GTIN-14 `gtin`, by the (company, GTIN-14)
    index."""
    return queryset.annotate(gtin=ean_gtin14()).filter(gtin=gtin)


def _resolve_family(value: Any, company: Company) -> ProductFamily | None:
    if value in (None, ""):
        return None
    family_id = value.pk if isinstance(value, ProductFamily) else int(value)
    try:
        return ProductFamily.objects.get(company=company, pk=family_id)
    except ProductFamily.DoesNotExist:
        raise ValidationError({"family": "Família não encontrada nesta empresa."}) from None


_BOM_QUANTITY = BillOfMaterialsItem._meta.get_field("quantity")


def _bom_lines(product: Product, lines: Iterable[Any], company: Company) -> list[tuple[int, Decimal]]:
    parsed: dict[int, Decimal] = {}
    for component, quantity in lines:
        component_id = component.pk if hasattr(component, "pk") else int(component)
        try:
            quantity = Decimal(str(quantity))
        except ArithmeticError:
            raise ValidationError({"bom": f"Quantidade inválida: {quantity}."}) from None
        if not quantity.is_finite():
            raise ValidationError({"bom": f"Quantidade inválida: {quantity}."})
        if quantity <= 0:
            raise ValidationError({"bom": "A quantidade de cada componente deve ser maior que zero."})
        # bulk_create below skips full_clean(): check the digits the column holds, or the
        # database would round 0.00001 to a zero quantity or fail on an overflow.
        try:
            _BOM_QUANTITY.run_validators(quantity)
        except ValidationError as error:
            raise ValidationError({"bom": error.messages}) from None
        if component_id == product.pk:
            raise ValidationError({"bom": "Um produto não pode ser componente de si mesmo."})
        if component_id in parsed:
            raise ValidationError({"bom": "O mesmo componente aparece duas vezes na estrutura."})
        parsed[component_id] = quantity
    _ids_in_company(Product, parsed, company=company, label="bom")
    if product.pk and _creates_cycle(product.pk, set(parsed)):
        raise ValidationError(
            {"bom": "Estrutura circular: um componente já usa este produto na sua própria estrutura."}
        )
    return sorted(parsed.items())


def _creates_cycle(product_id: int, component_ids: set[int]) -> bool:
    """True if `product_id` is reachable from any of its new components."""
    seen: set[int] = set()
    frontier = set(component_ids)
    while frontier:
        if product_id in frontier:
            return True
        seen |= frontier
        frontier = set(
            BillOfMaterialsItem.objects.filter(product_id__in=frontier).values_list("component_id", flat=True)
        ) - seen
    return False


def _write_product(
    product: Product,
    *,
    company: Company,
    data: Mapping[str, Any],
    action: hooks.Action,
    before: dict[str, Any] | None,
    actor_id: int | None,
    source: str,
    base_version: int | None,
) -> Product:
    _check_keys(data, PRODUCT_FIELDS + PRODUCT_RELATIONS)
    for name in PRODUCT_FIELDS:
        if name in data and name != "family":
            setattr(product, name, data[name])
    if "family" in data:
        product.family = _resolve_family(data["family"], company)
    if not product.code:
        # MAX+1 read by two transactions at once gives both the same code, and the second
        # fails on the unique code. One lock per company, held until commit, makes the next
        # create wait and then read the first one's code. Only code-less creates take it.
        advisory_xact_lock("product-code-suggestion", company.pk)
        product.code = product_code_suggestion(company=company)
    suppliers = None
    if "suppliers" in data:
        suppliers = _ids_in_company(Party, data["suppliers"], company=company, label="suppliers")
    # The company is the service's own and the family was found in it (_resolve_family), or
    # is the row's: Django would look each up again to see that it exists.
    product.full_clean(exclude=["company", "family"], validate_constraints=False)
    # The code/EAN check comes before the model's constraints, whose generic "código em uso"
    # message would otherwise hide the one that names the product holding the code. A code
    # the product already has needs no check (the constraint guarantees nobody else has it);
    # as for parties, an EAN shared since before uniqueness was turned on does not block edits.
    _check_product_unique(
        product, company, check_code=_is_new(product, before, "code"), check_ean=_is_new(product, before, "ean")
    )
    # The model's other constraints: the integration code's, checked by one query and only
    # when it changes; the price's, which is also its field's validator that full_clean() ran.
    if _is_new(product, before, "integration_code") and _code_taken(product, "integration_code"):
        raise _constraint_error(Product, "product_unique_integration_code")
    _save_checked(product)
    if suppliers is not None:
        product.suppliers.set(suppliers)
    if "bom" in data:
        lines = _bom_lines(product, data["bom"], company)
        product.bom_items.all().delete()
        BillOfMaterialsItem.objects.bulk_create(
            BillOfMaterialsItem(product=product, component_id=component_id, quantity=quantity)
            for component_id, quantity in lines
        )
    if "attachments" in data:
        _set_attachments(company, product, data["attachments"])
    after = product_values(product, known=_known_relations(before, data, PRODUCT_RELATIONS, {"suppliers": suppliers}))
    _notify("product", action, company, product, before, after, actor_id, source, base_version)
    return product


def product_create(
    *, company: Company, data: Mapping[str, Any], actor_id: int | None = None, source: str = "web"
) -> Product:
    """Create a product; with no code given, the suggested code is used."""
    with transaction.atomic():
        product = Product(company=company)
        return _write_product(
            product, company=company, data=data, action="create", before=None,
            actor_id=actor_id, source=source, base_version=None,
        )


def _notify(registry, action, company, record, before, after, actor_id, source, base_version) -> None:
    hooks.notify_write(
        hooks.RecordWrite(
            registry=registry, action=action, company_id=company.pk, record=record, before=before,
            after=after, changed_fields=_changed(before, after), actor_id=actor_id, source=source,
            base_version=base_version, company=company,
        )
    )


def _change_record(
    registry: str,
    *,
    company: Company,
    record_id: int,
    data: Mapping[str, Any],
    action: hooks.Action,
    expected_version: int | None,
    actor_id: int | None,
    source: str,
):
    """Update one record: lock it, refuse a stale edit, bump its version, write it with the
    registry's rules."""
    lock, values, write = _REGISTRY_WRITES[registry]
    with transaction.atomic():
        record = lock(company, record_id)
        _check_version(record, expected_version)
        before = values(record)
        base_version = record.version
        record.version += 1
        return write(
            record, company=company, data=data, action=action, before=before,
            actor_id=actor_id, source=source, base_version=base_version,
        )


def _delete_record(
    registry: str,
    *,
    company: Company,
    record_id: int,
    expected_version: int | None,
    actor_id: int | None,
    source: str,
):
    """Lock the record, refuse a stale delete or one of a record others use, let the hook
    refuse or propagate it, hand the full copy to the keeper, then remove the row (its own
    relations go with it, by cascade)."""
    lock, values, _write = _REGISTRY_WRITES[registry]
    descriptor = describe(registry)
    with transaction.atomic():
        record = lock(company, record_id)
        _check_version(record, expected_version)
        used_by = selectors.record_users(registry=registry, company_ids=[company.pk], record_ids=[record.pk])
        if record.pk in used_by:
            users = used_by[record.pk]
            raise RecordInUse(descriptor.in_use_text(descriptor.label(record), users), users=users)
        write = hooks.RecordWrite(
            registry=registry, action="delete", company_id=company.pk, record=record, before=values(record),
            after={}, changed_fields=(), actor_id=actor_id, source=source, base_version=record.version,
            company=company,
        )
        hooks.notify_write(write)
        hooks.keep_deleted(write, record_copy(record))
        # A queryset delete: the instance keeps its id, which callers answer with.
        type(record).objects.filter(pk=record.pk).delete()
        return record


def record_restore(
    *,
    company: Company,
    registry: str,
    copy: Mapping[str, Any],
    actor_id: int | None = None,
    source: str = "restore",
):
    """Put a deleted record back from its copy (catalog.copies): the same number, codes,
    fields and relations, as one write that the hook sees as an inclusion.

    Refused, nothing written, when the record exists again, when its code, integration
    code or (with uniqueness on) CNPJ/CPF or EAN is now another record's, or when a
    supplier or structure component it named has been deleted since (restore that first).
    """
    descriptor = describe(registry)
    model = descriptor.model
    with transaction.atomic():
        columns = columns_from_copy(model, dict(copy))
        record = model(company=company, **columns)
        if model.objects.filter(pk=record.pk).exists():
            raise ValidationError(
                f"O {descriptor.kind} {descriptor.label(record)} já existe nesta empresa: não há o que restaurar."
            )
        record.version = (columns.get("version") or 0) + 1
        _RESTORE_CHECKS[registry](record, company, copy)
        record.full_clean(validate_unique=False, validate_constraints=False)
        record.validate_constraints()
        try:
            with transaction.atomic():
                record.save(force_insert=True)
        except IntegrityError as error:
            raise ValidationError(
                "Não foi possível restaurar: outro cadastro com o mesmo código foi salvo ao mesmo tempo. "
                "Confira e tente novamente."
            ) from error
        if columns.get("created_at"):  # saving stamped it with now; it was created long ago
            model.objects.filter(pk=record.pk).update(created_at=columns["created_at"])
            record.created_at = columns["created_at"]
        _set_attachments(company, record, copy.get("attachments") or [])
        _RESTORE_RELATIONS[registry](record, company, copy)
        _notify(registry, "create", company, record, None, _REGISTRY_WRITES[registry][1](record),
                actor_id, source, None)
        return record


def _taken_by(what: str, holder, registry: str) -> str:
    return (
        f"{what} agora é de outro {describe(registry).kind} desta empresa: {describe(registry).label(holder)}. "
        "Nada foi restaurado."
    )


def _check_restored_party(party: Party, company: Company, copy: Mapping[str, Any]) -> None:
    holder = Party.objects.filter(company=company, code=party.code).first() if party.code else None
    if holder is not None:
        raise DuplicateRecord(
            {"code": _taken_by(f"O código de integração {party.code}", holder, "party")},
            registry="party", record_id=holder.pk,
        )
    _check_party_unique(party, company)


def _check_restored_product(product: Product, company: Company, copy: Mapping[str, Any]) -> None:
    if product.family_id and not ProductFamily.objects.filter(company=company, pk=product.family_id).exists():
        # Families are never deleted; renamed and recreated at most: found by name then.
        name = copy.get("family_name") or ""
        product.family = ProductFamily.objects.filter(company=company, name__iexact=name).first()
    holder = (
        Product.objects.filter(company=company, integration_code=product.integration_code).first()
        if product.integration_code else None
    )
    if holder is not None:
        raise DuplicateRecord(
            {"integration_code": _taken_by(f"O código de integração {product.integration_code}", holder, "product")},
            registry="product", record_id=holder.pk,
        )
    _check_product_unique(product, company)


def _restored_ids(model, rows: list[list], *, company: Company, key_field: str, missing: str) -> list[int]:
    """The ids a copy named ([id, key, label] rows) as they are now in the company: the same
    row, else the one with the same key (a record deleted and included again). Refused
    when neither exists: `missing` says what to restore first."""
    ids = {row[0] for row in rows}
    present = set(model.objects.filter(company=company, pk__in=ids).values_list("pk", flat=True))
    keys = {row[1] for row in rows if row[0] not in present and row[1]}
    by_key = dict(
        model.objects.filter(company=company, **{f"{key_field}__in": keys}).order_by("-pk")
        .values_list(key_field, "pk")
    ) if keys else {}
    found = []
    for record_id, key, label in rows:
        if record_id in present:
            found.append(record_id)
        elif key and key in by_key:
            found.append(by_key[key])
        else:
            raise ValidationError(missing.format(label=label, key=key, id=record_id))
    return found


def _restore_party_relations(party: Party, company: Company, copy: Mapping[str, Any]) -> None:
    party.salespeople.set(_restored_ids(
        Salesperson, copy.get("salespeople") or [], company=company, key_field="email",
        missing="O vendedor {label} <{key}> não existe mais nesta empresa: inclua-o antes de restaurar.",
    ))


def _restore_product_relations(product: Product, company: Company, copy: Mapping[str, Any]) -> None:
    product.suppliers.set(_restored_ids(
        Party, copy.get("suppliers") or [], company=company, key_field="cnpj_cpf",
        missing="O fornecedor nº {id} – {label} foi excluído desta empresa: restaure-o antes deste produto.",
    ))
    lines = copy.get("bom") or []
    components = _restored_ids(
        Product, [[pk, code, code] for pk, code, _quantity in lines], company=company, key_field="code",
        missing="O componente {key} da estrutura foi excluído desta empresa: restaure-o antes deste produto.",
    )
    BillOfMaterialsItem.objects.bulk_create(
        BillOfMaterialsItem(product=product, component_id=component_id, quantity=quantity)
        for component_id, quantity in _bom_lines(
            product, [(c, line[2]) for c, line in zip(components, lines, strict=True)], company
        )
    )
    if copy.get("stock_balance") is not None:
        StockBalance.objects.create(company=company, product=product, quantity=Decimal(copy["stock_balance"]))
    prices = copy.get("price_table_items") or []
    tables = _restored_ids(
        PriceTable, [[pk, name, name] for pk, name, _price in prices], company=company, key_field="name",
        missing="A tabela de preço {key} não existe mais nesta empresa: inclua-a antes de restaurar.",
    )
    PriceTableItem.objects.bulk_create(
        PriceTableItem(table_id=table_id, product=product, price=Decimal(price))
        for table_id, (_pk, _name, price) in zip(tables, prices, strict=True)
    )


_RESTORE_CHECKS = {"party": _check_restored_party, "product": _check_restored_product}
_RESTORE_RELATIONS = {"party": _restore_party_relations, "product": _restore_product_relations}


def _lock_product(company: Company, product_id: int) -> Product:
    return Product.objects.select_for_update(of=("self",)).get(company=company, pk=product_id)


def product_update(
    *,
    company: Company,
    product_id: int,
    data: Mapping[str, Any],
    expected_version: int | None = None,
    actor_id: int | None = None,
    source: str = "web",
) -> Product:
    return _change_record(
        "product", company=company, record_id=product_id, data=data, action="update",
        expected_version=expected_version, actor_id=actor_id, source=source,
    )


def product_delete(
    *,
    company: Company,
    product_id: int,
    expected_version: int | None = None,
    actor_id: int | None = None,
    source: str = "web",
) -> Product:
    """Delete the product with its structure, suppliers list, attachments, stock balance and
    price-table rows (all in the copy kept for support); refused while it is a component of
    another product's structure. Returns the product as it was."""
    return _delete_record(
        "product", company=company, record_id=product_id, expected_version=expected_version,
        actor_id=actor_id, source=source,
    )


def product_code_suggestion(*, company: Company) -> str:
    """The code offered for a new product.

    Sharing registers its fixed PRD + 11 digit sequence for shared companies; otherwise the
    company's own sequence PRD00001, PRD00002, … continues after the highest one in use.
    """
    shared = hooks.suggest_code(company.pk)
    if shared:
        return shared
    # The maximum is computed by the database: loading every code took 620 ms at 100k products.
    highest = (
        # startswith lets the (company, code) index narrow the rows before the regex runs.
        Product.objects.filter(company=company, code__startswith="PRD", code__regex=r"^PRD[0-9]{5,10}$")
        .aggregate(highest=Max(Cast(Substr("code", 4), BigIntegerField())))["highest"]
    )
    return f"PRD{(highest or 0) + 1:05d}"


# --- attachments -----------------------------------------------------------------------


def blob_store(*, content: bytes, content_type: str = "") -> Blob:
    """Store bytes once by SHA-256; storing the same bytes again returns the same Blob."""
    digest = hashlib.sha256(content).hexdigest()
    blob = Blob.objects.filter(pk=digest).first()
    if blob:
        return blob
    blob = Blob(sha256=digest, size=len(content), content_type=content_type)
    blob.file.save(f"{digest[:2]}/{digest}", ContentFile(content), save=False)
    try:
        with transaction.atomic():
            blob.save(force_insert=True)
    except IntegrityError:  # the same bytes stored at the same moment elsewhere
        blob = Blob.objects.get(pk=digest)
    return blob


URL_BLOB_PREFIX = "url-"
MAX_URL_LENGTH = Blob._meta.get_field("url").max_length


def url_normalize(url: str) -> str:
    """An image address as stored: trimmed, scheme and host in lower case.

    Only http/https with a host; anything else (javascript:, data:, file:, a relative path)
    is refused with a message, since the address ends up in pages as <img src>."""
    text = (url or "").strip()
    if not text:
        raise ValidationError("Informe o endereço (URL) da imagem.")
    if len(text) > MAX_URL_LENGTH:
        raise ValidationError(f"O endereço da imagem passa de {MAX_URL_LENGTH} caracteres.")
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in text):
        raise ValidationError(f"Endereço de imagem inválido: [{text[:200]}] contém espaços ou caracteres de controle.")
    try:
        parts = urlsplit(text)
        host = parts.hostname
    except ValueError:
        parts, host = None, None
    if parts is None or parts.scheme.lower() not in ("http", "https") or not host:
        raise ValidationError(
            f"Endereço de imagem inválido: [{text[:200]}]. Use um endereço completo começando com "
            "http:// ou https://."
        )
    try:
        URLValidator(schemes=["http", "https"])(text)
    except ValidationError:
        raise ValidationError(f"Endereço de imagem inválido: [{text[:200]}].") from None
    return urlunsplit(parts._replace(scheme=parts.scheme.lower(), netloc=parts.netloc.lower()))


def blob_for_url(*, url: str) -> Blob:
    """The Blob standing for an image known only by its address; the same address always
    gives the same Blob. The address is never fetched (no request leaves the server).

    Keyed `url-` + SHA-256 of the normalised address (cut to fit the 64-character key):
    the dash can never appear in a content hash, so the two kinds never collide."""
    normalized = url_normalize(url)
    key = URL_BLOB_PREFIX + hashlib.sha256(normalized.encode()).hexdigest()[: 64 - len(URL_BLOB_PREFIX)]
    blob = Blob.objects.filter(pk=key).first()
    if blob:
        return blob
    path = urlsplit(normalized).path
    blob = Blob(sha256=key, size=0, content_type=mimetypes.guess_type(path)[0] or "", url=normalized)
    try:
        with transaction.atomic():
            blob.save(force_insert=True)
    except IntegrityError:  # the same address stored at the same moment elsewhere
        blob = Blob.objects.get(pk=key)
    return blob


# Each registry's lock, values and write, the one table the generic writes (_change_record, attachments) read.
_REGISTRY_WRITES = {
    "party": (_lock_party, party_values, _write_party),
    "product": (_lock_product, product_values, _write_product),
}


def _record_for_attachment(company: Company, registry: str, record_id: int):
    try:
        lock = _REGISTRY_WRITES[registry][0]
    except KeyError:
        raise TypeError(f"Unknown registry {registry!r}") from None
    return lock(company, record_id)


def _set_attachments(company: Company, record, wanted: Iterable[Iterable[Any]]) -> None:
    """Make the record's attachments exactly `wanted` ([sha256, filename, is_image] each),
    pointing at Blobs already stored; nothing is copied."""
    wanted_set = {(sha, filename, bool(is_image)) for sha, filename, is_image in wanted}
    missing_blobs = {sha for sha, _, _ in wanted_set} - set(
        Blob.objects.filter(pk__in={sha for sha, _, _ in wanted_set}).values_list("pk", flat=True)
    )
    if missing_blobs:
        raise ValidationError({"attachments": "Arquivo anexo não encontrado no armazenamento."})
    owner = of_record(record).name
    existing = list(record.attachments.all())
    for attachment in existing:
        key = (attachment.blob_id, attachment.filename, attachment.is_image)
        if key in wanted_set:
            wanted_set.discard(key)
        else:
            attachment.delete()
    Attachment.objects.bulk_create(
        Attachment(company=company, blob_id=sha, filename=filename, is_image=is_image, **{owner: record})
        for sha, filename, is_image in sorted(wanted_set)
    )


def _notify_attachments_changed(company, registry, record, before, actor_id, source) -> None:
    values = _REGISTRY_WRITES[registry][1]
    _notify(registry, "update", company, record, before, values(record), actor_id, source, record.version - 1)


def attachment_add(
    *,
    company: Company,
    registry: str,
    record_id: int,
    filename: str,
    content: bytes,
    content_type: str = "",
    actor_id: int | None = None,
    source: str = "web",
) -> Attachment:
    """Attach a file to a party or product; images are recognised by their type."""
    content_type = content_type or mimetypes.guess_type(filename)[0] or ""
    with transaction.atomic():
        record = _record_for_attachment(company, registry, record_id)
        before = _REGISTRY_WRITES[registry][1](record)
        blob = blob_store(content=content, content_type=content_type)
        attachment = Attachment(
            company=company,
            blob=blob,
            filename=filename[:200],
            is_image=content_type.startswith("image/"),
            **{registry: record},
        )
        attachment.full_clean()
        attachment.save()
        record.version += 1
        record.save(update_fields=["version", "updated_at"])
        _notify_attachments_changed(company, registry, record, before, actor_id, source)
        return attachment


def attachment_remove(
    *, company: Company, attachment_id: int, actor_id: int | None = None, source: str = "web"
) -> None:
    """Detach a file from its record. The bytes stay while any record still uses them."""
    with transaction.atomic():
        attachment = Attachment.objects.get(company=company, pk=attachment_id)
        owner = of_attachment(attachment)
        registry = owner.name
        record = _record_for_attachment(company, registry, getattr(attachment, owner.id_field))
        before = _REGISTRY_WRITES[registry][1](record)
        attachment.delete()
        record.version += 1
        record.save(update_fields=["version", "updated_at"])
        _notify_attachments_changed(company, registry, record, before, actor_id, source)


# --- salespeople and families ------------------------------------------------------------


def salesperson_create(*, company: Company, name: str, email: str, active: bool = True) -> Salesperson:
    with transaction.atomic():
        salesperson = Salesperson(company=company, name=name, email=email, active=active)
        salesperson.full_clean()
        _save_checked(salesperson)
        return salesperson


def salesperson_update(*, company: Company, salesperson_id: int, data: Mapping[str, Any]) -> Salesperson:
    _check_keys(data, ("name", "email", "active"))
    with transaction.atomic():
        salesperson = Salesperson.objects.select_for_update().get(company=company, pk=salesperson_id)
        for name, value in data.items():
            setattr(salesperson, name, value)
        salesperson.full_clean()
        _save_checked(salesperson)
        return salesperson


def family_create(*, company: Company, name: str) -> ProductFamily:
    with transaction.atomic():
        family = ProductFamily(company=company, name=name)
        family.full_clean()
        _save_checked(family)
        return family


def family_rename(*, company: Company, family_id: int, name: str) -> ProductFamily:
    with transaction.atomic():
        family = ProductFamily.objects.select_for_update().get(company=company, pk=family_id)
        family.name = name
        family.full_clean()
        _save_checked(family)
        return family


# --- stock and price tables (local to each company, never shared) -----------------------


def stock_balance_set(*, company: Company, product_id: int, quantity: Decimal) -> StockBalance:
    with transaction.atomic():
        product = Product.objects.get(company=company, pk=product_id)
        balance, _ = StockBalance.objects.select_for_update().get_or_create(
            product=product, defaults={"company": company}
        )
        balance.quantity = quantity
        balance.full_clean()
        balance.save()
        return balance


def price_table_create(*, company: Company, name: str, active: bool = True) -> PriceTable:
    with transaction.atomic():
        table = PriceTable(company=company, name=(name or "").strip(), active=active)
        table.full_clean()
        _save_checked(table)
        return table


def price_table_item_set(
    *, company: Company, table_id: int, product_id: int, price: Decimal
) -> PriceTableItem:
    with transaction.atomic():
        table = PriceTable.objects.get(company=company, pk=table_id)
        product = Product.objects.get(company=company, pk=product_id)
        item, _ = PriceTableItem.objects.select_for_update().get_or_create(
            table=table, product=product, defaults={"price": price}
        )
        item.price = price
        item.full_clean()
        item.save()
        return item


# --- bulk creation (imports, demo data): validated row by row, written set-based --------


def _bulk_errors(errors: dict[int, Any]) -> ValidationError:
    lines = []
    for index, error in sorted(errors.items()):
        messages = error.messages if isinstance(error, ValidationError) else [str(error)]
        lines.append(f"Linha {index + 1}: {' '.join(messages)}")
    return ValidationError(lines[:50] + ([f"… e mais {len(lines) - 50} linhas com erro."] if len(lines) > 50 else []))


def _duplicates_within(values: list[tuple[int, str]]) -> dict[int, str]:
    seen: dict[str, int] = {}
    found: dict[int, str] = {}
    for index, value in values:
        if value in seen:
            found[index] = value
        else:
            seen[value] = index
    return found


def _notify_created(registry: hooks.Registry, company: Company, records, after_values, actor_id, source) -> None:
    for record, after in zip(records, after_values, strict=True):
        _notify(registry, "create", company, record, None, after, actor_id, source, None)


def party_bulk_create(
    *, company: Company, rows: list[Mapping[str, Any]], actor_id: int | None = None, source: str = "command"
) -> list[Party]:
    """Create many parties at once with the same rules as `party_create`.

    Every row is normalised and validated; code and (with uniqueness on) CNPJ/CPF
    duplicates are found with one query each, also inside the batch. Any error refuses
    the whole batch (a ValidationError naming each bad row); nothing is written.
    """
    with transaction.atomic():
        # Serialise bulk imports into one company: the checks below assume no other
        # batch inserts meanwhile (a racing single insert still meets the constraints).
        advisory_xact_lock("party-bulk", company.pk)
        return _party_bulk_create(company=company, rows=rows, actor_id=actor_id, source=source)


def _party_bulk_create(*, company, rows, actor_id, source) -> list[Party]:
    errors: dict[int, Any] = {}
    parties: list[Party] = []
    for index, row in enumerate(rows):
        _check_keys(row, PARTY_FIELDS + ("salespeople",))
        party = Party(company=company, **{k: v for k, v in row.items() if k in PARTY_FIELDS})
        try:
            party.full_clean(validate_unique=False, validate_constraints=False)
        except ValidationError as error:
            errors[index] = error
        parties.append(party)
    codes = [(i, p.code) for i, p in enumerate(parties) if p.code]
    errors.update({i: f"código {c} repetido no lote." for i, c in _duplicates_within(codes).items()})
    taken = set(Party.objects.filter(company=company, code__in=[c for _, c in codes]).values_list("code", flat=True))
    errors.update({i: f"já existe um cliente/fornecedor com o código {c}." for i, c in codes if c in taken})
    if _enforces_uniqueness(company):
        documents = [(i, p.cnpj_cpf) for i, p in enumerate(parties) if p.cnpj_cpf]
        repeated = _duplicates_within(documents)
        errors.update({i: f"CNPJ/CPF {mask_cpf_cnpj(d)} repetido no lote." for i, d in repeated.items()})
        held = set(
            Party.objects.filter(company=company, cnpj_cpf__in=[d for _, d in documents]).values_list(
                "cnpj_cpf", flat=True
            )
        )
        errors.update({i: f"já existe um cadastro com o CNPJ/CPF {mask_cpf_cnpj(d)} nesta empresa."
                       for i, d in documents if d in held})
    wanted_salespeople = {int(getattr(s, "pk", s)) for row in rows for s in row.get("salespeople", ())}
    valid_salespeople = set(
        Salesperson.objects.filter(company=company, pk__in=wanted_salespeople).values_list("pk", flat=True)
    )
    for index, row in enumerate(rows):
        missing = {int(getattr(s, "pk", s)) for s in row.get("salespeople", ())} - valid_salespeople
        if missing:
            errors[index] = f"vendedor não encontrado nesta empresa: {', '.join(map(str, sorted(missing)))}."
    if errors:
        raise _bulk_errors(errors)
    Party.objects.bulk_create(parties)
    Party.salespeople.through.objects.bulk_create(
        Party.salespeople.through(party_id=party.pk, salesperson_id=int(getattr(s, "pk", s)))
        for party, row in zip(parties, rows, strict=True)
        for s in set(row.get("salespeople", ()))
    )
    after_values = []
    for party, row in zip(parties, rows, strict=True):
        values = _field_values(party, PARTY_FIELDS)
        values["characteristics"] = characteristics_pairs(party.characteristics)
        values["salespeople"] = sorted({int(getattr(s, "pk", s)) for s in row.get("salespeople", ())})
        values["attachments"] = []
        after_values.append(values)
    _notify_created("party", company, parties, after_values, actor_id, source)
    return parties


def product_bulk_create(
    *, company: Company, rows: list[Mapping[str, Any]], actor_id: int | None = None, source: str = "command"
) -> list[Product]:
    """Create many products at once with the same rules as `product_create`.

    `family`, `suppliers` and `bom` components are ids of the same company (components
    must already exist). Codes are always unique per company; EANs too with uniqueness on.
    Any error refuses the whole batch; nothing is written.
    """
    with transaction.atomic():
        advisory_xact_lock("product-bulk", company.pk)
        return _product_bulk_create(company=company, rows=rows, actor_id=actor_id, source=source)


def _product_bulk_create(*, company, rows, actor_id, source) -> list[Product]:
    errors: dict[int, Any] = {}
    products: list[Product] = []
    families = set(ProductFamily.objects.filter(company=company).values_list("pk", flat=True))
    for index, row in enumerate(rows):
        _check_keys(row, PRODUCT_FIELDS + ("suppliers", "bom"))
        fields = {k: v for k, v in row.items() if k in PRODUCT_FIELDS and k != "family"}
        family = row.get("family")
        family_id = int(getattr(family, "pk", family)) if family not in (None, "") else None
        if family_id is not None and family_id not in families:
            errors[index] = "família não encontrada nesta empresa."
            family_id = None
        product = Product(company=company, family_id=family_id, **fields)
        try:
            product.full_clean(exclude=["family"], validate_unique=False, validate_constraints=False)
        except ValidationError as error:
            errors[index] = error
        products.append(product)
    codes = [(i, p.code) for i, p in enumerate(products)]
    errors.update({i: f"código {c} repetido no lote." for i, c in _duplicates_within(codes).items()})
    taken = set(Product.objects.filter(company=company, code__in=[c for _, c in codes]).values_list("code", flat=True))
    errors.update({i: f"já existe um produto com o código {c} nesta empresa." for i, c in codes if c in taken})
    if _enforces_uniqueness(company):
        gtins = [(i, gtin14(p.ean)) for i, p in enumerate(products) if p.ean]
        errors.update({i: f"EAN {products[i].ean} repetido no lote." for i in _duplicates_within(gtins)})
        held = set(
            Product.objects.filter(company=company)
            .annotate(gtin=ean_gtin14())
            .filter(gtin__in=[g for _, g in gtins])
            .values_list("gtin", flat=True)
        )
        errors.update({i: f"já existe um produto com o EAN {products[i].ean} nesta empresa."
                       for i, g in gtins if g in held})
    referenced_parties = {int(getattr(s, "pk", s)) for row in rows for s in row.get("suppliers", ())}
    valid_parties = set(Party.objects.filter(company=company, pk__in=referenced_parties).values_list("pk", flat=True))
    referenced_products = {int(getattr(c, "pk", c)) for row in rows for c, _ in row.get("bom", ())}
    valid_products = set(
        Product.objects.filter(company=company, pk__in=referenced_products).values_list("pk", flat=True)
    )
    bom_lines: list[list[tuple[int, Decimal]]] = []
    quantity_field = BillOfMaterialsItem._meta.get_field("quantity")
    for index, row in enumerate(rows):
        if {int(getattr(s, "pk", s)) for s in row.get("suppliers", ())} - valid_parties:
            errors[index] = "fornecedor não encontrado nesta empresa."
        lines = []
        for component, quantity in row.get("bom", ()):
            component_id = int(getattr(component, "pk", component))
            if component_id not in valid_products:
                errors[index] = "componente da estrutura não encontrado nesta empresa."
                continue
            try:
                lines.append((component_id, quantity_field.clean(Decimal(str(quantity)), None)))
            except (ValidationError, ArithmeticError):
                errors[index] = f"quantidade inválida na estrutura: {quantity}."
        bom_lines.append(lines)
    if errors:
        raise _bulk_errors(errors)
    Product.objects.bulk_create(products)
    suppliers_through = Product.suppliers.through
    suppliers_through.objects.bulk_create(
        suppliers_through(product_id=product.pk, party_id=int(getattr(s, "pk", s)))
        for product, row in zip(products, rows, strict=True)
        for s in set(row.get("suppliers", ()))
    )
    BillOfMaterialsItem.objects.bulk_create(
        BillOfMaterialsItem(product_id=product.pk, component_id=component_id, quantity=quantity)
        for product, lines in zip(products, bom_lines, strict=True)
        for component_id, quantity in lines
    )
    after_values = []
    for product, row, lines in zip(products, rows, bom_lines, strict=True):
        values = _field_values(product, (name for name in PRODUCT_FIELDS if name != "family"))
        values["characteristics"] = characteristics_pairs(product.characteristics)
        values["family"] = product.family_id
        values["suppliers"] = sorted({int(getattr(s, "pk", s)) for s in row.get("suppliers", ())})
        values["bom"] = sorted([component_id, str(quantity)] for component_id, quantity in lines)
        values["attachments"] = []
        after_values.append(values)
    _notify_created("product", company, products, after_values, actor_id, source)
    return products


def stock_balances_set(*, company: Company, quantities: Mapping[int, Decimal]) -> int:
    """Set many products' stock balances in one statement (local, never shared)."""
    valid = set(Product.objects.filter(company=company, pk__in=list(quantities)).values_list("pk", flat=True))
    missing = set(quantities) - valid
    if missing:
        raise ValidationError(f"Produtos não encontrados nesta empresa: {', '.join(map(str, sorted(missing)))}.")
    with transaction.atomic():
        StockBalance.objects.bulk_create(
            [StockBalance(company=company, product_id=pk, quantity=Decimal(str(q))) for pk, q in quantities.items()],
            update_conflicts=True, unique_fields=["product"], update_fields=["quantity", "updated_at"],
        )
    return len(quantities)


def price_table_items_set(*, company: Company, table_id: int, prices: Mapping[int, Decimal]) -> int:
    """Set many products' prices in one price table in one statement (local, never shared)."""
    table = PriceTable.objects.get(company=company, pk=table_id)
    valid = set(Product.objects.filter(company=company, pk__in=list(prices)).values_list("pk", flat=True))
    if set(prices) - valid:
        raise ValidationError("Há produtos que não pertencem a esta empresa.")
    if any(Decimal(str(p)) < 0 for p in prices.values()):
        raise ValidationError("O preço não pode ser negativo.")
    with transaction.atomic():
        PriceTableItem.objects.bulk_create(
            [PriceTableItem(table=table, product_id=pk, price=Decimal(str(p))) for pk, p in prices.items()],
            update_conflicts=True, unique_fields=["table", "product"], update_fields=["price"],
        )
    return len(prices)
