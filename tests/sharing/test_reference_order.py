"""A product names its suppliers by CNPJ/CPF and its structure components by code; workers
apply the changes of different records in any order. A product applied in a company before
a supplier or component it names had arrived there must not lose it for good."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from catalog import services as catalog_services
from catalog.models import Party
from companies.models import Membership
from sharing.models import AuditEntry, Change, RecordLink, SharedRecord
from sharing.propagation import apply_change
from sharing.resync import find_drift
from tests.factories import CompanyFactory, MembershipFactory
from tests.helpers import apply_pending, make_party, make_product, product_in, share_between

pytestmark = pytest.mark.django_db

CPF = "52998224725"
CPF_MASKED = "529.982.247-25"


def apply_newest_first() -> None:
    """The order a busy pool of workers may well take: the latest change first."""
    for change_id in Change.objects.exclude(status=Change.Status.APPLIED).order_by("-pk").values_list("pk", flat=True):
        apply_change(change_id)


def supplier_documents(company, code: str) -> list[str]:
    return sorted(product_in(company, code).suppliers.exclude(cnpj_cpf="").values_list("cnpj_cpf", flat=True))


@pytest.fixture
def group(db):
    origin = CompanyFactory(legal_name="Laticínios Serra Azul Indústria e Comércio Ltda", trade_name="Matriz")
    north = CompanyFactory(legal_name="Laticínios Serra Azul – Filial Maceió", trade_name="Filial Maceió")
    south = CompanyFactory(legal_name="Laticínios Serra Azul – Filial Joinville", trade_name="Filial Joinville")
    return origin, north, south


def test_a_supplier_gaining_a_cpf_reaches_products_applied_before_it(group):
    origin, north, south = group
    farm = make_party(origin, "", "Sítio São João da Boa Vista – Leite Orgânico", is_client=False, is_supplier=True)
    for code in ("PRD01000001", "PRD01000002", "PRD01000003"):
        make_product(origin, code, f"Queijo minas frescal {code} – peça de 500 g", suppliers=[farm.pk])
    share = share_between(origin, north, south)

    catalog_services.party_update(company=origin, party_id=farm.pk, data={"cnpj_cpf": CPF_MASKED}, source="web")
    apply_newest_first()

    for company in (north, south):
        for code in ("PRD01000001", "PRD01000002", "PRD01000003"):
            assert supplier_documents(company, code) == [CPF], (company.trade_name, code)
        assert Party.objects.filter(company=company, cnpj_cpf=CPF).count() == 1
    assert not Change.objects.exclude(status=Change.Status.APPLIED).exists()
    assert find_drift(share) == []
    arrived = AuditEntry.objects.get(company=north, registry="party", action=AuditEntry.Action.APPLY)
    assert arrived.detail.startswith("aplicado antes do produto PRD0100000")


def test_a_new_component_reaches_a_structure_applied_before_it(group):
    origin, north, south = group
    make_product(origin, "PRD01000010", "Kit café da manhã – cesta")
    share = share_between(origin, north, south)
    component = make_product(origin, "PRD01000011", "Requeijão cremoso 200 g")
    catalog_services.product_update(
        company=origin, product_id=product_in(origin, "PRD01000010").pk, source="web",
        data={"bom": [(component.pk, Decimal("2.5"))]},
    )

    apply_newest_first()

    for company in (north, south):
        kit = product_in(company, "PRD01000010")
        assert [(line.component.code, line.quantity) for line in kit.bom_items.all()] == [
            ("PRD01000011", Decimal("2.5000"))
        ]
    assert find_drift(share) == []


def test_a_supplier_that_cannot_arrive_keeps_its_products_pending_and_says_why(group, monkeypatch, client):
    origin, north, south = group
    admin = MembershipFactory(company=origin, role=Membership.Role.ADMIN).user
    farm = make_party(origin, "", "Fazenda Três Irmãos – Leite Tipo A", is_client=False, is_supplier=True)
    make_product(origin, "PRD01000020", "Manteiga extra com sal 200 g", suppliers=[farm.pk])
    share = share_between(origin, north, south)
    catalog_services.party_update(company=origin, party_id=farm.pk, data={"cnpj_cpf": CPF}, source="web")
    create = catalog_services.party_create

    def refused_in_north(*, company, **kwargs):
        if company.pk == north.pk:
            raise ValidationError("O e-mail informado não é aceito nesta empresa.")
        return create(company=company, **kwargs)

    monkeypatch.setattr(catalog_services, "party_create", refused_in_north)
    apply_newest_first()

    assert supplier_documents(south, "PRD01000020") == [CPF]
    product_change = Change.objects.get(shared_record__match_key="PRD01000020", status=Change.Status.FAILED)
    assert (f"O fornecedor CNPJ/CPF {CPF_MASKED}, do produto PRD01000020, não pôde ser gravado antes dele "
            "nesta empresa: O e-mail informado não é aceito nesta empresa.") in product_change.last_error
    link = RecordLink.objects.get(company=north, shared_record=product_change.shared_record)
    assert link.applied_version < SharedRecord.objects.get(pk=link.shared_record_id).version
    client.force_login(admin)
    page = client.get(reverse("sharing:share_detail", args=[origin.pk, share.pk])).content.decode()
    assert "Tudo sincronizado" not in page and "2 cadastros com pendência" in page

    monkeypatch.setattr(catalog_services, "party_create", create)  # the cause is fixed
    apply_pending()
    assert supplier_documents(north, "PRD01000020") == [CPF]
    assert find_drift(share) == []
