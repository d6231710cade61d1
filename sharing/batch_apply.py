"""Batched, set-based application of a share's accepted changes (docs/ARCHITECTURE.md §4).

`apply_pending(share_id)` claims a batch of the share's pending Change rows
(`FOR UPDATE SKIP LOCKED`, oldest first, so several workers drain disjoint batches side by
side) and brings every active member up to date with the batch's shared records in one
transaction, with a fixed number of statements per member and registry, whatever the
batch's size:

  lock the members (FOR SHARE, as apply_record's _still_a_member: a removal waits) →
  per member: the links that lag (applied_version < SharedRecord.version), then their
  local rows and the links FOR UPDATE in id order (parties, products, links: the web's
  order is local row → link → SharedRecord, and the engine never locks a SharedRecord
  here) → a temp table of (shared record, link, local row, version, values) read after
  the locks → the local row's current canonical values (sharing/canonical.py) → the rows
  that stay per record (below) → UPDATE the rows from the JSON (`jsonb_populate_record`,
  the canonical values' keys are the plain fields' column names) with family, salespeople,
  suppliers and attachments mapped as propagation.to_local_data maps them → the links'
  applied_version → one AuditEntry APPLY per row → catalog.hooks.notify_bulk_write.

Applying is state-based as before: the SharedRecord's values at the time of the locks are
written with their version, and a link that already holds that version is left alone. So
the order per record holds (two batches with changes of one record both write the newest
state, or the second finds nothing to do), delivery may be repeated, and a batch killed
at any point (the worker, or its connection) rolls back whole: its changes stay pending
and the next task or the watchdog claims them again.

New records are inserted set-based when nothing about them needs a decision (_create_rows).
Per record, through propagation.apply_record and catalog/services.py as before (rare):
other new records (adopting an unlinked row with the key, say), deletions,
a key or (with validação de unicidade) an EAN that changes, a structure that changes, and
supplier documents the member does not hold yet (apply_record brings them first, or fails
the product with the reason). A set-based statement that fails (a constraint, a missing
attachment) rolls back that member's savepoint and its records go per record too, where
each failure is recorded as it always was: link.last_error, AuditEntry APPLY_FAILED, the
Change FAILED with last_error (retried by the watchdog, listed on the share page).
"""

from __future__ import annotations

import logging
import os
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db import DatabaseError, connection, transaction
from psycopg import sql

from catalog.hooks import BulkWrite, notify_bulk_write
from catalog.registries import describe
from omieshare.lib.jobs import enqueue_once_on_commit
from sharing.canonical import canonical_sql, plain_fields, same_values_sql
from sharing.metrics import observe_apply_lag
from sharing.models import AuditEntry, Change, RecordLink, ShareMember
from sharing.tasks import MAX_CHANGE_ATTEMPTS, is_transient

logger = logging.getLogger(__name__)

# Changes claimed per batch (one transaction). A batch's cost is a fixed number of
# statements per member plus the rows it writes: larger batches pay the fixed part less
# often but hold their rows' locks longer (a member's edit of one of them waits).
BATCH_SIZE = int(os.environ.get("OMIESHARE_APPLY_BATCH", "1000"))
# A task drains batches for about this long, then hands the rest to a new task, so that a
# backlog does not keep one worker forever (other tasks and the sweeper's work go on).
TASK_SECONDS = float(os.environ.get("OMIESHARE_APPLY_TASK_SECONDS", "20"))

# Parties first: products name them as suppliers.
_REGISTRY_ORDER = ("party", "product")


def _execute(statement: str, params: Any = None) -> int:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.rowcount


def _fetchall(statement: str, params: Any = None) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall()


def _identifiers(text: str, **names: str) -> str:
    return sql.SQL(text).format(**{k: sql.Identifier(v) for k, v in names.items()}).as_string()


# --- waking the task ---------------------------------------------------------------------

# A batch task enqueued this long ago that has still not started was lost (its worker died
# before it ran): a write enqueues another, whatever the flag says.
QUEUED_FOR_SECONDS = 60


def wake_on_commit(share_id: int) -> None:
    """After the current transaction commits, enqueue the share's batch task, unless one is
    already enqueued and not started (Share.apply_queued_at): a thousand API writes make a
    handful of tasks, not a thousand. The task clears the flag before it claims anything,
    so a change committed after its last claim always enqueues a new one."""

    def already_queued() -> bool:
        return not _execute(
            "UPDATE sharing_share SET apply_queued_at = now() WHERE id = %s AND (apply_queued_at IS NULL "
            "OR apply_queued_at < now() - make_interval(secs => %s))",
            [share_id, QUEUED_FOR_SECONDS],
        )

    enqueue_once_on_commit("sharing.tasks.apply_pending", share_id, unless=already_queued)


