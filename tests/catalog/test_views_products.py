"""Produtos pages: list/search, create with the suggested code, validation messages,
structure and suppliers, stale edits, delete, local stock and price tables."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from catalog import services
from catalog.models import Product
from tests.factories import PartyFactory, ProductFactory, ProductFamilyFactory

pytestmark = pytest.mark.django_db

EAN = "7891000315507"


def product_form_data(**overrides) -> dict:
    data = {
        "code": "PRD00001",
        "integration_code": "",
        "description": "Café torrado e moído 500 g",
        "unit": "un",
        "ncm": "0901.21.00",
        "ean": EAN,
        "price": "1.234,56",
        "origin": "0",
        "item_type": "00",
        "cest": "17.096.00",
        "family": "",
        "characteristics": "Torra: média\nPeso: 500 g",
        "bom": "",
        "suppliers_add": "",
        "active": "on",
    }
    data.update(overrides)
    return data


def edit_data(product: Product, **overrides) -> dict:
    data = product_form_data(
        code=product.code,
        description=product.description,
        ncm=product.ncm_masked,
        ean=product.ean,
        cest=product.cest_masked,
        price=str(product.price).replace(".", ","),
        characteristics="",
        version=str(product.version),
    )
    data.update(overrides)
    return data


# --- list and search ---------------------------------------------------------------------


def test_it_lists_products_with_brazilian_money_and_masked_ncm(login, member, company):
    ProductFactory(company=company, code="CAF01", description="Café especial", price=Decimal("1234.5"))
    response = login(member).get(reverse("catalog:product_list", args=[company.pk]))
    assert response.status_code == 200
    assert "Café especial" in response.text
    assert "R$ 1.234,50" in response.text
    assert "8471.30.12" in response.text


@pytest.mark.parametrize("term", ["caf01", "CAF01", "especial", "cafe esp", "CAFÉ", EAN, "78910003"])
def test_it_finds_a_product_by_code_description_or_ean(login, member, company, term):
    ProductFactory(company=company, code="CAF01", description="Café especial", ean=EAN)
    ProductFactory(company=company, code="ACU01", description="Açúcar cristal")
    response = login(member).get(reverse("catalog:product_list", args=[company.pk]), {"q": term})
    assert "Café especial" in response.text
    assert "Açúcar cristal" not in response.text


def test_it_answers_htmx_product_search_with_only_the_table(login, member, company):
    ProductFactory(company=company, code="CAF01", description="Café especial")
    response = login(member).get(
        reverse("catalog:product_list", args=[company.pk]), {"q": "caf"}, HTTP_HX_REQUEST="true"
    )
    assert 'id="results"' in response.text
    assert "Café especial" in response.text
    assert "<html" not in response.text


def test_it_paginates_products(login, member, company):
    Product.objects.bulk_create(
        Product(company=company, code=f"X{n:03d}", description=f"Item {n:03d}", ncm="84713012")
        for n in range(1, 56)
    )
    client = login(member)
    url = reverse("catalog:product_list", args=[company.pk])
    first = client.get(url).text
    assert "Página 1 de 2" in first and "Item 050" in first and "Item 051" not in first
    second = client.get(url, {"page": "2"}).text
    assert "Item 055" in second and "Item 001" not in second


def test_it_lists_products_without_a_query_per_row(login, member, company, django_assert_max_num_queries):
    family = ProductFamilyFactory(company=company)
    Product.objects.bulk_create(
        Product(company=company, code=f"X{n:03d}", description=f"Item {n:03d}", ncm="84713012", family=family)
        for n in range(60)
    )
    client = login(member)
    with django_assert_max_num_queries(8):
        client.get(reverse("catalog:product_list", args=[company.pk]))


# --- create -----------------------------------------------------------------------------


def test_it_prefills_the_suggested_code(login, member, company):
    ProductFactory(company=company, code="PRD00007")
    page = login(member).get(reverse("catalog:product_create", args=[company.pk])).text
    assert 'value="PRD00008"' in page


def test_it_creates_a_product_from_masked_input_and_shows_it_formatted(login, member, company):
    family = ProductFamilyFactory(company=company, name="Cafés")
    supplier = PartyFactory(company=company, legal_name="Torrefação Serrana Ltda", is_supplier=True)
    component = ProductFactory(company=company, code="EMB500", description="Embalagem 500 g")
    client = login(member)
    response = client.post(
        reverse("catalog:product_create", args=[company.pk]),
        product_form_data(family=str(family.pk), suppliers=[str(supplier.pk)], bom="emb500; 1,5"),
    )
    assert response.status_code == 302
    product = Product.objects.get(company=company, code="PRD00001")
    assert product.ncm == "09012100"
    assert product.cest == "1709600"
    assert product.unit == "UN"
    assert product.price == Decimal("1234.56")
    assert product.characteristics == {"Torra": "média", "Peso": "500 g"}
    assert product.family == family
    assert list(product.suppliers.all()) == [supplier]
    assert [(i.component, i.quantity) for i in product.bom_items.all()] == [(component, Decimal("1.5"))]

    page = client.get(response["Location"]).text
    assert "0901.21.00" in page
    assert "17.096.00" in page
    assert "R$ 1.234,56" in page
    assert "Cafés" in page
    assert "Torrefação Serrana Ltda" in page
    assert "EMB500" in page and "1,5" in page
    assert "Torra" in page


def test_it_uses_the_suggested_code_when_the_code_is_left_blank(login, member, company):
    response = login(member).post(reverse("catalog:product_create", args=[company.pk]), product_form_data(code=""))
    assert response.status_code == 302
    assert Product.objects.get(company=company).code == "PRD00001"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("ncm", "0901.21", "NCM inválido: informe os 8 dígitos da classificação fiscal (ex.: 8471.30.12)."),
        ("ean", "7891000315508", "EAN inválido: o dígito verificador não confere."),
        ("ean", "12345", "EAN inválido: o código de barras (GTIN) tem 8, 12, 13 ou 14 dígitos."),
        ("cest", "17.096", "CEST inválido: informe 7 dígitos no formato NN.NNN.NN (ex.: 21.053.00)."),
        ("price", "-1,00", "O preço não pode ser negativo."),
        ("bom", "NAOEXISTE; 2", "Linha 1: componente NAOEXISTE não encontrado nesta empresa."),
        ("bom", "EMB; zero", "Linha 1: quantidade inválida “zero”."),
        ("characteristics", "sem separador", "Linha 1: use o formato nome: valor"),
        ("suppliers_add", "11.222.333/0001-81", "Fornecedor não encontrado nesta empresa: 11.222.333/0001-81."),
    ],
)
def test_it_shows_the_message_for_an_invalid_product_value_and_saves_nothing(
    login, member, company, field, value, message
):
    response = login(member).post(
        reverse("catalog:product_create", args=[company.pk]), product_form_data(**{field: value})
    )
    assert response.status_code == 400
    assert message in response.text
    assert response.context["form"].errors[field]
    assert not Product.objects.exists()
    assert "Café torrado e moído 500 g" in response.text  # what the user typed is kept


def test_it_refuses_a_duplicate_code_with_the_holder_named(login, member, company):
    ProductFactory(company=company, code="PRD00001", description="Chá mate")
    response = login(member).post(reverse("catalog:product_create", args=[company.pk]), product_form_data())
    assert response.status_code == 400
    assert "Já existe um produto com o código PRD00001 nesta empresa: Chá mate." in response.text
    assert response.context["form"].errors["code"]
    assert Product.objects.filter(company=company).count() == 1


def test_it_refuses_a_component_of_another_company(login, member, company, other_company):
    ProductFactory(company=other_company, code="ALHEIO")
    response = login(member).post(
        reverse("catalog:product_create", args=[company.pk]), product_form_data(bom="ALHEIO; 1")
    )
    assert response.status_code == 400
    assert "componente ALHEIO não encontrado nesta empresa" in response.text


def test_it_refuses_a_circular_structure(login, member, company):
    parent = ProductFactory(company=company, code="KIT")
    part = ProductFactory(company=company, code="PECA")
    services.product_update(company=company, product_id=parent.pk, data={"bom": [(part.pk, 1)]})
    part.refresh_from_db()
    response = login(member).post(
        reverse("catalog:product_edit", args=[company.pk, part.pk]), edit_data(part, bom="KIT; 1")
    )
    assert response.status_code == 400
    assert "Estrutura circular" in response.text
    assert not part.bom_items.exists()


def test_it_adds_suppliers_by_document_and_only_offers_the_company_suppliers(
    login, member, company, other_company
):
    supplier = PartyFactory(company=company, legal_name="Fornece Daqui", cnpj_cpf="11222333000181", is_supplier=True)
    PartyFactory(company=other_company, legal_name="Fornece Dali", is_supplier=True)
    PartyFactory(company=company, legal_name="Só Cliente", is_supplier=False)
    client = login(member)

    options = client.get(reverse("catalog:supplier_options", args=[company.pk]), {"supplier_q": "fornece"}).text
    assert "Fornece Daqui" in options
    assert "Fornece Dali" not in options and "Só Cliente" not in options

    response = client.post(
        reverse("catalog:product_create", args=[company.pk]),
        product_form_data(suppliers_add="11.222.333/0001-81"),
    )
    assert response.status_code == 302
    assert list(Product.objects.get(company=company).suppliers.all()) == [supplier]


# --- edit -------------------------------------------------------------------------------


def test_it_shows_stored_product_values_formatted_when_editing(login, member, company):
    component = ProductFactory(company=company, code="EMB")
    product = ProductFactory(company=company, code="KIT", ncm="09012100", cest="1709600", price=Decimal("1234.5"))
    services.product_update(company=company, product_id=product.pk, data={"bom": [(component.pk, Decimal("2.5"))]})
    page = login(member).get(reverse("catalog:product_edit", args=[company.pk, product.pk])).text
    assert 'value="0901.21.00"' in page
    assert 'value="17.096.00"' in page
    assert 'value="1.234,50"' in page
    assert "EMB; 2,5" in page
    assert 'name="version" value="2"' in page


def test_it_refuses_a_stale_product_edit_and_shows_the_current_values(login, member, owner, company):
    product = ProductFactory(company=company, code="CAF", description="Café original")
    opened = edit_data(product)
    url = reverse("catalog:product_edit", args=[company.pk, product.pk])
    assert login(owner).post(url, {**opened, "description": "Café do dono"}).status_code == 302

    response = login(member).post(url, {**opened, "description": "Café do membro", "price": "9,99"})
    assert response.status_code == 409
    assert "Nada foi salvo" in response.text
    assert 'value="Café do dono"' in response.text
    assert "Café do membro" in response.text and "R$ 9,99" in response.text
    product.refresh_from_db()
    assert (product.description, product.version) == ("Café do dono", 2)


# --- delete, detail ----------------------------------------------------------------------


def test_it_deletes_a_product_with_its_stock_and_prices_and_it_leaves_the_lists(login, member, company):
    family = ProductFamilyFactory(company=company, name="Cafés especiais")
    product = ProductFactory(company=company, code="CAF", description="Café torrado", family=family)
    ProductFactory(company=company, code="CHA", description="Chá mate", family=family)
    services.stock_balance_set(company=company, product_id=product.pk, quantity=Decimal("12"))
    table = services.price_table_create(company=company, name="Atacado")
    services.price_table_item_set(company=company, table_id=table.pk, product_id=product.pk, price=Decimal("19.9"))
    client = login(member)
    url = reverse("catalog:product_delete", args=[company.pk, product.pk])
    confirm = client.get(url).text
    assert '<p class="eyebrow">Produto</p>' in confirm
    assert "Vão com ele a estrutura, a lista de fornecedores, as imagens e os anexos, o saldo de estoque" in confirm
    response = client.post(url, {"version": "1"}, follow=True)
    assert "Produto CAF – Café torrado excluído, com o seu saldo de estoque" in response.text
    assert "1 produto" in response.text
    assert [p.code for p in response.context["page"].object_list] == ["CHA"]
    assert client.get(reverse("catalog:product_detail", args=[company.pk, product.pk])).status_code == 404
    searched = client.get(reverse("catalog:product_list", args=[company.pk]), {"q": "CAF", "status": "todos"})
    assert searched.context["page"].paginator.count == 0
    families = client.get(reverse("catalog:family_list", args=[company.pk])).context
    assert [(f.name, f.product_count) for f in families["families"]] == [("Cafés especiais", 1)]


def test_it_refuses_to_delete_a_structure_component_and_says_where_it_is_used(login, member, company):
    component = ProductFactory(company=company, code="FILTRO-102", description="Filtro de papel nº 102")
    kit = ProductFactory(company=company, code="KIT-CAFE", description="Kit café da manhã")
    services.product_update(company=company, product_id=kit.pk, data={"bom": [(component.pk, "30")]})
    client = login(member)
    url = reverse("catalog:product_delete", args=[company.pk, component.pk])
    confirm = client.get(url).text
    used = "é componente da estrutura de 1 produto: KIT-CAFE – Kit café da manhã"
    assert used in confirm and 'disabled aria-describedby="in-use"' in confirm

    response = client.post(url, {"version": "1"})
    assert response.status_code == 409 and used in response.text
    assert Product.objects.filter(pk=component.pk).exists()
    assert Product.objects.get(pk=kit.pk).bom_items.get().component_id == component.pk


def test_it_lets_a_new_product_take_the_code_and_ean_of_a_deleted_one(login, member, company):
    company.enforce_unique_records = True
    company.save(update_fields=["enforce_unique_records"])
    old = ProductFactory(company=company, code="PRD00001", ean=EAN, description="Café antigo")
    client = login(member)
    assert client.post(reverse("catalog:product_create", args=[company.pk]), product_form_data()).status_code == 400
    client.post(reverse("catalog:product_delete", args=[company.pk, old.pk]), {"version": "1"})
    created = client.post(reverse("catalog:product_create", args=[company.pk]), product_form_data())
    assert created.status_code == 302
    new = Product.objects.get(company=company)
    assert (new.code, new.ean, new.description) == ("PRD00001", EAN, "Café torrado e moído 500 g")
    assert new.pk != old.pk


def test_it_shows_local_stock_and_price_tables_as_never_shared(login, member, company):
    product = ProductFactory(company=company, code="CAF", description="Café", unit="KG")
    services.stock_balance_set(company=company, product_id=product.pk, quantity=Decimal("1500.25"))
    table = services.price_table_create(company=company, name="Atacado")
    services.price_table_item_set(company=company, table_id=table.pk, product_id=product.pk, price=Decimal("19.9"))
    page = login(member).get(reverse("catalog:product_detail", args=[company.pk, product.pk])).text
    assert "1.500,25 KG" in page
    assert "Atacado" in page and "R$ 19,90" in page
    assert "nunca são compartilhados" in page


def test_it_shows_on_the_supplier_page_the_products_it_supplies(login, member, company):
    supplier = PartyFactory(company=company, legal_name="Torrefação Ltda", is_supplier=True)
    product = ProductFactory(company=company, code="CAF", description="Café moído")
    services.product_update(company=company, product_id=product.pk, data={"suppliers": [supplier.pk]})
    page = login(member).get(reverse("catalog:party_detail", args=[company.pk, supplier.pk])).text
    assert "Produtos que fornece" in page
    assert "Café moído" in page


@pytest.mark.django_db
def test_it_keeps_the_saved_description_in_the_heading_when_an_edit_is_refused(login, member, company):
    product = ProductFactory(company=company, code="CAF1", description="Café tradicional")
    url = reverse("catalog:product_edit", kwargs={"company_id": company.pk, "product_id": product.pk})
    response = login(member).post(url, edit_data(product, description="Café novo", ncm="123"))
    assert response.status_code == 400
    page = response.content.decode()
    assert "Editar CAF1 – Café tradicional" in page
    assert 'value="Café novo"' in page  # what the user typed stays in the form


def test_the_form_marks_which_fields_are_required(login, member, company):
    html = login(member).get(reverse("catalog:product_create", args=[company.pk])).content.decode()

    assert '<label for="id_ncm" class="required">' in html
    assert '<label for="id_cest">' in html  # optional: unmarked
