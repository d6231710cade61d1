"""The canonical (company-independent) values of shared records, computed in SQL.

One query per registry says what a local row shares: its shared fields, with references
turned into keys that mean the same in every company (salespeople by e-mail, family by
name, suppliers by CNPJ/CPF, structure components by product code, attachments by
content hash). The same query serves activation (all rows of a company at once), the
hook (one row), snapshots and drift detection (compare with SharedRecord.values), so the
three can never disagree about what "the same values" means.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import connection
from psycopg import sql

from catalog.registries import describe


def shared_fields(registry: str) -> tuple[str, ...]:
    """The fields of a registry that travel between companies, as its descriptor
    (catalog.registries) declares them, read on each call."""
    return describe(registry).shared_fields


def plain_fields(registry: str) -> tuple[str, ...]:
    """Shared model fields copied as they are between rows (the rest are mapped
    references): by activation's SQL and by propagation alike."""
    return describe(registry).plain_fields


# Shared fields that are related rows, not model fields with a verbose name of their own.
_RELATED_LABELS = {"bom": "estrutura", "attachments": "imagens e anexos"}


def field_verbose_name(registry: str, name: str) -> str:
    """A shared field as the catalog pages call it (the model's verbose name), for the
    command line's messages."""
    model = describe(registry).model
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        field = None
    return str(getattr(field, "verbose_name", None) or _RELATED_LABELS.get(name, name))


def key_sql(registry: str) -> str:
    """The match key of a row `p`: CNPJ/CPF for parties, code for products."""
    return f"p.{describe(registry).key}"


# References are aggregated per row in grouped subqueries joined to the rows (not one
# correlated subquery per row and reference): the same SQL serves one row (the hook) and a
# whole company (activation, preview, drift), where correlated subqueries cost ~50 µs per
# row — 100,000 rows took 6-9 s instead of 1-3 s. `{where}` is repeated in each subquery,
# so it must only use named parameters.
_FROM = {
    "party": """
FROM {rows} p
LEFT JOIN (
    SELECT ps.party_id, jsonb_agg(jsonb_build_array(lower(s.email), s.name)
                                  ORDER BY lower(s.email)) AS value
    FROM {rows} p
    JOIN catalog_party_salespeople ps ON ps.party_id = p.id
    JOIN catalog_salesperson s ON s.id = ps.salesperson_id
    WHERE p.company_id = %(company_id)s AND p.cnpj_cpf <> '' {where}
    GROUP BY ps.party_id
) salespeople ON salespeople.party_id = p.id
LEFT JOIN (
    SELECT a.party_id, jsonb_agg(jsonb_build_array(a.blob_id, a.filename, a.is_image)
                                 ORDER BY a.blob_id, a.filename) AS value
    FROM {rows} p JOIN catalog_attachment a ON a.party_id = p.id
    WHERE p.company_id = %(company_id)s AND p.cnpj_cpf <> '' {where}
    GROUP BY a.party_id
) attachments ON attachments.party_id = p.id
WHERE p.company_id = %(company_id)s AND p.cnpj_cpf <> '' {where}
""",
    "product": """
FROM {rows} p LEFT JOIN catalog_productfamily f ON f.id = p.family_id
LEFT JOIN (
    SELECT ps.product_id, jsonb_agg(DISTINCT s.cnpj_cpf ORDER BY s.cnpj_cpf) AS value
    FROM {rows} p
    JOIN catalog_product_suppliers ps ON ps.product_id = p.id
    JOIN catalog_party s ON s.id = ps.party_id AND s.cnpj_cpf <> ''
    WHERE p.company_id = %(company_id)s {where}
    GROUP BY ps.product_id
) suppliers ON suppliers.product_id = p.id
LEFT JOIN (
    SELECT b.product_id, jsonb_agg(jsonb_build_array(c.code, b.quantity::text) ORDER BY c.code) AS value
    FROM {rows} p
    JOIN catalog_billofmaterialsitem b ON b.product_id = p.id
    JOIN catalog_product c ON c.id = b.component_id
    WHERE p.company_id = %(company_id)s {where}
    GROUP BY b.product_id
) bom ON bom.product_id = p.id
LEFT JOIN (
    SELECT a.product_id, jsonb_agg(jsonb_build_array(a.blob_id, a.filename, a.is_image)
                                   ORDER BY a.blob_id, a.filename) AS value
    FROM {rows} p JOIN catalog_attachment a ON a.product_id = p.id
    WHERE p.company_id = %(company_id)s {where}
    GROUP BY a.product_id
) attachments ON attachments.product_id = p.id
WHERE p.company_id = %(company_id)s {where}
""",
}


def canonical_sql(registry: str, where: str = "", *, rows: str = "") -> str:
    """The SELECT (local_id, match_key, values) for a company; `where` adds conditions on p
    (named parameters only: it appears more than once). `rows` names a relation of the
    registry's rows (a CTE) read in place of its whole table, in each subquery too."""
    descriptor = describe(registry)
    pairs = ", ".join(f"'{name}', {descriptor.expression(name)}" for name in descriptor.shared_fields)
    return (f"SELECT p.id AS local_id, {key_sql(registry)} AS match_key, jsonb_build_object({pairs}) AS values"
            + _FROM[registry].format(where=where, rows=rows or descriptor.table))


def canonical_columns_sql(registry: str, where: str = "") -> str:
    """The same rows with each shared field in a column of its own name instead of one
    jsonb object: comparing two rows field by field then needs no jsonb built (the preview
    counts 100,000 rows that way in half the time). For these types a field equals another
    exactly when its jsonb value does."""
    descriptor = describe(registry)
    columns = ", ".join(f'{descriptor.expression(name)} AS "{name}"' for name in descriptor.shared_fields)
    return (f"SELECT p.id AS local_id, {key_sql(registry)} AS match_key, {columns}"
            + _FROM[registry].format(where=where, rows=descriptor.table))


