"""Company validation: the CNPJ a user types is stored in one normal form."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from companies.models import Company, Membership
from tests.factories import CompanyFactory, MembershipFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("typed", "stored", "shown"),
    [
        ("11.222.333/0001-81", "11222333000181", "11.222.333/0001-81"),
        ("12.abc.345/01de-35", "12ABC34501DE35", "12.ABC.345/01DE-35"),
    ],
)
def test_it_stores_a_masked_cnpj_bare_and_shows_it_masked(typed, stored, shown):
    company = Company(cnpj=typed, legal_name="Exemplo Comércio Ltda")
    company.full_clean()
    company.save()
    company.refresh_from_db()
    assert company.cnpj == stored
    assert company.cnpj_masked == shown


def test_it_refuses_an_invalid_cnpj_on_the_cnpj_field():
    company = Company(cnpj="11.222.333/0001-82", legal_name="Exemplo Comércio Ltda")
    with pytest.raises(ValidationError) as caught:
        company.full_clean()
    assert caught.value.message_dict == {"cnpj": ["CNPJ inválido: os dígitos verificadores não conferem."]}


def test_it_refuses_a_cpf_as_company_cnpj():
    company = Company(cnpj="529.982.247-25", legal_name="Exemplo Comércio Ltda")
    with pytest.raises(ValidationError) as caught:
        company.full_clean()
    assert caught.value.message_dict["cnpj"][0].startswith("CNPJ inválido: informe 14 caracteres")


def test_it_refuses_a_second_company_with_the_same_cnpj_typed_another_way():
    CompanyFactory(cnpj="11222333000181")
    company = Company(cnpj="11.222.333/0001-81", legal_name="Outra Ltda")
    with pytest.raises(ValidationError) as caught:
        company.full_clean()
    assert "cnpj" in caught.value.message_dict


def test_it_shows_the_trade_name_or_else_the_legal_name():
    assert str(Company(cnpj="11222333000181", legal_name="Razão Ltda", trade_name="Fantasia")) == "Fantasia"
    assert str(Company(cnpj="11222333000181", legal_name="Razão Ltda")) == "Razão Ltda"


def test_it_tells_admins_from_users(company):
    admin = MembershipFactory(company=company, role=Membership.Role.ADMIN)
    user = MembershipFactory(company=company, role=Membership.Role.USER)
    assert admin.is_admin
    assert not user.is_admin
