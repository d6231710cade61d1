"""The rules taken from the original (docs/ARCHITECTURE.md §2), one by one, against PostgreSQL."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from catalog import services as catalog_services
from catalog.models import Attachment, Blob, Party, PriceTableItem, Product, ProductFamily, Salesperson, StockBalance
from companies.models import Membership
from sharing import services
from sharing.models import AuditEntry, Change, RecordLink, Share, SharedRecord, Snapshot, SyncJob
from sharing.tasks import run_sync_job
from tests.factories import CompanyFactory, MembershipFactory, SalespersonFactory
from tests.helpers import (
    ALL,
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
DOC_B = "45723174000110"
DOC_C = "52998224725"  # a CPF


@pytest.fixture
def origin():
    return CompanyFactory(legal_name="Matriz Ltda", trade_name="Matriz")


@pytest.fixture
def dest():
    return CompanyFactory(legal_name="Filial Ltda", trade_name="Filial")


def test_it_never_shares_parties_without_cnpj_cpf(origin, dest):
    make_party(origin, "", "Cliente Sem Documento")
    make_party(origin, DOC_A, "Cliente Com Documento")
    share = share_between(origin, dest)

    assert not Party.objects.filter(company=dest, legal_name="Cliente Sem Documento").exists()
    assert Party.objects.filter(company=dest, legal_name="Cliente Com Documento").exists()
    assert list(SharedRecord.objects.filter(share=share, registry="party").values_list("match_key", flat=True)) == [
        DOC_A
    ]

    # Created after activation, still without a document: stays in the origin only.
    make_party(origin, "", "Outro Sem Documento")
    assert not Change.objects.exists()
    apply_pending()
    assert not Party.objects.filter(company=dest, legal_name="Outro Sem Documento").exists()


def test_it_leaves_stock_balances_and_price_tables_alone(origin, dest):
    origin_product = make_product(origin, "A1", "Água mineral", price="3.00")
    dest_product = make_product(dest, "A1", "Agua", price="2.50")
    catalog_services.stock_balance_set(company=origin, product_id=origin_product.pk, quantity=Decimal("100"))
    catalog_services.stock_balance_set(company=dest, product_id=dest_product.pk, quantity=Decimal("7"))
    origin_table = catalog_services.price_table_create(company=origin, name="Atacado")
    dest_table = catalog_services.price_table_create(company=dest, name="Varejo")
    catalog_services.price_table_item_set(company=origin, table_id=origin_table.pk, product_id=origin_product.pk,
                                          price=Decimal("2.00"))
    catalog_services.price_table_item_set(company=dest, table_id=dest_table.pk, product_id=dest_product.pk,
                                          price=Decimal("9.99"))
    make_product(origin, "B2", "Bala")

    share_between(origin, dest)
    catalog_services.product_update(company=origin, product_id=origin_product.pk, data={"price": "4.00"})
    apply_pending()

    dest_product.refresh_from_db()
    assert dest_product.price == Decimal("4.00")  # the sale price is shared
    assert StockBalance.objects.get(product=dest_product).quantity == Decimal("7")
    assert StockBalance.objects.get(product=origin_product).quantity == Decimal("100")
    assert PriceTableItem.objects.get(product=dest_product).price == Decimal("9.99")
    assert PriceTableItem.objects.get(product=origin_product).price == Decimal("2.00")
    # A product created in the destination brings no stock and no price table entry with it.
    created = product_in(dest, "B2")
    assert not StockBalance.objects.filter(product=created).exists()
    assert not PriceTableItem.objects.filter(product=created).exists()
    assert set(PriceTableItem.objects.filter(table__company=dest).values_list("table__name", flat=True)) == {"Varejo"}


def test_it_writes_only_the_shared_fields(origin, dest):
    make_party(origin, DOC_A, "Razão da Matriz", code="M-1", is_client=True, is_supplier=False, tags=["matriz"])
    local_party = make_party(dest, DOC_A, "Razão Antiga", code="FIL-77", is_client=False, is_supplier=True,
                             tags=["vip"])
    origin_product = make_product(origin, "A1", "Descrição da matriz", integration_code="ERP-MATRIZ")
    local_product = make_product(dest, "A1", "Descrição antiga", integration_code="ERP-FILIAL")

    share_between(origin, dest)
    catalog_services.product_update(company=origin, product_id=origin_product.pk,
                                     data={"description": "Descrição nova", "integration_code": "ERP-M2"})
    apply_pending()

    local_party.refresh_from_db()
    assert local_party.legal_name == "Razão da Matriz"
    # The roles are shared (issue 10): the origin's win, as every other shared field.
    assert (local_party.code, local_party.is_client, local_party.is_supplier, local_party.tags) == (
        "FIL-77", True, False, ["vip"]
    )
    local_product.refresh_from_db()
    assert local_product.description == "Descrição nova"
    assert local_product.integration_code == "ERP-FILIAL"


def test_it_does_not_propagate_edits_of_local_fields(origin, dest):
    party = make_party(origin, DOC_A, "ACME", is_client=True)
    share_between(origin, dest)

    catalog_services.party_update(company=origin, party_id=party.pk, data={"code": "M-9", "tags": ["x"]})

    assert not Change.objects.exists()
    assert (party_in(dest, DOC_A).code, party_in(dest, DOC_A).tags) == ("", [])


def test_it_lets_the_origin_win_on_a_match_and_creates_the_rest(origin, dest):
    make_party(origin, DOC_A, "ACME Matriz", city="Campinas")
    make_party(origin, DOC_C, "Maria da Silva")
    make_product(origin, "a1", "Água mineral 500 ml", price="3.50", ean="7891234567895")
    make_product(origin, "B2", "Bala de goma")
    old_party = make_party(dest, "11.222.333/0001-81", "ACME Filial", city="Santos")
    old_product = make_product(dest, "A1", "Agua", price="1.00")

    job = activate(configure(origin, dest))

    old_party.refresh_from_db()
    assert (old_party.legal_name, old_party.city) == ("ACME Matriz", "Campinas")
    old_product.refresh_from_db()
    assert (old_product.description, old_product.price, old_product.ean) == (
        "Água mineral 500 ml", Decimal("3.50"), "7891234567895"
    )
    assert party_in(dest, DOC_C).legal_name == "Maria da Silva"
    assert product_in(dest, "B2").description == "Bala de goma"
    assert Party.objects.filter(company=dest).count() == 2
    assert Product.objects.filter(company=dest).count() == 2
    assert (job.counts["created"], job.counts["overwritten"]) == (2, 2)


def test_it_keeps_destination_only_records_as_they_are(origin, dest):
    make_product(origin, "A1", "Água")
    make_party(origin, DOC_A, "ACME")
    only_product = make_product(dest, "Z9", "Só na filial", price="5.00")
    only_party = make_party(dest, DOC_B, "Fornecedor Local")
    nameless = make_party(dest, "", "Consumidor sem documento")
    before = {
        p.pk: (p.description, p.price, p.version, p.active) for p in Product.objects.filter(pk=only_product.pk)
    }

    share = share_between(origin, dest)

    assert {p.pk: (p.description, p.price, p.version, p.active)
            for p in Product.objects.filter(pk=only_product.pk)} == before
    only_party.refresh_from_db()
    nameless.refresh_from_db()
    assert (only_party.legal_name, only_party.version) == ("Fornecedor Local", 1)
    assert (nameless.legal_name, nameless.version) == ("Consumidor sem documento", 1)
    linked = set(RecordLink.objects.filter(company=dest).values_list("registry", "local_id"))
    assert not linked & {("product", only_product.pk), ("party", only_party.pk), ("party", nameless.pk)}
    assert not Product.objects.filter(company=origin, code="Z9").exists()
    assert not SharedRecord.objects.filter(share=share, match_key__in=["Z9", DOC_B]).exists()


def test_it_maps_families_by_name_creating_missing_ones(origin, dest):
    drinks = catalog_services.family_create(company=origin, name="Bebidas")
    sweets = catalog_services.family_create(company=origin, name="Doces")
    dest_drinks = catalog_services.family_create(company=dest, name="Bebidas")
    make_product(origin, "A1", "Água", family=drinks.pk)
    make_product(origin, "B2", "Bala", family=sweets.pk)

    share = share_between(origin, dest)

    assert product_in(dest, "A1").family_id == dest_drinks.pk  # reused, not duplicated
    assert product_in(dest, "B2").family.name == "Doces"  # created
    assert ProductFamily.objects.filter(company=dest).count() == 2

    # After activation too: a family new to the group is created in the destination.
    snacks = catalog_services.family_create(company=origin, name="Salgados")
    catalog_services.product_update(company=origin, product_id=product_in(origin, "A1").pk,
                                    data={"family": snacks.pk})
    apply_pending()
    assert product_in(dest, "A1").family.name == "Salgados"
    assert ProductFamily.objects.filter(company=dest).count() == 3
    assert share.status == Share.Status.ACTIVE


def test_it_maps_salespeople_by_email_creating_missing_ones(origin, dest):
    ana = SalespersonFactory(company=origin, name="Ana", email="ana@grupo.com.br")
    bia = SalespersonFactory(company=origin, name="Bia", email="bia@grupo.com.br")
    dest_ana = SalespersonFactory(company=dest, name="Ana Souza", email="ANA@grupo.com.br")
    party = make_party(origin, DOC_A, "ACME", salespeople=[ana.pk, bia.pk])

    share_between(origin, dest)

    copy = party_in(dest, DOC_A)
    salespeople = {s.email.lower(): s.pk for s in copy.salespeople.all()}
    assert salespeople["ana@grupo.com.br"] == dest_ana.pk
    assert Salesperson.objects.get(pk=salespeople["bia@grupo.com.br"]).company_id == dest.pk
    assert Salesperson.objects.filter(company=dest).count() == 2

    caio = SalespersonFactory(company=origin, name="Caio", email="caio@grupo.com.br")
    catalog_services.party_update(company=origin, party_id=party.pk, data={"salespeople": [caio.pk]})
    apply_pending()
    assert list(party_in(dest, DOC_A).salespeople.values_list("email", "company")) == [
        ("caio@grupo.com.br", dest.pk)
    ]


def test_it_maps_suppliers_by_document_and_structures_by_code(origin, dest):
    supplier = make_party(origin, DOC_A, "Fornecedora Matriz", is_supplier=True)
    dest_supplier = make_party(dest, DOC_A, "Fornecedora (filial)", is_supplier=True)
    part = make_product(origin, "PECA", "Peça")
    screw = make_product(origin, "PARAF", "Parafuso")
    make_product(origin, "KIT", "Kit montado", suppliers=[supplier.pk], bom=[(part.pk, "2"), (screw.pk, "8")])

    share_between(origin, dest)

    kit = product_in(dest, "KIT")
    assert list(kit.suppliers.values_list("pk", flat=True)) == [dest_supplier.pk]
    assert sorted(kit.bom_items.values_list("component__code", "component__company", "quantity")) == [
        ("PARAF", dest.pk, Decimal("8.0000")),
        ("PECA", dest.pk, Decimal("2.0000")),
    ]

    # And when the origin edits the structure later.
    catalog_services.product_update(company=origin, product_id=product_in(origin, "KIT").pk,
                                    data={"bom": [(part.pk, "3")]})
    apply_pending()
    assert list(product_in(dest, "KIT").bom_items.values_list("component_id", "quantity")) == [
        (product_in(dest, "PECA").pk, Decimal("3.0000"))
    ]


def test_it_points_attachments_at_the_same_stored_file(origin, dest):
    product = make_product(origin, "A1", "Água")
    party = make_party(origin, DOC_A, "ACME")
    catalog_services.attachment_add(company=origin, registry="product", record_id=product.pk,
                                    filename="foto.png", content=b"\x89PNG fake image", content_type="image/png")
    catalog_services.attachment_add(company=origin, registry="party", record_id=party.pk,
                                    filename="contrato.pdf", content=b"%PDF-1.4 contrato")

    share_between(origin, dest)

    photo = Attachment.objects.get(company=dest, product=product_in(dest, "A1"))
    contract = Attachment.objects.get(company=dest, party=party_in(dest, DOC_A))
    assert (photo.filename, photo.is_image) == ("foto.png", True)
    assert photo.blob_id == Attachment.objects.get(company=origin, product=product).blob_id
    assert contract.blob_id == Attachment.objects.get(company=origin, party=party).blob_id
    assert Blob.objects.count() == 2  # no second copy of the bytes

    catalog_services.attachment_add(company=origin, registry="product", record_id=product.pk,
                                    filename="manual.pdf", content=b"%PDF manual")
    apply_pending()
    assert sorted(Attachment.objects.filter(company=dest, product__code="A1").values_list("filename", flat=True)) == [
        "foto.png", "manual.pdf"
    ]
    assert Blob.objects.count() == 3


def test_it_allows_one_share_per_registry_per_company(origin, dest):
    share_between(origin, dest, registries=["product"])
    third = CompanyFactory()

    with pytest.raises(ValidationError) as refused:
        configure(origin, third, registries=["product"])
    assert "já participa de outro compartilhamento de produtos" in " ".join(refused.value.messages)
    with pytest.raises(ValidationError) as refused:
        configure(third, dest, registries=["party", "product"])
    assert f"{dest.display_name} já participa de outro compartilhamento de produtos" in " ".join(
        refused.value.messages
    )
    # Another registry is free.
    assert configure(origin, third, registries=["party"]).registries == ["party"]


def test_it_refuses_to_activate_a_second_share_of_the_same_registry(origin, dest):
    first = configure(origin, dest, registries=["product"])
    second = configure(origin, CompanyFactory(), registries=["product"])  # both still drafts
    activate(first)

    with pytest.raises(ValidationError) as refused:
        services.share_activate(share=second, confirmed=True)
    assert "no máximo um compartilhamento por cadastro" in " ".join(refused.value.messages)
    second.refresh_from_db()
    assert second.status == Share.Status.DRAFT
    assert not second.jobs.exists()


def test_it_needs_an_explicit_confirmation_to_activate(origin, dest):
    make_product(origin, "A1", "Água")
    share = configure(origin, dest)

    with pytest.raises(ValidationError) as refused:
        services.share_activate(share=share, confirmed=False)

    assert "irreversível" in " ".join(refused.value.messages)
    share.refresh_from_db()
    assert share.status == Share.Status.DRAFT
    assert not SyncJob.objects.exists()
    assert not Product.objects.filter(company=dest).exists()


def test_it_starts_one_activation_for_a_double_confirmation(origin, dest):
    make_product(origin, "A1", "Água")
    make_product(dest, "A1", "Agua velha")
    make_product(origin, "B2", "Bala")
    share = configure(origin, dest)

    first = services.share_activate(share=share, confirmed=True)
    second = services.share_activate(share=share, confirmed=True)
    assert first.pk == second.pk
    run_sync_job(first.pk)
    run_sync_job(second.pk)  # a second delivery of the task: the job is finished already

    assert SyncJob.objects.count() == 1
    job = SyncJob.objects.get()
    assert (job.status, job.attempts, job.counts["created"], job.counts["overwritten"]) == (
        SyncJob.Status.DONE, 1, 1, 1
    )
    assert Product.objects.filter(company=dest).count() == 2
    assert Snapshot.objects.count() == 1
    assert AuditEntry.objects.filter(action="activate", company=dest).count() == 1
    with pytest.raises(ValidationError):  # confirmed again once finished: nothing left to do
        services.share_activate(share=share, confirmed=True)
    assert SyncJob.objects.count() == 1


def test_it_does_not_run_a_job_another_worker_holds(origin, dest):
    make_product(origin, "A1", "Água")
    share = configure(origin, dest)
    job = services.share_activate(share=share, confirmed=True)
    from sharing.tasks import claim_job

    assert claim_job(job.pk) is not None  # a worker took it and holds the lease
    run_sync_job(job.pk)

    job.refresh_from_db()
    assert (job.status, job.attempts) == (SyncJob.Status.RUNNING, 1)
    assert not Product.objects.filter(company=dest).exists()


def test_it_reports_an_ean_conflict_when_the_destination_validates_uniqueness(origin, dest):
    dest.enforce_unique_records = True
    dest.save()
    make_product(origin, "A1", "Água", ean="7891234567895")
    make_product(origin, "B2", "Bala")
    holder = make_product(dest, "X9", "Água da filial", ean="7891234567895")

    job = activate(configure(origin, dest, registries=["product"]))

    assert not Product.objects.filter(company=dest, code="A1").exists()
    assert Product.objects.filter(company=dest, code="B2").exists()
    holder.refresh_from_db()
    assert (holder.code, holder.description, holder.ean) == ("X9", "Água da filial", "7891234567895")
    assert job.counts["conflicts"] == 1
    assert len(job.errors) == 1
    assert "A1" in job.errors[0] and "EAN" in job.errors[0]


def test_it_lets_only_an_origin_admin_with_access_to_each_destination_configure(origin, dest):
    admin = MembershipFactory(company=origin, role=Membership.Role.ADMIN).user
    clerk = MembershipFactory(company=origin, role=Membership.Role.USER).user
    MembershipFactory(company=dest, user=clerk)

    with pytest.raises(PermissionDenied, match="Somente administradores de Matriz"):
        services.share_configure(origin=origin, registries=["product"], origin_permissions=ALL,
                                 destinations={dest: ALL}, user=clerk)
    with pytest.raises(PermissionDenied, match="Você não tem acesso à empresa Filial"):
        services.share_configure(origin=origin, registries=["product"], origin_permissions=ALL,
                                 destinations={dest: ALL}, user=admin)
    assert not Share.objects.exists()

    MembershipFactory(company=dest, user=admin, role=Membership.Role.USER)
    share = services.share_configure(origin=origin, registries=["product"], origin_permissions=ALL,
                                     destinations={dest: ALL}, user=admin)
    with pytest.raises(PermissionDenied):
        services.share_activate(share=share, confirmed=True, user=clerk)
    assert services.share_activate(share=share, confirmed=True, user=admin).created_by == admin


def test_it_copies_only_one_of_the_origins_own_ean_duplicates_into_a_destination_that_validates(origin, dest):
    dest.enforce_unique_records = True
    dest.save()
    make_product(origin, "A1", "Água", ean="7891234567895")
    make_product(origin, "A2", "Água (cadastro repetido)", ean="7891234567895")

    job = activate(configure(origin, dest, registries=["product"]))

    assert list(Product.objects.filter(company=dest).values_list("code", "ean")) == [("A1", "7891234567895")]
    assert job.counts["conflicts"] == 1
    assert "A2" in job.errors[0] and "EAN" in job.errors[0]
