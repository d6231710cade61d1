"""Wrong app_key/app_secret are throttled per key and per address (api/throttle.py): a guesser
is refused in Omie's words for a blocked app, before any query, while the company's own
integration, from its own address, keeps working."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client

from api import throttle
from api.services import IssuedCredential
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db

GUESSER = "177.71.207.40"
INTEGRATION = "54.94.178.12"


def _call(creds: IssuedCredential, *, address: str, secret: str | None = None, get: bool = False, **meta):
    envelope = {
        "call": "ListarProdutos",
        "app_key": creds.app_key,
        "app_secret": creds.app_secret if secret is None else secret,
        "param": [{"pagina": 1, "registros_por_pagina": 5}],
    }
    client = Client(REMOTE_ADDR=address, **meta)
    if get:
        return client.get("/api/v1/geral/produtos/", {"JSON": json.dumps(envelope)})
    return client.post("/api/v1/geral/produtos/", json.dumps(envelope), content_type="application/json")


def _wrong(n: int) -> str:
    return f"{n:032x}"


def _blocked_for(response) -> int:
    assert response.status_code == 425, response.content
    body = response.json()
    assert body["faultcode"] == "MISUSE_API_PROCESS"
    match = re.match(r"ERROR: API bloqueada por consumo indevido\. Tente novamente em (\d+) segundos\.",
                     body["faultstring"])
    assert match, body["faultstring"]
    assert response["Retry-After"] == match.group(1)
    return int(match.group(1))


@pytest.fixture(autouse=True)
def products(company, other_company):
    """One product in each company, so that a call that gets through lists something."""
    ProductFactory(company=company, description="Caneta esferográfica azul")
    ProductFactory(company=other_company, description="Café torrado e moído")


@pytest.fixture
def clock(monkeypatch):
    """The throttle's clock, at the start of a window, moved by hand."""
    now = [1_796_000_000.0 - 1_796_000_000.0 % 300 + 1]
    monkeypatch.setattr(throttle, "_now", lambda: now[0])
    return now


def test_two_hundred_wrong_secrets_are_refused_early_and_without_a_query(
    credentials, clock, django_assert_num_queries
):
    answers = [_call(credentials, address=GUESSER, secret=_wrong(n)) for n in range(199)]

    assert [a.json()["faultcode"] for a in answers[:10]] == ["SOAP-ENV:Client-4"] * 10
    assert all(a.status_code == 425 for a in answers[10:])
    assert 0 < _blocked_for(answers[-1]) <= 300
    with django_assert_num_queries(0):  # not even the credential's lookup
        _blocked_for(_call(credentials, address=GUESSER, secret=_wrong(199)))
    # The right secret from the guesser's address is refused too: guessing it is no use.
    _blocked_for(_call(credentials, address=GUESSER))


def test_the_right_secret_from_another_address_still_works(credentials, clock):
    for n in range(200):
        _call(credentials, address=GUESSER, secret=_wrong(n))

    answer = _call(credentials, address=INTEGRATION)

    assert answer.status_code == 200, answer.content
    assert "produto_servico_cadastro" in answer.json()


def test_after_the_window_the_address_may_try_again(credentials, clock):
    for n in range(12):
        _call(credentials, address=GUESSER, secret=_wrong(n))
    wait = _blocked_for(_call(credentials, address=GUESSER))

    clock[0] += wait

    assert _call(credentials, address=GUESSER).status_code == 200


def test_one_address_trying_many_keys_is_refused_for_every_key(credentials, other_credentials, clock, settings):
    for n in range(settings.API_AUTH_ADDRESS_FAILURE_LIMIT):
        unknown = IssuedCredential(credentials.credential, str(9_000_000_000_000 + n), "0" * 32)
        _call(unknown, address=GUESSER)

    _blocked_for(_call(other_credentials, address=GUESSER))
    assert _call(other_credentials, address=INTEGRATION).status_code == 200


def test_many_addresses_trying_one_key_lock_out_only_themselves(credentials, clock, settings):
    addresses = [f"186.{n // 200}.{n % 200}.9" for n in range(settings.API_AUTH_KEY_FAILURE_LIMIT)]
    for n, address in enumerate(addresses):
        _call(credentials, address=address, secret=_wrong(n))

    # Each guesser had one try; after the key's limit, none has another, even the right one.
    _blocked_for(_call(credentials, address=addresses[0]))
    _blocked_for(_call(credentials, address=addresses[-1], secret=_wrong(10**6)))
    # The company's integration never sent a wrong secret: it is answered.
    assert _call(credentials, address=INTEGRATION).status_code == 200


def test_a_get_with_the_envelope_in_the_url_is_counted_the_same(credentials, clock):
    for n in range(10):
        _call(credentials, address=GUESSER, secret=_wrong(n), get=True)

    _blocked_for(_call(credentials, address=GUESSER, get=True))


def test_behind_a_configured_proxy_the_client_address_counts(credentials, clock, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    for n in range(12):  # forged left parts change nothing: the proxy's entry is the client
        _call(credentials, address="10.0.0.2", secret=_wrong(n),
              HTTP_X_FORWARDED_FOR=f"10.1.{n}.1, {GUESSER}")

    _blocked_for(_call(credentials, address="10.0.0.2", HTTP_X_FORWARDED_FOR=GUESSER))
    assert _call(credentials, address="10.0.0.2", HTTP_X_FORWARDED_FOR=INTEGRATION).status_code == 200


def test_a_right_call_costs_no_write_to_the_cache(credentials, clock, monkeypatch):
    written = []
    for method in ("add", "incr", "set", "set_many"):
        monkeypatch.setattr(throttle.cache, method, lambda *a, _m=method, **k: written.append(_m))

    assert _call(credentials, address=INTEGRATION).status_code == 200
    assert written == []


def test_an_unreachable_cache_leaves_the_api_answering(credentials, clock, monkeypatch):
    def down(*args, **kwargs):
        raise ConnectionError("Redis fora do ar")

    monkeypatch.setattr(throttle.cache, "get_many", down)
    monkeypatch.setattr(throttle.cache, "add", down)

    assert _call(credentials, address=INTEGRATION).status_code == 200
    assert _call(credentials, address=GUESSER, secret="0" * 32).json()["faultcode"] == "SOAP-ENV:Client-4"
