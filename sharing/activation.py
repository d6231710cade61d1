"""Activation: copy the origin's records into destinations with set-based SQL.

All companies live in one database, so the copy runs inside PostgreSQL as
`INSERT … SELECT` / `UPDATE … FROM` over a chunk of shared records at a time, never as a
Python loop over records. Each chunk is one transaction that also moves the job's cursor
and progress, so a job killed at any point resumes where the last commit left it: a chunk
skips shared records already linked in that destination, snapshots are written once per
row, and links are unique — no record is created twice and none is missed.

Order per destination: parties, then products (whose suppliers point at parties), then a
relations pass (suppliers and structures, whose components may sit in any chunk).
"""

from __future__ import annotations

import copy
import os
import threading
import time
from collections.abc import Callable
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from psycopg import sql

from catalog import hooks
from catalog.registries import describe
from omieshare.lib.threads import run_in_threads
from sharing.canonical import (
    canonical_sql,
    one_per_key_order,
    plain_fields,
    refresh_stale_statistics,
    same_values_sql,
)
from sharing.leases import LeaseLost
from sharing.models import AuditEntry, Share, SharedRecord, ShareMember, SyncJob, activation_summary

# Shared records per chunk (one transaction each, a few seconds at 50,000): each chunk
# repeats a fixed cost (temp table, ANALYZE, a dozen statements), 20,000 was ~15 % slower
# at 100,000 records. The environment may lower it: the crash test does, to kill a worker
# between chunks of a small activation.
CHUNK_SIZE = int(os.environ.get("OMIESHARE_ACTIVATION_CHUNK", "50000"))
# Destinations copied side by side, each by its own thread and database connection
# (only when the job runs outside a caller's transaction, as it does in a worker).
ACTIVATION_THREADS = int(os.environ.get("OMIESHARE_ACTIVATION_THREADS", "2"))

MAX_LISTED_ERRORS = 100


def _identifiers(sql_text: str, **names: str) -> str:
    """`sql_text` with {name} replaced by each quoted identifier: table and column names
    come from the registry descriptor, never from a value."""
    return sql.SQL(sql_text).format(**{k: sql.Identifier(v) for k, v in names.items()}).as_string()


def _copied(registry: str) -> list[str]:
    # The same fields propagation copies (the descriptor's plain fields): what activation
    # writes into a destination and what later changes write there can never differ.
    # Quoted, as column names.
    return [sql.Identifier(name).as_string() for name in plain_fields(registry)]


def _new_copy_defaults(registry: str) -> tuple[str, str]:
    """(columns, values) of a new copy's company and the local-only columns it starts with,
    e.g. a party's own code and tags: the descriptor's defaults less any shared column."""
    descriptor = describe(registry)
    defaults = {k: v for k, v in descriptor.new_copy_defaults.items() if k not in descriptor.shared_fields}
    columns = ["company_id", *(sql.Identifier(name).as_string() for name in defaults)]
    return ", ".join(columns), ", ".join(["%(dest)s", *defaults.values()])


def _execute(sql: str, params: dict[str, Any] | None = None) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or {})
        return cursor.rowcount


def _fetchone(sql: str, params: dict[str, Any] | None = None):
    with connection.cursor() as cursor:
        cursor.execute(sql, params or {})
        return cursor.fetchone()


# --- step 1: shared records and the origin's links ---------------------------------------


def create_shared_records(share: Share, registry: str) -> int:
    """One SharedRecord per distinct key among the origin's records, inactive ones included
    (`inativo` is a field the record carries, as in Omie), linked to the origin row. When
    the origin itself holds duplicates, the active one is shared, then the lowest id: the
    same choice as the destination row a key overwrites (_fill_match) and the preview's
    (planner._load). Idempotent."""
    canonical = canonical_sql(registry)
    return _execute(
        f"""
        WITH chosen AS (
            SELECT DISTINCT ON (c.match_key) c.local_id, c.match_key, c.values
            FROM ({canonical}) c ORDER BY {one_per_key_order()}
        ), inserted AS (
            INSERT INTO sharing_sharedrecord (share_id, registry, match_key, values, version,
                                              created_at, updated_at)
            SELECT %(share_id)s, %(registry)s, match_key, values, 1, now(), now() FROM chosen
            -- The unique key holds among records not deleted (a deleted one's key is free).
            ON CONFLICT (share_id, registry, match_key) WHERE deleted_at IS NULL DO NOTHING
            RETURNING id, match_key
        )
        INSERT INTO sharing_recordlink (shared_record_id, company_id, registry, local_id,
                                        applied_version, last_error, updated_at)
        SELECT inserted.id, %(company_id)s, %(registry)s, chosen.local_id, 1, '', now()
        FROM inserted JOIN chosen USING (match_key)
        """,
        {"share_id": share.pk, "registry": registry, "company_id": share.origin_id},
    )


