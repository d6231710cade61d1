from __future__ import annotations

import pytest
from django.urls import reverse

from companies.models import Membership
from tests.factories import CompanyFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_it_lists_the_users_companies_with_their_data(login, owner, company):
    response = login(owner).get(reverse("companies:my_apps"))

    assert response.status_code == 200
    content = response.content.decode()
    assert company.legal_name in content
    assert company.trade_name in content
    assert company.cnpj_masked in content
    assert company.group.name in content
    assert "Administrador" in content
    assert reverse("companies:summary", args=[company.pk]) in content
    assert "⚙" in content


def test_it_lists_only_the_users_companies(login, owner, company, other_company):
    response = login(owner).get(reverse("companies:my_apps"))

    content = response.content.decode()
    assert company.legal_name in content
    assert other_company.legal_name not in content
    assert other_company.cnpj_masked not in content
    assert reverse("companies:summary", args=[other_company.pk]) not in content


def test_it_shows_the_users_role_in_each_company(login, member, company):
    admin_elsewhere = CompanyFactory(legal_name="Filial Onde Administra Ltda")
    MembershipFactory(user=member, company=admin_elsewhere, role=Membership.Role.ADMIN)

    response = login(member).get(reverse("companies:my_apps"))

    content = response.content.decode()
    assert "Usuário" in content
    assert "Administrador" in content
    assert admin_elsewhere.legal_name in content


def test_it_tells_a_user_without_companies_how_to_get_access(login, db):
    user = UserFactory()

    response = login(user).get(reverse("companies:my_apps"))

    assert response.status_code == 200
    assert "Nenhum aplicativo" in response.content.decode()
