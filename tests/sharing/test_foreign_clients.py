"""A client abroad has no CNPJ/CPF, so, like any record without one, it is never shared."""

from __future__ import annotations

import pytest

from catalog.models import Party
from sharing.planner import plan
from tests.factories import CompanyFactory
from tests.helpers import activate, configure, make_party

pytestmark = pytest.mark.django_db


def test_a_client_abroad_is_skipped_by_the_preview_and_stays_in_its_company():
    origin = CompanyFactory(legal_name="Matriz Exportadora Ltda", trade_name="Matriz")
    dest = CompanyFactory(legal_name="Filial Sul Comércio Ltda", trade_name="Filial Sul")
    make_party(origin, "11222333000181", "Padaria Pão Quente Ltda")
    make_party(origin, "", "Acme Trading Corporation", state="EX", country_code="2496", nif="12-3456789",
               cep="", city="New York")

    counts = plan(origin=origin, destinations=[dest], registries=["party"])[0].counts
    activate(configure(origin, dest, registries=["party"]))

    assert (counts["create"], counts["skipped"]) == (1, 1)
    assert list(Party.objects.filter(company=dest).values_list("legal_name", flat=True)) == ["Padaria Pão Quente Ltda"]
