"""/metrics (Prometheus) and the INFO logs that say which broker a process uses.

What an operator reads: the outbox (pending, failed, the age of the oldest pending change),
the running jobs and their progress, the apply lag, API calls by method and fault, request
latency; each from the scrape's text, as Prometheus would read it."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.db import connection
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from api import services as api_services
from catalog import services as catalog_services
from omieshare.lib.broker import describe_broker, redis_url_without_secret
from sharing.models import Change, SyncJob
from tests.factories import CompanyFactory
from tests.helpers import BASE_DIR, apply_pending, database_url, make_trio, product_in, wait_for


def read(text: str) -> dict[tuple[str, frozenset], float]:
    """{(sample name, labels): value} of a scrape."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def scrape(client, **extra) -> dict[tuple[str, frozenset], float]:
    response = client.get("/metrics", **extra)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    return read(response.content.decode())


def value(samples, name: str, **labels) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def call(client, credentials, endpoint: str, method: str, param: dict):
    body = {"call": method, "app_key": credentials.app_key, "app_secret": credentials.app_secret, "param": [param]}
    return client.post(f"/api/v1/geral/{endpoint}/", json.dumps(body), content_type="application/json")


@pytest.fixture
def trio(db):
    return make_trio(("product",))


def test_scrape_shows_the_outbox_the_running_job_and_the_apply_lag(client, trio, django_capture_on_commit_callbacks):
    share, origin, _leaving, _staying = trio
    product = product_in(origin, "A1")
    before = scrape(client)

    # One change applied to both branches by the engine, then two more left waiting: the
    # first accepted 95 s ago (no worker ran since), the other failing in a branch.
    catalog_services.product_update(company=origin, product_id=product.pk, data={"description": "Água mineral"})
    with django_capture_on_commit_callbacks(execute=True):
        assert apply_pending() == 1
    catalog_services.product_update(company=origin, product_id=product.pk, data={"description": "Água com gás"})
    catalog_services.product_update(company=origin, product_id=product.pk, data={"price": "4.50"})
    waiting, failing = Change.objects.filter(status=Change.Status.PENDING).order_by("version")
    Change.objects.filter(pk=waiting.pk).update(created_at=timezone.now() - timedelta(seconds=95))
    Change.objects.filter(pk=failing.pk).update(
        status=Change.Status.FAILED, attempts=3, last_error="Filial que sai: NCM inválido"
    )
    job = SyncJob.objects.create(
        share=share, kind=SyncJob.Kind.RESYNC, status=SyncJob.Status.RUNNING, total=1_200, done=300,
        started_at=timezone.now() - timedelta(seconds=40), attempts=1,
    )

    after = scrape(client)

    assert value(after, "omieshare_database_up") == 1
    assert value(after, "omieshare_changes_pending") == 1
    assert value(after, "omieshare_changes_failed") == 1
    assert 95 <= value(after, "omieshare_oldest_pending_change_age_seconds") < 95 + 60
    assert value(after, "omieshare_jobs", kind="resync", status="running") == 1
    assert value(after, "omieshare_jobs", kind="activate", status="running") == 0
    labels = {"job": str(job.pk), "kind": "resync", "share": str(share.pk)}
    assert value(after, "omieshare_job_progress_ratio", **labels) == 0.25
    assert value(after, "omieshare_job_records_done", **labels) == 300
    assert value(after, "omieshare_job_records_planned", **labels) == 1_200
    assert 40 <= value(after, "omieshare_job_running_seconds", **labels) < 100
    # The applied change counted once, in a bucket of a few seconds at most; a second
    # scrape (another gunicorn process) reads the same.
    lag = "omieshare_change_apply_lag_seconds"
    assert value(after, f"{lag}_count") - value(before, f"{lag}_count") == 1
    assert value(after, f"{lag}_bucket", le="10.0") - value(before, f"{lag}_bucket", le="10.0") == 1
    assert value(after, f"{lag}_bucket", le="+Inf") == value(after, f"{lag}_count")
    assert 0 <= value(after, f"{lag}_sum") - value(before, f"{lag}_sum") < 10
    assert value(scrape(client), f"{lag}_count") == value(after, f"{lag}_count")


