"""Model validation of catalog records: what full_clean() stores and what it refuses."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from catalog.models import Party, Product
from tests.factories import ProductFamilyFactory

pytestmark = pytest.mark.django_db


def _party(company, **fields) -> Party:
    return Party(company=company, legal_name="Cliente Exemplo Ltda", **fields)


def _product(company, **fields) -> Product:
    values = {"code": "PRD00001", "description": "Notebook 14 polegadas", "ncm": "8471.30.12"}
    values.update(fields)
    return Product(company=company, **values)


def _errors(record) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        record.full_clean()
    return caught.value.message_dict


# --- Party -------------------------------------------------------------------------------


def test_it_accepts_a_party_without_cnpj_or_cpf(company):
    party = _party(company, cnpj_cpf="")
    party.full_clean()
    assert party.cnpj_cpf == ""


def test_it_stores_a_masked_document_bare_and_shows_it_masked(company):
    party = _party(
        company,
        cnpj_cpf=" 12.abc.345/01de-35 ",
        cep="01310-100",
        phone_ddd="011",
        phone_number="98765-4321",
        state="sp",
        email=" Contato@Exemplo.COM.br ",
    )
    party.full_clean()
    assert party.cnpj_cpf == "12ABC34501DE35"
    assert party.cnpj_cpf_masked == "12.ABC.345/01DE-35"
    assert (party.cep, party.cep_masked) == ("01310100", "01310-100")
    assert (party.phone_ddd, party.phone_number) == ("11", "987654321")
    assert party.phone_masked == "(11) 98765-4321"
    assert party.state == "SP"
    assert party.email == "contato@exemplo.com.br"


@pytest.mark.parametrize(
    ("document", "person_type"),
    [("529.982.247-25", "F"), ("11.222.333/0001-81", "J"), ("12.ABC.345/01DE-35", "J")],
)
def test_it_derives_the_person_type_from_the_document(company, document, person_type):
    opposite = "J" if person_type == "F" else "F"
    party = _party(company, cnpj_cpf=document, person_type=opposite)
    party.full_clean()
    assert party.person_type == person_type


def test_it_keeps_the_chosen_person_type_without_a_document(company):
    party = _party(company, person_type="F")
    party.full_clean()
    assert party.person_type == "F"


def test_it_refuses_an_invalid_document_on_the_document_field(company):
    errors = _errors(_party(company, cnpj_cpf="11.222.333/0001-82"))
    assert errors["cnpj_cpf"] == ["CNPJ inválido: os dígitos verificadores não conferem."]


def test_it_reports_every_bad_field_of_a_party_at_once(company):
    errors = _errors(_party(company, cnpj_cpf="529.982.247-26", state="XX", cep="123", email="nao-e-email"))
    assert errors["cnpj_cpf"] == ["CPF inválido: os dígitos verificadores não conferem."]
    assert errors["state"] == [
        "UF inválida: use a sigla de um dos 27 estados (ex.: SP, RJ, DF) ou EX para um cliente/fornecedor do exterior."
    ]
    assert errors["cep"] == ["CEP inválido: informe 8 dígitos (ex.: 01310-100)."]
    assert "email" in errors


def test_it_refuses_characteristics_that_are_not_name_value_pairs(company):
    errors = _errors(_party(company, characteristics=["cor", "azul"]))
    assert errors["characteristics"] == ["Características devem ser pares nome → valor."]


# --- Product -----------------------------------------------------------------------------


def test_it_normalises_what_a_product_form_typed(company):
    product = _product(
        company, code=" prd00001 ", unit="kg", ncm="8471.30.12", cest="21.053.00", ean=" 7891000315507 "
    )
    product.full_clean()
    assert (product.code, product.unit, product.ncm, product.cest, product.ean) == (
        "PRD00001",
        "KG",
        "84713012",
        "2105300",
        "7891000315507",
    )
    assert product.ncm_masked == "8471.30.12"
    assert product.cest_masked == "21.053.00"


def test_it_refuses_a_negative_price(company):
    errors = _errors(_product(company, price=Decimal("-0.01")))
    assert "O preço não pode ser negativo." in errors["price"]


def test_it_accepts_a_free_product(company):
    _product(company, price=Decimal("0.00")).full_clean()


def test_it_refuses_a_price_with_more_than_two_decimals(company):
    errors = _errors(_product(company, price=Decimal("10.005")))
    assert "2 casas decimais" in " ".join(errors["price"])


@pytest.mark.parametrize("origin", range(9))
def test_it_accepts_every_icms_origin_from_0_to_8(company, origin):
    _product(company, origin=origin).full_clean()


@pytest.mark.parametrize("origin", [9, 10])
def test_it_refuses_an_icms_origin_above_8(company, origin):
    errors = _errors(_product(company, origin=origin))
    assert "origin" in errors


@pytest.mark.parametrize(
    "item_type", ["00", "01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "99"]
)
def test_it_accepts_every_sped_item_type(company, item_type):
    _product(company, item_type=item_type).full_clean()


@pytest.mark.parametrize("item_type", ["11", "98", "1", "AA"])
def test_it_refuses_an_item_type_outside_the_sped_list(company, item_type):
    errors = _errors(_product(company, item_type=item_type))
    assert errors["item_type"] == [f"Valor '{item_type}' não é uma opção válida."]


def test_it_refuses_bad_ncm_cest_and_ean_with_their_messages(company):
    errors = _errors(_product(company, ncm="8471.30.1", cest="21.053.0", ean="7891000315508"))
    assert errors["ncm"] == ["NCM inválido: informe os 8 dígitos da classificação fiscal (ex.: 8471.30.12)."]
    assert errors["cest"] == ["CEST inválido: informe 7 dígitos no formato NN.NNN.NN (ex.: 21.053.00)."]
    assert errors["ean"] == ["EAN inválido: o dígito verificador não confere."]


def test_it_refuses_a_family_of_another_company(company, other_company):
    family = ProductFamilyFactory(company=other_company)
    errors = _errors(_product(company, family=family))
    assert errors["family"] == ["A família pertence a outra empresa."]


def test_it_accepts_numbers_where_text_is_expected_as_django_does(company):
    # The Omie API and spreadsheets send "codigo": 123 or a phone as a number.
    party = _party(company, code=123, phone_ddd=11, phone_number=32345678, cnpj_cpf=52998224725)
    party.full_clean()
    assert (party.code, party.phone_ddd, party.phone_number, party.cnpj_cpf) == (
        "123",
        "11",
        "32345678",
        "52998224725",
    )
    product = _product(company, code=42, ncm=84713012, ean=7891000315507)
    product.full_clean()
    assert (product.code, product.ncm, product.ean) == ("42", "84713012", "7891000315507")


def test_it_gives_a_message_for_a_number_that_is_not_a_valid_document(company):
    errors = _errors(_party(company, cnpj_cpf=12345))
    assert errors["cnpj_cpf"] == [
        "CNPJ/CPF inválido: informe um CPF com 11 dígitos ou um CNPJ com 14 caracteres."
    ]
