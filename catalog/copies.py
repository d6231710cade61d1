"""The full copy of a client/supplier or product, kept when it is deleted.

A deletion removes the row and what is only its own (its attachments, its links to
salespeople and suppliers, its structure lines, its stock balance and price-table rows). The
copy holds all of that as JSON, so that support can restore the record as it was: the same
number (Omie's codigo_cliente_omie / codigo_produto, which integrations store), the same
codes, every local field. It follows the model's columns, so a field added to Party or
Product is copied and restored without a change here.

The copy is one flat object, so the admin can search and label it like any snapshot:
- every column by its attribute name ("id", "code", "cnpj_cpf", "family_id", "created_at",
  …) except the company (the snapshot names it), in JSON form: decimals and dates as text,
  characteristics as [name, value] pairs (a jsonb object would lose their order);
- "salespeople": [[id, e-mail, name], …] (clients/suppliers);
- "attachments": [[blob sha256, file name, is image], …];
- "family_name", "suppliers": [[id, CNPJ/CPF, legal name], …], "bom": [[component id,
  component code, quantity], …], "stock_balance": quantity or null, "price_table_items":
  [[table id, table name, price], …] (products).
Restoring it is `catalog.services.record_restore`.
"""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from django.db import models

from catalog.models import CharacteristicsField, Party, PriceTableItem, Product, StockBalance, characteristics_pairs


def _copied_columns(model: type[models.Model]) -> list[models.Field]:
    return [field for field in model._meta.concrete_fields if field.attname != "company_id"]


def _json_column(field: models.Field, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(field, CharacteristicsField):
        return characteristics_pairs(value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return value


def record_copy(record: Party | Product) -> dict[str, Any]:
    """Everything the record holds, as JSON (a fixed number of queries)."""
    copy = {field.attname: _json_column(field, field.value_from_object(record))
            for field in _copied_columns(type(record))}
    copy["attachments"] = sorted(
        [blob, filename, is_image]
        for blob, filename, is_image in record.attachments.values_list("blob_id", "filename", "is_image")
    )
    if isinstance(record, Party):
        copy["salespeople"] = [
            list(row) for row in record.salespeople.order_by("pk").values_list("pk", "email", "name")
        ]
        return copy
    copy["family_name"] = record.family.name if record.family_id else ""
    copy["suppliers"] = [
        list(row) for row in record.suppliers.order_by("pk").values_list("pk", "cnpj_cpf", "legal_name")
    ]
    copy["bom"] = [
        [component_id, code, str(quantity)]
        for component_id, code, quantity in record.bom_items.order_by("component__code").values_list(
            "component_id", "component__code", "quantity"
        )
    ]
    balance = StockBalance.objects.filter(product=record).values_list("quantity", flat=True).first()
    copy["stock_balance"] = None if balance is None else str(balance)
    copy["price_table_items"] = [
        [table_id, name, str(price)]
        for table_id, name, price in PriceTableItem.objects.filter(product=record).order_by("table__name")
        .values_list("table_id", "table__name", "price")
    ]
    return copy


def columns_from_copy(model: type[models.Model], copy: dict[str, Any]) -> dict[str, Any]:
    """The copy's columns as the model's Python values, by attribute name. A column the
    model no longer has is left out; one it gained since is absent (its default applies)."""
    return {field.attname: field.to_python(copy[field.attname])
            for field in _copied_columns(model) if field.attname in copy}
