"""Omie's error shape: HTTP 500 with {"faultstring": "ERROR: …", "faultcode": "SOAP-ENV:Client-<n>"}.

Each kind of error has its own code, so an integration can tell them apart; the text is
for the person reading the integration's log, in Portuguese.
"""

from __future__ import annotations

from django.http import JsonResponse

MALFORMED = 1  # body is not the JSON envelope {call, app_key, app_secret, param}
TOO_LARGE = 2
UNKNOWN_CALL = 3
BAD_CREDENTIALS = 4
MISSING_FIELD = 5
INVALID_VALUE = 6  # CNPJ/CPF, NCM, EAN, CEST, UF, price, …
NOT_FOUND = 7
DUPLICATE = 8  # refused by uniqueness (código, código de integração, CNPJ/CPF, EAN)
REFUSED = 9  # sharing permission, activation in progress, change not yet applied here
STALE = 10
TOO_MANY_REQUESTS = 11
METHOD_NOT_ALLOWED = 12
NO_RECORDS = 5113  # Omie's own code for "Não existem registros para a página [n]!"

HTTP_STATUS = {TOO_LARGE: 413, TOO_MANY_REQUESTS: 429, METHOD_NOT_ALLOWED: 405}


class ApiFault(Exception):
    def __init__(self, code: int, message: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.headers = headers or {}

    def response(self) -> JsonResponse:
        response = JsonResponse(
            {"faultstring": f"ERROR: {self.message}", "faultcode": f"SOAP-ENV:Client-{self.code}"},
            status=HTTP_STATUS.get(self.code, 500),
            json_dumps_params={"ensure_ascii": False},
        )
        for name, value in self.headers.items():
            response[name] = value
        return response
