"""The address a request came from, for counting wrong passwords (django-axes) and wrong API
credentials (api/throttle.py).

Without a reverse proxy (TRUSTED_PROXY_COUNT=0, the default) it is the connection's peer,
REMOTE_ADDR: an X-Forwarded-For header is then written by the client itself and is ignored,
or anyone could pick a new address for every wrong password.

Behind N reverse proxies that each append the address they received the request from to
X-Forwarded-For (nginx's `$proxy_add_x_forwarded_for`, most load balancers), the client is
the N-th entry from the right: the entries further left were sent by the client and prove
nothing. A header with fewer entries than that did not come through every proxy, and the
peer address is used. (django-ipware is not used: its proxy count counts other things, and
it prefers a public address from the client's own part of the header.)
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def _valid(address: str) -> str | None:
    try:
        return str(ipaddress.ip_address(address.strip()))
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str | None:
    """The client's IP address, or None when the request has none (a unix socket without a
    proxy, a request built in code)."""
    peer = request.META.get("REMOTE_ADDR") or ""
    proxies = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if proxies > 0:
        forwarded = [entry for entry in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if entry.strip()]
        if len(forwarded) >= proxies:
            address = _valid(forwarded[-proxies])
            if address:
                return address
    return _valid(peer)
