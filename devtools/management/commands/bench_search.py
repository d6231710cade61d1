"""Benchmark of the list pages' search (search as you type) at 100,000 records per company.

    manage.py bench_search --records 100000 [--repeat 20] [--write-cost] [--keep]

Builds one company with N clients/suppliers and N products, set-based in SQL (setup, not
what is measured): pt-BR names with accents, cities, e-mails, valid CNPJs/CPFs and EANs,
NCMs, tool and stationery descriptions with brands. Then runs each query the way the list
page does (catalog.selectors: the filtered list, its count and its first page of 50) and
prints p50/p95 per query, next to two baselines measured in the same run: a record read by
its primary key, and the list page without a search. The target is 200 ms per search.

`--write-cost` also times what the search index costs the bulk writes: the company's rows
copied by one INSERT … SELECT (as activation copies them) with the current indexes, and
again with the per-column trigram indexes this search replaced (catalog/migrations/0002),
each in a transaction that is rolled back.

Its company is deleted at the end unless `--keep`.
"""

from __future__ import annotations

import random
import statistics
import time
import uuid
from collections.abc import Callable
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from catalog import selectors
from catalog.models import Party
from catalog.registries import describe
from companies import services as company_services
from companies.models import Company
from devtools.management.commands.bench_sharing import _FUNCTIONS
from omieshare.lib import brazil

TARGET_MS = 200.0

_KINDS = ("ARRAY['Comércio','Distribuidora','Indústria','Padaria','Mercado','Auto Peças','Farmácia',"
          "'Construtora','Transportes','Papelaria','Materiais Elétricos','Ótica','Açougue',"
          "'Confecções','Serralheria']")
_SURNAMES = ("ARRAY['Silva','Souza','Pimenta','Oliveira','Conceição','Gonçalves','Araújo','Ribeiro',"
             "'Almeida','Carvalho','Lima','Pereira','Ferreira','Costa','Rodrigues','Martins','Barbosa',"
             "'Rocha','Dias','Nogueira','Assunção','Magalhães','Brandão','Simões','Guimarães','Antunes',"
             "'Falcão','Teixeira','Moreira','Cardoso','Peixoto']")
_FIRST_NAMES = ("ARRAY['João','José','Maria','Ana','Antônio','Luís','Márcia','Conceição','Sérgio',"
                "'Fábio','Letícia','Mônica','Cláudio','Vinícius','Íris']")
_SUFFIXES = "ARRAY['Ltda','Ltda','Ltda','ME','EIRELI','S.A.']"
_CITIES = ("ARRAY['São Paulo','Jundiaí','Ribeirão Preto','Florianópolis','Maceió','Goiânia','Belém',"
           "'São José dos Campos','Curitiba','Niterói','Uberlândia','Santarém','Vitória','Cuiabá',"
           "'Londrina','Itajaí','Petrópolis','Macapá','Aracaju','Teresina']")
_UFS = "ARRAY['SP','SP','SP','SC','AL','GO','PA','SP','PR','RJ','MG','PA','ES','MT','PR','SC','RJ','AP','SE','PI']"
_ITEMS = ("ARRAY['Alicate universal','Alicate de corte','Chave de fenda','Chave Phillips','Martelo unha',"
          "'Furadeira de impacto','Parafusadeira','Serra circular','Esmerilhadeira angular','Trena',"
          "'Nível de bolha','Broca para concreto','Parafuso sextavado','Porca sextavada','Arruela lisa',"
          "'Fita isolante','Cabo flexível','Disjuntor','Tomada','Lâmpada LED','Caneta esferográfica',"
          "'Papel sulfite','Grampeador','Cola branca','Pincel atômico']")
_BRANDS = ("ARRAY['Bosch','Tramontina','Makita','Vonder','Stanley','Gedore','DeWalt','Black+Decker',"
           "'Tigre','Pial','Philips','BIC','Faber-Castell','Pilot','3M']")
