"""AssociarCodIntCliente and AssociarCodIntProduto: an integration gives a record made in the
pages (or by another system) the code it knows it by, in the shape public clients send
(`{"codigo_cliente_omie": …, "codigo_cliente_integracao": …}`)."""

from __future__ import annotations

import pytest

from api.services import credential_issue
from catalog.models import Party, Product
from sharing.models import AuditEntry
from tests.factories import CompanyFactory, PartyFactory, ProductFactory
from tests.helpers import NONE, apply_pending, make_party, party_in, share_between

pytestmark = pytest.mark.django_db


def test_it_associates_a_code_to_a_client_made_without_one(omie, credentials, company):
    party = PartyFactory(company=company, code="", legal_name="Mercearia Irmãos Gonçalves Ltda - ME")

    response = omie(credentials, "clientes", "AssociarCodIntCliente",
                    {"codigo_cliente_omie": party.pk, "codigo_cliente_integracao": "ERP-000123"})

    assert response.status_code == 200, response.json()
    assert response.json() == {
        "codigo_cliente_omie": party.pk,
        "codigo_cliente_integracao": "ERP-000123",
        "codigo_status": "0",
        "descricao_status": "Código de integração associado com sucesso!",
    }
    consulted = omie(credentials, "clientes", "ConsultarCliente", {"codigo_cliente_integracao": "ERP-000123"})
    assert consulted.json()["codigo_cliente_omie"] == party.pk >= 1_000_000
    party.refresh_from_db()
    assert party.version == 2  # a write like any other


def test_it_takes_the_id_as_text_as_integrations_send_it(omie, credentials, company):
    party = PartyFactory(company=company, code="")

    response = omie(credentials, "clientes", "AssociarCodIntCliente",
                    {"codigo_cliente_omie": str(party.pk), "codigo_cliente_integracao": " ERP-7 "})

    assert response.json()["codigo_status"] == "0"
    assert Party.objects.get(pk=party.pk).code == "ERP-7"


def test_associating_the_code_a_client_already_has_changes_nothing(omie, credentials, company):
    party = PartyFactory(company=company, code="ERP-1")

    response = omie(credentials, "clientes", "AssociarCodIntCliente",
                    {"codigo_cliente_omie": party.pk, "codigo_cliente_integracao": "ERP-1"})

    assert response.json()["codigo_status"] == "0"
    party.refresh_from_db()
    assert party.version == 1


def test_a_code_another_client_holds_is_omies_duplicate_fault(omie, credentials, company):
    holder = PartyFactory(company=company, code="ERP-000123")
    party = PartyFactory(company=company, code="")

    response = omie(credentials, "clientes", "AssociarCodIntCliente",
                    {"codigo_cliente_omie": party.pk, "codigo_cliente_integracao": "ERP-000123"})

    assert response.status_code == 500
    assert response.json() == {
        "faultstring": f"ERROR: Cliente já cadastrado para o Código de Integração [ERP-000123] com o nCod "
                       f"[{holder.pk}] !",
        "faultcode": "SOAP-ENV:Client-102",
    }
    party.refresh_from_db()
    assert party.code == "" and party.version == 1


def test_an_unknown_or_another_companys_client_is_not_found(omie, credentials, other_company):
    theirs = PartyFactory(company=other_company, code="")

    for omie_id in (theirs.pk, 9_999_999):
        response = omie(credentials, "clientes", "AssociarCodIntCliente",
                        {"codigo_cliente_omie": omie_id, "codigo_cliente_integracao": "ERP-1"})
        assert response.json() == {
            "faultstring": f"ERROR: Cliente não cadastrado para o Código [{omie_id}]!",
            "faultcode": "SOAP-ENV:Client-103",
        }
    assert Party.objects.get(pk=theirs.pk).code == ""


@pytest.mark.parametrize(
    ("param", "field"),
    [({"codigo_cliente_integracao": "ERP-1"}, "codigo_cliente_omie"),
     ({"codigo_cliente_omie": 1_000_001, "codigo_cliente_integracao": "  "}, "codigo_cliente_integracao")],
)
def test_both_keys_are_required(omie, credentials, param, field):
    response = omie(credentials, "clientes", "AssociarCodIntCliente", param)

    assert response.json()["faultcode"] == "SOAP-ENV:Client-5"
    assert f"[{field}]" in response.json()["faultstring"]


def test_it_associates_a_code_to_a_product_made_in_the_pages(omie, credentials, company):
    product = ProductFactory(company=company, code="PRD00042", integration_code="", description="Café torrado 500 g")

    response = omie(credentials, "produtos", "AssociarCodIntProduto",
                    {"codigo_produto": product.pk, "codigo_produto_integracao": "SKU-CAFE-500"})

    assert response.json() == {
        "codigo_produto": product.pk,
        "codigo_produto_integracao": "SKU-CAFE-500",
        "codigo_status": "0",
        "descricao_status": "Código de integração associado com sucesso!",
    }
    consulted = omie(credentials, "produtos", "ConsultarProduto", {"codigo_produto_integracao": "SKU-CAFE-500"})
    assert consulted.json()["codigo"] == "PRD00042"


def test_a_product_code_clash_and_an_unknown_product_are_omies_faults(omie, credentials, company):
    holder = ProductFactory(company=company, integration_code="SKU-1")
    product = ProductFactory(company=company, integration_code="")

    clash = omie(credentials, "produtos", "AssociarCodIntProduto",
                 {"codigo_produto": product.pk, "codigo_produto_integracao": "SKU-1"}).json()
    unknown = omie(credentials, "produtos", "AssociarCodIntProduto",
                   {"codigo_produto": 8_888_888, "codigo_produto_integracao": "SKU-2"}).json()

    assert clash == {
        "faultstring": f"ERROR: Produto já cadastrado para o Código de Integração [SKU-1] com o nCod [{holder.pk}] !",
        "faultcode": "SOAP-ENV:Client-102",
    }
    assert unknown["faultcode"] == "SOAP-ENV:Client-103"
    assert unknown["faultstring"] == "ERROR: Produto não cadastrado para o Código [8888888]!"
    assert Product.objects.get(pk=product.pk).integration_code == ""


def test_a_branch_without_edit_permission_still_associates_its_own_code(omie, django_capture_on_commit_callbacks):
    # The integration code stays in each company (it is not a shared field), so a member
    # that may not edit shared records may still name its copy; nothing travels.
    origin, branch = CompanyFactory(), CompanyFactory()
    make_party(origin, "11222333000181", "Atacado Paulista de Alimentos Ltda")
    share_between(origin, branch, destination_permissions=NONE)
    copy = party_in(branch, "11222333000181")
    branch_keys = credential_issue(company=branch)

    with django_capture_on_commit_callbacks(execute=False) as jobs:
        response = omie(branch_keys, "clientes", "AssociarCodIntCliente",
                        {"codigo_cliente_omie": copy.pk, "codigo_cliente_integracao": "FILIAL-77"})

    assert response.json()["codigo_status"] == "0"
    assert not jobs and apply_pending() == 0
    assert party_in(branch, "11222333000181").code == "FILIAL-77"
    assert party_in(origin, "11222333000181").code == ""
    assert not AuditEntry.objects.filter(local_id=copy.pk, action=AuditEntry.Action.CHANGE).exists()