# --- the task --------------------------------------------------------------------------


def apply_pending(share_id: int, retry_failed: bool = False) -> int:
    """Drain the share's pending changes (with `retry_failed`, its failed ones not yet given
    up, each once), batch by batch, for about TASK_SECONDS; then enqueue the rest as a new
    task. Returns the number of changes claimed. With nothing pending: two queries (the
    flag cleared, the empty claim)."""
    started = time.monotonic()
    after, claimed, retries = 0, 0, 0
    # Before the first claim: what commits from now on enqueues a task of its own.
    _execute("UPDATE sharing_share SET apply_queued_at = NULL WHERE id = %s AND apply_queued_at IS NOT NULL",
             [share_id])
    while True:
        try:
            with transaction.atomic():
                batch = _claim(share_id, after=after, retry_failed=retry_failed)
                if not batch:
                    return claimed
                apply_changes(share_id, batch)
        except DatabaseError as error:
            # A dropped connection or a deadlock: everything of this batch rolled back.
            if connection.in_atomic_block or not is_transient(error) or retries >= 5:
                raise
            retries += 1
            logger.warning("batch of share %s: transient database error, retrying: %s", share_id, error)
            connection.close()
            time.sleep(min(5.0, 0.25 * 2 ** retries))
            continue
        retries = 0
        claimed += len(batch)
        after = batch[-1].id
        if len(batch) < BATCH_SIZE:
            return claimed
        if time.monotonic() - started > TASK_SECONDS and not connection.in_atomic_block:
            from django_q.tasks import async_task

            async_task("sharing.tasks.apply_pending", share_id, retry_failed)
            return claimed


@dataclass
class _Claimed:
    id: int
    shared_record_id: int
    version: int
    attempts: int


def _claim(share_id: int, *, after: int, retry_failed: bool) -> list[_Claimed]:
    statuses = [Change.Status.PENDING] + ([Change.Status.FAILED] if retry_failed else [])
    rows = _fetchall(
        """
        SELECT id, shared_record_id, version, attempts FROM sharing_change
        WHERE share_id = %s AND status = ANY(%s) AND id > %s AND attempts < %s
        ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED
        """,
        [share_id, statuses, after, MAX_CHANGE_ATTEMPTS, BATCH_SIZE],
    )
    return [_Claimed(*row) for row in rows]


def apply_changes(share_id: int, changes: list[_Claimed]) -> dict[int, list[str]]:
    """Apply the claimed changes' records to every active member and mark the changes
    (inside the caller's transaction). Returns {shared_record_id: [errors]}."""
    record_ids = sorted({change.shared_record_id for change in changes})
    newest: dict[int, _Claimed] = {}
    for change in changes:
        if change.shared_record_id not in newest or change.version > newest[change.shared_record_id].version:
            newest[change.shared_record_id] = change
    result = apply_records(share_id, record_ids, failure_change={k: v.id for k, v in newest.items()},
                           attempts={k: v.attempts for k, v in newest.items()})
    failed = [change.id for change in changes if change.shared_record_id in result.errors]
    applied = [change.id for change in changes if change.shared_record_id not in result.errors]
    if applied:
        lags = _fetchall(
            "UPDATE sharing_change SET status = %s, attempts = attempts + 1, last_error = '', "
            "applied_at = now() WHERE id = ANY(%s) AND status <> %s "
            "RETURNING extract(epoch FROM now() - created_at)",
            [Change.Status.APPLIED, applied, Change.Status.APPLIED],
        )
        observe_apply_lag(lag for (lag,) in lags)
    if failed:
        by_record = {k: "\n".join(v) for k, v in result.errors.items()}
        _execute(
            """
            UPDATE sharing_change c SET status = %s, attempts = c.attempts + 1, last_error = e.message,
                   applied_at = NULL
            FROM unnest(%s::bigint[], %s::text[]) AS e(record_id, message)
            WHERE c.id = ANY(%s) AND c.shared_record_id = e.record_id
            """,
            [Change.Status.FAILED, list(by_record), list(by_record.values()), failed],
        )
    return result.errors


# --- applying records to members ---------------------------------------------------------


@dataclass
class Result:
    errors: dict[int, list[str]] = field(default_factory=lambda: defaultdict(list))
    set_based: int = 0  # (record, member) pairs written set-based
    per_record: int = 0  # … and through apply_record


