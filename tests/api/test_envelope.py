"""What an integration sees for odd envelopes: always Omie's JSON fault, never an HTML page."""

from __future__ import annotations

import json
import logging
from urllib.parse import urlencode

import pytest

from catalog.models import Party, Product
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db

CLIENTES = "/api/v1/geral/clientes/"


def _fault(response, code: int, *, status: int = 500) -> str:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["faultcode"] == f"SOAP-ENV:Client-{code}"
    return body["faultstring"]


def _body(credentials, call: str, param: dict) -> str:
    return json.dumps({"call": call, "app_key": credentials.app_key, "app_secret": credentials.app_secret,
                       "param": [param]})


@pytest.mark.parametrize(
    ("endpoint", "call", "param", "field"),
    [
        ("clientes", "IncluirCliente", {"codigo_cliente_integracao": "C1", "razao_social": "A\u0000B"},
         "razao_social"),
        ("clientes", "ConsultarCliente", {"codigo_cliente_integracao": "C\u00001"}, "codigo_cliente_integracao"),
        ("clientes", "ListarClientes", {"clientesFiltro": {"razao_social": "x\u0000"}}, "clientesFiltro.razao_social"),
        ("produtos", "IncluirProduto", {"codigo_produto_integracao": "P1", "descricao": "Caneta",
                                        "unidade": "UN", "ncm": "96081000",
                                        "caracteristicas": [{"nome_caracteristica": "Cor", "conteudo": "\u0000"}]},
         "caracteristicas[0].conteudo"),
    ],
)
def test_it_refuses_a_nul_character_naming_the_field(omie, credentials, endpoint, call, param, field):
    message = _fault(omie(credentials, endpoint, call, param), 105)

    assert f"[{field}]" in message and "caractere nulo" in message
    assert not Party.objects.exists() and not Product.objects.exists()


def test_it_refuses_a_nul_character_in_the_app_key(client, credentials):
    body = json.dumps({"call": "ListarClientes", "app_key": "1\u00002", "app_secret": "x", "param": [{}]})

    message = _fault(client.post(CLIENTES, body, content_type="application/json"), 105)

    assert "[app_key]" in message


def test_it_answers_malformed_for_deeply_nested_json(client):
    response = client.post(CLIENTES, "[" * 100_000, content_type="application/json")

    _fault(response, 1)


def test_it_accepts_a_byte_order_mark_before_the_json(client, credentials):
    body = "\ufeff" + _body(credentials, "IncluirCliente", {"codigo_cliente_integracao": "BOM", "razao_social": "A"})

    response = client.post(CLIENTES, body.encode("utf-8"), content_type="application/json")

    assert response.status_code == 200, response.content
    assert Party.objects.get().code == "BOM"


def test_it_accepts_the_envelope_as_the_json_query_parameter_of_a_get(client, credentials, company):
    """How Omie's generated PHP client calls: GET endpoint?JSON=<urlencoded envelope>."""
    product = ProductFactory(company=company, code="GET-1")
    query = urlencode({"JSON": _body(credentials, "ConsultarProduto", {"codigo": "GET-1"})})

    response = client.get(f"/api/v1/geral/produtos/?{query}")

    assert response.status_code == 200, response.content
    assert response.json()["codigo_produto"] == product.pk
    _fault(client.get("/api/v1/geral/produtos/?other=1"), 12, status=405)
    _fault(client.get("/api/v1/geral/produtos/?JSON=%7Bnot"), 1)


def test_expected_faults_are_not_logged_as_server_errors(omie, credentials, caplog):
    with caplog.at_level(logging.INFO):
        _fault(omie(credentials, "clientes", "ListarClientes", {}), 5113)
        _fault(omie(credentials, "clientes", "ConsultarCliente", {"codigo_cliente_omie": 999999}), 103)

    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert not [r for r in caplog.records if r.name == "django.request"]
    assert [r.levelno for r in caplog.records if r.name == "api.views"] == [logging.INFO, logging.INFO]


def _with_lone_surrogate(body: dict) -> str:
    """The JSON text with the escape "\\ud800" (half of a UTF-16 pair) where LONE is."""
    return json.dumps(body).replace("LONE", "\\ud800")


@pytest.mark.parametrize(
    ("override", "param", "field"),
    [
        ({"app_key": "LONE"}, {}, "app_key"),
        ({"call": "Listar LONE"}, {}, "call"),
        ({}, {"clientesFiltro": {"razao_social": "Comércio LONE"}}, "clientesFiltro.razao_social"),
        ({"call": "IncluirCliente"}, {"codigo_cliente_integracao": "C-LONE", "razao_social": "Açaí"},
         "codigo_cliente_integracao"),
        ({"call": "IncluirCliente"}, {"codigo_cliente_integracao": "C1", "razao_social": "Açaí",
                                      "caracteristicas": [{"campo": "LONE", "conteudo": "x"}]},
         "caracteristicas[0].campo"),
    ],
)
def test_it_refuses_a_lone_surrogate_before_authentication_naming_the_field(client, credentials, override,
                                                                            param, field):
    body = {"call": "ListarClientes", "app_key": credentials.app_key, "app_secret": credentials.app_secret,
            "param": [param], **override}

    message = _fault(client.post(CLIENTES, _with_lone_surrogate(body), content_type="application/json"), 105)

    assert f"[{field}]" in message and "\\ud800" in message
    assert not Party.objects.exists()


def test_it_refuses_a_lone_surrogate_in_a_product_description_and_in_a_get(client, credentials):
    body = {"call": "IncluirProduto", "app_key": credentials.app_key, "app_secret": credentials.app_secret,
            "param": [{"codigo_produto_integracao": "P1", "codigo": "PRD-1", "descricao": "Caneta LONE azul",
                       "unidade": "UN", "ncm": "9608.10.00"}]}

    posted = client.post("/api/v1/geral/produtos/", _with_lone_surrogate(body), content_type="application/json")
    fetched = client.get("/api/v1/geral/produtos/?" + urlencode({"JSON": _with_lone_surrogate(body)}))

    assert "[descricao]" in _fault(posted, 105)
    assert "[descricao]" in _fault(fetched, 105)
    assert not Product.objects.exists()


def test_a_surrogate_pair_is_an_ordinary_character(client, credentials):
    """"\\ud83d\\ude00" is one emoji, which PostgreSQL stores like any other character."""
    body = {"call": "IncluirCliente", "app_key": credentials.app_key, "app_secret": credentials.app_secret,
            "param": [{"codigo_cliente_integracao": "EMOJI", "razao_social": "Sorriso PAIR Ltda"}]}
    raw = json.dumps(body).replace("PAIR", "\\ud83d\\ude00")

    answer = client.post(CLIENTES, raw, content_type="application/json")

    assert answer.status_code == 200, answer.content
    assert Party.objects.get().legal_name == "Sorriso \U0001F600 Ltda"
