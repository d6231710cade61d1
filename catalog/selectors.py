"""Reads for the catalog pages. Every function takes the company explicitly and filters by it,
so a record of another company is never found (the views turn that into a 404).

List queries are written for 100,000 records per company: they read only the columns a
list shows, join the one foreign key shown (family), and search word by word: every word
typed must appear in one of the searched fields, in any order, without regard to accents
or case, masked documents and NCMs found by their bare digits ("pimenta ltda",
"11.222.333/0001", "comercio 45"; omieshare/lib/search.py). One trigram index per table
over those fields joined serves it (catalog/migrations/0008_search_words).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.db.models import Count, Prefetch, Q, QuerySet, Value
from django.db.models.functions import Concat
from django.shortcuts import get_object_or_404
from django.utils.functional import cached_property

from catalog import hooks
from catalog.models import (
    Attachment,
    BillOfMaterialsItem,
    Party,
    PriceTableItem,
    Product,
    ProductFamily,
    Salesperson,
    StockBalance,
)
from companies.models import Company
from omieshare.lib.brazil import strip_mask
from omieshare.lib.search import words_condition

PAGE_SIZE = 50
# Up to this many matching rows a list is sorted after filtering (see list_page).
FEW_MATCHES = 1000
# A search counts its matches up to this many; past it the page says "mais de 1.000".
SEARCH_COUNT_LIMIT = 1000

# What the search box looks in. The trigram index of catalog/migrations/0008_search_words
# is built on these columns joined in this order: change both together.
PARTY_SEARCH_FIELDS = ("legal_name", "trade_name", "cnpj_cpf", "code", "email", "city")
PRODUCT_SEARCH_FIELDS = ("description", "code", "ean", "ncm")

STATUS_ACTIVE = "ativos"
STATUS_INACTIVE = "inativos"
STATUS_ALL = "todos"

KIND_ALL = "todos"
KIND_CLIENTS = "clientes"
KIND_SUPPLIERS = "fornecedores"

PARTY_LIST_COLUMNS = (
    "id", "code", "cnpj_cpf", "legal_name", "trade_name", "city", "state",
    "is_client", "is_supplier", "active",
)
PRODUCT_LIST_COLUMNS = (
    "id", "code", "description", "unit", "ncm", "ean", "price", "active", "family__name",
)


def indexed_party_text(text: str) -> Q:
    """Clients/suppliers that may hold `text` (case ignored) in one of PARTY_SEARCH_FIELDS:
    every word of it somewhere in them, found through the search index. ANDed with a
    filter on one of those fields (`legal_name__icontains=text`), it lets that filter use
    the index instead of reading every record of the company (0.5 s at 100,000 clients);
    it never leaves out a record the filter keeps."""
    return words_condition(PARTY_SEARCH_FIELDS, text) or Q()


def indexed_product_text(text: str) -> Q:
    """indexed_party_text for products (PRODUCT_SEARCH_FIELDS)."""
    return words_condition(PRODUCT_SEARCH_FIELDS, text) or Q()


@dataclass(frozen=True)
class ListFilters:
    q: str = ""
    status: str = STATUS_ACTIVE
    kind: str = KIND_ALL


def _status_filter(queryset: QuerySet, status: str) -> QuerySet:
    if status == STATUS_ACTIVE:
        return queryset.filter(active=True)
    if status == STATUS_INACTIVE:
        return queryset.filter(active=False)
    return queryset


class SearchPaginator(Paginator):
    """A paginator that counts at most `limit` matches (`more` says there were others).

    Counting every match of a common word ("ltda" in 40,000 of 100,000 clients) means
    rechecking each of them against the search: 150-300 ms on its own, more than the
    whole page should take. Nobody pages through 40,000 search results; they refine the
    search, so the count stops at the limit.
    """

    def __init__(self, object_list, per_page, *, limit: int):
        super().__init__(object_list, per_page)
        self.limit = limit
        self.more = False

    @cached_property
    def count(self) -> int:
        found = self.object_list.order_by()[: self.limit + 1].count()
        self.more = found > self.limit
        return min(found, self.limit)

    def page(self, number) -> Page:
        if not self.more:  # counted: Django's page, which stops at the count
            return super().page(number)
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        return self._get_page(self.object_list[bottom:bottom + self.per_page], number, self)


def list_page(
    queryset: QuerySet,
    *,
    number: str | int | None,
    sort_field: str,
    per_page: int = PAGE_SIZE,
    searched: bool = False,
) -> Page:
    """One page (`per_page` rows) of a list ordered by `sort_field`, then id.

    With a LIMIT, PostgreSQL plans a search or filter by walking the (company, name, id)
    index in order and checking each row: instant when many rows match, but a walk through
    the whole company when few or none do (measured at 100,000 parties: 0.5 s for 6
    matches). Once the count shows the matches are few, ordering by an expression that index
    cannot provide makes PostgreSQL find them through the trigram indexes and sort just
    those (25 ms).
    A `searched` list counts its matches only up to SEARCH_COUNT_LIMIT (SearchPaginator).
    A bad or out-of-range page number gives the nearest page.
    """
    if searched:
        paginator = SearchPaginator(queryset, per_page, limit=SEARCH_COUNT_LIMIT)
    else:
        paginator = Paginator(queryset, per_page)
    if 0 < paginator.count <= FEW_MATCHES and not getattr(paginator, "more", False):
        # Same order (name, id); the count already computed stays cached on the paginator.
        paginator.object_list = queryset.order_by(Concat(sort_field, Value("")).asc(), "id")
    return paginator.get_page(number)


def with_share_status(*, company: Company, registry: hooks.Registry, records: Iterable) -> list:
    """The records as a list, each with `share_status` (a hooks.RecordShareStatus, or None
    for a record that is not shared). One hook call for all of them, never one per row."""
    records = list(records)
    statuses = hooks.record_statuses(company.pk, registry, [record.pk for record in records])
    for record in records:
        record.share_status = statuses.get(record.pk)
    return records


def create_status(*, company: Company, registry: hooks.Registry) -> hooks.CreateStatus:
    """Whether the company may include new records of this registry (sharing permissions)."""
    return hooks.create_status(company.pk, registry)


def record_sync(*, company: Company, registry: hooks.Registry, record_id: int) -> hooks.RecordSync | None:
    """How far the group got with a shared record's latest version (None when not shared)."""
    return hooks.record_sync(company.pk, registry, record_id)


