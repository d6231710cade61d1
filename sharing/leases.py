"""Who holds a long job, and how a job whose worker died is handed to another within seconds.

A worker holds a SyncJob while its `lease_until` is in the future. The lease is short
(models.JOB_LEASE) and a heartbeat thread renews it while the job runs, on its own
connection, so a chunk that takes longer than the lease (tens of seconds at 100,000
records on a slow machine) keeps it. A worker killed outright stops renewing; every worker
process runs a sweeper that looks for expired leases every few seconds and hands those jobs
out again (django-q2's own scheduler runs at most every 30 s, with a 1-minute schedule).

`attempts` is the fencing token: each claim increments it, and every write a running job
makes to its row (progress, the end) requires the value it claimed with. A worker that was
presumed dead and comes back (a stall longer than the lease) finds its token stale at its
next commit, and that chunk rolls back: two workers never both commit a job's chunk.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from datetime import datetime, timedelta

import psycopg
from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from sharing.models import JOB_HANDOUT, JOB_LEASE, SyncJob

logger = logging.getLogger(__name__)

# How often a running job renews its lease: five chances before it would lapse, so a
# renewal that waits for a chunk's commit (it needs the job row) or one lost to a dropped
# connection does not lose the job.
HEARTBEAT_SECONDS = JOB_LEASE.total_seconds() / 5
# How often each worker process looks for jobs whose worker died.
SWEEP_SECONDS = 3.0
# A queued job with no lease was just enqueued: its own task is on its way.
LOST_ENQUEUE_AFTER_SECONDS = 30


class LeaseLost(Exception):
    """Another worker claimed the job (this one was presumed dead): stop without writing."""


def claim_job(job_id: int, handout: str | None = None) -> SyncJob | None:
    """Take the job unless it is finished or another worker holds a live lease on it. A task
    the sweeper handed out carries the reservation it made (`handout`) and may take the job
    while that reservation stands; a stale one (re-handed out since) does nothing."""
    with transaction.atomic():
        job = SyncJob.objects.select_for_update(skip_locked=True).filter(pk=job_id).first()
        now = timezone.now()
        if job is None or job.is_finished:
            return None
        reserved_for_me = handout is not None and job.lease_until == datetime.fromisoformat(handout)
        if job.lease_until and job.lease_until > now and not reserved_for_me:
            return None
        job.claim(now)
        return job


def hand_out_jobs(*, expired_only: bool) -> list[int]:
    """Enqueue every running or queued job no live worker holds, reserving it for
    JOB_HANDOUT so that the next passes do not enqueue it again while the task waits for a
    free worker. `expired_only`: just the jobs whose worker stopped renewing (the sweeper);
    otherwise also lost enqueues and jobs an error let go (the minute watchdog)."""
    from django_q.tasks import async_task

    now = timezone.now()
    abandoned = Q(lease_until__lt=now)
    if not expired_only:
        abandoned |= Q(lease_until__isnull=True, created_at__lt=now - timedelta(seconds=LOST_ENQUEUE_AFTER_SECONDS))
    handed: list[int] = []
    with transaction.atomic():
        jobs = (
            SyncJob.objects.select_for_update(skip_locked=True)
            .live().filter(abandoned)
            .values_list("pk", flat=True)
        )
        for job_id in jobs:
            until = now + JOB_HANDOUT
            SyncJob.objects.filter(pk=job_id).update(lease_until=until)
            transaction.on_commit(
                lambda job_id=job_id, until=until: async_task("sharing.tasks.run_sync_job", job_id, until.isoformat())
            )
            handed.append(job_id)
    if handed:
        logger.warning("sync jobs %s had no live worker: handed out again", handed)
    return handed


class Heartbeat:
    """Renews a running job's lease every HEARTBEAT_SECONDS from a thread of its own (and so
    its own database connection) while the job's statements run; stops by itself once the
    job is no longer this worker's (finished, let go, or claimed by another)."""

    def __init__(self, job: SyncJob) -> None:
        self.job_id, self.token = job.pk, job.attempts
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"sync-job-{job.pk}-lease", daemon=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        # A renewal in flight waits at most for a chunk's commit; never for long.
        self._thread.join(timeout=JOB_LEASE.total_seconds())

    def _run(self) -> None:
        try:
            while not self._stop.wait(HEARTBEAT_SECONDS):
                try:
                    held = SyncJob.objects.filter(
                        pk=self.job_id, attempts=self.token, status=SyncJob.Status.RUNNING,
                        lease_until__isnull=False,
                    ).update(lease_until=timezone.now() + JOB_LEASE)
                except DatabaseError as error:
                    # The database restarted or this connection was dropped: a new one at
                    # the next beat (the lease outlives four missed beats).
                    logger.warning("lease renewal of sync job %s failed: %s", self.job_id, error)
                    connection.close()
                    continue
                if not held:
                    return
        finally:
            connection.close()


# How often the watchdog (sharing.tasks.watchdog) runs, in the one worker process that
# holds the watchdog lock.
WATCHDOG_SECONDS = float(os.environ.get("OMIESHARE_WATCHDOG_SECONDS", "15"))
# A PostgreSQL advisory lock key (per database): "omieshare watchdog".
WATCHDOG_LOCK = 0x6F6D_6965_5744


class WatchdogLock:
    """Which worker process runs the watchdog: the one whose own connection (not Django's,
    which the ORM broker closes after each enqueue outside a transaction) holds a
    session-level advisory lock. One holds it at a time; when that process dies its
    connection closes, the lock goes with it, and another process's next sweep takes it."""

    def __init__(self) -> None:
        self._conn: psycopg.Connection | None = None

    def held(self) -> bool:
        try:
            if self._conn is not None and not self._conn.closed:
                self._conn.execute("SELECT 1")
                return True
            params = connection.get_connection_params()
            params.pop("cursor_factory", None)
            params.pop("context", None)
            self._conn = psycopg.connect(**params, autocommit=True)
            got = self._conn.execute("SELECT pg_try_advisory_lock(%s)", [WATCHDOG_LOCK]).fetchone()[0]
            if not got:
                self.release()
            return bool(got)
        except psycopg.Error:
            self.release()
            return False

    def release(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(psycopg.Error):
                self._conn.close()
        self._conn = None


def _sweep_forever() -> None:
    from sharing.tasks import watchdog

    lock = WatchdogLock()
    last_watchdog = 0.0
    while True:
        try:
            hand_out_jobs(expired_only=True)
        except Exception:  # noqa: BLE001 — a database restart: try again at the next pass
            logger.exception("lease sweep failed")
            connection.close()
        if time.monotonic() - last_watchdog >= WATCHDOG_SECONDS and lock.held():
            # Apart from the task queue: it never waits behind a backlog of batches.
            last_watchdog = time.monotonic()
            try:
                watchdog()
            except Exception:  # noqa: BLE001 — as above
                logger.exception("watchdog failed")
                connection.close()
        time.sleep(SWEEP_SECONDS)


def start_sweeper(**_signal_kwargs) -> None:
    """django-q2's post_spawn: each worker process (a fresh one included, so a restarted
    cluster picks up a dead one's jobs at once) watches for jobs whose worker died, and
    the one holding the watchdog lock runs the watchdog every WATCHDOG_SECONDS. Not in the
    webhooks queue's qcluster: the tasks it enqueues would go to that queue."""
    if settings.Q_QUEUE == "webhooks":
        return
    threading.Thread(target=_sweep_forever, name="sync-job-sweeper", daemon=True).start()
