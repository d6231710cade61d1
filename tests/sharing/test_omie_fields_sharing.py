"""Omie's other fields under sharing (issue 12 §2): what the article lists travels, the rest
stays in each company. The article's "Endereço" carries the city's IBGE code and its
"Telefone" the second phone and the fax; inscrições, bank data, the delivery address,
recomendações, weights and tax settings are each company's own."""

from __future__ import annotations

from decimal import Decimal

import pytest

from catalog import services as catalog_services
from sharing.models import Change
from tests.factories import CompanyFactory
from tests.helpers import apply_pending, make_party, make_product, party_in, product_in, share_between

pytestmark = pytest.mark.django_db

DOCUMENT = "11222333000181"

SHARED_CONTACT = {
    "city": "São Paulo", "city_ibge": "3550308", "phone2_ddd": "11", "phone2_number": "987654321",
    "fax_ddd": "11", "fax_number": "32104567",
}
LOCAL_PARTY = {
    "state_registration": "110.042.490.114", "icms_taxpayer": True, "simples_nacional": True,
    "cnae": "4751-2/01", "bank_code": "341", "bank_branch": "0912", "bank_account": "45678-9",
    "pix_key": "financeiro@acme.com.br", "delivery_street": "Avenida das Nações Unidas", "delivery_state": "SP",
    "credit_limit": Decimal("15000.00"), "installments": "A30", "contact_name": "Joana Araújo",
}
LOCAL_PRODUCT = {
    "net_weight": Decimal("1.2500"), "gross_weight": Decimal("1.4000"), "height": Decimal("12.5000"),
    "cfop": "5102", "icms_rate": Decimal("18.0000"), "minimum_stock": Decimal("10.0000"), "brand": "Açaí Real",
}


@pytest.fixture
def origin():
    return CompanyFactory(legal_name="Matriz Comércio de Alimentos Ltda", trade_name="Matriz")


@pytest.fixture
def branch():
    return CompanyFactory(legal_name="Filial Campinas Comércio de Alimentos Ltda", trade_name="Filial")


def test_activation_gives_a_new_copy_the_shared_contact_and_none_of_the_local_fields(origin, branch):
    make_party(origin, DOCUMENT, "Açaí Distribuidora Ltda", **SHARED_CONTACT, **LOCAL_PARTY)
    make_product(origin, "ACAI-500", "Polpa de açaí 500 g", **LOCAL_PRODUCT)

    share_between(origin, branch)

    copy = party_in(branch, DOCUMENT)
    assert {name: getattr(copy, name) for name in SHARED_CONTACT} == SHARED_CONTACT
    assert (copy.state_registration, copy.icms_taxpayer, copy.cnae, copy.bank_code, copy.pix_key) == (
        "", False, "", "", "")
    assert (copy.delivery_street, copy.credit_limit, copy.installments, copy.contact_name) == ("", 0, "", "")
    product = product_in(branch, "ACAI-500")
    assert (product.net_weight, product.cfop, product.icms_rate, product.brand) == (0, "", 0, "")


def test_activation_keeps_a_matched_branch_record_s_own_registration_and_tax_settings(origin, branch):
    make_party(origin, DOCUMENT, "Açaí Distribuidora Ltda", **SHARED_CONTACT, **LOCAL_PARTY)
    make_product(origin, "ACAI-500", "Polpa de açaí 500 g", **LOCAL_PRODUCT)
    make_party(branch, DOCUMENT, "Acai Distribuidora", city="Campinas", city_ibge="3509502",
               state_registration="244.123.456.119", bank_code="001", cnae="4637107")
    make_product(branch, "ACAI-500", "Polpa acai", net_weight="0.5", cfop="5.405", icms_rate="12")

    share_between(origin, branch)

    matched = party_in(branch, DOCUMENT)
    # The city and its IBGE code come together: a branch must not keep Campinas's code for São Paulo.
    assert (matched.city, matched.city_ibge, matched.fax_number) == ("São Paulo", "3550308", "32104567")
    assert (matched.state_registration, matched.bank_code, matched.cnae) == ("244.123.456.119", "001", "4637107")
    product = product_in(branch, "ACAI-500")
    assert product.description == "Polpa de açaí 500 g"
    assert (product.net_weight, product.cfop, product.icms_rate) == (Decimal("0.5000"), "5.405", Decimal("12.0000"))


def test_a_changed_phone_travels_and_a_changed_registration_stays(origin, branch):
    party = make_party(origin, DOCUMENT, "Açaí Distribuidora Ltda", **SHARED_CONTACT, **LOCAL_PARTY)
    share_between(origin, branch)

    catalog_services.party_update(company=origin, party_id=party.pk, data={
        "phone2_number": "912345678", "fax_number": "", "city_ibge": "3550308",
        "state_registration": "ISENTO", "bank_account": "99999-0", "delivery_state": "RJ",
    })
    apply_pending()

    copy = party_in(branch, DOCUMENT)
    assert (copy.phone2_number, copy.fax_number) == ("912345678", "")
    assert (copy.state_registration, copy.bank_account, copy.delivery_state) == ("", "", "")


def test_a_branch_s_own_fields_changed_there_reach_no_other_company(origin, branch):
    other = CompanyFactory(legal_name="Filial Santos Comércio de Alimentos Ltda", trade_name="Santos")
    make_party(origin, DOCUMENT, "Açaí Distribuidora Ltda", **SHARED_CONTACT)
    make_product(origin, "ACAI-500", "Polpa de açaí 500 g")
    share_between(origin, branch, other)
    Change.objects.all().delete()

    catalog_services.party_update(company=branch, party_id=party_in(branch, DOCUMENT).pk, data={
        "state_registration": "244.123.456.119", "icms_taxpayer": True, "credit_limit": "500.00",
        "delivery_city": "Campinas",
    })
    catalog_services.product_update(company=branch, product_id=product_in(branch, "ACAI-500").pk, data={
        "net_weight": "0.75", "cfop": "6.102", "ibpt_federal": "13.45", "ibpt_valid_until": "2025-12-31",
    })

    assert not Change.objects.exists()
    for company in (origin, other):
        party = party_in(company, DOCUMENT)
        assert (party.state_registration, party.icms_taxpayer, party.credit_limit) == ("", False, 0)
        product = product_in(company, "ACAI-500")
        assert (product.net_weight, product.cfop, product.ibpt_valid_until) == (0, "", None)
