from __future__ import annotations

import pytest

from companies.models import Membership
from tests.factories import PASSWORD, CompanyFactory, MembershipFactory


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Hashing test passwords with PBKDF2 costs ~0.3 s per user; tests need no strength."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def company(db):
    return CompanyFactory(legal_name="Matriz Exemplo Ltda", trade_name="Matriz")


@pytest.fixture
def other_company(db):
    return CompanyFactory(legal_name="Outra Empresa S.A.", trade_name="Outra")


@pytest.fixture
def owner(company):
    """Persona: administrator of `company`."""
    return MembershipFactory(company=company, role=Membership.Role.ADMIN).user


@pytest.fixture
def member(company):
    """Persona: ordinary user of `company`."""
    return MembershipFactory(company=company, role=Membership.Role.USER).user


@pytest.fixture
def outsider(other_company):
    """Persona: administrator of another company, with no access to `company`."""
    return MembershipFactory(company=other_company, role=Membership.Role.ADMIN).user


@pytest.fixture
def login(client):
    def _login(user):
        assert client.login(username=user.username, password=PASSWORD)
        return client

    return _login


@pytest.fixture
def password():
    return PASSWORD
