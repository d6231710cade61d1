"""Deleting a record removes it, after its whole copy is handed to the keeper (sharing keeps
it as a Snapshot); `record_restore` puts it back from that copy. The end-to-end paths
(pages, API, admin, sharing) are in tests/catalog/test_views_*.py, tests/api/test_deletion.py
and tests/sharing/test_deletion.py."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ImproperlyConfigured, ValidationError

from catalog import hooks, services
from catalog.copies import record_copy
from catalog.models import Party, Product
from sharing.models import Snapshot
from tests.factories import PartyFactory, ProductFactory, ProductFamilyFactory, SalespersonFactory

pytestmark = pytest.mark.django_db


def test_it_refuses_to_delete_when_nobody_would_keep_the_copy(company, monkeypatch):
    party = PartyFactory(company=company, legal_name="Comércio Sem Cópia Ltda")
    monkeypatch.setattr(hooks, "_deletion_keepers", [])

    with pytest.raises(ImproperlyConfigured):
        services.party_delete(company=company, party_id=party.pk)

    assert Party.objects.filter(pk=party.pk).exists()


@pytest.mark.parametrize("model", [Party, Product], ids=lambda m: m.__name__)
def test_the_copy_holds_every_column_of_the_record(company, model):
    record = (PartyFactory if model is Party else ProductFactory)(company=company)
    copy = record_copy(model.objects.get(pk=record.pk))
    columns = {field.attname for field in model._meta.concrete_fields} - {"company_id"}
    assert columns <= set(copy)


def test_a_product_comes_back_exactly_as_it_was(company):
    family = ProductFamilyFactory(company=company, name="Águas e refrigerantes")
    supplier = PartyFactory(company=company, legal_name="Fonte Serra Gaúcha Ltda", is_supplier=True)
    bottle = ProductFactory(company=company, code="GARRAFA-500", description="Garrafa PET 500 ml")
    product = services.product_create(company=company, data={
        "code": "AGUA-500", "integration_code": "ERP-0091", "description": "Água mineral sem gás 500 ml",
        "unit": "CX", "ncm": "22011000", "ean": "7891000315507", "price": Decimal("23.40"), "family": family,
        "characteristics": {"Volume": "500 ml", "Embalagem": "PET", "Gás": "não"},
        "suppliers": [supplier], "bom": [(bottle, "12")],
    })
    services.stock_balance_set(company=company, product_id=product.pk, quantity=Decimal("148.5"))
    before = services.product_values(Product.objects.get(pk=product.pk))
    services.product_delete(company=company, product_id=product.pk)

    restored = services.record_restore(company=company, registry="product", copy=Snapshot.objects.get().values)

    assert restored.pk == product.pk
    after = services.product_values(Product.objects.get(pk=product.pk))
    assert {k: v for k, v in after.items() if k != "version"} == {k: v for k, v in before.items() if k != "version"}
    assert Product.objects.get(pk=product.pk).stock_balance.quantity == Decimal("148.5")
    with pytest.raises(ValidationError, match="já existe nesta empresa"):
        services.record_restore(company=company, registry="product", copy=Snapshot.objects.get().values)


def test_a_party_is_restored_with_its_salesperson_found_again_by_email(company):
    ana = SalespersonFactory(company=company, email="ana.goncalves@loja.com.br")
    party = services.party_create(company=company, data={"legal_name": "José Antônio da Conceição",
                                                         "salespeople": [ana]})
    services.party_delete(company=company, party_id=party.pk)
    copy = Snapshot.objects.get().values
    copy["salespeople"] = [[999_999_999, "ana.goncalves@loja.com.br", "Ana"]]  # an id the company no longer has

    restored = services.record_restore(company=company, registry="party", copy=copy)

    assert list(restored.salespeople.all()) == [ana]
