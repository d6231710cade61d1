"""How a qcluster stops under a supervisor, with real processes (systemd does not run here:
each test sends what systemd sends for a KillMode). Before omieshare's qcluster
(omieshare/supervision/processes.py), SIGTERM to the group left the main process hung for
good and SIGKILL of the main process left its workers taking tasks."""

from __future__ import annotations

import os
import signal

import pytest
from django_q.models import Task
from django_q.tasks import async_task

from tests.deploy.test_deployment import live_members
from tests.helpers import Worker, wait_for

pytestmark = [pytest.mark.deployment, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def cluster(transactional_db):
    worker = Worker().start()
    yield worker
    worker.stop()
    worker.log.unlink(missing_ok=True)


def _members(worker: Worker) -> list[int]:
    # the main process, the sentinel, two workers, the pusher and the monitor
    return wait_for(lambda: (lambda found: found if len(found) >= 6 else None)(live_members(worker.process.pid)),
                    timeout=10, what="the cluster's six processes")


def test_sigterm_to_the_process_group_stops_every_process(cluster):
    """systemd's default, KillMode=control-group: SIGTERM to every process at once."""
    pgid = cluster.process.pid
    _members(cluster)

    os.killpg(pgid, signal.SIGTERM)

    assert cluster.process.wait(timeout=30) == 0, cluster.output()
    wait_for(lambda: not live_members(pgid), timeout=10, what="every process of the cluster to end")


def test_sigkill_of_the_main_process_takes_its_workers_with_it(cluster):
    """A supervisor (or the OOM killer) that kills the main PID alone: no orphan keeps
    taking tasks."""
    pgid = cluster.process.pid
    members = _members(cluster)

    os.kill(pgid, signal.SIGKILL)
    cluster.process.wait(timeout=10)

    wait_for(lambda: not live_members(pgid), timeout=10,
             what=f"the sentinel and workers of the killed cluster to end (were {members})")


def test_sigterm_to_the_main_process_lets_the_task_in_flight_finish(cluster):
    """KillMode=mixed (deploy/omieshare-worker@.service): SIGTERM to the main process only,
    the way the unit stops a worker; SIGKILL to what is left after TimeoutStopSec."""
    pgid = cluster.process.pid
    _members(cluster)
    async_task("time.sleep", 2, task_name="tarefa-em-andamento")
    wait_for(lambda: b"processing tarefa-em-andamento" in cluster.log.read_bytes(), timeout=20,
             what="the task to start")

    os.kill(pgid, signal.SIGTERM)

    assert cluster.process.wait(timeout=30) == 0, cluster.output()
    wait_for(lambda: not live_members(pgid), timeout=10, what="every process of the cluster to end")
    assert Task.objects.filter(name="tarefa-em-andamento", success=True).exists(), cluster.output()
