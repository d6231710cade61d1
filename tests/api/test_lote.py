"""IncluirClientesPorLote, UpsertClientesPorLote, IncluirProdutosPorLote, UpsertProdutosPorLote.

Payloads in the shapes public integrations send (Omie's documented example, a Python
exporter that sends `param` as a bare object with `"lote": "0"`, lotes of 50)."""

from __future__ import annotations

import json

import pytest

from api.services import credential_issue
from catalog.models import Party, Product, ProductFamily
from sharing.models import Change
from sharing.services import Permissions
from tests.factories import CompanyFactory, PartyFactory, ProductFactory, valid_cnpj
from tests.helpers import ALL, NONE, apply_pending, party_in, share_between

pytestmark = pytest.mark.django_db


def _product(code: str, **fields) -> dict:
    return {
        "codigo_produto_integracao": code, "codigo": code, "descricao": f"Parafuso sextavado inox {code}",
        "unidade": "UN", "ncm": "7318.15.00", "valor_unitario": 0.35, **fields,
    }


def _client(code: str, document: str, **fields) -> dict:
    return {
        "codigo_cliente_integracao": code, "razao_social": f"Distribuidora São João {code} Comércio de Ferragens Ltda",
        "nome_fantasia": "São João Ferragens", "cnpj_cpf": document, "email": f"compras.{code.lower()}@saojoao.com.br",
        "cidade": "Ribeirão Preto", "estado": "SP", **fields,
    }


def test_it_includes_omies_example_lote_and_answers_a_status_for_each_client(omie, credentials, company):
    # The example of Omie's documentation for IncluirClientesPorLote.
    lote = {"lote": 1, "clientes_cadastro": [
        {"codigo_cliente_integracao": "CodigoInterno0001", "email": "primeiro@cliente.com.br",
         "nome_fantasia": "Primeiro Cliente", "razao_social": "Primeiro Cliente  Ltda Me"},
        {"codigo_cliente_integracao": "CodigoInterno0002", "email": "segundo@cliente.com.br",
         "nome_fantasia": "Segundo Cliente", "razao_social": "Segundo Cliente  Ltda Me"},
    ]}

    response = omie(credentials, "clientes", "IncluirClientesPorLote", lote)

    assert response.status_code == 200, response.json()
    first, second = Party.objects.filter(company=company).order_by("code")
    assert response.json() == {
        "lote": 1,
        "codigo_status": "0",
        "descricao_status": "Lote 1 processado com sucesso. Clientes gravados: 2.",
        "clientes_status": [
            {"codigo_cliente_omie": first.pk, "codigo_cliente_integracao": "CodigoInterno0001",
             "codigo_status": "0", "descricao_status": "Cliente cadastrado com sucesso!"},
            {"codigo_cliente_omie": second.pk, "codigo_cliente_integracao": "CodigoInterno0002",
             "codigo_status": "0", "descricao_status": "Cliente cadastrado com sucesso!"},
        ],
    }
    assert first.pk >= 1_000_000
    consulted = omie(credentials, "clientes", "ConsultarCliente", {"codigo_cliente_integracao": "CodigoInterno0002"})
    assert consulted.json()["email"] == "segundo@cliente.com.br"
    assert consulted.json()["info"]["cImpAPI"] == "S"


def test_a_bad_product_does_not_sink_the_good_ones_and_gets_the_fault_its_single_call_gets(
    omie, credentials, company
):
    held = ProductFactory(company=company, code="PRF-0099", integration_code="ERP-0099")
    bad_ncm = _product("ERP-0002", ncm="123")
    taken = _product("ERP-0099", codigo="PRF-9999")
    records = [_product("ERP-0001"), bad_ncm, _product("ERP-0003"), taken, _product("ERP-0004")]

    answer = omie(credentials, "produtos", "IncluirProdutosPorLote",
                  {"lote": 7, "produto_servico_cadastro": records}).json()

    assert answer["lote"] == 7 and answer["codigo_status"] == "11"
    assert answer["descricao_status"].startswith(
        "Lote 7 processado com erros. Produtos gravados: 3 de 5; recusados: 2 (veja produto_servico_status): "
        "[ERP-0002] "
    )
    statuses = answer["produto_servico_status"]
    assert [s["codigo_status"] for s in statuses] == ["0", "105", "0", "102", "0"]
    assert [s["codigo_produto_integracao"] for s in statuses] == ["ERP-0001", "ERP-0002", "ERP-0003", "ERP-0099",
                                                                   "ERP-0004"]
    # The good ones are stored and consultable by the id the lote answered.
    for status in (statuses[0], statuses[2], statuses[4]):
        consulted = omie(credentials, "produtos", "ConsultarProduto", {"codigo_produto": status["codigo_produto"]})
        assert consulted.json()["codigo_produto_integracao"] == status["codigo_produto_integracao"]
    assert not Product.objects.filter(company=company, integration_code="ERP-0002").exists()
    assert Product.objects.get(pk=held.pk).code == "PRF-0099"
    # Each refusal is what the single call answers, code and text.
    for status, record in ((statuses[1], bad_ncm), (statuses[3], taken)):
        single = omie(credentials, "produtos", "IncluirProduto", record).json()
        assert status["faultstring"] == single["faultstring"] and status["faultcode"] == single["faultcode"]
        assert status["descricao_status"] == single["faultstring"].removeprefix("ERROR: ")
        assert status["codigo_produto"] == 0
    assert "ncm" in statuses[1]["descricao_status"]
    assert statuses[3]["descricao_status"] == (
        f"Produto já cadastrado para o Código de Integração [ERP-0099] com o nCod [{held.pk}] !"
    )


