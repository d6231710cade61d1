"""The deployment, with real processes: gunicorn and two qclusters on Redis, the way
deploy/ runs them, against the test database. Marked `deployment`; part of `make test`;
skipped, saying why, where Redis is not running (TEST_REDIS_URL, default db 3)."""

from __future__ import annotations

import contextlib
import json
import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.db.models import F
from django_q.models import OrmQ

from api.services import credential_issue
from catalog.models import Product
from sharing.models import Change, RecordLink
from tests.factories import CompanyFactory
from tests.helpers import BASE_DIR, Worker, bulk_products, database_url, share_between, wait_for

pytestmark = [pytest.mark.deployment, pytest.mark.django_db(transaction=True)]

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/3")
RECORDS = 240


def _redis_or_skip() -> None:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError as error:
        pytest.skip(f"Redis não está disponível em {REDIS_URL} ({error}): o teste de implantação precisa dele")


def free_port() -> int:
    """DEPLOY_TEST_PORT, else the first free port of 8500-8519, else any free port."""
    candidates = [int(os.environ["DEPLOY_TEST_PORT"])] if os.environ.get("DEPLOY_TEST_PORT") else range(8500, 8520)
    for port in [*candidates, 0]:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return probe.getsockname()[1]
    raise AssertionError("no free port")


def deployment_env(**extra: str) -> dict[str, str]:
    """What deploy/omieshare.env gives both the web and the worker units."""
    return {"DATABASE_URL": database_url(), "DEBUG": "0", **extra}


