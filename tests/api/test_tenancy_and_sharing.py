"""A company's keys reach only its own records; API writes follow the sharing rules."""

from __future__ import annotations

import pytest

from api.services import credential_issue
from catalog.models import Party, Product
from sharing import services as sharing_services
from sharing.models import Change
from sharing.services import Permissions
from sharing.tasks import apply_change, run_sync_job
from tests.factories import CompanyFactory, PartyFactory, ProductFactory

pytestmark = pytest.mark.django_db

PRODUCT = {"codigo_produto_integracao": "I1", "descricao": "Caneta", "unidade": "UN", "ncm": "96081000"}


def test_a_companys_keys_never_read_another_companys_records(omie, credentials, other_company):
    theirs = ProductFactory(company=other_company, code="DELES")
    their_party = PartyFactory(company=other_company, code="P")

    listing = omie(credentials, "produtos", "ListarProdutos", {})
    by_id = omie(credentials, "produtos", "ConsultarProduto", {"codigo_produto": theirs.pk})
    by_code = omie(credentials, "produtos", "ConsultarProduto", {"codigo": "DELES"})
    party = omie(credentials, "clientes", "ConsultarCliente", {"codigo_cliente_omie": their_party.pk})

    assert listing.json()["faultcode"] == "SOAP-ENV:Client-5113"
    assert by_id.json()["faultcode"] == by_code.json()["faultcode"] == "SOAP-ENV:Client-103"
    assert party.json()["faultcode"] == "SOAP-ENV:Client-103"


def test_a_companys_keys_never_write_another_companys_records(omie, credentials, company, other_company):
    theirs = ProductFactory(company=other_company, code="DELES", description="Original")
    their_party = PartyFactory(company=other_company, legal_name="Original")

    altered = omie(credentials, "produtos", "AlterarProduto", {"codigo_produto": theirs.pk, "descricao": "Hack"})
    deleted = omie(credentials, "clientes", "ExcluirCliente", {"codigo_cliente_omie": their_party.pk})
    created = omie(credentials, "produtos", "IncluirProduto", PRODUCT)

    assert altered.status_code == deleted.status_code == 500
    theirs.refresh_from_db()
    their_party.refresh_from_db()
    assert theirs.description == "Original" and their_party.active
    assert Product.objects.get(pk=created.json()["codigo_produto"]).company == company


def _share(origin, dest, *, dest_permissions: Permissions):
    share = sharing_services.share_configure(
        origin=origin, registries=["party", "product"],
        origin_permissions=Permissions(can_create=True, can_update=True, can_delete=True),
        destinations={dest: dest_permissions},
    )
    job = sharing_services.share_activate(share=share, confirmed=True)
    run_sync_job(job.pk)
    return share


def test_it_refuses_a_write_the_sharing_permissions_do_not_allow(omie):
    origin, dest = CompanyFactory(), CompanyFactory()
    _share(origin, dest, dest_permissions=Permissions(can_create=False, can_update=False, can_delete=False))
    dest_keys = credential_issue(company=dest)

    response = omie(dest_keys, "produtos", "IncluirProduto", {**PRODUCT, "codigo": "NOVO"})
    party = omie(dest_keys, "clientes", "IncluirCliente",
                 {"codigo_cliente_integracao": "C", "razao_social": "X", "cnpj_cpf": "11.222.333/0001-81"})

    assert response.status_code == 500
    assert response.json()["faultcode"] == "SOAP-ENV:Client-9"
    assert "permissão de inclusão" in response.json()["faultstring"]
    assert party.json()["faultcode"] == "SOAP-ENV:Client-9"
    assert not Product.objects.filter(company=dest).exists()
    assert not Party.objects.filter(company=dest).exists()


def test_a_product_written_through_the_origins_api_reaches_the_destinations_api(
    omie, django_capture_on_commit_callbacks
):
    origin, dest = CompanyFactory(), CompanyFactory()
    _share(origin, dest, dest_permissions=Permissions())
    origin_keys, dest_keys = credential_issue(company=origin), credential_issue(company=dest)

    with django_capture_on_commit_callbacks(execute=False):
        created = omie(origin_keys, "produtos", "IncluirProduto",
                       {**PRODUCT, "codigo": "SHR-1", "valor_unitario": 9.9})
    assert created.status_code == 200, created.json()
    for change in Change.objects.all():
        apply_change(change.pk)

    listing = omie(dest_keys, "produtos", "ListarProdutos", {"produtosFiltro": {"codigo": "SHR-1"}}).json()
    [record] = listing["produto_servico_cadastro"]
    assert record["descricao"] == "Caneta" and record["valor_unitario"] == 9.9
    assert record["codigo_produto"] != created.json()["codigo_produto"]  # the destination's own row

    with django_capture_on_commit_callbacks(execute=False):
        omie(origin_keys, "produtos", "AlterarProduto", {"codigo_produto_integracao": "I1", "descricao": "Caneta 2"})
    for change in Change.objects.filter(status=Change.Status.PENDING):
        apply_change(change.pk)

    again = omie(dest_keys, "produtos", "ConsultarProduto", {"codigo": "SHR-1"}).json()
    assert again["descricao"] == "Caneta 2"


def test_an_edit_racing_another_companys_change_is_a_concurrent_edit_fault_worded_for_an_api(
    omie, django_capture_on_commit_callbacks
):
    origin, dest = CompanyFactory(), CompanyFactory()
    _share(origin, dest, dest_permissions=Permissions())  # the destination may edit
    origin_keys, dest_keys = credential_issue(company=origin), credential_issue(company=dest)
    with django_capture_on_commit_callbacks(execute=False):
        omie(origin_keys, "produtos", "IncluirProduto", {**PRODUCT, "codigo": "SHR-2"})
    for change in Change.objects.all():
        apply_change(change.pk)
    # The origin changes it again; the change has not reached the destination yet.
    with django_capture_on_commit_callbacks(execute=False):
        omie(origin_keys, "produtos", "AlterarProduto", {"codigo_produto_integracao": "I1", "descricao": "Caneta azul"})

    response = omie(dest_keys, "produtos", "AlterarProduto", {"codigo": "SHR-2", "descricao": "Caneta preta"})

    body = response.json()
    assert response.status_code == 500 and body["faultcode"] == "SOAP-ENV:Client-10", body
    assert "foi alterado por outra requisição ou por outra empresa do grupo (versão 2)" in body["faultstring"]
    assert "consulte o cadastro em alguns segundos e envie a alteração de novo" in body["faultstring"]
    assert "Recarregue" not in body["faultstring"]
    assert Product.objects.get(company=dest, code="SHR-2").description == "Caneta"
