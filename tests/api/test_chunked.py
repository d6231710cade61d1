"""A body sent with Transfer-Encoding: chunked (no Content-Length), through a real socket, to
Django's development server (the live server, as runserver) and to gunicorn (production)."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from django.db import connection

from api import services
from catalog.models import Party
from tests.factories import CompanyFactory
from tests.helpers import BASE_DIR, database_url

pytestmark = pytest.mark.django_db(transaction=True)

CLIENTES = "/api/v1/geral/clientes/"


def _envelope(credentials, code: str, **extra) -> bytes:
    param = {"codigo_cliente_integracao": code, "razao_social": "Padaria Pão Quente Ltda",
             "cnpj_cpf": "11.222.333/0001-81", "cidade": "Campinas", "estado": "SP", **extra}
    return json.dumps({"call": "IncluirCliente", "app_key": credentials.app_key,
                       "app_secret": credentials.app_secret, "param": [param]}).encode()


def _pieces(body: bytes, size: int = 97) -> Iterator[bytes]:
    for start in range(0, len(body), size):
        yield body[start:start + size]


def _post_chunked(host: str, port: int, body: bytes, *, piece: int = 97) -> tuple[int, dict, dict]:
    """POST with Transfer-Encoding: chunked, as http.client sends an iterable body."""
    connection_ = http.client.HTTPConnection(host, port, timeout=60)
    try:
        connection_.request("POST", CLIENTES, body=_pieces(body, piece),
                            headers={"Content-Type": "application/json"}, encode_chunked=True)
        response = connection_.getresponse()
        return response.status, dict(response.getheaders()), json.loads(response.read())
    finally:
        connection_.close()


@pytest.fixture
def credentials():
    company = CompanyFactory(legal_name="Matriz Exemplo Ltda", trade_name="Matriz")
    return services.credential_issue(company=company)


def test_the_development_server_reads_a_chunked_body(live_server, credentials):
    address = urlsplit(live_server.url)

    status, _, body = _post_chunked(address.hostname, address.port, _envelope(credentials, "CHUNK-1"))

    assert status == 200, body
    assert Party.objects.get(code="CHUNK-1").legal_name == "Padaria Pão Quente Ltda"


def test_the_development_server_caps_a_chunked_body_at_one_megabyte(live_server, credentials):
    address = urlsplit(live_server.url)
    body = _envelope(credentials, "CHUNK-BIG", nome_fantasia="x" * (1024 * 1024 + 10))

    status, _, answer = _post_chunked(address.hostname, address.port, body, piece=64 * 1024)

    assert status == 413
    assert answer["faultcode"] == "SOAP-ENV:Client-2" and "1 MB" in answer["faultstring"]
    assert not Party.objects.exists()


def test_a_chunked_body_cut_short_is_a_malformed_fault(live_server, credentials):
    address = urlsplit(live_server.url)
    with socket.create_connection((address.hostname, address.port), timeout=30) as raw:
        raw.sendall(b"POST " + CLIENTES.encode() + b" HTTP/1.1\r\nHost: localhost\r\n"
                    b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                    b"zz\r\n{}\r\n0\r\n\r\n")
        answer = raw.makefile("rb").read()

    assert b" 500 " in answer.split(b"\r\n", 1)[0]
    assert b"SOAP-ENV:Client-1" in answer and b"malformado" in answer


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def gunicorn(tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("the gunicorn test shares the PostgreSQL test database with the server process")
    port = _free_port()
    log = (tmp_path / "gunicorn.log").open("wb")
    env = {**os.environ, "DATABASE_URL": database_url(), "DEBUG": "0", "SECRET_KEY": "test-only-" + "k" * 50,
           "ALLOWED_HOSTS": "127.0.0.1,localhost"}
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "omieshare.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
        cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while True:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            break
        assert process.poll() is None, (tmp_path / "gunicorn.log").read_text()
        assert time.monotonic() < deadline, "gunicorn did not start in 60 s"
        time.sleep(0.2)
    yield port
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    log.close()


def test_gunicorn_reads_a_chunked_body_and_caps_it(gunicorn, credentials):
    status, _, body = _post_chunked("127.0.0.1", gunicorn, _envelope(credentials, "CHUNK-G"))
    big_status, _, big = _post_chunked(
        "127.0.0.1", gunicorn, _envelope(credentials, "CHUNK-G-BIG", nome_fantasia="x" * (1024 * 1024 + 10)),
        piece=64 * 1024,
    )

    assert status == 200, body
    assert Party.objects.get(code="CHUNK-G").cnpj_cpf == "11222333000181"
    assert big_status == 413 and big["faultcode"] == "SOAP-ENV:Client-2"
    assert not Party.objects.filter(code="CHUNK-G-BIG").exists()
