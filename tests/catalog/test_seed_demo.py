"""`manage.py seed_demo`: what the demo group a first `make run` shows holds.

Seeding takes a few seconds, so this module seeds once, inside a transaction that is rolled
back after the last test; the tests only read. Runs of the command (twice, --once, more
records) are in test_seed_demo_runs.py.
"""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings

from catalog.models import Attachment, BillOfMaterialsItem, Blob, Party, PriceTableItem, Product, StockBalance
from companies.models import Company, CompanyGroup
from devtools.demo_data import DEMO_PASSWORD
from omieshare.lib import brazil

RECORDS = 24
FAST_HASHER = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def seed(**options) -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out, **{"records": RECORDS, **options})
    return out.getvalue()


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker, tmp_path_factory):
    """The output of one seed_demo run, its data visible to this module's tests."""
    media = tmp_path_factory.mktemp("media")
    settings = override_settings(PASSWORD_HASHERS=FAST_HASHER, MEDIA_ROOT=media)
    with django_db_blocker.unblock(), settings, transaction.atomic():
        yield seed()
        transaction.set_rollback(True)


@pytest.mark.django_db
def test_it_creates_the_group_and_three_companies_with_valid_cnpjs(seeded, db):
    group = CompanyGroup.objects.get(name="Grupo Exemplo")
    companies = {c.trade_name: c for c in group.companies.all()}
    assert set(companies) == {"Exemplo Matriz", "Exemplo Filial Sul", "Exemplo Filial Norte"}
    for company in companies.values():
        assert brazil.normalize_cnpj(company.cnpj) == company.cnpj
    assert companies["Exemplo Matriz"].cnpj.isdigit()
    assert not companies["Exemplo Filial Norte"].cnpj.isdigit()  # alphanumeric
    assert companies["Exemplo Filial Norte"].cnpj_masked == "12.ABC.345/01DE-35"


@pytest.mark.django_db
def test_it_creates_the_demo_users_with_their_access(seeded, db):
    users = {u.username: u for u in get_user_model().objects.all()}
    admin, user, support = (
        users["admin@exemplo.com.br"], users["usuario@exemplo.com.br"], users["suporte@exemplo.com.br"]
    )
    for person in (admin, user, support):
        assert person.check_password(DEMO_PASSWORD)
    assert sorted(admin.memberships.values_list("company__trade_name", "role")) == [
        ("Exemplo Filial Norte", "admin"), ("Exemplo Filial Sul", "admin"), ("Exemplo Matriz", "admin")
    ]
    assert list(user.memberships.values_list("company__trade_name", "role")) == [("Exemplo Filial Sul", "user")]
    assert support.is_staff and support.is_superuser
    assert not support.memberships.exists()


@pytest.mark.django_db
def test_it_makes_overlap_that_makes_sharing_interesting(seeded, db):
    matriz = Company.objects.get(trade_name="Exemplo Matriz")
    sul = Company.objects.get(trade_name="Exemplo Filial Sul")

    # Parties matched by CNPJ/CPF across companies, with values that differ.
    matriz_parties = {p.cnpj_cpf: p for p in Party.objects.filter(company=matriz).exclude(cnpj_cpf="")}
    sul_parties = list(Party.objects.filter(company=sul))
    matched = [p for p in sul_parties if p.cnpj_cpf in matriz_parties]
    assert matched
    assert any(
        (p.phone_number, p.email, p.number) != tuple(
            getattr(matriz_parties[p.cnpj_cpf], f) for f in ("phone_number", "email", "number")
        )
        for p in matched
    )
    assert any(len(p.cnpj_cpf) == 14 for p in matched) and any(len(p.cnpj_cpf) == 11 for p in matched)
    # Records only in a filial, and records that are never shared (no CNPJ/CPF).
    assert [p for p in sul_parties if p.cnpj_cpf and p.cnpj_cpf not in matriz_parties]
    assert Party.objects.filter(company=matriz, cnpj_cpf="").exists()
    assert Party.objects.filter(company=sul, cnpj_cpf="").exists()
    # The same name typed again in a filial without a document: a likely duplicate.
    matriz_names = set(Party.objects.filter(company=matriz).values_list("legal_name", flat=True))
    assert Party.objects.filter(company=sul, cnpj_cpf="", legal_name__in=matriz_names).exists()

    # Products matched by code, with a different price or description.
    matriz_products = {p.code: p for p in Product.objects.filter(company=matriz)}
    sul_products = list(Product.objects.filter(company=sul))
    copies = [p for p in sul_products if p.code in matriz_products]
    assert copies
    assert any((p.price, p.description) != (matriz_products[p.code].price, matriz_products[p.code].description)
               for p in copies)
    # A filial product under its own code with the EAN of a matriz product: a likely duplicate.
    eans = {p.ean: p.code for p in matriz_products.values() if p.ean}
    assert any(p.ean in eans and p.code != eans[p.ean] for p in sul_products)


@pytest.mark.django_db
def test_it_loads_realistic_valid_records(seeded, db):
    matriz = Company.objects.get(trade_name="Exemplo Matriz")
    for party in Party.objects.filter(company=matriz).exclude(cnpj_cpf=""):
        assert brazil.normalize_cpf_cnpj(party.cnpj_cpf) == party.cnpj_cpf
    for product in Product.objects.filter(company=matriz):
        assert len(product.ncm) == 8
        assert product.ean == "" or brazil.normalize_ean(product.ean) == product.ean
        assert product.cest == "" or len(product.cest) == 7
        assert product.family_id is not None
    assert Product.objects.filter(company=matriz, suppliers__isnull=False).exists()
    assert BillOfMaterialsItem.objects.filter(product__company=matriz).exists()
    assert StockBalance.objects.filter(company=matriz).count() == RECORDS
    assert PriceTableItem.objects.filter(table__company=matriz).exists()
    # One photo per family, stored once however many products and companies use it.
    assert Attachment.objects.count() > Blob.objects.count()


@pytest.mark.django_db
def test_it_prints_the_counts_and_the_logins(seeded, db):
    output = seeded
    assert "Exemplo Matriz (CNPJ " in output
    assert f"{RECORDS} clientes/fornecedores" in output
    assert "admin@exemplo.com.br" in output and DEMO_PASSWORD in output
