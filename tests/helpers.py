"""The helpers every test folder uses: build catalog records and shares, activate them, apply
the outbox, wait for something, build a page's URL, and run a real django-q2 worker
(`manage.py qcluster`) against the test database. Fixtures stay in the conftest.py files and
call these; tests import them from here (never from a conftest)."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote

from django.db import connection
from django.urls import reverse

from catalog import services as catalog_services
from catalog.models import Party, Product
from companies.models import Company, Membership
from sharing import batch_apply, services
from sharing.models import Change, Share, SyncJob
from sharing.propagation import apply_change
from sharing.services import Permissions
from sharing.tasks import run_sync_job
from tests.factories import CompanyFactory, MembershipFactory

ALL = Permissions(can_create=True, can_update=True, can_delete=True)
NONE = Permissions(can_create=False, can_update=False, can_delete=False)
BASE_DIR = Path(__file__).resolve().parents[1]
TRIO_DOCUMENT = "11222333000181"  # the client the trio shares


def configure(
    origin: Company,
    *destinations: Company,
    registries: Iterable[str] = ("party", "product"),
    origin_permissions: Permissions = ALL,
    destination_permissions: Permissions = ALL,
) -> Share:
    return services.share_configure(
        origin=origin,
        registries=registries,
        origin_permissions=origin_permissions,
        destinations=dict.fromkeys(destinations, destination_permissions),
    )


def activate(share: Share) -> SyncJob:
    """Confirm and run the activation in this process, as a worker would."""
    job = services.share_activate(share=share, confirmed=True)
    run_sync_job(job.pk)
    job.refresh_from_db()
    assert job.status == SyncJob.Status.DONE, job.errors
    share.refresh_from_db()
    return job


def share_between(origin: Company, *destinations: Company, **options) -> Share:
    share = configure(origin, *destinations, **options)
    activate(share)
    return share


def confirmation(client, preview_url: str, **data: str) -> dict[str, str]:
    """The wizard's confirmation as the preview page posts it: `data` plus the fingerprint
    of the configuration the page shows (share_activate refuses any other)."""
    html = client.get(preview_url).content.decode()
    found = re.search(r'name="fingerprint" value="([0-9a-f]*)"', html)
    return {"fingerprint": found.group(1) if found else "", **data}


def apply_pending() -> int:
    """Apply every change still in the outbox, oldest first, as the worker does: each
    share's batches (sharing/batch_apply.py), its failed changes retried once."""
    shares = sorted(set(Change.objects.exclude(status=Change.Status.APPLIED).values_list("share_id", flat=True)))
    return sum(batch_apply.apply_pending(share_id, True) for share_id in shares)


def apply_one_by_one() -> int:
    """The same through the per-change path (sharing.propagation.apply_change)."""
    applied = 0
    for change_id in Change.objects.exclude(status=Change.Status.APPLIED).order_by("pk").values_list(
        "pk", flat=True
    ):
        apply_change(change_id)
        applied += 1
    return applied


def product_in(company: Company, code: str) -> Product:
    return Product.objects.get(company=company, code=code)


def party_in(company: Company, document: str) -> Party:
    return Party.objects.get(company=company, cnpj_cpf=document)


def party_data(document: str, legal_name: str = "Comercial Exemplo Ltda", **fields) -> dict:
    data = {
        "cnpj_cpf": document, "legal_name": legal_name, "trade_name": "Exemplo",
        "street": "Rua das Flores", "number": "100", "district": "Centro", "city": "São Paulo",
        "state": "SP", "cep": "01001000", "phone_ddd": "11", "phone_number": "33334444",
        "email": "contato@exemplo.com.br",
    }
    data.update(fields)
    return data


def product_data(code: str, description: str = "Notebook 14 polegadas", **fields) -> dict:
    data = {"code": code, "description": description, "unit": "UN", "ncm": "84713012", "price": "10.00"}
    data.update(fields)
    return data


def make_party(company: Company, document: str, legal_name: str = "Comercial Exemplo Ltda", **fields) -> Party:
    return catalog_services.party_create(company=company, data=party_data(document, legal_name, **fields),
                                         source="test")


