"""A branch of the group (`dest`) with its administrator, and a client's CNPJ, for the pages
of records the branch receives from the origin (`company`)."""

from __future__ import annotations

import pytest

from companies.models import Membership
from tests.factories import CompanyFactory, MembershipFactory, valid_cnpj


@pytest.fixture
def dest(db):
    return CompanyFactory(legal_name="Filial Sul Comércio de Águas Ltda", trade_name="Filial Sul")


@pytest.fixture
def dest_user(dest):
    """An administrator of the branch (the company role does not lift share permissions)."""
    return MembershipFactory(company=dest, role=Membership.Role.ADMIN).user


@pytest.fixture
def document():
    return valid_cnpj()
