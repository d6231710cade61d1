"""Omie's error shape: HTTP 500 with {"faultstring": "ERROR: …", "faultcode": "SOAP-ENV:Client-<n>"}.

Each kind of error has its own code, so an integration can tell them apart; the text is
for the person reading the integration's log, in Portuguese.

Where Omie's own code for a condition is known (as seen in the fault handling of public
integrations written against Omie), the same code and wording are used, so that those
integrations classify our faults the way they classify Omie's: 5113 ends a listing, 6 means
"wait and call again", 102 "already registered", 103 "not registered", 105 "invalid value".
The other numbers are ours and avoid the codes Omie is known to use for something else
(an integration must never retry an invalid payload because it took it for Omie's 6).
"""

from __future__ import annotations

from django.http import JsonResponse

from omieshare.lib.text import printable

MALFORMED = 1  # body is not the JSON envelope {call, app_key, app_secret, param}
TOO_LARGE = 2
UNKNOWN_CALL = 3
BAD_CREDENTIALS = 4
MISSING_FIELD = 5
TOO_MANY_REQUESTS = 6  # Omie's "Consumo redundante … Aguarde N segundos": retried after the wait
REFUSED = 9  # sharing permission, activation in progress, change not yet applied here
STALE = 10
LOTE_WITH_ERRORS = 11  # codigo_status of a lote answered whole in which some records were refused
METHOD_NOT_ALLOWED = 12
DUPLICATE = 102  # "… já cadastrado para o Código de Integração [x] com o nCod [n] !"; also CNPJ/CPF, EAN
NOT_FOUND = 103  # "… não cadastrado para o Código [x] !"
INVALID_VALUE = 105  # CNPJ/CPF, NCM, EAN, CEST, UF, price, a value outside its list, …
UNKNOWN_TAG = 5001  # "Tag [X] não faz parte da estrutura do tipo complexo [tipo]!": a list filter we lack
NO_RECORDS = 5113  # "Não existem registros para a página [n]!"
# Omie's block of an app_key that called too much: HTTP 425, faultcode "MISUSE_API_PROCESS"
# (not SOAP-ENV:Client-<n>), "API bloqueada por consumo indevido. Tente novamente em N
# segundos." Integrations match that faultcode or text and wait the N seconds; used here for
# an address that sent too many wrong credentials (api/throttle.py).
BLOCKED = "MISUSE_API_PROCESS"

HTTP_STATUS = {TOO_LARGE: 413, TOO_MANY_REQUESTS: 429, METHOD_NOT_ALLOWED: 405, BLOCKED: 425}


class ApiFault(Exception):
    def __init__(self, code: int | str, message: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.headers = headers or {}

    def as_dict(self) -> dict[str, str]:
        # printable(): a fault may quote a value sent; a lone surrogate in it would make
        # the answer itself unencodable (an HTML 500 instead of the fault).
        faultcode = self.code if isinstance(self.code, str) else f"SOAP-ENV:Client-{self.code}"
        return {"faultstring": f"ERROR: {printable(self.message)}", "faultcode": faultcode}

    def response(self) -> JsonResponse:
        response = JsonResponse(
            self.as_dict(),
            status=HTTP_STATUS.get(self.code, 500),
            json_dumps_params={"ensure_ascii": False},
        )
        for name, value in self.headers.items():
            response[name] = value
        # An expected answer, not a server failure: the 500 is only Omie's convention. Marked
        # as logged so django.request does not report every fault (even the 5113 that ends
        # each listing) as "Internal Server Error"; api.views logs it at INFO instead.
        response._has_been_logged = True
        return response