def make_product(company: Company, code: str, description: str = "Notebook 14 polegadas", **fields) -> Product:
    return catalog_services.product_create(company=company, data=product_data(code, description, **fields),
                                           source="test")


def bulk_products(company: Company, codes: Iterable[str], description: str, price: str = "1.00") -> None:
    """Many products at once, straight into the table (setup for large activations)."""
    Product.objects.bulk_create(
        Product(company=company, code=code, description=f"{description} {code}", ncm="84713012",
                price=Decimal(price))
        for code in codes
    )


def catalog_url(name: str, company: Company, **kwargs) -> str:
    return reverse(f"catalog:{name}", kwargs={"company_id": company.pk, **kwargs})


def sharing_url(name: str, company: Company, **kwargs) -> str:
    return reverse(f"sharing:{name}", kwargs={"company_id": company.pk, **kwargs})


def company_administered_by(user, legal_name: str, trade_name: str, **fields) -> Company:
    """Another company of the group whose administrators include `user` (a branch the
    head office's owner also runs)."""
    company = CompanyFactory(legal_name=legal_name, trade_name=trade_name, **fields)
    MembershipFactory(user=user, company=company, role=Membership.Role.ADMIN)
    return company


def make_trio(registries: Iterable[str] = ("party", "product")) -> tuple[Share, Company, Company, Company]:
    """A head office sharing one product (and one client) with two branches, one of which
    the tests remove."""
    origin = CompanyFactory(trade_name="Matriz")
    leaving = CompanyFactory(trade_name="Filial que sai")
    staying = CompanyFactory(trade_name="Filial que fica")
    make_product(origin, "A1", "Água", price="3.00")
    make_party(origin, TRIO_DOCUMENT, "ACME Ltda")
    share = share_between(origin, leaving, staying, registries=registries)
    return share, origin, leaving, staying


def wait_for(predicate: Callable[[], object], *, timeout: float, interval: float = 0.1, what: str = "") -> object:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what or predicate}")
        time.sleep(interval)


# --- a real django-q2 worker against the test database --------------------------------------


def database_url() -> str:
    """The test database's URL, for a process started by a test (a worker, a server)."""
    settings = connection.settings_dict
    user = quote(settings["USER"] or "", safe="")
    password = quote(settings["PASSWORD"] or "", safe="")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = settings["HOST"] or "127.0.0.1"
    port = settings["PORT"] or "5432"
    return f"postgresql://{credentials}{host}:{port}/{settings['NAME']}"


class Worker:
    """`manage.py qcluster` in its own process group, so SIGKILL takes its children too."""

    def __init__(self, extra_env: dict[str, str] | None = None) -> None:
        self.extra_env = extra_env or {}
        self.process: subprocess.Popen | None = None
        self.log = BASE_DIR / ".pytest_cache" / f"qcluster-{os.getpid()}-{time.monotonic_ns()}.log"

    def start(self) -> Worker:
        env = {k: v for k, v in os.environ.items() if k != "Q_SYNC"}
        env.update({"DATABASE_URL": database_url(), "Q_WORKERS": "2", "Q_POLL": "0.1",
                    "LOG_LEVEL": "INFO", "PYTHONUNBUFFERED": "1", **self.extra_env})
        self.log.parent.mkdir(exist_ok=True)
        self._log_file = self.log.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "qcluster"], cwd=BASE_DIR, env=env,
            stdout=self._log_file, stderr=subprocess.STDOUT, start_new_session=True,
        )
        wait_for(self._ready, timeout=30, interval=0.2, what="qcluster to start")
        return self

    def _ready(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"qcluster exited early:\n{self.output()}")
        return b"running." in self.log.read_bytes()

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]

    def kill(self) -> None:
        """SIGKILL the cluster and every worker it forked: a crash, mid-task."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        """SIGTERM (the cluster finishes in-flight work); SIGKILL if it hangs."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()
        if self.process:
            with contextlib.suppress(ProcessLookupError):  # anything the cluster forked and left
                os.killpg(self.process.pid, signal.SIGKILL)
            self._log_file.close()
