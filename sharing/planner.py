"""The preview: what activation would do to each destination, before anything is written.

Everything is counted with set-based SQL over the canonical values (sharing/canonical.py):
the origin's values are computed once per registry into a temporary table, each
destination's once, and the categories are joins between the two. Nothing is written to
any table that outlives the transaction, and the caller's transaction is rolled back.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction

from catalog.registries import describe
from companies.models import Company
from omieshare.lib.threads import run_in_threads
from sharing.canonical import (
    canonical_columns_sql,
    canonical_sql,
    comparable_field_sql,
    comparable_sql,
    diff_fields,
    key_sql,
    one_per_key_order,
    refresh_stale_statistics,
    require_postgresql,
    shared_fields,
)

# Registries previewed side by side (threads with their own connections); 1 turns it off.
PREVIEW_THREADS = int(os.environ.get("OMIESHARE_PREVIEW_THREADS", "2"))

CATEGORIES = ("create", "overwrite", "identical", "destination_only", "skipped", "duplicates", "conflicts")
CATEGORY_LABELS = {
    "create": "a incluir",
    "overwrite": "a sobrescrever",
    "identical": "já iguais",
    "destination_only": "só no destino (mantidos)",
    "skipped": "sem CNPJ/CPF (não sincronizados)",
    "duplicates": "possíveis duplicidades",
    "conflicts": "conflitos (não copiados)",
}


@dataclass
class DestinationPlan:
    company: Company
    registry: str
    counts: dict[str, int] = field(default_factory=dict)


class _Rollback(Exception):
    pass


def _load(name: str, registry: str, company_id: int, *, keys_only: bool = False,
          keys_in: str | None = None, by_field: bool = False) -> None:
    """A temp table of one company's canonical rows, inactive ones included, one per key:
    the row activation shares (in the origin) or overwrites (in a destination), the active
    one first (canonical.one_per_key_order).

    `keys_only` leaves the values out (PostgreSQL then skips building them and the joins
    behind the references); `keys_in` keeps only keys present in that table; `by_field`
    holds each shared field in its own column instead of the jsonb `values`.
    """
    where = f"AND {key_sql(registry)} IN (SELECT match_key FROM {keys_in})" if keys_in else ""
    columns = "c.match_key, c.local_id" if keys_only else "c.*"
    # Keys alone come from the by-field query too: its `active` column orders them
    # without building the jsonb values.
    by_field = by_field or keys_only
    select = canonical_columns_sql if by_field else canonical_sql
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {name}")
        cursor.execute(
            f"CREATE TEMP TABLE {name} AS SELECT DISTINCT ON (c.match_key) {columns} "
            f"FROM ({select(registry, where)}) c ORDER BY {one_per_key_order(by_field=by_field)}",
            {"company_id": company_id},
        )
        cursor.execute(f"CREATE UNIQUE INDEX ON {name} (match_key)")
        # Only the key is ever filtered or joined on; statistics on the jsonb values
        # would cost more than the rest of the preview.
        cursor.execute(f"ANALYZE {name} (match_key, local_id)")


def _fill_origin_values(registry: str, origin_id: int) -> None:
    """The origin's shared fields (plan_origin_values) for the rows the current destination
    also holds, computed once per row however many destinations hold it."""
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS plan_need")
        cursor.execute(
            "CREATE TEMP TABLE plan_need AS SELECT o.local_id FROM plan_origin o "
            "JOIN plan_dest d USING (match_key) "
            "WHERE NOT EXISTS (SELECT 1 FROM plan_origin_values v WHERE v.local_id = o.local_id)"
        )
        # Without this the planner guesses a few dozen rows and reruns the reference
        # aggregates once per row (minutes).
        cursor.execute("ANALYZE plan_need")
        columns = canonical_columns_sql(registry, "AND p.id IN (SELECT local_id FROM plan_need)")
        cursor.execute(f"INSERT INTO plan_origin_values SELECT * FROM ({columns}) c", {"company_id": origin_id})
        cursor.execute("ANALYZE plan_origin_values (local_id)")


def _create_origin_values(registry: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS plan_origin_values")
        cursor.execute(
            f"CREATE TEMP TABLE plan_origin_values AS SELECT * FROM ({canonical_columns_sql(registry)}) c "
            "WITH NO DATA",
            {"company_id": 0},
        )
        cursor.execute("ALTER TABLE plan_origin_values ADD PRIMARY KEY (local_id)")


def _session_settings() -> None:
    # The sorts behind DISTINCT ON and the reference aggregates spill to disk with the
    # default 4 MB at 100,000 rows; SET LOCAL ends with the (rolled back) transaction.
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL work_mem = '64MB'")


def _one(sql: str, params: dict[str, Any]) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def _diff_condition(registry: str) -> str:
    # `active` is compared like every other shared field: an inactive record is shared as
    # one, and a destination's inactive copy of an active record is an overwrite.
    return " OR ".join(
        f"{comparable_field_sql(name, 'o.values')} IS DISTINCT FROM {comparable_field_sql(name, 'd.values')}"
        for name in shared_fields(registry)
    )


def _column(table: str, name: str) -> str:
    return f'{table}."{name}"'


def _count_registry(registry: str, origin_id: int, dest: Company, skipped: int) -> dict[str, int]:
    # Only the destination rows whose key the origin also has are compared, field by field.
    _load("plan_dest", registry, dest.pk, keys_in="plan_origin", by_field=True)
    _fill_origin_values(registry, origin_id)
    params = {"origin": origin_id, "dest": dest.pk}
    differs = " OR ".join(
        f"{comparable_sql(name, _column('v', name))} IS DISTINCT FROM {comparable_sql(name, _column('d', name))}"
        for name in shared_fields(registry)
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT count(*) FILTER (WHERE d.match_key IS NULL),
                   count(*) FILTER (WHERE d.match_key IS NOT NULL AND ({differs})),
                   count(*) FILTER (WHERE d.match_key IS NOT NULL AND NOT ({differs}))
            FROM plan_origin o LEFT JOIN plan_dest d USING (match_key)
            LEFT JOIN plan_origin_values v ON v.local_id = o.local_id
            """,
            params,
        )
        create, overwrite, identical = cursor.fetchone()
    counts = {"create": create, "overwrite": overwrite, "identical": identical}
    descriptor = describe(registry)
    table, key = descriptor.table_sql.as_string(), descriptor.key_sql.as_string()
    # A record without a key (a party without CNPJ/CPF) is never shared: it stays the
    # destination's own, active or not.
    keyless = f"p.{key} = '' OR " if descriptor.key_optional else ""
    counts["destination_only"] = _one(
        f"SELECT count(*) FROM {table} p WHERE p.company_id = %(dest)s AND "
        f"({keyless}NOT EXISTS (SELECT 1 FROM plan_origin o WHERE o.match_key = p.{key}))",
        params,
    )
    counts.update(_LOOKALIKE_COUNTS[registry](dest, params, skipped))
    return counts


