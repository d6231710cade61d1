"""Values real integrations send that are not quite what the field holds: a clear fault 105
(or the value understood as the sender meant it), never a 500 and never a wrong value stored."""

from __future__ import annotations

import pytest

from catalog.models import Party, Product
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


# --- clients abroad, codigo_pais and pessoa_fisica (Omie's clientes_cadastro) ---------------

FOREIGN_CLIENT = {
    "codigo_cliente_integracao": "EXP-0042", "razao_social": "Acme Trading Corporation", "nome_fantasia": "Acme",
    "endereco": "5th Avenue", "endereco_numero": "350", "cidade": "New York", "estado": "EX",
    "codigo_pais": "2496", "nif": "12-3456789", "email": "purchasing@acme-trading.com",
    "tags": [{"tag": "Cliente"}],
}


def test_it_registers_a_client_abroad_as_omie_sends_it(omie, credentials, company):
    response = omie(credentials, "clientes", "IncluirCliente", FOREIGN_CLIENT)

    assert response.status_code == 200, response.json()
    record = omie(credentials, "clientes", "ConsultarCliente", {"codigo_cliente_integracao": "EXP-0042"}).json()
    assert (record["estado"], record["codigo_pais"], record["exterior"], record["nif"], record["cnpj_cpf"]) == (
        "EX", "2496", "S", "12-3456789", "")
    listed = omie(credentials, "clientes", "ListarClientes", {"clientesFiltro": {"estado": "EX"}}).json()
    assert [c["codigo_cliente_integracao"] for c in listed["clientes_cadastro"]] == ["EXP-0042"]


def test_exterior_s_alone_makes_the_state_ex_and_a_brazilian_client_answers_n(omie, credentials, company):
    param = {k: v for k, v in FOREIGN_CLIENT.items() if k != "estado"}
    assert omie(credentials, "clientes", "IncluirCliente", {**param, "exterior": "S"}).status_code == 200
    PartyFactory(company=company, code="BR-1", legal_name="Padaria Pão Quente Ltda", state="SP")

    listed = omie(credentials, "clientes", "ListarClientes", {"ordenar_por": "CODIGO_INTEGRACAO"}).json()

    assert [(c["codigo_cliente_integracao"], c["estado"], c["exterior"]) for c in listed["clientes_cadastro"]] == [
        ("BR-1", "SP", "N"), ("EXP-0042", "EX", "S")]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"codigo_pais": "abc"}, "codigo_pais"),
        ({"codigo_pais": "10588"}, "codigo_pais"),
        ({"pessoa_fisica": "X"}, "pessoa_fisica"),
        ({"exterior": "talvez"}, "exterior"),
        ({"exterior": "N"}, "exterior"),
        ({"cnpj_cpf": "11.222.333/0001-81"}, "cnpj_cpf"),
    ],
)
def test_it_refuses_what_omie_would_not_take_naming_the_field(omie, credentials, changes, field):
    message = _fault(omie(credentials, "clientes", "IncluirCliente", {**FOREIGN_CLIENT, **changes}), 105)

    assert field in message
    assert not Party.objects.exists()


def test_pessoa_fisica_decides_the_kind_of_a_client_without_document(omie, credentials):
    param = {**FOREIGN_CLIENT, "razao_social": "John Smith", "pessoa_fisica": "S"}

    assert omie(credentials, "clientes", "IncluirCliente", param).status_code == 200
    assert Party.objects.get().person_type == "F"


def test_a_brazilian_client_keeps_the_kind_of_its_document_whatever_pessoa_fisica_says(omie, credentials):
    param = {"codigo_cliente_integracao": "BR-2", "razao_social": "Maria da Silva", "cnpj_cpf": "529.982.247-25",
             "estado": "SP", "pessoa_fisica": "N"}

    assert omie(credentials, "clientes", "IncluirCliente", param).status_code == 200
    assert Party.objects.get().person_type == "F"