# --- step 2: one chunk of one registry into one destination --------------------------------


def _fill_match(share: Share, registry: str, dest_id: int, lo: int, hi: int) -> None:
    descriptor = describe(registry)
    params = {"dest": dest_id, "origin": share.origin_id, "share": share.pk, "registry": registry,
              "lo": lo, "hi": hi}
    _execute(
        """
        CREATE TEMP TABLE act_match (
            sr_id bigint PRIMARY KEY, origin_id bigint NOT NULL, dest_id bigint,
            version integer NOT NULL, created boolean NOT NULL DEFAULT false,
            conflict boolean NOT NULL DEFAULT false, match_key varchar(60) NOT NULL,
            -- matched, and already holding the origin's values: nothing to write or keep
            identical boolean NOT NULL DEFAULT false
        ) ON COMMIT DROP
        """
    )
    _execute(
        """
        INSERT INTO act_match (sr_id, origin_id, version, match_key)
        SELECT sr.id, ol.local_id, ol.applied_version, sr.match_key
        FROM sharing_sharedrecord sr
        JOIN sharing_recordlink ol ON ol.shared_record_id = sr.id AND ol.company_id = %(origin)s
        WHERE sr.share_id = %(share)s AND sr.registry = %(registry)s AND sr.deleted_at IS NULL
          AND sr.id > %(lo)s AND sr.id <= %(hi)s
          -- The same range on the links: their (shared record, company) index then reads
          -- the chunk's links alone, not every link of every share.
          AND ol.shared_record_id > %(lo)s AND ol.shared_record_id <= %(hi)s
          AND NOT EXISTS (SELECT 1 FROM sharing_recordlink l
                          WHERE l.shared_record_id = sr.id AND l.company_id = %(dest)s
                            AND l.shared_record_id > %(lo)s AND l.shared_record_id <= %(hi)s)
        """,
        params,
    )
    # Temp tables get no statistics from autovacuum: without these, every join with the
    # chunk below was planned for a handful of rows.
    _execute("ANALYZE act_match")
    # The destination row each key overwrites: the active one first, then the oldest,
    # among rows no shared record is linked to yet — all keys of the chunk in one join.
    _execute(
        _identifiers(
            """
            UPDATE act_match m SET dest_id = c.id
            FROM (
                SELECT DISTINCT ON (d.{key}) d.{key} AS match_key, d.id
                FROM act_match k JOIN {table} d ON d.company_id = %(dest)s AND d.{key} = k.match_key
                WHERE NOT EXISTS (SELECT 1 FROM sharing_recordlink x WHERE x.company_id = %(dest)s
                                  AND x.registry = %(registry)s AND x.local_id = d.id)
                ORDER BY d.{key}, d.active DESC, d.id
            ) c
            WHERE c.match_key = m.match_key
            """,
            table=descriptor.table, key=descriptor.key,
        ),
        params,
    )
    # Again with dest_id filled in: the snapshot, copy and link steps join on it.
    _execute("ANALYZE act_match")


def _snapshot_matched(share: Share, job: SyncJob, registry: str, dest_id: int) -> None:
    """Keep the current values of every matched destination row the origin's values will
    overwrite, and mark the rows that already hold them as identical: those are neither
    written nor kept (nor counted as overwritten)."""
    canonical = canonical_sql(registry, "AND p.id IN (SELECT dest_id FROM act_match WHERE NOT conflict)")
    _execute(
        f"""
        WITH before AS (SELECT c.local_id, c.values FROM ({canonical}) c),
        same AS (
            UPDATE act_match m SET identical = true
            FROM before b, sharing_sharedrecord sr
            WHERE b.local_id = m.dest_id AND sr.id = m.sr_id AND {same_values_sql("b.values", "sr.values")}
            RETURNING m.dest_id
        )
        INSERT INTO sharing_snapshot (share_id, job_id, company_id, registry, local_id, values, created_at)
        SELECT %(share)s, %(job)s, %(dest)s, %(registry)s, b.local_id, b.values, now()
        FROM before b WHERE b.local_id NOT IN (SELECT dest_id FROM same)
        ON CONFLICT (share_id, job_id, company_id, registry, local_id) DO NOTHING
        """,
        {"share": share.pk, "job": job.pk, "dest": dest_id, "registry": registry, "company_id": dest_id},
    )


