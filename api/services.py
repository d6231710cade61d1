"""Writes for API credentials. Catalog records are written by catalog/services.py only."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Collection
from dataclasses import dataclass

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from api.models import ApiCredential, ApiImport
from api.translate import spellings_sent
from companies.models import Company


@dataclass(frozen=True)
class IssuedCredential:
    """A freshly issued pair. `app_secret` exists only here: it is never stored."""

    credential: ApiCredential
    app_key: str
    app_secret: str


def _hash(secret: str, salt: str) -> str:
    return hmac.new(salt.encode(), secret.encode(), hashlib.sha256).hexdigest()


def _new_app_key() -> str:
    # 13 digits, never starting with 0, like Omie's keys (e.g. 1560731700000).
    return str(10**12 + secrets.randbelow(9 * 10**12))


def credential_issue(*, company: Company) -> IssuedCredential:
    """Create the company's credentials, or rotate them: a new app_key and app_secret.

    The old pair stops working at once. The secret is returned once and never stored.
    """
    secret = secrets.token_hex(16)
    salt = secrets.token_hex(16)
    for _ in range(5):
        app_key = _new_app_key()
        try:
            with transaction.atomic():
                credential = ApiCredential.objects.select_for_update().filter(company=company).first()
                if credential is None:
                    credential = ApiCredential(company=company)
                else:
                    credential.rotated_at = timezone.now()
                credential.app_key = app_key
                credential.secret_salt = salt
                credential.secret_hash = _hash(secret, salt)
                credential.save()
                return IssuedCredential(credential=credential, app_key=app_key, app_secret=secret)
        except IntegrityError:  # a 1-in-10^12 app_key clash, or a concurrent first issue
            continue
    raise RuntimeError("Could not issue API credentials; try again.")


def credential_authenticate(*, app_key: object, app_secret: object) -> Company | None:
    """The company whose pair this is, or None. Same answer for unknown key and bad secret."""
    if not isinstance(app_key, str | int) or not isinstance(app_secret, str):
        return None
    credential = ApiCredential.objects.select_related("company").filter(app_key=str(app_key).strip()).first()
    if credential is None:
        _hash(app_secret, "x" * 32)  # same work either way
        return None
    if not hmac.compare_digest(_hash(app_secret.strip(), credential.secret_salt), credential.secret_hash):
        return None
    return credential.company


def import_mark(*, company: Company, registry: str, local_id: int) -> None:
    """Remember that a record was created through the API (`info.importado_api`): one
    INSERT … ON CONFLICT DO NOTHING (get_or_create took a read, a savepoint, the insert and
    its release)."""
    ApiImport.objects.bulk_create(
        [ApiImport(company=company, registry=registry, local_id=local_id)], ignore_conflicts=True
    )


def spellings_remember_request(
    *, company: Company, registry: str, local_id: int, param: dict | None, created: bool = False
) -> None:
    """spelling_remember for a write request's `param` (Omie's names), as the single calls
    and the lotes of api/clients.py and api/products.py make it; None: nothing to remember."""
    if param is not None:
        spelled, replaced = spellings_sent(registry, param)
        spelling_remember(
            company=company, registry=registry, local_id=local_id, sent=spelled, replaced=replaced, created=created
        )


def spelling_remember(
    *,
    company: Company,
    registry: str,
    local_id: int,
    sent: dict[str, str],
    replaced: Collection[str],
    created: bool = False,
) -> None:
    """Remember how a write spelled the values the API answers as sent (api.models.ApiSpelling,
    api.translate.spellings_sent): `sent` replaces every earlier spelling named in `replaced`.
    One statement, whatever was there before; none for a record just `created` with nothing
    to remember (a new id has no earlier spelling to forget)."""
    if not replaced or (created and not sent):
        return
    params = {
        "company": company.pk, "registry": registry, "local_id": local_id,
        "sent": json.dumps(sent), "replaced": sorted(replaced),
    }
    with connection.cursor() as cursor:
        if sent:
            cursor.execute(
                """
                INSERT INTO api_apispelling (company_id, registry, local_id, values)
                VALUES (%(company)s, %(registry)s, %(local_id)s, %(sent)s::jsonb)
                ON CONFLICT (company_id, registry, local_id)
                DO UPDATE SET values = (api_apispelling.values - %(replaced)s::text[]) || EXCLUDED.values
                """,
                params,
            )
        else:
            cursor.execute(
                """
                UPDATE api_apispelling SET values = values - %(replaced)s::text[]
                WHERE company_id = %(company)s AND registry = %(registry)s AND local_id = %(local_id)s
                  AND values ?| %(replaced)s::text[]
                """,
                params,
            )
