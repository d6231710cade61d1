"""The API answers characteristics in the order they were sent (a jsonb object sorted them)."""

from __future__ import annotations

import pytest

from tests.api.test_clients import ACME
from tests.api.test_products import CANETA
from tests.catalog.test_characteristics_order import ENTERED

pytestmark = pytest.mark.django_db


def test_the_api_answers_characteristics_in_the_order_sent(omie, credentials, company):
    sent = [{"nome_caracteristica": name, "conteudo": value} for name, value in ENTERED]
    created = omie(credentials, "produtos", "IncluirProduto", {**CANETA, "caracteristicas": sent}).json()
    answer = omie(credentials, "produtos", "ConsultarProduto", {"codigo_produto": created["codigo_produto"]}).json()
    assert answer["caracteristicas"] == sent

    sent = [{"campo": name, "conteudo": value} for name, value in ENTERED]
    created = omie(credentials, "clientes", "IncluirCliente", {**ACME, "caracteristicas": sent}).json()
    answer = omie(credentials, "clientes", "ConsultarCliente",
                  {"codigo_cliente_omie": created["codigo_cliente_omie"]}).json()
    assert answer["caracteristicas"] == sent
