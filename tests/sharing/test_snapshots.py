"""Nothing lost: every destination record activation overwrites is kept first, restorable."""

from __future__ import annotations

from decimal import Decimal

import pytest

from catalog import services as catalog_services
from sharing import services
from sharing.models import AuditEntry, Snapshot
from tests.factories import CompanyFactory, SalespersonFactory
from tests.helpers import (
    activate,
    apply_pending,
    configure,
    make_party,
    make_product,
    party_in,
    product_in,
    share_between,
)

pytestmark = pytest.mark.django_db

DOC_A = "11222333000181"


@pytest.fixture
def overwritten():
    origin = CompanyFactory(trade_name="Matriz")
    dest = CompanyFactory(trade_name="Filial")
    other = CompanyFactory(trade_name="Outra filial")
    seller = SalespersonFactory(company=dest, name="Vendedora", email="vendas@filial.com.br")
    make_product(origin, "A1", "Água da matriz", price="3.00")
    make_product(origin, "B2", "Bala")  # created in the destination: nothing to keep
    make_party(origin, DOC_A, "ACME Matriz", city="Campinas")
    make_product(dest, "A1", "Água da filial", price="2.50", unit="CX", characteristics={"cor": "azul"})
    make_party(dest, DOC_A, "ACME Filial", city="Santos", salespeople=[seller.pk])
    share = configure(origin, dest, other)
    job = activate(share)
    return share, job, origin, dest, other


def test_it_keeps_the_values_activation_overwrote(overwritten):
    share, job, _origin, dest, _other = overwritten

    snapshots = {s.registry: s for s in Snapshot.objects.filter(share=share, company=dest)}

    assert set(snapshots) == {"party", "product"}
    product = snapshots["product"]
    assert product.job_id == job.pk and product.local_id == product_in(dest, "A1").pk
    assert (product.values["description"], product.values["price"], product.values["unit"]) == (
        "Água da filial", "2.50", "CX"
    )
    assert product.values["characteristics"] == [["cor", "azul"]]  # [name, value] pairs, in order
    party = snapshots["party"]
    assert (party.values["legal_name"], party.values["city"]) == ("ACME Filial", "Santos")
    assert party.values["salespeople"] == [["vendas@filial.com.br", "Vendedora"]]
    assert Snapshot.objects.count() == job.counts["overwritten"] == 2


def test_it_restores_a_snapshot_through_the_catalog_services(overwritten):
    share, _job, origin, dest, other = overwritten
    snapshot = Snapshot.objects.get(share=share, company=dest, registry="product")

    services.snapshot_restore(snapshot=snapshot)

    restored = product_in(dest, "A1")
    assert (restored.description, restored.price, restored.unit) == ("Água da filial", Decimal("2.50"), "CX")
    snapshot.refresh_from_db()
    assert snapshot.restored_at is not None
    restore = AuditEntry.objects.get(action="restore", company=dest)
    assert restore.detail == "Cópia anterior restaurada (produto A1)."
    # Found by the record's own filters (audit page "por cadastro", admin search).
    assert (restore.registry, restore.local_id) == ("product", restored.pk) and restore.shared_record_id
    # Still shared: the restore is an edit like any other and reaches the other members.
    apply_pending()
    assert product_in(origin, "A1").description == "Água da filial"
    assert product_in(other, "A1").description == "Água da filial"


def test_it_restores_a_party_with_its_salespeople(overwritten):
    share, _job, _origin, dest, _other = overwritten

    services.snapshot_restore(snapshot=Snapshot.objects.get(share=share, company=dest, registry="party"))

    party = party_in(dest, DOC_A)
    assert (party.legal_name, party.city) == ("ACME Filial", "Santos")
    assert list(party.salespeople.values_list("email", flat=True)) == ["vendas@filial.com.br"]


def test_it_restores_locally_in_a_company_that_left_the_share(overwritten):
    share, _job, origin, dest, _other = overwritten
    services.member_remove(share=share, company=dest)

    services.snapshot_restore(snapshot=Snapshot.objects.get(share=share, company=dest, registry="product"))
    apply_pending()

    assert product_in(dest, "A1").description == "Água da filial"
    assert product_in(origin, "A1").description == "Água da matriz"


def test_it_keeps_what_a_second_activation_overwrites_when_a_company_joins_again(db):
    origin = CompanyFactory(trade_name="Matriz")
    dest = CompanyFactory(trade_name="Filial")
    other = CompanyFactory(trade_name="Outra filial")
    make_product(origin, "A1", "Água da matriz")
    make_product(dest, "A1", "Água de antes do compartilhamento")
    share = share_between(origin, dest, other)
    services.member_remove(share=share, company=dest)
    catalog_services.product_update(company=dest, product_id=product_in(dest, "A1").pk,
                                    data={"description": "Editada depois de sair"})

    services.member_add(share=share, company=dest, permissions=services.Permissions())
    job = activate(share)

    assert product_in(dest, "A1").description == "Água da matriz"
    kept = sorted(Snapshot.objects.filter(company=dest).values_list("values__description", flat=True))
    assert kept == ["Editada depois de sair", "Água de antes do compartilhamento"]
    assert Snapshot.objects.filter(job=job).count() == job.counts["overwritten"] == 1
