"""`manage.py seed_demo [--records N] [--once]`: the demo group, its users and its records.

Idempotent: records are recognised by their code (integration code for parties, product
code for products) and only the missing ones are created, so a second run adds nothing
and a run with a larger --records adds the difference. `--once` does nothing at all when
the demo group already exists (what `make run` uses). Every write goes through the
services (catalog/services.py, companies/services.py), like any other write path, in one
transaction: an interrupted run leaves nothing half-loaded.
"""

from __future__ import annotations

import struct
import time
import zlib
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Count, Q

from catalog import services
from catalog.exceptions import WriteRefused
from catalog.models import Party, PriceTable, PriceTableItem, Product, ProductFamily, Salesperson, StockBalance
from companies import services as company_services
from companies.models import Company, CompanyGroup
from devtools.demo_data import (
    COMPANIES,
    DEMO_GROUP,
    DEMO_PASSWORD,
    SALESPEOPLE,
    USERS,
    CompanySpec,
    DemoData,
    ProductSpec,
    money,
    slug,
)
from omieshare.lib.durations import format_duration

SOURCE = "command"
PRICE_TABLE = "Tabela Atacado"
WHOLESALE_FACTOR = Decimal("0.90")


def family_image(family: str) -> bytes:
    """A small solid-colour PNG per family: the same bytes for every product of the family
    in every company, so it is stored once (attachments are kept by content hash)."""
    digest = zlib.crc32(family.encode())
    rgb = bytes([64 + digest % 160, 64 + (digest >> 8) % 160, 64 + (digest >> 16) % 160])
    width = height = 32
    raw = b"".join(b"\x00" + rgb * width for _ in range(height))

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


