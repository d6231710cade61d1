"""The API's text filters go through the list pages' search index: the per-column trigram
indexes they used were replaced by it (catalog/migrations/0008_search_words), and without
it a name filter read every client of the company (0.27 s at 100,000)."""

from __future__ import annotations

import pytest

from api import clients, products
from tests.factories import PartyFactory, ProductFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("name", ["razao_social", "nome_fantasia", "cidade", "nome", "email"])
def test_a_client_text_filter_uses_the_search_index_and_keeps_its_meaning(company, name):
    PartyFactory(company=company, legal_name="Pimenta Comércio Ltda", trade_name="Pimentão",
                 city="Jundiaí", email="compras@pimenta.com.br")
    PartyFactory(company=company, legal_name="Comércio Pimenta Ltda", trade_name="Loja Azul",
                 city="Campinas", email="vendas@azul.com.br")
    typed = {"razao_social": "pimenta comércio", "nome_fantasia": "PIMENTÃO", "cidade": "jundiaí",
             "nome": "pimentão", "email": "Compras@Pimenta.com.br"}[name]
    queryset = clients._listing(company, {"clientesFiltro": {name: typed}})
    assert "~*" in str(queryset.query)  # the search index's condition
    assert [p.legal_name for p in queryset] == ["Pimenta Comércio Ltda"]


@pytest.mark.parametrize(("typed", "expected"), [("alicate universal", ["A1"]), ("Alicate%", ["A1"]),
                                                 ("%bosch", ["A1"]), ("%universal%", ["A1", "A2"])])
def test_the_product_description_filter_uses_the_search_index_and_keeps_its_meaning(company, typed, expected):
    ProductFactory(company=company, code="A1", description="Alicate universal Bosch")
    ProductFactory(company=company, code="A2", description="Universal alicate Tramontina")
    queryset = products._listing(company, {"produtosFiltro": {"descricao": typed}})
    assert "~*" in str(queryset.query)
    assert sorted(p.code for p in queryset) == expected
