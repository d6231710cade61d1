"""Fixtures of the sharing engine tests: a real django-q2 worker (`manage.py qcluster`)
against the test database, and the trio (a head office sharing with two branches). The
functions they use live in tests/helpers.py."""

from __future__ import annotations

import pytest

# Re-exported: tests written before tests/helpers.py import these from here.
from tests.helpers import (  # noqa: F401
    ALL,
    BASE_DIR,
    NONE,
    Worker,
    activate,
    apply_pending,
    configure,
    confirmation,
    make_party,
    make_product,
    make_trio,
    party_data,
    party_in,
    product_data,
    product_in,
    share_between,
    wait_for,
)


@pytest.fixture
def trio_registries():
    """What the trio shares; a module overrides this fixture to share less."""
    return ("party", "product")


@pytest.fixture
def trio(trio_registries):
    """(share, origin, leaving, staying): "Matriz" shares product A1 and the client
    helpers.TRIO_DOCUMENT with "Filial que sai" and "Filial que fica"."""
    return make_trio(trio_registries)


@pytest.fixture
def qcluster(transactional_db):
    """Start workers with `qcluster.start()` / `qcluster.start(env)`; all stop at teardown."""
    started: list[Worker] = []

    class _Starter:
        def start(self, extra_env: dict[str, str] | None = None) -> Worker:
            worker = Worker(extra_env)
            started.append(worker)
            return worker.start()

    yield _Starter()
    for worker in started:
        worker.stop()
    for worker in started:
        worker.log.unlink(missing_ok=True)
