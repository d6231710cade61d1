"""Suggested product codes: the share's fixed PRD + 11 digit sequence after activation."""

from __future__ import annotations

import random
import re

import pytest

from catalog import services as catalog_services
from sharing.codes import SPACE, code_for, permuted
from sharing.models import Share
from tests.factories import CompanyFactory
from tests.helpers import activate, apply_pending, configure, make_product, product_in

SHARED_CODE = re.compile(r"^PRD[0-9]{11}$")


def test_it_permutes_without_collisions():
    key = random.Random(7).getrandbits(62)
    sample = range(0, 20_000)
    values = [permuted(n, key) for n in sample]

    assert len(set(values)) == len(values)
    assert all(0 <= value < SPACE for value in values)
    assert values != sorted(values)  # random-looking, not a counter
    # The same n and key always give the same code; another key gives another sequence.
    assert code_for(5, key) == code_for(5, key)
    assert [permuted(n, key + 1) for n in range(50)] != values[:50]


def test_it_is_a_bijection_on_a_small_cycle():
    # The top of the range folds back into it (cycle-walking) without landing twice anywhere.
    key = 123456789
    top = range(SPACE - 5_000, SPACE)
    values = {permuted(n, key) for n in top} | {permuted(n, key) for n in range(5_000)}
    assert len(values) == 10_000


@pytest.mark.django_db
def test_it_suggests_the_local_sequence_before_activation():
    origin = CompanyFactory()
    dest = CompanyFactory()
    make_product(origin, "PRD00007", "Água")
    share = configure(origin, dest)  # configured, not yet active

    assert catalog_services.product_code_suggestion(company=origin) == "PRD00008"
    assert catalog_services.product_code_suggestion(company=dest) == "PRD00001"
    assert share.status == Share.Status.DRAFT


@pytest.mark.django_db
def test_it_suggests_distinct_shared_codes_in_every_member_after_activation():
    origin = CompanyFactory()
    branch_a = CompanyFactory()
    branch_b = CompanyFactory()
    loner = CompanyFactory()
    make_product(origin, "A1", "Água")
    activate(configure(origin, branch_a, branch_b))
    members = [origin, branch_a, branch_b]

    codes = [catalog_services.product_code_suggestion(company=members[n % 3]) for n in range(2_000)]

    assert all(SHARED_CODE.match(code) for code in codes)
    assert len(set(codes)) == len(codes)
    assert catalog_services.product_code_suggestion(company=loner) == "PRD00001"  # not in the share
    assert Share.objects.get().code_counter == 2_000


@pytest.mark.django_db
def test_it_uses_the_sequence_for_a_new_product_without_a_code_and_accepts_a_typed_one():
    origin = CompanyFactory()
    dest = CompanyFactory()
    make_product(origin, "A1", "Água")
    activate(configure(origin, dest))

    suggested = catalog_services.product_create(company=dest, data={"description": "Sem código", "ncm": "84713012"})
    typed = make_product(dest, "MEU-CODIGO-1", "Código digitado")
    apply_pending()

    assert SHARED_CODE.match(suggested.code)
    assert product_in(origin, suggested.code).description == "Sem código"
    assert product_in(origin, "MEU-CODIGO-1").description == typed.description


@pytest.mark.django_db
def test_it_skips_a_code_a_user_already_typed_by_hand():
    origin = CompanyFactory()
    dest = CompanyFactory()
    make_product(origin, "A1", "Água")
    share = configure(origin, dest)
    activate(share)
    share.refresh_from_db()
    make_product(dest, code_for(share.code_counter + 1, share.code_key), "Digitado igual ao próximo")

    suggested = catalog_services.product_code_suggestion(company=origin)

    assert suggested == code_for(share.code_counter + 2, share.code_key)
