"""django-q2 tasks: thin wrappers that take ids, re-load, and call the engine.

Every task is idempotent: django-q2 may deliver it twice or after a crash.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from datetime import timedelta

import psycopg
from django.db import DatabaseError, InterfaceError, OperationalError, connection, transaction
from django.db.models import F
from django.utils import timezone

from sharing import propagation
from sharing.leases import Heartbeat, LeaseLost, claim_job, hand_out_jobs
from sharing.models import Change, RecordLink, ShareMember, SyncJob

logger = logging.getLogger(__name__)

MAX_JOB_ATTEMPTS = 5
MAX_CHANGE_ATTEMPTS = 20
CATCH_UP_BATCH = 500
# A change still pending after this long lost its enqueue (or its worker): the watchdog
# enqueues its share's batch again.
STALE_CHANGE_SECONDS = int(os.environ.get("OMIESHARE_STALE_CHANGE_SECONDS", "20"))


def apply_change(change_id: int) -> None:
    propagation.apply_change(change_id)


def apply_pending(share_id: int, retry_failed: bool = False) -> None:
    """Apply the share's pending changes in set-based batches (sharing/batch_apply.py)."""
    from sharing import batch_apply

    batch_apply.apply_pending(share_id, retry_failed)


def retry_record(shared_record_id: int) -> None:
    """"Tentar novamente" on one record: apply its changes not yet applied, oldest first,
    then rewrite it in every member whose link still reports an error."""
    change_ids = list(
        Change.objects.filter(
            shared_record_id=shared_record_id, status__in=[Change.Status.PENDING, Change.Status.FAILED]
        ).order_by("version").values_list("pk", flat=True)
    )
    for change_id in change_ids:
        propagation.apply_change(change_id)
    for link_id, company_id in (
        RecordLink.objects.filter(shared_record_id=shared_record_id).exclude(last_error="")
        .values_list("pk", "company_id")
    ):
        try:
            # force: the link may already hold the newest version with an old error on it.
            propagation.apply_record(shared_record_id, company_id, force=True)
        except Exception as error:  # noqa: BLE001 — kept on the link for the share page
            logger.exception("retry of record %s in company %s failed", shared_record_id, company_id)
            message = propagation.error_text(error)
            RecordLink.objects.filter(pk=link_id).update(last_error=message[:2000])


def _interrupted(failure: int, error: Exception) -> str:
    """What support reads in the job's errors; the traceback is in the worker's log."""
    reason = propagation.error_text(error)
    then = ("será retomada" if failure < MAX_JOB_ATTEMPTS
            else "a tarefa parou; o que já foi gravado continua salvo e ela pode ser retomada")
    return f"Falha {failure} de {MAX_JOB_ATTEMPTS} ({then}): {reason}"


# SQLSTATEs that say nothing about the job itself: the connection went (class 08), the
# server is shutting down or restarting, or this transaction lost a race it may retry.
_TRANSIENT_SQLSTATES = {"40001", "40P01", "57P01", "57P02", "57P03"}


def is_transient(error: BaseException) -> bool:
    """A database error worth retrying on a new connection at once: a dropped connection,
    a database restart, a serialization failure or a deadlock. Errors about the data or
    the statement (a bug, a full disk, a cancelled statement) are not."""
    if isinstance(error, (InterfaceError, psycopg.InterfaceError)):
        return True
    if not isinstance(error, (OperationalError, psycopg.OperationalError)):
        return False
    # Django wraps psycopg's error, which carries the server's code (none when the
    # connection itself broke: "server closed the connection unexpectedly").
    cause = error.__cause__ if isinstance(error.__cause__, psycopg.Error) else error
    sqlstate = getattr(cause, "sqlstate", None)
    return sqlstate is None or sqlstate in _TRANSIENT_SQLSTATES or sqlstate.startswith("08")


def _backoff(retry: int) -> float:
    """Seconds before the retry-th consecutive retry (no progress in between): at once
    at first, then up to 10 s a time while the database is away."""
    return min(10.0, 0.25 * 2 ** (retry - 1))


def run_sync_job(job_id: int, handout: str | None = None) -> None:
    job = claim_job(job_id, handout)
    if job is None:
        return
    from sharing.activation import run_activation
    from sharing.resync import run_resync

    run = run_activation if job.kind == SyncJob.Kind.ACTIVATE else run_resync
    # Inside a caller's transaction (the tests) another connection could not see the job:
    # no heartbeat, and a database error cannot be retried there.
    nested = connection.in_atomic_block
    heartbeat = contextlib.nullcontext() if nested else Heartbeat(job)
    retries, progress_seen = 0, (job.done, job.params.get("cursor"))
    try:
        with heartbeat:
            while True:
                try:
                    run(job)
                    return
                except Exception as error:
                    if nested or not is_transient(error):
                        raise
                    # Not a failure of the job: the work committed so far stays, and the
                    # job goes on from its cursor on a new connection, holding its lease.
                    connection.close()
                    job = _reload(job)
                    progress = (job.done, job.params.get("cursor"))
                    retries = 1 if progress != progress_seen else retries + 1
                    progress_seen = progress
                    logger.warning("sync job %s: transient database error, retrying on a new connection "
                                   "(retry %s without progress): %s", job_id, retries, error)
                    time.sleep(_backoff(retries))
    except LeaseLost:
        logger.warning("sync job %s was claimed by another worker; this one stops", job_id)
    except Exception as error:
        logger.exception("sync job %s failed", job_id)
        try:
            _record_failure(job, error)
        except DatabaseError:
            # The error was the connection itself (a database restart, a terminated
            # backend): record it on a new one, or the job would look busy until its lease ends.
            connection.close()
            _record_failure(job, error)
        raise


