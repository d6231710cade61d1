"""The real path: a `manage.py qcluster` process against the test database runs the
activation and the propagation; killed mid-activation, the job resumes and finishes with
nothing created twice and nothing missing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db.models import Count
from django.utils import timezone

from catalog import services as catalog_services
from catalog.models import Party, Product
from sharing import services
from sharing.models import Change, RecordLink, SharedRecord, Snapshot, SyncJob
from sharing.tasks import watchdog
from tests.factories import CompanyFactory
from tests.helpers import bulk_products, configure, make_party, make_product, product_in, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

DOC_A = "11222333000181"


def _job_finished(job_id: int) -> SyncJob | None:
    job = SyncJob.objects.get(pk=job_id)
    return job if job.is_finished else None


def test_it_activates_and_propagates_through_a_real_worker(qcluster):
    origin = CompanyFactory(trade_name="Matriz")
    dest = CompanyFactory(trade_name="Filial")
    make_product(origin, "A1", "Água", price="3.00")
    make_party(origin, DOC_A, "ACME Ltda")
    make_product(dest, "A1", "Água velha")
    worker = qcluster.start()

    job = services.share_activate(share=configure(origin, dest), confirmed=True)
    job = wait_for(lambda: _job_finished(job.pk), timeout=30, what="the activation job")

    assert job.status == SyncJob.Status.DONE, (job.errors, worker.output())
    assert product_in(dest, "A1").description == "Água"
    assert Party.objects.filter(company=dest, cnpj_cpf=DOC_A).exists()

    catalog_services.product_update(company=origin, product_id=product_in(origin, "A1").pk,
                                    data={"description": "Água mineral"})
    wait_for(lambda: product_in(dest, "A1").description == "Água mineral", timeout=10,
             what="the edit to reach the destination")
    wait_for(lambda: Change.objects.filter(status=Change.Status.APPLIED).count() == 1, timeout=5,
             what="the change to be marked applied")


def test_it_resumes_an_activation_whose_worker_was_killed(qcluster):
    origin = CompanyFactory(trade_name="Matriz")
    dest = CompanyFactory(trade_name="Filial")
    codes = [f"P{n:05d}" for n in range(3_000)]
    bulk_products(origin, codes, "Produto da matriz")
    overwritten = codes[::4]
    bulk_products(dest, overwritten, "Produto antigo da filial")
    bulk_products(dest, ["SO-FILIAL"], "Só na filial")
    env = {"OMIESHARE_ACTIVATION_CHUNK": "20"}
    worker = qcluster.start(env)

    job = services.share_activate(share=configure(origin, dest, registries=["product"]), confirmed=True)

    def midway() -> SyncJob | None:
        current = SyncJob.objects.get(pk=job.pk)
        if current.is_finished:
            raise AssertionError("the activation finished before the worker could be killed")
        return current if 0 < current.done < current.total else None

    seen = wait_for(midway, timeout=40, interval=0.02, what="the activation to be half-way")
    worker.kill()
    killed = SyncJob.objects.get(pk=job.pk)
    assert killed.status == SyncJob.Status.RUNNING
    assert seen.done <= killed.done < killed.total

    # The watchdog hands out a job whose lease expired (15 s; here, expired by hand).
    past = timezone.now() - timedelta(minutes=5)
    SyncJob.objects.filter(pk=job.pk).update(lease_until=past, created_at=past)
    qcluster.start(env)
    watchdog()
    job = wait_for(lambda: _job_finished(job.pk), timeout=40, what="the resumed activation")

    assert job.status == SyncJob.Status.DONE, job.errors
    assert job.attempts == 2 and job.done == job.total == len(codes)
    dest_codes = Product.objects.filter(company=dest).values("code").annotate(n=Count("id"))
    assert {row["code"]: row["n"] for row in dest_codes} == dict.fromkeys([*codes, "SO-FILIAL"], 1)
    links = RecordLink.objects.filter(company=dest)
    assert links.count() == SharedRecord.objects.count() == len(codes)
    assert links.values("local_id").distinct().count() == len(codes)
    assert Snapshot.objects.filter(company=dest).count() == job.counts["overwritten"] == len(overwritten)
    assert job.counts["created"] == len(codes) - len(overwritten)
    assert product_in(dest, overwritten[0]).description == f"Produto da matriz {overwritten[0]}"
