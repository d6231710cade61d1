"""The batched apply (sharing/batch_apply.py): a share's pending changes reach every member
set-based, with the same result as one change at a time, a fixed number of statements
whatever the batch's size, and a bad record failing alone, recorded as before."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog import services as catalog_services
from catalog.models import Party, Product
from omieshare.lib.jobs import enqueued_together
from sharing import batch_apply, tasks
from sharing.leases import WatchdogLock
from sharing.models import AuditEntry, Change, RecordLink, SharedRecord
from sharing.resync import find_drift
from tests.factories import CompanyFactory
from tests.helpers import activate, apply_pending, configure, make_party, make_product, product_in

pytestmark = pytest.mark.django_db

SEED = 20261203
SUPPLIERS = ["11222333000181", "52998224725", "45723174000110"]


def _group(products: int = 40):
    origin = CompanyFactory(trade_name="Matriz Ribeirão Preto", legal_name="Distribuidora Paulista Ltda")
    north = CompanyFactory(trade_name="Filial Recife")
    south = CompanyFactory(trade_name="Filial Curitiba")
    suppliers = [make_party(origin, document, f"Fornecedor Açaí nº {n}", is_supplier=True)
                 for n, document in enumerate(SUPPLIERS)]
    for n in range(products):
        make_product(origin, f"PRD{1_000_000 + n}", f"Café torrado nº {n} – São João", price="12.50",
                     suppliers=[suppliers[n % 3].pk] if n % 2 else [])
    share = configure(origin, north, south)
    activate(share)
    return share, origin, north, south


def _edit(company, code: str, **data):
    product = product_in(company, code)
    return catalog_services.product_update(company=company, product_id=product.pk, data=data, source="api")


def test_it_brings_every_member_to_the_shared_values_after_seeded_edits_in_several_companies():
    rng = random.Random(SEED)
    share, origin, north, south = _group()
    salesperson = catalog_services.salesperson_create(company=north, name="Márcia Conceição",
                                                      email="marcia.conceicao@exemplo.com.br")
    blob = catalog_services.blob_store(content=b"ficha tecnica", content_type="application/pdf")
    codes = [f"PRD{1_000_000 + n}" for n in range(40)]
    for n, code in enumerate(codes):
        company = north if n % 5 == 0 else origin  # each record edited in one company only
        choice = rng.randrange(6)
        if choice == 0:
            _edit(company, code, price=f"{rng.randrange(100, 99_999) / 100:.2f}")
        elif choice == 1:
            _edit(company, code, description=f"Café especial nº {n} – edição {rng.randrange(99)}",
                  family=catalog_services.family_create(company=company, name=f"Cafés Ñ {n}").pk)
        elif choice == 2:
            suppliers = Party.objects.filter(company=company, cnpj_cpf__in=rng.sample(SUPPLIERS, 2))
            _edit(company, code, suppliers=list(suppliers.values_list("pk", flat=True)))
        elif choice == 3:
            _edit(company, code, active=False, characteristics={"Torra": "média", "Moagem": "fina"})
        elif choice == 4:
            _edit(company, code, attachments=[[blob.pk, "ficha técnica.pdf", False]])
        _edit(company, code, price=f"{rng.randrange(100, 99_999) / 100:.2f}")  # a second change, same record
    party = Party.objects.get(company=north, cnpj_cpf=SUPPLIERS[1])
    catalog_services.party_update(company=north, party_id=party.pk, source="web",
                                  data={"city": "Olinda", "salespeople": [salesperson.pk]})

    pending = Change.objects.exclude(status=Change.Status.APPLIED).count()
    assert apply_pending() == pending > 40

    assert find_drift(share) == []
    assert not Change.objects.exclude(status=Change.Status.APPLIED).exists()
    for company in (origin, north, south):
        codes_here = list(Product.objects.filter(company=company).values_list("code", flat=True))
        assert sorted(codes_here) == sorted(codes)
        assert RecordLink.objects.filter(company=company).count() == SharedRecord.objects.count()
    assert Party.objects.get(company=south, cnpj_cpf=SUPPLIERS[1]).salespeople.get().email == (
        "marcia.conceicao@exemplo.com.br")
    # Each member that received a record has one audit line saying so.
    applied = AuditEntry.objects.filter(action=AuditEntry.Action.APPLY, company=south, registry="product")
    assert applied.count() == 40 and applied.values("shared_record").distinct().count() == 40


def _price_edits(origin, count: int, price: str) -> None:
    for n in range(count):
        _edit(origin, f"PRD{1_000_000 + n}", price=price)


def test_it_applies_a_batch_with_the_same_statements_whatever_its_size():
    share, origin, north, south = _group(products=80)

    def statements(count: int, price: str) -> int:
        _price_edits(origin, count, price)
        with CaptureQueriesContext(connection) as queries:
            batch_apply.apply_pending(share.pk)
        assert not Change.objects.filter(status=Change.Status.PENDING).exists()
        return len(queries)

    few, many = statements(5, "7.25"), statements(80, "8.75")

    assert few == many
    for company in (north, south):
        prices = set(Product.objects.filter(company=company).values_list("price", flat=True))
        assert prices == {Decimal("8.75")}


def test_it_fails_one_bad_record_alone_and_records_why():
    share, origin, north, south = _group(products=12)
    north.enforce_unique_records = True
    north.save(update_fields=["enforce_unique_records"])
    make_product(north, "LOCAL-77", "Filtro de papel – só na filial", ean="7891000315507")
    _edit(origin, "PRD1000000", ean="7891000315507", description="Café com EAN repetido")
    _price_edits(origin, 12, "9.90")

    apply_pending()

    bad = SharedRecord.objects.get(match_key="PRD1000000")
    link = RecordLink.objects.get(shared_record=bad, company=north)
    assert "EAN" in link.last_error and "LOCAL-77" in link.last_error
    assert product_in(north, "PRD1000000").description != "Café com EAN repetido"
    assert product_in(south, "PRD1000000").description == "Café com EAN repetido"
    failed = Change.objects.filter(shared_record=bad, status=Change.Status.FAILED)
    assert failed.exists() and all("Filial Recife" in change.last_error for change in failed)
    assert AuditEntry.objects.filter(action=AuditEntry.Action.APPLY_FAILED, company=north,
                                     shared_record=bad).exists()
    assert not Change.objects.exclude(shared_record=bad).exclude(status=Change.Status.APPLIED).exists()
    assert {product_in(north, f"PRD{1_000_000 + n}").price for n in range(1, 12)} == {Decimal("9.90")}

    # Once the branch frees its EAN, the retry (the watchdog's) applies it.
    catalog_services.product_update(company=north, product_id=product_in(north, "LOCAL-77").pk,
                                    data={"ean": ""})
    apply_pending()
    assert product_in(north, "PRD1000000").description == "Café com EAN repetido"
    assert not Change.objects.exclude(status=Change.Status.APPLIED).exists()
    assert find_drift(share) == []


def test_catch_up_marks_the_changes_it_applies():
    share, origin, north, south = _group(products=6)
    _price_edits(origin, 6, "4.40")
    assert Change.objects.filter(status=Change.Status.PENDING).count() == 6

    tasks.catch_up(share.pk, north.pk)
    assert Change.objects.filter(status=Change.Status.PENDING).count() == 6  # south still lags
    tasks.catch_up(share.pk, south.pk)

    assert not Change.objects.exclude(status=Change.Status.APPLIED).exists()
    assert find_drift(share) == []


def test_a_lote_of_edits_enqueues_one_batch_task(monkeypatch, django_capture_on_commit_callbacks):
    share, origin, north, south = _group(products=10)
    sent = []
    monkeypatch.setattr("omieshare.lib.jobs.async_task", lambda *args, **kwargs: sent.append(args))
    with enqueued_together():  # as the API sends a call's jobs
        for n in range(10):
            with django_capture_on_commit_callbacks(execute=True):
                _edit(origin, f"PRD{1_000_000 + n}", price="5.55")

    assert sent == [("sharing.tasks.apply_pending", share.pk)]


def test_a_task_with_nothing_pending_costs_two_queries():
    share, origin, north, south = _group(products=2)
    with CaptureQueriesContext(connection) as queries:
        assert batch_apply.apply_pending(share.pk) == 0
    # The "enqueued" flag cleared, and the claim that finds nothing.
    assert len([q for q in queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]) == 2


@pytest.mark.django_db(transaction=True)
def test_writes_committed_while_a_task_waits_enqueue_no_other(monkeypatch):
    share, origin, north, south = _group(products=6)
    sent = []
    monkeypatch.setattr("omieshare.lib.jobs.async_task", lambda *args, **kwargs: sent.append(args))
    batch_apply.apply_pending(share.pk)  # the flag is clear: the next write enqueues

    for n in range(6):  # each its own commit, as six API calls
        _edit(origin, f"PRD{1_000_000 + n}", price=f"{n + 1}.10")

    assert sent == [("sharing.tasks.apply_pending", share.pk)]
    batch_apply.apply_pending(share.pk)  # the task starts: the next write enqueues again
    _edit(origin, "PRD1000000", price="99.00")
    assert len(sent) == 2
    assert Product.objects.get(company=south, code="PRD1000005").price == Decimal("6.10")


def test_one_worker_process_at_a_time_runs_the_watchdog():
    first, second = WatchdogLock(), WatchdogLock()
    try:
        assert first.held() and first.held()  # kept, on its own connection
        assert not second.held()
        first.release()  # its process died: the next sweep elsewhere takes it over
        assert second.held()
    finally:
        first.release()
        second.release()


def test_it_creates_new_records_in_every_member_set_based():
    share, origin, north, south = _group(products=4)
    blob = catalog_services.blob_store(content=b"foto do produto", content_type="image/png")
    supplier = Party.objects.get(company=origin, cnpj_cpf=SUPPLIERS[0])

    def statements(first: int, count: int) -> int:
        for n in range(first, first + count):
            make_product(origin, f"NOVO{2_000_000 + n}", f"Chá mate nº {n} – Erva-mate Ñandú", price="7.30",
                         family=catalog_services.family_create(company=origin, name=f"Chás {n}").pk,
                         suppliers=[supplier.pk], attachments=[[blob.pk, "foto ção.png", True]])
        with CaptureQueriesContext(connection) as queries:
            batch_apply.apply_pending(share.pk)
        return len(queries)

    few, many = statements(0, 2), statements(2, 12)

    assert few == many
    assert find_drift(share) == []
    assert not Change.objects.exclude(status=Change.Status.APPLIED).exists()
    for company in (north, south):
        new = Product.objects.filter(company=company, code__startswith="NOVO")
        assert new.count() == 14 and new.values("code").distinct().count() == 14
        assert RecordLink.objects.filter(company=company, local_id__in=new.values("pk")).count() == 14
        copy = new.get(code="NOVO2000013")
        assert copy.family.name == "Chás 13" and copy.suppliers.get().cnpj_cpf == SUPPLIERS[0]
        assert copy.attachments.get().filename == "foto ção.png" and copy.version == 1
        entry = AuditEntry.objects.get(company=company, action=AuditEntry.Action.APPLY, local_id=copy.pk)
        assert entry.action_label == "Inclusão aplicada"
