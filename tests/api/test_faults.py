"""Every error answers Omie's fault shape, and a refused request writes nothing."""

from __future__ import annotations

import json

import pytest
from django.db import connections

from api import limits
from catalog.models import Party, Product
from tests.factories import PartyFactory, ProductFactory

pytestmark = pytest.mark.django_db

PRODUCT = {"codigo_produto_integracao": "I1", "descricao": "Caneta", "unidade": "UN", "ncm": "96081000"}


def _fault(response, code: int, *, status: int = 500) -> str:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"faultstring", "faultcode"}
    assert body["faultcode"] == f"SOAP-ENV:Client-{code}"
    assert body["faultstring"].startswith("ERROR: ")
    return body["faultstring"]


def test_it_refuses_bad_credentials(omie, credentials, company):
    wrong_secret = type(credentials)(credentials.credential, credentials.app_key, "0" * 32)
    unknown_key = type(credentials)(credentials.credential, "9999999999999", credentials.app_secret)

    for creds in (wrong_secret, unknown_key):
        message = _fault(omie(creds, "produtos", "IncluirProduto", PRODUCT), 4)
        assert "chave de acesso" in message
    assert not Product.objects.filter(company=company).exists()


def test_rotating_the_credentials_retires_the_old_pair(omie, credentials, company):
    from api.services import credential_issue

    new = credential_issue(company=company)

    _fault(omie(credentials, "produtos", "ListarProdutos", {}), 4)
    assert omie(new, "produtos", "IncluirProduto", PRODUCT).status_code == 200


def test_it_refuses_an_unknown_call(omie, credentials):
    message = _fault(omie(credentials, "clientes", "IncluirProduto", {}), 3)

    assert "IncluirProduto" in message and "clientes_cadastro" in message


def test_it_refuses_malformed_json(client, credentials):
    for body in ("{not json", "[1, 2]", json.dumps({"call": "ListarProdutos", "app_key": credentials.app_key,
                                                     "app_secret": credentials.app_secret, "param": "x"})):
        response = client.post("/api/v1/geral/produtos/", body, content_type="application/json")
        _fault(response, 1)


def test_it_caps_the_request_body_at_one_megabyte(client, credentials):
    body = json.dumps({"call": "IncluirProduto", "app_key": credentials.app_key,
                       "app_secret": credentials.app_secret, "param": [{"descricao": "x" * (1024 * 1024)}]})

    response = client.post("/api/v1/geral/produtos/", body, content_type="application/json")

    assert "1 MB" in _fault(response, 2, status=413)


def test_it_accepts_the_path_without_trailing_slash_and_refuses_get(client, credentials):
    body = json.dumps({"call": "ListarClientes", "app_key": credentials.app_key,
                       "app_secret": credentials.app_secret, "param": [{}]})

    response = client.post("/api/v1/geral/clientes", body, content_type="application/json")
    _fault(client.get("/api/v1/geral/clientes/"), 12, status=405)

    _fault(response, 5113)  # reached the call: no clients yet


def test_it_names_a_missing_required_field(omie, credentials, company):
    message = _fault(omie(credentials, "produtos", "IncluirProduto", {"descricao": "Sem código"}), 5)

    assert "codigo_produto_integracao" in message
    message = _fault(omie(credentials, "clientes", "IncluirCliente", {"codigo_cliente_integracao": "C"}), 5)
    assert "razao_social" in message
    assert not Product.objects.exists() and not Party.objects.exists()


@pytest.mark.parametrize(
    ("endpoint", "call", "param", "field", "text"),
    [
        ("clientes", "IncluirCliente", {"cnpj_cpf": "11.222.333/0001-80"}, "cnpj_cpf", "CNPJ inválido"),
        ("clientes", "IncluirCliente", {"cnpj_cpf": "529.982.247-24"}, "cnpj_cpf", "CPF inválido"),
        ("produtos", "IncluirProduto", {"ncm": "9608"}, "ncm", "NCM inválido"),
        ("produtos", "IncluirProduto", {"ean": "7891234567890"}, "ean", "EAN inválido"),
        ("produtos", "IncluirProduto", {"recomendacoes_fiscais": {"id_cest": "123"}}, "id_cest", "CEST inválido"),
    ],
)
def test_it_refuses_invalid_documents_and_codes(omie, credentials, endpoint, call, param, field, text):
    base = (
        {"codigo_cliente_integracao": "C1", "razao_social": "Fulano"}
        if endpoint == "clientes"
        else dict(PRODUCT)
    )

    message = _fault(omie(credentials, endpoint, call, {**base, **param}), 105)

    assert text in message
    assert not Product.objects.exists() and not Party.objects.exists()