def apply_records(
    share_id: int,
    record_ids: list[int],
    *,
    company_ids: list[int] | None = None,
    failure_change: dict[int, int] | None = None,
    attempts: dict[int, int] | None = None,
) -> Result:
    """Bring the active members (or those of `company_ids`) up to date with these shared
    records, inside the caller's transaction. A record's failure in a member is recorded on
    its link and, with `failure_change` (record → the change that failed), in the audit."""
    result = Result()
    if not record_ids:
        return result
    # No JIT compilation: with apply_rows analyzed, the estimated cost of a batch's INSERTs
    # passes PostgreSQL's threshold, and compiling them took 230 ms each, executing 15 ms.
    _execute("SET LOCAL jit = off")
    members = _fetchall(
        """
        SELECT m.company_id, c.trade_name, c.legal_name, c.enforce_unique_records
        FROM sharing_sharemember m JOIN companies_company c ON c.id = m.company_id
        WHERE m.share_id = %s AND m.state = %s AND (%s::bigint[] IS NULL OR m.company_id = ANY(%s::bigint[]))
        ORDER BY m.id FOR SHARE OF m
        """,
        [share_id, ShareMember.State.ACTIVE, company_ids, company_ids],
    )
    for company_id, trade_name, legal_name, enforce_unique in members:
        name = trade_name or legal_name
        try:
            with transaction.atomic():
                slow, written = _apply_member(share_id, company_id, record_ids, enforce_unique=enforce_unique)
        except DatabaseError as error:
            if connection.needs_rollback or _connection_broken(error):
                raise
            # A statement of the set-based path failed (a constraint, a missing blob): its
            # savepoint is undone, and this member's records go one by one, where each
            # failure is recorded with its reason.
            logger.warning("set-based apply to company %s failed, applying per record: %s", company_id, error)
            slow, written = _lagging(company_id, record_ids), 0
        result.set_based += written
        for registry, shared_record_id in slow:
            result.per_record += 1
            _apply_one(share_id, registry, shared_record_id, company_id, name, result,
                       (failure_change or {}).get(shared_record_id), (attempts or {}).get(shared_record_id, 0))
    return result


def _connection_broken(error: DatabaseError) -> bool:
    return is_transient(error)


def _apply_one(share_id, registry, shared_record_id, company_id, name, result, change_id, attempts) -> None:
    from sharing import propagation

    before = RecordLink.objects.filter(shared_record_id=shared_record_id, company_id=company_id).values_list(
        "applied_version", flat=True).first()
    try:
        with transaction.atomic():
            local_id = propagation.apply_record(shared_record_id, company_id)
    except Exception as error:  # noqa: BLE001 — recorded, retried, never lost
        if isinstance(error, DatabaseError) and _connection_broken(error):
            raise
        logger.exception("applying shared record %s to company %s failed", shared_record_id, company_id)
        message = propagation.error_text(error)
        result.errors[shared_record_id].append(f"{name}: {message}")
        RecordLink.objects.filter(shared_record_id=shared_record_id, company_id=company_id).update(
            last_error=message[:2000]
        )
        if change_id is not None:
            fields = Change.objects.filter(pk=change_id).values_list("changed_fields", flat=True).first() or []
            AuditEntry.objects.create(
                share_id=share_id, company_id=company_id, action=AuditEntry.Action.APPLY_FAILED,
                registry=registry, shared_record_id=shared_record_id, change_id=change_id, fields=fields,
                detail=f"tentativa {attempts + 1}: {message}"[:4000],
            )
        return
    if local_id is not None:
        # The audit names the first change this member receives (its inclusion, for a
        # record new here), as apply_change named the change it was applying.
        changes = Change.objects.filter(shared_record_id=shared_record_id)
        if before is None:
            changes = changes.filter(action=Change.Action.CREATE).order_by("-version")
        else:
            changes = changes.filter(version__gt=before).order_by("version")
        change = changes.values("pk", "changed_fields").first() or {"pk": None, "changed_fields": []}
        version = RecordLink.objects.filter(shared_record_id=shared_record_id, company_id=company_id).values_list(
            "applied_version", flat=True).first()
        AuditEntry.objects.create(
            share_id=share_id, company_id=company_id, action=AuditEntry.Action.APPLY, registry=registry,
            shared_record_id=shared_record_id, change_id=change["pk"], local_id=local_id,
            fields=change["changed_fields"], detail=f"versão {version} aplicada",
        )


def _lagging(company_id: int, record_ids: list[int]) -> list[tuple[str, int]]:
    """(registry, shared record) of the records this member does not hold yet: lagging
    links, and records with no link here (new ones; deletions of a copy it never had are
    nothing to do). Parties first."""
    rows = _fetchall(
        """
        SELECT sr.registry, sr.id FROM sharing_sharedrecord sr
        LEFT JOIN sharing_recordlink l ON l.shared_record_id = sr.id AND l.company_id = %s
        WHERE sr.id = ANY(%s)
          AND (l.applied_version < sr.version OR (l.id IS NULL AND sr.deleted_at IS NULL))
        """,
        [company_id, record_ids],
    )
    return sorted(rows, key=lambda row: (_REGISTRY_ORDER.index(row[0]), row[1]))


