"""Replays request payloads in the shapes public Omie integrations build them, for every call
of clientes_cadastro and produto_servico_cadastro (issue 12, "Done when").

The payloads are data: payloads/<Call>.json (format in payloads/README.md), each variant with
a note on where its shape comes from. Every variant is sent as the integration sends it (a
POST of Omie's envelope) and the test asserts what that integration reads:

- a write: codigo_status "0", Omie's descricao_status, the id it stores and the code echoed;
  then ConsultarX by that id returns every field sent, with the value sent (roundtrip.py);
- a consult: the record, holding everything its inclusion sent;
- a listing: Omie's paging envelope, the records the filters select (in order where the
  payload orders them), each holding what was sent;
- an exclusion: the record is gone for every reader and its code is free again;
- a lote: its number echoed, every good record stored as sent, a bad one not stored but
  named in the answer;
- a fault: Omie's code, which typed clients classify, and nothing written.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from catalog import services as catalog_services
from omieshare.lib.brazil import normalize_cpf_cnpj, normalize_ean, normalize_ncm
from tests.api.replay.roundtrip import assert_nothing_dropped, differences, fault, ok
from tests.factories import ProductFamilyFactory

pytestmark = pytest.mark.django_db

PAYLOADS = Path(__file__).parent / "payloads"
EVERY_CALL = {
    "IncluirCliente", "AlterarCliente", "UpsertCliente", "UpsertClienteCpfCnpj", "ConsultarCliente",
    "ExcluirCliente", "ListarClientes", "ListarClientesResumido", "AssociarCodIntCliente",
    "IncluirClientesPorLote", "UpsertClientesPorLote",
    "IncluirProduto", "AlterarProduto", "UpsertProduto", "ConsultarProduto", "ExcluirProduto",
    "ListarProdutos", "ListarProdutosResumido", "AssociarCodIntProduto", "IncluirProdutosPorLote",
    "UpsertProdutosPorLote",
}


@dataclass(frozen=True)
class Registry:
    """Omie's names for one service."""

    id: str  # the Omie id in a status answer, a consult and a full listing
    code: str  # the integration code
    consult: str
    include: str
    listing: str
    list_key: str
    summary_key: str
    lote_key: str
    noun: str


REGISTRIES = {
    "clientes": Registry(
        id="codigo_cliente_omie", code="codigo_cliente_integracao", consult="ConsultarCliente",
        include="IncluirCliente", listing="ListarClientes", list_key="clientes_cadastro",
        summary_key="clientes_cadastro_resumido", lote_key="clientes_cadastro", noun="Cliente",
    ),
    "produtos": Registry(
        id="codigo_produto", code="codigo_produto_integracao", consult="ConsultarProduto",
        include="IncluirProduto", listing="ListarProdutos", list_key="produto_servico_cadastro",
        summary_key="produto_servico_resumido", lote_key="produto_servico_cadastro", noun="Produto",
    ),
}
# A record created in the pages (no integration code), as AssociarCodInt* finds it.
WEB_CREATE = {"party": catalog_services.party_create, "product": catalog_services.product_create}
_PLACEHOLDER = re.compile(r"^\$\{(\w+)(:str)?\}$")


def _spec(call: str) -> dict:
    return json.loads((PAYLOADS / f"{call}.json").read_text(encoding="utf-8"))


def _setup_of(spec: dict) -> list[dict]:
    if "setup_from" in spec:
        return _spec(spec["setup_from"])["setup"]
    return spec.get("setup", [])


def _variants():
    for path in sorted(PAYLOADS.glob("*.json")):
        spec = json.loads(path.read_text(encoding="utf-8"))
        for variant in spec["variants"]:
            yield pytest.param(spec, variant, id=f"{spec['call']}-{variant['name']}")


