"""Benchmark of /metrics against a large outbox.

    manage.py bench_metrics [--changes 100000] [--runs 20]

Builds its own company, share, 1.000 shared records and N changes (set-based SQL, setup,
not measured), plus 1.000 finished jobs and 2 running ones, then times the scrape through
Django's test client (the whole view: protection, the database queries of
sharing/metrics.py, the exposition) in two states of the outbox:

- normal: nearly every change applied, 20 pending and 5 failed;
- backlog: half of them pending (workers down for a while), 1% failed.

Each figure is the p50 and p95 of `--runs` scrapes, in milliseconds, next to a read of one
change by primary key measured in the same run (the ratio is what compares across
machines). Also times `observe_apply_lag` (the one upsert the engine adds to an apply),
rolled back. Everything it wrote is deleted at the end. Run it against a scratch database.
"""

from __future__ import annotations

import random
import statistics
import time
import uuid

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test import Client

from companies import services as company_services
from omieshare.lib.brazil import random_cnpj
from sharing.metrics import _add, _bucket_of
from sharing.models import Change, Share, SyncJob

RECORDS = 1_000

_RECORDS_SQL = """
INSERT INTO sharing_sharedrecord (share_id, registry, match_key, "values", version, created_at, updated_at)
SELECT %(share)s, 'product', 'BM' || lpad(i::text, 8, '0'), '{}'::jsonb, 1, now(), now()
FROM generate_series(1, %(n)s) AS i
"""

# Change i: record i %% R, version i / R + 1; created over the last 30 days, applied 0.2-3 s
# later (a few minutes for one in 50).
_CHANGES_SQL = """
INSERT INTO sharing_change (share_id, shared_record_id, version, company_id, action, changed_fields, source,
    status, attempts, last_error, created_at, applied_at)
SELECT %(share)s, r.ids[1 + i %% %(records)s], i / %(records)s + 1, %(company)s, 'update', '["price"]'::jsonb,
       'api', 'applied', 1, '',
       now() - make_interval(secs => (%(n)s - i) * 26.0),
       now() - make_interval(secs => (%(n)s - i) * 26.0)
             + make_interval(secs => CASE WHEN i %% 50 = 0 THEN 240 ELSE 0.2 + (i %% 28) / 10.0 END)
FROM generate_series(0, %(n)s - 1) AS i,
     (SELECT array_agg(id ORDER BY id) AS ids FROM sharing_sharedrecord WHERE share_id = %(share)s) AS r
"""

_JOBS_SQL = """
INSERT INTO sharing_syncjob (share_id, kind, status, params, total, done, counts, errors, created_at,
    started_at, finished_at, attempts, failures)
SELECT %(share)s, 'resync', 'done', '{}'::jsonb, 1000, 1000, '{}'::jsonb, '[]'::jsonb, now(), now(), now(), 1, 0
FROM generate_series(1, %(n)s)
"""


def _ms(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered) * 1000, ordered[max(0, round(0.95 * len(ordered)) - 1)] * 1000


