"""The Omie-compatible endpoints, and the credentials action of "Resumo do App".

An API request: size cap → JSON envelope → throttle of wrong credentials (api/throttle.py) →
credentials → call → concurrency slot → the call, inside one transaction, so a refused or
failing request writes nothing. A lote (…PorLote, api/lote.py) is one request too: one
slot and one transaction for all its records, each record in a savepoint of its own, so a
refused record loses only itself.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from api import clients, faults, products, services, throttle
from api import metrics as api_metrics
from api.faults import ApiFault
from api.limits import MAX_CONCURRENT, request_slot
from api.refusals import SERVICE_ERRORS, fault_for
from companies import selectors
from omieshare.lib import chunked, jobs
from omieshare.lib.client_ip import client_ip
from omieshare.lib.memo import memoized_reads
from omieshare.lib.text import has_unstorable, printable

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024
# Whole seconds, said as Omie says it ("Aguarde N segundos"), which Omie integrations parse
# to know how long to wait before calling again.
RETRY_AFTER_SECONDS = 2

SERVICES = {
    # endpoint → (registry, Omie's service name, calls)
    "clientes": ("party", "clientes_cadastro", clients.CALLS),
    "produtos": ("product", "produto_servico_cadastro", products.CALLS),
}


def _too_large() -> ApiFault:
    return ApiFault(faults.TOO_LARGE, "A requisição excede o tamanho máximo de 1 MB.")


def _read_body(request: HttpRequest) -> bytes:
    """The envelope's bytes: the POST body, or the `JSON` query parameter of a GET, which is
    how Omie's generated PHP client calls (`endpoint?JSON=<urlencoded envelope>`)."""
    if request.method == "GET":
        return request.GET["JSON"].encode("utf-8")
    if chunked.is_chunked(request.META):
        # No Content-Length: Django would read the body as empty (see omieshare/lib/chunked.py).
        try:
            return chunked.read_terminated_input(request.META, MAX_BODY_BYTES)
        except OverflowError:
            raise _too_large() from None
        except LookupError:
            raise ApiFault(
                faults.MALFORMED,
                "Este servidor não recebe o corpo em partes (Transfer-Encoding: chunked): envie a "
                "requisição com Content-Length.",
            ) from None
        except (chunked.MalformedChunkedBody, OSError):
            raise ApiFault(
                faults.MALFORMED, "O corpo em partes (Transfer-Encoding: chunked) chegou incompleto ou malformado."
            ) from None
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > MAX_BODY_BYTES:
        raise _too_large()
    return request.read(MAX_BODY_BYTES + 1)


def _read_envelope(body: bytes) -> dict[str, Any]:
    if len(body) > MAX_BODY_BYTES:
        raise _too_large()
    try:
        # utf-8-sig: some Windows tools start the body with a byte order mark.
        # RecursionError: deeply nested arrays ('[' * 100000) exhaust the parser's stack.
        envelope = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise ApiFault(
            faults.MALFORMED,
            "O corpo da requisição não é um JSON válido. Envie {\"call\": ..., \"app_key\": ..., "
            "\"app_secret\": ..., \"param\": [{...}]}.",
        ) from None
    if not isinstance(envelope, dict):
        raise ApiFault(faults.MALFORMED, "O corpo da requisição deve ser um objeto JSON com call, app_key, "
                                         "app_secret e param.")
    _refuse_unstorable_characters(envelope)
    return envelope


def _field_with_unstorable_character(envelope: dict[str, Any]) -> tuple[str, str] | None:
    """The path of the first key or string holding U+0000 or a lone surrogate, and that
    character; or None. Walked with a list, not recursion, so no nesting depth can overflow
    the stack."""
    pending: list[tuple[str, Any]] = [("", envelope)]
    while pending:
        path, value = pending.pop()
        if isinstance(value, str) and has_unstorable(value):
            return path, _first_unstorable(value)
        if isinstance(value, dict):
            for key, item in value.items():
                name = f"{path}.{key}" if path else key
                if has_unstorable(key):
                    return name, _first_unstorable(key)
                pending.append((name, item))
        elif isinstance(value, list):
            pending.extend((f"{path}[{index}]", item) for index, item in enumerate(value))
    return None


def _first_unstorable(text: str) -> str:
    return next(character for character in text if has_unstorable(character))


def _refuse_unstorable_characters(envelope: dict[str, Any]) -> None:
    """PostgreSQL text cannot hold U+0000, and a lone UTF-16 surrogate ("\\ud800" in JSON,
    half of a pair such as an emoji's) cannot be encoded as UTF-8: stored, used in a lookup
    (even the app_key's), or echoed in an answer, either one fails with an HTML error page.
    Refused once here, for every key and string of the envelope, before authentication."""
    found = _field_with_unstorable_character(envelope)
    if found is None:
        return
    path, character = found
    field = printable(path.removeprefix("param[0]."))
    if character == "\x00":
        problem = "o caractere nulo (\\u0000), que não pode ser gravado"
    else:
        problem = (
            f"um caractere inválido ({printable(character)}: metade de um par UTF-16, sem a outra "
            "metade), que não pode ser gravado"
        )
    raise ApiFault(faults.INVALID_VALUE, f"O campo [{field}] contém {problem}. Remova-o e envie novamente.")


def _param(envelope: dict[str, Any]) -> dict[str, Any]:
    param = envelope.get("param", [])
    if param in (None, ""):
        param = []
    if isinstance(param, dict):  # forgiving: a bare object instead of a one-item list
        param = [param]
    if not isinstance(param, list) or (param and not isinstance(param[0], dict)):
        raise ApiFault(faults.MALFORMED, "O campo param deve ser uma lista com um objeto: \"param\": [{...}].")
    return param[0] if param else {}


