"""Values as integrations send them (issue 12, §5): tags as plain strings, the telephone as
typed, placeholders, numbers sent as text and text sent as numbers; and what a sync reads
back. Omie keeps CEP, telephone, e-mail, code and unit as text and answers them as they
were sent; the catalog stores them in one normal form (uniqueness, sharing, the pages) and
the API answers each record in the spelling its integration last sent, while that spelling
still means the stored value."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from catalog.models import Party, Product
from omieshare.lib import brazil
from tests.catalog.test_views_parties import edit_data
from tests.factories import ProductFactory, ProductFamilyFactory
from tests.helpers import share_between

pytestmark = pytest.mark.django_db

CLIENT = {
    "codigo_cliente_integracao": "ERP-CLI-0042137",
    "razao_social": "Panificadora Pão de Açúcar do Méier Ltda",
    "nome_fantasia": "Pão de Açúcar do Méier",
    "cnpj_cpf": "11.222.333/0001-81",
    "endereco": "Rua Dias da Cruz", "endereco_numero": "1280", "bairro": "Méier",
    "cidade": "Rio de Janeiro", "estado": "RJ",
}
PRODUCT = {
    "codigo_produto_integracao": "SKU-0098271", "descricao": "Café torrado e moído extraforte 500 g",
    "unidade": "UN", "ncm": "0901.21.00", "valor_unitario": 32.9,
}


def _fault(response, code: int) -> str:
    assert response.status_code == 500, response.content
    body = response.json()
    assert body["faultcode"] == f"SOAP-ENV:Client-{code}", body
    return body["faultstring"]


def _include_client(omie, credentials, **fields) -> dict:
    response = omie(credentials, "clientes", "IncluirCliente", {**CLIENT, **fields})
    assert response.status_code == 200, response.json()
    return response.json()


def _read_client(omie, credentials) -> tuple[dict, dict]:
    """The record as ConsultarCliente and as ListarClientes answer it."""
    key = {"codigo_cliente_integracao": CLIENT["codigo_cliente_integracao"]}
    consulted = omie(credentials, "clientes", "ConsultarCliente", key).json()
    listed = omie(credentials, "clientes", "ListarClientes", {"clientesFiltro": key}).json()["clientes_cadastro"]
    assert len(listed) == 1
    return consulted, listed[0]


def _client_page(login, member, company) -> str:
    party = Party.objects.get(company=company, code=CLIENT["codigo_cliente_integracao"])
    return login(member).get(reverse("catalog:party_detail", args=[company.pk, party.pk])).text


# --- tags -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tags", "is_client", "is_supplier", "free"),
    [
        (["Fornecedor"], False, True, []),
        (["VIP", {"tag": "Cliente"}], True, False, ["VIP"]),
        (["Cliente", "fornecedor", "Atacado São Paulo"], True, True, ["Atacado São Paulo"]),
        ([{"tag": "Fornecedor"}], False, True, []),
    ],
)
def test_it_takes_tags_as_plain_strings_as_well_as_objects(
    omie, credentials, company, tags, is_client, is_supplier, free
):
    _include_client(omie, credentials, tags=tags)

    party = Party.objects.get(company=company)
    assert (party.is_client, party.is_supplier, party.tags) == (is_client, is_supplier, free)
    consulted, listed = _read_client(omie, credentials)
    expected = [{"tag": "Cliente"}] * is_client + [{"tag": "Fornecedor"}] * is_supplier + [{"tag": t} for t in free]
    assert consulted["tags"] == listed["tags"] == expected


@pytest.mark.parametrize("tags", ["Fornecedor", {"tag": "Fornecedor"}, [["Fornecedor"]]])
def test_it_refuses_tags_that_are_not_a_list_of_tags(omie, credentials, tags):
    message = _fault(omie(credentials, "clientes", "IncluirCliente", {**CLIENT, "tags": tags}), 105)

    assert "tags" in message
    assert not Party.objects.exists()


# --- the telephone as typed -------------------------------------------------------------------


@pytest.mark.parametrize(
    "sent",
    [
        {"telefone1_numero": "(21) 99999-8888"},
        {"telefone1_numero": "21 99999-8888"},
        {"telefone1_numero": "+55 21 99999-8888"},
        {"telefone1_ddd": "(21)", "telefone1_numero": "99999-8888"},
        {"telefone1_ddd": "021", "telefone1_numero": "999998888"},
        {"telefone1_ddd": "21", "telefone1_numero": "(21) 99999-8888"},
    ],
)
def test_it_takes_the_telephone_as_typed_and_answers_it_as_sent(omie, credentials, company, login, member, sent):
    _include_client(omie, credentials, **sent)

    party = Party.objects.get(company=company)
    assert (party.phone_ddd, party.phone_number) == ("21", "999998888")
    for record in _read_client(omie, credentials):
        assert record["telefone1_numero"] == sent["telefone1_numero"]
        assert record["telefone1_ddd"] == sent.get("telefone1_ddd", "21")
    assert "(21) 99999-8888" in _client_page(login, member, company)


def test_it_answers_a_telephone_sent_as_numbers_as_omie_types_it(omie, credentials, company):
    _include_client(omie, credentials, telefone1_ddd=21, telefone1_numero=999998888)

    for record in _read_client(omie, credentials):
        assert (record["telefone1_ddd"], record["telefone1_numero"]) == ("21", "999998888")


def test_it_refuses_a_number_whose_ddd_contradicts_the_ddd_sent(omie, credentials):
    param = {**CLIENT, "telefone1_ddd": "11", "telefone1_numero": "(21) 99999-8888"}

    message = _fault(omie(credentials, "clientes", "IncluirCliente", param), 105)

    assert message == ("ERROR: O telefone (21) 99999-8888 traz o DDD 21, mas o DDD informado é 11: corrija um dos "
                       "dois. (campo telefone1_numero)")
    assert not Party.objects.exists()


def test_a_number_with_its_ddd_replaces_the_records_ddd_when_no_ddd_is_sent(omie, credentials, company):
    _include_client(omie, credentials, telefone1_ddd="11", telefone1_numero="3333-4444")

    altered = omie(credentials, "clientes", "AlterarCliente", {
        "codigo_cliente_integracao": CLIENT["codigo_cliente_integracao"], "telefone1_numero": "(21) 2555-1234"})

    assert altered.status_code == 200, altered.json()
    party = Party.objects.get(company=company)
    assert (party.phone_ddd, party.phone_number) == ("21", "25551234")
    for record in _read_client(omie, credentials):
        assert (record["telefone1_ddd"], record["telefone1_numero"]) == ("21", "(21) 2555-1234")


# --- placeholders -----------------------------------------------------------------------------


def test_it_keeps_placeholders_empty_and_answers_them_as_omie_does(omie, credentials, company, login, member):
    """Omie takes "00" / "000000000" / "00000000" and answers them back; they are no DDD,
    number or CEP, so the record keeps none (its page shows no telephone)."""
    _include_client(omie, credentials, telefone1_ddd="00", telefone1_numero="000000000", cep="00000000")

    party = Party.objects.get(company=company)
    assert (party.phone_ddd, party.phone_number, party.cep) == ("", "", "")
    for record in _read_client(omie, credentials):
        assert (record["telefone1_ddd"], record["telefone1_numero"], record["cep"]) == ("00", "000000000", "00000000")
    page = _client_page(login, member, company)
    assert "000000000" not in page and "00000-000" not in page


def test_it_refuses_a_placeholder_cnpj_cpf_as_omie_does(omie, credentials):
    """Omie validates cnpj_cpf (a test CNPJ with wrong check digits is a fault there too)."""
    message = _fault(omie(credentials, "clientes", "IncluirCliente", {**CLIENT, "cnpj_cpf": "000.000.000-00"}), 105)

    assert "cnpj_cpf" in message
    assert not Party.objects.exists()


# --- CEP and e-mail as sent -------------------------------------------------------------------


@pytest.mark.parametrize("cep", ["20735-040", "20735040", "20735 040"])
def test_it_answers_the_cep_as_it_was_sent(omie, credentials, company, login, member, cep):
    _include_client(omie, credentials, cep=cep)

    assert Party.objects.get(company=company).cep == "20735040"
    for record in _read_client(omie, credentials):
        assert record["cep"] == cep
    assert "20735-040" in _client_page(login, member, company)


def test_it_puts_back_the_leading_zero_of_a_cep_sent_as_a_number(omie, credentials, company):
    _include_client(omie, credentials, cep=1310100, estado="SP", cidade="São Paulo")

    assert Party.objects.get(company=company).cep == "01310100"
    for record in _read_client(omie, credentials):
        assert record["cep"] == "01310100"  # Omie's type for cep is text


def test_it_answers_the_email_as_it_was_sent(omie, credentials, company, login, member):
    _include_client(omie, credentials, email="Compras.Meier@PaoDeAcucar.com.br")

    assert Party.objects.get(company=company).email == "compras.meier@paodeacucar.com.br"
    for record in _read_client(omie, credentials):
        assert record["email"] == "Compras.Meier@PaoDeAcucar.com.br"
    assert "compras.meier@paodeacucar.com.br" in _client_page(login, member, company)


def test_a_change_made_in_the_page_is_what_the_integration_reads_next(omie, credentials, company, login, member):
    _include_client(omie, credentials, cep="20735-040", telefone1_numero="(21) 99999-8888")
    party = Party.objects.get(company=company)

    # An edit that leaves CEP and telephone alone: still answered as the integration sent them.
    login(member).post(reverse("catalog:party_edit", args=[company.pk, party.pk]),
                       edit_data(party, code=party.code, cep="20735-040", phone_ddd="21",
                                 phone_number="99999-8888", trade_name="Pão de Açúcar"))
    consulted, _ = _read_client(omie, credentials)
    assert (consulted["nome_fantasia"], consulted["cep"], consulted["telefone1_numero"]) == (
        "Pão de Açúcar", "20735-040", "(21) 99999-8888")

    # A new CEP and telephone typed in the page: the stored values, as a sync must see them.
    party.refresh_from_db()
    response = login(member).post(reverse("catalog:party_edit", args=[company.pk, party.pk]),
                                  edit_data(party, code=party.code, cep="20771-001", phone_ddd="21",
                                            phone_number="3333-4444"))
    assert response.status_code == 302, response.text
    for record in _read_client(omie, credentials):
        assert (record["cep"], record["telefone1_ddd"], record["telefone1_numero"]) == ("20771001", "21", "33334444")


def test_a_later_write_with_the_normal_form_forgets_the_earlier_spelling(omie, credentials):
    _include_client(omie, credentials, cep="20735-040")

    omie(credentials, "clientes", "UpsertCliente", {"codigo_cliente_integracao": CLIENT["codigo_cliente_integracao"],
                                                   "cep": "20735040"})

    for record in _read_client(omie, credentials):
        assert record["cep"] == "20735040"


# --- numbers as text, text as numbers (clients) --------------------------------------------------


def test_it_finds_a_client_by_its_omie_code_sent_as_text(omie, credentials, company):
    created = _include_client(omie, credentials)

    consulted = omie(credentials, "clientes", "ConsultarCliente",
                     {"codigo_cliente_omie": str(created["codigo_cliente_omie"])}).json()
    altered = omie(credentials, "clientes", "AlterarCliente",
                   {"codigo_cliente_omie": str(created["codigo_cliente_omie"]), "nome_fantasia": "Méier Pães"})

    assert consulted["codigo_cliente_omie"] == created["codigo_cliente_omie"] >= 1_000_000
    assert altered.status_code == 200, altered.json()
    assert Party.objects.get(company=company).trade_name == "Méier Pães"


@pytest.mark.parametrize("code", [4213788, 4213788.0, "4213788"])
def test_an_integration_code_sent_as_a_number_is_the_same_record(omie, credentials, company, code):
    """pandas writes a numeric column as 4213788.0: it is the code 4213788, not "4213788.0"."""
    assert _include_client(omie, credentials, codigo_cliente_integracao=code)["codigo_cliente_integracao"] == "4213788"

    upserted = omie(credentials, "clientes", "UpsertCliente", {"codigo_cliente_integracao": code, "cidade": "Niterói"})

    assert upserted.json()["descricao_status"] == "Cliente alterado com sucesso!"
    assert list(Party.objects.filter(company=company).values_list("code", "city")) == [("4213788", "Niterói")]


@pytest.mark.parametrize(
    "document",
    [
        brazil.cnpj_with_check_digits("029237100001"),  # a CNPJ that starts with 0
        brazil.cpf_with_check_digits("012345678"),  # a CPF that starts with 0
        brazil.cnpj_with_check_digits("112223330001"),
    ],
)
def test_it_puts_back_the_leading_zeros_of_a_cnpj_cpf_sent_as_a_number(omie, credentials, company, document):
    _include_client(omie, credentials, cnpj_cpf=int(document))

    assert Party.objects.get(company=company).cnpj_cpf == document
    upserted = omie(credentials, "clientes", "UpsertClienteCpfCnpj",
                    {"cnpj_cpf": int(document), "razao_social": CLIENT["razao_social"], "cidade": "Niterói"})
    assert upserted.json()["descricao_status"] == "Cliente alterado com sucesso!"
    consulted, _ = _read_client(omie, credentials)
    assert consulted["cnpj_cpf"] == brazil.mask_cpf_cnpj(document)


# --- products: code and unit as sent ----------------------------------------------------------


def _include_product(omie, credentials, **fields) -> dict:
    response = omie(credentials, "produtos", "IncluirProduto", {**PRODUCT, **fields})
    assert response.status_code == 200, response.json()
    return response.json()


def _read_product(omie, credentials) -> list[dict]:
    """The product as ConsultarProduto, ListarProdutos and ListarProdutosResumido answer it."""
    key = {"codigo_produto_integracao": PRODUCT["codigo_produto_integracao"]}
    listed = omie(credentials, "produtos", "ListarProdutos", {"produtosFiltro": key}).json()
    summary = omie(credentials, "produtos", "ListarProdutosResumido", {"produtosFiltro": key}).json()
    return [omie(credentials, "produtos", "ConsultarProduto", key).json(),
            *listed["produto_servico_cadastro"], *summary["produto_servico_resumido"]]


def test_it_answers_a_lowercase_code_and_unit_as_sent_and_keeps_them_unique(
    omie, credentials, company, login, member
):
    created = _include_product(omie, credentials, codigo="caf-ext-500", unidade="un")

    product = Product.objects.get(company=company)
    assert (product.code, product.unit) == ("CAF-EXT-500", "UN")
    records = _read_product(omie, credentials)
    assert [record["codigo"] for record in records] == ["caf-ext-500"] * 3
    assert [record["unidade"] for record in records[:2]] == ["un"] * 2
    for typed in ("caf-ext-500", "CAF-EXT-500", "Caf-Ext-500"):
        found = omie(credentials, "produtos", "ConsultarProduto", {"codigo": typed}).json()
        assert found["codigo_produto"] == created["codigo_produto"]
    page = login(member).get(reverse("catalog:product_detail", args=[company.pk, product.pk])).text
    assert "CAF-EXT-500" in page
    # One code whatever its case, as before: a second product cannot take it.
    message = _fault(omie(credentials, "produtos", "IncluirProduto",
                          {**PRODUCT, "codigo_produto_integracao": "SKU-0098272", "codigo": "CAF-EXT-500"}), 102)
    assert "CAF-EXT-500" in message


def test_a_code_spelled_in_lowercase_still_shares_with_the_same_code_elsewhere(omie, credentials, company,
                                                                               other_company):
    theirs = ProductFactory(company=other_company, code="CAF-EXT-500", description="Café extraforte")
    _include_product(omie, credentials, codigo="caf-ext-500")

    share_between(company, other_company, registries=["product"])

    theirs.refresh_from_db()
    assert theirs.description == PRODUCT["descricao"]  # matched by code, then overwritten
    assert Product.objects.filter(company=other_company).count() == 1


# --- numbers as text, text as numbers (products) -------------------------------------------------


def test_it_takes_numbers_sent_as_text_and_text_sent_as_numbers(omie, credentials, company):
    family = ProductFamilyFactory(company=company, name="Cafés Especiais")
    _include_product(
        omie, credentials, codigo_produto_integracao=98271, codigo=456, valor_unitario="12.50",
        codigo_familia=str(family.pk), ncm=9012100, cest=100100, tipoItem="4",
        recomendacoes_fiscais={"origem_mercadoria": 0},
    )

    product = Product.objects.get(company=company)
    assert (product.integration_code, product.code, str(product.price)) == ("98271", "456", "12.50")
    assert (product.family, product.ncm, product.cest, product.item_type) == (family, "09012100", "0100100", "04")
    consulted = omie(credentials, "produtos", "ConsultarProduto", {"codigo_produto_integracao": 98271.0}).json()
    assert (consulted["codigo"], consulted["ncm"], consulted["cest"]) == ("456", "0901.21.00", "01.001.00")
    assert consulted["valor_unitario"] == 12.5 and consulted["codigo_familia"] == family.pk


@pytest.mark.parametrize(("price", "stored"), [("12.5", "12.50"), ("1.234,56", "1234.56"), (12, "12.00")])
def test_it_reads_a_price_sent_as_text_or_as_a_number(omie, credentials, company, price, stored):
    _include_product(omie, credentials, valor_unitario=price)

    assert str(Product.objects.get(company=company).price) == stored


def test_it_refuses_a_code_that_is_not_a_number_at_all(omie, credentials):
    message = _fault(omie(credentials, "produtos", "IncluirProduto", {**PRODUCT, "codigo": float("nan")}), 105)

    assert "codigo" in message
    assert not Product.objects.exists()


def test_the_spellings_of_a_listing_page_cost_one_query_whatever_its_size(omie, credentials, company):
    def include(first: int, count: int) -> None:
        for n in range(first, first + count):
            _include_client(omie, credentials, codigo_cliente_integracao=f"ERP-CLI-{n:07d}",
                            cnpj_cpf=brazil.cnpj_with_check_digits(f"{11222333 + n:08d}0001"),
                            cep=f"20735-{n:03d}", telefone1_numero=f"(21) 99999-{n:04d}")

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            body = omie(credentials, "clientes", "ListarClientes", {"registros_por_pagina": 50}).json()
        assert all(c["cep"].startswith("20735-") for c in body["clientes_cadastro"])
        return len(captured)

    include(1, 3)
    few = queries()
    include(4, 27)
    assert queries() == few
