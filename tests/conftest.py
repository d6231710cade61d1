from __future__ import annotations

import pytest
from django.db import connection

from companies.models import Membership
from tests.factories import PASSWORD, CompanyFactory, MembershipFactory

# pytest-randomly (requirements-dev.txt) reseeds random, Faker and factory_boy before each
# test from one seed and the test's name, so a test's data never depends on what ran before.
# By default the seed is fixed and the order is the files' order: every run of `make test` is
# the same run. `--randomly-seed=default` (`make test-random`) shuffles with a new seed, and
# `--randomly-seed=N` replays the order and data a run printed as "Using --randomly-seed=N".
DEFAULT_SEED = 20261203


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    if not config.pluginmanager.hasplugin("randomly"):
        return
    if any(arg.startswith("--randomly-seed") for arg in config.invocation_params.args):
        return
    config.option.randomly_seed = DEFAULT_SEED
    config.option.randomly_reorganize = False


# Every id in a test is at least this large, as in production, where ids pass 1,000 soon:
# with small ids a localized "1.865" in a form value or URL (issue 10) went unseen.
FIRST_ID = 1_000_000


def restart_sequences(start: int = FIRST_ID) -> None:
    """Restart every sequence of the test database (serial and identity columns alike) at
    `start`, or just past the largest id its table already holds (content types that a
    transactional test's flush created again, say), so that no insert can collide."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT seq.oid::regclass::text, tab.oid::regclass::text, quote_ident(col.attname)
            FROM pg_class seq
            LEFT JOIN pg_depend dep ON dep.objid = seq.oid AND dep.classid = 'pg_class'::regclass
                AND dep.refclassid = 'pg_class'::regclass AND dep.deptype IN ('a', 'i')
            LEFT JOIN pg_class tab ON tab.oid = dep.refobjid
            LEFT JOIN pg_attribute col ON col.attrelid = tab.oid AND col.attnum = dep.refobjsubid
            WHERE seq.relkind = 'S'
            """
        )
        for sequence, table, column in cursor.fetchall():
            highest = 0
            if table is not None:  # a sequence no column owns has no ids to step over
                cursor.execute(f"SELECT COALESCE(MAX({column}), 0) FROM {table}")
                highest = cursor.fetchone()[0]
            cursor.execute(f"ALTER SEQUENCE {sequence} RESTART WITH {max(int(start), int(highest) + 1)}")


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """pytest-django's test database, with ids from FIRST_ID on. Transactional tests keep
    them: their flush truncates tables without resetting sequences. (Django's
    reset_sequences=True would bring back 1: a test that wants known ids calls
    restart_sequences() instead, as the browser flow does.)"""
    with django_db_blocker.unblock():
        restart_sequences()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Hashing test passwords with PBKDF2 costs ~0.3 s per user; tests need no strength."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_cache():
    """The cache (this process's memory in tests) holds the API's counters of wrong
    credentials (api/throttle.py): emptied after each test, so that no test inherits
    another's. Never a shared cache (Redis), which may be someone else's."""
    yield
    from django.core.cache import caches
    from django.core.cache.backends.locmem import LocMemCache

    if isinstance(caches["default"], LocMemCache):
        caches["default"].clear()


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