def test_a_refused_record_leaves_nothing_behind_not_even_the_family_it_named(omie, credentials, company):
    # The family is created by name before the product is validated; the record's savepoint
    # takes it back with the product, as a refused single call writes nothing.
    answer = omie(credentials, "produtos", "IncluirProdutosPorLote", {"lote": 5, "produto_servico_cadastro": [
        _product("ERP-F1", descricao_familia="Fixadores"),
        _product("ERP-F2", descricao_familia="Ferragens Náuticas", ncm="7318.1"),
    ]}).json()

    assert [s["codigo_status"] for s in answer["produto_servico_status"]] == ["0", "105"]
    assert list(ProductFamily.objects.filter(company=company).values_list("name", flat=True)) == ["Fixadores"]


def test_an_upsert_lote_alters_the_existing_clients_and_includes_the_new_ones(omie, credentials, company):
    document = valid_cnpj()
    existing = PartyFactory(company=company, code="CLI-0001", legal_name="Nome antigo Ltda", city="Campinas")
    lote = {"lote": 2, "clientes_cadastro": [
        _client("CLI-0001", existing.cnpj_cpf, cidade="Ribeirão Preto"),
        _client("CLI-0002", document),
    ]}

    answer = omie(credentials, "clientes", "UpsertClientesPorLote", lote).json()

    assert answer["codigo_status"] == "0"
    assert [s["descricao_status"] for s in answer["clientes_status"]] == [
        "Cliente alterado com sucesso!", "Cliente cadastrado com sucesso!",
    ]
    assert answer["clientes_status"][0]["codigo_cliente_omie"] == existing.pk
    existing.refresh_from_db()
    assert existing.city == "Ribeirão Preto" and existing.legal_name.startswith("Distribuidora São João")
    assert existing.version == 2
    assert Party.objects.get(company=company, code="CLI-0002").cnpj_cpf == document


def test_an_upsert_lote_of_products_mixes_new_and_existing(omie, credentials, company):
    existing = ProductFactory(company=company, code="MLH-01", integration_code="ERP-MLH-01", price="1.00")

    answer = omie(credentials, "produtos", "UpsertProdutosPorLote", {"lote": 3, "produto_servico_cadastro": [
        _product("ERP-MLH-02", codigo="MLH-02", valor_unitario="2,50"),
        _product("ERP-MLH-01", codigo="MLH-01", valor_unitario=9.9),
    ]}).json()

    assert [(s["codigo_status"], s["descricao_status"]) for s in answer["produto_servico_status"]] == [
        ("0", "Produto cadastrado com sucesso!"), ("0", "Produto alterado com sucesso!"),
    ]
    existing.refresh_from_db()
    assert str(existing.price) == "9.90"
    assert str(Product.objects.get(company=company, code="MLH-02").price) == "2.50"


def test_it_takes_the_lote_as_a_bare_object_with_the_number_as_text(client, credentials, company):
    # A public exporter sends "param": {...} (no list) and "lote": str(n), starting at "0".
    body = {"call": "IncluirClientesPorLote", "app_key": credentials.app_key, "app_secret": credentials.app_secret,
            "param": {"clientes_cadastro": [_client("EXP-1", "11.222.333/0001-81")], "lote": "0"}}

    answer = client.post("/api/v1/geral/clientes/", json.dumps(body), content_type="application/json").json()

    assert answer["lote"] == 0 and answer["codigo_status"] == "0"
    assert Party.objects.get(company=company, code="EXP-1").cnpj_cpf == "11222333000181"


def test_a_lote_above_fifty_records_is_refused_whole(omie, credentials, company):
    records = [_product(f"ERP-{n:04d}") for n in range(51)]

    response = omie(credentials, "produtos", "IncluirProdutosPorLote", {"lote": 1, "produto_servico_cadastro": records})

    assert response.status_code == 500
    assert response.json()["faultcode"] == "SOAP-ENV:Client-105"
    assert "no máximo 50 produtos por requisição (recebidos 51)" in response.json()["faultstring"]
    assert not Product.objects.filter(company=company).exists()


def test_a_lote_of_fifty_is_written(omie, credentials, company):
    records = [_product(f"ERP-{n:04d}") for n in range(50)]

    answer = omie(credentials, "produtos", "IncluirProdutosPorLote",
                  {"lote": 1, "produto_servico_cadastro": records}).json()

    assert answer["codigo_status"] == "0" and len(answer["produto_servico_status"]) == 50
    assert Product.objects.filter(company=company).count() == 50