class Replay:
    """Sends payloads as an integration would and remembers the ids it was answered."""

    def __init__(self, omie, credentials, company) -> None:
        self._omie = omie
        self._credentials = credentials
        self.company = company
        self.ids: dict[str, int] = {}
        self.sent: dict[str, dict] = {}

    def call(self, endpoint: str, call: str, param: dict):
        return self._omie(self._credentials, endpoint, call, param)

    def resolve(self, value: Any) -> Any:
        """"${A}" → the id answered for A (a number); "${A:str}" → the same id as text."""
        if isinstance(value, dict):
            return {key: self.resolve(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self.resolve(item) for item in value]
        found = _PLACEHOLDER.match(value) if isinstance(value, str) else None
        if found:
            number = self.ids[found.group(1)]
            return str(number) if found.group(2) else number
        return value

    def setup(self, endpoint: str, steps: list[dict]) -> None:
        registry = REGISTRIES[endpoint]
        for step in steps:
            if "web" in step:
                record = WEB_CREATE[step["web"]](company=self.company, data=dict(step["fields"]), source="test")
                self.ids[step["as"]] = record.pk
                continue
            param = self.resolve(step["param"])
            body = ok(self.call(endpoint, step["call"], param), f"setup {step['call']} {step.get('as', '')}")
            if "as" in step:
                self.ids[step["as"]] = body[registry.id]
                self.sent[step["as"]] = param

    def consult(self, endpoint: str, key: str, value: Any):
        return self.call(endpoint, REGISTRIES[endpoint].consult, {key: value})


@pytest.fixture
def replay(omie, credentials, company):
    session = Replay(omie, credentials, company)
    # codigo_familia is Omie's id of a family the company already has.
    session.ids["FAMILY"] = ProductFamilyFactory(company=company, name="Equipamentos médicos de imagem").pk
    return session


def test_there_is_a_payload_file_for_every_call():
    assert {path.stem for path in PAYLOADS.glob("*.json")} == EVERY_CALL
    for path in PAYLOADS.glob("*.json"):
        spec = json.loads(path.read_text(encoding="utf-8"))
        assert spec["call"] == path.stem and spec["endpoint"] in REGISTRIES
        assert spec["variants"], path.name
        assert all(variant["source"].strip() for variant in spec["variants"]), path.name


def _documents(value: Any, skip: set[str], found: list[tuple[str, str]]) -> None:
    if isinstance(value, dict):
        if any(value.get(key) in skip for key in ("codigo_cliente_integracao", "codigo_produto_integracao")):
            return
        for key, item in value.items():
            if isinstance(item, str) and key in {"cnpj_cpf", "doc_titular", "entCnpjCpf", "cnpj_fabricante",
                                                 "ean", "ncm"}:
                found.append((key, item))
            else:
                _documents(item, skip, found)
    elif isinstance(value, list):
        for item in value:
            _documents(item, skip, found)


def test_the_payloads_hold_valid_documents_except_where_a_variant_sends_a_bad_one():
    """So a failure of the replay is never a typo in the test data."""
    checks = {"ean": normalize_ean, "ncm": normalize_ncm}
    for path in PAYLOADS.glob("*.json"):
        spec = json.loads(path.read_text(encoding="utf-8"))
        found: list[tuple[str, str]] = []
        _documents(spec.get("setup", []), set(), found)
        for variant in spec["variants"]:
            _documents([variant.get("setup", []), variant["param"]], set(variant.get("expect", {}).get("refused", [])),
                       found)
        for key, value in found:
            try:
                checks.get(key, normalize_cpf_cnpj)(value)
            except ValidationError as error:
                pytest.fail(f"{path.name}: {key} {value!r} is not valid: {error.messages}")


@pytest.mark.parametrize("spec, variant", list(_variants()))
def test_it_answers_what_the_integration_reads_and_drops_nothing(spec, variant, replay):
    endpoint, call = spec["endpoint"], spec["call"]
    replay.setup(endpoint, _setup_of(spec) + variant.get("setup", []))
    param = replay.resolve(variant["param"])
    expect = variant.get("expect", {})

    response = replay.call(endpoint, call, param)

    if "fault" in expect:
        _check_fault(replay, endpoint, call, param, expect, response)
    elif call.endswith("PorLote"):
        _check_lote(replay, endpoint, param, expect, response)
    elif call.startswith("Listar"):
        _check_listing(replay, endpoint, call, param, expect, response)
    elif call.startswith("Consultar"):
        _check_consult(replay, endpoint, expect, response)
    elif call.startswith("Excluir"):
        _check_exclusion(replay, endpoint, expect, response)
    else:
        _check_write(replay, endpoint, call, param, expect, response)


def _check_fault(replay, endpoint, call, param, expect, response):
    body = response.json()
    found = fault(body)
    assert found is not None, f"{call}: expected fault {expect['fault']}, got a success: {body}"
    code, text = found
    assert code == expect["fault"], f"{call}: expected fault {expect['fault']}, got {code}: {text}"
    assert expect.get("fault_mentions", "") in text, text
    registry = REGISTRIES[endpoint]
    if not call.startswith(("Listar", "Consultar")) and param.get(registry.code):
        # A refused write writes nothing.
        after = fault(replay.consult(endpoint, registry.code, param[registry.code]).json())
        assert after and after[0] == 103, f"{call} was refused but its record exists: {after}"


def _check_write(replay, endpoint, call, param, expect, response):
    registry = REGISTRIES[endpoint]
    body = ok(response, call)
    # What an integration parses from the status answer.
    assert body.get("codigo_status") == "0", body
    if "status_text" in expect:
        assert body.get("descricao_status") == expect["status_text"], body
    record_id = body.get(registry.id)
    assert isinstance(record_id, int) and not isinstance(record_id, bool), body
    if param.get(registry.code):
        assert body.get(registry.code) == param[registry.code], body

    read = ok(replay.consult(endpoint, registry.id, record_id), f"{registry.consult} after {call}")
    assert_nothing_dropped(param, read, f"{call} → {registry.consult}")
    assert_nothing_dropped(replay.resolve(expect.get("read", {})), read, f"{call}: expected in {registry.consult}")


def _check_consult(replay, endpoint, expect, response):
    registry = REGISTRIES[endpoint]
    alias = expect["same_as"]
    read = ok(response, registry.consult)
    assert read.get(registry.id) == replay.ids[alias], read
    assert_nothing_dropped(replay.sent[alias], read, f"{registry.include} → {registry.consult}")


def _page(response, call: str, registry: Registry, param: dict) -> list[dict]:
    body = ok(response, call)
    key = registry.summary_key if call.endswith("Resumido") else registry.list_key
    for name in ("pagina", "total_de_paginas", "registros", "total_de_registros", key):
        assert name in body, f"{call}: the listing lacks {name}: {list(body)}"
    items = body[key]
    assert int(body["pagina"]) == int(param.get("pagina") or 1), body["pagina"]
    assert body["registros"] == len(items) and body["total_de_registros"] >= len(items), body
    return items


def _check_listing(replay, endpoint, call, param, expect, response):
    registry = REGISTRIES[endpoint]
    items = _page(response, call, registry, param)
    codes = [item.get(registry.code) for item in items]
    if "ordered_codes" in expect:
        assert codes == expect["ordered_codes"], codes
    else:
        assert sorted(codes) == sorted(expect["codes"]), codes
    if expect.get("records_as_sent"):
        sent_by_code = {sent[registry.code]: sent for sent in replay.sent.values()}
        for item in items:
            assert_nothing_dropped(sent_by_code[item[registry.code]], item, f"{registry.include} → {call}")


def _check_exclusion(replay, endpoint, expect, response):
    registry = REGISTRIES[endpoint]
    body = ok(response, "exclusion")
    assert body.get("codigo_status") == "0", body
    assert body.get("descricao_status") == expect["status_text"], body
    alias = expect["deleted"]
    sent = replay.sent[alias]

    # Gone for every reader: consult by each key, and the listing and its total.
    for key, value in ((registry.id, replay.ids[alias]), (registry.code, sent[registry.code])):
        body = replay.consult(endpoint, key, value).json()
        found = fault(body)
        assert found and found[0] == 103, (
            f"{registry.consult} by {key} after the exclusion still answers the record "
            f"(inativo {body.get('inativo')!r})" if found is None else f"{registry.consult} by {key}: {found}"
        )
    listing = replay.call(endpoint, registry.listing, {"pagina": 1, "registros_por_pagina": 50})
    listed = ok(listing, registry.listing)
    assert sorted(item[registry.code] for item in listed[registry.list_key]) == sorted(expect["remaining"])
    assert listed["total_de_registros"] == len(expect["remaining"]), listed["total_de_registros"]

    # Its code and its documents are free again.
    again = ok(replay.call(endpoint, registry.include, sent), f"{registry.include} of the excluded code")
    assert again.get("descricao_status") == f"{registry.noun} cadastrado com sucesso!", again


def _check_lote(replay, endpoint, param, expect, response):
    registry = REGISTRIES[endpoint]
    body = ok(response, "lote")
    assert body.get("lote") is not None and int(body["lote"]) == expect["lote"], body
    assert "codigo_status" in body and "descricao_status" in body, body
    if not expect.get("refused"):
        assert body["codigo_status"] == "0", body
    records = {record[registry.code]: record for record in param[registry.lote_key]}
    for code in expect["created"]:
        read = ok(replay.consult(endpoint, registry.code, code), f"{registry.consult} {code} after the lote")
        assert_nothing_dropped(records[code], read, f"lote → {registry.consult} {code}")
        extra = replay.resolve(expect.get("read", {}).get(code, {}))
        assert not differences(extra, read), differences(extra, read)
    answer = json.dumps(body, ensure_ascii=False)
    for code in expect.get("refused", []):
        found = fault(replay.consult(endpoint, registry.code, code).json())
        assert found and found[0] == 103, f"the refused {code} was stored: {found}"
        assert code in answer, f"the lote answer does not say what happened to {code}: {answer}"
