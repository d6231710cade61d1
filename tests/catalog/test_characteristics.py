"""One limit for characteristics (Omie's: name 30 characters, content 60) on every write path."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from catalog import services
from catalog.models import Party, Product
from tests.catalog.test_admin import _errors, _party_post, _url
from tests.catalog.test_views_parties import party_form_data
from tests.catalog.test_views_products import product_form_data

pytestmark = pytest.mark.django_db

LONG_NAME = "Classificação fiscal complementar"  # 33 characters
LONG_CONTENT = "Embalagem reciclável de papelão ondulado com alça reforçada e lacre"  # 67


def test_the_party_form_refuses_a_characteristic_name_longer_than_omie_allows(login, member, company):
    data = party_form_data(characteristics=f"{LONG_NAME}: sim")

    response = login(member).post(reverse("catalog:party_create", args=[company.pk]), data)

    assert response.status_code == 400
    assert f"O nome da característica “{LONG_NAME}” tem 33 caracteres; o limite é 30." in response.text
    assert not Party.objects.filter(company=company).exists()


def test_the_product_form_refuses_a_characteristic_content_longer_than_omie_allows(login, member, company):
    data = product_form_data(characteristics=f"Embalagem: {LONG_CONTENT}")

    response = login(member).post(reverse("catalog:product_create", args=[company.pk]), data)

    assert response.status_code == 400
    assert "O valor da característica “Embalagem” tem 67 caracteres; o limite é 60." in response.text
    assert not Product.objects.filter(company=company).exists()


def test_the_admin_refuses_a_long_characteristic_through_the_service(admin_client, company):
    data = _party_post(company, characteristics=f'{{"{LONG_NAME}": "sim"}}')

    response = admin_client.post(_url(Party, "add"), data)

    assert "o limite é 30" in _errors(response)
    assert not Party.objects.exists()


def test_the_service_refuses_it_whoever_calls(company):
    with pytest.raises(ValidationError) as refused:
        services.party_create(company=company, data={"legal_name": "Mercado Bom Preço Ltda",
                                                     "characteristics": {LONG_NAME: "sim"}})

    assert "o limite é 30" in refused.value.message_dict["characteristics"][0]


def test_the_limits_themselves_are_accepted(login, member, company):
    name, content = "N" * 30, "C" * 60
    data = party_form_data(characteristics=f"{name}: {content}")

    response = login(member).post(reverse("catalog:party_create", args=[company.pk]), data)

    assert response.status_code == 302
    assert Party.objects.get(company=company).characteristics == {name: content}


@pytest.mark.parametrize(
    ("field", "typed"),
    [
        ("characteristics", '{"Cor": "\\u0000"}'),
        ("characteristics", '{"\\u0000": "azul"}'),
        ("characteristics", '{"Cor": "azul \\ud800"}'),
        ("tags", '["VIP", "\\ud800"]'),
        ("tags", '["\\u0000"]'),
    ],
)
def test_the_admin_refuses_json_that_postgresql_cannot_store_and_shows_it_back(admin_client, company, field,
                                                                               typed):
    response = admin_client.post(_url(Party, "add"), _party_post(company, **{field: typed}))

    assert "que não podem ser gravados" in _errors(response)
    assert ("\\u0000" in typed and "\\u0000" in response.text) or "\\ud800" in response.text
    assert not Party.objects.exists()


def test_the_service_refuses_a_nul_in_tags_or_characteristics_whoever_calls(company):
    with pytest.raises(ValidationError) as refused:
        services.party_create(company=company, data={"legal_name": "Mercado Bom Preço Ltda",
                                                     "tags": ["VIP\x00"], "characteristics": {"Cor": "a\x00"}})

    assert set(refused.value.message_dict) == {"tags", "characteristics"}