def _handle(request: HttpRequest, endpoint: str) -> JsonResponse:
    if request.method != "POST" and not (request.method == "GET" and "JSON" in request.GET):
        raise ApiFault(faults.METHOD_NOT_ALLOWED, "Use o método POST com um corpo JSON.")
    envelope = _read_envelope(_read_body(request))
    registry, service_name, calls = SERVICES[endpoint]
    call = envelope.get("call")
    # The method the metrics count this request under (api/metrics.py).
    request.omie_call = call if isinstance(call, str) and call in calls else api_metrics.UNKNOWN_CALL
    sent_key, address = str(envelope.get("app_key") or "").strip(), client_ip(request) or ""
    wait = throttle.refused_for(sent_key, address)
    if wait is not None:
        # Refused before the credentials are read: a guesser costs no query.
        raise ApiFault(
            faults.BLOCKED,
            f"API bloqueada por consumo indevido. Tente novamente em {wait} segundos. Motivo: muitas "
            "tentativas com app_key ou app_secret inválidos a partir deste endereço. Confira o app_key e o "
            "app_secret (Resumo do App → API compatível com o Omie).",
            headers={"Retry-After": str(wait)},
        )
    company = services.credential_authenticate(
        app_key=envelope.get("app_key"), app_secret=envelope.get("app_secret")
    )
    if company is None:
        throttle.record_failure(sent_key, address)
        raise ApiFault(
            faults.BAD_CREDENTIALS, "A chave de acesso não está preenchida ou não é válida. Confira o app_key e o "
                                    "app_secret (Resumo do App → API compatível com o Omie)."
        )
    handler = calls.get(call) if isinstance(call, str) else None
    if handler is None:
        raise ApiFault(
            faults.UNKNOWN_CALL,
            f"O método [{call}] não existe no serviço {service_name}. Métodos disponíveis: "
            f"{', '.join(calls)}.",
        )
    param = _param(envelope)
    kwargs = {}
    if call in (products.READS_WITH_IMAGES if endpoint == "produtos" else clients.READS_WITH_IMAGES):
        # A stored image file is answered as its download page (members of the company only).
        kwargs["image_url"] = lambda attachment: request.build_absolute_uri(
            reverse("catalog:attachment_download", args=[attachment.company_id, attachment.pk])
        )
    app_key = str(envelope["app_key"]).strip()
    with request_slot(app_key, call) as acquired:
        if not acquired:
            raise ApiFault(
                faults.TOO_MANY_REQUESTS,
                f"Consumo redundante detectado: no máximo {MAX_CONCURRENT} requisições simultâneas do "
                f"método {call} por app_key. Aguarde {RETRY_AFTER_SECONDS} segundos e tente novamente.",
                headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
            )
        # A lote holds this one slot for all its records: it is one request of the app_key,
        # and a slot per record would let one lote take every slot of the method. Its records
        # share this transaction, each in a savepoint, so a request that fails unexpectedly
        # still writes nothing. The price: the locks of its records are held until the lote
        # commits (under a second for 50), and its 2 writing savepoints per record (the record's and
        # catalog/services.py's, which an Upsert that loses the race to create needs) overflow
        # PostgreSQL's cache of 64 subtransaction ids while it runs (other sessions' snapshots
        # then look ids up in pg_subtrans). A commit per record measured the same time here.
        # The jobs its records commit are queued together (one by one, django-q2 would
        # reconnect to the database for each: docs/JOBS.md). What every record asks about
        # its company (uniqueness setting, share membership) is read once per transaction
        # (omieshare/lib/memo.py says why that changes nothing a request can see).
        try:
            with jobs.enqueued_together(), transaction.atomic(), memoized_reads():
                result = handler(company, param, **kwargs)
        except ApiFault:
            raise
        except SERVICE_ERRORS as error:
            raise fault_for(registry, error) from error
    if isinstance(result, dict) and result.get("codigo_status") == str(faults.LOTE_WITH_ERRORS):
        request.omie_outcome = str(faults.LOTE_WITH_ERRORS)
    return JsonResponse(result, json_dumps_params={"ensure_ascii": False})


def _endpoint(endpoint: str):
    @csrf_exempt
    @never_cache
    def view(request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        outcome = "error"  # an unexpected exception: Django answers its 500 page
        try:
            response = _handle(request, endpoint)
            outcome = getattr(request, "omie_outcome", api_metrics.OK)
            return response
        except ApiFault as fault:
            outcome = str(fault.code)
            logger.info("API fault %s on %s: %s", fault.code, endpoint, fault.message)
            return fault.response()
        finally:
            api_metrics.record_call(
                getattr(request, "omie_call", api_metrics.UNKNOWN_CALL), outcome, time.perf_counter() - started
            )

    view.__name__ = f"omie_{endpoint}"
    return view


clientes = _endpoint("clientes")
produtos = _endpoint("produtos")


@require_http_methods(["POST"])
@login_required
@never_cache
def credentials_issue(request: HttpRequest, company_id: int) -> HttpResponse:
    """Generate (or regenerate) the company's app_key/app_secret; admins only.

    The secret is shown on this one answer, never again (it is not stored)."""
    company = selectors.company_for_user(request.user, company_id)
    if not company.membership.is_admin:
        raise PermissionDenied("Somente administradores da empresa podem gerar a chave de acesso da API.")
    issued = services.credential_issue(company=company)
    logger.info("API credentials issued for company %s by user %s", company.pk, request.user.pk)
    return render(
        request,
        "api/credentials_issued.html",
        {"company": company, "membership": company.membership, "issued": issued},
    )