def _copy_parties(share_id: int, dest_id: int) -> None:
    assignments = ", ".join(f"{f} = o.{f}" for f in _copied("party"))
    _execute(
        f"""
        UPDATE catalog_party d SET {assignments}, version = d.version + 1, updated_at = now()
        FROM act_match m JOIN catalog_party o ON o.id = m.origin_id
        WHERE m.dest_id = d.id AND NOT m.identical
        """
    )
    columns = ", ".join(_copied("party"))
    selected = ", ".join(f"o.{f}" for f in _copied("party"))
    local_columns, local_values = _new_copy_defaults("party")
    _execute(
        f"""
        WITH inserted AS (
            INSERT INTO catalog_party ({local_columns}, version, created_at, updated_at, {columns})
            SELECT {local_values}, 1, now(), now(), {selected}
            FROM act_match m JOIN catalog_party o ON o.id = m.origin_id
            WHERE m.dest_id IS NULL
            RETURNING id, cnpj_cpf
        )
        UPDATE act_match m SET dest_id = inserted.id, created = true
        FROM inserted WHERE m.match_key = inserted.cnpj_cpf AND m.dest_id IS NULL
        """,
        {"dest": dest_id, "share": share_id},
    )
    _execute(
        """
        INSERT INTO catalog_salesperson (company_id, name, email, active)
        SELECT DISTINCT ON (lower(s.email)) %(dest)s, s.name, lower(s.email), true
        FROM act_match m
        JOIN catalog_party_salespeople ps ON ps.party_id = m.origin_id
        JOIN catalog_salesperson s ON s.id = ps.salesperson_id
        ORDER BY lower(s.email), s.id
        ON CONFLICT DO NOTHING
        """,
        {"dest": dest_id},
    )
    _execute(
        "DELETE FROM catalog_party_salespeople WHERE party_id IN "
        "(SELECT dest_id FROM act_match WHERE NOT created AND NOT identical)"
    )
    _execute(
        """
        INSERT INTO catalog_party_salespeople (party_id, salesperson_id)
        SELECT DISTINCT m.dest_id, ds.id
        FROM act_match m
        JOIN catalog_party_salespeople ps ON ps.party_id = m.origin_id
        JOIN catalog_salesperson s ON s.id = ps.salesperson_id
        JOIN catalog_salesperson ds ON ds.company_id = %(dest)s AND lower(ds.email) = lower(s.email)
        WHERE NOT m.identical
        """,
        {"dest": dest_id},
    )


def _mark_product_conflicts(dest_id: int) -> None:
    """With "validação de unicidade" on in the destination, an origin product whose EAN is
    held there by a product under another code is not copied (it would be a duplicate).
    EANs are compared as GTIN-14 (lpad(ean, 14, '0'), the destination's index expression),
    as catalog/services.py and the preview do."""
    _execute(
        """
        UPDATE act_match m SET conflict = true
        FROM catalog_product o, companies_company c
        WHERE o.id = m.origin_id AND c.id = %(dest)s AND c.enforce_unique_records
          AND o.ean <> ''
          AND EXISTS (SELECT 1 FROM catalog_product x WHERE x.company_id = %(dest)s
                      AND lpad(x.ean, 14, '0') = lpad(o.ean, 14, '0') AND x.code <> o.code)
        """,
        {"dest": dest_id},
    )
    # The origin's own duplicates (its EAN shared by two codes) in the same chunk: the
    # first goes in, the others would be duplicates there.
    _execute(
        """
        UPDATE act_match m SET conflict = true
        FROM catalog_product o, companies_company c
        WHERE o.id = m.origin_id AND c.id = %(dest)s AND c.enforce_unique_records
          AND o.ean <> '' AND NOT m.conflict
          AND EXISTS (SELECT 1 FROM act_match m2 JOIN catalog_product o2 ON o2.id = m2.origin_id
                      WHERE lpad(o2.ean, 14, '0') = lpad(o.ean, 14, '0') AND m2.sr_id < m.sr_id
                        AND NOT m2.conflict)
        """,
        {"dest": dest_id},
    )


