"""`manage.py seed_demo` run more than once: idempotent, --once, growing --records."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from faker import Faker

from catalog.models import Attachment, BillOfMaterialsItem, Party, PriceTableItem, Product, StockBalance
from companies.models import Company, Membership
from devtools.demo_data import COMPANIES, DemoData
from tests.catalog.test_seed_demo import FAST_HASHER, seed

RECORDS = 12


@pytest.fixture(autouse=True)
def _fast_and_isolated(settings, tmp_path):
    settings.PASSWORD_HASHERS = FAST_HASHER
    settings.MEDIA_ROOT = tmp_path


def _snapshot() -> dict:
    """Everything seed_demo writes, as comparable values."""
    return {
        "companies": sorted(Company.objects.values_list("cnpj", "legal_name", "trade_name", "group__name")),
        "memberships": sorted(Membership.objects.values_list("user__username", "company__cnpj", "role")),
        "parties": sorted(
            Party.objects.values_list("company__cnpj", "code", "cnpj_cpf", "legal_name", "phone_number", "email")
        ),
        "products": sorted(
            Product.objects.values_list("company__cnpj", "code", "description", "ean", "price", "version")
        ),
        "bom": sorted(BillOfMaterialsItem.objects.values_list("product__code", "component__code", "quantity")),
        "stock": sorted(StockBalance.objects.values_list("product__company__cnpj", "product__code", "quantity")),
        "prices": sorted(PriceTableItem.objects.values_list("table__company__cnpj", "product__code", "price")),
        "attachments": Attachment.objects.count(),
        "users": sorted(get_user_model().objects.values_list("username", "is_staff", "is_superuser")),
    }


@pytest.mark.django_db
def test_it_gives_the_same_data_when_run_twice():
    seed(records=RECORDS)
    first = _snapshot()
    output = seed(records=RECORDS)
    assert _snapshot() == first
    assert "novos nesta execução: 0 cadastros, 0 produtos" in output
    assert len(first["parties"]) == len({(cnpj, code) for cnpj, code, *_ in first["parties"]})


@pytest.mark.django_db
def test_it_adds_only_what_is_missing_when_records_grow():
    seed(records=6)
    seed(records=RECORDS)
    data = DemoData(Faker("pt_BR"), RECORDS)
    for spec in COMPANIES:
        company = Company.objects.get(cnpj=spec.cnpj)
        party_specs = data.parties(spec)
        codes = sorted(p.code for p in party_specs)
        assert sorted(Party.objects.filter(company=company).values_list("code", flat=True)) == codes
        suppliers = [p.code for p in party_specs if p.data["is_supplier"]]
        expected = sorted(p.code for p in data.products(spec, set(codes), suppliers))
        assert sorted(Product.objects.filter(company=company).values_list("code", flat=True)) == expected


@pytest.mark.django_db
def test_it_does_nothing_with_once_when_the_demo_group_exists():
    seed(records=4)
    before = _snapshot()
    output = seed(records=RECORDS, once=True)
    assert "nada a fazer" in output
    assert _snapshot() == before


@pytest.mark.django_db
def test_it_loads_with_once_when_there_is_no_demo_group_yet():
    seed(records=4, once=True)
    assert Company.objects.count() == 3
    assert Party.objects.filter(company__trade_name="Exemplo Matriz").count() == 4


@pytest.mark.django_db
def test_growing_the_demo_after_it_shares_records_says_what_to_do_instead():
    from django.core.management import CommandError

    from tests.helpers import share_between

    seed(records=RECORDS)
    matriz = Company.objects.get(cnpj=COMPANIES[0].cnpj)
    branches = Company.objects.exclude(pk=matriz.pk)
    share_between(matriz, *branches, registries=("party",))

    with pytest.raises(CommandError, match="use um banco de dados novo"):
        seed(records=RECORDS * 2)
