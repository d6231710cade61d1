from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from catalog import services
from catalog.models import Party, PriceTableItem, Product, StockBalance
from tests.factories import ProductFamilyFactory, SalespersonFactory


@pytest.mark.django_db
def test_it_creates_many_parties_normalised_with_salespeople(company):
    seller = SalespersonFactory(company=company)
    parties = services.party_bulk_create(
        company=company,
        rows=[
            {"legal_name": "ACME Ltda", "cnpj_cpf": "11.222.333/0001-81", "salespeople": [seller.pk]},
            {"legal_name": "Sem documento", "cnpj_cpf": ""},
        ],
    )
    assert [p.cnpj_cpf for p in parties] == ["11222333000181", ""]
    assert list(Party.objects.get(legal_name="ACME Ltda").salespeople.all()) == [seller]


@pytest.mark.django_db
def test_it_refuses_the_whole_batch_naming_each_bad_row(company):
    company.enforce_unique_records = True
    company.save()
    with pytest.raises(ValidationError) as refused:
        services.party_bulk_create(
            company=company,
            rows=[
                {"legal_name": "Boa", "cnpj_cpf": "11.222.333/0001-81"},
                {"legal_name": "Repetida", "cnpj_cpf": "11222333000181"},
                {"legal_name": "Inválida", "cnpj_cpf": "11.222.333/0001-82"},
            ],
        )
    text = " ".join(refused.value.messages)
    assert "Linha 2" in text and "repetido no lote" in text
    assert "Linha 3" in text and "CNPJ inválido" in text
    assert not Party.objects.filter(company=company).exists()


@pytest.mark.django_db
def test_it_creates_products_with_family_structure_stock_and_prices(company):
    family = ProductFamilyFactory(company=company)
    [part] = services.product_bulk_create(
        company=company, rows=[{"code": "P1", "description": "Parafuso", "ncm": "7318.15.00", "family": family.pk}]
    )
    [kit] = services.product_bulk_create(
        company=company, rows=[{"code": "K1", "description": "Kit", "ncm": "73181500", "bom": [(part.pk, "4")]}]
    )
    assert list(kit.bom_items.values_list("component__code", "quantity")) == [("P1", Decimal("4.0000"))]
    assert Product.objects.get(code="P1").family == family
    services.stock_balances_set(company=company, quantities={part.pk: Decimal("10"), kit.pk: Decimal("2")})
    services.stock_balances_set(company=company, quantities={part.pk: Decimal("7")})
    assert StockBalance.objects.get(product=part).quantity == Decimal("7")
    table = services.price_table_create(company=company, name="Atacado")
    services.price_table_items_set(company=company, table_id=table.pk, prices={part.pk: Decimal("1.50")})
    assert PriceTableItem.objects.get(product=part).price == Decimal("1.50")


@pytest.mark.django_db
def test_it_refuses_a_product_code_already_in_use(company):
    services.product_bulk_create(company=company, rows=[{"code": "P1", "description": "A", "ncm": "73181500"}])
    with pytest.raises(ValidationError) as refused:
        services.product_bulk_create(company=company, rows=[{"code": "P1", "description": "B", "ncm": "73181500"}])
    assert "já existe um produto com o código P1" in " ".join(refused.value.messages)
    assert Product.objects.filter(company=company).count() == 1