@pytest.mark.parametrize(
    ("param", "code", "text"),
    [
        ({"lote": 1}, 5, "Preenchimento obrigatório do campo [clientes_cadastro] não informado!"),
        ({"lote": 1, "clientes_cadastro": []}, 5, "[clientes_cadastro]"),
        ({"lote": 1, "clientes_cadastro": {"codigo_cliente_integracao": "X"}}, 105, "lista de objetos"),
        ({"lote": 1, "clientes_cadastro": ["X"]}, 105, "lista de objetos"),
        ({"lote": "primeiro", "clientes_cadastro": [{"razao_social": "X"}]}, 105, "lote deve ser um número"),
        ({"lote": 1, "clientes": [{"razao_social": "X"}]}, 5001,
         "Tag [CLIENTES] não faz parte da estrutura do tipo complexo [clientes_lote_request]!"),
    ],
)
def test_a_malformed_lote_is_refused_with_omies_fault_and_writes_nothing(omie, credentials, param, code, text):
    response = omie(credentials, "clientes", "IncluirClientesPorLote", param)

    assert response.json()["faultcode"] == f"SOAP-ENV:Client-{code}"
    assert text in response.json()["faultstring"]
    assert not Party.objects.exists()


def test_a_lote_under_sharing_reaches_the_other_company(omie, django_capture_on_commit_callbacks):
    origin, branch = CompanyFactory(trade_name="Matriz"), CompanyFactory(trade_name="Filial Campinas")
    share_between(origin, branch)
    origin_keys, branch_keys = credential_issue(company=origin), credential_issue(company=branch)
    documents = [valid_cnpj() for _ in range(3)]

    with django_capture_on_commit_callbacks(execute=False) as jobs:
        answer = omie(origin_keys, "clientes", "IncluirClientesPorLote", {"lote": 1, "clientes_cadastro": [
            _client(f"CLI-{n}", document) for n, document in enumerate(documents)
        ]}).json()
    assert answer["codigo_status"] == "0"
    assert len(jobs) == 3 and Change.objects.count() == 3  # one propagation per record
    apply_pending()

    for document in documents:
        copy = party_in(branch, document)
        consulted = omie(branch_keys, "clientes", "ConsultarCliente", {"codigo_cliente_omie": copy.pk}).json()
        assert consulted["razao_social"].startswith("Distribuidora São João")
        assert consulted["cidade"] == "Ribeirão Preto"


def test_a_lote_under_sharing_is_refused_record_by_record_per_permission(omie, django_capture_on_commit_callbacks):
    origin, branch = CompanyFactory(), CompanyFactory()
    share_between(origin, branch, destination_permissions=Permissions(can_create=False, can_update=True,
                                                                      can_delete=False))
    origin_keys, branch_keys = credential_issue(company=origin), credential_issue(company=branch)
    shared_document = valid_cnpj()
    with django_capture_on_commit_callbacks(execute=False):
        omie(origin_keys, "clientes", "IncluirCliente", _client("MTZ-1", shared_document))
    apply_pending()
    branch_copy = party_in(branch, shared_document)
    omie(branch_keys, "clientes", "AssociarCodIntCliente",
         {"codigo_cliente_omie": branch_copy.pk, "codigo_cliente_integracao": "FIL-1"})

    with django_capture_on_commit_callbacks(execute=False) as jobs:
        answer = omie(branch_keys, "clientes", "UpsertClientesPorLote", {"lote": 4, "clientes_cadastro": [
            _client("FIL-1", shared_document, cidade="Sorocaba"),  # an edit: allowed
            _client("FIL-2", valid_cnpj()),  # a new client: the branch may not include
        ]}).json()

    assert answer["codigo_status"] == "11"
    edited, refused = answer["clientes_status"]
    assert edited["codigo_status"] == "0" and edited["codigo_cliente_omie"] == branch_copy.pk
    assert refused["codigo_status"] == "9" and "permissão de inclusão" in refused["descricao_status"]
    assert not Party.objects.filter(company=branch, code="FIL-2").exists()
    assert len(jobs) == 1  # only the edit propagates; the refused record left no job behind
    apply_pending()
    assert Party.objects.get(company=origin, cnpj_cpf=shared_document).city == "Sorocaba"


def test_a_company_without_permissions_gets_each_records_refusal(omie):
    origin, branch = CompanyFactory(), CompanyFactory()
    share_between(origin, branch, destination_permissions=NONE, origin_permissions=ALL)
    branch_keys = credential_issue(company=branch)

    answer = omie(branch_keys, "produtos", "IncluirProdutosPorLote", {"lote": 9, "produto_servico_cadastro": [
        _product("ERP-A"), _product("ERP-B"),
    ]}).json()

    assert answer["codigo_status"] == "11"
    assert {s["codigo_status"] for s in answer["produto_servico_status"]} == {"9"}
    assert "Produtos gravados: 0 de 2; recusados: 2" in answer["descricao_status"]
    assert not Product.objects.filter(company=branch).exists()
