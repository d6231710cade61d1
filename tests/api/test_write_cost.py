"""What a record written through the API costs the database, alone and inside a lote of 50.

Each record goes through the same code whether it comes alone or in a lote (api → catalog/
services.py → the sharing hook). The lote pays once what 50 calls pay 50 times (request,
credentials, concurrency slot, transaction) and reads once what every record asks about its
company (uniqueness setting, share membership: omieshare/lib/memo.py). These tests pin the
number of queries, so that one more query per record shows up as 50 more in a lote.

Counted inside the test's transaction, where a request's transaction is a savepoint (two
statements more than in production). Before this was measured, a product cost 30 queries
alone and 1355 in a lote of 50 (27 a record); a client 23 and 1005.
"""

from __future__ import annotations

import pytest

from api.services import credential_issue
from catalog.models import Party, Product
from sharing import propagation
from sharing.models import Change, SharedRecord, ShareMember
from sharing.services import Permissions
from tests.factories import CompanyFactory, valid_cnpj
from tests.helpers import share_between
from webhooks.models import ALL_TOPICS, Delivery
from webhooks.services import endpoint_create

pytestmark = pytest.mark.django_db

LOTE = 50


def _product(code: str, **fields) -> dict:
    return {
        "codigo_produto_integracao": code, "codigo": code, "descricao": f"Parafuso sextavado inox M8 × 30 mm {code}",
        "unidade": "UN", "ncm": "7318.15.00", "valor_unitario": 0.35, **fields,
    }


def _client(code: str, **fields) -> dict:
    return {
        "codigo_cliente_integracao": code, "razao_social": f"Distribuidora São João {code} Comércio de Ferragens Ltda",
        "cnpj_cpf": valid_cnpj(), "cidade": "Ribeirão Preto", "estado": "SP", **fields,
    }


REGISTRIES = {
    # endpoint, single calls, lote calls, the lote's list, one record, an alteration of it
    "produtos": ("produtos", "IncluirProduto", "UpsertProduto", "IncluirProdutosPorLote", "UpsertProdutosPorLote",
                 "produto_servico_cadastro", _product, {"valor_unitario": 0.42}),
    "clientes": ("clientes", "IncluirCliente", "UpsertCliente", "IncluirClientesPorLote", "UpsertClientesPorLote",
                 "clientes_cadastro", _client, {"cidade": "São José do Rio Preto"}),
}


@pytest.fixture(params=["alone", "shared", "hooked"])
def setting(request, settings):
    company = CompanyFactory(legal_name="Ferragens Paulistas Indústria e Comércio Ltda", trade_name="Matriz")
    if request.param == "shared":
        share_between(company, CompanyFactory(trade_name="Filial Campinas"))
    if request.param == "hooked":  # a webhook listens: each record costs its event's INSERT
        settings.WEBHOOKS_ALLOW_PRIVATE = True
        endpoint_create(company=company, url="http://127.0.0.1:9/omie/webhook", topics=ALL_TOPICS)
    return request.param, company, credential_issue(company=company)


# (single Incluir, lote of 50 Incluir, single Upsert that alters, lote of 50 Upserts that alter):
# a lote is 6 queries for the request and, for each record, its single call's queries less
# those paid once per request. Per record: products 10 / 11 alone, 17 / 18 shared; clients
# 8 / 9 alone, 15 / 16 shared. A company with an active webhook pays one INSERT more per
# record (its events); one without pays nothing (the flag is read with the company).
QUERIES = {
    ("produtos", "alone"): (14, 506, 15, 556),
    ("produtos", "shared"): (21, 856, 22, 906),
    ("clientes", "alone"): (13, 407, 13, 456),
    ("clientes", "shared"): (20, 757, 20, 806),
    ("produtos", "hooked"): (15, 556, 16, 606),
    ("clientes", "hooked"): (14, 457, 14, 506),
}