def _apply_member(
    share_id: int, company_id: int, record_ids: list[int], *, enforce_unique: bool
) -> tuple[list[tuple[str, int]], int]:
    """The set-based part for one member. Returns the records left for apply_record and
    the number of rows brought up to date here."""
    # 1. What lags here, read without locks, to know which rows to lock.
    lagging = _fetchall(
        """
        SELECT l.registry, l.local_id, l.id FROM sharing_recordlink l
        JOIN sharing_sharedrecord sr ON sr.id = l.shared_record_id
        WHERE l.company_id = %s AND l.shared_record_id = ANY(%s) AND l.applied_version < sr.version
        """,
        [company_id, record_ids],
    )
    # 2. Locks, in the one order: local rows (parties, then products, by id), then links.
    by_registry: dict[str, list[int]] = defaultdict(list)
    for registry, local_id, _link_id in lagging:
        by_registry[registry].append(local_id)
    for registry in _REGISTRY_ORDER:
        if by_registry.get(registry):
            _execute(
                _identifiers("SELECT id FROM {table} WHERE id = ANY(%s) ORDER BY id FOR UPDATE",
                             table=describe(registry).table),
                [sorted(by_registry[registry])],
            )
    locked = sorted(link_id for _registry, _local_id, link_id in lagging)
    if locked:
        _execute("SELECT id FROM sharing_recordlink WHERE id = ANY(%s) ORDER BY id FOR UPDATE", [locked])
    # 3. The work, read after the locks (each statement sees what committed before it):
    # only links locked above (one that started to lag since is another change's work, and
    # writing it unlocked could undo a member's edit made meanwhile), and records with no
    # link here (new to this member; they go per record, which takes its own locks).
    _execute(
        """
        CREATE TEMP TABLE apply_rows ON COMMIT DROP AS
        SELECT sr.id AS sr_id, sr.registry, sr.version, sr.values, sr.deleted_at IS NOT NULL AS deleted,
               l.id AS link_id, l.local_id, l.applied_version AS old_version, NULL::jsonb AS cur,
               (l.id IS NULL OR sr.deleted_at IS NOT NULL) AS slow, false AS same, false AS created
        FROM sharing_sharedrecord sr
        LEFT JOIN sharing_recordlink l ON l.shared_record_id = sr.id AND l.company_id = %s
        WHERE sr.id = ANY(%s)
          AND ((l.id = ANY(%s) AND l.applied_version < sr.version) OR (l.id IS NULL AND sr.deleted_at IS NULL))
        """,
        [company_id, record_ids, locked],
    )
    # Statistics of the batch (a few ms for 1,000 rows): planned as the one row a fresh
    # temp table is taken for, the statements below joined it by nested loops that cost
    # 20 times more (_apply_registry).
    _execute("ANALYZE apply_rows")
    registries = [row[0] for row in _fetchall(
        "SELECT DISTINCT registry FROM apply_rows WHERE NOT slow OR (link_id IS NULL AND NOT deleted)"
    )]
    written = 0
    for registry in sorted(registries, key=_REGISTRY_ORDER.index):
        written += _apply_registry(registry, share_id, company_id, enforce_unique=enforce_unique)
    slow = _fetchall("SELECT registry, sr_id FROM apply_rows WHERE slow")
    _execute("DROP TABLE apply_rows")
    return sorted(slow, key=lambda row: (_REGISTRY_ORDER.index(row[0]), row[1])), written


