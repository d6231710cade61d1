"""clientes_cadastro through /api/v1/geral/clientes/."""

from __future__ import annotations

import pytest

from catalog.models import Party
from tests.factories import PartyFactory, SalespersonFactory

pytestmark = pytest.mark.django_db

ACME = {
    "codigo_cliente_integracao": "CLI-1",
    "razao_social": "ACME Comércio Ltda",
    "nome_fantasia": "ACME",
    "cnpj_cpf": "11.222.333/0001-81",
    "endereco": "Rua das Flores",
    "endereco_numero": "100",
    "complemento": "Sala 2",
    "bairro": "Centro",
    "cidade": "São Paulo",
    "estado": "sp",
    "cep": "01310-100",
    "codigo_pais": "1058",
    "telefone1_ddd": "11",
    "telefone1_numero": "3333-4444",
    "email": "Compras@ACME.com.br",
    "tags": [{"tag": "Cliente"}, {"tag": "Fornecedor"}, {"tag": "Atacado"}],
    "caracteristicas": [{"campo": "Segmento", "conteudo": "Varejo"}],
    "inativo": "N",
}


def test_it_includes_a_client_with_every_shared_field(omie, credentials, company):
    response = omie(credentials, "clientes", "IncluirCliente", ACME)

    assert response.status_code == 200
    body = response.json()
    party = Party.objects.get(company=company, code="CLI-1")
    assert body == {
        "codigo_cliente_omie": party.pk,
        "codigo_cliente_integracao": "CLI-1",
        "codigo_status": "0",
        "descricao_status": "Cliente cadastrado com sucesso!",
    }
    assert party.cnpj_cpf == "11222333000181" and party.legal_name == "ACME Comércio Ltda"
    assert (party.street, party.number, party.complement) == ("Rua das Flores", "100", "Sala 2")
    assert party.district == "Centro"
    assert (party.city, party.state, party.cep) == ("São Paulo", "SP", "01310100")
    assert (party.phone_ddd, party.phone_number, party.email) == ("11", "33334444", "compras@acme.com.br")
    assert party.is_client and party.is_supplier and party.tags == ["Atacado"]
    assert party.characteristics == {"Segmento": "Varejo"} and party.active


def test_it_consults_by_omie_code_and_by_integration_code(omie, credentials):
    created = omie(credentials, "clientes", "IncluirCliente", ACME).json()

    by_id = omie(credentials, "clientes", "ConsultarCliente", {"codigo_cliente_omie": created["codigo_cliente_omie"]})
    by_code = omie(credentials, "clientes", "ConsultarCliente", {"codigo_cliente_integracao": "CLI-1"})

    assert by_id.status_code == by_code.status_code == 200
    record = by_id.json()
    assert record == by_code.json()
    assert record["cnpj_cpf"] == "11.222.333/0001-81"
    assert record["razao_social"] == "ACME Comércio Ltda"
    assert record["pessoa_fisica"] == "N"
    assert {"tag": "Fornecedor"} in record["tags"] and {"tag": "Atacado"} in record["tags"]
    assert record["caracteristicas"] == [{"campo": "Segmento", "conteudo": "Varejo"}]
    assert record["inativo"] == "N" and record["info"]["importado_api"] == "S"


def test_it_alters_only_the_fields_sent(omie, credentials, company):
    omie(credentials, "clientes", "IncluirCliente", ACME)

    response = omie(credentials, "clientes", "AlterarCliente",
                    {"codigo_cliente_integracao": "CLI-1", "nome_fantasia": "ACME Novo", "inativo": "S"})

    assert response.status_code == 200
    assert response.json()["descricao_status"] == "Cliente alterado com sucesso!"
    party = Party.objects.get(company=company, code="CLI-1")
    assert party.trade_name == "ACME Novo" and not party.active
    assert party.legal_name == "ACME Comércio Ltda"


def test_it_upserts_by_integration_code(omie, credentials, company):
    first = omie(credentials, "clientes", "UpsertCliente", {"codigo_cliente_integracao": "U1", "razao_social": "Um"})
    second = omie(credentials, "clientes", "UpsertCliente", {"codigo_cliente_integracao": "U1", "razao_social": "Um B"})

    assert first.json()["descricao_status"] == "Cliente cadastrado com sucesso!"
    assert second.json()["descricao_status"] == "Cliente alterado com sucesso!"
    assert first.json()["codigo_cliente_omie"] == second.json()["codigo_cliente_omie"]
    assert Party.objects.get(company=company, code="U1").legal_name == "Um B"


def test_it_upserts_by_cpf_cnpj(omie, credentials, company):
    existing = PartyFactory(company=company, cnpj_cpf="52998224725", legal_name="Maria")

    update = omie(credentials, "clientes", "UpsertClienteCpfCnpj", {"cnpj_cpf": "529.982.247-25", "email": "m@x.com"})
    create = omie(credentials, "clientes", "UpsertClienteCpfCnpj",
                  {"cnpj_cpf": "11.444.777/0001-61", "razao_social": "Nova Ltda"})

    assert update.json()["codigo_cliente_omie"] == existing.pk
    assert Party.objects.get(pk=existing.pk).email == "m@x.com"
    assert create.json()["descricao_status"] == "Cliente cadastrado com sucesso!"
    assert Party.objects.get(company=company, cnpj_cpf="11444777000161").legal_name == "Nova Ltda"


def test_it_deletes(omie, credentials, company):
    created = omie(credentials, "clientes", "IncluirCliente", ACME).json()

    response = omie(credentials, "clientes", "ExcluirCliente", {"codigo_cliente_omie": created["codigo_cliente_omie"]})

    assert response.status_code == 200
    assert response.json()["descricao_status"] == "Cliente excluído com sucesso!"
    assert not Party.objects.filter(pk=created["codigo_cliente_omie"]).exists()  # more in test_deletion.py