# --- clients and suppliers ------------------------------------------------------------


def party_list(*, company: Company, filters: ListFilters) -> QuerySet[Party]:
    queryset = Party.objects.filter(company=company).only(*PARTY_LIST_COLUMNS)
    queryset = _status_filter(queryset, filters.status)
    if filters.kind == KIND_CLIENTS:
        queryset = queryset.filter(is_client=True)
    elif filters.kind == KIND_SUPPLIERS:
        queryset = queryset.filter(is_supplier=True)
    condition = words_condition(PARTY_SEARCH_FIELDS, filters.q)
    if condition is not None:
        queryset = queryset.filter(condition)
    return queryset.order_by("legal_name", "id")


def party_get(*, company: Company, party_id: int) -> Party:
    """The party of this company, or 404 (also when the id belongs to another company)."""
    return get_object_or_404(Party.objects.filter(company=company), pk=party_id)


def party_detail(*, company: Company, party_id: int) -> Party:
    """The party with what its detail page shows, loaded in a fixed number of queries."""
    return get_object_or_404(
        Party.objects.filter(company=company).prefetch_related(
            Prefetch("salespeople", queryset=Salesperson.objects.order_by("name")),
            Prefetch("attachments", queryset=Attachment.objects.select_related("blob")),
        ),
        pk=party_id,
    )


def products_supplied_by(*, company: Company, party: Party, limit: int = 100) -> list[Product]:
    return list(
        Product.objects.filter(company=company, suppliers=party)
        .only("id", "code", "description", "active")
        .order_by("description", "id")[:limit]
    )


def salespeople_for(*, company: Company) -> QuerySet[Salesperson]:
    return Salesperson.objects.filter(company=company).order_by("name", "id")


def families_for(*, company: Company) -> QuerySet[ProductFamily]:
    return ProductFamily.objects.filter(company=company).order_by("name", "id")


def salespeople_overview(*, company: Company) -> QuerySet[Salesperson]:
    """Salespeople with how many clients/suppliers each one serves."""
    return salespeople_for(company=company).annotate(party_count=Count("parties"))


def families_overview(*, company: Company) -> QuerySet[ProductFamily]:
    """Families with how many products each one has."""
    return families_for(company=company).annotate(product_count=Count("products"))


def suppliers_for(*, company: Company) -> QuerySet[Party]:
    """The company's suppliers, the choices for a product's "fornecedores"."""
    return Party.objects.filter(company=company, is_supplier=True).order_by("legal_name", "id")


def supplier_search(*, company: Company, q: str, limit: int = 20) -> list[Party]:
    """The first active suppliers matching `q`, for the product form's supplier search."""
    filters = ListFilters(q=q, status=STATUS_ACTIVE, kind=KIND_SUPPLIERS)
    matches = party_list(company=company, filters=filters)
    page = list_page(matches, number=1, sort_field="legal_name", per_page=limit, searched=True)
    return list(page.object_list)


