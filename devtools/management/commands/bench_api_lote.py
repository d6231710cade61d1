"""Benchmark of the Omie lote calls against the same records sent one call each.

    manage.py bench_api_lote [--size 50] [--runs 3] [--http] [--keep]

In one run, for a company alone and for the origin of an active share with one destination
(so every write also goes through the sharing hook, the outbox and the propagation
enqueue), it times, `--runs` times each, median reported:

- N × IncluirProduto against one IncluirProdutosPorLote of N new products;
- N × UpsertProduto against one UpsertProdutosPorLote of N, both altering existing products;
- the same two pairs for clients (with a CNPJ each, so that they are shared),

and prints each pair's ratio (N calls ÷ 1 lote). Requests go through Django's test client
(URL routing, envelope, credentials, concurrency slot, the call, JSON: no HTTP); with
`--http` also through a real gunicorn (1 worker) on 127.0.0.1, one new connection per
request as most Omie clients do, which adds what each request costs a deployed server:
HTTP and, at CONN_MAX_AGE=0 (the default), a new database connection.

Its companies, share and records are deleted at the end unless `--keep`, with the
jobs it queued (no worker runs here). Run it against a scratch database.
"""

from __future__ import annotations

import itertools
import json
import random
import statistics
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test import Client

from api import services as api_services
from companies import services as company_services
from companies.models import Company, CompanyGroup
from devtools import benchkit as kit
from omieshare.lib.brazil import random_cnpj
from sharing import services as sharing_services
from sharing.models import Change, Share, SyncJob
from sharing.services import Permissions
from sharing.tasks import run_sync_job

Call = Callable[[str, str, dict[str, Any]], dict[str, Any]]


