from __future__ import annotations

import pytest
from django.db import connection

from companies.models import Membership
from tests.factories import PASSWORD, CompanyFactory, MembershipFactory

# Every id in a test is at least this large, as in production, where ids pass 1,000 soon:
# with small ids a localized "1.865" in a form value or URL (issue 10) went unseen.
FIRST_ID = 1_000_000


def restart_sequences(start: int = FIRST_ID) -> None:
    """Restart every sequence (serial and identity columns alike) of the test database."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT schemaname, sequencename FROM pg_sequences")
        for schema, name in cursor.fetchall():
            cursor.execute(f'ALTER SEQUENCE "{schema}"."{name}" RESTART WITH {int(start)}')


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """pytest-django's test database, with ids from FIRST_ID on. Transactional tests keep
    them: their flush truncates tables without resetting sequences (a test that asks for
    reset_sequences=True gets 1 again, so none does; see restart_sequences)."""
    with django_db_blocker.unblock():
        restart_sequences()


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