def suppliers_by_reference(*, company: Company, references: Iterable[str]) -> dict[str, int]:
    """Map what a user typed to identify suppliers (CNPJ/CPF, masked or not, or the
    integration code) to party ids of this company. References not found are absent."""
    wanted = {ref.strip(): strip_mask(ref) for ref in references if ref.strip()}
    if not wanted:
        return {}
    documents = {doc for doc in wanted.values() if doc}
    codes = set(wanted)
    rows = (
        Party.objects.filter(company=company, is_supplier=True)
        .filter(Q(cnpj_cpf__in=documents) | Q(code__in=codes))
        .order_by("-active", "id")
        .values_list("id", "cnpj_cpf", "code")
    )
    by_document: dict[str, int] = {}
    by_code: dict[str, int] = {}
    for pk, document, code in rows:
        if document:
            by_document.setdefault(document, pk)
        if code:
            by_code.setdefault(code, pk)
    found = {}
    for typed, document in wanted.items():
        pk = by_code.get(typed) or by_document.get(document)
        if pk:
            found[typed] = pk
    return found


# --- products --------------------------------------------------------------------------


def product_list(*, company: Company, filters: ListFilters) -> QuerySet[Product]:
    queryset = (
        Product.objects.filter(company=company)
        .select_related("family")
        .only(*PRODUCT_LIST_COLUMNS)
    )
    queryset = _status_filter(queryset, filters.status)
    condition = words_condition(PRODUCT_SEARCH_FIELDS, filters.q)
    if condition is not None:
        queryset = queryset.filter(condition)
    return queryset.order_by("description", "id")


def product_get(*, company: Company, product_id: int) -> Product:
    return get_object_or_404(Product.objects.filter(company=company), pk=product_id)


def product_detail(*, company: Company, product_id: int) -> Product:
    return get_object_or_404(
        Product.objects.filter(company=company)
        .select_related("family")
        .prefetch_related(
            Prefetch(
                "suppliers",
                queryset=Party.objects.only(
                    "id", "legal_name", "trade_name", "cnpj_cpf", "active"
                ).order_by("legal_name", "id"),
            ),
            Prefetch(
                "bom_items",
                queryset=BillOfMaterialsItem.objects.select_related("component").order_by(
                    "component__code"
                ),
            ),
            Prefetch("attachments", queryset=Attachment.objects.select_related("blob")),
        ),
        pk=product_id,
    )


def product_stock_balance(*, company: Company, product: Product) -> StockBalance | None:
    return StockBalance.objects.filter(company=company, product=product).first()


def product_price_entries(*, company: Company, product: Product) -> list[PriceTableItem]:
    return list(
        PriceTableItem.objects.filter(table__company=company, product=product)
        .select_related("table")
        .order_by("table__name", "id")
    )


def product_used_in(*, company: Company, product: Product, limit: int = 100) -> list[BillOfMaterialsItem]:
    return list(
        BillOfMaterialsItem.objects.filter(component=product, product__company=company)
        .select_related("product")
        .order_by("product__code")[:limit]
    )


def products_by_codes(*, company: Company, codes: Iterable[str]) -> dict[str, int]:
    """Product ids of this company by code (codes are stored upper-case)."""
    wanted = {code.strip().upper() for code in codes if code.strip()}
    if not wanted:
        return {}
    return dict(
        Product.objects.filter(company=company, code__in=wanted).values_list("code", "id")
    )


# --- attachments -----------------------------------------------------------------------


def attachment_get(*, company: Company, attachment_id: int) -> Attachment:
    """An attachment of this company (with its blob), or 404 for anyone else's."""
    return get_object_or_404(
        Attachment.objects.filter(company=company).select_related("blob"), pk=attachment_id
    )


# --- what keeps a record from being deleted ---------------------------------------------


# Per registry: the rows through which a product uses a record, and their column naming it.
_USES = {
    "product": (BillOfMaterialsItem, "component_id"),
    "party": (Product.suppliers.through, "party_id"),
}


def record_users(*, registry: str, company_ids: Iterable[int], record_ids: Iterable[int]) -> dict[int, list[str]]:
    """The products that use each of these records, named as people recognise them
    ("P9 – Kit churrasco"): a product as a component of their structures, a client/supplier
    in their supplier lists. Keyed by the used record's id; records nobody uses are absent.
    One query for any number of records (sharing asks about every member's copy at once)."""
    ids = list(record_ids)
    if not ids:
        return {}
    model, used = _USES[registry]
    rows = model.objects.filter(**{f"{used}__in": ids}, product__company_id__in=list(company_ids))
    users: dict[int, list[str]] = {}
    for record_id, code, description in rows.order_by(used, "product__code").values_list(
        used, "product__code", "product__description"
    ):
        users.setdefault(record_id, []).append(f"{code} – {description}")
    return users
