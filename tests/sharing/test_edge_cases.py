"""Corners of the engine: permissions that must not be bypassed, references a member cannot
map, members waiting to join, and drift that is not drift."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.management import call_command

from catalog import services as catalog_services
from catalog.exceptions import WriteRefused
from catalog.models import Product
from sharing import services
from sharing.models import Change, Snapshot
from sharing.planner import plan, plan_rows
from sharing.propagation import apply_record
from sharing.resync import find_drift
from sharing.services import Permissions
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
EDIT_ONLY = Permissions(can_create=True, can_update=True, can_delete=False)


def test_it_needs_only_the_edit_permission_to_inactivate_together_with_other_changes():
    """inativo is an ordinary field, as in Omie: inactivating is an edit, not a deletion."""
    origin = CompanyFactory(trade_name="Matriz")
    dest = CompanyFactory(trade_name="Filial")
    make_product(origin, "A1", "Água")
    share_between(origin, dest, destination_permissions=EDIT_ONLY)
    product = product_in(dest, "A1")

    catalog_services.product_update(company=dest, product_id=product.pk,
                                    data={"description": "Água (descontinuada)", "active": False})
    apply_pending()

    assert Change.objects.get().action == "update"
    stored = product_in(origin, "A1")
    assert (stored.active, stored.description) == (False, "Água (descontinuada)")
    with pytest.raises(WriteRefused, match="permissão de exclusão"):
        catalog_services.product_delete(company=dest, product_id=product.pk)


def test_it_needs_the_edit_permission_to_inactivate_or_reactivate():
    origin = CompanyFactory(trade_name="Matriz")
    dest = CompanyFactory(trade_name="Filial")
    make_product(origin, "A1", "Água")
    make_product(origin, "A2", "Água com gás")
    share_between(origin, dest, destination_permissions=Permissions(can_create=False, can_update=False,
                                                                    can_delete=True))

    with pytest.raises(WriteRefused, match="permissão de edição"):
        catalog_services.product_update(company=dest, product_id=product_in(dest, "A1").pk, data={"active": False})
    catalog_services.product_delete(company=dest, product_id=product_in(dest, "A2").pk)
    apply_pending()

    assert product_in(origin, "A1").active
    assert not Product.objects.filter(code="A2").exists()


def test_it_does_not_wipe_references_a_member_cannot_map_when_it_edits_something_else():
    origin = CompanyFactory(trade_name="Matriz")
    dest = CompanyFactory(trade_name="Filial")
    supplier = make_party(origin, DOC_A, "Fornecedora", is_supplier=True)  # parties are not shared
    make_product(origin, "KIT", "Kit", suppliers=[supplier.pk])
    share_between(origin, dest, registries=["product"])
    assert not product_in(dest, "KIT").suppliers.exists()  # the destination has no such party

    catalog_services.product_update(company=dest, product_id=product_in(dest, "KIT").pk,
                                    data={"description": "Kit revisado"})
    apply_pending()

    kit = product_in(origin, "KIT")
    assert kit.description == "Kit revisado"
    assert list(kit.suppliers.values_list("cnpj_cpf", flat=True)) == [DOC_A]
    assert Change.objects.get().changed_fields == ["description"]


def test_it_lets_a_company_added_to_an_active_share_work_until_its_activation_is_confirmed():
    origin = CompanyFactory(trade_name="Matriz")
    dest = CompanyFactory(trade_name="Filial")
    newcomer = CompanyFactory(trade_name="Filial nova")
    make_product(origin, "A1", "Água")
    own = make_product(newcomer, "N1", "Produto da filial nova")
    share = share_between(origin, dest)

    services.member_add(share=share, company=newcomer, permissions=Permissions())
    catalog_services.product_update(company=newcomer, product_id=own.pk, data={"description": "Editado"})
    make_product(newcomer, "N2", "Outro")

    assert product_in(newcomer, "N1").description == "Editado"
    assert catalog_services.product_code_suggestion(company=newcomer) == "PRD00001"
    assert not Change.objects.exists()


def test_it_refuses_writes_of_a_member_whose_activation_is_running():
    origin = CompanyFactory(trade_name="Matriz")
    dest = CompanyFactory(trade_name="Filial")
    newcomer = CompanyFactory(trade_name="Filial nova")
    make_product(origin, "A1", "Água")
    own = make_product(newcomer, "N1", "Produto da filial nova")
    share = share_between(origin, dest)
    services.member_add(share=share, company=newcomer, permissions=Permissions())

    services.share_activate(share=share, confirmed=True)  # queued, not yet run

    with pytest.raises(WriteRefused, match="sendo ativado"):
        catalog_services.product_update(company=newcomer, product_id=own.pk, data={"description": "Editado"})


def test_it_does_not_report_case_or_name_differences_of_mapped_references_as_drift():
    origin = CompanyFactory(trade_name="Matriz")
    dest = CompanyFactory(trade_name="Filial")
    family = catalog_services.family_create(company=origin, name="Bebidas")
    catalog_services.family_create(company=dest, name="BEBIDAS")
    seller = SalespersonFactory(company=origin, name="Ana", email="ana@grupo.com.br")
    SalespersonFactory(company=dest, name="Ana Souza", email="ana@grupo.com.br")
    make_product(origin, "A1", "Água", family=family.pk)
    make_party(origin, DOC_A, "ACME", salespeople=[seller.pk])
    share = share_between(origin, dest)
    assert product_in(dest, "A1").family.name == "BEBIDAS"  # mapped by name, whatever the case
    assert [s.name for s in party_in(dest, DOC_A).salespeople.all()] == ["Ana Souza"]

    assert find_drift(share) == []
    out = io.StringIO()
    call_command("sharing_status", "--share", share.pk, stdout=out)
    assert "divergências: 1" not in out.getvalue() and "divergências: 2" not in out.getvalue()


def test_it_lists_as_identical_only_what_it_counts_as_identical():
    """`inativo` is compared like any shared field: an inactive copy of an active record is
    overwritten, two inactive records with the same values are the same, and a destination's
    own inactive record is kept there like an active one."""
    origin = CompanyFactory(trade_name="Matriz")
    dest = CompanyFactory(trade_name="Filial")
    make_product(origin, "A1", "Água")
    inactive = make_product(dest, "A1", "Água")
    catalog_services.product_update(company=dest, product_id=inactive.pk, data={"active": False})
    make_product(origin, "B2", "Bala de goma (fora de linha)", active=False)
    make_product(dest, "B2", "Bala de goma (fora de linha)", active=False)
    gone = make_product(dest, "Z9", "Inativo só na filial")
    catalog_services.product_update(company=dest, product_id=gone.pk, data={"active": False})
    make_product(dest, "Z8", "Ativo só na filial")

    counts = plan(origin=origin, destinations=[dest], registries=["product"])[0].counts
    rows = {category: [row["key"] for row in plan_rows(origin=origin, dest=dest, registry="product",
                                                        category=category)]
            for category in ("identical", "overwrite", "destination_only")}

    assert (counts["identical"], counts["overwrite"], counts["destination_only"]) == (1, 1, 2)
    assert rows == {"identical": ["B2"], "overwrite": ["A1"], "destination_only": ["Z8", "Z9"]}


def test_preview_activation_and_drift_agree_on_what_is_already_the_same():
    """A member's own spelling of a family or name of a salesperson (same e-mail) is the same
    reference: not previewed as an overwrite, not rewritten, not kept as a snapshot."""
    origin = CompanyFactory(trade_name="Matriz")
    dest = CompanyFactory(trade_name="Filial")
    family = catalog_services.family_create(company=origin, name="Bebidas")
    dest_family = catalog_services.family_create(company=dest, name="BEBIDAS")
    ana = SalespersonFactory(company=origin, name="Ana Souza", email="ana@grupo.com.br")
    dest_ana = SalespersonFactory(company=dest, name="Ana S.", email="ANA@grupo.com.br")
    make_product(origin, "A1", "Água", family=family.pk)
    same_product = make_product(dest, "A1", "Água", family=dest_family.pk)
    make_product(origin, "B2", "Bolo")
    make_product(dest, "B2", "Bolo antigo")
    make_party(origin, DOC_A, "ACME", salespeople=[ana.pk])
    same_party = make_party(dest, DOC_A, "ACME", salespeople=[dest_ana.pk])
    share = configure(origin, dest)

    counts = {item.registry: item.counts for item in plan(origin=origin, destinations=[dest],
                                                          registries=["party", "product"])}
    overwrite_rows = plan_rows(origin=origin, dest=dest, registry="product", category="overwrite")
    job = activate(share)

    assert (counts["product"]["identical"], counts["product"]["overwrite"]) == (1, 1)
    assert (counts["party"]["identical"], counts["party"]["overwrite"]) == (1, 0)
    assert [row["key"] for row in overwrite_rows] == ["B2"]
    assert (job.counts["identical"], job.counts["overwritten"]) == (2, 1)
    assert list(Snapshot.objects.values_list("local_id", flat=True)) == [product_in(dest, "B2").pk]
    same_product.refresh_from_db()
    same_party.refresh_from_db()
    assert (same_product.version, same_product.family_id) == (1, dest_family.pk)
    assert list(same_party.salespeople.values_list("name", flat=True)) == ["Ana S."]
    assert product_in(dest, "B2").description == "Bolo"
    assert find_drift(share) == []


def test_it_does_not_report_a_supplier_the_member_lacks_as_drift_but_repairs_it_once_it_exists():
    origin = CompanyFactory(trade_name="Matriz")
    dest = CompanyFactory(trade_name="Filial")
    supplier = make_party(origin, DOC_A, "Fornecedora", is_supplier=True)
    make_product(origin, "KIT", "Kit", suppliers=[supplier.pk])
    share = share_between(origin, dest, registries=["product"])  # parties are not shared

    assert find_drift(share) == []

    make_party(dest, DOC_A, "Fornecedora (cadastrada na filial)", is_supplier=True)
    assert [d.fields for d in find_drift(share)] == [("suppliers",)]
    apply_record(find_drift(share)[0].shared_record_id, dest.pk, force=True)
    assert list(product_in(dest, "KIT").suppliers.values_list("cnpj_cpf", flat=True)) == [DOC_A]
    assert find_drift(share) == []


def test_it_keeps_structures_and_suppliers_when_a_referenced_code_or_document_changes():
    origin = CompanyFactory(trade_name="Matriz")
    dest = CompanyFactory(trade_name="Filial")
    supplier = make_party(origin, DOC_A, "Fornecedora", is_supplier=True)
    other_supplier = make_party(origin, "04252011000110", "Outra fornecedora", is_supplier=True)
    part = make_product(origin, "PECA", "Peça")
    screw = make_product(origin, "MMM", "Parafuso")
    make_product(origin, "KIT", "Kit", bom=[(part.pk, "2"), (screw.pk, "4")],
                 suppliers=[supplier.pk, other_supplier.pk])
    share = share_between(origin, dest)

    catalog_services.product_update(company=origin, product_id=part.pk, data={"code": "AAA-PECA"})
    catalog_services.party_update(company=origin, party_id=supplier.pk, data={"cnpj_cpf": "45723174000110"})
    apply_pending()
    catalog_services.product_update(company=origin, product_id=product_in(origin, "KIT").pk,
                                    data={"description": "Kit revisado"})
    apply_pending()

    kit = product_in(dest, "KIT")
    assert kit.description == "Kit revisado"
    assert sorted(kit.bom_items.values_list("component__code", "quantity")) == [
        ("AAA-PECA", Decimal("2.0000")), ("MMM", Decimal("4.0000"))
    ]
    assert sorted(kit.suppliers.values_list("cnpj_cpf", flat=True)) == ["04252011000110", "45723174000110"]
    assert find_drift(share) == []



def test_a_member_keeps_its_own_suppliers_without_document_through_activation_and_changes():
    origin = CompanyFactory(trade_name="Matriz")
    dest = CompanyFactory(trade_name="Filial")
    shared_supplier = make_party(origin, DOC_A, "Fornecedora", is_supplier=True)
    make_product(origin, "KIT", "Kit", suppliers=[shared_supplier.pk])
    foreign = make_party(dest, "", "Supplier Abroad Inc", is_supplier=True)  # no CNPJ/CPF: never shared
    make_product(dest, "KIT", "Kit antigo", suppliers=[foreign.pk])
    share = share_between(origin, dest)

    kit = product_in(dest, "KIT")
    assert kit.description == "Kit"
    assert set(kit.suppliers.values_list("legal_name", flat=True)) == {"Fornecedora", "Supplier Abroad Inc"}

    catalog_services.product_update(company=origin, product_id=product_in(origin, "KIT").pk,
                                    data={"description": "Kit revisado"})
    apply_pending()

    kit = product_in(dest, "KIT")
    assert kit.description == "Kit revisado"
    assert set(kit.suppliers.values_list("legal_name", flat=True)) == {"Fornecedora", "Supplier Abroad Inc"}
    assert find_drift(share) == []


def test_a_supplier_that_gains_a_document_joins_the_shared_products_it_supplies():
    origin = CompanyFactory(trade_name="Matriz")
    dest = CompanyFactory(trade_name="Filial")
    supplier = make_party(origin, "", "Fornecedora sem CNPJ", is_supplier=True)
    make_product(origin, "KIT", "Kit", suppliers=[supplier.pk])
    share = share_between(origin, dest)
    assert not product_in(dest, "KIT").suppliers.exists()

    catalog_services.party_update(company=origin, party_id=supplier.pk,
                                  data={"cnpj_cpf": DOC_A, "person_type": "J"})
    apply_pending()

    assert list(product_in(dest, "KIT").suppliers.values_list("cnpj_cpf", flat=True)) == [DOC_A]
    assert list(product_in(origin, "KIT").suppliers.values_list("pk", flat=True)) == [supplier.pk]
    assert find_drift(share) == []  # so a resync has nothing to undo
