"""The audit page at a laptop's size (1366×800): its filters sit on one line above the
table instead of stretching across the page, one under the other."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from tests.helpers import make_party, share_between

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_it_keeps_the_audit_filters_on_one_short_line(page: Page, group_companies, group_admin, log_in, shot):
    matriz, norte = group_companies["matriz"], group_companies["norte"]
    make_party(matriz, "12ABC34501DE35", "Águas Cristalinas Comércio de Bebidas Ltda")
    share = share_between(matriz, norte, registries=["party"])
    page.set_viewport_size({"width": 1366, "height": 800})

    log_in(group_admin)
    page.goto(reverse("sharing:audit", args=[matriz.pk, share.pk]))

    company, action = page.get_by_label("Empresa", exact=True), page.get_by_label("Ação", exact=True)
    button = page.get_by_role("button", name="Filtrar")
    expect(company).to_be_visible()
    boxes = [company.bounding_box(), action.bounding_box(), button.bounding_box()]
    assert all(box["width"] < 400 for box in boxes[:2]), boxes
    assert max(box["y"] for box in boxes) - min(box["y"] for box in boxes) < 20, boxes  # one line
    expect(page.get_by_role("cell", name="Ativação").first).to_be_visible()
    shot("22-auditoria")
