"""Characteristics come back in the order they were entered: in the form, on the detail
page, in the API (tests/api/test_characteristics_order.py) and in every company a share
copies them to (a jsonb object sorted them: shorter names first)."""

from __future__ import annotations

import importlib
import json

import pytest
from django.db import connection
from django.urls import reverse

from catalog import services
from catalog.models import Party, Product
from tests.catalog.test_views_parties import party_form_data
from tests.catalog.test_views_products import product_form_data
from tests.factories import CompanyFactory, ProductFactory
from tests.helpers import apply_pending, make_party, make_product, party_in, product_in, share_between

pytestmark = pytest.mark.django_db

# Not the order PostgreSQL sorts an object's keys in (by length, then bytes).
ENTERED = [("Voltagem", "220 V"), ("Cor", "azul"), ("Peso líquido", "1,5 kg"), ("Garantia", "12 meses"),
           ("Ano", "2026")]
ENTERED_TEXT = "\n".join(f"{name}: {value}" for name, value in ENTERED)
DOC = "11222333000181"


def in_page_order(text: str, names: list[str]) -> list[str]:
    return sorted(names, key=text.index)


def test_a_product_keeps_the_order_typed_in_the_form(login, member, company):
    client = login(member)
    response = client.post(reverse("catalog:product_create", args=[company.pk]),
                           product_form_data(characteristics=ENTERED_TEXT))
    assert response.status_code == 302
    product = Product.objects.get(company=company, code="PRD00001")
    assert list(product.characteristics.items()) == ENTERED

    detail = client.get(reverse("catalog:product_detail", args=[company.pk, product.pk])).text
    names = [name for name, _ in ENTERED]
    assert in_page_order(detail, [f"<dt>{n}</dt>" for n in names]) == [f"<dt>{n}</dt>" for n in names]
    edit = client.get(reverse("catalog:product_edit", args=[company.pk, product.pk])).text
    assert ENTERED_TEXT in edit


def test_a_party_keeps_the_order_typed_in_the_form(login, member, company):
    client = login(member)
    response = client.post(reverse("catalog:party_create", args=[company.pk]),
                           party_form_data(characteristics=ENTERED_TEXT))
    assert response.status_code == 302
    party = Party.objects.get(company=company)
    assert list(party.characteristics.items()) == ENTERED
    edit = client.get(reverse("catalog:party_edit", args=[company.pk, party.pk])).text
    assert ENTERED_TEXT in edit


def test_a_reordering_in_the_form_is_saved(login, member, company):
    product = ProductFactory(company=company, characteristics=dict(ENTERED))
    reordered = list(reversed(ENTERED))
    services.product_update(company=company, product_id=product.pk, data={"characteristics": dict(reordered)})
    product.refresh_from_db()
    assert list(product.characteristics.items()) == reordered
    assert product.version == 2  # a change like any other


def test_a_share_copies_the_order_and_propagates_a_reordering():
    origin = CompanyFactory(trade_name="Matriz")
    branch = CompanyFactory(trade_name="Filial Norte")
    make_product(origin, "NTB-14", "Notebook 14 polegadas", characteristics=dict(ENTERED))
    make_party(origin, DOC, "Pimenta Comércio Ltda", characteristics=dict(ENTERED))
    share_between(origin, branch)

    assert list(product_in(branch, "NTB-14").characteristics.items()) == ENTERED
    assert list(party_in(branch, DOC).characteristics.items()) == ENTERED

    reordered = [ENTERED[2], ENTERED[0], ENTERED[4], ENTERED[1], ENTERED[3]]
    services.product_update(company=origin, product_id=product_in(origin, "NTB-14").pk,
                            data={"characteristics": dict(reordered)})
    assert apply_pending() == 1
    assert list(product_in(branch, "NTB-14").characteristics.items()) == reordered


def test_existing_characteristics_become_pairs_and_read_as_before(company):
    """The data migration: rows stored as jsonb objects (before) become arrays of pairs."""
    product = ProductFactory(company=company)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE catalog_product SET characteristics = %s::jsonb WHERE id = %s",
                       ['{"Voltagem": "220 V", "Cor": "azul"}', product.pk])
    product.refresh_from_db()
    assert product.characteristics == {"Cor": "azul", "Voltagem": "220 V"}  # an object still reads

    migration = importlib.import_module("catalog.migrations.0009_characteristics_order")
    with connection.schema_editor() as editor:
        migration.to_pairs(None, editor)
    with connection.cursor() as cursor:
        cursor.execute("SELECT characteristics FROM catalog_product WHERE id = %s", [product.pk])
        stored = cursor.fetchone()[0]
    stored = stored if isinstance(stored, list) else json.loads(stored)
    assert stored == [["Cor", "azul"], ["Voltagem", "220 V"]]  # PostgreSQL's order, kept from now on
    product.refresh_from_db()
    assert list(product.characteristics.items()) == [("Cor", "azul"), ("Voltagem", "220 V")]