def _party_lookalikes(dest: Company, params: dict[str, Any], skipped: int) -> dict[str, int]:
    # Same name (case, accents of punctuation and spacing folded) under another document;
    # the origin's folded names are computed once, in plan_names.
    duplicates = _one(
        f"""
        SELECT count(DISTINCT o.id) FROM plan_names o JOIN (
            SELECT {_NAME_KEY_SQL.format("d")} AS name_key, d.cnpj_cpf
            FROM catalog_party d WHERE d.company_id = %(dest)s
        ) d ON d.name_key = o.name_key AND d.cnpj_cpf <> o.cnpj_cpf
        """,
        params,
    )
    return {"skipped": skipped, "duplicates": duplicates, "conflicts": 0}


def _product_lookalikes(dest: Company, params: dict[str, Any], skipped: int) -> dict[str, int]:
    # Same EAN (as GTIN-14: 7891000315507 = 07891000315507) under another code; the
    # origin's EANs are listed once, in plan_eans. lpad(...) is the expression of the
    # destination's (company, GTIN-14) index (catalog.models.ean_gtin14).
    duplicates_sql = """
        SELECT count(DISTINCT o.match_key) FROM plan_eans o
        JOIN catalog_product d ON d.company_id = %(dest)s AND lpad(d.ean, 14, '0') = o.gtin
             AND d.code <> o.match_key
    """
    duplicates = _one(duplicates_sql, params)
    return {"skipped": 0, "duplicates": duplicates,
            "conflicts": duplicates if dest.enforce_unique_records else 0}