def one_per_key_order(*, by_field: bool = False) -> str:
    """ORDER BY of a DISTINCT ON (c.match_key) over canonical rows `c`: when a company holds
    several rows with one key (uniqueness validation off), the one the key stands for is the
    active one, then the oldest. Activation shares that origin row, the preview compares
    that destination row, and activation and propagation overwrite it (`d.active DESC, d.id`,
    `"-active", "pk"`): an inactive row is an ordinary record, but of two with one CNPJ/CPF or
    code, the one in use is the better guess. `by_field`: rows of canonical_columns_sql."""
    active = 'c."active"' if by_field else "(c.values->>'active')::boolean"
    return f"c.match_key, {active} DESC, c.local_id"


def canonical_values(registry: str, company_id: int, local_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """{local_id: values} for the given rows of one company (rows without a key are left out)."""
    ids = list(local_ids)
    if not ids:
        return {}
    sql = canonical_sql(registry, "AND p.id = ANY(%(ids)s)")
    with connection.cursor() as cursor:
        cursor.execute(sql, {"company_id": company_id, "ids": ids})
        return {local_id: _decode(values) for local_id, _key, values in cursor.fetchall()}


def _decode(values: Any) -> dict[str, Any]:
    # psycopg decodes jsonb already; text would only come from an unusual adapter setup.
    return json.loads(values) if isinstance(values, str) else values


def match_key_of(registry: str, values: dict[str, Any]) -> str:
    return values[describe(registry).key]


def _comparable(name: str, value: Any) -> Any:
    # References are matched per member by e-mail, and families by name whatever the case
    # (propagation.to_local_data): a member's own salesperson name or family spelling is
    # the same reference, not a difference (resync could never "repair" it).
    if name == "family" and isinstance(value, str):
        return value.lower()
    if name == "salespeople" and isinstance(value, list):
        return sorted(str(item[0]).lower() for item in value)
    return value


# _comparable in SQL, for the set-based comparisons (preview counts, activation), so that
# they call "the same" exactly what diff_fields and drift detection do.
_COMPARABLE_SQL = {
    "family": "lower({value})",
    "salespeople": "jsonb_path_query_array({value}, '$[*][0]')",  # the e-mails alone
}


def comparable_sql(name: str, value: str) -> str:
    """The SQL form in which a shared field's value (`value`, an SQL expression: text for
    family, jsonb for salespeople) is compared."""
    return _COMPARABLE_SQL.get(name, "{value}").format(value=value)


def comparable_field_sql(name: str, values: str) -> str:
    """The comparable form of one shared field of a canonical jsonb value set `values`."""
    return comparable_sql(name, f"{values}->>'{name}'" if name == "family" else f"{values}->'{name}'")


def same_values_sql(a: str, b: str) -> str:
    """SQL: two canonical jsonb value sets (`a`, `b`) are the same record, as _comparable says."""

    def loose(values: str) -> str:  # everything else compared as it is
        return "(" + " - ".join([values, *(f"'{name}'" for name in _COMPARABLE_SQL)]) + ")"

    return " AND ".join(
        [f"{loose(a)} = {loose(b)}"]
        + [f"{comparable_field_sql(name, a)} IS NOT DISTINCT FROM {comparable_field_sql(name, b)}"
           for name in _COMPARABLE_SQL]
    )


def diff_fields(registry: str, old: dict[str, Any] | None, new: dict[str, Any]) -> list[str]:
    """The shared fields whose values differ between two canonical value sets."""
    old = old or {}
    return [name for name in shared_fields(registry)
            if _comparable(name, old.get(name)) != _comparable(name, new.get(name))]


# The tables each registry's canonical query reads.
_SOURCE_TABLES = {
    "party": ("catalog_party", "catalog_party_salespeople", "catalog_salesperson", "catalog_attachment"),
    "product": ("catalog_product", "catalog_product_suppliers", "catalog_billofmaterialsitem",
                "catalog_productfamily", "catalog_attachment"),
}


# The engine's own tables that drift detection joins with the catalog.
_ENGINE_TABLES = ("sharing_sharedrecord", "sharing_recordlink")


def refresh_stale_statistics(registries: list[str], *, engine: bool = False) -> None:
    """ANALYZE the catalog tables (and with `engine`, the shared records and links) whose
    statistics lag behind their rows, as after a bulk import made just before an activation
    or preview, or after an activation, before autovacuum got to them (if it runs at all).
    Planned from such statistics, the canonical query took 43 s for 3,000 products, and drift
    detection right after activating 3,000 records 65 s instead of 0.6 s (the links looked
    empty). Fresh tables are left alone. Call it outside a transaction that is rolled back
    (the preview's), or it is undone."""
    tables = sorted({table for registry in registries for table in _SOURCE_TABLES[registry]})
    if engine:
        tables += _ENGINE_TABLES
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname FROM pg_stat_user_tables WHERE relname = ANY(%s) "
            "AND (coalesce(last_analyze, last_autoanalyze) IS NULL "
            "     OR n_mod_since_analyze > 0.1 * n_live_tup + 50)",
            [tables],
        )
        stale = [row[0] for row in cursor.fetchall()]
        for table in stale:
            cursor.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(table)))


def require_postgresql() -> None:
    """Activation and preview are set-based PostgreSQL (jsonb, temp tables, ON CONFLICT)."""
    if connection.vendor != "postgresql":
        from django.core.exceptions import ValidationError

        raise ValidationError(
            "O compartilhamento de cadastros precisa do PostgreSQL: defina DATABASE_URL "
            "(ex.: postgresql://usuario:senha@127.0.0.1:5432/omieshare) e rode as migrações."
        )
