"""What the benchmarks share: generated data, SQL helpers, the real processes they start
(a `manage.py qcluster` worker with its memory sampled, a gunicorn server) and percentiles.

Used by bench_sharing, bench_api_lote and bench_propagation (devtools/management/commands);
nothing in the product imports it.
"""

from __future__ import annotations

import contextlib
import math
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.core.management.base import CommandError
from django.db import connection

from omieshare.lib import brazil

BASE_DIR = Path(__file__).resolve().parents[1]


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (p99 of 200 samples is the 198th smallest); NaN when empty."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(q * len(ordered))))
    return ordered[rank - 1]


def database_url() -> str:
    """This process's database, for the processes it starts (a server, a worker)."""
    db = connection.settings_dict
    user, password = quote(db["USER"] or "", safe=""), quote(db["PASSWORD"] or "", safe="")
    login = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    return f"postgresql://{login}{db['HOST'] or '127.0.0.1'}:{db['PORT'] or '5432'}/{db['NAME']}"


# --- SQL helpers for the generated data ----------------------------------------------------

# Check digits computed in the server, so the generated documents and EANs are valid ones;
# bench_dv11 is omieshare.lib.brazil's rule written as SQL (cycle: a CNPJ's weights).
FUNCTIONS = brazil.check_digit_sql("pg_temp.bench_dv11") + r"""
CREATE OR REPLACE FUNCTION pg_temp.bench_doc(k bigint) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE body text; cycle boolean;
BEGIN
    IF k % 50 = 7 THEN RETURN ''; END IF;            -- 2 %: no CNPJ/CPF (never shared)
    IF k % 5 = 3 THEN                                 -- 20 %: CPF
        body := lpad((100000000 + k)::text, 9, '0'); cycle := false;
    ELSE                                              -- 78 %: CNPJ (matriz)
        body := lpad((10000000 + k)::text, 8, '0') || '0001'; cycle := true;
    END IF;
    body := body || pg_temp.bench_dv11(body, cycle);
    RETURN body || pg_temp.bench_dv11(body, cycle);
END $$;

CREATE OR REPLACE FUNCTION pg_temp.bench_ean(k bigint) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE body text := '789' || lpad(k::text, 9, '0'); s int := 0; i int;
BEGIN
    FOR i IN 1..12 LOOP   -- GS1: weights 3, 1, 3, 1… from the right
        s := s + substr(body, 13 - i, 1)::int * CASE WHEN i % 2 = 1 THEN 3 ELSE 1 END;
    END LOOP;
    RETURN body || ((10 - s % 10) % 10)::text;
END $$;
"""

UFS = "ARRAY['SP','RJ','MG','PR','RS','SC','BA','PE','GO','DF']"
COLOURS = "ARRAY['azul','verde','vermelho','preto','branco']"

TRACE = False  # --verbosity 3: time every setup statement


def sql(statement: str, params: dict[str, Any] | None = None) -> int:
    started = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute(statement, params)  # None: no placeholders, a literal % is fine
        if TRACE:
            print(f"    {time.monotonic() - started:7.3f} s  {' '.join(statement.split())[:100]}")
        return cursor.rowcount


def scalar(statement: str, params: dict[str, Any] | list[Any] | None = None) -> Any:
    with connection.cursor() as cursor:
        cursor.execute(statement, params or {})
        row = cursor.fetchone()
        return row[0] if row else None


# --- the worker and its memory ---------------------------------------------------------------


def _proc_status(pid: int) -> dict[str, int]:
    values: dict[str, int] = {}
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                name, _, rest = line.partition(":")
                if name in ("VmHWM", "VmRSS", "PPid"):
                    values[name] = int(rest.split()[0])
    except (FileNotFoundError, ProcessLookupError, PermissionError, ValueError):
        return {}
    return values


def _pss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as handle:
            for line in handle:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        pass
    return 0


def _descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            ppid = _proc_status(int(entry)).get("PPid")
            if ppid is not None:
                children.setdefault(ppid, []).append(int(entry))
    found, frontier = [root], [root]
    while frontier:
        frontier = [c for p in frontier for c in children.get(p, [])]
        found.extend(frontier)
    return found