def _reload(job: SyncJob) -> SyncJob:
    """The job as committed, to resume from its cursor (waiting for a database that is
    away); LeaseLost if another worker took it meanwhile."""
    while True:
        try:
            current = SyncJob.objects.filter(pk=job.pk, attempts=job.attempts).first()
            break
        except DatabaseError as error:
            if not is_transient(error):
                raise
            connection.close()
            time.sleep(_backoff(5))
    if current is None or current.is_finished:
        raise LeaseLost(job.pk)
    return current


def _record_failure(job: SyncJob, error: Exception) -> None:
    """Let the lease go so the watchdog hands the job out again (a database restart is
    worth a retry); after MAX_JOB_ATTEMPTS failures the job is marked failed with the reason.
    Only errors count: a worker killed outright leaves the lease to expire, and the job is
    resumed however many times that happens; a dropped connection is retried at once."""
    failures = job.failures + 1
    job.fail(_interrupted(failures, error), final=failures >= MAX_JOB_ATTEMPTS)


def catch_up(share_id: int, company_id: int, after: int = 0) -> None:
    """Apply every shared record whose newest version has not reached this member, in
    set-based batches of CATCH_UP_BATCH records; each batch also marks applied the changes
    that every member now holds, so the pending count moves while it works."""
    from sharing import batch_apply

    started = time.monotonic()
    while True:
        count, after = batch_apply.catch_up(share_id, company_id, after=after, limit=CATCH_UP_BATCH)
        if count < CATCH_UP_BATCH:
            return
        if time.monotonic() - started > batch_apply.TASK_SECONDS and not connection.in_atomic_block:
            from django_q.tasks import async_task

            async_task("sharing.tasks.catch_up", share_id, company_id, after)
            return


# Failed changes are retried at most this often (each retry counts toward
# MAX_CHANGE_ATTEMPTS), however often the watchdog looks for lost ones.
FAILED_RETRY_SECONDS = 60
_last_failed_retry = 0.0


def watchdog() -> None:
    """Every WATCHDOG_SECONDS (15 s), from one worker process's sweeper thread
    (sharing/leases.py), never from the task queue, where it waited behind the backlog it is
    there to repair: re-enqueue what a lost enqueue, an error or a killed worker left behind
    (a killed worker's jobs are usually handed out sooner, by the workers' sweepers). A change
    whose task was lost (Redis delivers at most once) is sent again within
    STALE_CHANGE_SECONDS + WATCHDOG_SECONDS: 35 s."""
    global _last_failed_retry
    from django_q.tasks import async_task

    now = timezone.now()
    hand_out_jobs(expired_only=False)
    # One batch task per share with changes left pending (a lost enqueue, a killed
    # worker), and, once a minute, one per share that retries its failed ones.
    statuses = [Change.Status.PENDING]
    if time.monotonic() - _last_failed_retry >= FAILED_RETRY_SECONDS:
        _last_failed_retry = time.monotonic()
        statuses.append(Change.Status.FAILED)
    stale = (
        Change.objects.filter(
            status__in=statuses,
            created_at__lt=now - timedelta(seconds=STALE_CHANGE_SECONDS),
            attempts__lt=MAX_CHANGE_ATTEMPTS,
        ).values_list("share_id", "status").distinct()
    )
    stale = sorted(set(stale))
    backlog = {share_id for share_id, status in stale if status == Change.Status.PENDING}
    with transaction.atomic():  # the enqueues in one commit (JOBS.md: no reconnection each)
        for share_id, status in stale:
            async_task("sharing.tasks.apply_pending", share_id, status == Change.Status.FAILED)
        for share_id, company_id in (
            ShareMember.objects.filter(state=ShareMember.State.ACTIVE, share__status="active")
            .values_list("share_id", "company_id")
        ):
            # Behind for a minute: the newest version is that old (the link's own updated_at
            # is when it last received one, long ago for most records: under a steady load
            # every fresh change looked like a lost one, and catch-ups raced the batches).
            # Not while the share has a backlog (stale pending changes, just handed to a
            # batch task above): those records are the batches' work, and catch-ups that
            # raced them over a bulk change of 100,000 records slowed the drain.
            if share_id in backlog:
                continue
            if RecordLink.objects.filter(
                shared_record__share_id=share_id, company_id=company_id,
                applied_version__lt=F("shared_record__version"),
                shared_record__updated_at__lt=now - timedelta(seconds=60),
            ).exists():
                async_task("sharing.tasks.catch_up", share_id, company_id)
