"""Propagation after activation: idempotent applying, stale edits refused, new shared
records, and deletion (more in test_deletion.py)."""

from __future__ import annotations

import pytest

from catalog import services as catalog_services
from catalog.exceptions import WriteRefused
from catalog.models import Party, Product
from sharing.models import Change, RecordLink, SharedRecord
from sharing.propagation import apply_change, apply_record
from sharing.services import Permissions
from tests.factories import CompanyFactory
from tests.helpers import apply_pending, make_party, make_product, party_in, product_in, share_between

pytestmark = pytest.mark.django_db

DOC_A = "11222333000181"
DOC_B = "45723174000110"


def _edit_product(company, code: str, **data) -> Product:
    return catalog_services.product_update(company=company, product_id=product_in(company, code).pk, data=data)


# --- idempotency ------------------------------------------------------------------------


def test_it_applies_a_change_once_however_often_it_is_delivered(trio):
    _share, origin, branch_a, _ = trio
    _edit_product(origin, "A1", description="Água mineral")
    change = Change.objects.get()

    apply_change(change.pk)
    after_first = product_in(branch_a, "A1")
    apply_change(change.pk)
    # At-least-once: the status update of the first run may have been lost with the worker.
    Change.objects.filter(pk=change.pk).update(status=Change.Status.PENDING)
    apply_change(change.pk)

    after = product_in(branch_a, "A1")
    assert after.description == "Água mineral"
    assert after.version == after_first.version == 2  # written once
    assert apply_record(change.shared_record_id, branch_a.pk) is None
    assert RecordLink.objects.get(company=branch_a, shared_record=change.shared_record).applied_version == 2


def test_it_ignores_an_older_change_applied_after_a_newer_one(trio):
    _share, origin, branch_a, _ = trio
    _edit_product(origin, "A1", description="Versão 2")
    _edit_product(origin, "A1", description="Versão 3", price="5.00")
    older, newer = Change.objects.order_by("version")

    apply_change(newer.pk)
    written = product_in(branch_a, "A1")
    apply_change(older.pk)

    after = product_in(branch_a, "A1")
    assert (after.description, str(after.price)) == ("Versão 3", "5.00")
    assert after.version == written.version
    assert Change.objects.filter(status="applied").count() == 2


# --- conflict safety --------------------------------------------------------------------


def test_it_refuses_an_edit_based_on_a_stale_version_with_the_current_values(trio):
    _share, *members = trio
    _origin, branch_a, branch_b = members
    _edit_product(branch_a, "A1", description="Água da filial A")  # committed, not yet in B

    with pytest.raises(WriteRefused) as refused:
        _edit_product(branch_b, "A1", description="Água da filial B")

    message = str(refused.value)
    assert "alterado em outra empresa" in message and "Nada foi salvo" in message
    assert "Água da filial A" in message  # the current value, so the user sees what won
    b_copy = product_in(branch_b, "A1")
    assert (b_copy.description, b_copy.version) == ("Água", 1)
    assert Change.objects.count() == 1

    apply_pending()
    _edit_product(branch_b, "A1", description="Água da filial B")
    apply_pending()
    assert {product_in(c, "A1").description for c in members} == {"Água da filial B"}


def test_it_lets_a_stale_member_edit_fields_that_stay_local(trio):
    _share, origin, _branch_a, branch_b = trio
    _edit_product(origin, "A1", description="Água mineral")  # not yet applied to B

    _edit_product(branch_b, "A1", integration_code="ERP-B")

    assert product_in(branch_b, "A1").integration_code == "ERP-B"
    assert Change.objects.count() == 1  # the local edit is not a shared change
    apply_pending()
    b_copy = product_in(branch_b, "A1")
    assert (b_copy.description, b_copy.integration_code) == ("Água mineral", "ERP-B")


def test_it_converges_every_member_after_edits_from_several_members(trio):
    _share, origin, branch_a, branch_b = trio
    _edit_product(origin, "A1", price="4.00")
    apply_pending()
    _edit_product(branch_a, "A1", description="Água A")
    apply_pending()
    _edit_product(branch_b, "A1", unit="CX")
    catalog_services.party_update(company=branch_b, party_id=party_in(branch_b, DOC_A).pk, data={"city": "Recife"})
    apply_pending()

    values = {(p.description, str(p.price), p.unit) for p in Product.objects.filter(code="A1")}
    assert values == {("Água A", "4.00", "CX")}
    assert set(Party.objects.filter(cnpj_cpf=DOC_A).values_list("city", flat=True)) == {"Recife"}
    shared = SharedRecord.objects.get(match_key="A1")
    assert set(RecordLink.objects.filter(shared_record=shared).values_list("applied_version", flat=True)) == {
        shared.version
    }


# --- new shared records -----------------------------------------------------------------


def test_it_shares_a_party_that_gains_a_document_in_a_member_with_include(trio):
    _share, origin, branch_a, branch_b = trio
    walk_in = make_party(branch_a, "", "Cliente Balcão")
    apply_pending()
    assert not Party.objects.filter(legal_name="Cliente Balcão").exclude(company=branch_a).exists()

    catalog_services.party_update(company=branch_a, party_id=walk_in.pk, data={"cnpj_cpf": DOC_B})
    apply_pending()

    for company in (origin, branch_b):
        assert party_in(company, DOC_B).legal_name == "Cliente Balcão"
    assert SharedRecord.objects.filter(match_key=DOC_B).count() == 1
    assert RecordLink.objects.filter(shared_record__match_key=DOC_B).count() == 3


def test_it_refuses_a_document_gained_in_a_member_without_include(db):
    origin = CompanyFactory(trade_name="Matriz")
    dest = CompanyFactory(trade_name="Filial")
    make_party(origin, DOC_A, "ACME")
    share_between(origin, dest, registries=["party"],
                  destination_permissions=Permissions(can_create=False, can_update=True, can_delete=True))
    walk_in = make_party(dest, "", "Cliente Balcão")

    with pytest.raises(WriteRefused, match="permissão de inclusão"):
        catalog_services.party_update(company=dest, party_id=walk_in.pk, data={"cnpj_cpf": DOC_B})

    assert Party.objects.get(pk=walk_in.pk).cnpj_cpf == ""
    assert not Change.objects.exists()


def test_it_shares_a_product_created_after_activation_with_every_member(trio):
    _share, _origin, branch_a, _branch_b = trio

    make_product(branch_a, "NOVO", "Produto novo", price="1.99")
    apply_pending()

    assert Product.objects.filter(code="NOVO").count() == 3
    assert set(Product.objects.filter(code="NOVO").values_list("price", flat=True)) == {
        product_in(branch_a, "NOVO").price
    }


# --- deletion ---------------------------------------------------------------------------


def test_it_propagates_a_deletion_to_every_member(trio):
    _share, origin, branch_a, branch_b = trio

    catalog_services.product_delete(company=branch_a, product_id=product_in(branch_a, "A1").pk)
    catalog_services.party_delete(company=origin, party_id=party_in(origin, DOC_A).pk)
    apply_pending()

    assert not Product.objects.filter(code="A1").exists()
    assert not Party.objects.filter(cnpj_cpf=DOC_A).exists()
    assert set(Change.objects.values_list("action", flat=True)) == {"delete"}
    assert not RecordLink.objects.exists()
    assert SharedRecord.objects.live().count() == 0
