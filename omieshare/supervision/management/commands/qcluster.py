"""`manage.py qcluster`: django-q2's, with processes that stop together (see
omieshare/supervision/processes.py). It replaces django-q2's command (this app comes
first in INSTALLED_APPS), so every way of starting a worker gets it.

Signals to the main process (the one `systemctl stop` signals with KillMode=mixed):
- SIGTERM or SIGINT: stop in order: no new task is taken, the tasks taken finish, then
  every process exits.
- the same signal again: stop now (SIGKILL to the sentinel; its children follow it).
SIGTERM to the whole group does the same as to the main process, except that the workers
die with their task (its change comes back with the watchdog). SIGKILL of the main process
takes every process of the cluster with it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
import threading
import time

import django_q.cluster
from django.conf import settings
from django.core.management.base import CommandError
from django.db import DatabaseError
from django_q.management.commands.qcluster import Command as DjangoQCommand

from omieshare.supervision.heartbeat import worker_role
from omieshare.supervision.identity import process_key
from omieshare.supervision.models import Heartbeat
from omieshare.supervision.processes import die_with_parents

logger = logging.getLogger(__name__)


class _Sentinel(django_q.cluster.Sentinel):
    def __init__(self, *args, **kwargs):
        kwargs.pop("start", None)
        super().__init__(*args, start=False, **kwargs)
        # After Sentinel.__init__, which resets SIGTERM to the default action: a SIGTERM
        # sent to the whole group must not kill the sentinel while the main process asks it
        # to stop (that hung the main process). Its pusher and monitor inherit this.
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        self.start()


class Command(DjangoQCommand):
    help = DjangoQCommand.help + " Os processos do cluster param juntos (SIGTERM ou SIGKILL ao principal)."

    def handle(self, *args, **options):
        settings.SECRET_KEY  # noqa: B018 — django-q2's check: the key signs every task
        if options.get("cluster_name"):
            # django-q2's own command sets Q_CLUSTER_NAME here, after its Conf was read: the
            # cluster would silently read the engine's queue (docs/JOBS.md).
            raise CommandError("--name não escolhe a fila: use Q_QUEUE=webhooks manage.py qcluster para a fila dos "
                               "webhooks, ou nada para a do motor")
        die_with_parents()
        django_q.cluster.Sentinel = _Sentinel
        cluster = django_q.cluster.Cluster()
        stopper = _Stopper(cluster)
        signal.signal(signal.SIGTERM, stopper.on_signal)
        signal.signal(signal.SIGINT, stopper.on_signal)
        cluster.start()
        if options.get("run_once", False):
            stopper.on_signal(signal.SIGTERM, None)
        while cluster.sentinel.is_alive():
            time.sleep(0.2)
        if not stopper.requested:
            logger.error("Q Cluster %s: the sentinel died (exit code %s); stopping so the supervisor restarts it",
                         cluster.name, cluster.sentinel.exitcode)
            sys.exit(1)
        # A cluster stopped in order is not a dead one: its heartbeat goes with it, so that
        # the readiness endpoint and deploy_check stop counting it at once.
        with contextlib.suppress(DatabaseError):
            Heartbeat.objects.filter(key=process_key(worker_role(), cluster.sentinel.pid)).delete()
        logger.info("Q Cluster %s has stopped.", cluster.name)


class _Stopper:
    def __init__(self, cluster: django_q.cluster.Cluster) -> None:
        self.cluster = cluster
        self.requested = False

    def on_signal(self, signum, frame) -> None:
        sentinel = self.cluster.sentinel
        if self.requested:
            logger.warning("Q Cluster %s: second stop signal, stopping now", self.cluster.name)
            if sentinel is not None and sentinel.pid:
                os.kill(sentinel.pid, signal.SIGKILL)  # its children die with it (PR_SET_PDEATHSIG)
            return
        self.requested = True
        logger.info("Q Cluster %s stopping: the tasks taken finish first.", self.cluster.name)
        if sentinel is None or self.cluster.stop_event is None:
            return
        # From a thread: the main thread keeps watching the sentinel, and this one never
        # blocks it (the Event's set waits for the sentinel to acknowledge).
        threading.Thread(target=self.cluster.stop_event.set, name="qcluster-stop", daemon=True).start()
