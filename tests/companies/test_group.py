from __future__ import annotations

import pytest
from django.urls import reverse

from companies.models import Membership
from tests.factories import CompanyFactory, MembershipFactory

pytestmark = pytest.mark.django_db


def _group_page(client, company):
    return client.get(reverse("companies:group", args=[company.pk]))


def test_it_lists_the_group_companies_marking_those_the_user_can_access(login, member, company):
    administered = CompanyFactory(group=company.group, trade_name="Filial Administrada")
    MembershipFactory(user=member, company=administered, role=Membership.Role.ADMIN)
    unreachable = CompanyFactory(group=company.group, trade_name="Filial Sem Acesso")

    response = _group_page(login(member), company)

    assert response.status_code == 200
    content = response.content.decode()
    assert company.group.name in content
    for listed in (company, administered, unreachable):
        assert listed.display_name in content
        assert listed.cnpj_masked in content
    assert "Sem acesso" in content
    assert "Administrador" in content
    assert "Usuário" in content
    assert reverse("companies:summary", args=[administered.pk]) in content
    assert reverse("companies:summary", args=[unreachable.pk]) not in content


def test_it_offers_to_change_the_setting_only_where_the_user_is_admin(login, member, company):
    administered = CompanyFactory(group=company.group, enforce_unique_records=True)
    MembershipFactory(user=member, company=administered, role=Membership.Role.ADMIN)

    content = _group_page(login(member), company).content.decode()

    assert reverse("companies:summary", args=[administered.pk]) + "#unicidade" in content
    assert reverse("companies:summary", args=[company.pk]) + "#unicidade" not in content
    assert "Ativada" in content and "Desativada" in content


def test_it_answers_404_to_an_outsider(login, outsider, company):
    response = _group_page(login(outsider), company)

    assert response.status_code == 404


def test_it_does_not_list_companies_of_other_groups(login, owner, company, other_company):
    content = _group_page(login(owner), company).content.decode()

    assert other_company.display_name not in content


@pytest.mark.urls("tests.companies.urlconf_bare")
def test_it_hides_cadastros_compartilhados_until_the_wizard_exists(login, owner, company):
    response = _group_page(login(owner), company)

    assert response.status_code == 200
    assert "Cadastros Compartilhados" not in response.content.decode()


@pytest.mark.urls("tests.companies.urlconf_full")
def test_it_shows_cadastros_compartilhados_once_the_wizard_exists(login, owner, company):
    content = _group_page(login(owner), company).content.decode()

    assert "Cadastros Compartilhados" in content
    assert f"/apps/{company.pk}/compartilhamento/" in content
