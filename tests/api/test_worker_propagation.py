"""End to end with a real django-q2 worker: an API write of the origin reaches the
destination's API listing without anyone applying the change by hand."""

from __future__ import annotations

import time

import pytest
from django.db import connection

from api.services import credential_issue
from sharing import services as sharing_services
from sharing.services import Permissions
from sharing.tasks import run_sync_job
from tests.factories import CompanyFactory
from tests.helpers import Worker


@pytest.fixture
def worker(transactional_db):
    if connection.vendor != "postgresql":
        pytest.skip("the worker test needs PostgreSQL")
    started = Worker({"Q_WORKERS": "1"}).start()
    yield started.process
    started.stop()
    started.log.unlink(missing_ok=True)


@pytest.mark.worker
def test_an_api_write_of_the_origin_reaches_the_destinations_api_through_the_worker(omie, worker):
    origin, dest = CompanyFactory(), CompanyFactory()
    share = sharing_services.share_configure(
        origin=origin, registries=["product"], origin_permissions=Permissions(),
        destinations={dest: Permissions()},
    )
    run_sync_job(sharing_services.share_activate(share=share, confirmed=True).pk)
    origin_keys, dest_keys = credential_issue(company=origin), credential_issue(company=dest)

    created = omie(origin_keys, "produtos", "IncluirProduto", {
        "codigo_produto_integracao": "W1", "codigo": "WRK-1", "descricao": "Via worker",
        "unidade": "UN", "ncm": "96081000",
    })
    assert created.status_code == 200, created.json()

    deadline = time.monotonic() + 40
    while True:
        body = omie(dest_keys, "produtos", "ListarProdutosResumido", {"produtosFiltro": {"codigo": "WRK-1"}}).json()
        if body.get("produto_servico_resumido"):
            break
        assert worker.poll() is None, "qcluster exited"
        assert time.monotonic() < deadline, "the change did not reach the destination in 40 s"
        time.sleep(0.3)
    assert body["produto_servico_resumido"][0]["descricao"] == "Via worker"
