"""Do web and workers agree, are workers alive, is the outbox moving: the answers the
readiness endpoint, `manage.py deploy_check` (the web unit's ExecStartPre), `manage.py
check --database default` and each worker's heartbeat give. Thresholds come from the
environment (deploy/omieshare.env.example)."""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core import checks
from django.db import DatabaseError, connection
from django.utils import timezone

from omieshare.supervision import identity
from omieshare.supervision.models import Heartbeat

logger = logging.getLogger(__name__)


def _env_float(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


# A worker whose heartbeat is older than this is gone (it beats every 5 s).
WORKER_STALE_SECONDS = _env_float("HEALTH_WORKER_STALE_SECONDS", 30)
# Fewer live worker clusters than this and the site is not ready (edits would wait).
MIN_WORKERS = int(os.environ.get("HEALTH_MIN_WORKERS", "1"))
# An outbox change still pending after this long: propagation is stuck or far behind.
# The watchdog brings back a change whose task was lost within about 110 s (README).
PENDING_MAX_SECONDS = _env_float("HEALTH_PENDING_MAX_SECONDS", 180)
# A task in the database queue older than this, with no worker reading that queue,
# was enqueued by a web server without Q_REDIS_URL.
STRANDED_AFTER_SECONDS = 60
# A web server's row counts for the workers' comparison this long after it was written.
WEB_SEEN_WITHIN = timedelta(minutes=2)
# The readiness endpoint renews its process's web row at most this often.
WEB_BEAT_SECONDS = 30


@dataclass
class Result:
    name: str
    ok: bool
    detail: str
    extra: dict = field(default_factory=dict)


def _identity_of(row: Heartbeat) -> identity.Identity:
    return identity.Identity(broker=row.broker, queue=row.queue, key_fingerprint=row.key_fingerprint)


def live_workers(now: datetime) -> list[Heartbeat]:
    """The live qclusters, the engine's and the webhooks queue's (_check_workers counts
    only the engine's)."""
    return list(Heartbeat.objects.filter(role__in=[Heartbeat.Role.WORKER, Heartbeat.Role.WEBHOOKS],
                                         seen_at__gte=now - timedelta(seconds=WORKER_STALE_SECONDS)))


def disagreements(me: identity.Identity, rows, *, what: str) -> list[str]:
    """One sentence per process in `rows` whose broker, queue or SECRET_KEY differ."""
    found = []
    for row in rows:
        differences = me.differences(_identity_of(row))
        if differences:
            found.append(f"{what} {row.host}:{row.pid} usa {', '.join(differences)}")
    return found


def stranded_tasks(now: datetime, workers: list[Heartbeat]) -> int:
    """Tasks waiting in the database queue that no live worker reads (all live workers are
    on Redis): a web server without Q_REDIS_URL put them there."""
    if not workers or any(row.broker == "orm" for row in workers):
        return 0
    from django_q.models import OrmQ

    return OrmQ.objects.filter(lock__lt=now - timedelta(seconds=STRANDED_AFTER_SECONDS)).count()


def _stranded_sentence(count: int) -> str:
    return (f"{count} tarefa(s) esperam na fila do banco de dados, que os workers (Redis) não leem: "
            "algum servidor web está sem Q_REDIS_URL")


def web_side_problems(now: datetime | None = None) -> list[str]:
    """What a web server starting now should refuse: live workers that disagree with it,
    tasks stranded in a queue nobody reads."""
    now = now or timezone.now()
    me = identity.current()
    workers = live_workers(now)
    problems = disagreements(me, workers, what="o worker")
    if me.broker == "orm" and workers and all(row.broker != "orm" for row in workers):
        problems.insert(0, "este servidor enfileira no banco de dados (sem Q_REDIS_URL), e nenhum worker lê essa fila")
    stranded = stranded_tasks(now, workers)
    if stranded:
        problems.append(_stranded_sentence(stranded))
    return problems


def worker_side_problems(now: datetime | None = None) -> list[str]:
    """What a worker should say loudly: web servers or other workers that disagree with it."""
    now = now or timezone.now()
    me = identity.current()
    # The newest row of each web machine: after a fix, the rows of its earlier processes
    # (other pids, the old settings) must not keep the workers complaining.
    web: dict[str, Heartbeat] = {}
    for row in Heartbeat.objects.filter(role=Heartbeat.Role.WEB, seen_at__gte=now - WEB_SEEN_WITHIN).order_by(
            "-seen_at"):
        web.setdefault(row.host, row)
    workers = live_workers(now)
    problems = disagreements(me, web.values(), what="o servidor web")
    problems += disagreements(me, workers, what="o worker")
    stranded = stranded_tasks(now, workers)
    if stranded:
        problems.append(_stranded_sentence(stranded))
    return problems


def broker_agreement(app_configs=None, databases=None, **kwargs) -> list[checks.CheckMessage]:
    """System check (tag "database": `manage.py check --database default`)."""
    if not databases or "default" not in databases:
        return []
    try:
        if Heartbeat._meta.db_table not in connection.introspection.table_names():
            return []  # before the first migrate (which runs this check first)
        problems = web_side_problems()
    except DatabaseError as error:
        return [checks.Warning(f"Não foi possível comparar a configuração com a dos workers: {error}",
                               id="supervision.W001")]
    return [
        checks.Error(
            f"Configuração divergente: {problem}.",
            hint="Web e workers devem ler o mesmo arquivo de ambiente (Q_REDIS_URL, Q_CLUSTER_NAME, SECRET_KEY): "
                 "veja deploy/README.md.",
            id="supervision.E001",
        )
        for problem in problems
    ]


# --- readiness ---------------------------------------------------------------------------

_redis_client = None
_last_web_beat = 0.0


def _redis():
    global _redis_client
    if _redis_client is None:
        import redis

        conf = settings.Q_CLUSTER["redis"]
        options = {"socket_connect_timeout": 2, "socket_timeout": 2}
        _redis_client = (redis.Redis.from_url(conf, **options) if isinstance(conf, str)
                         else redis.Redis(**{**conf, **options}))
    return _redis_client


def _check_database() -> Result:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return Result("database", True, "banco de dados respondendo")
    except DatabaseError as error:
        logger.error("readiness: database unreachable: %s", error)
        return Result("database", False, "banco de dados inacessível")


def _check_broker(me: identity.Identity) -> Result:
    if me.broker == "orm":
        return Result("broker", True, "fila no banco de dados")
    try:
        _redis().ping()
        return Result("broker", True, "Redis respondendo")
    except Exception as error:  # noqa: BLE001 — any failure to reach Redis means not ready
        logger.error("readiness: Redis unreachable: %s", error)
        return Result("broker", False, "Redis inacessível: as alterações não chegam aos workers")


def _check_workers(now: datetime, workers: list[Heartbeat]) -> Result:
    count = sum(1 for row in workers if row.role == Heartbeat.Role.WORKER)
    extra = {"live": count, "required": MIN_WORKERS}
    if count >= MIN_WORKERS:
        return Result("workers", True, f"{count} worker(s) ativo(s)", extra)
    newest = Heartbeat.objects.filter(role=Heartbeat.Role.WORKER).order_by("-seen_at").values_list(
        "seen_at", flat=True).first()
    since = f"; o último sinal foi há {int((now - newest).total_seconds())} s" if newest else ""
    return Result("workers", False, f"{count} de {MIN_WORKERS} worker(s) ativo(s){since}", extra)


def _check_agreement(me: identity.Identity, now: datetime, workers: list[Heartbeat]) -> Result:
    problems = []
    for row in workers:
        differences = me.differences(_identity_of(row))
        if differences:
            logger.error("readiness: worker %s:%s disagrees: %s", row.host, row.pid, ", ".join(differences))
            # Said without hosts nor addresses: the endpoint answers anyone.
            words = []
            if row.broker != me.broker:
                words.append("outro broker")
            if row.queue != me.queue:
                words.append("outra fila")
            if row.key_fingerprint != me.key_fingerprint:
                words.append("outra SECRET_KEY")
            problems.append(" e ".join(words))
    stranded = stranded_tasks(now, workers)
    if problems:
        return Result("agreement", False, f"{len(problems)} worker(s) com configuração diferente da deste "
                                          f"servidor ({'; '.join(sorted(set(problems)))})")
    if stranded:
        return Result("agreement", False, _stranded_sentence(stranded))
    return Result("agreement", True, "web e workers com o mesmo broker, fila e SECRET_KEY")


def _check_pending(now: datetime) -> Result:
    from sharing.models import Change

    oldest = (Change.objects.filter(status=Change.Status.PENDING).order_by("created_at")
              .values_list("created_at", flat=True).first())
    age = 0 if oldest is None else max(0, int((now - oldest).total_seconds()))
    extra = {"oldest_pending_seconds": age, "limit_seconds": int(PENDING_MAX_SECONDS)}
    if age <= PENDING_MAX_SECONDS:
        return Result("pending_changes", True, "nenhuma alteração atrasada" if oldest is None
                      else f"alteração pendente mais antiga: {age} s", extra)
    return Result("pending_changes", False, f"alteração pendente há {age} s (limite: {int(PENDING_MAX_SECONDS)} s)",
                  extra)


def _check_webhooks(workers: list[Heartbeat]) -> Result:
    """Webhook events are delivered by the webhooks queue's qcluster (Q_QUEUE=webhooks): with
    an active endpoint and none alive, they wait (nothing is lost, nothing arrives)."""
    from webhooks.models import Endpoint

    live = sum(1 for row in workers if row.role == Heartbeat.Role.WEBHOOKS)
    if live or not Endpoint.objects.filter(active=True).exists():
        return Result("webhooks", True, f"{live} worker(s) de webhooks ativo(s)", {"live": live})
    return Result("webhooks", False, "há webhooks ativos e nenhum worker de webhooks (Q_QUEUE=webhooks, "
                                     "deploy/omieshare-webhooks.service): os eventos esperam", {"live": 0})


def _check_this_server_is_read(me: identity.Identity, workers: list[Heartbeat]) -> Result:
    """This server, not the deployment: does any live worker read what it enqueues?"""
    if workers and all(me.differences(_identity_of(row)) for row in workers):
        logger.error("readiness: no live worker reads what this server enqueues (%s)",
                     "; ".join(", ".join(me.differences(_identity_of(row))) for row in workers))
        return Result("agreement", False, "nenhum worker ativo lê o que este servidor enfileira "
                                          "(outro broker, outra fila ou outra SECRET_KEY)")
    return Result("agreement", True, "os workers ativos leem o que este servidor enfileira")


def readiness(scope: str = "all") -> list[Result]:
    """Every check, cheap: SELECT 1, a Redis PING, the heartbeats (a few rows), the oldest
    pending change (an index), the database queue's stale tasks (a small table).

    scope="machine": only what differs between web machines (the database and the broker
    as this one reaches them, and whether any live worker reads what it enqueues), for a
    load balancer that should not take every machine out when the workers, shared by all,
    are down or behind."""
    global _last_web_beat
    me = identity.current()
    results = [_check_database(), _check_broker(me)]
    if not results[0].ok:
        return results
    now = timezone.now()
    try:
        if time.monotonic() - _last_web_beat >= WEB_BEAT_SECONDS:
            from omieshare.supervision.heartbeat import beat

            beat(Heartbeat.Role.WEB)
            _last_web_beat = time.monotonic()
        workers = live_workers(now)
        if scope == "machine":
            results.append(_check_this_server_is_read(me, workers))
        else:
            results += [_check_workers(now, workers), _check_agreement(me, now, workers), _check_pending(now),
                        _check_webhooks(workers)]
    except DatabaseError as error:
        logger.error("readiness: query failed: %s", error)
        results.append(Result("database", False, "consulta ao banco de dados falhou"))
    return results


def startup_report() -> None:
    """At a web server's start (omieshare/wsgi.py): say, in its log, which broker and queue
    it enqueues to, and, as ERROR, every disagreement with the live workers: a gunicorn
    started without the unit (and so without deploy_check) is still heard. Never stops the
    start: the database may not be up yet."""
    me = identity.current()
    logger.info("web server enqueueing to queue %r of broker %s", me.queue, identity.describe_broker(me.broker))
    try:
        for problem in web_side_problems():
            logger.error("CONFIGURAÇÃO DIVERGENTE: %s (veja deploy/README.md)", problem)
        from omieshare.supervision.heartbeat import beat

        # Recorded even when it disagrees: it is running, and the workers say so too.
        beat(Heartbeat.Role.WEB)
    except DatabaseError as error:
        logger.warning("could not compare this server's settings with the workers': %s", error)
    finally:
        if not connection.in_atomic_block:
            connection.close()  # gunicorn --preload would fork it into every worker
