"""The preview and activation see one GTIN however it is written: 7891234567895 (EAN-13) and
07891234567895 (GTIN-14) are the same product's barcode."""

from __future__ import annotations

import pytest

from catalog.models import Product
from sharing.planner import plan, plan_rows
from tests.factories import CompanyFactory
from tests.helpers import activate, configure, make_product

pytestmark = pytest.mark.django_db

EAN13 = "7891234567895"
GTIN14 = "07891234567895"


@pytest.fixture
def origin():
    return CompanyFactory(legal_name="Matriz Distribuidora Ltda", trade_name="Matriz")


@pytest.fixture
def dest():
    return CompanyFactory(legal_name="Filial Sul Comércio Ltda", trade_name="Filial Sul", enforce_unique_records=True)


def test_the_preview_counts_and_lists_a_gtin_written_with_a_leading_zero_as_a_duplicate(origin, dest):
    make_product(origin, "CAF-500", "Café torrado 500 g", ean=EAN13)
    make_product(dest, "CAFE-FILIAL", "Café da filial", ean=GTIN14)

    counts = plan(origin=origin, destinations=[dest], registries=["product"])[0].counts
    rows = plan_rows(origin=origin, dest=dest, registry="product", category="duplicates")

    assert (counts["duplicates"], counts["conflicts"]) == (1, 1)
    assert [(row["key"], row["in_destination"]) for row in rows] == [("CAF-500", [["CAFE-FILIAL", "Café da filial"]])]


def test_activation_does_not_copy_a_product_whose_gtin_the_destination_holds_in_another_form(origin, dest):
    make_product(origin, "CAF-500", "Café torrado 500 g", ean=GTIN14)
    make_product(origin, "ACU-1", "Açúcar cristal 1 kg", ean="")
    make_product(dest, "CAFE-FILIAL", "Café da filial", ean=EAN13)

    job = activate(configure(origin, dest, registries=["product"]))

    assert sorted(Product.objects.filter(company=dest).values_list("code", flat=True)) == ["ACU-1", "CAFE-FILIAL"]
    assert job.counts["conflicts"] == 1
    assert "CAF-500" in job.errors[0]
