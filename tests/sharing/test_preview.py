"""The preview: what activation would do, counted per destination, with nothing written."""

from __future__ import annotations

from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command

from sharing.management.commands.share_preview import HEADERS
from sharing.planner import CATEGORIES, plan, plan_rows
from tests.factories import CompanyFactory
from tests.helpers import make_party, make_product

pytestmark = pytest.mark.django_db

D1, D2, D3, D5, D6, D7 = (
    "11222333000181", "45723174000110", "52998224725", "11444777000161", "04252011000110", "60701190000104"
)
EAN = "7891234567895"


@pytest.fixture
def scenario():
    origin = CompanyFactory(legal_name="Matriz Ltda", trade_name="Matriz")
    dest = CompanyFactory(legal_name="Filial Ltda", trade_name="Filial", enforce_unique_records=True)
    # Parties in the origin.
    make_party(origin, D1, "Igual Comércio Ltda")  # identical in the destination
    make_party(origin, D2, "Diferente Ltda", city="Campinas")  # overwritten
    make_party(origin, D3, "Maria da Silva")  # created
    make_party(origin, "", "Consumidor Final")  # skipped: no CNPJ/CPF
    make_party(origin, D5, "Alfa Comércio Ltda")  # created, looks like the destination's D6
    # Parties in the destination.
    make_party(dest, D1, "Igual Comércio Ltda")
    make_party(dest, D2, "Diferente Ltda", city="Santos")
    make_party(dest, D6, "ALFA COMÉRCIO LTDA.")  # destination-only, same name as D5
    make_party(dest, D7, "Só da Filial")  # destination-only
    make_party(dest, "", "Balcão")  # destination-only (never shared)
    # Products in the origin.
    make_product(origin, "A1", "Água", ean="")  # identical
    make_product(origin, "B2", "Bala", price="2.00")  # overwritten
    make_product(origin, "C3", "Chocolate")  # created
    make_product(origin, "D4", "Doce", ean=EAN)  # created in the counts, but its EAN conflicts
    # Products in the destination.
    make_product(dest, "A1", "Água", ean="")
    make_product(dest, "B2", "Bala", price="1.00")
    make_product(dest, "X9", "Doce da filial", ean=EAN)  # destination-only, holds D4's EAN
    return origin, dest


def _row_counts() -> dict[str, int]:
    return {
        model._meta.label: model.objects.count()
        for model in apps.get_models()
        if model._meta.app_label in {"catalog", "sharing", "companies", "django_q"}
    }


def test_it_counts_what_activation_would_do(scenario):
    origin, dest = scenario

    plans = {p.registry: p.counts for p in plan(origin=origin, destinations=[dest],
                                                registries=["party", "product"])}

    assert plans["party"] == {
        "create": 2, "overwrite": 1, "identical": 1, "destination_only": 3,
        "skipped": 1, "duplicates": 1, "conflicts": 0,
    }
    assert plans["product"] == {
        "create": 2, "overwrite": 1, "identical": 1, "destination_only": 1,
        "skipped": 0, "duplicates": 1, "conflicts": 1,
    }


def test_it_lists_field_by_field_differences(scenario):
    origin, dest = scenario

    rows = plan_rows(origin=origin, dest=dest, registry="party", category="overwrite")

    assert [row["key"] for row in rows] == [D2]
    assert rows[0]["differences"] == [("city", "Santos", "Campinas")]
    created = plan_rows(origin=origin, dest=dest, registry="product", category="create")
    assert [row["key"] for row in created] == ["C3", "D4"]


def test_it_writes_nothing(scenario):
    origin, dest = scenario
    before = _row_counts()
    dest_products = sorted(dest.products.values_list("code", "description", "price", "version"))

    plan(origin=origin, destinations=[dest], registries=["party", "product"])
    for category in ("create", "overwrite", "identical", "destination_only"):
        plan_rows(origin=origin, dest=dest, registry="product", category=category)
    out = StringIO()
    call_command("share_preview", "--origin", origin.cnpj, "--to", dest.cnpj, "--details", "5", stdout=out)

    assert _row_counts() == before
    assert sorted(dest.products.values_list("code", "description", "price", "version")) == dest_products
    text = out.getvalue()
    assert "nada foi gravado" in text
    assert "Campinas" in text and "Santos" in text
    header = text.splitlines()[1].split()
    for category in CATEGORIES:
        assert HEADERS[category].split()[0] in header
