"""The client/supplier form with what users paste and what foreign clients look like."""

from __future__ import annotations

import pytest
from django.urls import reverse

from catalog.models import Party
from tests.catalog.test_views_parties import party_form_data

pytestmark = pytest.mark.django_db


def test_it_accepts_a_cnpj_cep_and_phone_pasted_with_en_dashes_and_odd_spaces(login, member, company):
    url = reverse("catalog:party_create", args=[company.pk])
    data = party_form_data(cnpj_cpf="11.222.333/0001–81", cep="13010\u2013100", phone_number="99876\u00a05432")

    response = login(member).post(url, data)

    assert response.status_code == 302, response.text
    party = Party.objects.get(company=company)
    assert (party.cnpj_cpf, party.cep, party.phone_number) == ("11222333000181", "13010100", "998765432")


def test_it_accepts_a_cnpj_pasted_with_spaces_around_the_dash(login, member, company):
    """21 characters: the form's length cap once refused it before the separators were read."""
    data = party_form_data(cnpj_cpf="11.222.333/0001 – 81", cep="13010 - 100")

    response = login(member).post(reverse("catalog:party_create", args=[company.pk]), data)

    assert response.status_code == 302, response.text
    assert Party.objects.get(company=company).cnpj_cpf == "11222333000181"


@pytest.mark.parametrize("typed", ["(21) 99999-8888", "21 99999-8888", "+55 21 99999-8888", "021 99999-8888"])
def test_it_takes_a_telephone_typed_with_its_ddd_in_the_number_field(login, member, company, typed):
    """As the API takes telefone1_numero: the same rule, in the model."""
    client = login(member)
    data = party_form_data(phone_ddd="", phone_number=typed)

    response = client.post(reverse("catalog:party_create", args=[company.pk]), data)

    assert response.status_code == 302, response.text
    party = Party.objects.get(company=company)
    assert (party.phone_ddd, party.phone_number) == ("21", "999998888")
    assert "(21) 99999-8888" in client.get(response["Location"]).text


def test_it_refuses_a_number_whose_ddd_contradicts_the_ddd_field(login, member, company):
    data = party_form_data(phone_ddd="11", phone_number="(21) 99999-8888")

    response = login(member).post(reverse("catalog:party_create", args=[company.pk]), data)

    assert response.status_code == 400
    assert response.context["form"].errors["phone_number"] == [
        "O telefone (21) 99999-8888 traz o DDD 21, mas o DDD informado é 11: corrija um dos dois."
    ]
    assert not Party.objects.exists()


def test_it_keeps_no_telephone_or_cep_for_all_zero_placeholders(login, member, company):
    """"00" / "0000-0000" / "00000-000" are what some systems write for "not known"; no such
    DDD, number or CEP exists, so the record keeps none (the API takes them the same way)."""
    client = login(member)
    data = party_form_data(phone_ddd="00", phone_number="0000-0000", cep="00000-000")

    response = client.post(reverse("catalog:party_create", args=[company.pk]), data)

    assert response.status_code == 302, response.text
    party = Party.objects.get(company=company)
    assert (party.phone_ddd, party.phone_number, party.cep) == ("", "", "")
    page = client.get(response["Location"]).text
    assert "0000-0000" not in page and "00000-000" not in page


# --- clients and suppliers abroad ------------------------------------------------------------


def foreign_data(**overrides) -> dict:
    data = party_form_data(
        cnpj_cpf="", person_type="J", legal_name="Acme Trading Corporation", trade_name="Acme",
        street="5th Avenue", number="350", district="Midtown", city="New York", state="EX", cep="",
        country_code="2496", phone_ddd="", phone_number="", email="purchasing@acme-trading.com",
        nif="12-3456789", foreign_document="", characteristics="", tags="",
    )
    data.update(overrides)
    return data


def test_it_registers_a_client_abroad_and_says_it_is_not_shared(login, member, company):
    client = login(member)
    form = client.get(reverse("catalog:party_create", args=[company.pk]))
    assert "Sem CNPJ/CPF, o cadastro não é compartilhado" in form.text
    assert '<option value="EX">' in form.text

    response = client.post(reverse("catalog:party_create", args=[company.pk]), foreign_data(), follow=True)

    party = Party.objects.get(company=company)
    assert (party.state, party.country_code, party.cnpj_cpf, party.nif) == ("EX", "2496", "", "12-3456789")
    assert "Cliente/fornecedor do exterior: não tem CNPJ/CPF e por isso nunca é compartilhado" in response.text
    assert "12-3456789" in response.text


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"cnpj_cpf": "11.222.333/0001-81"}, "Cliente/fornecedor do exterior (UF EX) não tem CNPJ/CPF"),
        ({"country_code": "1058"}, "informe o código do país no Banco Central, diferente de 1058 (Brasil)"),
        ({"country_code": "abc"}, "Código do país inválido: [abc]. Use o código do país do Banco Central"),
        ({"state": "SP"}, "País 2496 não é o Brasil (1058): use a UF EX (exterior)"),
        ({"state": "SP", "country_code": "1058"}, "NIF e documento no exterior são só para clientes/fornecedores"),
    ],
)
def test_it_explains_what_a_client_abroad_needs(login, member, company, overrides, message):
    response = login(member).post(reverse("catalog:party_create", args=[company.pk]), foreign_data(**overrides))

    assert response.status_code == 400
    assert message in response.text
    assert not Party.objects.filter(company=company).exists()


def test_a_country_code_without_its_leading_zero_is_padded(login, member, company):
    data = foreign_data(country_code="639", city="Buenos Aires", nif="30-71234567-1")

    assert login(member).post(reverse("catalog:party_create", args=[company.pk]), data).status_code == 302
    assert Party.objects.get(company=company).country_code == "0639"


def test_the_admin_registers_a_supplier_abroad(admin_client, company):
    from tests.catalog.test_admin import _party_post, _url

    data = _party_post(company, cnpj_cpf="", legal_name="Shenzhen Electronics Co., Ltd.", state="EX",
                       country_code="1600", cep="", city="Shenzhen", nif="91440300MA5DXXXX1X",
                       foreign_document="", is_supplier="on", phone_ddd="", phone_number="")

    response = admin_client.post(_url(Party, "add"), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    party = Party.objects.get()
    assert (party.state, party.country_code, party.nif, party.cnpj_cpf) == ("EX", "1600", "91440300MA5DXXXX1X", "")