def _load_origin_names(origin_id: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS plan_names")
        cursor.execute(
            f"""
            CREATE TEMP TABLE plan_names AS
            SELECT o.id, o.cnpj_cpf, {_NAME_KEY_SQL.format("o")} AS name_key
            FROM catalog_party o WHERE o.company_id = %(origin)s AND o.cnpj_cpf <> ''
            """,
            {"origin": origin_id},
        )
        cursor.execute("ANALYZE plan_names")


def _prepare_party_origin(origin_id: int) -> int:
    """The origin's folded names; the count of its parties without CNPJ/CPF (skipped)."""
    _load_origin_names(origin_id)
    return _one(
        "SELECT count(*) FROM catalog_party WHERE company_id = %(origin)s AND cnpj_cpf = ''",
        {"origin": origin_id},
    )


def _prepare_product_origin(origin_id: int) -> int:
    _load_origin_eans()
    return 0


def _load_origin_eans() -> None:
    """The origin's EANs by key (from plan_origin), joined with each destination's by hash:
    through the origin rows, PostgreSQL probed the destination's index once per product."""
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS plan_eans")
        cursor.execute(
            "CREATE TEMP TABLE plan_eans AS SELECT o.match_key, lpad(op.ean, 14, '0') AS gtin FROM plan_origin o "
            "JOIN catalog_product op ON op.id = o.local_id WHERE op.ean <> ''"
        )
        cursor.execute("ANALYZE plan_eans")


def plan(*, origin: Company, destinations: list[Company], registries: list[str]) -> list[DestinationPlan]:
    """Counts per destination and registry. Writes nothing."""
    require_postgresql()
    refresh_stale_statistics(registries)
    if PREVIEW_THREADS > 1 and len(registries) > 1 and not connection.in_atomic_block:
        # The registries are independent: each in its own thread, connection and (rolled
        # back) transaction, so the preview uses two cores. Inside a caller's transaction
        # (the tests) other connections would not see it: one after the other.
        results: dict[str, list[DestinationPlan]] = {}

        def preview(registry: str) -> None:
            results[registry] = _plan_registry(origin, destinations, registry)

        run_in_threads([lambda registry=registry: preview(registry) for registry in registries], name="preview")
        return [item for registry in registries for item in results[registry]]
    return [item for registry in registries for item in _plan_registry(origin, destinations, registry)]


def _plan_registry(origin: Company, destinations: list[Company], registry: str) -> list[DestinationPlan]:
    plans: list[DestinationPlan] = []
    try:
        with transaction.atomic():
            _session_settings()
            # The origin's keys now; its fields only for keys a destination also holds.
            _load("plan_origin", registry, origin.pk, keys_only=True)
            _create_origin_values(registry)
            skipped = _PREPARE_ORIGIN[registry](origin.pk)
            for dest in destinations:
                plans.append(DestinationPlan(dest, registry, _count_registry(registry, origin.pk, dest, skipped)))
            raise _Rollback
    except _Rollback:
        pass
    return plans


# What each registry looks for besides equal keys: parties by name, products by EAN.
_PREPARE_ORIGIN = {"party": _prepare_party_origin, "product": _prepare_product_origin}
_LOOKALIKE_COUNTS = {"party": _party_lookalikes, "product": _product_lookalikes}

# The folded name that finds likely duplicate parties: case, punctuation and spacing ignored.
_NAME_KEY_SQL = "lower(regexp_replace({}.legal_name, '[^[:alnum:]]', '', 'g'))"

# The origin's records the preview counts as not synchronised or to be checked, each with
# the destination records it resembles ([key, name] pairs): the same rows as the counts.
_LOOKALIKE_SQL = {
    ("party", "skipped"): """
        SELECT o.code, o.legal_name, '[]'::jsonb FROM catalog_party o
        WHERE o.company_id = %(origin)s AND o.cnpj_cpf = ''
        ORDER BY o.legal_name, o.id
    """,
    ("party", "duplicates"): f"""
        SELECT o.cnpj_cpf, o.legal_name,
               jsonb_agg(jsonb_build_array(d.cnpj_cpf, d.legal_name) ORDER BY d.cnpj_cpf, d.id)
        FROM catalog_party o
        JOIN catalog_party d ON d.company_id = %(dest)s AND d.cnpj_cpf <> o.cnpj_cpf
             AND {_NAME_KEY_SQL.format("d")} = {_NAME_KEY_SQL.format("o")}
        WHERE o.company_id = %(origin)s AND o.cnpj_cpf <> ''
        GROUP BY o.id ORDER BY o.cnpj_cpf, o.id
    """,
    ("product", "duplicates"): """
        SELECT o.code, o.description || ' · EAN ' || o.ean,
               jsonb_agg(jsonb_build_array(d.code, d.description) ORDER BY d.code, d.id)
        FROM catalog_product o
        JOIN catalog_product d ON d.company_id = %(dest)s AND lpad(d.ean, 14, '0') = lpad(o.ean, 14, '0')
             AND d.code <> o.code
        WHERE o.company_id = %(origin)s AND o.ean <> ''
        GROUP BY o.id ORDER BY o.code, o.id
    """,
}
_LOOKALIKE_SQL[("product", "conflicts")] = _LOOKALIKE_SQL[("product", "duplicates")]
LOOKALIKE_CATEGORIES = ("skipped", "duplicates", "conflicts")


def _lookalike_rows(origin: Company, dest: Company, registry: str, category: str, offset: int,
                    limit: int) -> list[dict[str, Any]]:
    sql = _LOOKALIKE_SQL.get((registry, category))
    if sql is None or (category == "conflicts" and not dest.enforce_unique_records):
        return []  # counted as zero by the preview
    with connection.cursor() as cursor:
        cursor.execute(f"{sql} LIMIT %(limit)s OFFSET %(offset)s",
                       {"origin": origin.pk, "dest": dest.pk, "limit": limit, "offset": offset})
        return [
            {"key": key, "name": name, "new": None, "old": None, "differences": [],
             "in_destination": json.loads(matches) if isinstance(matches, str) else matches}
            for key, name, matches in cursor.fetchall()
        ]


def plan_rows(
    *, origin: Company, dest: Company, registry: str, category: str, offset: int = 0, limit: int = 50
) -> list[dict[str, Any]]:
    """The records behind one count, with field-by-field differences for overwrites and,
    for skipped records and likely duplicates, the destination records they resemble."""
    if category in LOOKALIKE_CATEGORIES:
        return _lookalike_rows(origin, dest, registry, category, offset, limit)
    rows: list[dict[str, Any]] = []
    try:
        with transaction.atomic():
            _session_settings()
            _load("plan_origin", registry, origin.pk)
            _load("plan_dest", registry, dest.pk)
            differs = _diff_condition(registry)
            queries = {
                "create": "SELECT o.match_key, o.values, NULL FROM plan_origin o "
                          "LEFT JOIN plan_dest d USING (match_key) WHERE d.match_key IS NULL",
                "overwrite": f"SELECT o.match_key, o.values, d.values FROM plan_origin o "
                             f"JOIN plan_dest d USING (match_key) WHERE {differs}",
                "identical": f"SELECT o.match_key, o.values, d.values FROM plan_origin o "
                             f"JOIN plan_dest d USING (match_key) WHERE NOT ({differs})",
                "destination_only": "SELECT d.match_key, NULL, d.values FROM plan_dest d "
                                    "LEFT JOIN plan_origin o USING (match_key) WHERE o.match_key IS NULL",
            }
            sql = queries.get(category)
            if sql is None:
                raise ValueError(f"Unknown plan category {category!r}")
            with connection.cursor() as cursor:
                cursor.execute(f"{sql} ORDER BY 1 LIMIT %(limit)s OFFSET %(offset)s",
                               {"limit": limit, "offset": offset})
                for key, new, old in cursor.fetchall():
                    # Django's psycopg 3 setup hands jsonb back as text from a raw cursor.
                    new, old = (json.loads(v) if isinstance(v, str) else v for v in (new, old))
                    differences = []
                    if new is not None and old is not None:
                        differences = [(name, old.get(name), new.get(name))
                                       for name in diff_fields(registry, old, new)]
                    rows.append({"key": key, "new": new, "old": old, "differences": differences})
            raise _Rollback
    except _Rollback:
        pass
    return rows