def _apply_registry(registry: str, share_id: int, company_id: int, *, enforce_unique: bool) -> int:
    descriptor = describe(registry)
    params = {"share_id": share_id, "company_id": company_id, "registry": registry, "enforce": enforce_unique}
    fast = "b.registry = %(registry)s AND NOT b.slow"
    # The local rows' canonical values now: what differs is what gets written. The batch's
    # rows are read first (a materialized CTE) and the references aggregated from them, with
    # apply_rows analyzed (_apply_member): over the whole table, the planner's choices took
    # 365 ms per member for 1,000 products of 110,000 (hash joins reading every row of the
    # company, or nested loops re-aggregating the suppliers per row); this way, 20 ms.
    canonical = canonical_sql(registry, rows="batch_rows")
    batch_rows = _identifiers(
        "SELECT * FROM {table} WHERE id IN "
        "(SELECT local_id FROM apply_rows WHERE registry = %(registry)s AND NOT slow)",
        table=descriptor.table,
    )
    _execute(
        f"WITH batch_rows AS MATERIALIZED ({batch_rows}) "
        f"UPDATE apply_rows b SET cur = c.values FROM ({canonical}) c WHERE c.local_id = b.local_id AND {fast}",
        params,
    )
    _execute(f"UPDATE apply_rows b SET slow = true WHERE {fast} AND ({_SLOW[registry]})", params)
    _execute(
        f"UPDATE apply_rows b SET same = true WHERE {fast} AND {same_values_sql('b.cur', 'b.values')}", params
    )
    created = _create_rows(registry, params)
    _WRITE[registry](company_id)
    updated = [row[0] for row in _fetchall(
        f"SELECT b.local_id FROM apply_rows b WHERE {fast} AND NOT b.same AND NOT b.created ORDER BY b.local_id",
        params,
    )]
    _execute(
        f"""
        UPDATE sharing_recordlink l SET applied_version = b.version, last_error = '', updated_at = now()
        FROM apply_rows b WHERE l.id = b.link_id AND {fast}
        """,
        params,
    )
    if created:
        # A concurrent batch that created the same record here first makes this fail (the
        # link is unique per record and company): the savepoint undoes the rows, and the
        # records go per record, finding its link.
        _execute(
            f"""
            INSERT INTO sharing_recordlink (shared_record_id, company_id, registry, local_id, applied_version,
                                            last_error, updated_at)
            SELECT b.sr_id, %(company_id)s, b.registry, b.local_id, b.version, '', now()
            FROM apply_rows b WHERE {fast} AND b.created ORDER BY b.sr_id
            """,
            params,
        )
    # One audit line per row: the first change this member receives (its inclusion, for a
    # record new here), as apply_change named the change it applied, with the fields of
    # every change the version written carries.
    count = _execute(
        f"""
        INSERT INTO sharing_auditentry (share_id, company_id, action, registry, shared_record_id, change_id,
                                        local_id, fields, old_values, new_values, detail, created_at)
        SELECT %(share_id)s, %(company_id)s, %(action)s, b.registry, b.sr_id, ch.id, b.local_id,
               COALESCE(fl.names, '[]'::jsonb), '{{}}'::jsonb, '{{}}'::jsonb,
               'versão ' || b.version || ' aplicada', now()
        FROM apply_rows b
        LEFT JOIN LATERAL (SELECT c.id FROM sharing_change c
                           WHERE c.shared_record_id = b.sr_id
                             AND CASE WHEN b.created THEN c.action = 'create' ELSE c.version > b.old_version END
                           ORDER BY CASE WHEN b.created THEN -c.version ELSE c.version END LIMIT 1) ch ON true
        LEFT JOIN LATERAL (
            SELECT jsonb_agg(f.name ORDER BY f.first) AS names FROM (
                SELECT e.name, min(c.version::bigint * 1000 + e.n) AS first
                FROM sharing_change c, jsonb_array_elements_text(c.changed_fields) WITH ORDINALITY AS e(name, n)
                WHERE c.shared_record_id = b.sr_id AND c.version > COALESCE(b.old_version, 0)
                  AND c.version <= b.version
                GROUP BY e.name) f) fl ON true
        WHERE {fast}
        """,
        {**params, "action": AuditEntry.Action.APPLY},
    )
    if updated or created:
        notify_bulk_write(BulkWrite(registry=descriptor.name, company_id=company_id, created_ids=tuple(created),
                                    updated_ids=tuple(updated), source="sharing"))
    return count


