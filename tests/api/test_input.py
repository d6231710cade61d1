"""Values real integrations send that are not quite what the field holds: a clear fault 105
(or the value understood as the sender meant it), never a 500 and never a wrong value stored."""

from __future__ import annotations

import pytest

from catalog.models import Product
from tests.factories import PartyFactory, ProductFactory

pytestmark = pytest.mark.django_db

PRODUCT = {"codigo_produto_integracao": "INT-CAF-500", "codigo": "CAF-500", "descricao": "Café torrado 500 g",
           "unidade": "UN", "ncm": "0901.21.00", "valor_unitario": 32.9}


def _fault(response, code: int) -> str:
    assert response.status_code == 500, response.content
    body = response.json()
    assert body["faultcode"] == f"SOAP-ENV:Client-{code}", body
    return body["faultstring"]


@pytest.mark.parametrize("origin", ["²", "٣", "9", "-1", " ", "0x1"])
def test_it_refuses_an_origin_that_is_not_0_to_8_in_ascii_digits(omie, credentials, origin):
    param = {**PRODUCT, "recomendacoes_fiscais": {"origem_mercadoria": origin}}

    message = _fault(omie(credentials, "produtos", "IncluirProduto", param), 105)

    assert "origem_mercadoria" in message
    assert not Product.objects.exists()


@pytest.mark.parametrize(("origin", "stored"), [("3", 3), (5, 5), ("0", 0)])
def test_it_stores_an_origin_given_as_text_or_number(omie, credentials, origin, stored):
    param = {**PRODUCT, "recomendacoes_fiscais": {"origem_mercadoria": origin}}

    assert omie(credentials, "produtos", "IncluirProduto", param).status_code == 200
    assert Product.objects.get().origin == stored


@pytest.mark.parametrize(("field", "value"), [("valor_unitario", "١٠"), ("valor_unitario", "1_000"),
                                              ("tipoItem", "٠٤")])
def test_it_refuses_numbers_written_in_other_digits(omie, credentials, field, value):
    message = _fault(omie(credentials, "produtos", "IncluirProduto", {**PRODUCT, field: value}), 105)

    assert field in message
    assert not Product.objects.exists()


def test_it_refuses_a_supplier_id_in_superscript_digits(omie, credentials, company):
    PartyFactory(company=company, legal_name="Torrefação Mineira Ltda", is_supplier=True)

    message = _fault(omie(credentials, "produtos", "IncluirProduto", {**PRODUCT, "fornecedores": ["²²"]}), 105)

    assert "fornecedores" in message
    assert not Product.objects.exists()


def test_it_refuses_a_listing_page_in_other_digits(omie, credentials):
    message = _fault(omie(credentials, "produtos", "ListarProdutos", {"pagina": "٢"}), 105)

    assert "pagina" in message


def test_it_reads_a_cnpj_pasted_with_an_en_dash(omie, credentials, company):
    param = {"codigo_cliente_integracao": "CLI-PASTE", "razao_social": "Padaria Pão Quente Ltda",
             "cnpj_cpf": "11.222.333/0001–81", "estado": "SP", "cidade": "Campinas"}

    response = omie(credentials, "clientes", "IncluirCliente", param)

    assert response.status_code == 200, response.json()
    consulted = omie(credentials, "clientes", "ConsultarCliente", {"codigo_cliente_integracao": "CLI-PASTE"}).json()
    assert consulted["cnpj_cpf"] == "11.222.333/0001-81"


@pytest.mark.parametrize("typed", ["7891000315507", "7 891000 315507", "7.891000.315507-", "07891000315507",
                                   "7891000\u2013315507"])
def test_listar_produtos_finds_an_ean_typed_with_a_mask_or_as_gtin14(omie, credentials, company, typed):
    ProductFactory(company=company, code="CAF-500", description="Café torrado 500 g", ean="7891000315507")
    ProductFactory(company=company, code="ACU-1", description="Açúcar cristal 1 kg", ean="7894900011517")

    body = omie(credentials, "produtos", "ListarProdutosResumido", {"produtosFiltro": {"ean": typed}}).json()

    assert [p["codigo"] for p in body["produto_servico_resumido"]] == ["CAF-500"]


def test_listar_produtos_finds_a_stored_gtin14_by_its_ean13(omie, credentials, company):
    ProductFactory(company=company, code="CAF-500", description="Café torrado 500 g", ean="07891000315507")

    body = omie(credentials, "produtos", "ListarProdutos", {"produtosFiltro": {"ean": 7891000315507}}).json()

    assert [p["codigo"] for p in body["produto_servico_cadastro"]] == ["CAF-500"]
    assert body["produto_servico_cadastro"][0]["ean"] == "07891000315507"  # as it was typed


def test_listar_produtos_refuses_an_ean_filter_that_is_not_a_barcode(omie, credentials):
    message = _fault(omie(credentials, "produtos", "ListarProdutos", {"produtosFiltro": {"ean": "EAN-ABC"}}), 105)

    assert "produtosFiltro.ean" in message