def _copy_products(share_id: int, dest_id: int) -> None:
    _execute(
        """
        INSERT INTO catalog_productfamily (company_id, name)
        SELECT DISTINCT ON (lower(f.name)) %(dest)s, f.name
        FROM act_match m JOIN catalog_product o ON o.id = m.origin_id
        JOIN catalog_productfamily f ON f.id = o.family_id
        WHERE NOT m.conflict
        ORDER BY lower(f.name), f.id
        ON CONFLICT DO NOTHING
        """,
        {"dest": dest_id},
    )
    family = (
        "LEFT JOIN catalog_productfamily of ON of.id = o.family_id "
        "LEFT JOIN catalog_productfamily df ON df.company_id = %(dest)s AND lower(df.name) = lower(of.name)"
    )
    assignments = ", ".join(f"{f} = o.{f}" for f in _copied("product"))
    _execute(
        f"""
        UPDATE catalog_product d SET {assignments}, family_id = df.id,
               version = d.version + 1, updated_at = now()
        FROM act_match m JOIN catalog_product o ON o.id = m.origin_id {family}
        WHERE m.dest_id = d.id AND NOT m.conflict AND NOT m.identical
        """,
        {"dest": dest_id},
    )
    columns = ", ".join(_copied("product"))
    selected = ", ".join(f"o.{f}" for f in _copied("product"))
    local_columns, local_values = _new_copy_defaults("product")
    _execute(
        f"""
        WITH inserted AS (
            INSERT INTO catalog_product ({local_columns}, family_id, version,
                                         created_at, updated_at, {columns})
            SELECT {local_values}, df.id, 1, now(), now(), {selected}
            FROM act_match m JOIN catalog_product o ON o.id = m.origin_id {family}
            WHERE m.dest_id IS NULL AND NOT m.conflict
            RETURNING id, code
        )
        UPDATE act_match m SET dest_id = inserted.id, created = true
        FROM inserted WHERE m.match_key = inserted.code AND m.dest_id IS NULL
        """,
        {"dest": dest_id, "share": share_id},
    )


def _copy_attachments(registry: str, dest_id: int) -> None:
    column = describe(registry).id_field
    _execute(
        _identifiers(
            "DELETE FROM catalog_attachment WHERE {column} IN "
            "(SELECT dest_id FROM act_match WHERE NOT created AND NOT conflict AND NOT identical)",
            column=column,
        )
    )
    # The other registry's column is left NULL: an attachment belongs to one record.
    _execute(
        _identifiers(
            """
            INSERT INTO catalog_attachment (company_id, {column}, blob_id, filename, is_image, created_at)
            SELECT %(dest)s, m.dest_id, a.blob_id, a.filename, a.is_image, now()
            FROM act_match m JOIN catalog_attachment a ON a.{column} = m.origin_id
            WHERE NOT m.conflict AND NOT m.identical
            """,
            column=column,
        ),
        {"dest": dest_id},
    )


def _link_matched(registry: str, dest_id: int) -> tuple[int, int, int, list[str]]:
    _execute(
        """
        INSERT INTO sharing_recordlink (shared_record_id, company_id, registry, local_id,
                                        applied_version, last_error, updated_at)
        SELECT sr_id, %(dest)s, %(registry)s, dest_id, version, '', now()
        FROM act_match WHERE dest_id IS NOT NULL AND NOT conflict
        """,
        {"dest": dest_id, "registry": registry},
    )
    created, overwritten, identical = _fetchone(
        "SELECT count(*) FILTER (WHERE created), "
        "count(*) FILTER (WHERE NOT created AND NOT conflict AND NOT identical), "
        "count(*) FILTER (WHERE identical) FROM act_match"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT sr.match_key FROM act_match m JOIN sharing_sharedrecord sr ON sr.id = m.sr_id "
            "WHERE m.conflict ORDER BY sr.match_key LIMIT %s",
            [MAX_LISTED_ERRORS],
        )
        conflicts = [row[0] for row in cursor.fetchall()]
    return created, overwritten, identical, conflicts