class Command(BaseCommand):
    help = "Mede o tempo de /metrics (Prometheus) com um outbox de N alterações."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--changes", type=int, default=100_000)
        parser.add_argument("--runs", type=int, default=20)

    def handle(self, *args, changes: int, runs: int, **options) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("bench_metrics precisa do PostgreSQL (DATABASE_URL).")
        share = self._setup(changes)
        try:
            self._measure(share, changes, runs)
        finally:
            self._cleanup(share)

    def _setup(self, changes: int) -> Share:
        started = time.monotonic()
        tag = uuid.uuid4().hex[:8]
        with transaction.atomic():
            company = company_services.company_create(
                cnpj=random_cnpj(), legal_name=f"Bench métricas {tag}", trade_name=f"bench-metrics-{tag}"
            )
            share = Share.objects.create(origin=company, shares_products=True, status="active",
                                         code_key=random.SystemRandom().getrandbits(62))
            with connection.cursor() as cursor:
                cursor.execute(_RECORDS_SQL, {"share": share.pk, "n": RECORDS})
                cursor.execute(_CHANGES_SQL, {"share": share.pk, "company": company.pk, "n": changes,
                                              "records": RECORDS})
                cursor.execute(_JOBS_SQL, {"share": share.pk, "n": 1_000})
            SyncJob.objects.create(share=share, kind="activate", status="running", total=100_000, done=37_000,
                                   attempts=1)
        with connection.cursor() as cursor:  # as autovacuum would leave them
            cursor.execute("VACUUM ANALYZE sharing_change")
            cursor.execute("VACUUM ANALYZE sharing_syncjob")
        self.stdout.write(f"Setup: share {share.pk}, {changes} changes in {time.monotonic() - started:.1f} s")
        return share

    def _state(self, share: Share, *, pending_every: int, failed_every: int) -> tuple[int, int]:
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE sharing_change SET status = CASE "
                "WHEN id %% %(failed)s = 0 THEN 'failed' WHEN id %% %(pending)s = 0 THEN 'pending' "
                "ELSE 'applied' END WHERE share_id = %(share)s",
                {"share": share.pk, "pending": pending_every, "failed": failed_every},
            )
            cursor.execute("VACUUM ANALYZE sharing_change")
        outbox = Change.objects.filter(share=share)
        return outbox.filter(status="pending").count(), outbox.filter(status="failed").count()

    def _measure(self, share: Share, changes: int, runs: int) -> None:
        client = Client()
        some_change = Change.objects.filter(share=share).order_by("pk").values_list("pk", flat=True)[changes // 2]
        rows = []
        for label, pending_every, failed_every in (
            ("normal", max(changes // 20, 1), max(changes // 5, 1)),
            ("backlog", 2, 100),
        ):
            pending, failed = self._state(share, pending_every=pending_every, failed_every=failed_every)
            client.get("/metrics")  # warm the connection and the caches
            scrapes, reads = [], []
            for _ in range(runs):
                started = time.perf_counter()
                response = client.get("/metrics")
                scrapes.append(time.perf_counter() - started)
                assert response.status_code == 200
                started = time.perf_counter()
                Change.objects.filter(pk=some_change).values_list("status", flat=True).first()
                reads.append(time.perf_counter() - started)
            rows.append((label, pending, failed, *_ms(scrapes), *_ms(reads)))
        lags = []
        for _ in range(runs):
            tally = {}
            for seconds in (0.4, 1.3, 2.2):
                bucket = tally.setdefault(_bucket_of(seconds), [0, 0.0])
                bucket[0] += 1
                bucket[1] += seconds
            started = time.perf_counter()
            try:
                with transaction.atomic():
                    _add(tally)
                    lags.append(time.perf_counter() - started)
                    raise _Rollback
            except _Rollback:
                pass

        self.stdout.write(f"\n/metrics with {changes} changes, {runs} runs, ms:")
        self.stdout.write(f"{'outbox':<8} {'pending':>8} {'failed':>7} {'p50':>7} {'p95':>7} "
                          f"{'pk p50':>7} {'p50 ÷ pk':>9}")
        for label, pending, failed, p50, p95, pk50, _pk95 in rows:
            self.stdout.write(f"{label:<8} {pending:>8} {failed:>7} {p50:>7.1f} {p95:>7.1f} {pk50:>7.2f} "
                              f"{p50 / pk50:>9.1f}")
        p50, p95 = _ms(lags)
        self.stdout.write(f"observe_apply_lag (one upsert of 3 lags): p50 {p50:.2f} ms, p95 {p95:.2f} ms")

    def _cleanup(self, share: Share) -> None:
        started = time.monotonic()
        company = share.origin
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM sharing_change WHERE share_id = %s", [share.pk])
            cursor.execute("DELETE FROM sharing_syncjob WHERE share_id = %s", [share.pk])
            cursor.execute("DELETE FROM sharing_sharedrecord WHERE share_id = %s", [share.pk])
            share.delete()
            company.delete()
        self.stdout.write(f"Cleanup: {time.monotonic() - started:.1f} s")


class _Rollback(Exception):
    pass
