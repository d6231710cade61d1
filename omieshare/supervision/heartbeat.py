"""Each worker process renews its cluster's heartbeat row every few seconds from a thread
of its own, and says loudly (ERROR in the log) when the deployment disagrees with it: a web
server on another broker, queue or SECRET_KEY, or tasks left in the database queue that
Redis workers never read."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.utils import timezone

from omieshare.supervision import identity
from omieshare.supervision.models import Heartbeat

logger = logging.getLogger(__name__)

# How often a worker renews its heartbeat; the readiness endpoint calls a worker gone
# when its heartbeat is older than HEALTH_WORKER_STALE_SECONDS (30 s by default).
HEARTBEAT_SECONDS = float(os.environ.get("WORKER_HEARTBEAT_SECONDS", "5"))
# How often a worker compares its settings with the web servers' and looks for tasks
# stranded in a queue it does not read.
AGREEMENT_CHECK_SECONDS = 60
# Rows of processes gone for this long are deleted.
FORGET_AFTER = timedelta(days=1)


def beat(role: str, *, pid: int | None = None, started_at=None) -> None:
    """Create or renew this process's row (a worker's: its cluster's, keyed by the
    cluster's pid)."""
    me = identity.current()
    now = timezone.now()
    pid = pid or os.getpid()
    Heartbeat.objects.update_or_create(
        key=identity.process_key(role, pid),
        defaults={"role": role, "host": socket.gethostname(), "pid": pid, "broker": me.broker,
                  "queue": me.queue, "key_fingerprint": me.key_fingerprint, "seen_at": now},
        create_defaults={"role": role, "host": socket.gethostname(), "pid": pid, "broker": me.broker,
                         "queue": me.queue, "key_fingerprint": me.key_fingerprint, "seen_at": now,
                         "started_at": started_at or now},
    )


def worker_role() -> str:
    """This qcluster's role: the webhooks queue's (Q_QUEUE=webhooks) or the engine's."""
    return Heartbeat.Role.WEBHOOKS if settings.Q_QUEUE == "webhooks" else Heartbeat.Role.WORKER


def start_heartbeat(**_signal_kwargs) -> None:
    """django-q2's post_spawn, in each worker process: its parent is the cluster's sentinel,
    whose pid names the cluster."""
    cluster_pid = os.getppid()
    threading.Thread(target=_beat_forever, args=(cluster_pid,), name="supervision-heartbeat", daemon=True).start()


def _beat_forever(cluster_pid: int) -> None:
    from omieshare.supervision.checks import worker_side_problems

    started_at = timezone.now()
    last_check = None
    me = identity.current()
    logger.info("worker %s:%s lendo a fila %r do broker %s", socket.gethostname(), cluster_pid, me.queue,
                identity.describe_broker(me.broker))
    while True:
        try:
            beat(worker_role(), pid=cluster_pid, started_at=started_at)
            if last_check is None or time.monotonic() - last_check >= AGREEMENT_CHECK_SECONDS:
                last_check = time.monotonic()
                Heartbeat.objects.filter(seen_at__lt=timezone.now() - FORGET_AFTER).delete()
                for problem in worker_side_problems():
                    logger.error("CONFIGURAÇÃO DIVERGENTE: %s", problem)
        except Exception:  # noqa: BLE001 — a database restart: the next beat tries again
            logger.warning("heartbeat of the worker failed", exc_info=True)
            connection.close()
        time.sleep(HEARTBEAT_SECONDS)