def _create_rows(registry: str, params: dict[str, Any]) -> list[int]:
    """Insert this member's copy of the records new here that need nothing per record: no
    row of the company holds the key (one unlinked would be adopted, after a Snapshot, by
    apply_record), and, for products, no structure, suppliers all held here, and no EAN
    taken where duplicates are refused. Returns the new rows' ids."""
    descriptor = describe(registry)
    key = descriptor.key
    marked = _execute(
        _identifiers(
            f"""
            UPDATE apply_rows b SET slow = false, created = true
            WHERE b.registry = %(registry)s AND b.link_id IS NULL AND NOT b.deleted
              AND b.values->>%(key)s <> ''
              AND NOT EXISTS (SELECT 1 FROM {{table}} x WHERE x.company_id = %(company_id)s
                              AND x.{{key}} = b.values->>%(key)s)
              {_CREATE_CONDITIONS[registry]}
            """,
            table=descriptor.table, key=key,
        ),
        {**params, "key": key},
    )
    if not marked:
        return []
    local_columns, local_values = _new_copy_defaults(registry)
    columns = ", ".join(sql.Identifier(name).as_string() for name in plain_fields(registry))
    selected = ", ".join(f"r.{sql.Identifier(name).as_string()}" for name in plain_fields(registry))
    family_column, family_value, family_join = "", "", ""
    if registry == "product":
        _insert_families(params)
        family_column, family_value = "family_id, ", "f.id, "
        family_join = ("LEFT JOIN catalog_productfamily f ON f.company_id = %(company_id)s "
                       "AND lower(f.name) = lower(b.values->>'family') AND b.values->>'family' <> ''")
    rows = _fetchall(
        _identifiers(
            f"""
            WITH inserted AS (
                INSERT INTO {{table}} ({local_columns}, {family_column}version, created_at, updated_at, {columns})
                SELECT {local_values}, {family_value}1, now(), now(), {selected}
                FROM apply_rows b CROSS JOIN LATERAL jsonb_populate_record(NULL::{{table}}, b.values) r
                {family_join}
                WHERE b.registry = %(registry)s AND b.created
                ORDER BY b.sr_id
                RETURNING id, {{key}}
            )
            UPDATE apply_rows b SET local_id = inserted.id
            FROM inserted WHERE b.registry = %(registry)s AND b.created AND b.values->>%(key)s = inserted.{{key}}
            RETURNING b.local_id
            """,
            table=descriptor.table, key=key,
        ),
        {**params, "key": key},
    )
    return sorted(row[0] for row in rows)


def _new_copy_defaults(registry: str) -> tuple[str, str]:
    """(columns, values) a new copy starts with: its company and the descriptor's local-only
    defaults (activation's _new_copy_defaults)."""
    descriptor = describe(registry)
    defaults = {k: v for k, v in descriptor.new_copy_defaults.items() if k not in descriptor.shared_fields}
    columns = ["company_id", *(sql.Identifier(name).as_string() for name in defaults)]
    return ", ".join(columns), ", ".join(["%(company_id)s", *defaults.values()])


_CREATE_CONDITIONS = {
    "party": "",
    "product": """
        AND b.values->'bom' = '[]'::jsonb
        AND NOT EXISTS (SELECT 1 FROM jsonb_array_elements_text(b.values->'suppliers') AS doc(value)
                        WHERE NOT EXISTS (SELECT 1 FROM catalog_party x WHERE x.company_id = %(company_id)s
                                          AND x.cnpj_cpf = doc.value))
        AND NOT (%(enforce)s AND b.values->>'ean' <> '' AND EXISTS (
            SELECT 1 FROM catalog_product x WHERE x.company_id = %(company_id)s
              AND lpad(x.ean, 14, '0') = lpad(b.values->>'ean', 14, '0')))
        AND NOT EXISTS (SELECT 1 FROM apply_rows o WHERE o.registry = 'product' AND o.sr_id <> b.sr_id
                        AND %(enforce)s AND b.values->>'ean' <> ''
                        AND lpad(o.values->>'ean', 14, '0') = lpad(b.values->>'ean', 14, '0'))
    """,
}


# Rows that go per record, by registry (b = apply_rows, b.cur the local row's values):
# no canonical values (a party that lost its document), a key that changes (references
# are renamed, the key's uniqueness checked with its message), an EAN that changes where
# duplicates are refused, a structure that changes (cycles and components by code), and
# supplier documents this company does not hold (apply_record brings them in first).
_SLOW = {
    "party": "b.cur IS NULL OR b.cur->>'cnpj_cpf' IS DISTINCT FROM b.values->>'cnpj_cpf'",
    "product": """
        b.cur IS NULL OR b.cur->>'code' IS DISTINCT FROM b.values->>'code'
        OR (%(enforce)s AND b.cur->>'ean' IS DISTINCT FROM b.values->>'ean')
        OR b.cur->'bom' IS DISTINCT FROM b.values->'bom'
        OR (b.cur->'suppliers' IS DISTINCT FROM b.values->'suppliers' AND EXISTS (
            SELECT 1 FROM jsonb_array_elements_text(b.values->'suppliers') AS doc(value)
            WHERE NOT EXISTS (SELECT 1 FROM catalog_party x WHERE x.company_id = %(company_id)s
                              AND x.cnpj_cpf = doc.value)))
    """,
}


def _plain_assignments(registry: str) -> str:
    """`col = r.col, …` for the registry's plain fields, read from the canonical values by
    jsonb_populate_record (a key is its column's name; values are cast to the column's type:
    price "12.50" → numeric, characteristics' pairs → jsonb)."""
    model = describe(registry).model
    names = []
    for name in plain_fields(registry):
        column = model._meta.get_field(name).column
        if column != name:
            raise AssertionError(f"{registry}.{name}: canonical key and column differ ({column})")
        names.append(sql.Identifier(name).as_string())
    return ", ".join(f"{name} = r.{name}" for name in names)