def test_no_pending_change_reads_zero_age(client, db):
    samples = scrape(client)

    assert value(samples, "omieshare_changes_pending") == 0
    assert value(samples, "omieshare_oldest_pending_change_age_seconds") == 0
    assert ("omieshare_change_apply_lag_seconds_bucket", frozenset({("le", "+Inf")})) in samples


def test_api_calls_are_counted_by_method_and_fault(client, company):
    credentials = api_services.credential_issue(company=company)
    before = scrape(client)

    ok = call(client, credentials, "produtos", "IncluirProduto",
              {"codigo_produto_integracao": "SKU-Ç1", "codigo": "PRD-0001", "descricao": "Pão de queijo",
               "unidade": "UN", "ncm": "1905.90.90", "valor_unitario": 12.5})
    not_found = call(client, credentials, "produtos", "AlterarProduto",
                     {"codigo_produto": 9_876_543, "descricao": "Não existe"})
    wrong_key = call(client, SimpleNamespace(app_key=credentials.app_key, app_secret="errado"),
                     "clientes", "ListarClientes", {"pagina": 1})
    made_up = call(client, credentials, "clientes", "ApagarTudo", {})
    after = scrape(client)

    assert ok.status_code == 200, ok.content
    assert not_found.json()["faultcode"] == "SOAP-ENV:Client-103"
    assert wrong_key.json()["faultcode"] == "SOAP-ENV:Client-4"
    assert made_up.json()["faultcode"] == "SOAP-ENV:Client-3"

    def delta(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("omieshare_api_calls_total", method="IncluirProduto", fault="ok") == 1
    assert delta("omieshare_api_calls_total", method="AlterarProduto", fault="103") == 1
    assert delta("omieshare_api_calls_total", method="ListarClientes", fault="4") == 1
    # A method the service does not have is not a series of its own.
    assert delta("omieshare_api_calls_total", method="unknown", fault="3") == 1
    assert not any("ApagarTudo" in str(labels) for _, labels in after)
    assert delta("omieshare_api_call_duration_seconds_count", method="IncluirProduto") == 1
    # The requests' latency, by route: the API endpoints and the scrape before this one.
    assert delta("omieshare_http_request_duration_seconds_count", view="api:produtos", method="POST",
                 status="200") == 1
    assert delta("omieshare_http_request_duration_seconds_count", view="api:produtos", method="POST",
                 status="500") == 1
    assert delta("omieshare_http_request_duration_seconds_count", view="metrics", method="GET", status="200") == 1


def test_a_lote_with_refused_records_counts_as_11(client, company):
    credentials = api_services.credential_issue(company=company)
    before = scrape(client)

    answer = call(client, credentials, "clientes", "IncluirClientesPorLote", {
        "lote": 7,
        "clientes_cadastro": [
            {"codigo_cliente_integracao": "C1", "razao_social": "Padaria São João Ltda",
             "cnpj_cpf": "11.222.333/0001-81"},
            {"codigo_cliente_integracao": "C2", "razao_social": "Açougue Bom Preço", "cnpj_cpf": "11222333000100"},
        ],
    })

    assert answer.json()["codigo_status"] == "11"
    assert value(scrape(client), "omieshare_api_calls_total", method="IncluirClientesPorLote", fault="11") - value(
        before, "omieshare_api_calls_total", method="IncluirClientesPorLote", fault="11") == 1


def test_an_unexpected_error_counts_as_error(client, company, monkeypatch):
    from api import products

    def broken(company, param, **kwargs):
        raise RuntimeError("defeito")

    monkeypatch.setitem(products.CALLS, "ConsultarProduto", broken)
    credentials = api_services.credential_issue(company=company)
    client.raise_request_exception = False
    before = scrape(client)

    answer = call(client, credentials, "produtos", "ConsultarProduto", {"codigo": "PRD-0001"})

    assert answer.status_code == 500
    assert value(scrape(client), "omieshare_api_calls_total", method="ConsultarProduto", fault="error") - value(
        before, "omieshare_api_calls_total", method="ConsultarProduto", fault="error") == 1


def test_page_latency_is_labelled_by_route_and_unknown_paths_share_one_label(client, db):
    before = scrape(client)
    client.get("/entrar/")
    client.get("/nao-existe/123456789/")
    client.get("/nao-existe/987654321/")
    after = scrape(client)

    def delta(**labels):
        name = "omieshare_http_request_duration_seconds_count"
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta(view="login", method="GET", status="200") == 1
    assert delta(view="unmatched", method="GET", status="404") == 2
    assert not any("nao-existe" in str(labels) for _, labels in after)


def test_metrics_refuse_other_networks_unless_the_token_is_sent(client, db, settings):
    settings.METRICS_TOKEN = "t0ken-de-métricas-com-32-caracteres"

    outside = client.get("/metrics", REMOTE_ADDR="203.0.113.9")
    wrong = client.get("/metrics", REMOTE_ADDR="203.0.113.9", HTTP_AUTHORIZATION="Bearer outro")
    forwarded = client.get("/metrics", REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="127.0.0.1")

    assert outside.status_code == wrong.status_code == forwarded.status_code == 403
    assert "Acesso negado às métricas" in outside.content.decode()
    assert "omieshare_" not in outside.content.decode()
    with_token = client.get("/metrics", REMOTE_ADDR="203.0.113.9",
                            HTTP_AUTHORIZATION=f"Bearer {settings.METRICS_TOKEN}")
    assert with_token.status_code == 200 and b"omieshare_changes_pending" in with_token.content


def test_metrics_answer_the_networks_configured(client, db, settings):
    from ipaddress import ip_network

    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_NETWORKS = [ip_network("10.20.0.0/16"), ip_network("fd00::/8")]

    assert client.get("/metrics", REMOTE_ADDR="10.20.3.4").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="fd00::7").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 403
    # No token configured: a bearer header opens nothing.
    assert client.get("/metrics", REMOTE_ADDR="10.99.0.1", HTTP_AUTHORIZATION="Bearer ").status_code == 403


