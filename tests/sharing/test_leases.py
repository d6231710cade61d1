"""Job leases in one process: a long chunk keeps its job, a worker presumed dead writes
nothing, and a dropped connection is retried instead of counted as a failure."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import psycopg
import pytest
from django.db import InterfaceError, OperationalError, connection
from django.utils import timezone

from catalog.models import Product
from sharing import activation, leases, services, tasks
from sharing import models as sharing_models
from sharing.models import RecordLink, SyncJob
from sharing.services import Permissions
from tests.factories import CompanyFactory, ProductFactory


def _queued_activation(products: int = 1):
    origin = CompanyFactory(trade_name="Comércio de Peças Ação Ltda")
    dest = CompanyFactory(trade_name="Filial Goiânia")
    for n in range(products):
        ProductFactory(company=origin, code=f"PEÇA-{n:04d}", description=f"Válvula de pressão nº {n}")
    share = services.share_configure(origin=origin, registries=["product"], origin_permissions=Permissions(),
                                     destinations={dest: Permissions()})
    return dest, services.share_activate(share=share, confirmed=True)


def _django_error(kind, cause: psycopg.Error | None):
    error = kind(str(cause))
    error.__cause__ = cause
    return error


def _server_error(cls: type[psycopg.Error]) -> psycopg.Error:
    return cls("from the server")


@pytest.mark.parametrize(("error", "transient"), [
    (_django_error(OperationalError, _server_error(psycopg.errors.AdminShutdown)), True),  # pg_terminate_backend
    (_django_error(OperationalError, psycopg.OperationalError("server closed the connection unexpectedly")), True),
    (_django_error(OperationalError, _server_error(psycopg.errors.ConnectionFailure)), True),
    (_django_error(OperationalError, _server_error(psycopg.errors.CannotConnectNow)), True),  # restarting
    (_django_error(OperationalError, _server_error(psycopg.errors.SerializationFailure)), True),
    (_django_error(OperationalError, _server_error(psycopg.errors.DeadlockDetected)), True),
    (InterfaceError("connection already closed"), True),
    (_django_error(OperationalError, _server_error(psycopg.errors.DiskFull)), False),
    (_django_error(OperationalError, _server_error(psycopg.errors.QueryCanceled)), False),
    (_django_error(OperationalError, _server_error(psycopg.errors.OutOfMemory)), False),
    (ValueError("a bug"), False),
    (OSError("server closed the connection unexpectedly"), False),
])
def test_it_tells_a_passing_database_error_from_one_about_the_job(error, transient):
    assert tasks.is_transient(error) is transient


@pytest.mark.django_db(transaction=True)
def test_it_retries_dropped_connections_without_counting_them_as_failures(monkeypatch):
    dest, job = _queued_activation()
    real_run = activation.run_activation
    calls = []

    def dropped_then_fine(job):
        calls.append(job.attempts)
        if len(calls) <= tasks.MAX_JOB_ATTEMPTS + 2:
            # What psycopg raises when the backend is terminated under a running statement.
            raise _django_error(OperationalError, _server_error(psycopg.errors.AdminShutdown))
        real_run(job)

    monkeypatch.setattr(activation, "run_activation", dropped_then_fine)
    monkeypatch.setattr(tasks, "_backoff", lambda retry: 0)
    tasks.run_sync_job(job.pk)

    job.refresh_from_db()
    assert (job.status, job.failures, job.errors, job.attempts) == (SyncJob.Status.DONE, 0, [], 1)
    assert len(calls) == tasks.MAX_JOB_ATTEMPTS + 3 and set(calls) == {1}  # one execution, its lease kept
    assert Product.objects.filter(company=dest, code="PEÇA-0000").count() == 1


@pytest.mark.django_db(transaction=True)
def test_an_error_about_the_job_still_counts_toward_giving_up(monkeypatch):
    dest, job = _queued_activation()

    def disk_full(job):
        raise _django_error(OperationalError, _server_error(psycopg.errors.DiskFull))

    monkeypatch.setattr(activation, "run_activation", disk_full)
    with pytest.raises(OperationalError):
        tasks.run_sync_job(job.pk)

    job.refresh_from_db()
    assert (job.status, job.failures, job.lease_until) == (SyncJob.Status.RUNNING, 1, None)
    assert job.errors[0].startswith(f"Falha 1 de {tasks.MAX_JOB_ATTEMPTS} (será retomada)")


@pytest.mark.django_db
def test_a_worker_presumed_dead_writes_nothing_once_another_took_its_job(monkeypatch):
    dest, job = _queued_activation(products=3)
    real_run = activation.run_activation

    def stalled_past_its_lease(job):
        # This worker stalled; its lease lapsed and another worker claimed the job.
        SyncJob.objects.filter(pk=job.pk).update(lease_until=timezone.now() - timedelta(seconds=1))
        assert leases.claim_job(job.pk) is not None
        real_run(job)

    monkeypatch.setattr(activation, "run_activation", stalled_past_its_lease)
    tasks.run_sync_job(job.pk)  # returns quietly: not a failure

    job.refresh_from_db()
    assert (job.status, job.attempts, job.failures, job.errors) == (SyncJob.Status.RUNNING, 2, 0, [])
    assert job.lease_until > timezone.now()  # still the other worker's
    assert not Product.objects.filter(company=dest).exists()
    assert not RecordLink.objects.filter(company=dest).exists()


@pytest.mark.django_db(transaction=True)
def test_a_chunk_longer_than_the_lease_keeps_its_job(monkeypatch):
    """A healthy chunk can take longer than the lease (tens of seconds for 50,000 records on
    a slow machine): the heartbeat keeps the job, and no sweeper hands it to another worker."""
    lease = timedelta(seconds=3)
    monkeypatch.setattr(leases, "JOB_LEASE", lease)
    monkeypatch.setattr(leases, "HEARTBEAT_SECONDS", 0.5)
    monkeypatch.setattr(sharing_models, "JOB_LEASE", lease)  # SyncJob.claim and .renew
    real_copy = activation.copy_chunk

    def slow_copy(*args, **kwargs):
        result = real_copy(*args, **kwargs)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_sleep(7)")  # a statement far longer than the lease
        return result

    monkeypatch.setattr(activation, "copy_chunk", slow_copy)
    dest, job = _queued_activation()
    runner = threading.Thread(target=lambda: (tasks.run_sync_job(job.pk), connection.close()))
    runner.start()
    handed_out = []
    while runner.is_alive():
        handed_out += leases.hand_out_jobs(expired_only=True)  # what every worker's sweeper does
        time.sleep(0.2)
    runner.join()

    job.refresh_from_db()
    assert handed_out == []
    assert (job.status, job.attempts) == (SyncJob.Status.DONE, 1)
    assert Product.objects.filter(company=dest, code="PEÇA-0000").count() == 1
