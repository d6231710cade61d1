"""Resumo do App → Webhooks in a browser: register an endpoint, test it, read the delivery
log and the dead-letter list, send a failed event again (screenshots 27–29)."""

from __future__ import annotations

import os

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from tests.helpers import make_product
from tests.webhooks.conftest import receiver  # noqa: F401 — the real local receiver fixture
from webhooks import services
from webhooks.models import Delivery, Endpoint

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _local_receiver_allowed(settings):
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    settings.WEBHOOKS_RETRY_DELAYS = [0.05, 0.05]
    settings.WEBHOOKS_KICK_WINDOW = 0


def test_it_registers_tests_and_shows_the_log_and_failures(
    page: Page, group_companies, group_admin, log_in, shot, receiver  # noqa: F811
):
    norte = group_companies["norte"]
    log_in(group_admin)
    page.goto(reverse("companies:summary", args=[norte.pk]))
    page.get_by_role("link", name="Cadastrar webhook").click()

    page.get_by_label("URL do endpoint").fill(receiver.url)
    page.get_by_label("Cliente/fornecedor excluído").uncheck()
    page.get_by_role("button", name="Cadastrar webhook").click()
    expect(page.get_by_text("Copie o segredo agora")).to_be_visible()
    endpoint = Endpoint.objects.get(company=norte)
    expect(page.get_by_text(endpoint.secret)).to_be_visible()
    page.get_by_role("link", name="Abrir o webhook").click()

    page.get_by_role("button", name="Testar").click()
    expect(page.get_by_text("O endpoint respondeu HTTP 200")).to_be_visible()
    shot("27-webhook-endpoint-testado")

    # Two products: the first meets an endpoint answering 500 and ends in the failures list.
    norte.refresh_from_db()  # read again, as the next request would: it has a webhook now
    receiver.status = 500
    make_product(norte, "PRD-000777", "Garrafa térmica inox 1 L", price="89.90")
    services.deliver(endpoint.pk)
    receiver.status = 200
    make_product(norte, "PRD-000778", "Caneca esmaltada 350 ml", price="39.90")
    services.deliver(endpoint.pk)
    page.reload()
    expect(page.get_by_role("heading", name="Lista de falhas")).to_be_visible()
    expect(page.get_by_role("button", name="Reenviar", exact=True)).to_be_visible()
    shot("28-webhook-historico-e-falhas")

    page.get_by_role("button", name="Reenviar", exact=True).click()
    expect(page.get_by_text("de volta à fila")).to_be_visible()
    services.deliver(endpoint.pk)
    assert Delivery.objects.filter(status=Delivery.Status.DELIVERED).count() == 2
    page.reload()
    expect(page.get_by_text("Nenhum evento na lista de falhas")).to_be_visible()
