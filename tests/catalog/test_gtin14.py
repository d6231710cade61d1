"""EAN uniqueness compares GTINs: 7891000315507 (EAN-13) and 07891000315507 (the same code as
GTIN-14) are one product, while each record keeps the EAN as it was typed."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse

from catalog import services
from catalog.models import Product
from tests.catalog.test_views_products import product_form_data
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db

EAN13 = "7891000315507"
GTIN14 = "07891000315507"


@pytest.fixture
def unique_company(company):
    company.enforce_unique_records = True
    company.save()
    return company


def test_the_form_refuses_the_same_gtin_written_with_a_leading_zero(login, member, unique_company):
    ProductFactory(company=unique_company, code="CAF-500", description="Café torrado 500 g", ean=EAN13)
    data = product_form_data(code="CAF-500-B", description="Café torrado (outro cadastro)", ean="0 7891000 31550-7")

    response = login(member).post(reverse("catalog:product_create", args=[unique_company.pk]), data)

    assert response.status_code == 400
    assert (
        f"Já existe um produto com o EAN {EAN13} (o mesmo código de barras que {GTIN14}) nesta empresa: "
        "CAF-500 – Café torrado 500 g." in response.text
    )
    assert Product.objects.filter(company=unique_company).count() == 1


def test_the_service_refuses_an_ean13_when_the_gtin14_is_held_and_keeps_what_was_typed(unique_company):
    ProductFactory(company=unique_company, code="CAF-500", ean=GTIN14)

    with pytest.raises(ValidationError) as refused:
        ProductFactory(company=unique_company, code="CAF-OUTRO", ean=EAN13)

    assert "CAF-500" in refused.value.message_dict["ean"][0]
    assert Product.objects.get(company=unique_company).ean == GTIN14


def test_an_ean8_and_its_gtin14_are_one_product(unique_company):
    ProductFactory(company=unique_company, code="BAL-1", ean="96385074")

    with pytest.raises(ValidationError):
        ProductFactory(company=unique_company, code="BAL-2", ean="00000096385074")


def test_the_bulk_import_refuses_one_gtin_written_two_ways(unique_company):
    ProductFactory(company=unique_company, code="CAF-500", ean=EAN13)
    row = {"description": "Café", "unit": "UN", "ncm": "09012100"}

    with pytest.raises(ValidationError) as refused:
        services.product_bulk_create(company=unique_company, rows=[
            {**row, "code": "A-1", "ean": GTIN14},
            {**row, "code": "B-1", "ean": "96385074"},
            {**row, "code": "B-2", "ean": "0000096385074"},
        ])

    text = " ".join(refused.value.messages)
    assert f"Linha 1: já existe um produto com o EAN {GTIN14}" in text
    assert "Linha 3: EAN 0000096385074 repetido no lote." in text


def test_without_uniqueness_both_spellings_are_stored_as_typed(company):
    ProductFactory(company=company, code="CAF-500", ean=EAN13)
    ProductFactory(company=company, code="CAF-OUTRO", ean=GTIN14)

    assert sorted(Product.objects.filter(company=company).values_list("ean", flat=True)) == [GTIN14, EAN13]


def test_the_gtin_lookup_is_served_by_the_company_gtin_index(unique_company):
    with connection.cursor() as cursor:
        # A company of realistic size, so the planner weighs the indexes as in production.
        cursor.execute(
            """
            INSERT INTO catalog_product (company_id, code, integration_code, description, unit, ncm, ean,
                price, origin, item_type, cest, characteristics, active, version, created_at, updated_at)
            SELECT %s, 'BULK-' || i, '', 'Produto ' || i, 'UN', '09012100', lpad(i::text, 13, '7'), 1, 0, '00',
                   '', '{}'::jsonb, true, 1, now(), now()
            FROM generate_series(1, 5000) AS i
            """,
            [unique_company.pk],
        )
        cursor.execute("ANALYZE catalog_product")
    queryset = services._products_with_gtin(Product.objects.filter(company=unique_company), GTIN14)
    with connection.cursor() as cursor:
        # As the preview and activation write it in SQL.
        cursor.execute(
            "EXPLAIN SELECT 1 FROM catalog_product x WHERE x.company_id = %s AND lpad(x.ean, 14, '0') = %s",
            [unique_company.pk, GTIN14],
        )
        raw_plan = "\n".join(row[0] for row in cursor.fetchall())

    assert "product_company_gtin" in queryset.explain()
    assert "product_company_gtin" in raw_plan