_CHANGED = "b.registry = %(registry)s AND NOT b.slow AND NOT b.same"
_UPDATED = f"{_CHANGED} AND NOT b.created"  # the rows that were there: created ones are inserted whole


def _write_parties(company_id: int) -> None:
    params = {"company_id": company_id, "registry": "party"}
    _execute(
        f"""
        UPDATE catalog_party d SET {_plain_assignments("party")}, version = d.version + 1, updated_at = now()
        FROM apply_rows b, jsonb_populate_record(NULL::catalog_party, b.values) r
        WHERE d.id = b.local_id AND {_UPDATED}
        """,
        params,
    )
    _write_salespeople(params)
    _write_attachments("party", params)


def _write_salespeople(params: dict[str, Any]) -> None:
    """By e-mail, created if missing (propagation._salesperson_id), for the rows whose
    salespeople (e-mails) differ."""
    differs = (f"{_CHANGED} AND jsonb_path_query_array(b.cur->'salespeople', '$[*][0]') "
               "IS DISTINCT FROM jsonb_path_query_array(b.values->'salespeople', '$[*][0]')")
    _execute(
        f"""
        INSERT INTO catalog_salesperson (company_id, name, email, active)
        SELECT DISTINCT ON (lower(s->>0)) %(company_id)s, s->>1, s->>0, true
        FROM apply_rows b, jsonb_array_elements(b.values->'salespeople') AS s
        WHERE {differs} AND NOT EXISTS (SELECT 1 FROM catalog_salesperson x
                                        WHERE x.company_id = %(company_id)s AND lower(x.email) = lower(s->>0))
        ORDER BY lower(s->>0)
        ON CONFLICT DO NOTHING
        """,
        params,
    )
    _execute(
        "DELETE FROM catalog_party_salespeople WHERE party_id IN "
        f"(SELECT b.local_id FROM apply_rows b WHERE {differs})",
        params,
    )
    _execute(
        f"""
        INSERT INTO catalog_party_salespeople (party_id, salesperson_id)
        SELECT DISTINCT b.local_id, x.id
        FROM apply_rows b, jsonb_array_elements(b.values->'salespeople') AS s, catalog_salesperson x
        WHERE {differs} AND x.company_id = %(company_id)s AND lower(x.email) = lower(s->>0)
        """,
        params,
    )


def _write_attachments(registry: str, params: dict[str, Any]) -> None:
    """The row's attachments become exactly the shared ones (by content hash, file name and
    kind), as catalog.services._set_attachments makes them; a blob not stored fails the
    statement (its foreign key), and the member's rows go per record with the message."""
    column = describe(registry).id_field
    differs = f"{_CHANGED} AND b.cur->'attachments' IS DISTINCT FROM b.values->'attachments'"
    _execute(
        _identifiers(
            f"""
            DELETE FROM catalog_attachment a USING apply_rows b
            WHERE a.{{column}} = b.local_id AND {differs}
              AND NOT b.values->'attachments' @> jsonb_build_array(jsonb_build_array(a.blob_id, a.filename, a.is_image))
            """,
            column=column,
        ),
        params,
    )
    _execute(
        _identifiers(
            f"""
            INSERT INTO catalog_attachment (company_id, {{column}}, blob_id, filename, is_image, created_at)
            SELECT DISTINCT %(company_id)s, b.local_id, w->>0, w->>1, (w->>2)::boolean, now()
            FROM apply_rows b, jsonb_array_elements(b.values->'attachments') AS w
            WHERE {differs} AND NOT EXISTS (
                SELECT 1 FROM catalog_attachment a WHERE a.{{column}} = b.local_id AND a.blob_id = w->>0
                  AND a.filename = w->>1 AND a.is_image = (w->>2)::boolean)
            """,
            column=column,
        ),
        params,
    )


def _insert_families(params: dict[str, Any]) -> None:
    """Families by name, created if missing (propagation._family_id)."""
    _execute(
        f"""
        INSERT INTO catalog_productfamily (company_id, name)
        SELECT DISTINCT ON (lower(b.values->>'family')) %(company_id)s, b.values->>'family'
        FROM apply_rows b
        WHERE {_CHANGED} AND b.values->>'family' <> ''
          AND NOT EXISTS (SELECT 1 FROM catalog_productfamily f WHERE f.company_id = %(company_id)s
                          AND lower(f.name) = lower(b.values->>'family'))
        ORDER BY lower(b.values->>'family')
        ON CONFLICT DO NOTHING
        """,
        params,
    )