class Worker:
    """A real `manage.py qcluster` subprocess, with its process tree's memory sampled."""

    def __init__(self, poll: float, stdout, env: dict[str, str] | None = None, name: str = "qcluster") -> None:
        self.poll = poll
        self.stdout = stdout
        self.env = env or {}  # overrides of this process's environment (DATABASE_URL, Q_WORKERS…)
        self.process: subprocess.Popen | None = None
        self.peak_hwm_kb: dict[int, int] = {}
        self.peak_concurrent_rss_kb = 0
        self.peak_pss_kb = 0
        # Peaks since the last window(): the tree's summed RSS at one moment, the largest process.
        self._window_sum_kb = 0
        self._window_max_kb = 0
        self._window_pss_kb = 0
        self._stop = threading.Event()
        self._sampler: threading.Thread | None = None
        self.log_path = Path(os.environ.get("TMPDIR", "/tmp")) / f"bench_{name}_{os.getpid()}.log"

    def start(self) -> None:
        env = dict(os.environ, Q_POLL=str(self.poll), PYTHONUNBUFFERED="1", **self.env)
        env.setdefault("DJANGO_SETTINGS_MODULE", os.environ.get("DJANGO_SETTINGS_MODULE", "omieshare.settings"))
        self._log = open(self.log_path, "w")  # noqa: SIM115 — closed in stop()
        self.process = subprocess.Popen(
            [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), "qcluster"],
            env=env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        self._sampler = threading.Thread(target=self._sample, daemon=True)
        self._sampler.start()

    def _sample(self) -> None:
        while not self._stop.is_set() and self.process is not None:
            rss = pss = largest = 0
            for pid in _descendants(self.process.pid):
                status = _proc_status(pid)
                if not status:
                    continue
                self.peak_hwm_kb[pid] = max(self.peak_hwm_kb.get(pid, 0), status.get("VmHWM", 0))
                rss += status.get("VmRSS", 0)
                largest = max(largest, status.get("VmRSS", 0))
                pss += _pss_kb(pid)
            self.peak_concurrent_rss_kb = max(self.peak_concurrent_rss_kb, rss)
            self.peak_pss_kb = max(self.peak_pss_kb, pss)
            self._window_sum_kb = max(self._window_sum_kb, rss)
            self._window_max_kb = max(self._window_max_kb, largest)
            self._window_pss_kb = max(self._window_pss_kb, pss)
            self._stop.wait(0.2)

    def window(self) -> tuple[float, float, float]:
        """(summed RSS, largest process's RSS, summed PSS) peaks in MB since the previous call."""
        peaks = (self._window_sum_kb / 1024, self._window_max_kb / 1024, self._window_pss_kb / 1024)
        self._window_sum_kb = self._window_max_kb = self._window_pss_kb = 0
        return peaks

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> int | None:
        """SIGTERM (django-q2 finishes in-flight tasks), SIGKILL after 30 s. The signals go to
        the cluster's own process group (it was started in a new session), so workers left
        behind by a cluster process that died are stopped too."""
        if self.process is None:
            return None
        group = self.process.pid  # session leader: its pid is the group id

        def group_alive() -> bool:
            try:
                os.killpg(group, 0)
            except ProcessLookupError:
                return False
            return True

        code = self.process.poll()
        if code is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                code = self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.stdout.write("  worker did not stop in 30 s after SIGTERM: SIGKILL")
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(group, signal.SIGKILL)
                code = self.process.wait(timeout=10)
        if group_alive():
            self.stdout.write("  worker processes left without their cluster process: SIGTERM to its group")
            with contextlib.suppress(ProcessLookupError):
                os.killpg(group, signal.SIGTERM)
            deadline = time.monotonic() + 15
            while group_alive() and time.monotonic() < deadline:
                time.sleep(0.2)
            if group_alive():
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(group, signal.SIGKILL)
        self._stop.set()
        if self._sampler is not None:
            self._sampler.join(timeout=2)
        self._log.close()
        return code

    def figures(self) -> dict[str, float]:
        return {
            "processes": len(self.peak_hwm_kb),
            "sum_peak_rss_mb": sum(self.peak_hwm_kb.values()) / 1024,
            "concurrent_rss_mb": self.peak_concurrent_rss_kb / 1024,
            "pss_mb": self.peak_pss_kb / 1024,
        }

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return ""


