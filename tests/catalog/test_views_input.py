"""Odd characters typed into (or pasted in the address of) the catalog pages: answered like any
search, never an error page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from catalog.models import Product
from tests.factories import PartyFactory, ProductFactory

pytestmark = pytest.mark.django_db


def test_the_supplier_search_ignores_a_nul_character(login, member, company):
    PartyFactory(company=company, legal_name="Açaí do Pará Comércio Ltda", is_supplier=True)
    url = reverse("catalog:supplier_options", args=[company.pk])

    response = login(member).get(url, {"supplier_q": "Açaí\x00 do Pará"})

    assert response.status_code == 200
    assert "Açaí do Pará Comércio Ltda" in response.text


def test_the_list_search_ignores_a_nul_character_and_keeps_the_other_filters(login, member, company):
    ProductFactory(company=company, code="CAN-AZUL", description="Caneta esferográfica azul", active=False)
    ProductFactory(company=company, code="LAP-1", description="Lápis preto nº 2")
    url = reverse("catalog:product_list", args=[company.pk])

    response = login(member).get(url, {"q": "Caneta\x00", "status": "inativos"})

    assert response.status_code == 200
    assert "Caneta esferográfica azul" in response.text
    assert "Lápis preto" not in response.text


@pytest.mark.parametrize("value", ["\x00", "²", "٣"])
def test_every_list_parameter_answers_a_page_for_odd_characters(login, member, company, value):
    PartyFactory(company=company, legal_name="Comércio São João Ltda")
    client = login(member)
    urls = [
        reverse("catalog:party_list", args=[company.pk]),
        reverse("catalog:product_list", args=[company.pk]),
    ]
    for url in urls:
        for name in ("q", "page", "status", "kind"):
            response = client.get(url, {name: value})
            assert response.status_code == 200, (url, name)
    assert client.get(reverse("catalog:supplier_options", args=[company.pk]), {"supplier_q": value}).status_code == 200


def test_a_product_form_posted_with_a_superscript_supplier_id_is_shown_again(login, member, company):
    """The supplier list is rendered from the posted ids: "²" passed str.isdigit() and then
    failed int(), an error page instead of the form with its message."""
    url = reverse("catalog:product_create", args=[company.pk])
    data = {"code": "PRD-SUP", "description": "Café torrado 500 g", "unit": "UN", "ncm": "0901.21.00",
            "price": "10,00", "origin": "0", "item_type": "00", "suppliers": ["²"], "active": "on"}

    response = login(member).post(url, data)

    assert response.status_code == 400
    assert "Café torrado 500 g" in response.text


@pytest.mark.parametrize("price", ["١٢٣", "1_000"])
def test_a_price_in_other_digits_or_with_underscores_is_refused(login, member, company, price):
    url = reverse("catalog:product_create", args=[company.pk])
    data = {"code": "PRD-ARAB", "description": "Café torrado 500 g", "unit": "UN", "ncm": "0901.21.00",
            "price": price, "origin": "0", "item_type": "00", "active": "on"}

    response = login(member).post(url, data)

    assert response.status_code == 400
    assert "Informe um número" in response.text
    assert not Product.objects.filter(company=company).exists()


def test_a_structure_quantity_in_other_digits_is_refused(login, member, company):
    ProductFactory(company=company, code="COMP-1", description="Parafuso sextavado")
    url = reverse("catalog:product_create", args=[company.pk])
    data = {"code": "KIT-1", "description": "Kit de fixação", "unit": "UN", "ncm": "7318.15.00",
            "price": "10,00", "origin": "0", "item_type": "00", "bom": "COMP-1; ٣", "active": "on"}

    response = login(member).post(url, data)

    assert response.status_code == 400
    assert "quantidade inválida" in response.text
    assert not Product.objects.filter(company=company, code="KIT-1").exists()