def _write_products(company_id: int) -> None:
    params = {"company_id": company_id, "registry": "product"}
    _insert_families(params)
    _execute(
        f"""
        UPDATE catalog_product d SET {_plain_assignments("product")}, family_id = f.id,
               version = d.version + 1, updated_at = now()
        FROM apply_rows b CROSS JOIN LATERAL jsonb_populate_record(NULL::catalog_product, b.values) r
        LEFT JOIN catalog_productfamily f ON f.company_id = %(company_id)s
             AND lower(f.name) = lower(b.values->>'family') AND b.values->>'family' <> ''
        WHERE d.id = b.local_id AND {_UPDATED}
        """,
        params,
    )
    # Suppliers by CNPJ/CPF (all held here: the others went per record), the linked party
    # first, then the active one, then the oldest (propagation._party_ids_by_document); the
    # member's own suppliers without a document stay.
    differs = f"{_CHANGED} AND b.cur->'suppliers' IS DISTINCT FROM b.values->'suppliers'"
    _execute(
        f"""
        DELETE FROM catalog_product_suppliers ps USING catalog_party s, apply_rows b
        WHERE s.id = ps.party_id AND s.cnpj_cpf <> '' AND ps.product_id = b.local_id AND {differs}
        """,
        params,
    )
    _execute(
        f"""
        INSERT INTO catalog_product_suppliers (product_id, party_id)
        SELECT DISTINCT ON (b.local_id, doc.value) b.local_id, p.id
        FROM apply_rows b, jsonb_array_elements_text(b.values->'suppliers') AS doc(value), catalog_party p
        WHERE {differs} AND p.company_id = %(company_id)s AND p.cnpj_cpf = doc.value
        ORDER BY b.local_id, doc.value,
                 EXISTS (SELECT 1 FROM sharing_recordlink l WHERE l.company_id = %(company_id)s
                         AND l.registry = 'party' AND l.local_id = p.id) DESC,
                 p.active DESC, p.id
        """,
        params,
    )
    _write_attachments("product", params)


_WRITE = {"party": _write_parties, "product": _write_products}


# --- catch-up: one member, the records whose newest version has not reached it -----------


def catch_up(share_id: int, company_id: int, *, after: int = 0, limit: int = 500) -> tuple[int, int]:
    """Apply, in one transaction, up to `limit` records this member lags behind on (links
    with id > `after`, by id), then mark applied the changes of those records that every
    member now holds. Returns (records, last link id)."""
    with transaction.atomic():
        rows = _fetchall(
            """
            SELECT l.id, l.shared_record_id FROM sharing_recordlink l
            JOIN sharing_sharedrecord sr ON sr.id = l.shared_record_id
            WHERE sr.share_id = %s AND l.company_id = %s AND l.applied_version < sr.version AND l.id > %s
            ORDER BY l.id LIMIT %s
            """,
            [share_id, company_id, after, limit],
        )
        if not rows:
            return 0, after
        record_ids = sorted({record_id for _, record_id in rows})
        apply_records(share_id, record_ids, company_ids=[company_id])
        mark_applied(share_id, record_ids)
    return len(rows), rows[-1][0]


def mark_applied(share_id: int, record_ids: list[int]) -> int:
    """Mark applied the pending or failed changes of these records that every active member
    now holds (a deleted record: that no member still has a copy of), so that the pending
    count moves while a catch-up or a retry works. Changes a batch holds are skipped."""
    lags = _fetchall(
        """
        WITH held AS (
            SELECT c.id FROM sharing_change c JOIN sharing_sharedrecord sr ON sr.id = c.shared_record_id
            WHERE c.shared_record_id = ANY(%(ids)s) AND c.status IN ('pending', 'failed')
              AND NOT EXISTS (
                  SELECT 1 FROM sharing_sharemember m
                  WHERE m.share_id = %(share)s AND m.state = 'active'
                    AND CASE WHEN sr.deleted_at IS NULL
                        THEN NOT EXISTS (SELECT 1 FROM sharing_recordlink l WHERE l.shared_record_id = sr.id
                                         AND l.company_id = m.company_id AND l.applied_version >= c.version)
                        ELSE EXISTS (SELECT 1 FROM sharing_recordlink l WHERE l.shared_record_id = sr.id
                                     AND l.company_id = m.company_id) END)
            ORDER BY c.id FOR UPDATE OF c SKIP LOCKED
        )
        UPDATE sharing_change c SET status = 'applied', last_error = '', applied_at = now()
        FROM held WHERE c.id = held.id
        RETURNING extract(epoch FROM now() - c.created_at)
        """,
        {"ids": record_ids, "share": share_id},
    )
    observe_apply_lag(lag for (lag,) in lags)
    return len(lags)