class Command(BaseCommand):
    help = (
        "Carrega os dados de demonstração: o Grupo Exemplo (matriz e duas filiais), os usuários "
        "de demonstração e clientes, fornecedores e produtos com sobreposição entre as empresas. "
        "Pode ser executado de novo: só cria o que falta."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--records",
            type=int,
            default=300,
            help=(
                "Clientes/fornecedores e produtos da matriz (padrão: 300); as filiais recebem "
                "parte deles e alguns próprios."
            ),
        )
        parser.add_argument(
            "--once",
            action="store_true",
            help="Não faz nada se o Grupo Exemplo já existir (usado por `make run`).",
        )

    def handle(self, *args, records: int, once: bool, **options):
        if records < 0:
            raise CommandError("--records deve ser zero ou mais.")
        if once and CompanyGroup.objects.filter(name=DEMO_GROUP).exists():
            self.stdout.write(f"Dados de demonstração já carregados ({DEMO_GROUP}): nada a fazer.")
            return
        try:
            from faker import Faker
        except ImportError:  # pragma: no cover - Faker comes with requirements-dev.txt
            raise CommandError("seed_demo usa o Faker: instale requirements-dev.txt.") from None

        started = time.monotonic()
        data = DemoData(Faker("pt_BR"), records)
        created: dict[str, dict[str, int]] = {}
        try:
            with transaction.atomic():
                companies = self._companies()
                self._users(companies)
                for spec in COMPANIES:
                    created[spec.key] = self._catalog(spec, companies[spec.key], data)
        except (ValidationError, WriteRefused) as error:
            messages = error.messages if isinstance(error, ValidationError) else [str(error)]
            if isinstance(error, WriteRefused):
                # Refused by the sharing rules, which waiting never changes: say what will.
                messages = [
                    "as empresas da demonstração já compartilham cadastros, e os novos registros seriam "
                    f"gravados pelas regras do compartilhamento ({' '.join(messages)}). Para recarregar a "
                    "demonstração com mais registros, use um banco de dados novo (ou --once para manter a atual)."
                ]
            raise CommandError("Dados de demonstração não carregados: " + " ".join(messages)) from error
        self._summary(companies, created, time.monotonic() - started)

    # companies and users -----------------------------------------------------------------

    def _companies(self) -> dict[str, Company]:
        group = company_services.group_get_or_create(name=DEMO_GROUP)
        companies = {}
        for spec in COMPANIES:
            company = Company.objects.filter(cnpj=spec.cnpj).first()
            if company is None:
                company = company_services.company_create(
                    cnpj=spec.cnpj,
                    legal_name=spec.legal_name,
                    trade_name=spec.trade_name,
                    group=group,
                    enforce_unique_records=spec.enforce_unique_records,
                )
            companies[spec.key] = company
        return companies

    def _users(self, companies: dict[str, Company]) -> None:
        User = get_user_model()
        for spec in USERS:
            user = User.objects.filter(username=spec.email).first()
            if user is None:
                user = User.objects.create_user(
                    username=spec.email,
                    email=spec.email,
                    password=DEMO_PASSWORD,
                    first_name=spec.first_name,
                    last_name=spec.last_name,
                    is_staff=spec.is_support,
                    is_superuser=spec.is_support,
                )
            for key, role in spec.memberships:
                company_services.membership_grant(user=user, company=companies[key], role=role)

    # master records ----------------------------------------------------------------------

    def _catalog(self, spec: CompanySpec, company: Company, data: DemoData) -> dict[str, int]:
        counts = dict.fromkeys(("parties", "products", "stock", "prices", "images"), 0)

        salespeople = {sp.email: sp.pk for sp in Salesperson.objects.filter(company=company)}
        for name, email in SALESPEOPLE[spec.key]:
            if email not in salespeople:
                salespeople[email] = services.salesperson_create(company=company, name=name, email=email).pk

        party_specs = data.parties(spec)
        parties = dict(Party.objects.filter(company=company).exclude(code="").values_list("code", "pk"))
        new_parties = [party for party in party_specs if party.code not in parties]
        created = services.party_bulk_create(
            company=company,
            rows=[
                {**party.data, "code": party.code, "salespeople": [salespeople[e] for e in party.salespeople]}
                for party in new_parties
            ],
            source=SOURCE,
        )
        parties.update({record.code: record.pk for record in created})
        counts["parties"] += len(created)

        supplier_codes = [p.code for p in party_specs if p.data["is_supplier"]]
        product_specs = data.products(spec, set(parties), supplier_codes)
        families = {f.name.lower(): f.pk for f in ProductFamily.objects.filter(company=company)}
        products = dict(Product.objects.filter(company=company).values_list("code", "pk"))
        table = PriceTable.objects.filter(company=company, name=PRICE_TABLE).first()
        if table is None:
            table = services.price_table_create(company=company, name=PRICE_TABLE)
        for product in product_specs:
            family_key = product.family.lower()
            if product.code not in products and family_key not in families:
                families[family_key] = services.family_create(company=company, name=product.family).pk
        # Structures point at components, so products go in waves: those whose components
        # all exist already (plain products first, then kits).
        pending = [product for product in product_specs if product.code not in products]
        while pending:
            ready = [p for p in pending if all(code in products for code, _ in p.bom)]
            if not ready:  # a component that is never created: drop those lines
                ready = pending
            created = services.product_bulk_create(
                company=company,
                rows=[
                    {
                        **product.data,
                        "code": product.code,
                        "family": families[product.family.lower()],
                        "suppliers": [parties[code] for code in product.suppliers if code in parties],
                        "bom": [(products[code], qty) for code, qty in product.bom if code in products],
                    }
                    for product in ready
                ],
                source=SOURCE,
            )
            products.update({record.code: record.pk for record in created})
            done = {record.code for record in created}
            pending = [p for p in pending if p.code not in done]
            counts["products"] += len(created)
            for product in ready:
                if product.photo:
                    self._photo(company, Product.objects.get(company=company, code=product.code), product)
                    counts["images"] += 1
            counts["stock"] += services.stock_balances_set(
                company=company, quantities={products[p.code]: p.stock for p in ready}
            )
            counts["prices"] += services.price_table_items_set(
                company=company,
                table_id=table.pk,
                prices={products[p.code]: money(p.data["price"] * WHOLESALE_FACTOR) for p in ready if p.wholesale},
            )
        return counts

    def _photo(self, company: Company, record: Product, product: ProductSpec) -> None:
        services.attachment_add(
            company=company,
            registry="product",
            record_id=record.pk,
            filename=f"{slug(product.family)}.png",
            content=family_image(product.family),
            content_type="image/png",
            source=SOURCE,
        )

    # summary -----------------------------------------------------------------------------

    def _summary(self, companies: dict[str, Company], created: dict[str, dict[str, int]], seconds: float) -> None:
        out = self.stdout
        took = format_duration(seconds, decimals=1)
        out.write(self.style.SUCCESS(f"{DEMO_GROUP}: dados de demonstração prontos em {took}."))
        for spec in COMPANIES:
            company = companies[spec.key]
            parties = Party.objects.filter(company=company).aggregate(
                total=Count("pk"), without_document=Count("pk", filter=Q(cnpj_cpf=""))
            )
            products = Product.objects.filter(company=company).count()
            stock = StockBalance.objects.filter(company=company).count()
            prices = PriceTableItem.objects.filter(table__company=company).count()
            new = created.get(spec.key, {})
            out.write(
                f"  {company.display_name} (CNPJ {company.cnpj_masked}): "
                f"{parties['total']} clientes/fornecedores ({parties['without_document']} sem CNPJ/CPF), "
                f"{products} produtos, {stock} saldos de estoque, {prices} preços em “{PRICE_TABLE}”"
                f" — novos nesta execução: {new.get('parties', 0)} cadastros, {new.get('products', 0)} produtos."
            )
        out.write(f"Acessos (senha de todos: {DEMO_PASSWORD}):")
        out.write("  admin@exemplo.com.br    administrador das três empresas")
        out.write("  usuario@exemplo.com.br  usuário da Exemplo Filial Sul")
        out.write("  suporte@exemplo.com.br  equipe de suporte: /admin/")