@pytest.mark.parametrize("registry", ["produtos", "clientes"])
def test_a_record_costs_the_same_few_queries_alone_or_in_a_lote(
    omie, setting, registry, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    scenario, company, keys = setting
    endpoint, incluir, upsert, incluir_lote, upsert_lote, records_key, make, change = REGISTRIES[registry]
    single, lote, single_upsert, lote_upsert = QUERIES[registry, scenario]
    alone = make("ERP-000001")
    records = [make(f"ERP-{n:06d}") for n in range(2, LOTE + 2)]

    with django_capture_on_commit_callbacks(execute=False):
        with django_assert_max_num_queries(single):
            assert omie(keys, endpoint, incluir, alone).json()["codigo_status"] == "0"
        with django_assert_max_num_queries(lote):
            answer = omie(keys, endpoint, incluir_lote, {"lote": 1, records_key: records}).json()
        assert answer["codigo_status"] == "0", answer["descricao_status"]
        with django_assert_max_num_queries(single_upsert):
            assert omie(keys, endpoint, upsert, {**alone, **change}).json()["descricao_status"].endswith(
                "alterado com sucesso!"
            )
        with django_assert_max_num_queries(lote_upsert):
            answer = omie(keys, endpoint, upsert_lote, {"lote": 2, records_key: [{**r, **change} for r in records]})
        assert answer.json()["codigo_status"] == "0"

    model = Product if registry == "produtos" else Party
    assert model.objects.filter(company=company).count() == LOTE + 1
    if scenario == "shared":  # every record, alone or in the lote, was included and altered for the group
        assert Change.objects.filter(company=company).count() == 2 * (LOTE + 1)
    # Every inclusion and alteration is an event for the webhook, and only for it.
    assert Delivery.objects.filter(company=company).count() == (2 * (LOTE + 1) if scenario == "hooked" else 0)


def test_a_request_obeys_the_uniqueness_setting_changed_after_the_one_before(omie, company, credentials):
    # The setting is read once per request: the next request reads it again.
    document = "11.222.333/0001-81"
    first = omie(credentials, "clientes", "IncluirClientesPorLote", {"lote": 1, "clientes_cadastro": [
        _client("CLI-1", cnpj_cpf=document), _client("CLI-2", cnpj_cpf=document),
    ]}).json()
    assert first["codigo_status"] == "0"  # uniqueness off: the same CNPJ twice is allowed

    company.enforce_unique_records = True
    company.save(update_fields=["enforce_unique_records"])
    answer = omie(credentials, "clientes", "IncluirClientesPorLote", {"lote": 2, "clientes_cadastro": [
        _client("CLI-3", cnpj_cpf=document),
    ]}).json()

    refused = answer["clientes_status"][0]
    assert refused["codigo_status"] == "102" and "CNPJ/CPF 11.222.333/0001-81" in refused["descricao_status"]
    assert Party.objects.filter(company=company).count() == 2


def test_a_request_obeys_the_permissions_changed_after_the_one_before(omie):
    origin, branch = CompanyFactory(trade_name="Matriz"), CompanyFactory(trade_name="Filial Campinas")
    share_between(origin, branch)
    keys = credential_issue(company=branch)
    first = omie(keys, "produtos", "IncluirProdutosPorLote", {"lote": 1, "produto_servico_cadastro": [
        _product("FIL-000001"),
    ]}).json()
    assert first["codigo_status"] == "0"

    # The membership is read once per request: the next request reads it again.
    ShareMember.objects.filter(company=branch).update(**Permissions(can_create=False, can_update=True).as_fields())
    answer = omie(keys, "produtos", "IncluirProdutosPorLote", {"lote": 2, "produto_servico_cadastro": [
        _product("FIL-000002"), _product("FIL-000003"),
    ]}).json()

    assert [status["codigo_status"] for status in answer["produto_servico_status"]] == ["9", "9"]
    assert "permissão de inclusão" in answer["produto_servico_status"][0]["descricao_status"]
    assert list(Product.objects.filter(company=branch).values_list("code", flat=True)) == ["FIL-000001"]


def test_a_record_whose_code_another_company_shares_meanwhile_is_refused_alone(omie, monkeypatch):
    # Another member shares the same code between this record's check and its insert (here
    # simulated in this transaction, right before the insert): the insert fails, the record is
    # refused with what the group is doing, and the lote's other records are written.
    origin, branch = CompanyFactory(trade_name="Matriz"), CompanyFactory(trade_name="Filial Campinas")
    share = share_between(origin, branch)
    keys = credential_issue(company=origin)
    canonical_values = propagation.canonical_values

    def shared_first_by_the_branch(registry, company_id, local_ids):
        if Product.objects.filter(pk__in=local_ids, code="PRF-000002").exists():
            SharedRecord.objects.create(share=share, registry="product", match_key="PRF-000002", values={}, version=1)
        return canonical_values(registry, company_id, local_ids)

    monkeypatch.setattr(propagation, "canonical_values", shared_first_by_the_branch)
    answer = omie(keys, "produtos", "IncluirProdutosPorLote", {"lote": 3, "produto_servico_cadastro": [
        _product("PRF-000001"), _product("PRF-000002"), _product("PRF-000003"),
    ]}).json()

    first, refused, third = answer["produto_servico_status"]
    assert (first["codigo_status"], third["codigo_status"]) == ("0", "0")
    assert refused["codigo_status"] == "9"
    assert refused["descricao_status"].startswith(
        "Já existe um cadastro compartilhado com o código PRF-000002 no grupo"
    )
    assert sorted(Product.objects.filter(company=origin).values_list("code", flat=True)) == ["PRF-000001", "PRF-000003"]
    assert sorted(SharedRecord.objects.filter(share=share).values_list("match_key", flat=True)) == [
        "PRF-000001", "PRF-000003",
    ]