def copy_chunk(share: Share, job: SyncJob, registry: str, dest_id: int, lo: int, hi: int) -> dict[str, Any]:
    """Copy shared records with lo < id <= hi into one destination (inside a transaction)."""
    _fill_match(share, registry, dest_id, lo, hi)
    if registry in _MARK_CONFLICTS:
        _MARK_CONFLICTS[registry](dest_id)
    _snapshot_matched(share, job, registry, dest_id)
    _COPY[registry](share.pk, dest_id)
    _copy_attachments(registry, dest_id)
    created, overwritten, identical, conflicts = _link_matched(registry, dest_id)
    conflict_count = _fetchone("SELECT count(*) FROM act_match WHERE conflict")[0]
    _notify_written(registry, dest_id)
    _execute("DROP TABLE act_match")
    return {"created": created, "overwritten": overwritten, "identical": identical, "conflicts": conflict_count,
            "conflict_keys": conflicts}


def _notify_written(registry: str, dest_id: int) -> None:
    """Tell catalog's bulk listeners (webhooks) which destination rows this chunk created and
    overwrote (identical and conflicting rows were not written), in the chunk's transaction."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(array_agg(dest_id ORDER BY dest_id) FILTER (WHERE created), '{}'), "
            "coalesce(array_agg(dest_id ORDER BY dest_id) FILTER (WHERE NOT created), '{}') "
            "FROM act_match WHERE dest_id IS NOT NULL AND NOT conflict AND NOT identical"
        )
        created_ids, updated_ids = cursor.fetchone()
    hooks.notify_bulk_write(hooks.BulkWrite(
        registry=registry, company_id=dest_id, created_ids=tuple(created_ids), updated_ids=tuple(updated_ids),
        source="sharing",
    ))


# What differs per registry in a chunk: a product's EAN may be taken in the destination
# under another code (a conflict, left alone); the rows are copied each by its own SQL.
_MARK_CONFLICTS = {"product": _mark_product_conflicts}
_COPY = {"party": _copy_parties, "product": _copy_products}


# --- step 3: references that may point into any chunk --------------------------------------


def copy_product_relations(share: Share, dest_id: int) -> None:
    """Suppliers (by CNPJ/CPF) and structures (components by code) of every linked product."""
    _execute(
        """
        CREATE TEMP TABLE act_pairs ON COMMIT DROP AS
        SELECT dl.local_id AS dest_product, ol.local_id AS origin_product
        FROM sharing_recordlink dl
        JOIN sharing_sharedrecord sr ON sr.id = dl.shared_record_id
        JOIN sharing_recordlink ol ON ol.shared_record_id = sr.id AND ol.company_id = %(origin)s
        WHERE dl.company_id = %(dest)s AND sr.share_id = %(share)s AND sr.registry = 'product'
          AND sr.deleted_at IS NULL
        """,
        {"origin": share.origin_id, "dest": dest_id, "share": share.pk},
    )
    _execute("CREATE INDEX ON act_pairs (origin_product)")
    # Suppliers without CNPJ/CPF are never shared, so the origin's list cannot replace them:
    # the destination's own links to them stay (as every later change keeps them).
    _execute(
        """
        DELETE FROM catalog_product_suppliers ps USING catalog_party s
        WHERE s.id = ps.party_id AND s.cnpj_cpf <> ''
          AND ps.product_id IN (SELECT dest_product FROM act_pairs)
        """
    )
    # Of two parties with the supplier's CNPJ/CPF here, the shared (linked) one, as
    # propagation maps suppliers: it may be inactive (an inactive supplier is shared as one)
    # while a local duplicate is active. Then the active one, then the oldest.
    _execute(
        """
        INSERT INTO catalog_product_suppliers (product_id, party_id)
        SELECT DISTINCT ON (pr.dest_product, s.cnpj_cpf) pr.dest_product, dp.id
        FROM act_pairs pr
        JOIN catalog_product_suppliers ps ON ps.product_id = pr.origin_product
        JOIN catalog_party s ON s.id = ps.party_id AND s.cnpj_cpf <> ''
        JOIN catalog_party dp ON dp.company_id = %(dest)s AND dp.cnpj_cpf = s.cnpj_cpf
        ORDER BY pr.dest_product, s.cnpj_cpf,
                 EXISTS (SELECT 1 FROM sharing_recordlink l WHERE l.company_id = %(dest)s
                         AND l.registry = 'party' AND l.local_id = dp.id) DESC,
                 dp.active DESC, dp.id
        """,
        {"dest": dest_id},
    )
    _execute(
        "DELETE FROM catalog_billofmaterialsitem WHERE product_id IN (SELECT dest_product FROM act_pairs)"
    )
    _execute(
        """
        INSERT INTO catalog_billofmaterialsitem (product_id, component_id, quantity)
        SELECT pr.dest_product, dc.id, b.quantity
        FROM act_pairs pr
        JOIN catalog_billofmaterialsitem b ON b.product_id = pr.origin_product
        JOIN catalog_product oc ON oc.id = b.component_id
        JOIN catalog_product dc ON dc.company_id = %(dest)s AND dc.code = oc.code
        WHERE dc.id <> pr.dest_product
        """,
        {"dest": dest_id},
    )
    _execute("DROP TABLE act_pairs")


# --- the job ------------------------------------------------------------------------------


def _chunks(share: Share, registry: str) -> list[tuple[int, int, int]]:
    """The registry's chunks as (lo, hi, records): the shared records with lo < id <= hi,
    CHUNK_SIZE of them (fewer in the last). One pass over the registry's ids."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, n, total FROM (SELECT id, row_number() OVER (ORDER BY id) AS n, "
            "count(*) OVER () AS total FROM sharing_sharedrecord "
            "WHERE share_id = %s AND registry = %s AND deleted_at IS NULL) t "
            "WHERE n = 1 OR n %% %s = 0 OR n = total ORDER BY id",
            [share.pk, registry, CHUNK_SIZE],
        )
        marks = cursor.fetchall()
    if not marks:
        return []
    first_id, _n, total = marks[0]
    # (id, records up to and including it): the first chunk starts just below the first id.
    edges = [(first_id - 1, 0)] + [(i, n) for i, n, _t in marks if n % CHUNK_SIZE == 0 or n == total]
    return [(lo, hi, n_hi - n_lo) for (lo, n_lo), (hi, n_hi) in zip(edges, edges[1:], strict=False)]


