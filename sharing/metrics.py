"""The sharing engine's Prometheus metrics, read from the database when /metrics is scraped.

Why the database and not counters in the workers' memory: the workers (qcluster) run as
several processes on one or more machines, none of which serves HTTP, while /metrics is
answered by whichever gunicorn process of whichever web machine Prometheus reaches. What
the outbox, the jobs and the apply lag look like is the same seen from any of them when
it is read from PostgreSQL, so every web process answers the same figures and a worker
machine needs no port of its own. What only a process knows (API calls, request latency)
lives in omieshare/metrics.py and api/metrics.py instead.

- Pending and failed changes, and the oldest pending one: one grouped query on the
  (status, created_at) index of the outbox.
- Live jobs and their progress: the queued and running SyncJobs, read through the partial
  index of the one-live-job-per-share-and-kind constraint.
- The apply lag (accepted → applied in every other member): a cumulative histogram the
  engine adds to when it marks changes applied (`observe_apply_lag`), kept in the
  ApplyLagBucket table, one row per bucket.

`manage.py bench_metrics` measures a scrape against 100.000 changes.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable

from django.db import DatabaseError, connection, transaction
from django.db.models import Count, Min
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily

from sharing.models import ApplyLagBucket, Change, SyncJob

logger = logging.getLogger(__name__)

# Upper bounds, in seconds. A change normally lands within a second or two of its commit;
# the long tail is a worker that is down or a record that keeps failing (retried every
# minute by the watchdog).
APPLY_LAG_BUCKETS: tuple[float, ...] = (
    0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900, 3600, 4 * 3600, 24 * 3600, math.inf,
)


def _label(bound: float) -> str:
    """The bound as Prometheus writes `le`: "0.25", "1.0", "+Inf"."""
    return "+Inf" if math.isinf(bound) else repr(float(bound))


def _bucket_of(seconds: float) -> float:
    return next(bound for bound in APPLY_LAG_BUCKETS if seconds <= bound)


def observe_apply_lag(seconds: Iterable[float]) -> None:
    """Count changes that have just been applied to every other member, each with its lag
    (seconds from Change.created_at to the moment it was marked applied).

    The engine calls this where it marks changes APPLIED, once per change or once per batch
    with all of the batch's lags: `observe_apply_lag([(now - c.created_at).total_seconds()
    for c in applied])`. It writes one upsert, after the surrounding transaction commits
    (at once outside one): a rolled-back apply counts nothing, and the bucket rows are
    locked for that one statement only, never for the length of an apply. A failure to
    count is logged and never fails the apply."""
    tally: dict[float, list[float]] = {}
    for lag in seconds:
        lag = max(float(lag), 0.0)  # clocks of two machines a few ms apart
        bucket = tally.setdefault(_bucket_of(lag), [0, 0.0])
        bucket[0] += 1
        bucket[1] += lag
    if tally:
        transaction.on_commit(lambda: _add(tally), robust=True)


def _add(tally: dict[float, list[float]]) -> None:
    table = connection.ops.quote_name(ApplyLagBucket._meta.db_table)
    rows = sorted(tally.items())  # the same order in every worker: no deadlock between two
    values = ", ".join(["(%s, %s, %s)"] * len(rows))
    params: list = []
    for bound, (count, total) in rows:
        params += [_label(bound), count, total]
    with connection.cursor() as cursor:
        cursor.execute(
            f'INSERT INTO {table} (le, "count", seconds) VALUES {values} '
            f'ON CONFLICT (le) DO UPDATE SET "count" = {table}."count" + EXCLUDED."count", '
            f"seconds = {table}.seconds + EXCLUDED.seconds",
            params,
        )


class SharingCollector:
    """Gauges and the apply-lag histogram, computed at each scrape (see the module text).
    If the database does not answer, the scrape still succeeds with
    omieshare_database_up 0 and without these series."""

    def collect(self):
        try:
            families = list(self._from_database())
        except DatabaseError as error:
            logger.warning("metrics: the database did not answer: %s", error)
            yield GaugeMetricFamily(
                "omieshare_database_up", "1 se o banco respondeu às consultas das métricas; 0 se não.", value=0
            )
            return
        yield GaugeMetricFamily(
            "omieshare_database_up", "1 se o banco respondeu às consultas das métricas; 0 se não.", value=1
        )
        yield from families

    def _from_database(self):
        now = timezone.now()
        outbox = {
            row["status"]: row
            for row in Change.objects.filter(status__in=[Change.Status.PENDING, Change.Status.FAILED])
            .order_by()
            .values("status")
            .annotate(changes=Count("*"), oldest=Min("created_at"))
        }
        pending = outbox.get(Change.Status.PENDING, {})
        yield GaugeMetricFamily(
            "omieshare_changes_pending",
            "Alterações de cadastros compartilhados aceitas e ainda não aplicadas em todas as empresas.",
            value=pending.get("changes", 0),
        )
        yield GaugeMetricFamily(
            "omieshare_changes_failed",
            "Alterações cuja última tentativa de aplicação falhou em alguma empresa (o motivo fica na "
            "alteração, no admin); são tentadas de novo a cada minuto.",
            value=outbox.get(Change.Status.FAILED, {}).get("changes", 0),
        )
        oldest = pending.get("oldest")
        yield GaugeMetricFamily(
            "omieshare_oldest_pending_change_age_seconds",
            "Há quantos segundos a alteração pendente mais antiga foi aceita (0 sem pendentes).",
            value=max((now - oldest).total_seconds(), 0.0) if oldest else 0.0,
        )
        yield from self._jobs(now)
        yield self._apply_lag()

    def _jobs(self, now):
        jobs = list(
            SyncJob.objects.live().order_by("pk").values(
                "pk", "kind", "status", "share_id", "done", "total", "started_at"
            )
        )
        counts = GaugeMetricFamily(
            "omieshare_jobs",
            "Tarefas de sincronismo (ativação, ressincronização) na fila ou em andamento.",
            labels=["kind", "status"],
        )
        for kind in SyncJob.Kind.values:
            for status in SyncJob.LIVE_STATUSES:
                counts.add_metric(
                    [kind, status], sum(1 for job in jobs if job["kind"] == kind and job["status"] == status)
                )
        yield counts
        labels = ["job", "kind", "share"]
        ratio = GaugeMetricFamily(
            "omieshare_job_progress_ratio",
            "Progresso de cada tarefa em andamento, de 0 a 1 (feito ÷ total).",
            labels=labels,
        )
        done = GaugeMetricFamily(
            "omieshare_job_records_done", "Cadastros já processados por cada tarefa em andamento.", labels=labels
        )
        planned = GaugeMetricFamily(
            "omieshare_job_records_planned", "Cadastros que cada tarefa em andamento vai processar.", labels=labels
        )
        running_for = GaugeMetricFamily(
            "omieshare_job_running_seconds", "Há quantos segundos cada tarefa em andamento começou.", labels=labels
        )
        for job in jobs:
            if job["status"] != SyncJob.Status.RUNNING:
                continue
            values = [str(job["pk"]), job["kind"], str(job["share_id"])]
            ratio.add_metric(values, job["done"] / job["total"] if job["total"] else 0.0)
            done.add_metric(values, job["done"])
            planned.add_metric(values, job["total"])
            started = job["started_at"]
            running_for.add_metric(values, max((now - started).total_seconds(), 0.0) if started else 0.0)
        yield from (ratio, done, planned, running_for)

    def _apply_lag(self) -> HistogramMetricFamily:
        stored = {row.le: row for row in ApplyLagBucket.objects.all()}
        cumulative, total_seconds, buckets = 0, 0.0, []
        # Rows of bounds no longer in APPLY_LAG_BUCKETS fall into the next bound up.
        by_bound = sorted(
            ((math.inf if le == "+Inf" else float(le)), row) for le, row in stored.items()
        )
        position = 0
        for bound in APPLY_LAG_BUCKETS:
            while position < len(by_bound) and by_bound[position][0] <= bound:
                cumulative += by_bound[position][1].count
                total_seconds += by_bound[position][1].seconds
                position += 1
            buckets.append((_label(bound), cumulative))
        return HistogramMetricFamily(
            "omieshare_change_apply_lag_seconds",
            "Atraso de cada alteração aplicada: da gravação na empresa de origem até estar aplicada em "
            "todas as outras empresas do compartilhamento.",
            buckets=buckets,
            sum_value=total_seconds,
        )
