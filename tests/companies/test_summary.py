from __future__ import annotations

import pytest
from django.urls import reverse

from companies.models import Membership
from tests.factories import CompanyFactory, MembershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def sibling(company):
    """Another company of the same group, with uniqueness validation on."""
    return CompanyFactory(
        group=company.group,
        legal_name="Filial Norte Comércio Ltda",
        trade_name="Filial Norte",
        enforce_unique_records=True,
    )


def _summary(client, company):
    return client.get(reverse("companies:summary", args=[company.pk]))


def test_it_shows_the_company_data(login, member, company):
    response = _summary(login(member), company)

    assert response.status_code == 200
    content = response.content.decode()
    assert "Resumo do App" in content
    assert company.legal_name in content
    assert company.trade_name in content
    assert company.cnpj_masked in content
    assert company.group.name in content


def test_it_lists_the_group_companies_with_cnpj_and_uniqueness(login, member, company, sibling):
    response = _summary(login(member), company)

    content = response.content.decode()
    assert "Grupo de Empresas" in content
    assert "Filial Norte" in content
    assert sibling.cnpj_masked in content
    # The company's own validation is off, the sibling's is on.
    assert "Desativada" in content
    assert "Ativada" in content
    assert "Editar grupo de empresas" in content
    assert reverse("companies:group", args=[company.pk]) in content


def test_it_does_not_list_companies_of_other_groups(login, member, company, other_company):
    content = _summary(login(member), company).content.decode()

    assert other_company.legal_name not in content
    assert other_company.trade_name not in content


def test_it_links_only_to_group_companies_the_user_can_open(login, member, company, sibling):
    reachable = CompanyFactory(group=company.group, trade_name="Filial Sul")
    MembershipFactory(user=member, company=reachable, role=Membership.Role.USER)

    content = _summary(login(member), company).content.decode()

    assert reverse("companies:summary", args=[reachable.pk]) in content
    assert "Filial Norte" in content
    assert reverse("companies:summary", args=[sibling.pk]) not in content


def test_it_answers_404_to_an_outsider(login, outsider, company):
    response = _summary(login(outsider), company)

    assert response.status_code == 404
    assert company.legal_name not in response.content.decode()


def test_it_answers_404_for_a_company_that_does_not_exist(login, owner):
    response = login(owner).get(reverse("companies:summary", args=[999999]))

    assert response.status_code == 404


def test_it_shows_the_uniqueness_setting_read_only_to_a_member(login, member, company):
    content = _summary(login(member), company).content.decode()

    assert "Validação de unicidade de cadastros" in content
    assert "Recomendada antes de compartilhar cadastros" in content
    assert "Somente administradores da empresa podem alterar" in content
    assert reverse("companies:unique_validation", args=[company.pk]) not in content


def test_it_shows_the_uniqueness_toggle_to_an_admin(login, owner, company):
    content = _summary(login(owner), company).content.decode()

    toggle_url = reverse("companies:unique_validation", args=[company.pk])
    assert f'action="{toggle_url}"' in content
    assert 'role="switch"' in content
    assert 'aria-checked="false"' in content
    assert "Somente administradores da empresa podem alterar" not in content


@pytest.mark.urls("tests.companies.urlconf_full")
def test_it_links_to_the_company_records_when_the_catalog_pages_exist(login, member, company):
    content = _summary(login(member), company).content.decode()

    assert "Clientes e Fornecedores" in content
    assert "Produtos" in content
    assert f"/apps/{company.pk}/clientes/" in content
    assert f"/apps/{company.pk}/produtos/" in content


@pytest.mark.urls("tests.companies.urlconf_bare")
def test_it_still_works_before_the_catalog_pages_exist(login, member, company):
    response = _summary(login(member), company)

    assert response.status_code == 200
    assert f"/apps/{company.pk}/clientes/" not in response.content.decode()