def _bulk_session_settings() -> None:
    """For the transaction of one bulk step: memory for its hashes and sorts, and no wait
    for the WAL flush at commit. A commit lost to an OS crash only loses the last chunks,
    whose cursor is lost with them: the job redoes them when it resumes."""
    _execute("SET LOCAL work_mem = '64MB'")
    _execute("SET LOCAL synchronous_commit = off")


def _refresh_statistics(*tables: str) -> None:
    """ANALYZE tables this job has just grown. Autovacuum analyzes them later, but in the
    meantime the planner believes a destination has no links yet and plans joins with them
    for a single row: with 100,000 links a chunk's statements then take minutes instead of
    a second (measured: 50-115 s per 20,000-record chunk). Samples a bounded number of rows."""
    for table in tables:
        _execute(_identifiers("ANALYZE {table}", table=table))


def _renew(job: SyncJob, *, release: bool = False, **fields: Any) -> None:
    """Save progress and keep holding the job (or let it go when it is finished). Only the
    worker that claimed the job last may: one presumed dead (its lease lapsed and another
    worker took the job) gets LeaseLost, and its chunk's transaction rolls back."""
    if not (job.finish(**fields) if release else job.renew(**fields)):
        raise LeaseLost(job.pk)


class _Progress:
    """The job's cursor, counts and errors, shared by the threads that copy destinations
    side by side. A chunk's transaction writes the job row with its own step's progress on
    top of what the other steps have committed, and holds the lock until it has committed:
    no thread ever saves another's uncommitted (or rolled back) chunk as done."""

    def __init__(self, job: SyncJob, timings: dict[str, Any]) -> None:
        self.job = job
        self.lock = threading.Lock()
        self.threaded = False
        self.cursor: dict[str, Any] = dict(job.params.get("cursor", {}))
        self.counts = {key: job.counts.get(key, 0) for key in ("created", "overwritten", "identical", "conflicts")}
        # each destination's own figures, for its audit
        self.by_company: dict[str, dict[str, int]] = copy.deepcopy(job.counts.get("by_company", {}))
        self.errors: list[str] = list(job.errors)
        self.timings = timings
        self.done = job.done
        self.failed = threading.Event()
        self.parties_done: dict[int, threading.Event] = {}
        self._chunks: dict[str, list[tuple[int, int, int]]] = {}

    def chunks(self, share: Share, registry: str) -> list[tuple[int, int, int]]:
        """The registry's chunks, worked out once for every destination."""
        with self.lock:
            if registry not in self._chunks:
                self._chunks[registry] = _chunks(share, registry)
            return self._chunks[registry]

    def _state(self) -> tuple:
        return (copy.deepcopy(self.cursor), dict(self.counts), copy.deepcopy(self.by_company),
                list(self.errors), dict(self.timings), self.done)

    def _restore(self, state: tuple) -> None:
        self.cursor, self.counts, self.by_company, errors, timings, self.done = state
        self.errors[:] = errors
        self.timings.clear()
        self.timings.update(timings)

    def save(self) -> None:
        _renew(self.job, done=self.done,
               counts={**self.counts, "timings": self.timings, "by_company": self.by_company},
               errors=self.errors, params={**self.job.params, "cursor": self.cursor})

    def commit(self, work: Callable[[], Callable[[], None]]) -> None:
        """Run `work` in a bulk transaction; the function it returns records its progress,
        which is saved and committed under the lock (and forgotten if the commit fails)."""
        before = None
        try:
            with transaction.atomic():
                _bulk_session_settings()
                record = work()
                if self.threaded or len(connection.atomic_blocks) == 1:
                    # Check the chunk's deferred foreign keys now (a second or so for
                    # 50,000 records), not at commit under the lock, where they kept the
                    # other thread waiting, nor after the job row is written, where they
                    # kept the lease's heartbeat waiting for that row.
                    _execute("SET CONSTRAINTS ALL IMMEDIATE")
                self.lock.acquire()
                before = self._state()
                record()
                self.save()
        except BaseException:
            if before is not None:
                self._restore(before)
            raise
        finally:
            if before is not None:
                self.lock.release()