def generate(company_id: int, keys: str, label: str, variant: int, n: int,
             products_only: bool = False, parties_only: bool = False) -> None:
    """N-ish parties and products for one company; `variant` 0 is the origin's values,
    k > 0 a destination's (same keys, other values). Products and parties of different
    counts: a `products_only` call with one N, then a `parties_only` call with the other."""
    p = {"c": company_id, "n": n, "label": label, "lower": label.lower(), "v": variant}
    if not parties_only:  # parties only: the products (for suppliers) exist already
        families = 50 if variant == 0 else 25
        sql(
            "INSERT INTO catalog_productfamily (company_id, name) "
            "SELECT %(c)s, 'Família ' || lpad(f::text, 2, '0') FROM generate_series(1, %(f)s) f "
            "UNION ALL SELECT %(c)s, 'Família ' || %(label)s || ' ' || f FROM generate_series(1, %(x)s) f",
            {**p, "f": families, "x": 0 if variant == 0 else 5},
        )
        sql(
            f"""
            INSERT INTO catalog_product (company_id, code, integration_code, description, unit, ncm,
                ean, price, origin, item_type, cest, family_id, characteristics, active, version,
                created_at, updated_at)
            SELECT %(c)s, 'BP' || lpad(k::text, 8, '0'), '',
                   %(label)s || ' produto ' || k, (ARRAY['UN','KG','CX','PC'])[1 + k %% 4],
                   (10000000 + (k * 37) %% 89999999)::text,
                   CASE WHEN k > %(n)s AND k %% 10 = 0 THEN pg_temp.bench_ean(k - %(n)s)  -- same EAN, other code
                        ELSE pg_temp.bench_ean(k) END,
                   round(((k * 13) %% 100000) / 100.0 * (1 + %(v)s / 10.0) + 1, 2),
                   (k + %(v)s) %% 9, CASE WHEN k %% 3 = 0 THEN '04' ELSE '00' END,
                   CASE WHEN k %% 4 = 0 THEN '2105300' ELSE '' END,
                   f.id,
                   -- [name, value] pairs, as catalog.models.CharacteristicsField stores them
                   jsonb_build_array(jsonb_build_array('cor', ({COLOURS})[1 + (k + %(v)s) %% 5]),
                                     jsonb_build_array('lote', k::text),
                                     jsonb_build_array('tamanho', ((k %% 40) + %(v)s)::text)),
                   true, 1, now(), now()
            FROM ({keys}) keys
            LEFT JOIN catalog_productfamily f ON f.company_id = %(c)s AND k %% 10 <> 9
                 AND f.name = 'Família ' || lpad((1 + k %% {families})::text, 2, '0')
            """,
            p,
        )
        sql("ANALYZE catalog_product")  # the joins below need to know the new rows are there
        # Structures: every 20th product is made of the two before it (no cycles).
        sql(
            """
            INSERT INTO catalog_billofmaterialsitem (product_id, component_id, quantity)
            SELECT p.id, c.id, CASE WHEN x = 1 THEN 2 ELSE 0.5 END + %(v)s
            FROM catalog_product p CROSS JOIN generate_series(1, 2) x
            JOIN catalog_product c ON c.company_id = p.company_id
                 AND c.code = 'BP' || lpad((substr(p.code, 3)::int - x - %(v)s * 5)::text, 8, '0')
            WHERE p.company_id = %(c)s AND substr(p.code, 3)::int %% 20 = 0
            """,
            p,
        )
    if products_only:
        return
    sql(
        "INSERT INTO catalog_salesperson (company_id, name, email, active) "
        "SELECT %(c)s, 'Vendedor ' || %(label)s || ' ' || s, 'vendedor' || s || '@bench.example.com', true "
        "FROM generate_series(1, %(s)s) s "
        "UNION ALL SELECT %(c)s, 'Vendedor ' || %(label)s || ' extra ' || s, "
        "'vendedor-' || %(lower)s || '-' || s || '@bench.example.com', true FROM generate_series(1, %(x)s) s",
        {**p, "s": 20 if variant == 0 else 10, "x": 0 if variant == 0 else 5},
    )
    sql(
        f"""
        INSERT INTO catalog_party (company_id, code, cnpj_cpf, person_type, legal_name,
            trade_name, street, number, complement, district, city, state, cep, country_code,
            phone_ddd, phone_number, email, is_client, is_supplier, characteristics, tags,
            active, version, created_at, updated_at)
        SELECT %(c)s, 'BK' || k, doc, CASE WHEN length(doc) = 11 THEN 'F' ELSE 'J' END,
               %(label)s || ' Comércio ' || k || ' Ltda', %(label)s || ' ' || k,
               'Rua ' || %(label)s || ' ' || (k %% 997), ((k %% 3000) + 1)::text, '',
               'Centro', 'São Paulo', ({UFS})[1 + (k + %(v)s) %% 10],
               lpad((1000000 + (k * 7) %% 8999999)::text, 8, '0'), '1058',
               '11', (900000000 + (k * 11 + %(v)s) %% 99999999)::text,
               'contato' || k || '@' || %(lower)s || '.example.com',
               true, k %% 10 = 0,
               jsonb_build_array(
                   jsonb_build_array('segmento', (ARRAY['varejo','atacado','indústria'])[1 + (k + %(v)s) %% 3]),
                   jsonb_build_array('limite', ((k %% 50) * 1000 + %(v)s)::text)),
               '[]'::jsonb, true, 1, now(), now()
        FROM (SELECT k, pg_temp.bench_doc(k) AS doc FROM ({keys}) keys) t
        """,
        p,
    )
    sql("ANALYZE catalog_party")
    salespeople = 20 if variant == 0 else 10
    sql(
        f"""
        INSERT INTO catalog_party_salespeople (party_id, salesperson_id)
        SELECT p.id, s.id FROM catalog_party p
        JOIN catalog_salesperson s ON s.company_id = p.company_id
             AND s.email = 'vendedor' || (1 + substr(p.code, 3)::int %% {salespeople}) || '@bench.example.com'
        WHERE p.company_id = %(c)s AND p.cnpj_cpf <> ''
        """,
        p,
    )
    # Every third product has one supplier (a party flagged as supplier, with a document).
    sql(
        """
        INSERT INTO catalog_product_suppliers (product_id, party_id)
        SELECT pr.id, pa.id FROM catalog_product pr
        JOIN catalog_party pa ON pa.company_id = pr.company_id
             AND pa.code = 'BK' || (10 * (1 + (substr(pr.code, 3)::int / 3 + %(v)s) %% (%(n)s / 10)))
        WHERE pr.company_id = %(c)s AND substr(pr.code, 3)::int %% 3 = 0
        """,
        p,
    )


