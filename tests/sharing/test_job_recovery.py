"""A crashed or disconnected activation goes on by itself, within seconds, with a real
`manage.py qcluster`: every member refuses writes while an activation runs ("sendo
ativado"), so minutes of waiting, or a job given up over dropped connections, stop a
group's work. Nothing is created twice and nothing is missed."""

from __future__ import annotations

import time

import pytest
from django.db import connection
from django.db.models import Count

from catalog.models import Product
from sharing import services
from sharing.models import RecordLink, SharedRecord, Snapshot, SyncJob
from tests.factories import CompanyFactory
from tests.helpers import bulk_products, configure, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

# Small chunks make an activation of a few thousand products last long enough to crash it
# or drop its connections half-way, many chunks from its end.
SMALL_CHUNKS = {"OMIESHARE_ACTIVATION_CHUNK": "20"}
RECORDS = 3_000


def _two_branches_and_a_head_office():
    origin = CompanyFactory(trade_name="Matriz São João Indústria e Comércio de Eletrônicos")
    first = CompanyFactory(trade_name="Filial Ribeirão Preto")
    second = CompanyFactory(trade_name="Filial Florianópolis — Distribuição")
    codes = [f"PRD-{n:05d}" for n in range(RECORDS)]
    bulk_products(origin, codes, "Câmera de segurança Wi-Fi", price="1234.56")
    overwritten = codes[::5]
    bulk_products(first, overwritten, "Câmera antiga da filial", price="1234.56")
    bulk_products(second, [*overwritten[:100], "SÓ-NA-FILIAL"], "Item só da filial", price="1234.56")
    share = configure(origin, first, second, registries=["product"])
    return share, codes, overwritten, (first, second)


def _job(job_id: int) -> SyncJob:
    return SyncJob.objects.get(pk=job_id)


def _half_way(job_id: int) -> SyncJob | None:
    job = _job(job_id)
    if job.is_finished:
        raise AssertionError("the activation finished before it could be interrupted")
    return job if 0 < job.done < job.total else None


def _assert_each_record_once(job: SyncJob, codes, overwritten, destinations) -> None:
    first, second = destinations
    assert job.status == SyncJob.Status.DONE, job.errors
    assert job.done == job.total == 2 * len(codes)
    for dest, extra in ((first, []), (second, ["SÓ-NA-FILIAL"])):
        per_code = Product.objects.filter(company=dest).values("code").annotate(n=Count("id"))
        assert {row["code"]: row["n"] for row in per_code} == dict.fromkeys([*codes, *extra], 1)
        links = RecordLink.objects.filter(company=dest)
        assert links.count() == len(codes) and links.values("local_id").distinct().count() == len(codes)
    assert SharedRecord.objects.count() == len(codes)
    assert Snapshot.objects.filter(company=first).count() == len(overwritten)
    assert Snapshot.objects.filter(company=second).count() == 100
    assert job.counts["created"] == 2 * len(codes) - len(overwritten) - 100
    assert job.counts["overwritten"] == len(overwritten) + 100
    assert Product.objects.get(company=first, code=overwritten[0]).description == (
        f"Câmera de segurança Wi-Fi {overwritten[0]}")


def test_it_resumes_a_killed_activation_within_seconds_of_a_new_worker(qcluster):
    share, codes, overwritten, destinations = _two_branches_and_a_head_office()
    worker = qcluster.start(SMALL_CHUNKS)
    job = services.share_activate(share=share, confirmed=True)
    wait_for(lambda: _half_way(job.pk), timeout=60, interval=0.02, what="the activation to be half-way")

    worker.kill()
    killed_at = time.monotonic()
    killed = _job(job.pk)
    assert (killed.status, killed.attempts) == (SyncJob.Status.RUNNING, 1) and killed.done < killed.total
    # Nothing done by hand: no lease expired early, no watchdog called. The new worker finds
    # the job once the dead one's lease lapses (15 s at most after its last renewal).
    qcluster.start(SMALL_CHUNKS)
    wait_for(lambda: _job(job.pk).attempts == 2, timeout=30, interval=0.1, what="the new worker to resume the job")
    resumed_after = time.monotonic() - killed_at
    job = wait_for(lambda: (j := _job(job.pk)).is_finished and j, timeout=120, what="the resumed activation")
    finished_after = time.monotonic() - killed_at

    print(f"\nkilled at {killed.done}/{killed.total}: resumed {resumed_after:.1f} s "
          f"and finished {finished_after:.1f} s after the kill")
    assert resumed_after < 30
    _assert_each_record_once(job, codes, overwritten, destinations)
    assert job.attempts == 2 and job.failures == 0 and job.errors == []


def _drop_worker_connections() -> int:
    """pg_terminate_backend on every connection of the job (its chunks, its threads, its
    lease renewals), as a database failover or a network cut does; not django-q2's own."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND backend_type = 'client backend' AND query NOT ILIKE %s "
            "AND (query ILIKE %s OR query ILIKE %s)",
            ["%django_q%", "%sharing_%", "%act_%"],
        )
        return cursor.fetchone()[0]


def test_it_finishes_an_activation_whose_connections_are_dropped_again_and_again(qcluster):
    from sharing.tasks import MAX_JOB_ATTEMPTS

    share, codes, overwritten, destinations = _two_branches_and_a_head_office()
    worker = qcluster.start(SMALL_CHUNKS)
    job = services.share_activate(share=share, confirmed=True)
    seen = wait_for(lambda: _half_way(job.pk), timeout=60, interval=0.02, what="the activation to start")

    drops = 0
    while drops < MAX_JOB_ATTEMPTS + 3:
        # Each drop after some progress, so that every one lands on a running job.
        seen = wait_for(lambda seen=seen: (j := _half_way(job.pk)) and j.done > seen.done and j,
                        timeout=60, interval=0.02, what=f"progress after drop {drops}")
        if _drop_worker_connections():
            drops += 1
    job = wait_for(lambda: (j := _job(job.pk)).is_finished and j, timeout=120, what="the activation to finish")

    _assert_each_record_once(job, codes, overwritten, destinations)
    # Retried on new connections in the same execution: not one failure counted.
    assert (job.attempts, job.failures, job.errors) == (1, 0, [])
    assert "transient database error" in worker.log.read_text(errors="replace"), worker.output()
