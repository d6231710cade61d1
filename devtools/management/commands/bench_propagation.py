"""Benchmark of propagation at integration scale, on the real stack (issue 13).

    manage.py bench_propagation [--quick] [--products 100000] [--parties 100000]
        [--destinations 3] [--clients 1,4,16,32] [--seconds 60] [--web-workers 4]
        [--q-workers N] [--skip-bulk] [--keep] [--database-url URL] [--redis-url URL]

By default it creates a scratch database (--database-url; default: this database's name
+ "_propagation"), migrates it, runs itself there with `--in-place` (DEBUG=0, the Redis
broker of --redis-url) and drops the database at the end unless --keep. `--in-place` runs
against the current database and broker as they are (the tests do that).

1. Setup (not measured): one origin and D destinations, N products and N clients/suppliers
   generated set-based in SQL (devtools.benchkit.generate, as bench_sharing), integration
   codes for the origin's products, API credentials for every member.
2. The real stack as subprocesses: gunicorn (`omieshare.wsgi`, -w --web-workers) and
   `manage.py qcluster` (--q-workers), both against this database and broker.
3. Activation through the engine (the job runs in the qcluster): records×destinations/s,
   the baseline of the bulk.
4. (a) Sustained load, for each C of --clients: C threads, each on its own keep-alive HTTP
   connection, send AlterarProduto (price, description) and AlterarCliente (phone, e-mail)
   for --seconds, rotating over the members (origin and destinations) with each member's
   credentials. Per C: accepted edits/s, API p50/p99, refusals by fault code; propagation
   lag p50/p99 from the API's answer to "visible in every member" (every member's
   RecordLink.applied_version has reached the shared record's version), stamped by a
   monitor thread that asks once every 100 ms, in one query, about every edit still
   awaited; the backlog when the load stops (edits not visible yet, Change rows not applied)
   and the time until it is drained; the worker's memory (RSS of the qcluster tree, /proc).
5. (b) Bulk: every origin product's price changed through UpsertProdutosPorLote (lotes of
   50, --bulk-clients at once), timed until visible in every member; its
   records×destinations/s against activation's, measured in this run.

The processes it starts are always stopped (also on Ctrl-C, SIGTERM or an error).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import queue
import random
import secrets
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from companies import services as company_services
from companies.models import Company
from devtools import benchkit as kit
from omieshare.lib import brazil

TARGETS = {"lag_p99_s": 2.0, "drain_s": 2.0, "bulk_ratio": 0.5, "worker_mb": 400.0}
QUICK = {"products": 5000, "parties": 5000, "seconds": 10, "clients": "1,4"}
SCRATCH_MARK = "omieshare bench_propagation scratch database"
MONITOR_INTERVAL = 0.1
LOTE_SIZE = 50


# --- measuring ---------------------------------------------------------------------------


@dataclass
class Edit:
    """One accepted API edit: its shared record, when the API answered (monotonic seconds),
    the version to wait for and when every member held it."""

    shared_id: int
    answered: float
    target: int | None = None
    visible: float | None = None

    @property
    def lag(self) -> float | None:
        return None if self.visible is None else max(0.0, self.visible - self.answered)


def settle(pending: list[Edit], versions: dict[int, tuple[int, int]], now: float) -> list[Edit]:
    """Stamp the edits now visible; return those still awaited.

    `versions`: shared record id → (its version, the lowest version any member's link has
    applied), read at `now`. An edit's target is the record's version the first time it is
    seen (its own, or a later edit's that supersedes it); it is visible once every link has
    reached that target. An edit whose record is missing from `versions` stays awaited."""
    waiting = []
    for edit in pending:
        state = versions.get(edit.shared_id)
        if state is None:
            waiting.append(edit)
            continue
        version, lowest = state
        if edit.target is None:
            edit.target = version
        if lowest >= edit.target:
            edit.visible = now
        else:
            waiting.append(edit)
    return waiting


VERSIONS_SQL = """
SELECT sr.id, sr.version, min(l.applied_version)
FROM sharing_sharedrecord sr JOIN sharing_recordlink l ON l.shared_record_id = sr.id
WHERE sr.id = ANY(%s)
GROUP BY sr.id
"""


def read_versions(shared_ids: list[int]) -> dict[int, tuple[int, int]]:
    if not shared_ids:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(VERSIONS_SQL, [shared_ids])
        return {row[0]: (row[1], row[2]) for row in cursor.fetchall()}


class LagMonitor(threading.Thread):
    """Every MONITOR_INTERVAL s, one query about every edit still awaited (its own database
    connection); stamps each edit visible at the moment of the query that saw it."""

    def __init__(self) -> None:
        super().__init__(daemon=True, name="lag-monitor")
        self.incoming: queue.SimpleQueue[Edit] = queue.SimpleQueue()
        self.pending: list[Edit] = []
        self.stop_event = threading.Event()
        self.error: BaseException | None = None
        self.polls = 0
        self.query_s = 0.0

    def add(self, edit: Edit) -> None:
        self.incoming.put(edit)

    def awaited(self) -> int:
        return len(self.pending) + self.incoming.qsize()

    def run(self) -> None:
        try:
            while not self.stop_event.is_set():
                started = time.monotonic()
                while True:
                    try:
                        self.pending.append(self.incoming.get_nowait())
                    except queue.Empty:
                        break
                if self.pending:
                    versions = read_versions(sorted({e.shared_id for e in self.pending}))
                    self.pending = settle(self.pending, versions, started)
                    self.polls += 1
                    self.query_s += time.monotonic() - started
                self.stop_event.wait(max(0.0, MONITOR_INTERVAL - (time.monotonic() - started)))
        except BaseException as error:  # noqa: BLE001 — reported by the command
            self.error = error
        finally:
            connection.close()

    def stop(self) -> None:
        self.stop_event.set()
        self.join(timeout=10)


@dataclass
class Phase:
    clients: int
    seconds: float = 0.0
    edits: list[Edit] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    refusals: Counter = field(default_factory=Counter)
    errors: Counter = field(default_factory=Counter)
    backlog_edits: int = 0
    backlog_changes: int = 0
    drained_s: float | None = None
    left: int = 0
    rss_sum_mb: float = 0.0
    rss_max_mb: float = 0.0
    pss_mb: float = 0.0
    examples: dict[str, str] = field(default_factory=dict)  # fault code → the first faultstring
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def rate(self) -> float:
        return len(self.edits) / self.seconds if self.seconds else 0.0

    @property
    def lags(self) -> list[float]:
        return [e.lag for e in self.edits if e.lag is not None]


@dataclass
class Bulk:
    records: int = 0
    sent_records: int = 0  # in lotes answered (all of them unless --bulk-timeout struck first)
    lotes: int = 0
    clients: int = 0
    api_s: float = 0.0
    visible_s: float | None = None
    elapsed_s: float = 0.0
    links_total: int = 0
    links_behind: int = 0
    refused_records: int = 0
    refusals: Counter = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    rss_sum_mb: float = 0.0
    rss_max_mb: float = 0.0
    pss_mb: float = 0.0
    # The engine alone: the qcluster is stopped while the API accepts the lotes, then
    # started, and timed until every copy is up to date (as the activation is timed).
    engine_s: float | None = None

    def engine_rate(self, destinations: int) -> float:
        return self.records * destinations / self.engine_s if self.engine_s else 0.0

    def rate(self, destinations: int) -> float:
        """Records×destinations/s until visible everywhere; when it timed out, the copies
        brought up to date by then (of the records sent) per second."""
        if self.visible_s:
            return self.records * destinations / self.visible_s
        if self.elapsed_s:
            return max(0, self.sent_records * destinations - self.links_behind) / self.elapsed_s
        return 0.0


@dataclass
class Figures:
    products: int
    parties: int
    destinations: int
    web_workers: int
    q_workers: int
    broker: str
    setup_s: float = 0.0
    shared: dict[str, int] = field(default_factory=dict)
    activation_s: float = 0.0
    activation_rss: tuple[float, float, float] = (0.0, 0.0, 0.0)
    phases: list[Phase] = field(default_factory=list)
    bulk: Bulk | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def record_destinations(self) -> int:
        return sum(self.shared.values()) * self.destinations

    @property
    def activation_rate(self) -> float:
        return self.record_destinations / self.activation_s if self.activation_s else 0.0

    @property
    def bulk_engine_ratio(self) -> float | None:
        if self.bulk is None or not self.activation_rate or not self.bulk.engine_s:
            return None
        return self.bulk.engine_rate(self.destinations) / self.activation_rate

    @property
    def bulk_ratio(self) -> float | None:
        if self.bulk is None or not self.activation_rate:
            return None
        return self.bulk.rate(self.destinations) / self.activation_rate

    def worker_peak(self) -> tuple[float, float, float]:
        """Peaks of (summed RSS, largest process, summed PSS) over activation, load and bulk."""
        windows = [self.activation_rss, *((p.rss_sum_mb, p.rss_max_mb, p.pss_mb) for p in self.phases)]
        if self.bulk:
            windows.append((self.bulk.rss_sum_mb, self.bulk.rss_max_mb, self.bulk.pss_mb))
        return tuple(max(w[i] for w in windows) for i in range(3))


def _ms(seconds: float) -> str:
    return "–" if seconds != seconds else f"{seconds * 1000:.0f} ms"  # NaN: nothing measured


def _s(seconds: float | None) -> str:
    if seconds is None or seconds != seconds:
        return "–"
    return f"{seconds:.2f} s"


def verdicts(f: Figures) -> list[tuple[str, str, bool | None]]:
    """(target, what was measured, passed — None when not measured)."""
    rows: list[tuple[str, str, bool | None]] = []
    if f.phases:
        worst = max(f.phases, key=lambda p: (p.left > 0, kit.percentile(p.lags, 0.99)))
        p99 = kit.percentile(worst.lags, 0.99)
        ok = all(p.left == 0 and p.lags and kit.percentile(p.lags, 0.99) < TARGETS["lag_p99_s"]
                 for p in f.phases)
        rows.append((f"lag p99 < {TARGETS['lag_p99_s']:.0f} s at every C",
                     f"worst {_s(p99)} at C={worst.clients}" + (f", {worst.left} never visible" if worst.left else ""),
                     ok))
        slowest = max(f.phases, key=lambda p: (p.drained_s is None, p.drained_s or 0))
        ok = all(p.drained_s is not None and p.drained_s <= TARGETS["drain_s"] for p in f.phases)
        drained = "not drained" if slowest.drained_s is None else _s(slowest.drained_s)
        rows.append((f"backlog drained ≤ {TARGETS['drain_s']:.0f} s after the load stops",
                     f"worst {drained} at C={slowest.clients}", ok))
    if f.bulk is not None:
        partial = "" if f.bulk.visible_s else " (timed out: partial rate)"
        engine = f.bulk_engine_ratio
        rows.append((f"bulk propagates ≥ {TARGETS['bulk_ratio']}× activation throughput (the engine)",
                     f"{engine:.3f}×" if engine is not None else f"not finished{partial}",
                     None if engine is None else engine >= TARGETS["bulk_ratio"]))

    else:
        rows.append((f"bulk ≥ {TARGETS['bulk_ratio']}× activation throughput", "not run (--skip-bulk)", None))
    peak_sum, peak_max, peak_pss = f.worker_peak()
    # Judged on PSS, the memory the qcluster takes from the machine: its 6 processes are forks
    # of one Django process (~60 MB each at rest, 52 MB of it Django, psycopg and the apps),
    # and summed RSS counts each page they share once per process, ~400 MB at rest.
    rows.append((f"worker memory < {TARGETS['worker_mb']:.0f} MB",
                 f"{peak_pss:.0f} MB summed PSS of the qcluster tree (largest process {peak_max:.0f} MB RSS; "
                 f"summed RSS {peak_sum:.0f} MB, as bench_sharing counts it, counts the pages the forked "
                 f"processes share once per process)",
                 peak_pss < TARGETS["worker_mb"] if peak_pss else None))
    return rows


def report(f: Figures, *, partial: bool = False) -> str:
    """The figures as Markdown: the table per C, the bulk line, the targets."""
    out = []
    out.append(f"## bench_propagation — {f.shared.get('product', 0):,} products + {f.shared.get('party', 0):,} "
               f"clients/suppliers shared, {f.destinations} destinations"
               + (" (INCOMPLETE: a step failed)" if partial else ""))
    out.append("")
    out.append(f"Stack: gunicorn -w {f.web_workers}, qcluster {f.q_workers} workers ({f.broker} broker), DEBUG=0. "
               f"Activation (job in the qcluster): {f.record_destinations:,} records×destinations in "
               f"{_s(f.activation_s)} = {f.activation_rate:,.0f}/s.")
    out.append("")
    if f.phases:
        out.append("| C | edits/s | API p50 | API p99 | lag p50 | lag p99 | backlog at end | drained in "
                   "| refusals | worker RSS peak (summed) |")
        out.append("|---:|---:|---:|---:|---:|---:|---|---:|---|---:|")
        for p in f.phases:
            refusals = sum(p.refusals.values())
            detail = ", ".join(f"{n}× {code}" for code, n in sorted(p.refusals.items()))
            drained = (_s(p.drained_s) if p.drained_s is not None
                       else f"> timeout ({p.left} left)")
            out.append(
                f"| {p.clients} | {p.rate:.1f} | {_ms(kit.percentile(p.latencies, 0.5))} "
                f"| {_ms(kit.percentile(p.latencies, 0.99))} | {_s(kit.percentile(p.lags, 0.5))} "
                f"| {_s(kit.percentile(p.lags, 0.99))} | {p.backlog_edits} edits, {p.backlog_changes} changes "
                f"| {drained} | {refusals}{f' ({detail})' if detail else ''} "
                f"| {p.rss_sum_mb:.0f} MB (max {p.rss_max_mb:.0f}, PSS {p.pss_mb:.0f}) |"
            )
        out.append("")
        examples: dict[str, str] = {}
        for p in f.phases:
            for code, text in p.examples.items():
                examples.setdefault(code, text)
        for code, text in sorted(examples.items()):
            out.append(f"Refusal {code}, first seen: {text}")
        errors = sum((p.errors for p in f.phases), Counter())
        if errors:
            out.append(f"Transport errors (not refusals): {dict(errors)}.")
    b = f.bulk
    if b is not None:
        visible = (f"visible in every member after {_s(b.visible_s)}" if b.visible_s else
                   f"NOT visible in every member after {_s(b.elapsed_s)} ({b.sent_records:,} records sent, "
                   f"{b.links_behind:,} of their copies behind)")
        ratio = f.bulk_ratio
        out.append(
            f"Bulk: {b.records:,} product prices in {b.lotes:,} UpsertProdutosPorLote of {LOTE_SIZE} "
            f"({b.clients} clients): API {_s(b.api_s)} (lote p50 {_ms(kit.percentile(b.latencies, 0.5))}, "
            f"p99 {_ms(kit.percentile(b.latencies, 0.99))}, {b.refused_records} records refused"
            + (f": {dict(b.refusals)}" if b.refusals else "") + f"); {visible} → "
            f"{b.rate(f.destinations):,.0f} records×destinations/s end to end = "
            f"{'–' if ratio is None else f'{ratio:.3f}'}× activation ({f.activation_rate:,.0f}/s); "
            f"the engine alone (qcluster started once the API had accepted every lote): "
            + (f"{_s(b.engine_s)}, {b.engine_rate(f.destinations):,.0f} records×destinations/s = "
               f"{f.bulk_engine_ratio:.3f}× activation; " if b.engine_s else "not finished; ")
            +
            f"worker RSS peak {b.rss_sum_mb:.0f} MB (max {b.rss_max_mb:.0f}, PSS {b.pss_mb:.0f})."
        )
        out.append("")
    out.append("Targets (issue 13, 2-core machine):")
    for target, measured, passed in verdicts(f):
        mark = "not measured" if passed is None else ("PASS" if passed else "FAIL")
        out.append(f"- {mark}: {target} — {measured}")
    out.append("")
    out.extend(f.notes)
    return "\n".join(out)


# --- the API clients ---------------------------------------------------------------------


@dataclass
class Member:
    company_id: int
    app_key: str
    app_secret: str


@dataclass
class Pool:
    """Shared records to edit: their ids and, per member, the local row's id."""

    ids: list[int]
    local: dict[int, list[int]]  # company id → local ids, aligned with `ids`


def fault_code(answer: Any) -> str:
    code = str(answer.get("faultcode", "")) if isinstance(answer, dict) else ""
    return code.rsplit("-", 1)[-1] if code else "?"


class ApiClient:
    """One keep-alive connection (http.client reconnects when gunicorn closes it)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

    def post(self, endpoint: str, body: bytes) -> tuple[int, Any]:
        for attempt in (1, 2):
            try:
                self.connection.request("POST", f"/api/v1/geral/{endpoint}/", body,
                                        {"Content-Type": "application/json"})
                response = self.connection.getresponse()
                data = response.read()
                if response.will_close:
                    self.connection.close()
                return response.status, json.loads(data)
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.connection.close()  # a keep-alive connection the server had closed
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        self.connection.close()


def envelope(member: Member, call: str, param: dict[str, Any]) -> bytes:
    return json.dumps({"call": call, "app_key": member.app_key, "app_secret": member.app_secret,
                       "param": [param]}).encode()


def edit_request(rng: random.Random, registry: str, local_id: int, seq: int) -> tuple[str, str, dict[str, Any]]:
    """A realistic edit: a product's price and/or description, a client's phone or e-mail."""
    if registry == "product":
        param: dict[str, Any] = {"codigo_produto": local_id}
        kind = rng.random()
        if kind < 0.6 or kind >= 0.85:
            param["valor_unitario"] = round(rng.uniform(1, 5000), 2)
        if kind >= 0.6:
            param["descricao"] = f"Produto revisado nº {local_id} – lote {seq} ({rng.choice('ABCDÉ')})"
        return "produtos", "AlterarProduto", param
    if rng.random() < 0.5:
        param = {"codigo_cliente_omie": local_id, "telefone1_ddd": str(rng.choice((11, 21, 31, 41, 51))),
                 "telefone1_numero": f"9{rng.randrange(1000_0000, 9999_9999)}"}
    else:
        param = {"codigo_cliente_omie": local_id, "email": f"compras.{seq}.{local_id}@cliente-exemplo.com.br"}
    return "clientes", "AlterarCliente", param


class LoadClient(threading.Thread):
    def __init__(self, index: int, port: int, members: list[Member], pools: dict[str, Pool],
                 phase: Phase, monitor: LagMonitor, stop: threading.Event, seed: int) -> None:
        super().__init__(daemon=True, name=f"client-{index}")
        self.index, self.port, self.members, self.pools = index, port, members, pools
        self.phase, self.monitor, self.stop_event = phase, monitor, stop
        self.rng = random.Random(seed)

    def run(self) -> None:
        client = ApiClient(self.port)
        seq = 0
        try:
            while not self.stop_event.is_set():
                member = self.members[(self.index + seq) % len(self.members)]  # spread over members
                registry = self.rng.choice(("product", "party"))
                pool = self.pools[registry]
                k = self.rng.randrange(len(pool.ids))
                endpoint, call, param = edit_request(self.rng, registry, pool.local[member.company_id][k], seq)
                seq += 1
                started = time.monotonic()
                try:
                    status, answer = client.post(endpoint, envelope(member, call, param))
                except (OSError, http.client.HTTPException, ValueError) as error:
                    with self.phase.lock:
                        self.phase.errors[type(error).__name__] += 1
                    time.sleep(0.1)
                    continue
                answered = time.monotonic()
                self.phase.latencies.append(answered - started)
                if status == 200 and answer.get("codigo_status") == "0":
                    edit = Edit(pool.ids[k], answered)
                    self.phase.edits.append(edit)
                    self.monitor.add(edit)
                else:
                    code = fault_code(answer)
                    with self.phase.lock:
                        self.phase.refusals[code] += 1
                        self.phase.examples.setdefault(code, f"{call} {param}: {answer.get('faultstring')}"[:300])
        finally:
            client.close()


# --- the command -------------------------------------------------------------------------


def _clients(text: str) -> list[int]:
    try:
        values = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise CommandError(f"--clients: a comma-separated list of numbers, not {text!r}") from None
    if not values or min(values) < 1:
        raise CommandError("--clients: at least one C >= 1")
    return values


class Command(BaseCommand):
    help = ("Propagação em escala de integração: gunicorn + qcluster reais, C clientes da API por 60 s "
            "(edições/s, p50/p99 da API e do atraso de propagação, fila no fim) e uma alteração em lote de "
            "todos os produtos comparada à ativação.")

    def add_arguments(self, parser) -> None:
        parser.add_argument("--products", type=int, default=100_000, help="produtos na origem")
        parser.add_argument("--parties", type=int, default=100_000, help="clientes/fornecedores na origem")
        parser.add_argument("--destinations", type=int, default=3)
        parser.add_argument("--clients", default="1,4,16,32", help="valores de C, separados por vírgula")
        parser.add_argument("--seconds", type=float, default=60, help="duração de cada carga")
        parser.add_argument("--web-workers", type=int, default=4, help="gunicorn -w")
        parser.add_argument("--q-workers", type=int, default=None, help="workers do qcluster (padrão: Q_WORKERS)")
        parser.add_argument("--bulk-clients", type=int, default=4, help="lotes enviados ao mesmo tempo")
        parser.add_argument("--skip-bulk", action="store_true", help="sem a alteração em lote")
        parser.add_argument("--with-endpoint", action="store_true",
                            help="cada empresa com um webhook (todos os tópicos) para um receptor local, "
                                 "cadastrado depois da ativação")
        parser.add_argument("--quick", action="store_true",
                            help=f"teste rápido: {QUICK['products']:,} registros, {QUICK['seconds']} s, "
                                 f"C={QUICK['clients']}")
        parser.add_argument("--keep", action="store_true", help="não apagar o banco de rascunho")
        parser.add_argument("--database-url", default=None,
                            help="banco de rascunho criado e apagado (padrão: o nome deste banco + _propagation)")
        parser.add_argument("--redis-url", default=None,
                            help="Redis da fila (padrão: Q_REDIS_URL ou redis://127.0.0.1:6379/0); a fila "
                                 "do cluster nele é esvaziada no início")
        parser.add_argument("--in-place", action="store_true",
                            help="rodar no banco e na fila atuais (sem criar banco de rascunho)")
        parser.add_argument("--port", type=int, default=0, help="porta do gunicorn (padrão: uma livre)")
        parser.add_argument("--drain-timeout", type=float, default=300, help="espera máxima pela fila (s)")
        parser.add_argument("--bulk-timeout", type=float, default=3600,
                            help="espera máxima pela alteração em lote (s)")
        parser.add_argument("--seed", type=int, default=13)
        parser.add_argument("--purge-queue", action="store_true", help=argparse.SUPPRESS)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["quick"]:
            for name, value in QUICK.items():
                options[name] = value
        if min(options["products"], options["parties"]) < 50 or options["destinations"] < 1:
            raise CommandError("Use --products/--parties >= 50 e --destinations >= 1.")
        options["clients"] = ",".join(str(c) for c in _clients(options["clients"]))
        if options["in_place"]:
            Bench(self, options).run()
        else:
            self._in_scratch(options)

    # --- the scratch database ------------------------------------------------------------

    def _in_scratch(self, options: dict[str, Any]) -> None:
        import psycopg

        if connection.vendor != "postgresql":
            raise CommandError("bench_propagation precisa de PostgreSQL (DATABASE_URL=postgresql://…).")
        url = options["database_url"] or _with_name(kit.database_url(), f"{connection.settings_dict['NAME']}"
                                                                        "_propagation")
        parts = urlsplit(url)
        name = parts.path.lstrip("/")
        if not name or name == connection.settings_dict["NAME"]:
            raise CommandError("--database-url must name a scratch database other than this one (it is dropped).")
        admin = psycopg.connect(
            host=parts.hostname or "127.0.0.1", port=parts.port or 5432, user=parts.username,
            password=parts.password, dbname="postgres", autocommit=True,
        )
        quoted = '"' + name.replace('"', '""') + '"'

        def drop() -> None:
            admin.execute(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)")

        row = admin.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
        if row is not None:
            if row[0] != SCRATCH_MARK:
                raise CommandError(f"database {name} exists and is not a scratch database of this benchmark; "
                                   "pass another --database-url")
            drop()  # left by an interrupted run or --keep
        admin.execute(f"CREATE DATABASE {quoted}")
        admin.execute(f"COMMENT ON DATABASE {quoted} IS '{SCRATCH_MARK}'")
        redis_url = options["redis_url"] or os.environ.get("Q_REDIS_URL") or "redis://127.0.0.1:6379/0"
        env = {k: v for k, v in os.environ.items() if k != "Q_SYNC"}
        env.update(DATABASE_URL=url, Q_REDIS_URL=redis_url, DEBUG="0", PYTHONUNBUFFERED="1",
                   SECRET_KEY=os.environ.get("SECRET_KEY") or secrets.token_urlsafe(50))
        manage = str(Path(settings.BASE_DIR) / "manage.py")
        child: subprocess.Popen | None = None

        def terminated(signum, frame):
            if child is not None and child.poll() is None:
                child.send_signal(signal.SIGTERM)
            raise SystemExit(f"received signal {signum}")

        previous = signal.signal(signal.SIGTERM, terminated)
        try:
            self.stdout.write(f"scratch database {name} created; migrating…")
            self.stdout.flush()
            subprocess.run([sys.executable, manage, "migrate", "--noinput", "-v", "0"], env=env, check=True)
            argv = [sys.executable, manage, "bench_propagation", "--in-place", "--purge-queue",
                    "--products", str(options["products"]), "--parties", str(options["parties"]),
                    "--destinations", str(options["destinations"]), "--clients", options["clients"],
                    "--seconds", str(options["seconds"]), "--web-workers", str(options["web_workers"]),
                    "--bulk-clients", str(options["bulk_clients"]), "--port", str(options["port"]),
                    "--drain-timeout", str(options["drain_timeout"]),
                    "--bulk-timeout", str(options["bulk_timeout"]), "--seed", str(options["seed"])]
            if options["q_workers"]:
                argv += ["--q-workers", str(options["q_workers"])]
            if options["skip_bulk"]:
                argv.append("--skip-bulk")
            if options["with_endpoint"]:
                argv.append("--with-endpoint")
            self.stdout.flush()
            child = subprocess.Popen(argv, env=env)
            try:
                code = child.wait()
            except KeyboardInterrupt:
                # The child got the Ctrl-C too (same process group) and stops its processes.
                self.stderr.write("interrupted: waiting for the benchmark to stop its processes…")
                try:
                    code = child.wait(timeout=120)
                except subprocess.TimeoutExpired:
                    child.kill()
                    code = child.wait()
                raise
            if code != 0:
                raise CommandError(f"the benchmark failed (exit code {code})")
        finally:
            signal.signal(signal.SIGTERM, previous)
            if options["keep"]:
                self.stdout.write(f"--keep: scratch database kept: {url}")
            else:
                try:
                    drop()
                    self.stdout.write(f"scratch database {name} dropped")
                except psycopg.Error as error:
                    self.stderr.write(f"could not drop {name}: {error}")
            admin.close()


def _with_name(url: str, name: str) -> str:
    parts = urlsplit(url)
    return parts._replace(path="/" + quote(name)).geturl()



class WebhookReceiver:
    """A local HTTP receiver for --with-endpoint: answers 200 to every POST and counts them."""

    def __init__(self) -> None:
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        receiver = self
        self.count = 0
        self._lock = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 — http.server's name
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver._lock:
                    receiver.count += 1
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

class Bench:
    """One run against the current database and broker."""

    def __init__(self, command: Command, options: dict[str, Any]) -> None:
        self.command = command
        self.stdout = command.stdout
        self.options = options
        self.rng = random.Random(options["seed"])
        self.run_id = uuid.uuid4().hex[:8]
        broker = settings.Q_CLUSTER.get("redis")
        q_workers = options["q_workers"] or settings.Q_CLUSTER["workers"]
        self.figures = Figures(
            products=options["products"], parties=options["parties"], destinations=options["destinations"],
            web_workers=options["web_workers"], q_workers=q_workers, broker="Redis" if broker else "ORM",
        )
        # What the processes it starts share with this one: the database, the broker, DEBUG off.
        self.env = {"DATABASE_URL": kit.database_url(), "DEBUG": "0",
                    "SECRET_KEY": os.environ.get("SECRET_KEY") or settings.SECRET_KEY or secrets.token_urlsafe(50),
                    "Q_WORKERS": str(q_workers), "Q_SYNC": "0"}
        if broker:
            self.env["Q_REDIS_URL"] = broker
        # The receiver listens on 127.0.0.1, a loopback address webhooks refuse by default.
        self.receiver: WebhookReceiver | None = None
        if options.get("with_endpoint"):
            self.env["WEBHOOKS_ALLOW_PRIVATE"] = "1"
        self.worker: kit.Worker | None = None
        self.webhooks_worker: kit.Worker | None = None  # the webhooks queue's qcluster (--with-endpoint)
        self.worker_paused = False  # stopped on purpose (the bulk's API step)
        self.server: kit.Server | None = None
        self.monitor: LagMonitor | None = None
        self.stop_clients = threading.Event()

    def step(self, text: str) -> None:
        self.stdout.write(f"[{time.strftime('%H:%M:%S')}] {text}")
        self.stdout.flush()

    def run(self) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("bench_propagation precisa de PostgreSQL.")
        failed: BaseException | None = None

        def terminated(signum, frame):
            raise SystemExit(f"received signal {signum}")

        previous = signal.signal(signal.SIGTERM, terminated) if threading.current_thread() is threading.main_thread() \
            else None
        try:
            if self.options["purge_queue"]:
                from django_q.brokers import get_broker

                get_broker().purge_queue()
            self.setup()
            self.start_stack()
            self.activate()
            if self.options.get("with_endpoint"):
                self.register_endpoints()
            self.load_phases()
            if not self.options["skip_bulk"]:
                self.bulk()
        except BaseException as error:  # noqa: BLE001 — reported below, then re-raised
            failed = error
        finally:
            self.stop_clients.set()
            if self.receiver is not None:
                self.receiver.stop()
                self.step(f"webhooks: {self.receiver.count:,} deliveries received")
            if self.monitor is not None:
                self.monitor.stop()
            if self.server is not None:
                self.server.stop()
                self.step("gunicorn stopped")
                if failed is None and self.server.log_path:
                    self.server.log_path.unlink(missing_ok=True)
                elif self.server.log_path:
                    self.stdout.write(f"  gunicorn log kept: {self.server.log_path}")
            for worker, what in ((self.worker, "qcluster"), (self.webhooks_worker, "webhooks qcluster")):
                if worker is None:
                    continue
                code = worker.stop()
                self.step(f"{what} stopped (exit code {code})")
                if failed is None:
                    worker.log_path.unlink(missing_ok=True)
                else:
                    self.stdout.write(f"  worker log kept: {worker.log_path}")
            if previous is not None:
                signal.signal(signal.SIGTERM, previous)
        self.stdout.write("")
        self.stdout.write(report(self.figures, partial=failed is not None))
        if failed is not None:
            if isinstance(failed, CommandError):
                raise failed
            raise CommandError(f"benchmark failed: {failed.__class__.__name__}: {failed}") from failed

    # --- setup -----------------------------------------------------------------------------

    def setup(self) -> None:
        from api import services as api_services

        started = time.monotonic()
        n_products, n_parties, d = self.options["products"], self.options["parties"], self.options["destinations"]
        self.step(f"setup: 1 origin + {d} destinations, {n_products:,} products + {n_parties:,} parties")
        group = company_services.group_get_or_create(name=f"Bench propagação {self.run_id}")

        def company(label: str) -> Company:
            while True:
                cnpj = brazil.random_cnpj(self.rng)
                if not Company.objects.filter(cnpj=cnpj).exists():
                    break
            return company_services.company_create(
                cnpj=cnpj, legal_name=f"Bench {label} {self.run_id} Ltda", trade_name=f"Bench {label} {self.run_id}",
                group=group,
            )

        self.origin = company("Origem")
        self.destinations = [company(f"Destino {k}") for k in range(1, d + 1)]
        kit.sql(kit.FUNCTIONS)
        with transaction.atomic():
            kit.sql("SET LOCAL synchronous_commit = off")
            # As bench_sharing: a destination holds 30 % of the origin's keys with other
            # values and 10 % keys of its own.
            origin_keys = "SELECT k FROM generate_series(1, %(n)s) k"
            for n, part in ((n_products, {"products_only": True}), (n_parties, {"parties_only": True})):
                kit.generate(self.origin.pk, origin_keys, "Origem", 0, n, **part)
                for k, dest in enumerate(self.destinations, start=1):
                    keys = (f"SELECT k FROM generate_series(1, %(n)s) k WHERE (k + {k}) %% 10 < 3 "
                            "UNION ALL SELECT %(n)s + j FROM generate_series(1, %(n)s / 10) j")
                    kit.generate(dest.pk, keys, f"Destino{k}", k, n, **part)
            # UpsertProdutosPorLote finds products by their integration code (not shared).
            kit.sql("UPDATE catalog_product SET integration_code = 'INT-' || code WHERE company_id = %(c)s",
                    {"c": self.origin.pk})
        for table in ("catalog_party", "catalog_product", "catalog_party_salespeople",
                      "catalog_product_suppliers", "catalog_billofmaterialsitem"):
            kit.sql(f"VACUUM (ANALYZE) {table}")
        self.members = []
        for member in (self.origin, *self.destinations):
            issued = api_services.credential_issue(company=member)
            self.members.append(Member(member.pk, issued.app_key, issued.app_secret))
        self.figures.setup_s = time.monotonic() - started
        self.step(f"setup done in {self.figures.setup_s:.1f} s")

    def start_stack(self) -> None:
        tmp = Path(os.environ.get("TMPDIR", "/tmp"))
        poll = float(settings.Q_CLUSTER.get("poll", 0.2))
        self.step(f"starting manage.py qcluster ({self.figures.q_workers} workers, {self.figures.broker} broker) "
                  f"and gunicorn -w {self.options['web_workers']}")
        self.worker = kit.Worker(poll, self.stdout, env=self.env)
        self.worker.start()
        self.server = kit.Server(workers=self.options["web_workers"], port=self.options["port"], env=self.env,
                                 log_path=tmp / f"bench_gunicorn_{os.getpid()}.log")
        self.step(f"gunicorn answering on 127.0.0.1:{self.server.port}")

    def check_alive(self) -> None:
        if self.worker is not None and not self.worker_paused and not self.worker.alive():
            raise CommandError("the qcluster exited:\n" + self.worker.log_tail())
        if self.server is not None and self.server.process.poll() is not None:
            raise CommandError("gunicorn exited")
        if self.monitor is not None and self.monitor.error is not None:
            raise CommandError(f"the lag monitor failed: {self.monitor.error!r}")

    # --- activation ------------------------------------------------------------------------

    def activate(self) -> None:
        from sharing import services
        from sharing.models import SharedRecord, SyncJob
        from sharing.services import Permissions

        every = Permissions(can_create=True, can_update=True, can_delete=True)
        self.step("activation: configure + activate; the job runs in the qcluster")
        self.worker.window()
        share = services.share_configure(
            origin=self.origin, registries=["party", "product"], origin_permissions=every,
            destinations=dict.fromkeys(self.destinations, every),
        )
        job = services.share_activate(share=share, confirmed=True)
        deadline = time.monotonic() + 3600
        while not SyncJob.objects.get(pk=job.pk).is_finished:
            self.check_alive()
            if time.monotonic() > deadline:
                raise CommandError(f"activation job {job.pk} not finished after an hour")
            time.sleep(0.2)
        job.refresh_from_db()
        if job.status != SyncJob.Status.DONE:
            raise CommandError(f"activation job {job.pk} ended {job.status}: {job.errors[-3:]}")
        self.share = share
        self.figures.activation_s = (job.finished_at - job.started_at).total_seconds()
        self.figures.activation_rss = self.worker.window()
        for registry in ("party", "product"):
            self.figures.shared[registry] = SharedRecord.objects.filter(share=share, registry=registry).count()
        self.step(f"activation: {self.figures.record_destinations:,} records×destinations in "
                  f"{self.figures.activation_s:.2f} s = {self.figures.activation_rate:,.0f}/s")

    # --- (a) sustained load ----------------------------------------------------------------

    def pools(self, size: int = 20_000) -> dict[str, Pool]:
        """Up to `size` shared records per registry (seeded sample) linked in every member."""
        companies = [m.company_id for m in self.members]
        pools = {}
        for registry in ("product", "party"):
            ids = [r for (r,) in kit.rows(
                "SELECT id FROM sharing_sharedrecord WHERE share_id = %(s)s AND registry = %(r)s "
                "AND deleted_at IS NULL ORDER BY id", {"s": self.share.pk, "r": registry})]
            chosen = sorted(self.rng.sample(ids, min(size, len(ids))))
            local: dict[int, dict[int, int]] = {}
            for shared_id, company_id, local_id in kit.rows(
                "SELECT shared_record_id, company_id, local_id FROM sharing_recordlink "
                "WHERE shared_record_id = ANY(%(ids)s)", {"ids": chosen},
            ):
                local.setdefault(shared_id, {})[company_id] = local_id
            complete = [i for i in chosen if len(local.get(i, {})) == len(companies)]
            pools[registry] = Pool(complete, {c: [local[i][c] for i in complete] for c in companies})
        return pools

    def pending_changes(self) -> int:
        return kit.scalar("SELECT count(*) FROM sharing_change WHERE share_id = %s AND status <> 'applied'",
                          [self.share.pk])

    def register_endpoints(self) -> None:
        """One webhook per member company, every topic, to a local receiver that answers 200:
        the load phases then also produce and deliver an event per write in every company
        (issue 15: propagation's benchmark with and without an endpoint)."""
        from django.test.utils import override_settings

        from webhooks import services as webhooks
        from webhooks.models import ALL_TOPICS

        self.receiver = WebhookReceiver()
        # The deliveries' own qcluster (settings.Q_QUEUE), as deploy/omieshare-webhooks.service
        # runs it beside the engine's; the engine's memory below is its own tree's.
        self.webhooks_worker = kit.Worker(float(settings.Q_CLUSTER.get("poll", 0.2)), self.stdout,
                                          env={**self.env, "Q_QUEUE": "webhooks"}, name="webhooks_qcluster")
        self.webhooks_worker.start()
        for member in self.members:
            company = Company.objects.get(pk=member.company_id)
            with override_settings(WEBHOOKS_ALLOW_PRIVATE=True):  # as the stack's env says
                webhooks.endpoint_create(company=company, url=f"http://127.0.0.1:{self.receiver.port}/omie",
                                         topics=list(ALL_TOPICS))
        self.step(f"webhooks: {len(self.members)} endpoints (every topic) to a receiver on 127.0.0.1:"
                  f"{self.receiver.port}; their qcluster: Q_QUEUE=webhooks, {settings.WEBHOOKS_Q_WORKERS} workers")

    def load_phases(self) -> None:
        pools = self.pools()
        self.monitor = LagMonitor()
        self.monitor.start()
        seconds = self.options["seconds"]
        for c in _clients(self.options["clients"]):
            phase = Phase(clients=c)
            self.figures.phases.append(phase)
            self.step(f"load: C={c} API clients for {seconds:g} s")
            self.worker.window()
            self.stop_clients = threading.Event()
            clients = [LoadClient(i, self.server.port, self.members, pools, phase, self.monitor, self.stop_clients,
                                  seed=self.rng.randrange(2**32)) for i in range(c)]
            started = time.monotonic()
            for client in clients:
                client.start()
            while time.monotonic() - started < seconds:
                self.check_alive()
                time.sleep(min(0.5, max(0.0, seconds - (time.monotonic() - started))))
            self.stop_clients.set()
            for client in clients:
                client.join()
            stopped = time.monotonic()
            phase.seconds = stopped - started
            phase.backlog_changes = self.pending_changes()
            phase.backlog_edits = sum(1 for e in phase.edits if e.visible is None or e.visible > stopped)
            self.step(f"  {len(phase.edits):,} edits accepted ({phase.rate:.1f}/s), "
                      f"{sum(phase.refusals.values())} refused; backlog {phase.backlog_edits} edits, "
                      f"{phase.backlog_changes} changes; waiting for it to drain")
            self.drain(phase, stopped)
            phase.rss_sum_mb, phase.rss_max_mb, phase.pss_mb = self.worker.window()
            self.step(f"  lag p50 {_s(kit.percentile(phase.lags, 0.5))}, p99 {_s(kit.percentile(phase.lags, 0.99))}"
                      f", drained in {_s(phase.drained_s)}")

    def drain(self, phase: Phase, stopped: float) -> None:
        deadline = stopped + self.options["drain_timeout"]
        while any(e.visible is None for e in phase.edits) and time.monotonic() < deadline:
            self.check_alive()
            time.sleep(0.05)
        phase.left = sum(1 for e in phase.edits if e.visible is None)
        if phase.left == 0:
            last = max((e.visible for e in phase.edits), default=stopped)
            phase.drained_s = max(0.0, last - stopped)
        # The engine's own outbox too, so that the next phase starts from an empty queue.
        while self.pending_changes() and time.monotonic() < deadline:
            self.check_alive()
            time.sleep(0.2)

    # --- (b) bulk ----------------------------------------------------------------------------

    def bulk(self) -> None:
        clients = self.options["bulk_clients"]
        origin = next(m for m in self.members if m.company_id == self.origin.pk)
        products = kit.rows(
            "SELECT integration_code, price FROM catalog_product WHERE company_id = %(c)s "
            "AND integration_code <> '' ORDER BY id", {"c": self.origin.pk})
        lotes: queue.SimpleQueue[list[dict[str, Any]]] = queue.SimpleQueue()
        count = 0
        for start in range(0, len(products), LOTE_SIZE):
            chunk = products[start:start + LOTE_SIZE]
            lotes.put([{"codigo_produto_integracao": code,
                        "valor_unitario": float((price * Decimal("1.05") + Decimal("0.01")).quantize(Decimal("0.01")))}
                       for code, price in chunk])
            count += 1
        b = Bulk(records=self.figures.shared.get("product", 0), lotes=count, clients=clients)
        self.figures.bulk = b
        self.step(f"bulk: {len(products):,} prices in {count:,} UpsertProdutosPorLote of {LOTE_SIZE}, "
                  f"{clients} clients")
        self.worker.window()
        rss_before = self.worker.window()
        # The engine is timed alone, as the activation is: the qcluster stops while the API
        # accepts the lotes (each record through the single call's code, as issue 12 asks),
        # and starts again once they are all in.
        self.worker.stop()
        self.worker_paused = True
        self.stop_clients = threading.Event()
        lock = threading.Lock()
        failures: list[BaseException] = []

        started = time.monotonic()
        deadline = started + self.options["bulk_timeout"]

        def send(index: int) -> None:
            client = ApiClient(self.server.port)
            try:
                while not self.stop_clients.is_set() and time.monotonic() < deadline:
                    try:
                        records = lotes.get_nowait()
                    except queue.Empty:
                        return
                    body = envelope(origin, "UpsertProdutosPorLote",
                                    {"lote": index, "produto_servico_cadastro": records})
                    while True:
                        t0 = time.monotonic()
                        status, answer = client.post("produtos", body)
                        with lock:
                            b.latencies.append(time.monotonic() - t0)
                        if status == 200 or fault_code(answer) != "6":
                            break
                        with lock:
                            b.refusals["6 (lote retried)"] += 1
                        time.sleep(0.5)  # the concurrency slot of the app_key: wait and send again
                    with lock:
                        b.sent_records += len(records)
                        if status != 200:
                            b.refused_records += len(records)
                            b.refusals[fault_code(answer)] += len(records)
                        else:
                            for item in answer.get("produto_servico_status", []):
                                if item.get("codigo_status") != "0":
                                    b.refused_records += 1
                                    b.refusals[str(item.get("codigo_status"))] += 1
            except BaseException as error:  # noqa: BLE001 — re-raised by the command
                failures.append(error)
            finally:
                client.close()

        threads = [threading.Thread(target=send, args=(i,), daemon=True) for i in range(clients)]
        for thread in threads:
            thread.start()
        last_report = started
        while any(t.is_alive() for t in threads):
            self.check_alive()
            time.sleep(0.2)
            if time.monotonic() - last_report > 30:
                last_report = time.monotonic()
                self.step(f"  {len(b.latencies):,} of {count:,} lotes sent")
        if failures:
            raise failures[0]
        b.api_s = time.monotonic() - started
        self.step(f"  API done in {b.api_s:.1f} s; starting the qcluster, waiting until visible in every member")
        self.worker = kit.Worker(float(settings.Q_CLUSTER.get("poll", 0.2)), self.stdout, env=self.env)
        self.worker.start()
        self.worker_paused = False
        engine_started = time.monotonic()
        # What to wait for: every shared product's version once the API is done (each already
        # includes its bulk change; the load phases drained before).
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS bench_bulk_target")
            cursor.execute(
                "CREATE TEMP TABLE bench_bulk_target AS SELECT id, version FROM sharing_sharedrecord "
                "WHERE share_id = %s AND registry = 'product' AND deleted_at IS NULL", [self.share.pk])
            cursor.execute("ANALYZE bench_bulk_target")
        behind_sql = ("SELECT count(*) FILTER (WHERE l.applied_version < t.version), count(*) "
                      "FROM sharing_recordlink l JOIN bench_bulk_target t ON t.id = l.shared_record_id")
        while True:
            polled = time.monotonic()
            behind, total = kit.rows(behind_sql, {})[0]
            b.links_behind, b.links_total = behind, total
            if behind == 0 and b.sent_records == len(products):
                b.visible_s = polled - started
                b.engine_s = polled - engine_started
                break
            if polled > deadline:
                b.elapsed_s = polled - started
                self.figures.notes.append(
                    f"The bulk was not visible everywhere after --bulk-timeout {self.options['bulk_timeout']:g} s "
                    f"({b.sent_records:,} of {len(products):,} records sent): its rate counts the copies "
                    "brought up to date by then.")
                break
            if polled - last_report > 30:
                last_report = polled
                self.step(f"  {behind:,} of {total:,} links behind")
            self.check_alive()
            time.sleep(max(0.0, 1.0 - (time.monotonic() - polled)))
        peaks = zip(rss_before, self.worker.window(), strict=True)
        b.rss_sum_mb, b.rss_max_mb, b.pss_mb = (max(before, after) for before, after in peaks)
        self.step(f"bulk: visible after {_s(b.visible_s)} (API {b.api_s:.1f} s)")