def _copy_step(share: Share, job: SyncJob, dest: ShareMember, registry: str, progress: _Progress) -> None:
    """Copy one registry into one destination, chunk by chunk, resuming at its cursor."""
    step = f"{dest.pk}:{registry}"
    done_up_to = progress.cursor.get(step, 0)
    if done_up_to == "done":
        if registry in _AWAITED:
            progress.parties_done.setdefault(dest.pk, threading.Event()).set()
        return
    t0 = time.monotonic()
    chunks_here = 0
    for lo, hi, records in progress.chunks(share, registry):
        if hi <= done_up_to:
            continue
        if progress.failed.is_set():
            raise _Aborted
        if chunks_here < 2:
            # The destination's links go from none to the whole registry during this step;
            # the first two chunks are when the planner's picture of them is most wrong
            # (see _refresh_statistics).
            _refresh_statistics("sharing_recordlink")
        chunks_here += 1
        start = max(lo, done_up_to)
        if start != lo:
            # Resumed inside a chunk (the chunk size changed since the cursor was saved).
            records = SharedRecord.objects.live().filter(
                share=share, registry=registry, pk__gt=start, pk__lte=hi
            ).count()

        def work(lo=start, hi=hi, records=records):
            result = copy_chunk(share, job, registry, dest.company_id, lo, hi)

            def record():
                mine = progress.by_company.setdefault(str(dest.company_id), dict.fromkeys(progress.counts, 0))
                for key in progress.counts:
                    progress.counts[key] += result[key]
                    mine[key] = mine.get(key, 0) + result[key]  # a job resumed from before "identical"
                for match_key in result["conflict_keys"]:
                    if len(progress.errors) < MAX_LISTED_ERRORS:
                        progress.errors.append(
                            f"{dest.company.display_name}: produto {match_key} não copiado — o EAN "
                            "já existe nesta empresa em outro código (validação de unicidade ativada)."
                        )
                progress.cursor[step] = hi
                progress.done += records

            return record

        progress.commit(work)
    if _REFERS_TO.get(registry) in share.registries:
        # Suppliers are found among this destination's clients/suppliers: wait for them.
        parties = progress.parties_done.setdefault(dest.pk, threading.Event())
        while not parties.wait(0.5):
            if progress.failed.is_set():
                raise _Aborted

    def finish():
        if registry in _RELATIONS:
            _RELATIONS[registry](share, dest.company_id)

        def record():
            progress.cursor[step] = "done"
            progress.timings[f"{dest.company_id}:{registry}_s"] = round(time.monotonic() - t0, 3)

        return record

    progress.commit(finish)
    if registry in _AWAITED:
        progress.parties_done.setdefault(dest.pk, threading.Event()).set()


def _create_shared_records_now(share: Share, registry: str) -> None:
    with transaction.atomic():
        _bulk_session_settings()
        create_shared_records(share, registry)


# Products name their suppliers among the destination's parties: a product step waits for
# the party step of the same destination, then copies suppliers and structures.
_REFERS_TO = {"product": "party"}
_AWAITED = frozenset(_REFERS_TO.values())
_RELATIONS = {"product": copy_product_relations}


