"""Job leases in one process: a long chunk keeps its job, a worker presumed dead writes
nothing."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from catalog.models import Product
from sharing import activation, leases, services, tasks
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
    lease = timedelta(seconds=1.5)
    monkeypatch.setattr(leases, "JOB_LEASE", lease)
    monkeypatch.setattr(leases, "HEARTBEAT_SECONDS", 0.3)
    monkeypatch.setattr(activation, "JOB_LEASE", lease)
    real_copy = activation.copy_chunk

    def slow_copy(*args, **kwargs):
        result = real_copy(*args, **kwargs)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_sleep(4)")  # a statement far longer than the lease
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
