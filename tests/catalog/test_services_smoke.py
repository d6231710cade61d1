import pytest

from catalog import services
from tests.factories import PartyFactory, ProductFactory


@pytest.mark.django_db
def test_it_creates_party_and_product_through_services(company):
    party = PartyFactory(company=company, cnpj_cpf="11.222.333/0001-81")
    assert party.cnpj_cpf == "11222333000181"
    product = ProductFactory(company=company, ncm="8471.30.12")
    assert product.ncm == "84713012"
    updated = services.product_update(
        company=company, product_id=product.pk, data={"description": "Novo"}, expected_version=1
    )
    assert updated.version == 2
