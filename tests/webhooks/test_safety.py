"""Only http(s), only public addresses (checked after DNS, and the connection made to the
checked address), no redirects followed, answers and bodies capped, failures explained."""

from __future__ import annotations

import socket

import pytest

from tests.factories import CompanyFactory
from tests.helpers import make_product
from webhooks import sender, services
from webhooks.models import ALL_TOPICS, Attempt, Delivery

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(db):
    return CompanyFactory(legal_name="Loja Virtual Água Viva Comércio Ltda", trade_name="Água Viva")


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:8080/webhook", "http://localhost/webhook", "http://10.0.0.7/webhook",
    "http://192.168.1.20/omie", "http://169.254.169.254/latest/meta-data/", "http://[::1]/webhook",
    "http://[::ffff:127.0.0.1]/webhook", "http://100.64.0.1/webhook", "http://0.0.0.0/",
])
def test_it_refuses_a_private_loopback_or_link_local_address(shop, url):
    with pytest.raises(services.EndpointRefused, match="endereço privado, local ou reservado"):
        services.endpoint_create(company=shop, url=url, topics=ALL_TOPICS)


@pytest.mark.parametrize(("url", "reason"), [
    ("ftp://arquivos.exemplo.com.br/x", "Apenas URLs http:// ou https://"),
    ("file:///etc/passwd", "Apenas URLs http:// ou https://"),
    ("https://usuario:senha@loja.exemplo.com.br/", "usuário e senha"),
    ("https:///sem-host", "não tem um endereço"),
])
def test_it_refuses_what_is_not_a_plain_http_url(shop, url, reason):
    with pytest.raises(services.EndpointRefused, match=reason):
        services.endpoint_create(company=shop, url=url, topics=ALL_TOPICS)


def test_a_name_that_resolves_to_a_private_address_is_refused_at_delivery(shop, receiver, settings, monkeypatch):
    # Registered while the name was public; its DNS now answers 127.0.0.1 (rebinding).
    port = int(receiver.url.split(":")[2].split("/")[0])
    answers = {"loja.exemplo.com.br": "200.160.2.3"}
    real = socket.getaddrinfo

    def fake(host, *args, **kwargs):
        if host in answers:
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (answers[host], port))]
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    endpoint = services.endpoint_create(company=shop, url=f"http://loja.exemplo.com.br:{port}/hook", topics=ALL_TOPICS)
    answers["loja.exemplo.com.br"] = "127.0.0.1"
    make_product(shop, "PRD-000001", "Garrafa térmica 1 L")
    settings.WEBHOOKS_RETRY_DELAYS = []

    services.deliver(endpoint.pk)

    assert receiver.received == []
    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.DEAD and "127.0.0.1" in delivery.last_error

    # Allowed (on-premise): the connection goes to the address that was checked, with the name as Host.
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    services.redeliver(company=shop, endpoint_id=endpoint.pk)
    services.deliver(endpoint.pk)
    (received,) = receiver.received
    assert received.headers["Host"] == f"loja.exemplo.com.br:{port}"


def test_a_redirect_is_not_followed_and_says_why(shop, receiver, private_allowed):
    receiver.status = 302
    receiver.headers = {"Location": "http://169.254.169.254/latest/meta-data/"}
    endpoint = services.endpoint_create(company=shop, url=receiver.url, topics=ALL_TOPICS)

    attempt = services.endpoint_ping(company=shop, endpoint_id=endpoint.pk)

    assert not attempt.ok and attempt.status_code == 302
    assert "redirecionamento" in attempt.error and "não são seguidos" in attempt.error
    assert len(receiver.received) == 1


def test_failures_are_explained_in_portuguese(shop, receiver, private_allowed, settings):
    endpoint = services.endpoint_create(company=shop, url=receiver.url, topics=ALL_TOPICS)
    receiver.status = 503
    assert "HTTP 503 (serviço indisponível); só uma resposta 2xx confirma" in services.endpoint_ping(
        company=shop, endpoint_id=endpoint.pk).error

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    result = sender.post(f"http://127.0.0.1:{closed}/x", b"{}", {})
    assert result.error == f"Conexão recusada por 127.0.0.1:{closed}: nada atende nesse endereço."

    settings.WEBHOOKS_MAX_BODY_BYTES = 1024
    assert "acima do limite de 1 KB" in sender.post(receiver.url, b"x" * 2048, {}).error
    assert Attempt.objects.filter(endpoint=endpoint).count() == 1
