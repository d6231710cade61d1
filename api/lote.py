"""Omie's "…PorLote" calls: up to 50 records in one request, each written as its single call.

Request (Omie's `clientes_lote_request` / `produto_servico_lote_request`):
    {"lote": 1, "clientes_cadastro": [{...}, ...]}        (products: "produto_servico_cadastro")
Answer (Omie's `clientes_lote_response` / `produto_servico_lote_response`, plus one status per
record, in the order sent, under Omie's name for a single call's status):
    {"lote": 1, "codigo_status": "0", "descricao_status": "...",
     "clientes_status": [{"codigo_cliente_omie", "codigo_cliente_integracao", "codigo_status",
                          "descricao_status"}, ...]}    (products: "produto_servico_status")

Omie documents these calls (as deprecated) with only the lote's status and, as public
integrations report, answers a bad record with one fault that mixes every record's outcome;
they then re-send the lote one record at a time to learn which failed. Here each record gets the status its single call
would answer: the same codigo_status and text, and for a refusal also that call's
faultstring/faultcode. The lote's codigo_status is "0" only when every record was written,
so an integration that checks it never takes a partly refused lote for a success.

Each record goes through the single call's function (incluir / upsert of api.clients or
api.products): translation, validation, catalog/services.py, sharing permissions and
propagation are the same code, so each record costs what its single write costs (about ten
queries, seven more when shared: tests/api/test_write_cost.py pins them). What the lote pays
once where 50 calls pay it 50 times: the HTTP request (and, at CONN_MAX_AGE=0, the database
connection), the JSON envelope, the authentication, the concurrency slot, the transaction's
commit (see api.views), what every record asks about its company (uniqueness setting, share
membership: omieshare.lib.memo) and, through omieshare.lib.jobs.enqueued_together, the
queueing of the propagation jobs. `manage.py bench_api_lote` measures the difference.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from api.faults import INVALID_VALUE, LOTE_WITH_ERRORS, MISSING_FIELD, ApiFault
from api.listing import known_keys
from api.refusals import SERVICE_ERRORS, fault_for
from api.translate import list_of_dicts, whole_number
from companies.models import Company
from omieshare.lib.text import printable

# Omie: "Lote de cadastros … limitado a 50 ocorrências por requisição."
MAX_RECORDS = 50
# Refusals quoted in the lote's descricao_status, for an integration that logs only that.
QUOTED_REFUSALS = 5

Write = Callable[[Company, dict[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class LoteShape:
    """The names one registry's lote uses, in Omie's words."""

    registry: str  # catalog registry, for naming fields in validation messages
    request_type: str  # Omie's type of the request, named by fault 5001
    records_key: str  # the list of records sent
    status_key: str  # the list of per-record statuses answered
    id_key: str  # the record's id in a status
    code_key: str  # the record's integration code in a status
    plural: str  # what the records are, in a sentence


def lote_number(value: Any) -> int:
    """`lote` is the integration's own label for the request, echoed back; integrations
    send it as a number or as text ("0")."""
    if value in (None, ""):
        return 0
    try:
        return whole_number(value)
    except ValueError:
        raise ApiFault(INVALID_VALUE, f"O campo lote deve ser um número inteiro (recebido [{value}]).") from None


def _records(shape: LoteShape, param: dict[str, Any]) -> list[dict[str, Any]]:
    param = known_keys(param, ("lote", shape.records_key), shape.request_type)
    if param.get(shape.records_key) in (None, "", []):
        raise ApiFault(MISSING_FIELD, f"Preenchimento obrigatório do campo [{shape.records_key}] não informado!")
    records = list_of_dicts(param[shape.records_key], shape.records_key)
    if len(records) > MAX_RECORDS:
        raise ApiFault(
            INVALID_VALUE,
            f"O lote aceita no máximo {MAX_RECORDS} {shape.plural} por requisição (recebidos {len(records)}). "
            f"Divida-o em lotes de até {MAX_RECORDS} e envie cada um; nada foi gravado.",
        )
    return records


def _refused(shape: LoteShape, record: dict[str, Any], fault: ApiFault) -> dict[str, Any]:
    code = record.get(shape.code_key)
    return {
        shape.id_key: 0,
        shape.code_key: "" if code is None else printable(str(code).strip()),
        "codigo_status": str(fault.code),
        "descricao_status": printable(fault.message),
        **fault.as_dict(),
    }


def _write_one(shape: LoteShape, write: Write, company: Company, record: dict[str, Any]) -> dict[str, Any]:
    """One record, in its own savepoint: a refusal rolls back only this record's writes, and
    Django drops the on-commit jobs (propagation) it registered with the savepoint."""
    try:
        with transaction.atomic():
            return write(company, record)
    except ApiFault as fault:
        return _refused(shape, record, fault)
    except SERVICE_ERRORS as error:
        return _refused(shape, record, fault_for(shape.registry, error))


def _summary(shape: LoteShape, number: int, statuses: list[dict[str, Any]]) -> str:
    refused = [status for status in statuses if status["codigo_status"] != "0"]
    written = len(statuses) - len(refused)
    if not refused:
        return f"Lote {number} processado com sucesso. {shape.plural.capitalize()} gravados: {written}."
    quoted = "; ".join(
        f"[{status[shape.code_key]}] {status['descricao_status']}" for status in refused[:QUOTED_REFUSALS]
    )
    more = f"; e mais {len(refused) - QUOTED_REFUSALS}" if len(refused) > QUOTED_REFUSALS else ""
    return (
        f"Lote {number} processado com erros. {shape.plural.capitalize()} gravados: {written} de "
        f"{len(statuses)}; recusados: {len(refused)} (veja {shape.status_key}): {quoted}{more}"
    )


def run(shape: LoteShape, write: Write, company: Company, param: dict[str, Any]) -> dict[str, Any]:
    """Write every record of the lote with `write` (the single call), each on its own."""
    number = lote_number(param.get("lote"))
    statuses = [_write_one(shape, write, company, record) for record in _records(shape, param)]
    failed = any(status["codigo_status"] != "0" for status in statuses)
    return {
        "lote": number,
        "codigo_status": str(LOTE_WITH_ERRORS) if failed else "0",
        "descricao_status": _summary(shape, number, statuses),
        shape.status_key: statuses,
    }


def call(shape: LoteShape, write: Write) -> Write:
    """The lote call (an entry of a CALLS table) that writes each record with `write`."""

    def lote_call(company: Company, param: dict[str, Any]) -> dict[str, Any]:
        return run(shape, write, company, param)

    lote_call.__name__ = f"{write.__name__}_por_lote"
    return lote_call
