"""The admin, as support staff use it: every page opens, and every write of a catalog
record goes through catalog/services.py (so sharing sees it), with the service's refusal
shown on the page and nothing written."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse

from catalog import hooks, services
from catalog.exceptions import WriteRefused
from catalog.models import (
    Attachment,
    BillOfMaterialsItem,
    Blob,
    Party,
    PriceTable,
    PriceTableItem,
    Product,
    ProductFamily,
    Salesperson,
    StockBalance,
)
from companies.models import Company, CompanyGroup, Membership
from sharing.models import Snapshot
from tests.factories import (
    PartyFactory,
    ProductFactory,
    ProductFamilyFactory,
    SalespersonFactory,
    UserFactory,
)

CNPJ = "11222333000181"
CNPJ_MASKED = "11.222.333/0001-81"


@pytest.fixture
def support(db):
    return UserFactory(username="suporte@exemplo.com.br", is_staff=True, is_superuser=True)


@pytest.fixture
def admin_client(client, support, password):
    assert client.login(username=support.username, password=password)
    return client


@pytest.fixture
def writes(monkeypatch):
    """Every catalog write the sharing hook sees, in order."""
    seen: list[hooks.RecordWrite] = []
    monkeypatch.setattr(hooks, "_write_listeners", [*hooks._write_listeners, seen.append])
    return seen


@pytest.fixture
def world(company, owner, settings, tmp_path):
    """One of everything, written the normal way (services), for the page-load checks."""
    settings.MEDIA_ROOT = tmp_path
    salesperson = SalespersonFactory(company=company)
    family = ProductFamilyFactory(company=company, name="Informática")
    supplier = PartyFactory(company=company, is_supplier=True, cnpj_cpf=CNPJ)
    component = ProductFactory(company=company, code="PRD00001")
    product = services.product_create(
        company=company,
        data={
            "code": "PRD00002",
            "description": "Kit escritório",
            "ncm": "84713012",
            "family": family,
            "suppliers": [supplier],
            "bom": [(component, "2")],
        },
    )
    attachment = services.attachment_add(
        company=company, registry="product", record_id=product.pk, filename="foto.png",
        content=b"\x89PNG fake", content_type="image/png",
    )
    balance = services.stock_balance_set(company=company, product_id=product.pk, quantity=Decimal("5"))
    table = services.price_table_create(company=company, name="Atacado")
    item = services.price_table_item_set(
        company=company, table_id=table.pk, product_id=product.pk, price=Decimal("9.90")
    )
    return {
        CompanyGroup: company.group,
        Company: company,
        Membership: Membership.objects.get(user=owner, company=company),
        Salesperson: salesperson,
        ProductFamily: family,
        Party: supplier,
        Product: product,
        Attachment: attachment,
        Blob: attachment.blob,
        StockBalance: balance,
        PriceTable: table,
        PriceTableItem: item,
    }


def _url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def _management(prefix: str, total: int = 0, initial: int = 0) -> dict:
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def _party_post(for_company: Company, **fields) -> dict:
    data = {
        "company": str(for_company.pk),
        "cnpj_cpf": CNPJ_MASKED,
        "person_type": "J",
        "legal_name": "Comercial Exemplo Ltda",
        "trade_name": "Exemplo",
        "code": "",
        "is_client": "on",
        "active": "on",
        "street": "Avenida Paulista",
        "number": "1000",
        "complement": "",
        "district": "Bela Vista",
        "city": "São Paulo",
        "state": "SP",
        "cep": "01310-100",
        "country_code": "1058",
        "phone_ddd": "11",
        "phone_number": "3333-4444",
        "email": "contato@exemplo.com.br",
        "characteristics": "{}",
        "tags": "[]",
        "expected_version": "",
        **_management("attachments"),
    }
    data.update(fields)
    return {key: value for key, value in data.items() if value is not None}


def _party_change_post(party: Party, **fields) -> dict:
    data = _party_post(
        party.company,
        company=None,
        cnpj_cpf=party.cnpj_cpf_masked,
        legal_name=party.legal_name,
        trade_name=party.trade_name,
        code=party.code,
        expected_version=str(party.version),
        **_management("attachments", initial=party.attachments.count()),
    )
    data.update(fields)
    return {key: value for key, value in data.items() if value is not None}


def _product_post(for_company: Company, *, bom=(), **fields) -> dict:
    data = {
        "company": str(for_company.pk),
        "code": "",
        "description": "Cadeira de escritório giratória",
        "unit": "UN",
        "price": "499.90",
        "active": "on",
        "ncm": "9401.30.90",
        "cest": "",
        "ean": "",
        "origin": "0",
        "item_type": "00",
        "characteristics": "{}",
        "integration_code": "",
        "expected_version": "",
        **_management("bom_items", total=len(bom)),
        **_management("attachments"),
    }
    for index, (component, quantity) in enumerate(bom):
        data[f"bom_items-{index}-component"] = str(component.pk)
        data[f"bom_items-{index}-quantity"] = str(quantity)
    data.update(fields)
    return {key: value for key, value in data.items() if value is not None}


def _errors(response) -> str:
    """Everything the page shows as an error (form, fields and inlines)."""
    assert response.status_code == 200, response.status_code
    adminform = response.context["adminform"]
    parts = [str(adminform.form.errors)]
    for inline in response.context["inline_admin_formsets"]:
        parts.append(str(inline.formset.non_form_errors()))
        parts.extend(str(form.errors) for form in inline.formset.forms)
    return " ".join(parts)


# --- every page opens --------------------------------------------------------------------

ADMIN_MODELS = [
    CompanyGroup,
    Company,
    Membership,
    Salesperson,
    ProductFamily,
    Party,
    Product,
    Attachment,
    Blob,
    StockBalance,
    PriceTable,
    PriceTableItem,
]


@pytest.mark.django_db
@pytest.mark.parametrize("model", ADMIN_MODELS, ids=lambda m: m.__name__)
def test_it_opens_the_changelist_add_and_change_pages(admin_client, world, model):
    obj = world[model]
    assert admin_client.get(_url(model, "changelist")).status_code == 200
    assert admin_client.get(_url(model, "changelist"), {"q": "1"}).status_code == 200
    add = admin_client.get(_url(model, "add"))
    # Blobs are only ever stored through an attachment: the admin offers no "add".
    assert add.status_code == (403 if model is Blob else 200)
    assert admin_client.get(_url(model, "change", obj.pk)).status_code == 200


@pytest.mark.django_db
def test_it_opens_the_autocomplete_of_every_foreign_key(admin_client, world):
    for app_label, model_name, field_name in [
        ("catalog", "party", "company"),
        ("catalog", "party", "salespeople"),
        ("catalog", "product", "family"),
        ("catalog", "product", "suppliers"),
        ("catalog", "billofmaterialsitem", "component"),
        ("catalog", "pricetableitem", "product"),
        ("companies", "membership", "user"),
        ("companies", "company", "group"),
    ]:
        response = admin_client.get(
            reverse("admin:autocomplete"),
            {"term": "", "app_label": app_label, "model_name": model_name, "field_name": field_name},
        )
        assert response.status_code == 200, (model_name, field_name)
        assert response.json()["results"], (model_name, field_name)


@pytest.mark.django_db
def test_it_finds_a_party_by_its_masked_cnpj(admin_client, company):
    PartyFactory(company=company, cnpj_cpf=CNPJ, legal_name="Comercial Exemplo Ltda")
    PartyFactory(company=company, legal_name="Outra Distribuidora Ltda")
    response = admin_client.get(_url(Party, "changelist"), {"q": CNPJ_MASKED})
    assert response.status_code == 200
    assert [p.legal_name for p in response.context["cl"].result_list] == ["Comercial Exemplo Ltda"]
    assert CNPJ_MASKED in response.content.decode()


@pytest.mark.django_db
def test_it_finds_a_company_by_its_masked_alphanumeric_cnpj(admin_client, company):
    company.cnpj = "12ABC34501DE35"
    company.save()
    response = admin_client.get(_url(Company, "changelist"), {"q": "12.ABC.345/01DE-35"})
    assert list(response.context["cl"].result_list) == [company]


# --- clients and suppliers: writes through the services ------------------------------------


@pytest.mark.django_db
def test_it_creates_a_party_through_the_service(admin_client, company, writes, support):
    salesperson = SalespersonFactory(company=company)
    response = admin_client.post(
        _url(Party, "add"), _party_post(company, salespeople=[str(salesperson.pk)])
    )
    assert response.status_code == 302, _errors(response)
    party = Party.objects.get(company=company)
    assert party.cnpj_cpf == CNPJ  # stored bare, as every write path stores it
    assert party.cep == "01310100"
    assert party.phone_number == "33334444"
    assert party.version == 1
    assert list(party.salespeople.all()) == [salesperson]
    [write] = writes
    assert (write.action, write.source, write.actor_id) == ("create", "admin", support.pk)
    assert LogEntry.objects.filter(object_id=str(party.pk)).exists()


@pytest.mark.django_db
def test_it_updates_a_party_through_the_service_with_the_loaded_version(admin_client, company, writes):
    party = PartyFactory(company=company, cnpj_cpf=CNPJ)
    page = admin_client.get(_url(Party, "change", party.pk))
    assert page.context["adminform"].form["expected_version"].value() == 1
    assert CNPJ_MASKED in page.content.decode()  # shown with its mask

    response = admin_client.post(
        _url(Party, "change", party.pk), _party_change_post(party, phone_number="98765-4321")
    )
    assert response.status_code == 302, _errors(response)
    party.refresh_from_db()
    assert party.version == 2
    assert party.phone_number == "987654321"
    assert [(w.action, w.source, w.base_version) for w in writes] == [
        ("create", "test", None),
        ("update", "admin", 1),
    ]


@pytest.mark.django_db
def test_it_shows_an_invalid_cnpj_as_a_form_error_and_writes_nothing(admin_client, company, writes):
    response = admin_client.post(_url(Party, "add"), _party_post(company, cnpj_cpf="11.222.333/0001-82"))
    assert "CNPJ inválido" in _errors(response)
    assert not Party.objects.exists()
    assert writes == []


@pytest.mark.django_db
def test_it_shows_the_services_uniqueness_refusal_on_the_form(admin_client, company):
    company.enforce_unique_records = True
    company.save()
    holder = PartyFactory(company=company, cnpj_cpf=CNPJ, legal_name="Quem Já Tem Ltda")
    response = admin_client.post(_url(Party, "add"), _party_post(company, legal_name="Duplicada Ltda"))
    errors = _errors(response)
    assert "Já existe um cliente/fornecedor com o CNPJ/CPF 11.222.333/0001-81" in errors
    assert "Quem Já Tem Ltda" in errors
    assert list(Party.objects.all()) == [holder]
    # The user's input is still on the page, to correct and save again.
    assert response.context["adminform"].form["legal_name"].value() == "Duplicada Ltda"


@pytest.mark.django_db
def test_it_shows_a_refusal_of_the_sharing_hook_on_the_form(admin_client, company, monkeypatch):
    party = PartyFactory(company=company, cnpj_cpf=CNPJ, phone_number="33334444")

    def refuse(write):
        raise WriteRefused("Esta empresa não tem permissão de edição no compartilhamento.")

    monkeypatch.setattr(hooks, "_write_listeners", [refuse])
    response = admin_client.post(
        _url(Party, "change", party.pk), _party_change_post(party, phone_number="99999-0000")
    )
    assert "não tem permissão de edição" in _errors(response)
    party.refresh_from_db()
    assert (party.version, party.phone_number) == (1, "33334444")
    assert not LogEntry.objects.exists()


@pytest.mark.django_db
def test_it_refuses_a_stale_edit_showing_the_current_values(admin_client, company):
    party = PartyFactory(company=company, cnpj_cpf=CNPJ, phone_number="33334444")
    stale = _party_change_post(party, email="novo@exemplo.com.br")
    services.party_update(company=company, party_id=party.pk, data={"email": "outra@empresa.com.br"})

    response = admin_client.post(_url(Party, "change", party.pk), stale)
    errors = _errors(response)
    assert "versão 1 → 2" in errors
    assert "outra@empresa.com.br" in errors  # the newer value the user did not see
    party.refresh_from_db()
    assert (party.version, party.email) == (2, "outra@empresa.com.br")

    # Having seen the current values, saving again is a deliberate overwrite.
    assert response.context["adminform"].form["expected_version"].value() == "2"
    stale["expected_version"] = "2"
    assert admin_client.post(_url(Party, "change", party.pk), stale).status_code == 302
    party.refresh_from_db()
    assert (party.version, party.email) == (3, "novo@exemplo.com.br")


@pytest.mark.django_db
def test_it_shows_the_current_document_of_a_stale_edit_masked(admin_client, company):
    party = PartyFactory(company=company, cnpj_cpf=CNPJ, legal_name="Comércio de Águas Cristalinas Ltda")
    stale = _party_change_post(party, email="novo@exemplo.com.br")
    services.party_update(company=company, party_id=party.pk, data={"cnpj_cpf": "12.ABC.345/01DE-35"})

    errors = _errors(admin_client.post(_url(Party, "change", party.pk), stale))
    assert "Valores atuais:" in errors
    assert "12.ABC.345/01DE-35" in errors  # as every other page shows a CNPJ
    assert "12ABC34501DE35" not in errors


@pytest.mark.django_db
def test_it_refuses_a_salesperson_of_another_company(admin_client, company, other_company):
    stranger = SalespersonFactory(company=other_company, name="Vendedor Alheio")
    response = admin_client.post(_url(Party, "add"), _party_post(company, salespeople=[str(stranger.pk)]))
    assert "Pertence a outra empresa" in _errors(response)
    assert not Party.objects.exists()


# --- deletion: through the service, a copy kept --------------------------------------------


@pytest.mark.django_db
def test_it_deletes_from_the_delete_view_and_keeps_a_copy(admin_client, company, writes):
    party = PartyFactory(company=company, cnpj_cpf=CNPJ, legal_name="Comércio de Ferragens São João Ltda")
    page = admin_client.get(_url(Party, "delete", party.pk)).content.decode()
    assert "O cadastro é <strong>excluído</strong>" in page and "Cópias anteriores" in page

    response = admin_client.post(_url(Party, "delete", party.pk), {"post": "yes"}, follow=True)
    assert not Party.objects.filter(pk=party.pk).exists()
    assert writes[-1].action == "delete" and writes[-1].source == "admin"
    assert "excluído. Uma cópia completa fica guardada para o suporte" in response.content.decode()
    kept = Snapshot.objects.get(local_id=party.pk)
    assert (kept.reason, kept.values["legal_name"], kept.source) == (
        "deleted", "Comércio de Ferragens São João Ltda", "admin")


@pytest.mark.django_db
def test_it_keeps_the_record_when_the_delete_is_refused(admin_client, company, monkeypatch):
    product = ProductFactory(company=company)

    def refuse(write):
        raise WriteRefused("Sem permissão de exclusão no compartilhamento.")

    monkeypatch.setattr(hooks, "_write_listeners", [refuse])
    response = admin_client.post(_url(Product, "delete", product.pk), {"post": "yes"}, follow=True)
    assert "Sem permissão de exclusão" in response.content.decode()
    product.refresh_from_db()
    assert (product.active, product.version) == (True, 1)
    assert not Snapshot.objects.exists()


@pytest.mark.django_db
def test_it_deletes_the_selected_records_with_the_delete_action(admin_client, company):
    products = [ProductFactory(company=company) for _ in range(3)]
    selected = {"action": "delete_selected", "_selected_action": [str(p.pk) for p in products[:2]]}
    confirm = admin_client.post(_url(Product, "changelist"), selected)
    assert "Os cadastros são <strong>excluídos</strong>" in confirm.content.decode()
    assert Product.objects.count() == 3  # nothing yet

    admin_client.post(_url(Product, "changelist"), {**selected, "post": "yes"})
    assert list(Product.objects.values_list("pk", flat=True)) == [products[2].pk]
    assert sorted(Snapshot.objects.values_list("local_id", flat=True)) == sorted(p.pk for p in products[:2])


@pytest.mark.django_db
def test_it_refuses_from_the_admin_to_delete_a_component_in_use(admin_client, company):
    component = ProductFactory(company=company, code="PARAF-M6", description="Parafuso sextavado M6")
    kit = ProductFactory(company=company, code="KIT-FIX", description="Kit de fixação")
    services.product_update(company=company, product_id=kit.pk, data={"bom": [(component.pk, "4")]})
    response = admin_client.post(_url(Product, "delete", component.pk), {"post": "yes"}, follow=True)
    assert "é componente da estrutura de 1 produto: KIT-FIX – Kit de fixação" in response.content.decode()
    assert Product.objects.filter(pk=component.pk).exists()


@pytest.mark.django_db
def test_it_deactivates_and_reactivates_the_selected_records(admin_client, company, writes):
    parties = [PartyFactory(company=company) for _ in range(2)]
    ids = [str(p.pk) for p in parties]
    admin_client.post(_url(Party, "changelist"), {"action": "deactivate_selected", "_selected_action": ids})
    assert not Party.objects.filter(active=True).exists()
    admin_client.post(_url(Party, "changelist"), {"action": "reactivate_selected", "_selected_action": ids})
    assert not Party.objects.filter(active=False).exists()
    assert [w.source for w in writes[2:]] == ["admin"] * 4
    assert set(Party.objects.values_list("version", flat=True)) == {3}


# --- products and their structure --------------------------------------------------------------


@pytest.mark.django_db
def test_it_creates_a_product_with_structure_and_suppliers_through_the_service(admin_client, company, writes):
    supplier = PartyFactory(company=company, is_supplier=True)
    seat = ProductFactory(company=company, code="PRD00001", description="Assento")
    base = ProductFactory(company=company, code="PRD00002", description="Base giratória")
    response = admin_client.post(
        _url(Product, "add"),
        _product_post(company, bom=[(seat, "1"), (base, "1.5")], suppliers=[str(supplier.pk)]),
    )
    assert response.status_code == 302, _errors(response)
    chair = Product.objects.get(description="Cadeira de escritório giratória")
    assert chair.code == "PRD00003"  # left blank: the suggested code
    assert chair.ncm == "94013090"
    assert sorted((i.component_id, i.quantity) for i in chair.bom_items.all()) == sorted(
        [(seat.pk, Decimal("1")), (base.pk, Decimal("1.5"))]
    )
    assert list(chair.suppliers.all()) == [supplier]
    assert writes[-1].after["bom"] and writes[-1].source == "admin"


@pytest.mark.django_db
def test_it_shows_a_structure_refused_by_the_service_on_the_inline(admin_client, company):
    part = ProductFactory(company=company, code="PRD00001")
    kit = services.product_create(
        company=company, data={"code": "KIT1", "description": "Kit", "ncm": "84713012", "bom": [(part, 1)]}
    )
    # Making the part use the kit would be a cycle: only the service knows.
    data = _product_post(
        company,
        company=None,
        code=part.code,
        description=part.description,
        ncm=part.ncm,
        ean=part.ean,
        price=str(part.price),
        expected_version="1",
        bom=[(kit, 1)],
    )
    response = admin_client.post(_url(Product, "change", part.pk), data)
    errors = _errors(response)
    assert "Estrutura circular" in errors
    assert "Corrija a estrutura do produto abaixo." in errors
    assert not BillOfMaterialsItem.objects.filter(product=part).exists()
    part.refresh_from_db()
    assert part.version == 1


@pytest.mark.django_db
def test_it_changes_a_products_structure_through_the_service(admin_client, company):
    seat = ProductFactory(company=company, code="PRD00001")
    chair = services.product_create(
        company=company,
        data={"code": "PRD00002", "description": "Cadeira", "ncm": "94013090", "bom": [(seat, 1)]},
    )
    line = chair.bom_items.get()
    data = _product_post(
        company,
        company=None,
        code=chair.code,
        description=chair.description,
        ncm=chair.ncm,
        price=str(chair.price),
        expected_version="1",
        **_management("bom_items", total=1, initial=1),
    )
    data.update({"bom_items-0-id": str(line.pk), "bom_items-0-product": str(chair.pk),
                 "bom_items-0-component": str(seat.pk), "bom_items-0-quantity": "4"})
    response = admin_client.post(_url(Product, "change", chair.pk), data)
    assert response.status_code == 302, _errors(response)
    chair.refresh_from_db()
    assert chair.version == 2
    assert chair.bom_items.get().quantity == Decimal("4")


# --- the rest of the catalog ------------------------------------------------------------------


@pytest.mark.django_db
def test_it_writes_salespeople_families_stock_and_prices_through_the_services(admin_client, company):
    response = admin_client.post(
        _url(Salesperson, "add"),
        {"company": company.pk, "name": " Ana Souza ", "email": "Ana@Exemplo.com.br", "active": "on"},
    )
    assert response.status_code == 302
    assert Salesperson.objects.get().email == "ana@exemplo.com.br"

    family = admin_client.post(_url(ProductFamily, "add"), {"company": company.pk, "name": "Ferramentas"})
    assert family.status_code == 302
    duplicate = admin_client.post(_url(ProductFamily, "add"), {"company": company.pk, "name": "ferramentas"})
    assert "Já existe uma família com este nome" in _errors(duplicate)

    product = ProductFactory(company=company)
    response = admin_client.post(_url(StockBalance, "add"), {"product": product.pk, "quantity": "12.5"})
    assert response.status_code == 302
    assert StockBalance.objects.get(product=product).company == company

    response = admin_client.post(
        _url(PriceTable, "add"),
        {"company": company.pk, "name": "Varejo", "active": "on", **_management("items", total=1),
         "items-0-product": product.pk, "items-0-price": "10.50"},
    )
    assert response.status_code == 302, _errors(response)
    assert PriceTableItem.objects.get(table__name="Varejo").price == Decimal("10.50")


@pytest.mark.django_db
def test_it_adds_and_removes_an_attachment_through_the_services(admin_client, company, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    product = ProductFactory(company=company)
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("manual.pdf", b"%PDF-1.4 manual", content_type="application/pdf")
    response = admin_client.post(
        _url(Attachment, "add"), {"company": company.pk, "product": product.pk, "upload": upload}
    )
    assert response.status_code == 302, _errors(response)
    attachment = Attachment.objects.get()
    product.refresh_from_db()
    assert (attachment.filename, product.version) == ("manual.pdf", 2)

    admin_client.post(_url(Attachment, "delete", attachment.pk), {"post": "yes"})
    assert not Attachment.objects.exists()
    assert Blob.objects.count() == 1  # the stored bytes stay
    product.refresh_from_db()
    assert product.version == 3


# --- companies -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_shows_an_invalid_company_cnpj_as_a_form_error(admin_client):
    response = admin_client.post(
        _url(Company, "add"),
        {"cnpj": "12.ABC.345/01DE-36", "legal_name": "Nova Ltda", **_management("memberships")},
    )
    assert "CNPJ inválido" in _errors(response)
    assert not Company.objects.exists()


@pytest.mark.django_db
def test_it_stores_a_masked_alphanumeric_company_cnpj_normalised(admin_client):
    response = admin_client.post(
        _url(Company, "add"),
        {"cnpj": "12.abc.345/01de-35", "legal_name": "Nova Ltda", **_management("memberships")},
    )
    assert response.status_code == 302, _errors(response)
    assert Company.objects.get().cnpj == "12ABC34501DE35"


@pytest.mark.django_db
def test_it_does_not_offer_to_delete_a_company(admin_client, company):
    assert admin_client.get(_url(Company, "delete", company.pk)).status_code == 403


# --- every Omie field, by group (issue 12 §2) ----------------------------------------------


def _fieldsets(response) -> dict[str, tuple[list[str], list[str]]]:
    """Title → (field names, classes) of the change form's fieldsets."""
    result = {}
    for fieldset in response.context["adminform"]:
        names = [name for line in fieldset.fields for name in (line if isinstance(line, tuple | list) else [line])]
        result[fieldset.name] = (names, fieldset.classes.split())
    return result