def rows(statement: str, params: dict[str, Any]) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall()


def machine() -> str:
    memory = "?"
    with contextlib.suppress(OSError, ValueError, IndexError), open("/proc/meminfo") as handle:
        memory = f"{int(handle.readline().split()[1]) / 1024 / 1024:.0f} GB RAM"
    version = scalar("SHOW server_version")
    shared_buffers = scalar("SHOW shared_buffers")
    threads = os.environ.get("OMIESHARE_ACTIVATION_THREADS", "2")
    return (f"{os.cpu_count()} CPUs, {memory}, PostgreSQL {version} (shared_buffers {shared_buffers}), "
            f"activation threads {threads}")


class Server:
    """gunicorn serving this project on 127.0.0.1 (`workers` sync workers), in its own
    process group; ready once the API answers."""

    def __init__(self, *, workers: int = 1, port: int = 0, env: dict[str, str] | None = None,
                 log_path: Path | None = None) -> None:
        if not port:
            with socket.socket() as probe:
                probe.bind(("127.0.0.1", 0))
                port = probe.getsockname()[1]
        self.port = port
        self.log_path = log_path
        full_env = {**os.environ, "DATABASE_URL": database_url(), **(env or {})}
        full_env.setdefault("SECRET_KEY", settings.SECRET_KEY)
        self._log = open(log_path, "w") if log_path else None  # noqa: SIM115 — closed in stop()
        self.process = subprocess.Popen(
            [str(Path(sys.executable).with_name("gunicorn")), "omieshare.wsgi", "-b", f"127.0.0.1:{self.port}",
             "-w", str(workers), "--log-level", "warning"],
            cwd=BASE_DIR, env=full_env, start_new_session=True,
            stdout=self._log, stderr=subprocess.STDOUT if self._log else None,
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(self.url("produtos"), data=b"{}", timeout=2)
            except urllib.error.HTTPError:
                return  # it answered (with a fault)
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise CommandError("gunicorn did not start") from None
                time.sleep(0.1)

    def url(self, endpoint: str) -> str:
        return f"http://127.0.0.1:{self.port}/api/v1/geral/{endpoint}/"

    def stop(self) -> None:
        """SIGTERM (graceful), SIGKILL to the whole group after 15 s or if anything is left."""
        if self.process.poll() is None:
            self.process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=15)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=10)
        if self._log:
            self._log.close()
