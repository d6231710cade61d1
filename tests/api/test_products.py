"""produto_servico_cadastro through /api/v1/geral/produtos/."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from catalog.models import Product
from tests.factories import ProductFactory, ProductFamilyFactory

pytestmark = pytest.mark.django_db

CANETA = {
    "codigo_produto_integracao": "INT-1",
    "codigo": "cnt-01",
    "descricao": "Caneta azul",
    "unidade": "cx",
    "ncm": "9608.10.00",
    "ean": "7891234567895",
    "valor_unitario": 12.5,
    "tipoItem": 4,
    "descricao_familia": "Papelaria",
    "recomendacoes_fiscais": {"origem_mercadoria": "1", "id_cest": "19.009.00"},
    "caracteristicas": [{"nome_caracteristica": "Cor", "conteudo": "Azul"}],
    "imagens": [{"url_imagem": "https://exemplo.com/caneta.png"}],
    "inativo": "N",
}


def test_it_includes_a_product_with_the_shared_fields(omie, credentials, company):
    response = omie(credentials, "produtos", "IncluirProduto", CANETA)

    assert response.status_code == 200
    product = Product.objects.get(company=company, integration_code="INT-1")
    assert response.json() == {
        "codigo_produto": product.pk,
        "codigo_produto_integracao": "INT-1",
        "codigo_status": "0",
        "descricao_status": "Produto cadastrado com sucesso!",
    }
    assert (product.code, product.description, product.unit) == ("CNT-01", "Caneta azul", "CX")
    assert (product.ncm, product.ean, product.price) == ("96081000", "7891234567895", Decimal("12.50"))
    assert (product.item_type, product.origin, product.cest) == ("04", 1, "1900900")
    assert product.family.name == "Papelaria" and product.family.company == company
    assert product.characteristics == {"Cor": "Azul"}


def test_it_suggests_a_code_when_none_is_sent(omie, credentials, company):
    param = {k: v for k, v in CANETA.items() if k != "codigo"}

    omie(credentials, "produtos", "IncluirProduto", param)

    assert Product.objects.get(company=company, integration_code="INT-1").code == "PRD00001"


def test_it_consults_by_id_integration_code_or_code(omie, credentials):
    created = omie(credentials, "produtos", "IncluirProduto", CANETA).json()

    answers = [
        omie(credentials, "produtos", "ConsultarProduto", param).json()
        for param in (
            {"codigo_produto": created["codigo_produto"]},
            {"codigo_produto_integracao": "INT-1"},
            {"codigo": "CNT-01"},
        )
    ]

    assert answers[0] == answers[1] == answers[2]
    record = answers[0]
    # Stored upper-case (the page shows CNT-01), answered as the integration spelled it.
    assert record["codigo"] == "cnt-01" and record["unidade"] == "cx" and record["ncm"] == "9608.10.00"
    assert record["valor_unitario"] == 12.5 and record["tipoItem"] == "04"
    fiscal = record["recomendacoes_fiscais"]
    assert (fiscal["origem_mercadoria"], fiscal["id_cest"]) == ("1", "19.009.00")
    assert record["descricao_familia"] == "Papelaria"
    assert record["caracteristicas"] == [{"nome_caracteristica": "Cor", "conteudo": "Azul"}]
    assert record["inativo"] == "N" and record["info"]["importado_api"] == "S"


def test_it_alters_and_upserts(omie, credentials, company):
    omie(credentials, "produtos", "IncluirProduto", CANETA)
    family = ProductFamilyFactory(company=company, name="Escritório")

    altered = omie(credentials, "produtos", "AlterarProduto",
                   {"codigo_produto_integracao": "INT-1", "valor_unitario": "13,90", "codigo_familia": family.pk})
    upserted = omie(credentials, "produtos", "UpsertProduto",
                    {"codigo_produto_integracao": "INT-1", "descricao": "Caneta azul fina"})
    created = omie(credentials, "produtos", "UpsertProduto",
                   {"codigo_produto_integracao": "INT-2", "descricao": "Lápis", "unidade": "UN", "ncm": "96091000"})

    assert altered.json()["descricao_status"] == "Produto alterado com sucesso!"
    assert upserted.json()["descricao_status"] == "Produto alterado com sucesso!"
    assert created.json()["descricao_status"] == "Produto cadastrado com sucesso!"
    product = Product.objects.get(company=company, integration_code="INT-1")
    assert product.price == Decimal("13.90") and product.family == family
    assert product.description == "Caneta azul fina"
    assert Product.objects.filter(company=company, integration_code="INT-2", description="Lápis").exists()


def test_it_deletes(omie, credentials, company):
    created = omie(credentials, "produtos", "IncluirProduto", CANETA).json()

    response = omie(credentials, "produtos", "ExcluirProduto", {"codigo_produto_integracao": "INT-1"})

    assert response.json()["descricao_status"] == "Produto excluído com sucesso!"
    assert not Product.objects.filter(pk=created["codigo_produto"]).exists()  # more in test_deletion.py


def test_it_pages_in_a_stable_order(omie, credentials, company):
    products = [ProductFactory(company=company) for _ in range(5)]

    pages = [
        omie(credentials, "produtos", "ListarProdutos", {"pagina": n, "registros_por_pagina": 2}).json()
        for n in (1, 2, 3)
    ]

    assert [p["total_de_paginas"] for p in pages] == [3, 3, 3]
    assert [p["registros"] for p in pages] == [2, 2, 1]
    assert all(p["total_de_registros"] == 5 for p in pages)
    listed = [item["codigo_produto"] for p in pages for item in p["produto_servico_cadastro"]]
    assert listed == [p.pk for p in products]


def test_it_lists_the_summary(omie, credentials, company):
    product = ProductFactory(company=company, code="R1", description="Régua", price=Decimal("3.20"))

    body = omie(credentials, "produtos", "ListarProdutosResumido", {}).json()

    assert body["produto_servico_resumido"] == [
        {"codigo_produto": product.pk, "codigo_produto_integracao": "", "codigo": "R1",
         "descricao": "Régua", "valor_unitario": 3.2}
    ]


def test_it_answers_omies_fault_for_a_page_without_records(omie, credentials, company):
    ProductFactory(company=company)

    response = omie(credentials, "produtos", "ListarProdutos", {"pagina": 2})

    assert response.status_code == 500
    assert response.json() == {
        "faultstring": "ERROR: Não existem registros para a página [2]!",
        "faultcode": "SOAP-ENV:Client-5113",
    }


def test_it_filters_products(omie, credentials, company):
    ProductFactory(company=company, code="A1", description="Água mineral")
    ProductFactory(company=company, code="B1", description="Bala de goma")
    omie(credentials, "produtos", "IncluirProduto", CANETA)

    def codes(param):
        body = omie(credentials, "produtos", "ListarProdutosResumido", param).json()
        return [p["codigo"] for p in body.get("produto_servico_resumido", [])]

    assert codes({"produtosFiltro": {"descricao": "água"}}) == ["A1"]
    assert codes({"produtosFiltro": {"codigo": "b1"}}) == ["B1"]
    assert codes({"produtosFiltro": {"codigo_produto_integracao": "INT-1"}}) == ["cnt-01"]  # as it was sent
    assert codes({"apenas_importado_api": "S"}) == ["cnt-01"]


def test_it_filters_by_date_of_last_change(omie, credentials, company):
    old = ProductFactory(company=company, code="OLD")
    ProductFactory(company=company, code="NEW")
    Product.objects.filter(pk=old.pk).update(updated_at=timezone.now() - timedelta(days=10))
    today = timezone.localdate().strftime("%d/%m/%Y")
    ten_days_ago = (timezone.localdate() - timedelta(days=10)).strftime("%d/%m/%Y")

    def codes(param):
        body = omie(credentials, "produtos", "ListarProdutosResumido", param).json()
        return [p["codigo"] for p in body.get("produto_servico_resumido", [])]

    assert codes({"filtrar_por_data_de": today}) == ["NEW"]
    assert codes({"filtrar_por_data_ate": ten_days_ago}) == ["OLD"]
    assert codes({"filtrar_por_data_de": ten_days_ago, "filtrar_por_data_ate": today}) == ["OLD", "NEW"]


def test_it_lists_without_a_query_per_product(omie, credentials, company, django_assert_max_num_queries):
    family = ProductFamilyFactory(company=company)
    for _ in range(20):
        ProductFactory(company=company, family=family.pk)

    # A fixed number whatever the page size: stock balances and price tables (answered since
    # every Omie field is) and the spellings sent (ApiSpelling) are one query each.
    with django_assert_max_num_queries(13):
        body = omie(credentials, "produtos", "ListarProdutos", {"registros_por_pagina": 500}).json()

    assert body["registros"] == 20


@pytest.mark.parametrize("call", ["AlterarProduto", "UpsertProduto"])
def test_a_blank_codigo_on_an_update_keeps_the_products_code(omie, credentials, company, call):
    omie(credentials, "produtos", "IncluirProduto", CANETA)

    response = omie(credentials, "produtos", call,
                    {"codigo_produto_integracao": "INT-1", "codigo": "", "descricao": "Caneta preta"})

    assert response.status_code == 200, response.content
    product = Product.objects.get(company=company, integration_code="INT-1")
    assert (product.code, product.description) == ("CNT-01", "Caneta preta")


@pytest.mark.parametrize(
    ("characteristic", "field"),
    [
        ({"nome_caracteristica": "N" * 31, "conteudo": "x"}, "caracteristicas[].nome_caracteristica"),
        ({"nome_caracteristica": "Cor", "conteudo": "x" * 61}, "caracteristicas[].conteudo"),
        ({"nome_caracteristica": "Cor", "conteudo": {"a": 1}}, "caracteristicas[].conteudo"),
    ],
)
def test_it_refuses_characteristics_omie_would_not_hold(omie, credentials, company, characteristic, field):
    response = omie(credentials, "produtos", "IncluirProduto", {**CANETA, "caracteristicas": [characteristic]})

    assert response.status_code == 500
    assert response.json()["faultcode"] == "SOAP-ENV:Client-105"
    assert field in response.json()["faultstring"]
    assert not Product.objects.exists()


def test_it_keeps_characteristics_at_omies_limits(omie, credentials, company):
    characteristic = {"nome_caracteristica": "N" * 30, "conteudo": "x" * 60}

    omie(credentials, "produtos", "IncluirProduto", {**CANETA, "caracteristicas": [characteristic]})

    assert Product.objects.get().characteristics == {"N" * 30: "x" * 60}


def test_float_noise_in_a_price_is_rounded_to_cents(omie, credentials, company):
    response = omie(credentials, "produtos", "IncluirProduto", {**CANETA, "valor_unitario": 0.1 + 0.2})

    assert response.status_code == 200, response.content
    assert Product.objects.get().price == Decimal("0.30")


@pytest.mark.parametrize(
    ("price", "text"),
    [("1.234", "no máximo 2 casas decimais"), ("1_000", "deve ser um número"), ("1e", "deve ser um número")],
)
def test_it_refuses_a_price_written_as_text_it_cannot_store_exactly(omie, credentials, company, price, text):
    response = omie(credentials, "produtos", "IncluirProduto", {**CANETA, "valor_unitario": price})

    assert response.json()["faultcode"] == "SOAP-ENV:Client-105"
    assert text in response.json()["faultstring"] and "valor_unitario" in response.json()["faultstring"]
    assert not Product.objects.exists()


def test_an_id_written_with_digit_separators_is_refused(omie, credentials, company):
    product = ProductFactory(company=company)
    separated = f"{product.pk // 10}_{product.pk % 10}"

    response = omie(credentials, "produtos", "ConsultarProduto", {"codigo_produto": separated})

    assert response.json()["faultcode"] == "SOAP-ENV:Client-105"


def test_a_structure_quantity_of_zero_says_it_must_be_greater_than_zero(omie, credentials, company):
    component = ProductFactory(company=company, code="PECA")

    response = omie(credentials, "produtos", "IncluirProduto",
                    {**CANETA, "estrutura": [{"codProdMalha": component.code, "quantProdMalha": 0}]})

    assert response.json()["faultcode"] == "SOAP-ENV:Client-105"
    assert "quantProdMalha deve ser maior que zero" in response.json()["faultstring"]


def test_a_structure_quantity_keeps_four_decimals_and_rounds_float_noise(omie, credentials, company):
    component = ProductFactory(company=company, code="PECA")

    omie(credentials, "produtos", "IncluirProduto",
         {**CANETA, "estrutura": [{"codProdMalha": "PECA", "quantProdMalha": 0.1 + 0.2}]})

    product = Product.objects.get(integration_code="INT-1")
    assert [(i.component_id, i.quantity) for i in product.bom_items.all()] == [(component.pk, Decimal("0.3000"))]


def test_an_overlong_family_name_names_omies_field(omie, credentials, company):
    response = omie(credentials, "produtos", "IncluirProduto", {**CANETA, "descricao_familia": "F" * 61})

    assert response.json()["faultcode"] == "SOAP-ENV:Client-105"
    assert "(campo descricao_familia)" in response.json()["faultstring"]


def test_it_alters_and_deletes_by_code_alone(omie, credentials, company):
    omie(credentials, "produtos", "IncluirProduto", CANETA)

    altered = omie(credentials, "produtos", "AlterarProduto", {"codigo": "cnt-01", "descricao": "Caneta verde"})
    product = Product.objects.get(company=company, integration_code="INT-1")
    assert (product.code, product.description) == ("CNT-01", "Caneta verde")
    deleted = omie(credentials, "produtos", "ExcluirProduto", {"codigo": "CNT-01"})

    assert altered.status_code == 200 and deleted.status_code == 200, (altered.content, deleted.content)
    assert deleted.json()["codigo_produto"] == product.pk
    assert not Product.objects.filter(company=company).exists()


def test_info_says_whether_the_record_came_through_the_api_as_omie_does(omie, credentials, company):
    omie(credentials, "produtos", "IncluirProduto", CANETA)
    ProductFactory(company=company, code="WEB-1")

    by_api = omie(credentials, "produtos", "ConsultarProduto", {"codigo": "CNT-01"}).json()["info"]
    by_web = omie(credentials, "produtos", "ConsultarProduto", {"codigo": "WEB-1"}).json()["info"]

    assert (by_api["cImpAPI"], by_api["importado_api"], by_api["uInc"], by_api["uAlt"]) == ("S", "S", "API", "API")
    assert (by_web["cImpAPI"], by_web["uInc"]) == ("N", "WEB")
    assert {"dInc", "hInc", "dAlt", "hAlt"} <= set(by_api)
