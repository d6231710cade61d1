"""Omie's list filters: each narrows the list; an unknown one is refused, never ignored."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from catalog import services
from catalog.models import Party, Product
from omieshare.lib.brazil import cnpj_with_check_digits
from tests.factories import PartyFactory, ProductFactory, ProductFamilyFactory, valid_cnpj, valid_cpf

pytestmark = pytest.mark.django_db


def _product_codes(omie, credentials, param):
    response = omie(credentials, "produtos", "ListarProdutosResumido", param)
    if response.status_code != 200:
        assert response.json()["faultcode"] == "SOAP-ENV:Client-5113", response.content
        return []
    return [p["codigo"] for p in response.json()["produto_servico_resumido"]]


def _client_codes(omie, credentials, param):
    response = omie(credentials, "clientes", "ListarClientesResumido", param)
    if response.status_code != 200:
        assert response.json()["faultcode"] == "SOAP-ENV:Client-5113", response.content
        return []
    return [c["codigo_cliente_integracao"] for c in response.json()["clientes_cadastro_resumido"]]


def _fault(response, code: int) -> str:
    assert response.status_code == 500, response.content
    assert response.json()["faultcode"] == f"SOAP-ENV:Client-{code}"
    return response.json()["faultstring"]


def test_the_calendars_last_day_is_no_upper_bound(omie, credentials, company):
    ProductFactory(company=company, code="A")

    assert _product_codes(omie, credentials, {"filtrar_por_data_ate": "31/12/9999"}) == ["A"]
    assert _product_codes(omie, credentials, {"filtrar_por_data_de": "01/01/2000",
                                              "filtrar_por_data_ate": "31/12/9999",
                                              "filtrar_por_hora_ate": "23:59:59"}) == ["A"]


def test_it_filters_clients_by_code_list(omie, credentials, company):
    first = PartyFactory(company=company, code="X")
    PartyFactory(company=company, code="Y")
    PartyFactory(company=company, code="Z")

    assert _client_codes(omie, credentials, {"clientesPorCodigo": [{"codigo_cliente_omie": first.pk}]}) == ["X"]
    assert _client_codes(omie, credentials, {"clientesPorCodigo": [{"codigo_cliente_integracao": "Z"},
                                                                   {"codigo_cliente_omie": first.pk}]}) == ["X", "Z"]


def test_it_filters_products_by_family_type_and_active(omie, credentials, company):
    family = ProductFamilyFactory(company=company)
    ProductFactory(company=company, code="FAM", family=family.pk, item_type="04")
    ProductFactory(company=company, code="OFF", item_type="00", active=False)
    ProductFactory(company=company, code="ON", item_type="00")
    ProductFactory(company=company, code="OTHER", item_type="07")

    assert _product_codes(omie, credentials, {"filtrar_apenas_familia": family.pk}) == ["FAM"]
    assert _product_codes(omie, credentials, {"filtrar_apenas_tipo": "4"}) == ["FAM"]
    assert _product_codes(omie, credentials, {"filtrar_apenas_tipo": "00", "inativo": "N"}) == ["ON"]
    assert _product_codes(omie, credentials, {"inativo": "S"}) == ["OFF"]
    assert _product_codes(omie, credentials, {"produtosPorCodigo": [{"codigo": "on"}]}) == ["ON"]


def test_it_filters_the_description_with_omies_percent_rule(omie, credentials, company):
    for code, description in (("P1", "Caneta azul"), ("P2", "Refil de caneta"), ("P3", "Estojo caneta lápis")):
        ProductFactory(company=company, code=code, description=description)

    assert _product_codes(omie, credentials, {"filtrar_apenas_descricao": "Caneta%"}) == ["P1"]
    assert _product_codes(omie, credentials, {"filtrar_apenas_descricao": "%caneta"}) == ["P2"]
    assert _product_codes(omie, credentials, {"filtrar_apenas_descricao": "%caneta%"}) == ["P1", "P2", "P3"]
    assert _product_codes(omie, credentials, {"filtrar_apenas_descricao": "caneta"}) == ["P1", "P2", "P3"]


def _at(day: str, hour: str) -> datetime:
    return timezone.make_aware(datetime.strptime(f"{day} {hour}", "%d/%m/%Y %H:%M:%S"))


def test_it_filters_creations_or_changes_in_the_window_with_hours(omie, credentials, company):
    created_in = ProductFactory(company=company, code="NEW")
    changed_in = ProductFactory(company=company, code="CHANGED")
    outside = ProductFactory(company=company, code="LATE")
    Product.objects.filter(pk=created_in.pk).update(created_at=_at("10/03/2026", "10:00:00"),
                                                    updated_at=_at("10/03/2026", "10:00:00"), version=1)
    Product.objects.filter(pk=changed_in.pk).update(created_at=_at("01/01/2026", "08:00:00"),
                                                    updated_at=_at("10/03/2026", "11:00:00"), version=3)
    Product.objects.filter(pk=outside.pk).update(created_at=_at("10/03/2026", "10:00:00"),
                                                 updated_at=_at("10/03/2026", "18:00:00"), version=2)
    window = {"filtrar_por_data_de": "10/03/2026", "filtrar_por_hora_de": "09:00:00",
              "filtrar_por_data_ate": "10/03/2026", "filtrar_por_hora_ate": "12:00:00"}

    assert _product_codes(omie, credentials, window) == ["NEW", "CHANGED"]
    assert _product_codes(omie, credentials, {**window, "filtrar_apenas_inclusao": "S"}) == ["NEW", "LATE"]
    assert _product_codes(omie, credentials, {**window, "filtrar_apenas_alteracao": "S"}) == ["CHANGED"]
    assert _product_codes(omie, credentials, {**window, "filtrar_por_hora_ate": "10:00:00"}) == ["NEW"]


def test_it_filters_clients_created_in_the_window(omie, credentials, company):
    old = PartyFactory(company=company, code="OLD")
    PartyFactory(company=company, code="TODAY")
    Party.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=30))
    today = timezone.localdate().strftime("%d/%m/%Y")

    assert _client_codes(omie, credentials, {"filtrar_por_data_de": today, "filtrar_apenas_inclusao": "S"}) == [
        "TODAY"
    ]


@pytest.mark.parametrize(
    ("endpoint", "call", "param", "tag", "type_name"),
    [
        ("produtos", "ListarProdutos", {"filtrar_apenas_omiepdv": "N", "filtrar_por_marca": "Tramontina"},
         "FILTRAR_POR_MARCA", "produto_servico_list_request"),
        ("produtos", "ListarProdutosResumido", {"produtosFiltro": {"marca": "X"}}, "MARCA", "produtosFiltro"),
        ("clientes", "ListarClientes", {"filtrar_por_vendedor": 3}, "FILTRAR_POR_VENDEDOR", "clientes_list_request"),
        ("clientes", "ListarClientesResumido", {"clientesFiltro": {"bairro_entrega": "Centro"}}, "BAIRRO_ENTREGA",
         "clientesFiltro"),
    ],
)
def test_it_refuses_a_filter_it_does_not_know(omie, credentials, company, endpoint, call, param, tag, type_name):
    ProductFactory(company=company)
    PartyFactory(company=company)

    message = _fault(omie(credentials, endpoint, call, param), 5001)

    assert message == f"ERROR: Tag [{tag}] não faz parte da estrutura do tipo complexo [{type_name}]!"


def test_write_calls_refuse_a_tag_outside_omies_structure(omie, credentials, company):
    # Accepted and dropped, a field the integration meant to store is lost without a word
    # (issue 12): Omie refuses it, and so do we (tests/api/test_omie_fields.py for more).
    response = omie(credentials, "clientes", "IncluirCliente",
                    {"codigo_cliente_integracao": "C", "razao_social": "A", "campo_novo": 1})

    assert response.json()["faultcode"] == "SOAP-ENV:Client-5001"


def test_it_orders_as_asked_and_refuses_an_order_it_does_not_know(omie, credentials, company):
    for code, description in (("B", "Caneta"), ("A", "Borracha"), ("C", "Apontador")):
        ProductFactory(company=company, code=code, description=description)

    by_id = _product_codes(omie, credentials, {})
    by_description = _product_codes(omie, credentials, {"ordenar_por": "DESCRICAO"})
    by_code_descending = _product_codes(omie, credentials, {"ordenar_por": "codigo_produto",
                                                            "ordem_decrescente": "S"})
    second_page = _product_codes(omie, credentials, {"ordenar_por": "DESCRICAO", "registros_por_pagina": 2,
                                                     "pagina": 2})
    unknown = omie(credentials, "produtos", "ListarProdutos", {"ordenar_por": "PRECO"})

    assert by_id == ["B", "A", "C"]
    assert by_description == ["C", "A", "B"]
    assert by_code_descending == ["C", "B", "A"]
    assert second_page == ["B"]
    assert "ordenar_por" in _fault(unknown, 105) and "DESCRICAO" in _fault(unknown, 105)


def _all_client_codes(omie, credentials, param) -> list[str]:
    """Every page, as an integration reads a list to its 5113."""
    codes, page = [], 1
    while True:
        response = omie(credentials, "clientes", "ListarClientesResumido",
                        {**param, "pagina": page, "registros_por_pagina": 100})
        if response.status_code != 200:
            assert response.json()["faultcode"] == "SOAP-ENV:Client-5113", response.content
            return codes
        codes += [c["codigo_cliente_integracao"] for c in response.json()["clientes_cadastro_resumido"]]
        page += 1


def test_it_lists_the_suppliers_by_their_tag_as_integrations_ask(omie, credentials, company):
    # The shape of a real account a public integration reports: 919 records, 648 suppliers.
    rows = []
    for n in range(919):
        supplier = (n + 1) * 648 // 919 > n * 648 // 919  # 648 suppliers spread over the 919
        rows.append({
            "code": f"{'FOR' if supplier else 'CLI'}-{n:04d}", "legal_name": f"Distribuidora Guaçu {n:04d} Ltda",
            "cnpj_cpf": cnpj_with_check_digits(f"{31_000_000 + n:08d}0001"),
            "is_supplier": supplier, "is_client": not supplier or n % 5 == 0,
            "tags": ["Atacado Sul"] if n % 7 == 0 else [],
        })
    services.party_bulk_create(company=company, rows=rows, source="test")
    suppliers = sorted(r["code"] for r in rows if r["is_supplier"])
    wholesale_suppliers = sorted(r["code"] for r in rows if r["is_supplier"] and r["tags"])

    as_objects = _all_client_codes(omie, credentials, {"clientesFiltro": {"tags": [{"tag": "Fornecedor"}]}})
    as_strings = _all_client_codes(omie, credentials, {"clientesFiltro": {"tags": ["fornecedor"]}})
    both_tags = _all_client_codes(omie, credentials, {"clientesFiltro": {"tags": [{"tag": "Fornecedor"},
                                                                                   {"tag": "atacado sul"}]}})
    clients = _all_client_codes(omie, credentials, {"clientesFiltro": {"tags": [{"tag": "Cliente"}]}})

    assert len(suppliers) == 648
    assert sorted(as_objects) == suppliers
    assert sorted(as_strings) == suppliers
    assert sorted(both_tags) == wholesale_suppliers  # each tag narrows, as every other filter
    assert sorted(clients) == sorted(r["code"] for r in rows if r["is_client"])


def test_it_refuses_tags_in_another_shape(omie, credentials, company):
    PartyFactory(company=company)

    not_a_list = omie(credentials, "clientes", "ListarClientes", {"clientesFiltro": {"tags": {"tag": "Fornecedor"}}})
    nested = omie(credentials, "clientes", "ListarClientes", {"clientesFiltro": {"tags": [{"tag": ["Fornecedor"]}]}})

    assert "clientesFiltro.tags" in _fault(not_a_list, 105)
    assert "clientesFiltro.tags" in _fault(nested, 105)


def test_it_filters_clients_by_address_district_and_cep(omie, credentials, company):
    PartyFactory(company=company, code="PAULISTA", street="Avenida Paulista", district="Bela Vista",
                 cep="01310-100")
    PartyFactory(company=company, code="AUGUSTA", street="Rua Augusta", district="Consolação", cep="01305000")
    PartyFactory(company=company, code="JARDINS", street="Alameda Santos", district="Jardim Paulista",
                 cep="01419002")

    assert _client_codes(omie, credentials, {"clientesFiltro": {"endereco": "paulista"}}) == ["PAULISTA"]
    assert _client_codes(omie, credentials, {"clientesFiltro": {"bairro": "paulista"}}) == ["JARDINS"]
    assert _client_codes(omie, credentials, {"clientesFiltro": {"bairro": "CONSOLAÇÃO"}}) == ["AUGUSTA"]
    assert _client_codes(omie, credentials, {"clientesFiltro": {"cep": "01310-100"}}) == ["PAULISTA"]
    assert _client_codes(omie, credentials, {"clientesFiltro": {"cep": "01310100"}}) == ["PAULISTA"]
    assert _client_codes(omie, credentials, {"clientesFiltro": {"cep": "01.305-000"}}) == ["AUGUSTA"]
    assert _client_codes(omie, credentials, {"clientesFiltro": {"endereco": "Rua", "bairro": "Bela"}}) == []
    assert "clientesFiltro.cep" in _fault(omie(credentials, "clientes", "ListarClientes",
                                               {"clientesFiltro": {"cep": "1310-100"}}), 105)


def test_it_filters_individuals_and_companies(omie, credentials, company):
    PartyFactory(company=company, code="JOSÉ", legal_name="José da Conceição", cnpj_cpf=valid_cpf())
    PartyFactory(company=company, code="MERCADO", legal_name="Mercadinho Conceição Ltda", cnpj_cpf=valid_cnpj())

    assert _client_codes(omie, credentials, {"clientesFiltro": {"pessoa_fisica": "S"}}) == ["JOSÉ"]
    assert _client_codes(omie, credentials, {"clientesFiltro": {"pessoa_fisica": "N"}}) == ["MERCADO"]
    assert "pessoa_fisica" in _fault(omie(credentials, "clientes", "ListarClientes",
                                          {"clientesFiltro": {"pessoa_fisica": "F"}}), 105)


def test_it_filters_inactive_clients_at_the_top_level_too(omie, credentials, company):
    PartyFactory(company=company, code="ATIVO")
    PartyFactory(company=company, code="INATIVO", active=False)

    assert _client_codes(omie, credentials, {"inativo": "N"}) == ["ATIVO"]
    assert _client_codes(omie, credentials, {"inativo": "S"}) == ["INATIVO"]
    assert _client_codes(omie, credentials, {"clientesFiltro": {"inativo": "S"}}) == ["INATIVO"]
    assert _client_codes(omie, credentials, {"inativo": "N", "clientesFiltro": {"inativo": "S"}}) == []


def test_it_filters_products_by_ncm_and_ean_at_the_top_level(omie, credentials, company):
    ProductFactory(company=company, code="NOTE", ncm="84713012", ean="7891000315507")
    ProductFactory(company=company, code="PARAFUSO", ncm="73181500", ean="")

    assert _product_codes(omie, credentials, {"ncm": "7318.15.00"}) == ["PARAFUSO"]
    assert _product_codes(omie, credentials, {"ean": "07891000315507"}) == ["NOTE"]
    assert _product_codes(omie, credentials, {"ncm": "73181500", "produtosFiltro": {"ean": "7891000315507"}}) == []


def test_it_filters_products_by_characteristics(omie, credentials, company):
    ProductFactory(company=company, code="CAMISETA-AZUL", characteristics={"Cor": "Azul-petróleo", "Tamanho": "G"})
    ProductFactory(company=company, code="CAMISETA-VERDE", characteristics={"Cor": "Verde", "Tamanho": "G"})
    ProductFactory(company=company, code="CANECA", characteristics={"Material": "Cerâmica"})

    def codes(*items):
        return _product_codes(omie, credentials, {"caracteristicas": list(items)})

    assert codes({"cNomeCaract": "cor", "cConteudo": "AZUL-PETRÓLEO"}) == ["CAMISETA-AZUL"]
    assert codes({"cNomeCaract": "Tamanho", "cConteudo": "G"}) == ["CAMISETA-AZUL", "CAMISETA-VERDE"]
    assert codes({"cNomeCaract": "Tamanho"}, {"cNomeCaract": "Cor", "cConteudo": "Verde"}) == ["CAMISETA-VERDE"]
    assert codes({"cNomeCaract": "Material", "cExibirItemNF": "S"}) == ["CANECA"]
    assert codes({"cNomeCaract": "Voltagem"}) == []
    assert "cNomeCaract" in _fault(omie(credentials, "produtos", "ListarProdutos",
                                        {"caracteristicas": [{"cConteudo": "Azul"}]}), 5)
