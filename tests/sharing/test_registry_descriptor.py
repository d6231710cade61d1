"""The registry descriptor (catalog/registries.py) is the one list of what travels: declaring
a field shared there is enough for activation, propagation, resync and the preview."""

from __future__ import annotations

import dataclasses

import pytest

from catalog import registries
from catalog import services as catalog_services
from catalog.models import Party
from sharing.planner import plan, plan_rows
from sharing.resync import find_drift
from tests.factories import CompanyFactory
from tests.helpers import apply_pending, make_party, party_in, share_between

pytestmark = pytest.mark.django_db

# Masked and unmasked, as users type them; stored unmasked.
BOTH = "11.222.333/0001-81"
NEW = "45723174000110"
BOTH_DIGITS = "11222333000181"


@pytest.fixture
def tags_shared(monkeypatch):
    """A party's tags, a stored column that stays in each company today, declared shared."""
    party = registries.describe("party")
    assert "tags" not in party.shared_fields
    monkeypatch.setitem(
        registries.REGISTRIES, "party", dataclasses.replace(party, shared_fields=(*party.shared_fields, "tags"))
    )


@pytest.fixture
def companies():
    origin = CompanyFactory(legal_name="Distribuidora Água Viva Comércio de Bebidas Ltda", trade_name="Água Viva")
    dest = CompanyFactory(legal_name="Água Viva Filial Paraná Ltda", trade_name="Filial Paraná")
    make_party(origin, BOTH, "Mercearia São José dos Pinhais Ltda", tags=["atacado", "região sul"])
    make_party(origin, NEW, "Padaria Pão de Açúcar do Bairro Ltda", tags=["exportação"])
    # The same client in the destination, equal but for its tags.
    make_party(dest, BOTH_DIGITS, "Mercearia São José dos Pinhais Ltda", tags=["varejo"])
    return origin, dest


def test_it_keeps_tags_local_while_the_descriptor_does_not_share_them(companies):
    origin, dest = companies

    [preview] = plan(origin=origin, destinations=[dest], registries=["party"])
    share_between(origin, dest, registries=["party"])

    assert preview.counts["identical"] == 1
    assert party_in(dest, BOTH_DIGITS).tags == ["varejo"]
    assert party_in(dest, NEW).tags == []


def test_it_previews_a_newly_shared_field_as_a_difference(tags_shared, companies):
    origin, dest = companies

    [preview] = plan(origin=origin, destinations=[dest], registries=["party"])
    rows = plan_rows(origin=origin, dest=dest, registry="party", category="overwrite")

    assert (preview.counts["overwrite"], preview.counts["identical"], preview.counts["create"]) == (1, 0, 1)
    assert [row["key"] for row in rows] == [BOTH_DIGITS]
    assert rows[0]["differences"] == [("tags", ["varejo"], ["atacado", "região sul"])]


def test_it_copies_propagates_and_resyncs_a_newly_shared_field(tags_shared, companies):
    origin, dest = companies

    # Activation: the overwritten copy and the new one both get the origin's tags.
    share = share_between(origin, dest, registries=["party"])
    assert party_in(dest, BOTH_DIGITS).tags == ["atacado", "região sul"]
    assert party_in(dest, NEW).tags == ["exportação"]

    # Propagation: an edit of the tags alone is a shared change that reaches the destination.
    catalog_services.party_update(
        company=origin, party_id=party_in(origin, BOTH_DIGITS).pk, data={"tags": ["atacado", "promoção"]},
        source="web",
    )
    assert apply_pending() == 1
    assert party_in(dest, BOTH_DIGITS).tags == ["atacado", "promoção"]

    # Resync: tags edited behind the engine's back are drift on that field.
    Party.objects.filter(company=dest, cnpj_cpf=NEW).update(tags=["editado à mão"])
    drift = find_drift(share)
    assert [(d.local_id, d.fields) for d in drift] == [(party_in(dest, NEW).pk, ("tags",))]


def test_it_refuses_an_unknown_registry_by_name():
    with pytest.raises(KeyError, match="Unknown registry 'service'"):
        registries.describe("service")