def test_it_lists_clients_with_omies_envelope(omie, credentials, company):
    parties = [PartyFactory(company=company) for _ in range(3)]

    full = omie(credentials, "clientes", "ListarClientes", {"pagina": 1, "registros_por_pagina": 2}).json()
    summary = omie(credentials, "clientes", "ListarClientesResumido", {"pagina": 2, "registros_por_pagina": 2}).json()

    assert full["pagina"] == 1 and full["total_de_paginas"] == 2
    assert full["registros"] == 2 and full["total_de_registros"] == 3
    assert [c["codigo_cliente_omie"] for c in full["clientes_cadastro"]] == [p.pk for p in parties[:2]]
    assert summary["registros"] == 1
    assert summary["clientes_cadastro_resumido"] == [
        {
            "codigo_cliente": parties[2].pk,
            "codigo_cliente_integracao": "",
            "razao_social": parties[2].legal_name,
            "nome_fantasia": parties[2].trade_name,
            "cnpj_cpf": parties[2].cnpj_cpf_masked,
        }
    ]


def test_it_filters_clients(omie, credentials, company):
    acme = PartyFactory(company=company, legal_name="ACME Ltda", cnpj_cpf="11222333000181", code="A")
    PartyFactory(company=company, legal_name="Beta S.A.")
    omie(credentials, "clientes", "IncluirCliente", {"codigo_cliente_integracao": "API", "razao_social": "Via API"})

    def codes(param):
        body = omie(credentials, "clientes", "ListarClientesResumido", param).json()
        return [c["razao_social"] for c in body["clientes_cadastro_resumido"]]

    assert codes({"clientesFiltro": {"razao_social": "acme"}}) == ["ACME Ltda"]
    assert codes({"clientesFiltro": {"cnpj_cpf": "11.222.333/0001-81"}}) == ["ACME Ltda"]
    assert codes({"clientesFiltro": {"codigo_cliente_integracao": "A"}}) == ["ACME Ltda"]
    assert codes({"clientesFiltro": {"codigo_cliente_omie": acme.pk}}) == ["ACME Ltda"]
    assert codes({"apenas_importado_api": "S"}) == ["Via API"]


def test_a_blank_integration_code_on_an_update_by_omie_code_keeps_it(omie, credentials, company):
    created = omie(credentials, "clientes", "IncluirCliente", ACME).json()

    response = omie(credentials, "clientes", "AlterarCliente", {
        "codigo_cliente_omie": created["codigo_cliente_omie"], "codigo_cliente_integracao": "",
        "nome_fantasia": "ACME Nova",
    })

    assert response.status_code == 200, response.content
    assert response.json()["codigo_cliente_integracao"] == ACME["codigo_cliente_integracao"]
    party = Party.objects.get(pk=created["codigo_cliente_omie"])
    assert (party.code, party.trade_name) == (ACME["codigo_cliente_integracao"], "ACME Nova")


def test_tags_sent_on_an_update_never_clear_the_supplier_or_client_role(omie, credentials, company):
    supplier = PartyFactory(company=company, code="F1", is_supplier=True, is_client=False, tags=["Antigo"])

    response = omie(credentials, "clientes", "AlterarCliente", {"codigo_cliente_integracao": "F1",
                                                                "tags": [{"tag": "VIP"}]})

    assert response.status_code == 200, response.content
    supplier.refresh_from_db()
    assert (supplier.is_supplier, supplier.is_client, supplier.tags) == (True, False, ["VIP"])
    tags = omie(credentials, "clientes", "ConsultarCliente", {"codigo_cliente_integracao": "F1"}).json()["tags"]
    assert tags == [{"tag": "Fornecedor"}, {"tag": "VIP"}]


def test_a_role_tag_sent_on_an_update_adds_the_role(omie, credentials, company):
    supplier = PartyFactory(company=company, code="F1", is_supplier=True, is_client=False)

    omie(credentials, "clientes", "AlterarCliente", {"codigo_cliente_integracao": "F1", "tags": [{"tag": "Cliente"}]})

    supplier.refresh_from_db()
    assert (supplier.is_supplier, supplier.is_client) == (True, True)


@pytest.mark.parametrize("value", [{"a": 1}, ["x"]])
def test_an_object_or_list_where_text_goes_is_refused_naming_the_field(omie, credentials, company, value):
    response = omie(credentials, "clientes", "IncluirCliente",
                    {"codigo_cliente_integracao": "C", "razao_social": "A", "nome_fantasia": value})

    assert response.status_code == 500
    assert response.json()["faultcode"] == "SOAP-ENV:Client-105"
    assert "nome_fantasia" in response.json()["faultstring"]
    assert not Party.objects.exists()


def test_it_takes_and_answers_the_salesperson_under_recomendacoes_as_omie_does(omie, credentials, company):
    salesperson = SalespersonFactory(company=company)

    response = omie(credentials, "clientes", "IncluirCliente", {
        "codigo_cliente_integracao": "V1", "razao_social": "Com vendedor",
        "recomendacoes": {"codigo_vendedor": salesperson.pk},
    })

    assert response.status_code == 200, response.content
    assert list(Party.objects.get(code="V1").salespeople.values_list("pk", flat=True)) == [salesperson.pk]
    record = omie(credentials, "clientes", "ConsultarCliente", {"codigo_cliente_integracao": "V1"}).json()
    assert record["recomendacoes"]["codigo_vendedor"] == salesperson.pk
    assert record["codigo_vendedor"] == salesperson.pk
    listed = omie(credentials, "clientes", "ListarClientes", {}).json()["clientes_cadastro"][0]
    assert listed["recomendacoes"]["codigo_vendedor"] == salesperson.pk