def test_a_bad_network_list_is_refused_at_startup():
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=BASE_DIR, capture_output=True, text=True, timeout=60,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "omieshare.settings", "METRICS_ALLOWED_NETWORKS": "10.0.0.0/33"},
    )

    assert result.returncode != 0
    assert "METRICS_ALLOWED_NETWORKS inválido" in result.stderr


def test_broker_description_never_shows_a_password(settings):
    assert redis_url_without_secret("redis://:s3cr3t@cache.interna:6380/5") == "redis://cache.interna:6380/5"
    assert redis_url_without_secret("rediss://fila:s3cr3t@10.0.0.5/2?password=s3cr3t") == "rediss://fila@10.0.0.5/2"
    settings.Q_CLUSTER = {"name": "omieshare", "redis": "redis://:s3cr3t@10.0.0.5:6379/5"}
    assert describe_broker() == "Redis redis://10.0.0.5:6379/5"
    settings.Q_CLUSTER = {"name": "omieshare", "orm": "default"}
    assert describe_broker().startswith("ORM database queue (database alias 'default': postgresql ")


# --- processes: the worker's log, gunicorn's workers -----------------------------------------


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=15)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


@pytest.mark.worker
def test_worker_log_names_the_broker_at_the_default_level(transactional_db, tmp_path):
    log_path = tmp_path / "qcluster.log"
    env = {key: value for key, value in os.environ.items() if key not in ("LOG_LEVEL", "Q_SYNC")}
    env.update({"DATABASE_URL": database_url(), "Q_WORKERS": "2", "PYTHONUNBUFFERED": "1",
                "Q_REDIS_URL": "redis://127.0.0.1:6379/5"})
    with log_path.open("wb") as log:
        process = subprocess.Popen([sys.executable, "manage.py", "qcluster"], cwd=BASE_DIR, env=env,
                                   stdout=subprocess.DEVNULL, stderr=log, start_new_session=True)
    try:
        wait_for(lambda: log_path.read_bytes().count(b"connected to broker") >= 2 or process.poll() is not None,
                 timeout=60, interval=0.2, what="the workers' first log lines")
    finally:
        _stop(process)
    text = log_path.read_text()

    lines = [line for line in text.splitlines() if "connected to broker" in line]
    assert len(lines) == 2, text  # one per worker process
    for line in lines:
        assert " INFO omieshare.broker " in line
        assert "qcluster omieshare worker" in line
        assert "broker Redis redis://127.0.0.1:6379/5; 2 workers per cluster" in line
    assert "INFO django-q" in text and " running." in text  # django-q2's own INFO lines show too


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _get(url: str, **headers) -> tuple[int, str]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def _post(url: str, body: dict) -> dict:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as error:
        return json.loads(error.read())


