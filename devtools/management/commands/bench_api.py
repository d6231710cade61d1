"""Benchmark of the Omie-compatible API at scale.

    manage.py bench_api --records 100000 [--runs 5] [--keep]

Builds its own fresh company with N products and N clients/suppliers, set-based in SQL
(`INSERT … SELECT generate_series`: it is setup, not what is measured), issues API
credentials, then times real requests through Django's test client (the whole stack:
URL routing, envelope, credentials, concurrency slot, the call, JSON) and prints the
median (p50) and the slowest of `--runs` runs of each, in milliseconds:

- ListarProdutos / ListarClientes: first page and a deep page (page 150, 500 per page),
  the summary listings, filters by code / CNPJ/CPF / name / tag / address, filtrar_por_data_de/ate;
- ConsultarProduto / ConsultarCliente;
- IncluirProduto / AlterarProduto, IncluirCliente / AlterarCliente (through
  catalog/services.py, as every write).

The company and everything hanging off it are deleted at the end unless `--keep`. Run it
against a scratch database: it writes 2×N rows.
"""

from __future__ import annotations

import json
import statistics
import time
import uuid
from collections.abc import Callable
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone

from api import services as api_services
from companies import services as company_services
from companies.models import Company
from omieshare.lib.brazil import mask_cpf_cnpj, random_cnpj

DEEP_PAGE = 150
PER_PAGE = 500

_PRODUCTS_SQL = """
INSERT INTO catalog_product (company_id, code, integration_code, description, unit, ncm, ean, price,
    origin, item_type, cest, characteristics, active, version, created_at, updated_at)
SELECT %(company)s, 'BP' || lpad(i::text, 7, '0'), 'INT-' || i,
       'Produto ' || i || ' ' || (ARRAY['azul','verde','vermelho','preto','branco'])[1 + i %% 5],
       'UN', '84713012', '', (i %% 10000) / 100.0, 0, '00', '', '[]'::jsonb, true, 1,
       now() - make_interval(days => i %% 365), now() - make_interval(days => i %% 365)
FROM generate_series(1, %(n)s) AS i
"""

_PARTIES_SQL = """
INSERT INTO catalog_party (company_id, code, cnpj_cpf, person_type, legal_name, trade_name, street,
    number, complement, district, city, state, cep, country_code, phone_ddd, phone_number, email,
    is_client, is_supplier, characteristics, tags, active, version, created_at, updated_at)
SELECT %(company)s, 'CLI-' || i, lpad(i::text, 14, '0'), 'J', 'Cliente ' || i || ' Ltda',
       'Cliente ' || i, 'Rua ' || i, '1', '', 'Centro', 'São Paulo', 'SP', '01001000', '1058',
       '11', '999990000', 'cliente' || i || '@exemplo.com.br', true, i %% 10 = 0, '[]'::jsonb,
       '[]'::jsonb, true, 1,
       now() - make_interval(days => i %% 365), now() - make_interval(days => i %% 365)
FROM generate_series(1, %(n)s) AS i
"""

# Biggest tables first, by SQL: Django's deletion collector would load every row.
_CLEANUP_SQL = [
    "DELETE FROM api_apiimport WHERE company_id = %(company)s",
    "DELETE FROM catalog_product_suppliers WHERE product_id IN "
    "(SELECT id FROM catalog_product WHERE company_id = %(company)s)",
    "DELETE FROM catalog_party_salespeople WHERE party_id IN "
    "(SELECT id FROM catalog_party WHERE company_id = %(company)s)",
    "DELETE FROM catalog_attachment WHERE company_id = %(company)s",
    "DELETE FROM catalog_billofmaterialsitem WHERE product_id IN "
    "(SELECT id FROM catalog_product WHERE company_id = %(company)s)",
    "DELETE FROM catalog_product WHERE company_id = %(company)s",
    "DELETE FROM catalog_party WHERE company_id = %(company)s",
]


