"""Deletion is a deletion (issue 12 §3): a shared record deleted in one member is deleted in
every member under the exclusão permission, each company's copy kept as a Snapshot, and
support restores it from the admin, in every company at once, unless its code was reused
meanwhile. A record others use (a structure's component, a product's supplier) is not
deleted, in any company."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from catalog import services as catalog_services
from catalog.exceptions import ConcurrentChange, WriteRefused
from catalog.models import Attachment, BillOfMaterialsItem, Party, PriceTableItem, Product, StockBalance
from sharing import services
from sharing.models import AuditEntry, Change, RecordLink, SharedRecord, Snapshot
from sharing.resync import find_drift
from tests.factories import CompanyFactory, SalespersonFactory, UserFactory
from tests.helpers import (
    ALL,
    activate,
    apply_pending,
    make_party,
    make_product,
    party_in,
    product_in,
    share_between,
)

pytestmark = pytest.mark.django_db

DOC = "11222333000181"
SUPPLIER_DOC = "45723174000110"


@pytest.fixture
def staff(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def group():
    """A head office sharing a product and a client with two branches; each branch keeps
    its own integration code, stock and prices for the product (never shared)."""
    origin = CompanyFactory(legal_name="Distribuidora Gaúcha de Bebidas Ltda", trade_name="Matriz Porto Alegre")
    north = CompanyFactory(legal_name="Distribuidora Gaúcha Filial Norte Ltda", trade_name="Filial Caxias")
    south = CompanyFactory(legal_name="Distribuidora Gaúcha Filial Sul Ltda", trade_name="Filial Pelotas")
    make_product(origin, "AGUA-500", "Água mineral sem gás 500 ml – caixa com 12", price="23.40", ean="7891000315507")
    make_party(origin, DOC, "Supermercados Irmãos Araújo Ltda")
    share = share_between(origin, north, south, destination_permissions=ALL)
    water = product_in(north, "AGUA-500")
    catalog_services.product_update(company=north, product_id=water.pk, data={"integration_code": "ERP-N-0091"})
    catalog_services.stock_balance_set(company=north, product_id=water.pk, quantity=Decimal("148"))
    table = catalog_services.price_table_create(company=north, name="Atacado Serra")
    catalog_services.price_table_item_set(company=north, table_id=table.pk, product_id=water.pk,
                                          price=Decimal("21.90"))
    return share, origin, north, south


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def _restore(staff, snapshot: Snapshot) -> list[str]:
    response = staff.post(reverse("admin:sharing_snapshot_changelist"),
                          {"action": "restore_snapshots", "_selected_action": [snapshot.pk], "confirmar": "sim"})
    assert response.status_code == 302, response.content[:2000]
    return [str(m) for m in get_messages(response.wsgi_request)]


# --- deleting ----------------------------------------------------------------------------


def test_it_deletes_a_shared_record_in_every_member_and_keeps_each_companys_copy(group):
    share, origin, north, south = group
    ids = {company: product_in(company, "AGUA-500").pk for company in (origin, north, south)}

    catalog_services.product_delete(company=south, product_id=ids[south], source="web")
    apply_pending()

    assert not Product.objects.filter(code="AGUA-500").exists()
    assert not StockBalance.objects.exists() and not PriceTableItem.objects.exists()
    change = Change.objects.get(action="delete")
    copies = {s.company_id: s for s in Snapshot.objects.filter(reason="deleted")}
    assert {company_id: s.local_id for company_id, s in copies.items()} == {c.pk: i for c, i in ids.items()}
    assert {s.change_id for s in copies.values()} == {change.pk} and {s.share_id for s in copies.values()} == {share.pk}
    kept = copies[north.pk].values
    assert (kept["integration_code"], kept["stock_balance"]) == ("ERP-N-0091", "148.0000")
    assert kept["price_table_items"][0][1:] == ["Atacado Serra", "21.90"]
    assert copies[south.pk].source == "web" and copies[north.pk].source == "sharing"
    shared = SharedRecord.objects.get(registry="product")
    assert shared.deleted_at is not None and not RecordLink.objects.filter(shared_record=shared).exists()
    assert AuditEntry.objects.filter(action="apply", change=change).count() == 2
    assert find_drift(share) == []


def test_a_member_without_the_exclusao_permission_deletes_nothing_anywhere():
    origin = CompanyFactory(trade_name="Matriz")
    branch = CompanyFactory(trade_name="Filial")
    make_product(origin, "AGUA-500", "Água mineral 500 ml")
    share_between(origin, branch, destination_permissions=services.Permissions(True, True, False))

    with pytest.raises(WriteRefused, match="não tem permissão de exclusão"):
        catalog_services.product_delete(company=branch, product_id=product_in(branch, "AGUA-500").pk)

    assert Product.objects.filter(code="AGUA-500").count() == 2
    assert not Snapshot.objects.exists() and not Change.objects.exists()
    assert SharedRecord.objects.live().count() == 1


def test_it_refuses_a_deletion_whose_copy_is_a_component_in_another_member():
    origin = CompanyFactory(legal_name="Distribuidora Gaúcha de Bebidas Ltda", trade_name="Matriz Porto Alegre")
    north = CompanyFactory(legal_name="Distribuidora Gaúcha Filial Norte Ltda", trade_name="Filial Caxias")
    make_product(origin, "AGUA-500", "Água mineral sem gás 500 ml – caixa com 12", price="23.40")
    water = make_product(north, "AGUA-500", "Água mineral 500 ml (cadastro da filial)", price="22.90")
    # Only the branch has it (a destination's own record, kept by activation): a structure
    # that uses the branch's copy of the shared product.
    make_product(north, "KIT-FESTA", "Kit festa (só na filial)", bom=[(water.pk, "12")])
    share_between(origin, north, destination_permissions=ALL)
    assert not Product.objects.filter(company=origin, code="KIT-FESTA").exists()

    with pytest.raises(WriteRefused) as refused:
        catalog_services.product_delete(company=origin, product_id=product_in(origin, "AGUA-500").pk)

    assert "seria excluído também em Filial Caxias, onde está em uso" in str(refused.value)
    assert "é componente da estrutura de 1 produto: KIT-FESTA – Kit festa (só na filial)" in str(refused.value)
    assert Product.objects.filter(code="AGUA-500").count() == 2
    assert not Snapshot.objects.filter(reason="deleted").exists()


def test_it_refuses_to_delete_a_supplier_named_on_shared_products(group):
    _share, origin, north, _south = group
    supplier = make_party(origin, SUPPLIER_DOC, "Fonte Serra Gaúcha Águas Minerais Ltda", is_supplier=True)
    catalog_services.product_update(company=origin, product_id=product_in(origin, "AGUA-500").pk,
                                    data={"suppliers": [supplier.pk]})
    apply_pending()

    with pytest.raises(WriteRefused, match="está na lista de fornecedores de 1 produto: AGUA-500"):
        catalog_services.party_delete(company=north, party_id=party_in(north, SUPPLIER_DOC).pk)

    assert Party.objects.filter(cnpj_cpf=SUPPLIER_DOC).count() == 3


def test_it_refuses_a_deletion_while_another_members_change_is_on_its_way(group):
    _share, origin, north, _south = group
    catalog_services.product_update(company=origin, product_id=product_in(origin, "AGUA-500").pk,
                                    data={"price": Decimal("24.90")})

    with pytest.raises(ConcurrentChange):
        catalog_services.product_delete(company=north, product_id=product_in(north, "AGUA-500").pk)
    apply_pending()

    assert set(Product.objects.filter(code="AGUA-500").values_list("price", flat=True)) == {Decimal("24.90")}


def test_a_new_record_takes_the_code_of_a_deleted_shared_one_and_is_shared(group):
    _share, origin, north, south = group
    catalog_services.product_delete(company=origin, product_id=product_in(origin, "AGUA-500").pk)
    apply_pending()

    again = make_product(north, "AGUA-500", "Água mineral com gás 500 ml")
    apply_pending()

    assert {product_in(c, "AGUA-500").description for c in (origin, north, south)} == {"Água mineral com gás 500 ml"}
    assert SharedRecord.objects.live().get(registry="product").links.get(company=north).local_id == again.pk
    assert SharedRecord.objects.filter(registry="product", deleted_at__isnull=False).count() == 1


def test_a_member_added_after_a_deletion_does_not_receive_the_deleted_record(group):
    share, origin, _north, _south = group
    catalog_services.product_delete(company=origin, product_id=product_in(origin, "AGUA-500").pk)
    apply_pending()
    late = CompanyFactory(trade_name="Filial Santa Maria")

    services.member_add(share=share, company=late, permissions=ALL)
    activate(share)

    assert not Product.objects.filter(company=late).exists()
    assert party_in(late, DOC).legal_name == "Supermercados Irmãos Araújo Ltda"


# --- restoring (support, from the admin) ---------------------------------------------------


def test_support_restores_a_deleted_shared_record_in_every_company_from_the_admin(staff, group):
    share, origin, north, south = group
    ids = {company: product_in(company, "AGUA-500").pk for company in (origin, north, south)}
    catalog_services.product_delete(company=origin, product_id=ids[origin])
    apply_pending()
    picked = Snapshot.objects.get(company=north, reason="deleted")

    confirm = staff.post(reverse("admin:sharing_snapshot_changelist"),
                         {"action": "restore_snapshots", "_selected_action": [picked.pk]}).content.decode()
    assert "a exclusão é desfeita em todas as empresas do grupo onde foi excluído" in confirm
    shown = _restore(staff, picked)
    apply_pending()

    assert "Restaurado também em Matriz Porto Alegre, Filial Pelotas, cada uma com a sua cópia" in shown[0]
    for company, local_id in ids.items():
        product = Product.objects.get(pk=local_id)  # the same number in every company
        assert (product.company_id, product.code, product.price) == (company.pk, "AGUA-500", Decimal("23.40"))
    water = Product.objects.get(pk=ids[north])
    assert (water.integration_code, water.stock_balance.quantity) == ("ERP-N-0091", Decimal("148"))
    assert water.price_table_items.get().price == Decimal("21.90")
    shared = SharedRecord.objects.live().get(registry="product")
    assert {link.company_id: link.local_id for link in shared.links.all()} == {c.pk: i for c, i in ids.items()}
    assert not RecordLink.objects.filter(shared_record=shared, applied_version__lt=shared.version).exists()
    assert Snapshot.objects.filter(reason="deleted", restored_at__isnull=False).count() == 3
    assert Change.objects.filter(action="create", source="restore").count() == 1
    assert AuditEntry.objects.filter(action="restore").get().detail.startswith("Cadastro excluído restaurado")
    assert find_drift(share) == []

    # Shared again: an edit anywhere reaches the others.
    catalog_services.product_update(company=south, product_id=ids[south], data={"description": "Água 500 ml"})
    apply_pending()
    assert product_in(origin, "AGUA-500").description == "Água 500 ml"


def test_support_cannot_restore_a_deleted_record_whose_code_was_reused(staff, group):
    _share, origin, north, _south = group
    old_id = product_in(origin, "AGUA-500").pk
    catalog_services.product_delete(company=origin, product_id=old_id)
    apply_pending()
    make_product(origin, "AGUA-500", "Água mineral nova")
    apply_pending()

    shown = " ".join(_restore(staff, Snapshot.objects.get(company=origin, local_id=old_id)))

    assert "Não restaurado, nada foi alterado" in shown
    assert "O código AGUA-500 já é de outro cadastro compartilhado do grupo" in shown
    assert not Product.objects.filter(pk=old_id).exists()
    assert set(Product.objects.filter(code="AGUA-500").values_list("description", flat=True)) == {"Água mineral nova"}
    assert not Snapshot.objects.filter(restored_at__isnull=False).exists()


def test_support_restores_a_record_deleted_outside_any_share_with_its_relations(staff, media):
    company = CompanyFactory(trade_name="Loja Única")
    ana = SalespersonFactory(company=company, name="Ana Beatriz Gonçalves", email="ana.goncalves@loja.com.br")
    party = make_party(company, "52998224725", "José Antônio da Conceição", code="CLI-2231",
                       characteristics={"Segmento": "Varejo", "Canal": "Balcão", "Área": "Centro"},
                       salespeople=[ana.pk], tags=["VIP"])
    catalog_services.attachment_add(company=company, registry="party", record_id=party.pk,
                                    filename="contrato-assinado.pdf", content=b"%PDF-1.7 contrato")
    catalog_services.party_delete(company=company, party_id=party.pk)
    kept = Snapshot.objects.get()
    assert (kept.share_id, kept.change_id, kept.values["code"]) == (None, None, "CLI-2231")

    shown = " ".join(_restore(staff, kept))

    assert f"Restaurado: José Antônio da Conceição em {company.display_name}" in shown
    restored = Party.objects.get(pk=party.pk)
    assert (restored.code, restored.cnpj_cpf, restored.tags) == ("CLI-2231", "52998224725", ["VIP"])
    assert list(restored.characteristics) == ["Segmento", "Canal", "Área"]
    assert list(restored.salespeople.all()) == [ana]
    assert Attachment.objects.get(party=restored).filename == "contrato-assinado.pdf"
    assert restored.created_at == party.created_at


def test_support_cannot_restore_a_local_record_whose_integration_code_was_reused(staff):
    company = CompanyFactory(trade_name="Loja Única")
    party = make_party(company, "52998224725", "José Antônio da Conceição", code="CLI-2231")
    catalog_services.party_delete(company=company, party_id=party.pk)
    holder = make_party(company, "", "Maria das Graças Nascimento", code="CLI-2231")

    shown = " ".join(_restore(staff, Snapshot.objects.get()))

    assert "Não restaurado, nada foi alterado" in shown
    assert f"O código de integração CLI-2231 agora é de outro cliente/fornecedor desta empresa: nº {holder.pk}" in shown
    assert list(Party.objects.values_list("pk", flat=True)) == [holder.pk]


def test_a_deleted_product_comes_back_with_its_structure_once_its_component_is_back(staff):
    company = CompanyFactory(trade_name="Fábrica")
    bottle = make_product(company, "GARRAFA-500", "Garrafa PET 500 ml")
    water = make_product(company, "AGUA-500", "Água mineral 500 ml", bom=[(bottle.pk, "1")])
    catalog_services.product_delete(company=company, product_id=water.pk)
    catalog_services.product_delete(company=company, product_id=bottle.pk)  # no longer a component
    water_copy = Snapshot.objects.get(local_id=water.pk)

    refused = " ".join(_restore(staff, water_copy))
    assert "O componente GARRAFA-500 da estrutura foi excluído desta empresa: restaure-o antes" in refused
    _restore(staff, Snapshot.objects.get(local_id=bottle.pk))
    _restore(staff, water_copy)

    assert list(BillOfMaterialsItem.objects.values_list("product_id", "component_id", "quantity")) == [
        (water.pk, bottle.pk, Decimal("1.0000"))]


def test_the_admin_shows_deleted_records_and_their_copies(staff, group):
    _share, origin, _north, _south = group
    catalog_services.product_delete(company=origin, product_id=product_in(origin, "AGUA-500").pk)
    apply_pending()
    shared = SharedRecord.objects.get(registry="product")
    copy = Snapshot.objects.get(company=origin)

    record_page = staff.get(reverse("admin:sharing_sharedrecord_change", args=[shared.pk])).content.decode()
    listing = staff.get(reverse("admin:sharing_snapshot_changelist"), {"reason__exact": "deleted"})
    copy_page = staff.get(reverse("admin:sharing_snapshot_change", args=[copy.pk])).content.decode()

    assert "Cópias guardadas na exclusão" in record_page
    assert listing.context["cl"].result_count == 3 and "produto nº" in listing.content.decode()
    assert f"produto nº {copy.local_id} (excluído)" in listing.content.decode()
    assert "O cadastro foi excluído: restaurar o inclui de novo com o mesmo número" in copy_page


def test_restoring_a_shared_deletion_needs_the_inclusao_permission(staff, group):
    share, origin, north, _south = group
    catalog_services.product_delete(company=origin, product_id=product_in(origin, "AGUA-500").pk)
    apply_pending()
    services.member_set_permissions(member=share.members.get(company=north),
                                    permissions=services.Permissions(False, True, True))

    shown = " ".join(_restore(staff, Snapshot.objects.get(company=north)))

    assert "Não restaurado, nada foi alterado" in shown
    assert "A empresa Filial Caxias não tem permissão de inclusão de produtos" in shown
    assert not Product.objects.filter(code="AGUA-500").exists()