def test_gunicorn_workers_add_up_in_every_scrape(transactional_db, tmp_path):
    """Two gunicorn workers, each recycled after 3 requests (--max-requests): whichever
    process answers /metrics, the API calls of all of them, dead or alive, add up."""
    if connection.vendor != "postgresql":
        pytest.skip("the server process shares the PostgreSQL test database")
    company = CompanyFactory(legal_name="Distribuidora Ribeirão Preto Ltda", trade_name="Ribeirão")
    credentials = api_services.credential_issue(company=company)
    port = _free_port()
    metrics_dir: Path = tmp_path / "prometheus"
    log_path = tmp_path / "gunicorn.log"
    env = {**os.environ, "DATABASE_URL": database_url(), "DEBUG": "0", "SECRET_KEY": "test-only-" + "k" * 50,
           "ALLOWED_HOSTS": "127.0.0.1", "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir), "METRICS_TOKEN": "segredo"}
    env.pop("LOG_LEVEL", None)
    metrics_dir.mkdir()
    (metrics_dir / "counter_1.db").write_bytes(b"left by an earlier run")
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "omieshare.wsgi",
             "--bind", f"127.0.0.1:{port}", "--workers", "2",
             "--max-requests", "3"],
            cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
    try:
        def up():
            assert process.poll() is None, log_path.read_text()
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                return True
            return False

        wait_for(up, timeout=60, interval=0.2, what="gunicorn to listen")
        base = f"http://127.0.0.1:{port}"
        envelope = {"app_key": credentials.app_key, "app_secret": credentials.app_secret}
        for page in range(1, 5):
            _post(f"{base}/api/v1/geral/produtos/", {**envelope, "call": "ListarProdutos", "param": [{"pagina": page}]})
        _post(f"{base}/api/v1/geral/produtos/", {**envelope, "call": "ConsultarProduto", "param": [{"codigo": "X"}]})
        scrapes = [_get(f"{base}/metrics", Authorization="Bearer segredo") for _ in range(4)]
    finally:
        _stop(process)

    for status, text in scrapes:
        assert status == 200, text
        samples = read(text)
        # An empty company: every listing page ends with Omie's 5113, the lookup with 103.
        assert value(samples, "omieshare_api_calls_total", method="ListarProdutos", fault="5113") == 4
        assert value(samples, "omieshare_api_calls_total", method="ConsultarProduto", fault="103") == 1
        assert value(samples, "omieshare_api_call_duration_seconds_count", method="ListarProdutos") == 4
        assert value(samples, "omieshare_database_up") == 1
    served_by = {path.name.split("_")[-1] for path in metrics_dir.glob("counter_*.db")}
    assert len(served_by) >= 2, served_by  # several processes' files were added up
    log = log_path.read_text()
    assert "web server enqueueing to queue" in log and "do banco de dados (sem Q_REDIS_URL)" in log