@pytest.mark.django_db
def test_the_change_page_shows_every_field_in_the_groups_of_the_pages(admin_client, company):
    product = ProductFactory(company=company, code="MOTO-160", description="Motocicleta Honda CG 160 Fan")
    services.product_update(company=company, product_id=product.pk, data={"vehicle_chassis": "9C2KC2200PR012345"})

    response = admin_client.get(_url(Product, "change", product.pk))

    assert response.status_code == 200
    fieldsets = _fieldsets(response)
    shown = {name for names, _ in fieldsets.values() for name in names}
    assert set(services.PRODUCT_FIELDS) <= shown, set(services.PRODUCT_FIELDS) - shown
    assert "net_weight" in fieldsets["Dimensões e peso"][0]
    assert "collapse" in fieldsets["Armamento"][1] and "collapse" in fieldsets["IBPT"][1]
    assert "collapse" not in fieldsets["Veículo"][1]  # it holds the chassis
    assert "collapse" not in fieldsets["Tributação"][1]

    party = PartyFactory(company=company, cnpj_cpf=CNPJ)
    fieldsets = _fieldsets(admin_client.get(_url(Party, "change", party.pk)))
    assert set(services.PARTY_FIELDS) <= {name for names, _ in fieldsets.values() for name in names}
    assert "collapse" in fieldsets["Dados bancários"][1]


