"""Benchmark of the sharing engine: preview, activation, propagation, worker memory.

    manage.py bench_sharing --records 100000 --destinations 3

Builds its own group of companies (fresh CNPJs every run) with N clients/suppliers and N
products in the origin and an overlapping subset in each destination, all set-based in
SQL (it is setup, not what is measured). Then it measures, against the targets of the
engine's issue:

- preview: `sharing.planner.plan` over every destination and both registries;
- activation: configure + activate + the job run inline (`sharing.tasks.run_sync_job`),
  in records×destinations per second;
- the raw floor, in the same run: the origin's product rows copied into a scratch company
  (with the same overlap as a destination) by one `INSERT … SELECT … ON CONFLICT DO
  UPDATE`, with no links, snapshots, audit or references — and the ratio of the two;
- propagation: a real `manage.py qcluster` subprocess; edits of shared products in random
  members through `catalog.services.product_update`, each timed until the new values are
  visible in every other member (p50 / p99);
- the worker's memory: peak RSS of the qcluster process tree (from /proc).

Its companies and everything hanging off them are deleted at the end unless `--keep`.
The worker is always stopped (SIGTERM, then SIGKILL after a grace period). Exits non-zero
if a step fails or a result is wrong (a target missed is reported, not an error, unless
`--strict`).
"""

from __future__ import annotations

import contextlib
import os
import random
import resource
import signal
import statistics
import time
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from unittest import mock

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from catalog import services as catalog_services
from companies import services as company_services
from companies.models import Company
from devtools import benchkit as kit
from omieshare.lib import brazil

TARGETS = {
    "activation_s": 30.0,
    "ratio": 0.5,
    "preview_s": 5.0,
    "p50_s": 0.5,
    "p99_s": 2.0,
    "worker_mb": 400.0,
}



@dataclass
class Figures:
    records: int
    destinations: int
    setup_s: float = 0.0
    preview_s: float = 0.0
    plan: list[Any] = field(default_factory=list)
    activation_s: float = 0.0
    activation_total_s: float = 0.0
    shared_records: dict[str, int] = field(default_factory=dict)
    job_counts: dict[str, Any] = field(default_factory=dict)
    activation_peak_mb: float = 0.0
    activation_in_worker: bool = False
    floor_rows: int = 0
    floor_s: float = 0.0
    latencies: list[float] = field(default_factory=list)
    worker: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def record_destinations(self) -> int:
        return sum(self.shared_records.values()) * self.destinations

    @property
    def activation_rate(self) -> float:
        return self.record_destinations / self.activation_s if self.activation_s else 0.0

    @property
    def floor_rate(self) -> float:
        return self.floor_rows / self.floor_s if self.floor_s else 0.0

    @property
    def ratio(self) -> float:
        return self.activation_rate / self.floor_rate if self.floor_rate else 0.0

    def percentile(self, q: float) -> float:
        return kit.percentile(self.latencies, q)



class StatementProfile:
    """--profile: total time per statement (by its first words), to see what to tune."""

    def __init__(self) -> None:
        self.totals: dict[str, list[float]] = {}

    def __call__(self, execute, sql, params, many, context):
        started = time.monotonic()
        try:
            return execute(sql, params, many, context)
        finally:
            key = " ".join(sql.split())[:110]
            entry = self.totals.setdefault(key, [0.0, 0])
            entry[0] += time.monotonic() - started
            entry[1] += 1

    def report(self, stdout, title: str, top: int = 25) -> None:
        total = sum(t for t, _ in self.totals.values())
        stdout.write(f"  --profile {title}: {total:.2f} s in SQL statements (commits not included)")
        for key, (seconds, count) in sorted(self.totals.items(), key=lambda kv: -kv[1][0])[:top]:
            stdout.write(f"    {seconds:8.3f} s {count:5d}×  {key}")
        self.totals.clear()


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024



# --- the command ---------------------------------------------------------------------------