_SPECS = ("ARRAY['8\"','10\"','1/4\"','220V','127V','5 m','10 mm','M8','2,5 mm²','9 W','azul','preto',"
          "'caixa c/ 100','resma 500 fls','1 kg']")
_NCMS = ("ARRAY['84713012','82032000','82054000','84672100','84672991','90178010','82075011',"
         "'73181500','73181600','85462000','85444900','85362000','85366910','85395200','96081000',"
         "'48025610','84729010','35061090','96082000','82051000']")
_ASCII = "translate(lower({}), 'áàâãäéèêëíìîïóòôõöúùûüç ', 'aaaaaeeeeiiiiooooouuuuc')"


def _sql(statement: str, params: dict[str, Any] | list[Any] | None = None) -> int:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.rowcount


def _scalar(statement: str, params: dict[str, Any] | list[Any] | None = None) -> Any:
    with connection.cursor() as cursor:
        cursor.execute(statement, params or {})
        row = cursor.fetchone()
        return row[0] if row else None


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:8.1f}"


class Command(BaseCommand):
    help = "Mede a busca das listas (clientes/fornecedores e produtos) com N cadastros por empresa."

    def add_arguments(self, parser):
        parser.add_argument("--records", type=int, default=100_000, help="clientes e produtos (cada)")
        parser.add_argument("--repeat", type=int, default=20, help="execuções medidas por consulta")
        parser.add_argument("--write-cost", action="store_true",
                            help="também mede o custo dos índices de busca nas inclusões em lote")
        parser.add_argument("--keep", action="store_true", help="não apaga a empresa no final")
        parser.add_argument("--company", type=int,
                            help="mede de novo a empresa de uma execução anterior com --keep (sem montar dados)")

    def handle(self, *args, **options):
        if connection.vendor != "postgresql":
            raise CommandError("bench_search mede o PostgreSQL: defina DATABASE_URL.")
        n, self.repeat = options["records"], max(options["repeat"], 1)
        if n < 1000:
            raise CommandError("--records deve ser pelo menos 1000.")
        self.rng = random.Random(20261203)
        self.run_id = uuid.uuid4().hex[:6]
        self.company_ids: list[int] = []
        self.group_id = None
        try:
            if options["company"]:
                self.company = Company.objects.get(pk=options["company"])
                n = Party.objects.filter(company=self.company).count()
            else:
                self._setup(n)
            self._measure(n)
            if options["write_cost"]:
                self._write_cost()
        finally:
            if not options["keep"]:
                self._cleanup()  # only the companies this run made

    def _step(self, text: str) -> None:
        self.stdout.write(f"[{time.strftime('%H:%M:%S')}] {text}")
        self.stdout.flush()

    # --- setup ---------------------------------------------------------------------------

    def _company(self, label: str) -> Company:
        while True:
            body = brazil.random_cnpj(self.rng)
            if not Company.objects.filter(cnpj=body).exists():
                break
        company = company_services.company_create(
            cnpj=body, legal_name=f"Bench busca {label} {self.run_id} Ltda",
            trade_name=f"Bench busca {label} {self.run_id}",
            group=company_services.group_get_or_create(name=f"Bench busca {self.run_id}"),
        )
        self.group_id = company.group_id
        self.company_ids.append(company.pk)
        return company

    def _setup(self, n: int) -> None:
        started = time.monotonic()
        self._step(f"setup: one company with {n:,} clients/suppliers and {n:,} products")
        self.company = self._company("Empresa")
        _sql(_FUNCTIONS)
        p = {"c": self.company.pk, "n": n}
        with transaction.atomic():
            _sql("SET LOCAL synchronous_commit = off")
            surname1 = f"({_SURNAMES})[1 + (k / 15) %% 31]"
            surname2 = f"({_SURNAMES})[1 + (k * 7 / 13) %% 31]"
            kind = f"({_KINDS})[1 + k %% 15]"
            _sql(
                f"""
                INSERT INTO catalog_party (company_id, code, cnpj_cpf, person_type, legal_name,
                    trade_name, street, number, complement, district, city, state, cep,
                    country_code, phone_ddd, phone_number, email, is_client, is_supplier,
                    characteristics, tags, active, version, created_at, updated_at)
                SELECT %(c)s, 'CLI' || lpad(k::text, 6, '0'), doc,
                       CASE WHEN length(doc) = 11 THEN 'F' ELSE 'J' END,
                       CASE WHEN length(doc) = 11
                            THEN ({_FIRST_NAMES})[1 + k %% 15] || ' ' || {surname1} || ' ' || {surname2}
                            ELSE {kind} || ' ' || {surname1} || ' ' || {surname2} || ' '
                                 || ({_SUFFIXES})[1 + (k / 3) %% 6] END,
                       CASE WHEN length(doc) = 11 THEN '' ELSE {surname2} || ' ' || {kind} END,
                       'Rua ' || {surname1} || ', ' || (k %% 997), ((k %% 3000) + 1)::text, '',
                       'Centro', ({_CITIES})[1 + (k * 3) %% 20], ({_UFS})[1 + (k * 3) %% 20],
                       lpad((1000000 + (k * 7) %% 8999999)::text, 8, '0'), '1058',
                       '11', (900000000 + (k * 11) %% 99999999)::text,
                       CASE WHEN k %% 4 = 0 THEN ''
                            ELSE (ARRAY['contato','financeiro','compras','vendas'])[1 + k %% 4] || '@'
                                 || {_ASCII.format(surname1)} || k || '.com.br' END,
                       true, k %% 10 = 0, '[]'::jsonb, '[]'::jsonb, k %% 20 <> 0, 1, now(), now()
                FROM (SELECT k, pg_temp.bench_doc(k) AS doc FROM generate_series(1, %(n)s) k) t
                """,
                p,
            )
            _sql(
                f"""
                INSERT INTO catalog_product (company_id, code, integration_code, description, unit,
                    ncm, ean, price, origin, item_type, cest, family_id, characteristics, active,
                    version, created_at, updated_at)
                SELECT %(c)s, 'PRD' || lpad(k::text, 8, '0'), '',
                       ({_ITEMS})[1 + k %% 25] || ' ' || ({_BRANDS})[1 + (k / 25) %% 15] || ' '
                           || ({_SPECS})[1 + (k * 7 / 11) %% 15],
                       (ARRAY['UN','KG','CX','PC'])[1 + k %% 4], ({_NCMS})[1 + k %% 20],
                       pg_temp.bench_ean(k), round(((k * 13) %% 100000) / 100.0 + 1, 2), 0, '00', '',
                       NULL, '[]'::jsonb, k %% 20 <> 0, 1, now(), now()
                FROM generate_series(1, %(n)s) k
                """,
                p,
            )
        for table in ("catalog_party", "catalog_product"):
            _sql(f"VACUUM (ANALYZE) {table}")
        self._step(f"setup done in {time.monotonic() - started:.1f} s")

    # --- measuring -----------------------------------------------------------------------

    def _timed(self, run: Callable[[], int]) -> tuple[list[float], int]:
        """`repeat` timings of `run`, and what it found (a count: the search's stops at
        SEARCH_COUNT_LIMIT + 1, printed as "> 1,000")."""
        for _ in range(2):  # warm the caches, as a user typing warms them
            found = run()
        times = []
        for _ in range(self.repeat):
            started = time.perf_counter()
            found = run()
            times.append(time.perf_counter() - started)
        return times, found

    def _list_page(self, registry: str, q: str) -> Callable[[], int]:
        """What the list page runs: the filtered list, its count, the first page."""
        filters = selectors.ListFilters(q=q, status=selectors.STATUS_ALL)
        descriptor = describe(registry)
        sort = descriptor.name_field

        def queryset():
            return descriptor.list_records(company=self.company, filters=filters)

        def run() -> int:
            page = selectors.list_page(queryset(), number=1, sort_field=sort, searched=bool(q))
            list(page.object_list)
            return page.paginator.count + getattr(page.paginator, "more", False)

        return run

    def _sample_queries(self, n: int) -> list[tuple[str, str, str]]:
        k = n // 2 + 321
        document, code, email = Party.objects.filter(
            company=self.company, code=f"CLI{k:06d}").values_list("cnpj_cpf", "code", "email").get()
        masked = brazil.mask_cpf_cnpj(document)
        ean = _scalar("SELECT ean FROM catalog_product WHERE company_id = %s AND code = %s",
                      [self.company.pk, f"PRD{k:08d}"])
        return [
            ("party", "uma palavra", "pimenta"),
            ("party", "duas palavras, ordem inversa", "pimenta comercio"),
            ("party", "nome + cidade (dois campos)", "conceicao jundiai"),
            ("party", "CNPJ mascarado, um pedaço", masked[3:15]),
            ("party", "CNPJ completo sem máscara", document),
            ("party", "código", code.lower()),
            ("party", "e-mail", email),
            ("party", "palavra + número", "comercio 45"),
            ("party", "nada encontrado", "xyzzy quux"),
            ("party", "palavra muito comum", "ltda"),
            ("party", "palavra curta e comum", "de"),
            ("product", "uma palavra", "alicate"),
            ("product", "duas palavras, ordem inversa", "bosch alicate"),
            ("product", "três palavras, acentos", "caneta esferografica bic"),
            ("product", "código", f"prd{k:08d}"),
            ("product", "EAN", ean),
            ("product", "NCM mascarado", "8471.30.12"),
            ("product", "nada encontrado", "xyzzy"),
            ("product", "palavra muito comum", "de"),
        ]

    def _measure(self, n: int) -> None:
        self._step(f"measuring: {self.repeat} runs per query after 2 warm-up runs")
        some_id = _scalar("SELECT id FROM catalog_party WHERE company_id = %s ORDER BY id OFFSET %s LIMIT 1",
                          [self.company.pk, n // 3])

        def by_primary_key() -> int:
            return 1 if selectors.party_get(company=self.company, party_id=some_id) else 0

        baseline, _ = self._timed(by_primary_key)
        base_p50 = statistics.median(baseline)
        rows = [("base", "leitura pela chave primária", "", baseline, 1)]
        for registry in ("party", "product"):
            times, found = self._timed(self._list_page(registry, ""))
            rows.append((registry, "lista sem busca (referência)", "", times, found))
        for registry, label, q in self._sample_queries(n):
            times, found = self._timed(self._list_page(registry, q))
            rows.append((registry, label, q, times, found))

        def supplier_lookup() -> int:
            return len(selectors.supplier_search(company=self.company, q="pimenta silva"))

        times, found = self._timed(supplier_lookup)
        rows.append(("party", "Buscar fornecedor (formulário)", "pimenta silva", times, found))

        self.stdout.write("")
        self.stdout.write(f"{'cadastro':8} {'consulta':32} {'texto':30} {'achados':>8} "
                          f"{'p50 ms':>8} {'p95 ms':>8} {'÷ base':>7}")
        missed = []
        for registry, label, q, times, found in rows:
            p50 = statistics.median(times)
            p95 = statistics.quantiles(times, n=20)[-1] if len(times) > 1 else times[0]
            if q and p95 * 1000 > TARGET_MS:
                missed.append(f"{registry} “{q}”")
            shown = f"> {found - 1:,}" if q and found > selectors.SEARCH_COUNT_LIMIT else f"{found:,}"
            self.stdout.write(f"{registry:8} {label:32} {q[:30]:30} {shown:>8} {_ms(p50)} {_ms(p95)} "
                              f"{p50 / base_p50:7.1f}")
        self.stdout.write("")
        if missed:
            self.stdout.write(f"p95 above {TARGET_MS:.0f} ms: {', '.join(missed)}")
        else:
            self.stdout.write(f"every search: p95 under {TARGET_MS:.0f} ms ✅")

    # --- what the index costs the bulk writes ----------------------------------------------

    def _write_cost(self) -> None:
        self._step("write cost: the company's rows copied by INSERT … SELECT into a scratch company")
        scratch = self._company("Cópia")
        old_indexes = [("catalog_party", c) for c in ("legal_name", "trade_name", "cnpj_cpf", "code")]
        old_indexes += [("catalog_product", c) for c in ("description", "code", "ean")]

        def copy() -> tuple[float, int]:
            params = {"src": self.company.pk, "dst": scratch.pk}
            started = time.monotonic()
            rows = _sql(
                """
                INSERT INTO catalog_party (company_id, code, cnpj_cpf, person_type, legal_name,
                    trade_name, street, number, complement, district, city, state, cep, country_code,
                    phone_ddd, phone_number, email, is_client, is_supplier, characteristics, tags,
                    active, version, created_at, updated_at)
                SELECT %(dst)s, code, cnpj_cpf, person_type, legal_name, trade_name, street, number,
                    complement, district, city, state, cep, country_code, phone_ddd, phone_number,
                    email, is_client, is_supplier, characteristics, tags, active, 1, now(), now()
                FROM catalog_party WHERE company_id = %(src)s
                """, params)
            rows += _sql(
                """
                INSERT INTO catalog_product (company_id, code, integration_code, description, unit,
                    ncm, ean, price, origin, item_type, cest, family_id, characteristics, active,
                    version, created_at, updated_at)
                SELECT %(dst)s, code, '', description, unit, ncm, ean, price, origin, item_type,
                    cest, family_id, characteristics, active, 1, now(), now()
                FROM catalog_product WHERE company_id = %(src)s
                """, params)
            _sql("SET CONSTRAINTS ALL IMMEDIATE")  # the foreign key checks, as a commit would
            return time.monotonic() - started, rows

        results: dict[str, list[float]] = {"índice de busca por palavras (atual)": [],
                                           "índices por coluna (anterior)": []}
        rows = 0
        for _round in range(2):
            for label in results:
                with transaction.atomic():
                    if "anterior" in label:
                        for table in ("catalog_party", "catalog_product"):
                            _sql(f'DROP INDEX IF EXISTS "{table}_search_words"')
                        for table, column in old_indexes:
                            _sql(f'CREATE INDEX "{table}_{column}_trgm" ON "{table}" '
                                 f'USING gin (UPPER("{column}"::text) gin_trgm_ops)')
                    seconds, rows = copy()
                    results[label].append(seconds)
                    transaction.set_rollback(True)
        self.stdout.write("")
        for label, times in results.items():
            best = min(times)
            self.stdout.write(f"  {label:40} {rows:,} linhas: {', '.join(f'{t:.2f}' for t in times)} s "
                              f"(melhor {rows / best:,.0f} linhas/s)")
        current, previous = (min(t) for t in results.values())
        self.stdout.write(f"  atual ÷ anterior (tempo): {current / previous:.2f}")

    # --- cleanup -------------------------------------------------------------------------

    def _cleanup(self) -> None:
        if not self.company_ids:
            return
        self._step("cleanup: deleting the benchmark's companies")
        ids = {"ids": self.company_ids}
        with transaction.atomic():
            _sql("SET LOCAL synchronous_commit = off")
            for table in ("catalog_product", "catalog_party", "companies_membership"):
                _sql(f"DELETE FROM {table} WHERE company_id = ANY(%(ids)s)", ids)
            _sql("DELETE FROM companies_company WHERE id = ANY(%(ids)s)", ids)
            if self.group_id:
                _sql("DELETE FROM companies_companygroup WHERE id = %(g)s", {"g": self.group_id})
        self.company_ids = []