class _Aborted(Exception):
    """Another thread of the same activation failed; this one stops between chunks."""


def _run_steps_in_threads(share: Share, job: SyncJob, steps: list[tuple[ShareMember, str]],
                          registries: list[str], progress: _Progress, threads: int) -> None:
    """Copy destinations side by side, each thread with its own database connection. The
    copy is write-bound inside PostgreSQL, so two connections use two cores (measured
    1.6x on two destinations); each step is still processed chunk by chunk, in order."""
    progress.threaded = True
    for dest, _registry in steps:
        event = progress.parties_done.setdefault(dest.pk, threading.Event())
        if not _AWAITED.intersection(registries):
            event.set()
    pending = list(steps)
    take = threading.Lock()

    def drain() -> None:
        try:
            while not progress.failed.is_set():
                with take:
                    if not pending:
                        return
                    dest, registry = pending.pop(0)
                _copy_step(share, job, dest, registry, progress)
        except _Aborted:
            pass
        except BaseException:
            progress.failed.set()  # the other threads stop between chunks
            raise

    run_in_threads([drain] * threads, name=f"activation-{job.pk}")


def run_activation(job: SyncJob) -> None:
    """Run (or resume) an activation job to the end. The caller has claimed the job."""
    share = Share.objects.select_related("origin").get(pk=job.share_id)
    members = list(
        ShareMember.objects.filter(pk__in=job.params["member_ids"]).select_related("company").order_by("pk")
    )
    destinations = [m for m in members if not m.is_origin]
    registries = share.registries
    timings = dict(job.counts.get("timings", {}))

    started = time.monotonic()
    refresh_stale_statistics(registries)
    parallel = ACTIVATION_THREADS > 1 and not connection.in_atomic_block
    if parallel and len(registries) > 1:
        # One registry per thread and transaction (each is idempotent on its own).
        run_in_threads([lambda registry=registry: _create_shared_records_now(share, registry)
                        for registry in registries], name=f"activation-{job.pk}")
    with transaction.atomic():
        _bulk_session_settings()
        if not parallel or len(registries) == 1:
            for registry in registries:
                create_shared_records(share, registry)
        totals = {
            r: SharedRecord.objects.live().filter(share=share, registry=r).count() for r in registries
        }
        total = sum(totals.values()) * len(destinations)
        _renew(job, total=total)
    _refresh_statistics("sharing_sharedrecord", "sharing_recordlink")
    timings.setdefault("shared_records_s", round(time.monotonic() - started, 3))

    progress = _Progress(job, timings)
    # Every destination's clients/suppliers first, then the products: the product step
    # of a destination ends with its suppliers, which point at its clients/suppliers.
    steps = [(dest, registry) for registry in registries for dest in destinations]
    threads = min(ACTIVATION_THREADS, len(steps))
    if threads > 1 and not connection.in_atomic_block:
        _run_steps_in_threads(share, job, steps, registries, progress, threads)
    else:
        # Inside a caller's transaction (the tests) other connections would not see it.
        for dest, registry in steps:
            _copy_step(share, job, dest, registry, progress)
    counts, by_company, errors = progress.counts, progress.by_company, progress.errors

    with transaction.atomic():
        now = timezone.now()
        ShareMember.objects.filter(pk__in=[m.pk for m in members]).exclude(
            state=ShareMember.State.REMOVED
        ).update(state=ShareMember.State.ACTIVE, activated_at=now)
        if share.status == Share.Status.ACTIVATING:
            Share.objects.filter(pk=share.pk).update(
                status=Share.Status.ACTIVE, activated_at=now, activated_by_id=job.created_by_id
            )
        timings["total_s"] = round(time.monotonic() - started + timings.get("total_s", 0), 3)
        for dest in destinations:
            mine = by_company.get(str(dest.company_id), dict.fromkeys(counts, 0))
            AuditEntry.objects.create(
                share=share, company_id=dest.company_id, actor_id=job.created_by_id,
                action=AuditEntry.Action.ACTIVATE,
                detail=f"Sincronismo ativado ({share.get_registries_display()}): {activation_summary(mine)}",
            )
        _renew(job, done=job.total, finished_at=now,
               counts={**counts, "timings": timings, "by_company": by_company}, errors=errors, release=True)
    from sharing.propagation import enqueue_catch_up

    for dest in destinations:
        enqueue_catch_up(share.pk, dest.company_id)