@pytest.mark.django_db
def test_it_saves_a_new_field_through_the_service(admin_client, company, writes):
    party = PartyFactory(company=company, cnpj_cpf=CNPJ)

    response = admin_client.post(_url(Party, "change", party.pk), _party_change_post(
        party, state_registration="110.042.490.114", icms_taxpayer="on", cnae="4751-2/01", credit_limit="2.500,00",
        bank_holder_document="11.222.333/0001-81",
    ))

    assert response.status_code == 302, _errors(response)
    party.refresh_from_db()
    assert (party.state_registration, party.icms_taxpayer, party.cnae) == ("110.042.490.114", True, "4751-2/01")
    assert (party.credit_limit, party.bank_holder_document) == (Decimal("2500.00"), CNPJ)
    assert party.carrier_code == 0  # not posted: left empty, Omie's 0
    update = writes[-1]
    assert (update.action, update.source) == ("update", "admin")
    assert {"state_registration", "icms_taxpayer", "cnae", "credit_limit"} <= set(update.changed_fields)


@pytest.mark.django_db
def test_it_saves_a_products_weight_typed_the_brazilian_way(admin_client, company):
    response = admin_client.post(_url(Product, "add"), _product_post(company, net_weight="1,250", icms_rate="18"))

    assert response.status_code == 302, _errors(response)
    product = Product.objects.get(company=company)
    assert (product.net_weight, product.icms_rate, product.videos) == (Decimal("1.25"), Decimal("18"), [])


@pytest.mark.django_db
def test_the_lists_filter_by_contribuinte_and_bloqueado(admin_client, company):
    PartyFactory(company=company, cnpj_cpf=CNPJ, legal_name="Contribuinte Ltda", icms_taxpayer=True)
    PartyFactory(company=company, legal_name="Consumidor Final", icms_taxpayer=False)

    html = admin_client.get(_url(Party, "changelist"), {"icms_taxpayer__exact": "1"}).content.decode()

    assert "Contribuinte Ltda" in html and "Consumidor Final" not in html
    assert admin_client.get(_url(Product, "changelist"), {"blocked__exact": "1"}).status_code == 200
