"""The batched apply under a real `manage.py qcluster`, crashed mid-batch: a worker killed
with SIGKILL, and a worker whose database connection is terminated, while a batch's
statements run. The batch rolls back whole and is applied again: nothing lost, nothing
twice, every member's rows equal to the group's values."""

from __future__ import annotations

import random

import pytest
from django.db import connection
from django.db.models import Count

from catalog import services as catalog_services
from catalog.models import Product
from sharing.models import Change, RecordLink, SharedRecord
from sharing.resync import find_drift
from tests.factories import CompanyFactory
from tests.helpers import activate, bulk_products, configure, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

SEED = 13
PRODUCTS = 240
SECOND_CHANGES = 30
# Small batches, so that a backlog of edits is several batches long; the watchdog every
# 2 s from the sweeper, and a change "stale" after 2 s, so a killed batch is retried soon.
ENV = {"OMIESHARE_APPLY_BATCH": "60", "OMIESHARE_WATCHDOG_SECONDS": "2",
       "OMIESHARE_STALE_CHANGE_SECONDS": "2"}


def _group_with_a_backlog():
    origin = CompanyFactory(trade_name="Matriz Goiânia — Atacado de Eletrônicos")
    first = CompanyFactory(trade_name="Filial Anápolis")
    second = CompanyFactory(trade_name="Filial Brasília – Distribuição")
    codes = [f"PRD{2_000_000 + n}" for n in range(PRODUCTS)]
    bulk_products(origin, codes, "Fone de ouvido sem fio", price="199.90")
    share = configure(origin, first, second, registries=["product"])
    activate(share)
    rng = random.Random(SEED)
    ids = dict(Product.objects.filter(company=origin).values_list("code", "pk"))
    for code in codes:  # the integration's price push, one accepted change per product
        catalog_services.product_update(company=origin, product_id=ids[code], source="api",
                                        data={"price": f"{rng.randrange(1_000, 99_999) / 100:.2f}"})
    for code in rng.sample(codes, SECOND_CHANGES):  # and a second change of some
        catalog_services.product_update(company=origin, product_id=ids[code], source="web",
                                        data={"description": f"Fone de ouvido – revisão {code} ç"})
    return share, codes, (origin, first, second)


def _batch_backend() -> int | None:
    """The pid of a worker's connection in the middle of a batch (its temp table in use)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND query ILIKE '%%apply_rows%%' AND state IN ('active', 'idle in transaction')"
        )
        row = cursor.fetchone()
    return row[0] if row else None


def _assert_converged(share, codes, companies) -> None:
    wait_for(lambda: not Change.objects.exclude(status=Change.Status.APPLIED).exists(), timeout=90,
             interval=0.2, what="every change to be applied")
    assert find_drift(share) == []
    for company in companies:
        per_code = Product.objects.filter(company=company).values("code").annotate(n=Count("id"))
        assert {row["code"]: row["n"] for row in per_code} == dict.fromkeys(codes, 1)
        links = RecordLink.objects.filter(company=company)
        assert links.count() == SharedRecord.objects.count() == len(codes)
        assert links.values("local_id").distinct().count() == len(codes)
        assert not links.exclude(last_error="").exists()
    versions = {sr.pk: sr.version for sr in SharedRecord.objects.all()}
    assert all(link.applied_version == versions[link.shared_record_id] for link in RecordLink.objects.all())
    assert Change.objects.count() == len(codes) + SECOND_CHANGES


def test_a_worker_killed_mid_batch_loses_and_duplicates_nothing(qcluster):
    share, codes, companies = _group_with_a_backlog()
    worker = qcluster.start(ENV)
    wait_for(_batch_backend, timeout=60, interval=0.002, what="a batch to be running")
    worker.kill()
    assert Change.objects.exclude(status=Change.Status.APPLIED).exists()

    qcluster.start(ENV)  # its sweeper's watchdog enqueues the stale changes again
    _assert_converged(share, codes, companies)


def test_a_batch_whose_connection_is_terminated_is_applied_again(qcluster):
    share, codes, companies = _group_with_a_backlog()
    qcluster.start(ENV)
    terminated = 0
    for _ in range(3):
        pid = wait_for(_batch_backend, timeout=60, interval=0.002, what="a batch to be running")
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
            terminated += cursor.fetchone()[0]
        if not Change.objects.exclude(status=Change.Status.APPLIED).exists():
            break
    assert terminated >= 1

    _assert_converged(share, codes, companies)