class Web:
    """gunicorn, two workers, as deploy/omieshare-web.service starts it."""

    def __init__(self, env: dict[str, str]) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = BASE_DIR / ".pytest_cache" / f"gunicorn-{os.getpid()}-{time.monotonic_ns()}.log"
        self.env = {k: v for k, v in os.environ.items() if k != "Q_SYNC"} | env
        self.process: subprocess.Popen | None = None

    def start(self) -> Web:
        config = BASE_DIR / "deploy" / "gunicorn.conf.py"
        command = [str(Path(sys.executable).with_name("gunicorn"))]
        if config.exists():
            command += ["-c", str(config)]
        command += ["--bind", f"127.0.0.1:{self.port}", "--workers", "2", "--timeout", "60", "omieshare.wsgi"]
        self.log.parent.mkdir(exist_ok=True)
        self._log_file = self.log.open("wb")
        self.process = subprocess.Popen(command, cwd=BASE_DIR, env=self.env, stdout=self._log_file,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        wait_for(self._answers, timeout=30, interval=0.2, what="gunicorn to answer")
        return self

    def _answers(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"gunicorn exited:\n{self.log.read_text(errors='replace')[-3000:]}")
        return self.get("/health/live")[0] == 200

    def get(self, path: str) -> tuple[int, dict]:
        try:
            with urllib.request.urlopen(self.url + path, timeout=10) as response:
                return response.status, json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"{}")
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            return 0, {}

    def post(self, path: str, body: dict) -> tuple[int, dict]:
        request = urllib.request.Request(self.url + path, json.dumps(body).encode(),
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"{}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)
        if self.process:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self._log_file.close()
            self.log.unlink(missing_ok=True)


def live_members(pgid: int) -> list[int]:
    """The processes of a process group that are still running (not zombies)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        state, group = fields[0], int(fields[2])
        if group == pgid and state not in ("Z", "X"):
            found.append(int(entry.name))
    return found


@pytest.fixture
def deployment(transactional_db):
    """Environment for gunicorn and the workers: the same broker, queue and SECRET_KEY,
    a queue of its own in Redis, short thresholds so that the test sees a dead worker."""
    _redis_or_skip()
    queue = f"omieshare-test-{os.getpid()}-{secrets.token_hex(3)}"
    env = deployment_env(Q_REDIS_URL=REDIS_URL, Q_CLUSTER_NAME=queue, SECRET_KEY=secrets.token_urlsafe(50),
                         WORKER_HEARTBEAT_SECONDS="1", HEALTH_WORKER_STALE_SECONDS="4", HEALTH_MIN_WORKERS="2",
                         LOG_LEVEL="INFO")
    started: list = []
    yield env, started
    for process in reversed(started):
        process.stop()
    for process in started:
        if isinstance(process, Worker):
            process.log.unlink(missing_ok=True)
    import redis

    redis.Redis.from_url(REDIS_URL).delete(f"django_q:{queue}:q")


def converged(origin, destinations) -> bool:
    if Change.objects.filter(status=Change.Status.PENDING).exists():
        return False
    if RecordLink.objects.filter(applied_version__lt=F("shared_record__version")).exists():
        return False
    expected = set(Product.objects.filter(company=origin).values_list("code", "description", "price"))
    return all(
        set(Product.objects.filter(company=destination).values_list("code", "description", "price")) == expected
        for destination in destinations
    )


def test_two_worker_machines_one_killed_and_restarted_every_member_converges(deployment):
    env, started = deployment
    rng = random.Random(20261203)
    origin = CompanyFactory(trade_name="Matriz Implantação")
    destinations = [CompanyFactory(trade_name="Filial Norte"), CompanyFactory(trade_name="Filial Sul")]
    codes = [f"IMP-{n:05d}" for n in range(1, RECORDS + 1)]
    bulk_products(origin, codes, "Peça de reposição")
    share_between(origin, *destinations, registries=("product",))
    keys = credential_issue(company=origin)
    # The activation's own enqueues went to this process's (database) queue, which no Redis
    # worker reads: left there, they would rightly make the site "not ready".
    OrmQ.objects.all().delete()

    web = Web(env)
    started.append(web.start())
    first, second = Worker(env), Worker(env)
    started += [first.start(), second.start()]
    wait_for(lambda: web.get("/health/ready")[0] == 200, timeout=30, interval=0.3, what="the site to be ready")

    stop_load = threading.Event()
    answers: list[int] = []
    refused: list[dict] = []

    def load(seed: int) -> None:
        local = random.Random(seed)
        count = 0
        while not stop_load.is_set():
            count += 1
            code = local.choice(codes)
            status, body = web.post("/api/v1/geral/produtos/", {
                "call": "AlterarProduto", "app_key": keys.app_key, "app_secret": keys.app_secret,
                "param": [{"codigo": code, "descricao": f"Peça revisada {seed}-{count} ação",
                           "valor_unitario": f"{local.randint(100, 99999) / 100:.2f}"}],
            })
            answers.append(status)
            if status != 200:
                refused.append(body)

    threads = [threading.Thread(target=load, args=(rng.randrange(10**6),), daemon=True) for _ in range(3)]
    for thread in threads:
        thread.start()
    wait_for(lambda: len(answers) >= 30, timeout=60, what="30 API writes")

    # One worker machine dies outright: its whole process group, mid-load. Tasks its pusher
    # had taken from Redis are gone with it (Redis delivers at most once).
    pgid = first.process.pid
    first.kill()
    wait_for(lambda: not live_members(pgid), timeout=10, what="the killed group's processes to end")
    # The changes the dead machine held come back through the watchdog, which runs in the
    # surviving cluster's sweeper thread (sharing/leases.py), apart from the queue.
    wait_for(lambda: len(answers) >= 60, timeout=60, what="more API writes with one worker machine left")

    status, body = wait_for(lambda: (lambda r: r if r[0] == 503 else None)(web.get("/health/ready")),
                            timeout=30, interval=0.3, what="the site to report the dead worker")
    assert body["ready"] is False and "workers" in body["failed"]
    assert body["checks"]["workers"]["detail"].startswith("1 de 2 worker(s) ativo(s)")
    stop_load.set()
    for thread in threads:
        thread.join(timeout=30)
    assert refused == []

    restarted = Worker(env)
    started.append(restarted.start())
    status, body = wait_for(lambda: (lambda r: r if r[0] == 200 else None)(web.get("/health/ready")),
                            timeout=30, interval=0.3, what="the site to be ready again")
    assert body["checks"]["workers"]["live"] == 2

    # Every member ends with the origin's values, including the changes whose tasks died
    # with the first machine (the watchdog sends them again: README, "Redis entrega no máximo uma vez").
    wait_for(lambda: converged(origin, destinations), timeout=150, interval=1, what="every member to converge")
    assert Change.objects.filter(status=Change.Status.APPLIED).count() >= 60
    assert web.get("/health/ready")[0] == 200
