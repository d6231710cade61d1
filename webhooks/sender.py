"""One POST to a webhook endpoint, safely.

- Only http and https; no user:password in the URL.
- The host is resolved here and every address it resolves to is checked: private,
  loopback, link-local, multicast, reserved and other non-global addresses are refused
  unless `settings.WEBHOOKS_ALLOW_PRIVATE` (tests, on-premise). The connection then goes to
  the checked address itself (the Host header and TLS SNI/certificate keep the name), so a
  second DNS answer cannot swap in another address (DNS rebinding).
- One deadline for the whole exchange (connect, send, answer), the answer read up to a cap,
  redirects never followed (a 3xx is a failure that says where it pointed).
Every failure comes back as a pt-BR sentence for the delivery log.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings


class Refused(Exception):
    """The URL may not be called (scheme, address): a sentence in pt-BR."""


@dataclass(frozen=True)
class Result:
    ok: bool
    status_code: int | None
    duration_ms: int
    answer: str  # an excerpt of the answer's body
    error: str  # why it failed, in pt-BR; "" when ok


ANSWER_EXCERPT = 500


def _target(url: str) -> tuple[str, str, int, str]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise Refused("Apenas URLs http:// ou https:// são aceitas.")
    if parts.username or parts.password:
        raise Refused("A URL não pode conter usuário e senha; use a assinatura para autenticar os eventos.")
    host = parts.hostname
    if not host:
        raise Refused("A URL não tem um endereço (host).")
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError:
        raise Refused("A porta da URL é inválida.") from None
    path = parts.path or "/"
    if parts.query:
        path += f"?{parts.query}"
    return scheme, host, port, path


def _forbidden(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


def resolve(host: str, port: int) -> str:
    """The one address to connect to: every address of the name must be allowed."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise Refused(f"O nome {host} não foi encontrado (DNS). Confira a URL.") from None
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if not addresses:
        raise Refused(f"O nome {host} não tem endereço (DNS).")
    if not settings.WEBHOOKS_ALLOW_PRIVATE:
        blocked = [address for address in addresses if _forbidden(address)]
        if blocked:
            raise Refused(
                f"{host} aponta para {blocked[0]}, um endereço privado, local ou reservado. Por segurança, "
                "os webhooks só chamam endereços públicos da internet (o suporte pode liberar endereços "
                "internos numa instalação própria: WEBHOOKS_ALLOW_PRIVATE)."
            )
    return addresses[0]


def check_url(url: str) -> None:
    """Refuse a URL that could never be called (for the form); the address is checked
    again at every delivery, since DNS answers change."""
    _scheme, host, port, _path = _target(url)
    resolve(host, port)


class _Pinned(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedTLS(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


_REASONS = {
    400: "requisição inválida", 401: "não autorizado", 403: "acesso proibido", 404: "endereço não encontrado",
    405: "método não permitido", 408: "tempo esgotado", 410: "endereço removido", 413: "conteúdo grande demais",
    415: "tipo de conteúdo não aceito", 422: "conteúdo não processável", 429: "requisições demais",
    500: "erro interno do servidor", 502: "gateway inválido", 503: "serviço indisponível",
    504: "tempo esgotado no gateway",
}


def _explain_status(status: int, location: str) -> str:
    if 300 <= status < 400:
        where = f" para {location}" if location else ""
        return (f"O endpoint respondeu com um redirecionamento (HTTP {status}{where}). Redirecionamentos não "
                "são seguidos: cadastre a URL final.")
    reason = _REASONS.get(status, "")
    reason = f" ({reason})" if reason else ""
    return f"O endpoint respondeu HTTP {status}{reason}; só uma resposta 2xx confirma o recebimento."


def post(url: str, body: bytes, headers: dict[str, str]) -> Result:
    timeout = settings.WEBHOOKS_TIMEOUT
    started = time.monotonic()

    def took() -> int:
        return int((time.monotonic() - started) * 1000)

    if len(body) > settings.WEBHOOKS_MAX_BODY_BYTES:
        return Result(False, None, 0, "", (
            f"O evento tem {len(body) // 1024} KB, acima do limite de "
            f"{settings.WEBHOOKS_MAX_BODY_BYTES // 1024} KB por envio."
        ))
    try:
        scheme, host, port, path = _target(url)
        address = resolve(host, port)
    except Refused as refusal:
        return Result(False, None, took(), "", str(refusal))
    connection_class = _PinnedTLS if scheme == "https" else _Pinned
    connection = connection_class(host, port, address, timeout)
    deadline = started + timeout
    try:
        connection.request("POST", path, body=body, headers={
            "Content-Type": "application/json; charset=utf-8", "User-Agent": "omieshare-webhooks/1.0",
            "Connection": "close", **headers,
        })
        sock = connection.sock  # the response may detach it from the connection ("close")
        response = connection.getresponse()
        chunks: list[bytes] = []
        size = 0
        while size < settings.WEBHOOKS_MAX_ANSWER_BYTES:
            if time.monotonic() > deadline:
                raise TimeoutError
            sock.settimeout(max(0.05, deadline - time.monotonic()))
            chunk = response.read1(min(8192, settings.WEBHOOKS_MAX_ANSWER_BYTES - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        answer = b"".join(chunks).decode("utf-8", errors="replace")[:ANSWER_EXCERPT]
        status = response.status
        if 200 <= status < 300:
            return Result(True, status, took(), answer, "")
        return Result(False, status, took(), answer, _explain_status(status, response.getheader("Location", "")))
    except TimeoutError:
        return Result(False, None, took(), "", (
            f"O endpoint não respondeu em {timeout:g} s (tempo limite). Responda 2xx logo ao receber e processe "
            "o evento depois."
        ))
    except ConnectionRefusedError:
        return Result(False, None, took(), "", f"Conexão recusada por {host}:{port}: nada atende nesse endereço.")
    except ssl.SSLCertVerificationError as error:
        return Result(False, None, took(), "", f"O certificado HTTPS de {host} não é válido: {error.verify_message}.")
    except ssl.SSLError as error:
        return Result(False, None, took(), "", f"Falha na conexão HTTPS com {host}: {error.reason or error}.")
    except (ConnectionError, OSError, http.client.HTTPException) as error:
        reason = f"{error.__class__.__name__}: {error}"
        return Result(False, None, took(), "", f"A conexão com {host}:{port} falhou ({reason}).")
    finally:
        connection.close()