class Command(BaseCommand):
    help = "Time N single Incluir/Upsert calls against one …PorLote of N, with and without sharing."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--size", type=int, default=50, help="records per lote (Omie's maximum is 50)")
        parser.add_argument("--runs", type=int, default=3, help="runs of each pair (the median is reported)")
        parser.add_argument("--http", action="store_true", help="also through gunicorn on 127.0.0.1")
        parser.add_argument("--keep", action="store_true", help="keep the companies and their records")
        parser.add_argument("--seed", type=int, default=None, help="seed of the generated CNPJs")

    def handle(self, *args: Any, size: int, runs: int, http: bool, keep: bool, seed: int | None,
               **options: Any) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("bench_api_lote needs PostgreSQL.")
        if not 1 <= size <= 50 or runs < 1:
            raise CommandError("Use --size from 1 to 50 and --runs >= 1.")
        self.rng = random.Random(seed)
        self.tag = uuid.uuid4().hex[:8]
        self.keys: dict[int, api_services.IssuedCredential] = {}
        self.batches = itertools.count(1)  # keeps every run's codes apart
        self.group = company_services.group_get_or_create(name=f"Bench API lote {self.tag}")
        if settings.DEBUG:
            self.stdout.write("DEBUG is on: every query is also logged; run with DEBUG=0 for production figures.")
        try:
            alone, origin = self._setup()
            transports: list[tuple[str, Callable[[Company], Call]]] = [("test client", self._client_call)]
            server = kit.Server() if http else None
            if server is not None:
                transports.append(("HTTP (gunicorn)", lambda company: self._http_call(server, company)))
            try:
                for transport, caller in transports:
                    for scenario, company in (("alone", alone), ("sharing with 1 company", origin)):
                        self._measure(f"{transport}, {scenario}", caller(company), size, runs)
            finally:
                if server is not None:
                    server.stop()
        finally:
            if keep:
                self.stdout.write(f"Kept group {self.group.pk} ({self.group.name}).")
            else:
                self._cleanup()

    # --- setup ----------------------------------------------------------------------------

    def _company(self, label: str) -> Company:
        return company_services.company_create(
            cnpj=random_cnpj(self.rng), legal_name=f"Bench API lote {label} {self.tag} Ltda",
            trade_name=f"bench-lote-{label}-{self.tag}", group=self.group,
        )

    def _setup(self) -> tuple[Company, Company]:
        alone, origin, destination = self._company("só"), self._company("origem"), self._company("destino")
        every = Permissions(can_create=True, can_update=True, can_delete=True)
        share = sharing_services.share_configure(
            origin=origin, registries=["party", "product"], origin_permissions=every,
            destinations={destination: every},
        )
        job = sharing_services.share_activate(share=share, confirmed=True)
        run_sync_job(job.pk)  # an empty activation, inline
        return alone, origin

    # --- calling --------------------------------------------------------------------------

    def _envelope(self, company: Company, call: str, param: dict[str, Any]) -> bytes:
        keys = self.keys[company.pk]
        return json.dumps({"call": call, "app_key": keys.app_key, "app_secret": keys.app_secret,
                           "param": [param]}).encode()

    def _keys(self, company: Company) -> None:
        if company.pk not in self.keys:
            self.keys[company.pk] = api_services.credential_issue(company=company)

    def _client_call(self, company: Company) -> Call:
        self._keys(company)
        client = Client()

        def call(endpoint: str, name: str, param: dict[str, Any]) -> dict[str, Any]:
            response = client.post(f"/api/v1/geral/{endpoint}/", self._envelope(company, name, param),
                                   content_type="application/json")
            return self._answer(name, response.status_code, response.json())

        return call

    def _http_call(self, server: kit.Server, company: Company) -> Call:
        self._keys(company)

        def call(endpoint: str, name: str, param: dict[str, Any]) -> dict[str, Any]:
            request = urllib.request.Request(server.url(endpoint), data=self._envelope(company, name, param),
                                             headers={"Content-Type": "application/json"})
            try:
                with urllib.request.urlopen(request, timeout=120) as response:
                    return self._answer(name, response.status, json.loads(response.read()))
            except urllib.error.HTTPError as error:
                return self._answer(name, error.code, json.loads(error.read()))

        return call

    @staticmethod
    def _answer(name: str, status: int, answer: dict[str, Any]) -> dict[str, Any]:
        if status != 200:
            raise CommandError(f"{name}: HTTP {status} {answer}")
        if "lote" in answer and answer.get("codigo_status") != "0":
            raise CommandError(f"{name}: {answer['descricao_status']}")
        return answer

    # --- measuring ------------------------------------------------------------------------

    def _product(self, code: str, price: float) -> dict[str, Any]:
        return {"codigo_produto_integracao": code, "codigo": code.upper(), "descricao": f"Produto de bancada {code}",
                "unidade": "UN", "ncm": "84713012", "valor_unitario": price}

    def _client(self, code: str, city: str) -> dict[str, Any]:
        return {"codigo_cliente_integracao": code, "razao_social": f"Cliente de bancada {code} Ltda",
                "cnpj_cpf": random_cnpj(self.rng), "cidade": city, "estado": "SP"}

    def _measure(self, title: str, call: Call, size: int, runs: int) -> None:
        pairs = [
            ("produtos", "IncluirProduto", "IncluirProdutosPorLote", "UpsertProduto", "UpsertProdutosPorLote",
             "produto_servico_cadastro", self._product, lambda record, k: {**record, "valor_unitario": k + 0.5}),
            ("clientes", "IncluirCliente", "IncluirClientesPorLote", "UpsertCliente", "UpsertClientesPorLote",
             "clientes_cadastro", self._client, lambda record, k: {**record, "cidade": f"Cidade {k}"}),
        ]
        self.stdout.write(f"\n{title}: {size} calls vs 1 lote of {size}, median of {runs} (ms)")
        self.stdout.write(f"{'':<24} {'N calls':>9} {'1 lote':>9} {'ratio':>7}")
        for endpoint, incluir, incluir_lote, upsert, upsert_lote, records_key, make, change in pairs:
            timings: dict[str, list[float]] = {incluir: [], incluir_lote: [], upsert: [], upsert_lote: []}
            for run in range(runs):
                prefix = f"B{self.tag[:4]}-{next(self.batches)}"
                singles = [make(f"{prefix}-S{i}", 10) for i in range(size)]
                lote = [make(f"{prefix}-L{i}", 10) for i in range(size)]
                # The upserts alter the records just created: every record is an alteration.
                steps = [
                    (incluir, [(incluir, record) for record in singles]),
                    (incluir_lote, [(incluir_lote, {"lote": run, records_key: lote})]),
                    (upsert, [(upsert, change(record, run)) for record in singles]),
                    (upsert_lote, [(upsert_lote, {"lote": run, records_key: [change(r, run) for r in lote]})]),
                ]
                for label, requests in steps:
                    timings[label].append(_timed(call, endpoint, requests))
            for single, batched in ((incluir, incluir_lote), (upsert, upsert_lote)):
                calls_ms, lote_ms = statistics.median(timings[single]), statistics.median(timings[batched])
                self.stdout.write(f"{single:<24} {calls_ms:9.0f} {lote_ms:9.0f} {calls_ms / lote_ms:6.1f}×")

    # --- cleanup --------------------------------------------------------------------------

    def _cleanup(self) -> None:
        companies = list(Company.objects.filter(group=self.group))
        shares = Share.objects.filter(members__company__in=companies).distinct()
        removed = _drop_queued({
            "sharing.tasks.apply_change": set(Change.objects.filter(share__in=shares).values_list("pk", flat=True)),
            "sharing.tasks.run_sync_job": set(SyncJob.objects.filter(share__in=shares).values_list("pk", flat=True)),
            "sharing.tasks.catch_up": set(shares.values_list("pk", flat=True)),
            "sharing.tasks.apply_pending": set(shares.values_list("pk", flat=True)),
        })
        with transaction.atomic():
            for share in shares:
                share.delete()  # members, shared records, links, changes, audit, jobs
            for company in companies:
                company.delete()  # its catalog, credentials and API marks
            CompanyGroup.objects.filter(pk=self.group.pk).delete()
        self.stdout.write(f"\nCleanup: {len(companies)} companies and {removed} queued jobs removed.")


def _timed(call: Call, endpoint: str, requests: list[tuple[str, dict[str, Any]]]) -> float:
    """Milliseconds to send `requests` ([(call, param)]) one after the other."""
    started = time.perf_counter()
    for name, param in requests:
        call(endpoint, name, param)
    return (time.perf_counter() - started) * 1000


def _drop_queued(owned: dict[str, set[int]]) -> int:
    """The jobs this run left in django-q2's ORM queue (no worker ran them): by task, the
    first arguments (share, job or change ids) that are this run's."""
    from django_q.models import OrmQ

    removed = 0
    for queued in OrmQ.objects.all():
        task = queued.task
        args = task.get("args") or ()
        if args and args[0] in owned.get(str(task.get("func")), ()):
            queued.delete()
            removed += 1
    return removed
