"""Test data looks like production: every id is at least 1,000,000 (tests/conftest.py), in
ordinary and transactional tests alike, so a localized id ("1.000.000") cannot go unseen."""

from __future__ import annotations

import pytest

from catalog.models import Party
from tests.conftest import FIRST_ID
from tests.factories import CompanyFactory, PartyFactory


@pytest.mark.django_db
def test_it_gives_records_ids_from_one_million():
    company = CompanyFactory()
    assert company.pk >= FIRST_ID
    assert PartyFactory(company=company).pk >= FIRST_ID


@pytest.mark.django_db(transaction=True)
def test_it_gives_records_ids_from_one_million_in_transactional_tests_too():
    company = CompanyFactory()
    assert company.pk >= FIRST_ID
    assert PartyFactory(company=company).pk >= FIRST_ID
    assert Party.objects.count() == 1
