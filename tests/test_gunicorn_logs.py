"""gunicorn with deploy/gunicorn.conf.py keeps the app_secret of a `GET ?JSON=` call out of
its access and error logs, and Django's logs do not have it either."""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import re
import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.request
from urllib.parse import quote

import pytest
from django.conf import settings
from gunicorn.config import Config

from api.services import credential_issue
from tests.factories import CompanyFactory, ProductFactory

BASE_DIR = settings.BASE_DIR
CONF = BASE_DIR / "deploy" / "gunicorn.conf.py"


def _load_conf():
    spec = importlib.util.spec_from_file_location("gunicorn_conf_under_test", CONF)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _gunicorn(env: dict[str, str]) -> tuple[subprocess.Popen, str]:
    """gunicorn on a free port of 127.0.0.1, its output in one pipe; and its address."""
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", str(CONF), "--bind", "127.0.0.1:0", "--workers", "1",
         "omieshare.wsgi"],
        cwd=BASE_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    deadline = time.monotonic() + 60
    lines = []
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        lines.append(line)
        found = re.search(r"Listening at: (http://127\.0\.0\.1:\d+)", line)
        if found:
            return process, found.group(1)
        if not line and process.poll() is not None:
            break
    process.kill()
    raise AssertionError("gunicorn did not start:\n" + "".join(lines))


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


@pytest.mark.django_db(transaction=True)
def test_a_get_with_the_envelope_in_the_url_leaves_no_secret_in_the_logs():
    company = CompanyFactory(legal_name="Comércio de Papéis São João Ltda")
    ProductFactory(company=company, description="Caderno universitário")
    issued = credential_issue(company=company)
    database = settings.DATABASES["default"]
    env = {
        name: value for name, value in os.environ.items()
        if not name.startswith(("DJANGO_", "SECURE_", "Q_", "CACHE_"))
    } | {
        "DJANGO_SETTINGS_MODULE": "omieshare.settings",
        "DATABASE_URL": (f"postgresql://{database['USER']}:{database['PASSWORD']}@{database['HOST'] or '127.0.0.1'}:"
                         f"{database['PORT'] or 5432}/{database['NAME']}"),
        "DEBUG": "0", "SECRET_KEY": secrets.token_urlsafe(50), "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_COOKIES": "0", "LOG_LEVEL": "DEBUG", "PYTHONPATH": str(BASE_DIR),
    }
    process, address = _gunicorn(env)
    try:
        answers = []
        for secret in (issued.app_secret, "f" * 32):  # the right secret, then a wrong one
            envelope = {"call": "ListarProdutos", "app_key": issued.app_key, "app_secret": secret,
                        "param": [{"pagina": 1, "registros_por_pagina": 5}]}
            answers.append(_get(f"{address}/api/v1/geral/produtos/?JSON={quote(json.dumps(envelope))}"))
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=60)

    assert answers[0][0] == 200 and "Caderno universitário" in answers[0][1]
    assert answers[1][0] == 500 and "SOAP-ENV:Client-4" in answers[1][1]
    access = [line for line in output.splitlines() if "GET /api/v1/geral/produtos/" in line]
    assert len(access) == 2 and all("?JSON=[omitido] HTTP/1.1" in line for line in access), output
    assert "API fault 4 on produtos" in output  # Django's logs are in the same output
    assert issued.app_secret not in output and "f" * 32 not in output
    assert issued.app_key not in output  # the whole envelope is left out


def test_the_error_log_hides_the_envelope_of_a_failed_request(tmp_path):
    conf = _load_conf()
    cfg = Config()
    cfg.set("errorlog", str(tmp_path / "error.log"))
    cfg.set("logger_class", conf.logger_class)
    log = cfg.logger_class(cfg)
    secret = secrets.token_hex(16)
    uri = f"/api/v1/geral/clientes/?JSON=%7B%22app_secret%22%3A%22{secret}%22%7D&x=1"

    try:
        raise RuntimeError("falha")
    except RuntimeError:
        log.exception("Error handling request %s", uri)
    log.error(f"Error handling request GET /?app_secret={secret}")
    for handler in log.error_log.handlers:
        handler.flush()

    written = (tmp_path / "error.log").read_text()
    assert "Error handling request /api/v1/geral/clientes/?JSON=[omitido]&x=1" in written
    assert "?app_secret=[omitido]" in written
    assert secret not in written


def test_only_the_secret_parameters_are_hidden():
    scrub = _load_conf().scrub

    assert scrub("GET /produtos/?page=2&q=caf%C3%A9 HTTP/1.1") == "GET /produtos/?page=2&q=caf%C3%A9 HTTP/1.1"
    assert scrub('GET /api/?JSON={"app_secret":"abc"} HTTP/1.1') == "GET /api/?JSON=[omitido] HTTP/1.1"
    assert scrub("json=abc&page=2") == "json=[omitido]&page=2"
    assert scrub("page=2&APP_SECRET=abc") == "page=2&APP_SECRET=[omitido]"


def test_django_logs_the_path_of_a_failed_request_without_its_query(client, caplog):
    with caplog.at_level(logging.WARNING, logger="django.request"):
        client.get("/nao-existe/?JSON=%7B%22app_secret%22%3A%22segredo123%22%7D")

    assert "/nao-existe/" in caplog.text and "segredo123" not in caplog.text