class Command(BaseCommand):
    help = "Time the Omie-compatible API against N products and N clients of a fresh company."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--records", type=int, default=100_000, help="products and clients (each)")
        parser.add_argument("--runs", type=int, default=5, help="runs of each request (p50 is reported)")
        parser.add_argument("--keep", action="store_true", help="keep the company and its records")

    def handle(self, *args: Any, records: int, runs: int, keep: bool, **options: Any) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("bench_api needs PostgreSQL (generate_series).")
        company = self._setup(records)
        try:
            self._measure(company, records, runs)
        finally:
            if keep:
                self.stdout.write(f"Kept company {company.pk} ({company.legal_name}).")
            else:
                self._cleanup(company)

    # --- setup ----------------------------------------------------------------------------

    def _setup(self, records: int) -> Company:
        started = time.monotonic()
        tag = uuid.uuid4().hex[:8]
        with transaction.atomic():
            company = company_services.company_create(
                cnpj=random_cnpj(), legal_name=f"Bench API {tag}", trade_name=f"bench-api-{tag}"
            )
            with connection.cursor() as cursor:
                cursor.execute(_PRODUCTS_SQL, {"company": company.pk, "n": records})
                cursor.execute(_PARTIES_SQL, {"company": company.pk, "n": records})
        with connection.cursor() as cursor:  # as autovacuum would leave them (visibility map, statistics)
            cursor.execute("VACUUM ANALYZE catalog_product")
            cursor.execute("VACUUM ANALYZE catalog_party")
        self.stdout.write(
            f"Setup: company {company.pk}, {records} products + {records} clients in "
            f"{time.monotonic() - started:.1f} s"
        )
        return company

    def _cleanup(self, company: Company) -> None:
        started = time.monotonic()
        with transaction.atomic(), connection.cursor() as cursor:
            for statement in _CLEANUP_SQL:
                cursor.execute(statement, {"company": company.pk})
        company.delete()
        self.stdout.write(f"Cleanup: {time.monotonic() - started:.1f} s")

    # --- measuring ------------------------------------------------------------------------

    def _measure(self, company: Company, records: int, runs: int) -> None:
        issued = api_services.credential_issue(company=company)
        client = Client()
        middle = max(1, records // 2)
        day = (timezone.localdate() - timezone.timedelta(days=middle % 365)).strftime("%d/%m/%Y")
        deep = records > (DEEP_PAGE - 1) * PER_PAGE  # else page 150 is empty: skipped

        def call(endpoint: str, name: str, param: dict[str, Any]) -> dict[str, Any]:
            body = json.dumps({"call": name, "app_key": issued.app_key, "app_secret": issued.app_secret,
                               "param": [param]})
            response = client.post(f"/api/v1/geral/{endpoint}/", body, content_type="application/json")
            answer = response.json()
            if response.status_code != 200:
                raise CommandError(f"{name} {param}: HTTP {response.status_code} {answer}")
            return answer

        counter = iter(range(1, 10**9))
        product_id = call("produtos", "ConsultarProduto", {"codigo": f"BP{middle:07d}"})["codigo_produto"]
        party_id = call("clientes", "ConsultarCliente", {"codigo_cliente_integracao": f"CLI-{middle}"})[
            "codigo_cliente_omie"
        ]
        document = random_cnpj()  # a real one: the API validates the filter's CNPJ
        with connection.cursor() as cursor:
            cursor.execute("UPDATE catalog_party SET cnpj_cpf = %s, tags = '[\"VIP\"]' WHERE id = %s",
                           [document, party_id])
        cases: list[tuple[str, Callable[[], Any]]] = [
            ("ListarProdutos página 1 (500)", lambda: call(
                "produtos", "ListarProdutos", {"pagina": 1, "registros_por_pagina": PER_PAGE})),
            (f"ListarProdutos página {DEEP_PAGE} (500)", lambda: call(
                "produtos", "ListarProdutos", {"pagina": DEEP_PAGE, "registros_por_pagina": PER_PAGE})),
            (f"ListarProdutosResumido página {DEEP_PAGE}", lambda: call(
                "produtos", "ListarProdutosResumido",
                {"pagina": DEEP_PAGE, "registros_por_pagina": PER_PAGE})),
            ("ListarProdutos filtro codigo", lambda: call(
                "produtos", "ListarProdutos", {"produtosFiltro": {"codigo": f"BP{middle:07d}"}})),
            ("ListarProdutos filtro descricao", lambda: call(
                "produtos", "ListarProdutos", {"produtosFiltro": {"descricao": f"Produto {middle} "}})),
            ("ListarProdutos filtrar_por_data (1 dia)", lambda: call(
                "produtos", "ListarProdutos",
                {"filtrar_por_data_de": day, "filtrar_por_data_ate": day, "registros_por_pagina": PER_PAGE})),
            ("ConsultarProduto por codigo", lambda: call(
                "produtos", "ConsultarProduto", {"codigo": f"BP{middle:07d}"})),
            ("IncluirProduto", lambda: call("produtos", "IncluirProduto", {
                "codigo_produto_integracao": f"NEW-{next(counter)}", "descricao": "Novo", "unidade": "UN",
                "ncm": "84713012"})),
            ("AlterarProduto", lambda: call("produtos", "AlterarProduto", {
                "codigo_produto": product_id, "valor_unitario": next(counter)})),
            ("ListarClientes página 1 (500)", lambda: call(
                "clientes", "ListarClientes", {"pagina": 1, "registros_por_pagina": PER_PAGE})),
            (f"ListarClientes página {DEEP_PAGE} (500)", lambda: call(
                "clientes", "ListarClientes", {"pagina": DEEP_PAGE, "registros_por_pagina": PER_PAGE})),
            ("ListarClientes filtro cnpj_cpf", lambda: call(
                "clientes", "ListarClientes", {"clientesFiltro": {"cnpj_cpf": mask_cpf_cnpj(document)}})),
            ("ListarClientes filtro razao_social", lambda: call(
                "clientes", "ListarClientes", {"clientesFiltro": {"razao_social": f"Cliente {middle} "}})),
            # Filters no index serves: the address, and a tag (roles are columns, free tags a JSON list).
            ("ListarClientes filtro tags Fornecedor (500)", lambda: call(
                "clientes", "ListarClientes",
                {"clientesFiltro": {"tags": [{"tag": "Fornecedor"}]}, "registros_por_pagina": PER_PAGE})),
            ("ListarClientes filtro tags livre (1 de N)", lambda: call(
                "clientes", "ListarClientes", {"clientesFiltro": {"tags": [{"tag": "vip"}]}})),
            ("ListarClientes filtro endereco", lambda: call(
                "clientes", "ListarClientes", {"clientesFiltro": {"endereco": f"Rua {middle}"}})),
            ("ListarClientes filtrar_por_data (1 dia)", lambda: call(
                "clientes", "ListarClientes",
                {"filtrar_por_data_de": day, "filtrar_por_data_ate": day, "registros_por_pagina": PER_PAGE})),
            ("ConsultarCliente", lambda: call("clientes", "ConsultarCliente", {"codigo_cliente_omie": party_id})),
            ("IncluirCliente", lambda: call("clientes", "IncluirCliente", {
                "codigo_cliente_integracao": f"NEWC-{next(counter)}", "razao_social": "Novo cliente"})),
            ("AlterarCliente", lambda: call("clientes", "AlterarCliente", {
                "codigo_cliente_omie": party_id, "cidade": f"Cidade {next(counter)}"})),
        ]
        if not deep:
            cases = [case for case in cases if f"página {DEEP_PAGE}" not in case[0]]
        self.stdout.write(f"\n{'request':<44} {'p50 ms':>8} {'max ms':>8}")
        for label, run in cases:
            run()  # warms caches; not counted
            timings = []
            for _ in range(runs):
                started = time.perf_counter()
                run()
                timings.append((time.perf_counter() - started) * 1000)
            self.stdout.write(f"{label:<44} {statistics.median(timings):8.1f} {max(timings):8.1f}")
