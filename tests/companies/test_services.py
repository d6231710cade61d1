"""Company services: creating companies, granting access, the uniqueness setting."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from companies import services
from companies.models import Company, Membership
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_it_creates_a_company_with_the_cnpj_stored_bare():
    group = services.group_get_or_create(name=" Grupo Exemplo ")
    company = services.company_create(
        cnpj="12.abc.345/01de-35", legal_name="Matriz Exemplo Ltda", group=group
    )
    stored = Company.objects.get(pk=company.pk)
    assert stored.cnpj == "12ABC34501DE35"
    assert stored.group.name == "Grupo Exemplo"
    assert services.group_get_or_create(name="Grupo Exemplo") == group


def test_it_creates_nothing_for_an_invalid_cnpj():
    with pytest.raises(ValidationError) as caught:
        services.company_create(cnpj="11.222.333/0001-82", legal_name="Exemplo Ltda")
    assert caught.value.message_dict["cnpj"] == ["CNPJ inválido: os dígitos verificadores não conferem."]
    assert not Company.objects.exists()


def test_it_grants_access_and_changes_the_role_without_duplicating_it(company):
    user = UserFactory()
    services.membership_grant(user=user, company=company)
    services.membership_grant(user=user, company=company, role=Membership.Role.ADMIN)
    memberships = Membership.objects.filter(user=user, company=company)
    assert [m.role for m in memberships] == [Membership.Role.ADMIN]


def test_it_lets_an_admin_turn_uniqueness_validation_on_and_off(company, owner):
    services.company_set_unique_validation(company=company, user=owner, enabled=True)
    assert Company.objects.get(pk=company.pk).enforce_unique_records is True
    services.company_set_unique_validation(company=company, user=owner, enabled=False)
    assert Company.objects.get(pk=company.pk).enforce_unique_records is False


def test_it_refuses_uniqueness_changes_from_a_plain_member(company, member):
    with pytest.raises(PermissionDenied) as caught:
        services.company_set_unique_validation(company=company, user=member, enabled=True)
    assert str(caught.value) == "Somente administradores da empresa podem alterar a validação de unicidade."
    assert Company.objects.get(pk=company.pk).enforce_unique_records is False


def test_it_refuses_uniqueness_changes_from_an_admin_of_another_company(company, outsider):
    with pytest.raises(PermissionDenied):
        services.company_set_unique_validation(company=company, user=outsider, enabled=True)
    assert Company.objects.get(pk=company.pk).enforce_unique_records is False
