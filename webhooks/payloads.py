"""The body of an event, in the shape of Omie's webhooks.

    {"messageId": "…", "topic": "Produto.Alterado", "event": {…ConsultarProduto's answer…},
     "author": {"email": "…", "name": "…", "userId": 7}, "appKey": "…", "appHash": "…",
     "origin": "omie-web"}

`event` is the record as the Omie-compatible API answers it (api.translate, with the
spellings the integration sent): Omie's field names, so an integration reads an event as it
reads ConsultarCliente / ConsultarProduto. It is built from the row at the event's first
delivery attempt, set-based for a batch of events (a fixed number of queries per batch),
then frozen: every retry sends the same bytes. A deletion's `event` is taken at write time
(the row is gone afterwards). A record deleted before its Incluido/Alterado event went out
is described by its id alone (with `excluido: "S"`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import unicodedata
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef

from api.models import ApiCredential, ApiImport
from api.selectors import spellings_of
from api.translate import as_sent, party_to_omie, product_to_omie
from catalog.models import Party, Product
from companies.models import Company

# Our write sources → Omie's `origin` (Omie sends e.g. "omie-connect-2.0" for its own apps).
ORIGINS = {
    "web": "omie-web", "api": "omie-api", "admin": "omie-admin", "command": "omie-command",
    "sharing": "omie-sharing", "restore": "omie-restore",
}
ID_FIELDS = {"party": "codigo_cliente_omie", "product": "codigo_produto"}


def origin_of(source: str) -> str:
    return ORIGINS.get(source, f"omie-{source}" if source else "omie")


def app_hash(company: Company) -> str:
    """Omie's appHash names the app: its short name and a fixed suffix ("empresa-5315dsja").
    Not a secret; stable for the company, unique through the suffix."""
    name = unicodedata.normalize("NFKD", company.trade_name or company.legal_name)
    slug = re.sub(r"[^a-z0-9]+", "", name.encode("ascii", "ignore").decode().lower())[:20] or "app"
    digest = hmac.new(settings.SECRET_KEY.encode(), f"apphash:{company.pk}".encode(), hashlib.sha256).hexdigest()
    alphabet = "0123456789abcdefghijklmnopqrstuvwxyz"
    number = int(digest[:16], 16)
    suffix = ""
    for _ in range(8):
        number, rest = divmod(number, 36)
        suffix += alphabet[rest]
    return f"{slug}-{suffix}"


def _image_url(attachment) -> str:
    """A stored image file as its download page, as the API answers it (with the site's
    address when settings.WEBHOOKS_PUBLIC_URL names it)."""
    from django.urls import reverse

    path = reverse("catalog:attachment_download", args=[attachment.company_id, attachment.pk])
    return settings.WEBHOOKS_PUBLIC_URL.rstrip("/") + path


def records_to_omie(company: Company, registry: str, ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """The Consultar answer of each of these rows that still exists, in a fixed number of
    queries whatever the number of rows."""
    from api import clients, products  # the API's own prefetches for its answers

    ids = list(ids)
    if not ids:
        return {}
    model, module, to_omie = (
        (Party, clients, party_to_omie) if registry == "party" else (Product, products, product_to_omie)
    )
    imported = ApiImport.objects.filter(company=company, registry=registry, local_id=OuterRef("pk"))
    rows = module._with_relations(
        model.objects.filter(company=company, pk__in=ids).annotate(importado_api=Exists(imported))
    )
    spellings = spellings_of(company=company, registry=registry, local_ids=ids)
    return {
        row.pk: as_sent(registry, to_omie(row, imported=row.importado_api, image_url=_image_url), spellings.get(row.pk))
        for row in rows
    }


def authors(actor_ids: Iterable[int | None]) -> dict[int, dict[str, Any]]:
    ids = {actor_id for actor_id in actor_ids if actor_id}
    users = get_user_model().objects.filter(pk__in=ids).only("pk", "email", "username", "first_name", "last_name")
    return {
        user.pk: {
            "email": user.email or user.username, "name": user.get_full_name() or user.username, "userId": user.pk,
        }
        for user in users
    }


def author_for(actor_id: int | None, source: str, known: dict[int, dict[str, Any]]) -> dict[str, Any]:
    if actor_id and actor_id in known:
        return known[actor_id]
    # As Omie names its integrations: a system author.
    name = {"sharing": "Compartilhamento de Cadastros", "api": "Integração (API)"}.get(source, "Sistema")
    return {"email": settings.WEBHOOKS_SYSTEM_EMAIL, "name": name, "userId": 0}


def app_key_of(company: Company) -> str:
    return ApiCredential.objects.filter(company=company).values_list("app_key", flat=True).first() or ""


def envelope(*, message_id: str, topic: str, event: dict[str, Any], author: dict[str, Any], app_key: str,
             hash_: str, origin: str) -> dict[str, Any]:
    return {"messageId": message_id, "topic": topic, "event": event, "author": author, "appKey": app_key,
            "appHash": hash_, "origin": origin}


def dumps(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), default=str).encode()


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """HMAC-SHA256 of "<timestamp>.<body>" with the endpoint's secret, in hex."""
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