class Command(BaseCommand):
    help = (
        "Benchmark do compartilhamento: prévia, ativação (com o piso bruto de INSERT … SELECT), "
        "propagação com um worker real e memória do worker, contra as metas do projeto."
    )

    def add_arguments(self, parser):
        parser.add_argument("--records", type=int, default=10_000, help="N clientes e N produtos na origem")
        parser.add_argument("--destinations", type=int, default=3, help="D empresas destino")
        parser.add_argument("--edits", type=int, default=200, help="edições para medir a propagação")
        parser.add_argument("--poll", type=float, default=0.05, help="Q_POLL do worker (s)")
        parser.add_argument("--seed", type=int, default=None, help="semente das escolhas aleatórias")
        parser.add_argument("--keep", action="store_true", help="não apagar as empresas criadas")
        parser.add_argument("--skip-propagation", action="store_true", help="sem worker nem edições")
        parser.add_argument("--setup-only", action="store_true",
                            help="só gerar os dados e mantê-los (para perfilar a prévia e a ativação)")
        parser.add_argument("--strict", action="store_true", help="sair com erro se uma meta não for atingida")
        parser.add_argument("--profile", action="store_true", help="tempo por comando SQL na prévia e na ativação")
        parser.add_argument("--activation-in-worker", action="store_true",
                            help="a ativação roda no worker qcluster (memória medida também durante ela)")
        parser.add_argument("--purge", action="store_true",
                            help="só apagar as empresas de execuções anteriores mantidas (--keep) ou interrompidas")

    def handle(self, *args, **options):
        if connection.vendor != "postgresql":
            raise CommandError("bench_sharing precisa de PostgreSQL (DATABASE_URL=postgresql://…).")
        kit.TRACE = options["verbosity"] >= 3
        if options["purge"]:
            self._purge()
            return
        n, d = options["records"], options["destinations"]
        if n < 100 or d < 1:
            raise CommandError("Use --records >= 100 e --destinations >= 1.")
        self.rng = random.Random(options["seed"])
        self.figures = Figures(records=n, destinations=d)
        self.run_id = uuid.uuid4().hex[:8]
        self.company_ids: list[int] = []
        self.group_id: int | None = None
        self.worker: kit.Worker | None = None
        self.profile = StatementProfile() if options["profile"] else None
        failed: BaseException | None = None

        def terminated(signum, frame):
            raise SystemExit(f"received signal {signum}")  # runs the cleanup below

        signal.signal(signal.SIGTERM, terminated)
        try:
            self._setup(n, d)
            if options["setup_only"]:
                options["keep"] = True
                self.stdout.write(f"origin {self.origin.pk} {self.origin.cnpj}; destinations "
                                  + ", ".join(f"{c.pk} {c.cnpj}" for c in self.destinations)
                                  + f"; floor {self.floor_company.pk}")
                return
            self._preview()
            self._floor()
            self._activate(options["activation_in_worker"], options["poll"])
            if not options["skip_propagation"]:
                self._propagate(options["edits"], options["poll"])
        except BaseException as error:  # noqa: BLE001 — reported below, then re-raised
            failed = error
        finally:
            if self.worker is not None:
                code = self.worker.stop()
                self.figures.worker = self.worker.figures()
                self.stdout.write(f"  worker stopped (exit code {code})")
                if failed is None:
                    self.worker.log_path.unlink(missing_ok=True)
                else:
                    self.stdout.write(f"  worker log kept: {self.worker.log_path}")
            if options["keep"]:
                self.stdout.write(f"--keep: companies {self.company_ids} (group {self.group_id}) kept.")
            else:
                try:
                    self._cleanup()
                except Exception as error:  # noqa: BLE001
                    self.stderr.write(f"cleanup failed: {error}")
                    failed = failed or error
        self._report(partial=failed is not None)
        if failed is not None:
            if isinstance(failed, CommandError):
                raise failed
            raise CommandError(f"benchmark failed: {failed.__class__.__name__}: {failed}") from failed
        if options["strict"] and self._missed():
            raise CommandError("targets missed: " + ", ".join(self._missed()))

    def _profiled(self):
        return connection.execute_wrapper(self.profile) if self.profile else contextlib.nullcontext()

    # --- setup ---------------------------------------------------------------------------

    def _step(self, text: str) -> None:
        self.stdout.write(f"[{time.strftime('%H:%M:%S')}] {text}")
        self.stdout.flush()

    def _new_cnpj(self) -> str:
        while True:
            body = brazil.random_cnpj(self.rng)
            if not Company.objects.filter(cnpj=body).exists():
                return body

    def _setup(self, n: int, d: int) -> None:
        started = time.monotonic()
        self._step(f"setup: group, 1 origin + {d} destinations + 1 floor company, N={n:,}")
        group = company_services.group_get_or_create(name=f"Bench compartilhamento {self.run_id}")
        self.group_id = group.pk

        def company(label: str) -> Company:
            created = company_services.company_create(
                cnpj=self._new_cnpj(), legal_name=f"Bench {label} {self.run_id} Ltda",
                trade_name=f"Bench {label} {self.run_id}", group=group,
            )
            self.company_ids.append(created.pk)
            return created

        self.origin = company("Origem")
        self.destinations = [company(f"Destino {k}") for k in range(1, d + 1)]
        self.floor_company = company("Piso")
        kit.sql(kit.FUNCTIONS)
        with transaction.atomic():
            kit.sql("SET LOCAL synchronous_commit = off")
            keys = "SELECT k FROM generate_series(1, %(n)s) k"
            kit.generate(self.origin.pk, keys, "Origem", 0, n)
            for k, dest in enumerate(self.destinations, start=1):
                # 30 % of the origin's keys with other values, 10 % keys of its own.
                keys = (f"SELECT k FROM generate_series(1, %(n)s) k WHERE (k + {k}) %% 10 < 3 "
                        "UNION ALL SELECT %(n)s + j FROM generate_series(1, %(n)s / 10) j")
                kit.generate(dest.pk, keys, f"Destino{k}", k, n)
            kit.generate(self.floor_company.pk,
                           "SELECT k FROM generate_series(1, %(n)s) k WHERE (k + 1) %% 10 < 3 "
                           "UNION ALL SELECT %(n)s + j FROM generate_series(1, %(n)s / 10) j",
                           "Piso", 1, n, products_only=True)
        self._check_generated()
        # What autovacuum would do soon anyway; done now so it does not run mid-measurement.
        for table in ("catalog_party", "catalog_product", "catalog_party_salespeople",
                      "catalog_product_suppliers", "catalog_billofmaterialsitem",
                      "catalog_productfamily", "catalog_salesperson"):
            kit.sql(f"VACUUM (ANALYZE) {table}")
        self.figures.setup_s = time.monotonic() - started
        self._step(f"setup done in {self.figures.setup_s:.1f} s")

    def _check_generated(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                "(SELECT cnpj_cpf, NULL FROM catalog_party WHERE company_id = %s AND cnpj_cpf <> '' LIMIT 50) "
                "UNION ALL (SELECT NULL, ean FROM catalog_product WHERE company_id = %s LIMIT 50)",
                [self.origin.pk, self.origin.pk],
            )
            for document, ean in cursor.fetchall():
                if document:
                    brazil.normalize_cpf_cnpj(document)
                if ean:
                    brazil.normalize_ean(ean)
        counts = {
            c.pk: (kit.scalar("SELECT count(*) FROM catalog_party WHERE company_id = %s", [c.pk]),
                   kit.scalar("SELECT count(*) FROM catalog_product WHERE company_id = %s", [c.pk]))
            for c in [self.origin, *self.destinations, self.floor_company]
        }
        parties, products = counts[self.origin.pk]
        self._step(f"origin: {parties:,} parties, {products:,} products; destinations: "
                   + ", ".join(f"{counts[c.pk][0]:,}/{counts[c.pk][1]:,}" for c in self.destinations))

    # --- preview ---------------------------------------------------------------------------

    def _preview(self) -> None:
        from sharing.planner import plan

        self._step("preview (sharing.planner.plan, every destination, both registries)")
        started = time.monotonic()
        with self._profiled():
                self.figures.plan = plan(origin=self.origin, destinations=self.destinations,
                                         registries=["party", "product"])
        self.figures.preview_s = time.monotonic() - started
        if self.profile:
            self.profile.report(self.stdout, "preview")
        for item in self.figures.plan:
            self.stdout.write(f"  {item.company.display_name} {item.registry:8} {item.counts}")
        self._step(f"preview done in {self.figures.preview_s:.2f} s")

    # --- the raw floor ---------------------------------------------------------------------

    def _floor(self) -> None:
        copied = ("code", "description", "unit", "ncm", "ean", "price", "origin", "item_type",
                  "cest", "characteristics", "active")
        columns = ", ".join(copied)
        updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in copied if c != "code")
        self._step("raw floor: origin products → scratch company, one INSERT … SELECT … ON CONFLICT DO UPDATE")
        started = time.monotonic()
        with transaction.atomic():
            rows = kit.sql(
                f"""
                INSERT INTO catalog_product (company_id, integration_code, version, created_at,
                                             updated_at, {columns})
                SELECT %(floor)s, '', 1, now(), now(), {columns}
                FROM catalog_product WHERE company_id = %(origin)s
                ON CONFLICT (company_id, code) DO UPDATE SET {updates},
                    version = catalog_product.version + 1, updated_at = now()
                """,
                {"floor": self.floor_company.pk, "origin": self.origin.pk},
            )
        self.figures.floor_s = time.monotonic() - started
        self.figures.floor_rows = rows
        self._step(f"floor: {rows:,} rows in {self.figures.floor_s:.2f} s = {self.figures.floor_rate:,.0f} rows/s")

    # --- activation ------------------------------------------------------------------------

    def _activate(self, in_worker: bool, poll: float) -> None:
        from sharing import services
        from sharing.models import SharedRecord, SyncJob
        from sharing.services import Permissions
        from sharing.tasks import run_sync_job

        everything = Permissions(can_create=True, can_update=True, can_delete=True)
        started = time.monotonic()
        if in_worker:
            # The real path: the job is enqueued and the qcluster worker runs it (its memory
            # is sampled meanwhile); the worker then stays up for the propagation.
            self._step("activation: configure + activate, the job run by the qcluster worker")
            self._start_worker(poll)
            share = services.share_configure(
                origin=self.origin, registries=["party", "product"], origin_permissions=everything,
                destinations=dict.fromkeys(self.destinations, everything),
            )
            job = services.share_activate(share=share, confirmed=True)
            deadline = time.monotonic() + 1800
            while not SyncJob.objects.get(pk=job.pk).is_finished:
                if not self.worker.alive():
                    raise CommandError("the worker exited:\n" + self.worker.log_tail())
                if time.monotonic() > deadline:
                    raise CommandError(f"activation job {job.pk} not finished after 30 minutes")
                time.sleep(0.1)
            job.refresh_from_db()
            self.figures.activation_s = (job.finished_at - job.started_at).total_seconds()
            enqueued = None
        else:
            self._step("activation: configure + activate + the job run inline (run_sync_job)")
            # The job runs here, not in a worker: the enqueues are recorded and dropped, so
            # nothing of this run is left in the queue.
            with mock.patch("omieshare.lib.jobs.async_task") as enqueue:
                share = services.share_configure(
                    origin=self.origin, registries=["party", "product"], origin_permissions=everything,
                    destinations=dict.fromkeys(self.destinations, everything),
                )
                job = services.share_activate(share=share, confirmed=True)
                rss_before = _rss_mb()
                job_started = time.monotonic()
                with self._profiled():
                    run_sync_job(job.pk)
                self.figures.activation_s = time.monotonic() - job_started
                self.figures.activation_peak_mb = _rss_mb() - rss_before
            enqueued = [c.args[0] for c in enqueue.call_args_list]
            job.refresh_from_db()
        self.figures.activation_in_worker = in_worker
        self.figures.activation_total_s = time.monotonic() - started
        if self.profile:
            self.profile.report(self.stdout, "activation")
        self.share = share
        self.figures.job_counts = job.counts
        if job.status != SyncJob.Status.DONE:
            raise CommandError(f"activation job {job.pk} ended {job.status}: {job.errors[-3:]}")
        if enqueued is not None:
            self.stdout.write(f"  enqueues recorded (not sent): {enqueued}")
        for registry in ("party", "product"):
            self.figures.shared_records[registry] = SharedRecord.objects.filter(
                share=share, registry=registry).count()
        self._verify_activation(share)
        self._step(
            f"activation: {self.figures.record_destinations:,} records×destinations in "
            f"{self.figures.activation_s:.2f} s = {self.figures.activation_rate:,.0f}/s "
            f"(job timings {job.counts.get('timings')})"
        )

    def _start_worker(self, poll: float) -> None:
        if self.worker is None:
            self._step(f"starting manage.py qcluster (Q_POLL={poll})")
            self.worker = kit.Worker(poll, self.stdout)
            self.worker.start()

    def _verify_activation(self, share) -> None:
        """Every shared record linked in every member; creates/overwrites/identical as previewed."""
        expected = {"created": 0, "overwritten": 0, "identical": 0}
        for item in self.figures.plan:
            expected["created"] += item.counts["create"]
            expected["overwritten"] += item.counts["overwrite"]
            expected["identical"] += item.counts["identical"]
        counts = self.figures.job_counts
        problems = []
        for key, value in expected.items():
            if counts.get(key) != value:
                problems.append(f"{key}: job {counts.get(key)} vs preview {value}")
        members = 1 + len(self.destinations)
        unlinked = kit.scalar(
            "SELECT count(*) FROM (SELECT sr.id FROM sharing_sharedrecord sr "
            "LEFT JOIN sharing_recordlink l ON l.shared_record_id = sr.id WHERE sr.share_id = %s "
            "GROUP BY sr.id HAVING count(l.id) <> %s) t",
            [share.pk, members],
        )
        if unlinked:
            problems.append(f"{unlinked} shared records not linked in all {members} members")
        if problems:
            raise CommandError("activation result is wrong: " + "; ".join(problems))

    # --- propagation ---------------------------------------------------------------------

    def _propagate(self, edits: int, poll: float) -> None:
        from sharing.models import Change, RecordLink

        self._step("propagation")
        self._start_worker(poll)
        members = [self.origin, *self.destinations]
        shared_ids = list(
            RecordLink.objects.filter(company=self.origin, registry="product",
                                      shared_record__share=self.share)
            .values_list("shared_record_id", flat=True)
        )
        warmup = 3
        for i in range(warmup + edits):
            if not self.worker.alive():
                raise CommandError("the worker exited:\n" + self.worker.log_tail())
            company = self.rng.choice(members)
            shared_id = self.rng.choice(shared_ids)
            local_id = RecordLink.objects.get(shared_record_id=shared_id, company=company).local_id
            description = f"Bench edição {self.run_id} {i}"
            price = Decimal(self.rng.randrange(100, 10_000_00)) / 100
            started = time.monotonic()
            catalog_services.product_update(
                company=company, product_id=local_id,
                data={"description": description, "price": price}, source="bench",
            )
            deadline = started + (120 if i < warmup else 30)
            while True:
                seen = kit.scalar(
                    "SELECT count(*) FROM sharing_recordlink l JOIN catalog_product p "
                    "ON p.id = l.local_id AND p.company_id = l.company_id "
                    "WHERE l.shared_record_id = %s AND p.description = %s AND p.price = %s",
                    [shared_id, description, price],
                )
                if seen == len(members):
                    break
                if time.monotonic() > deadline:
                    change = Change.objects.filter(shared_record_id=shared_id).order_by("-version").first()
                    raise CommandError(
                        f"edit {i} not visible in all members after {deadline - started:.0f} s "
                        f"({seen}/{len(members)}; change {change and change.status} "
                        f"{change and change.last_error!r})\n{self.worker.log_tail()}"
                    )
                time.sleep(0.005)
            if i >= warmup:
                self.figures.latencies.append(time.monotonic() - started)
            if (i + 1) % 50 == 0:
                self._step(f"  {i + 1 - warmup} edits, p50 so far {statistics.median(self.figures.latencies):.3f} s")
        pending = Change.objects.filter(share=self.share).exclude(status=Change.Status.APPLIED).count()
        if pending:
            # The poll saw the values; the change row is marked applied a moment later.
            time.sleep(2)
            pending = Change.objects.filter(share=self.share).exclude(status=Change.Status.APPLIED).count()
        if pending:
            raise CommandError(f"{pending} changes not marked applied after the edits")
        self._step(f"propagation: p50 {self.figures.percentile(0.5):.3f} s, p99 {self.figures.percentile(0.99):.3f} s")

    # --- cleanup ----------------------------------------------------------------------------

    def _purge(self) -> None:
        from companies.models import CompanyGroup

        groups = CompanyGroup.objects.filter(name__regex=r"^Bench compartilhamento [0-9a-f]{8}$")
        for group in groups:
            self.group_id = group.pk
            self.company_ids = list(Company.objects.filter(group=group).values_list("pk", flat=True))
            self._cleanup()
            self.stdout.write(f"purged {group.name}")

    def _cleanup_queue(self, share_ids: list[int], change_ids: list[int], job_ids: list[int]) -> int:
        """Queued tasks and task results of this run's share, jobs and changes (django-q2's
        own tables: the ORM broker's queue and the results of the tasks the worker ran)."""
        from django_q.models import OrmQ, Task

        owned = {"sharing.tasks.apply_change": set(change_ids), "sharing.tasks.catch_up": set(share_ids),
                 "sharing.tasks.apply_pending": set(share_ids), "sharing.tasks.run_sync_job": set(job_ids)}

        def ours(func: str, args) -> bool:
            return bool(args) and args[0] in owned.get(func, ())

        removed = 0
        for queued in OrmQ.objects.all():
            task = queued.task
            if ours(str(task.get("func")), task.get("args") or ()):
                queued.delete()
                removed += 1
        for task in Task.objects.filter(func__in=list(owned)):  # at most Q_CLUSTER["save_limit"] rows
            if ours(task.func, task.args or ()):
                task.delete()
                removed += 1
        return removed

    def _cleanup(self) -> None:
        if self.group_id is None:
            return
        self._step("cleanup: deleting the benchmark's companies and everything hanging off them")
        ids = self.company_ids
        share_ids = [r for (r,) in kit.rows(
            "SELECT DISTINCT share_id FROM sharing_sharemember WHERE company_id = ANY(%(ids)s)", {"ids": ids})]
        change_ids = [r for (r,) in kit.rows(
            "SELECT id FROM sharing_change WHERE share_id = ANY(%(s)s)", {"s": share_ids})]
        job_ids = [r for (r,) in kit.rows(
            "SELECT id FROM sharing_syncjob WHERE share_id = ANY(%(s)s)", {"s": share_ids})]
        removed = self._cleanup_queue(share_ids, change_ids, job_ids)
        if removed:
            self.stdout.write(f"  {removed} queued tasks / task results of this run removed")
        with transaction.atomic():
            kit.sql("SET LOCAL synchronous_commit = off")
            shares = "(SELECT DISTINCT share_id FROM sharing_sharemember WHERE company_id = ANY(%(ids)s))"
            for table in ("sharing_auditentry", "sharing_change", "sharing_snapshot"):
                kit.sql(f"DELETE FROM {table} WHERE share_id IN {shares}", {"ids": ids})
            kit.sql(f"DELETE FROM sharing_recordlink WHERE shared_record_id IN "
                 f"(SELECT id FROM sharing_sharedrecord WHERE share_id IN {shares})", {"ids": ids})
            for table in ("sharing_sharedrecord", "sharing_syncjob"):
                kit.sql(f"DELETE FROM {table} WHERE share_id IN {shares}", {"ids": ids})
            share_ids = [r for (r,) in kit.rows(f"SELECT share_id FROM {shares} s(share_id)", {"ids": ids})]
            kit.sql("DELETE FROM sharing_sharemember WHERE share_id = ANY(%(s)s)", {"s": share_ids})
            kit.sql("DELETE FROM sharing_share WHERE id = ANY(%(s)s)", {"s": share_ids})
            products = "(SELECT id FROM catalog_product WHERE company_id = ANY(%(ids)s))"
            parties = "(SELECT id FROM catalog_party WHERE company_id = ANY(%(ids)s))"
            kit.sql(f"DELETE FROM catalog_pricetableitem WHERE product_id IN {products}", {"ids": ids})
            kit.sql(f"DELETE FROM catalog_product_suppliers WHERE product_id IN {products}", {"ids": ids})
            kit.sql(f"DELETE FROM catalog_product_suppliers WHERE party_id IN {parties}", {"ids": ids})
            kit.sql(f"DELETE FROM catalog_billofmaterialsitem WHERE product_id IN {products}", {"ids": ids})
            kit.sql(f"DELETE FROM catalog_party_salespeople WHERE party_id IN {parties}", {"ids": ids})
            for table in ("catalog_attachment", "catalog_stockbalance", "catalog_pricetable",
                          "catalog_product", "catalog_productfamily", "catalog_party",
                          "catalog_salesperson", "companies_membership"):
                kit.sql(f"DELETE FROM {table} WHERE company_id = ANY(%(ids)s)", {"ids": ids})
            kit.sql("DELETE FROM companies_company WHERE id = ANY(%(ids)s)", {"ids": ids})
            kit.sql("DELETE FROM companies_companygroup WHERE id = %(g)s", {"g": self.group_id})
        self.company_ids = []
        self.group_id = None

    # --- the report -------------------------------------------------------------------------

    def _missed(self) -> list[str]:
        f = self.figures
        checks = {
            "activation_s": f.activation_s <= TARGETS["activation_s"],
            "ratio": f.ratio >= TARGETS["ratio"],
            "preview_s": f.preview_s <= TARGETS["preview_s"],
        }
        if f.latencies:
            checks["p50_s"] = f.percentile(0.5) <= TARGETS["p50_s"]
            checks["p99_s"] = f.percentile(0.99) <= TARGETS["p99_s"]
        if f.worker:
            checks["worker_mb"] = f.worker["sum_peak_rss_mb"] <= TARGETS["worker_mb"]
        return [name for name, ok in checks.items() if not ok]

    def _report(self, *, partial: bool) -> None:
        f = self.figures
        missed = set(self._missed())

        def verdict(name: str, measured: bool) -> str:
            if not measured:
                return "not measured"
            return "MISSED" if name in missed else "ok"

        scale = f"N={f.records:,}, D={f.destinations}"
        w = f.worker
        rows = [
            ("Preview (plan of all destinations, both registries)", f"{f.preview_s:.2f} s",
             f"< {TARGETS['preview_s']:.0f} s", verdict("preview_s", f.preview_s > 0)),
            ("Activation (job wall time, " + ("in the qcluster worker)" if f.activation_in_worker else "run inline)"),
             f"{f.activation_s:.2f} s",
             f"< {TARGETS['activation_s']:.0f} s", verdict("activation_s", f.activation_s > 0)),
            ("Activation throughput (records×destinations/s, parties + products)",
             f"{f.activation_rate:,.0f}/s", "", ""),
            ("Raw floor (product rows/s, one INSERT … SELECT … ON CONFLICT)",
             f"{f.floor_rate:,.0f}/s ({f.floor_rows:,} rows in {f.floor_s:.2f} s)", "", ""),
            ("Activation ÷ floor throughput", f"{f.ratio:.2f}", f"≥ {TARGETS['ratio']}",
             verdict("ratio", f.floor_s > 0 and f.activation_s > 0)),
            (f"Propagation latency p50 ({len(f.latencies)} edits)", f"{f.percentile(0.5):.3f} s",
             f"< {TARGETS['p50_s']} s", verdict("p50_s", bool(f.latencies))),
            ("Propagation latency p99", f"{f.percentile(0.99):.3f} s", f"< {TARGETS['p99_s']:.0f} s",
             verdict("p99_s", bool(f.latencies))),
            ("Worker peak memory (sum of per-process peak RSS, "
             + ("activation and propagation)" if f.activation_in_worker else "propagation)"),
             f"{w.get('sum_peak_rss_mb', 0):.0f} MB ({w.get('processes', 0)} processes)" if w else "-",
             f"< {TARGETS['worker_mb']:.0f} MB", verdict("worker_mb", bool(w))),
        ]
        self.stdout.write("")
        self.stdout.write(f"## bench_sharing — {scale}{' (INCOMPLETE: a step failed)' if partial else ''}")
        self.stdout.write("")
        self.stdout.write("| Measure | Result | Target | |")
        self.stdout.write("|---|---|---|---|")
        for row in rows:
            self.stdout.write("| " + " | ".join(row) + " |")
        self.stdout.write("")
        if f.shared_records:
            self.stdout.write(
                f"Shared records: {f.shared_records.get('party', 0):,} clients/suppliers + "
                f"{f.shared_records.get('product', 0):,} products, × {f.destinations} destinations = "
                f"{f.record_destinations:,} records×destinations; job counts: "
                f"created {f.job_counts.get('created')}, overwritten {f.job_counts.get('overwritten')}, "
                f"identical {f.job_counts.get('identical')}, "
                f"conflicts {f.job_counts.get('conflicts')}. Configure + activate + job: "
                f"{f.activation_total_s:.2f} s."
                + ("" if f.activation_in_worker else
                   f" Growth of this process's peak RSS during the job: {f.activation_peak_mb:.0f} MB.")
            )
            self.stdout.write(
                "The floor copies the origin's product rows only (plain columns; no family, suppliers, "
                "structure, links, snapshots or audit) into a company with the same overlap as a "
                "destination; activation's figure counts both registries, every destination, and "
                "includes shared records, links, snapshots, references and audit. The floor is one "
                "statement (PostgreSQL runs it on one core); activation copies destinations on "
                f"{os.environ.get('OMIESHARE_ACTIVATION_THREADS', '2')} connections at once."
            )
        if w:
            self.stdout.write(
                f"Worker: {w['processes']} processes; peak of the tree's summed RSS at one moment "
                f"{w['concurrent_rss_mb']:.0f} MB, summed PSS {w['pss_mb']:.0f} MB "
                "(forked workers share pages, so the per-process sum overstates real use)."
            )
        if f.latencies:
            self.stdout.write(
                f"Latency = product_update called in a random member → new values visible in every "
                f"member (polled every 5 ms); min {min(f.latencies):.3f} s, max {max(f.latencies):.3f} s."
            )
        self.stdout.write(f"Setup (not measured): {f.setup_s:.1f} s. Machine: {kit.machine()}.")