def test_it_answers_not_found(omie, credentials, company):
    _fault(omie(credentials, "clientes", "ConsultarCliente", {"codigo_cliente_omie": 987654}), 103)
    _fault(omie(credentials, "clientes", "AlterarCliente", {"codigo_cliente_integracao": "nada"}), 103)
    _fault(omie(credentials, "clientes", "ExcluirCliente", {"codigo_cliente_omie": 987654}), 103)
    _fault(omie(credentials, "produtos", "ConsultarProduto", {"codigo": "NADA"}), 103)
    _fault(omie(credentials, "produtos", "AlterarProduto", {"codigo_produto": 987654}), 103)
    _fault(omie(credentials, "produtos", "ExcluirProduto", {"codigo_produto_integracao": "nada"}), 103)


def test_a_repeated_integration_code_answers_like_omie_so_an_integration_can_switch_to_alterar(omie, credentials):
    """The idiom of Omie integrations: IncluirCliente, and on "já cadastrado … com o nCod [n]" AlterarCliente(n)."""
    first = omie(credentials, "clientes", "IncluirCliente", {"codigo_cliente_integracao": "CLI-7", "razao_social": "A"})
    again = omie(credentials, "clientes", "IncluirCliente", {"codigo_cliente_integracao": "CLI-7", "razao_social": "B"})

    message = _fault(again, 102)
    ncod = first.json()["codigo_cliente_omie"]
    assert message == f"ERROR: Cliente já cadastrado para o Código de Integração [CLI-7] com o nCod [{ncod}] !"
    switched = omie(credentials, "clientes", "AlterarCliente", {"codigo_cliente_omie": ncod, "razao_social": "B"})
    assert switched.status_code == 200
    assert Party.objects.get().legal_name == "B"


def test_it_refuses_duplicates_by_uniqueness_validation(omie, credentials, company):
    company.enforce_unique_records = True
    company.save()
    PartyFactory(company=company, cnpj_cpf="11222333000181")
    ProductFactory(company=company, code="DUP", ean="7891234567895")

    party = omie(credentials, "clientes", "IncluirCliente",
                 {"codigo_cliente_integracao": "X", "razao_social": "Dup", "cnpj_cpf": "11.222.333/0001-81"})
    code = omie(credentials, "produtos", "IncluirProduto", {**PRODUCT, "codigo": "DUP"})
    ean = omie(credentials, "produtos", "IncluirProduto", {**PRODUCT, "codigo": "NOVO", "ean": "7891234567895"})
    integration = omie(credentials, "produtos", "IncluirProduto", PRODUCT)
    integration_again = omie(credentials, "produtos", "IncluirProduto", {**PRODUCT, "codigo": "OUTRO"})

    assert "unicidade" in _fault(party, 102)
    assert "DUP" in _fault(code, 102)
    assert "EAN" in _fault(ean, 102)
    assert integration.status_code == 200
    first = Product.objects.get(company=company, integration_code="I1")
    assert _fault(integration_again, 102) == (
        f"ERROR: Produto já cadastrado para o Código de Integração [I1] com o nCod [{first.pk}] !"
    )
    assert Party.objects.filter(company=company).count() == 1
    assert Product.objects.filter(company=company).count() == 2


def test_a_failing_request_writes_nothing(omie, credentials, company):
    # The family would be created before the product's NCM is found invalid.
    _fault(omie(credentials, "produtos", "IncluirProduto",
                {**PRODUCT, "ncm": "1", "descricao_familia": "Nova família"}), 105)

    assert not company.product_families.exists()


def test_it_refuses_beyond_four_concurrent_requests(omie, credentials):
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            for slot in range(limits.MAX_CONCURRENT):
                cursor.execute("SELECT pg_advisory_lock(hashtextextended(%s, 0))",
                               [limits.slot_key(credentials.app_key, "ListarProdutos", slot)])
        busy = omie(credentials, "produtos", "ListarProdutos", {})
        other_call = omie(credentials, "produtos", "ListarProdutosResumido", {})
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(hashtextextended(%s, 0))",
                           [limits.slot_key(credentials.app_key, "ListarProdutos", 0)])
        freed = omie(credentials, "produtos", "ListarProdutos", {})
    finally:
        other.close()

    # Omie's "wait and call again" fault, worded so integrations can read how long to wait.
    message = _fault(busy, 6, status=429)
    assert "Consumo redundante" in message and "Aguarde 2 segundos" in message
    assert busy["Retry-After"] == "2"
    _fault(other_call, 5113)  # another call has its own four slots
    _fault(freed, 5113)
