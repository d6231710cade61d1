"""Writes of the webhooks app: endpoints, the events every catalog write leaves for them,
and their delivery. Reads live in selectors.py; the worker's entry points in tasks.py.

Events are written inside the catalog write's transaction (the outbox): one INSERT … SELECT
per write, fanned out to the company's active endpoints subscribed to the topic, so an
event exists exactly when its write committed. Delivery is a django-q2 task per endpoint,
enqueued on commit; django-q2 is only the trigger (docs/JOBS.md): the state is the
`Delivery` rows, and the watchdog schedule finds what a lost enqueue left behind.
"""

from __future__ import annotations

import json
import logging
import secrets
import time
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from catalog import hooks
from companies.models import Company
from omieshare.lib.jobs import enqueue_on_commit
from omieshare.lib.memo import read_once
from webhooks import payloads, sender
from webhooks.models import ALL_TOPICS, TOPICS, Attempt, Delivery, Endpoint

logger = logging.getLogger(__name__)

DELIVER_TASK = "webhooks.tasks.deliver"
BATCH = 50  # events whose bodies are built together (a fixed number of queries per batch)


# --- endpoints ---------------------------------------------------------------------------


class EndpointRefused(ValueError):
    """An endpoint that cannot be saved, with the reason in pt-BR."""


def _new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def _clean(url: str, topics: list[str]) -> tuple[str, list[str]]:
    url = (url or "").strip()
    try:
        sender.check_url(url)
    except sender.Refused as refusal:
        raise EndpointRefused(str(refusal)) from None
    unknown = [topic for topic in topics if topic not in ALL_TOPICS]
    if unknown:
        raise EndpointRefused(f"Tópico desconhecido: {', '.join(unknown)}.")
    if not topics:
        raise EndpointRefused("Escolha ao menos um tópico.")
    return url, [topic for topic in ALL_TOPICS if topic in topics]


def _refresh_company_flag(company: Company) -> None:
    """Company.webhooks_active mirrors "has an active endpoint", so that a write in a company
    without one costs no query (the write path reads the flag from the Company it holds).
    The instance given is updated too; others held elsewhere see it when read again (the
    next request, the next job)."""
    active = Endpoint.objects.filter(company=company, active=True).exists()
    Company.objects.filter(pk=company.pk).update(webhooks_active=active)
    company.webhooks_active = active


def endpoint_create(*, company: Company, url: str, topics: list[str], active: bool = True) -> Endpoint:
    """A new endpoint; its secret is on the returned object, to be shown once."""
    url, topics = _clean(url, topics)
    with transaction.atomic():
        endpoint = Endpoint.objects.create(company=company, url=url, topics=topics, active=active,
                                           secret=_new_secret())
        _refresh_company_flag(company)
    return endpoint


def endpoint_update(*, company: Company, endpoint_id: int, url: str, topics: list[str], active: bool) -> Endpoint:
    url, topics = _clean(url, topics)
    with transaction.atomic():
        endpoint = Endpoint.objects.select_for_update().get(company=company, pk=endpoint_id)
        resumed = active and not endpoint.active
        endpoint.url, endpoint.topics, endpoint.active = url, topics, active
        endpoint.save(update_fields=["url", "topics", "active", "updated_at"])
        _refresh_company_flag(company)
        if resumed:
            kick(endpoint.pk)
    return endpoint


def endpoint_set_active(*, company: Company, endpoint_id: int, active: bool) -> Endpoint:
    with transaction.atomic():
        endpoint = Endpoint.objects.select_for_update().get(company=company, pk=endpoint_id)
        endpoint.active = active
        endpoint.save(update_fields=["active", "updated_at"])
        _refresh_company_flag(company)
        if active:
            kick(endpoint.pk)  # what waited while paused goes out now
    return endpoint


def endpoint_rotate_secret(*, company: Company, endpoint_id: int) -> Endpoint:
    with transaction.atomic():
        endpoint = Endpoint.objects.select_for_update().get(company=company, pk=endpoint_id)
        endpoint.secret = _new_secret()
        endpoint.save(update_fields=["secret", "updated_at"])
    return endpoint


def endpoint_delete(*, company: Company, endpoint_id: int) -> None:
    with transaction.atomic():
        Endpoint.objects.filter(company=company, pk=endpoint_id).delete()
        _refresh_company_flag(company)


def _headers(endpoint: Endpoint, body: bytes, message_id: str, topic: str) -> dict[str, str]:
    timestamp = str(int(time.time()))
    return {
        "X-Omieshare-Message-Id": message_id,
        "X-Omieshare-Topic": topic,
        "X-Omieshare-Timestamp": timestamp,
        "X-Omieshare-Signature": "sha256=" + payloads.sign(endpoint.secret, timestamp, body),
    }


def endpoint_ping(*, company: Company, endpoint_id: int) -> Attempt:
    """"Testar": Omie's ping ({"ping": "omie"}), signed, answered at once; logged."""
    endpoint = Endpoint.objects.get(company=company, pk=endpoint_id)
    body = payloads.dumps({"ping": "omie", "appKey": payloads.app_key_of(company),
                           "appHash": payloads.app_hash(company)})
    result = sender.post(endpoint.url, body, _headers(endpoint, body, "ping", "ping"))
    attempt = Attempt.objects.create(endpoint=endpoint, ok=result.ok, status_code=result.status_code,
                                     duration_ms=result.duration_ms, answer=result.answer, error=result.error)
    summary = (f"HTTP {result.status_code} em {result.duration_ms} ms" if result.ok else result.error)
    Endpoint.objects.filter(pk=endpoint.pk).update(last_ping_at=attempt.at, last_ping_result=summary)
    return attempt


def redeliver(*, company: Company, endpoint_id: int, delivery_ids: list[int] | None = None) -> int:
    """"Reenviar": put dead-lettered events back in the queue (all of them, or these), with
    their messageId and body unchanged. They go out before newer events (FIFO by id)."""
    with transaction.atomic():
        endpoint = Endpoint.objects.get(company=company, pk=endpoint_id)
        dead = Delivery.objects.filter(endpoint=endpoint, status=Delivery.Status.DEAD)
        if delivery_ids is not None:
            dead = dead.filter(pk__in=delivery_ids)
        count = dead.update(status=Delivery.Status.PENDING, attempts=0, next_attempt_at=None)
        if count:
            kick(endpoint.pk)
    return count


# --- events: the catalog's hooks ---------------------------------------------------------


def kick(endpoint_id: int) -> None:
    """Enqueue the endpoint's delivery on commit, once per transaction (a lote of 50 writes
    enqueues it once, not 50 times); a rolled-back savepoint drops its kick, as Django
    drops its on-commit callbacks."""
    if not connection.in_atomic_block:
        enqueue_on_commit(DELIVER_TASK, endpoint_id)
        return
    for _savepoints, callback, _robust in connection.run_on_commit:
        if getattr(callback, "webhook_endpoint", None) == endpoint_id:
            return
    enqueue_on_commit(DELIVER_TASK, endpoint_id)
    connection.run_on_commit[-1][1].webhook_endpoint = endpoint_id


def _has_active_endpoints(company_id: int, company: Company | None) -> bool:
    if company is not None and company.pk == company_id:
        return company.webhooks_active  # read with the company: no query
    return read_once(
        ("webhook endpoints", company_id),
        lambda: Endpoint.objects.filter(company_id=company_id, active=True).exists(),
    )


_INSERT_EVENTS = """
    WITH rows (local_id, action, topic, n) AS (
        SELECT id, 'create', %(create_topic)s, n FROM unnest(%(created)s::bigint[]) WITH ORDINALITY AS u (id, n)
        UNION ALL
        SELECT id, %(action)s, %(topic)s, n + %(offset)s FROM unnest(%(updated)s::bigint[]) WITH ORDINALITY AS u (id, n)
    ), inserted AS (
        INSERT INTO webhooks_delivery (endpoint_id, company_id, message_id, topic, registry, action, local_id,
                                       source, actor_id, record, body, status, attempts, last_error, created_at)
        SELECT e.id, e.company_id, gen_random_uuid(), r.topic, %(registry)s, r.action, r.local_id,
               %(source)s, %(actor)s, %(record)s::jsonb, '', 'pending', 0, '', now()
        FROM webhooks_endpoint e JOIN rows r ON e.topics @> jsonb_build_array(r.topic)
        WHERE e.company_id = %(company)s AND e.active
        ORDER BY e.id, r.n
        RETURNING endpoint_id
    )
    SELECT DISTINCT endpoint_id FROM inserted
"""


def _insert_events(*, company_id: int, registry: str, created: list[int], updated: list[int], action: str,
                   source: str, actor_id: int | None = None, record: dict[str, Any] | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(_INSERT_EVENTS, {
            "company": company_id, "registry": registry, "source": source[:20], "actor": actor_id,
            "record": json.dumps(record, default=str) if record is not None else None,
            "created": created, "updated": updated, "offset": len(created), "action": action,
            "create_topic": TOPICS[(registry, "create")], "topic": TOPICS[(registry, action)],
        })
        endpoint_ids = [row[0] for row in cursor.fetchall()]
    for endpoint_id in endpoint_ids:
        kick(endpoint_id)


def on_catalog_write(write: hooks.RecordWrite) -> None:
    """One event per write, for every endpoint of the company subscribed to its topic: one
    INSERT; nothing at all (no query) when the company has no active endpoint."""
    if not _has_active_endpoints(write.company_id, getattr(write, "company", None)):
        return
    record = None
    if write.action == "delete":
        # The row is deleted right after this hook: describe it now, as it was.
        company = getattr(write, "company", None) or Company.objects.get(pk=write.company_id)
        record = payloads.records_to_omie(company, write.registry, [write.record.pk]).get(write.record.pk)
    _insert_events(
        company_id=write.company_id, registry=write.registry, created=[], updated=[write.record.pk],
        action=write.action, source=write.source, actor_id=write.actor_id, record=record,
    )


def on_bulk_write(write: hooks.BulkWrite) -> None:
    """Set-based writes (activation, the engine's batches): one INSERT … SELECT of events for
    the ids, in the writer's transaction. Events are one per record, like Omie's; they are
    paced by delivery (one request at a time per endpoint, in order), never sent at once."""
    if not Endpoint.objects.filter(company_id=write.company_id, active=True).exists():
        return
    _insert_events(
        company_id=write.company_id, registry=write.registry, created=list(write.created_ids),
        updated=list(write.updated_ids), action="update", source=write.source,
    )


# --- delivery ----------------------------------------------------------------------------


def _lease_seconds() -> float:
    return settings.WEBHOOKS_TIMEOUT * 2 + 30


def _take_lease(endpoint_id: int) -> bool:
    now = timezone.now()
    return bool(
        Endpoint.objects.filter(pk=endpoint_id)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .update(lease_until=now + timedelta(seconds=_lease_seconds()))
    )


def _renew_lease(endpoint_id: int) -> None:
    Endpoint.objects.filter(pk=endpoint_id).update(lease_until=timezone.now() + timedelta(seconds=_lease_seconds()))


def _release_lease(endpoint_id: int) -> None:
    Endpoint.objects.filter(pk=endpoint_id).update(lease_until=None)


def _freeze_bodies(endpoint: Endpoint, batch: list[Delivery]) -> None:
    """Build the body of the events that have none yet, set-based, and keep it."""
    todo = [delivery for delivery in batch if not delivery.body]
    if not todo:
        return
    company = endpoint.company
    records: dict[tuple[str, int], dict[str, Any]] = {}
    for registry in ("party", "product"):
        ids = {d.local_id for d in todo if d.registry == registry and d.record is None}
        for local_id, record in payloads.records_to_omie(company, registry, ids).items():
            records[registry, local_id] = record
    authors = payloads.authors(d.actor_id for d in todo)
    app_key, app_hash = payloads.app_key_of(company), payloads.app_hash(company)
    for delivery in todo:
        event = delivery.record or records.get((delivery.registry, delivery.local_id))
        if event is None:  # deleted before this event went out: its id is all that is left
            event = {payloads.ID_FIELDS[delivery.registry]: delivery.local_id, "excluido": "S"}
        delivery.body = payloads.dumps(payloads.envelope(
            message_id=str(delivery.message_id), topic=delivery.topic, event=event,
            author=payloads.author_for(delivery.actor_id, delivery.source, authors), app_key=app_key,
            hash_=app_hash, origin=payloads.origin_of(delivery.source),
        )).decode()
    Delivery.objects.bulk_update(todo, ["body"])


def _record_result(endpoint: Endpoint, delivery: Delivery, result: sender.Result) -> float | None:
    """Save the attempt; the seconds until the next one when the event stays pending."""
    now = timezone.now()
    delivery.attempts += 1
    delivery.last_status_code = result.status_code
    delivery.last_error = result.error
    wait = None
    if result.ok:
        delivery.status, delivery.delivered_at, delivery.next_attempt_at = Delivery.Status.DELIVERED, now, None
    else:
        delays = settings.WEBHOOKS_RETRY_DELAYS
        if delivery.attempts > len(delays):
            delivery.status, delivery.next_attempt_at = Delivery.Status.DEAD, None
            delivery.last_error = (f"{result.error} Desistimos após {delivery.attempts} tentativas: o evento foi "
                                   "para a lista de falhas, de onde pode ser reenviado.")
        else:
            wait = delays[delivery.attempts - 1]
            delivery.next_attempt_at = now + timedelta(seconds=wait)
    with transaction.atomic():
        delivery.save(update_fields=["attempts", "last_status_code", "last_error", "status", "delivered_at",
                                     "next_attempt_at"])
        Attempt.objects.create(endpoint=endpoint, delivery=delivery, ok=result.ok, status_code=result.status_code,
                               duration_ms=result.duration_ms, answer=result.answer, error=delivery.last_error)
    return wait


def _send(endpoint: Endpoint, delivery: Delivery) -> sender.Result:
    body = delivery.body.encode()
    return sender.post(endpoint.url, body, _headers(endpoint, body, str(delivery.message_id), delivery.topic))


def _turn(endpoint_id: int) -> tuple[str, float]:
    """Send the endpoint's due events in order until none is left ("empty"), the head of the
    queue must wait for its retry ("wait", seconds) or the turn's time is up ("more")."""
    endpoint = Endpoint.objects.select_related("company").filter(pk=endpoint_id, active=True).first()
    if endpoint is None:
        return "empty", 0  # deleted or paused: its events wait
    turn_ends = time.monotonic() + settings.WEBHOOKS_TURN_SECONDS
    while True:
        batch = list(Delivery.objects.filter(endpoint=endpoint, status=Delivery.Status.PENDING).order_by("pk")[:BATCH])
        if not batch:
            return "empty", 0
        _freeze_bodies(endpoint, batch)
        for delivery in batch:
            now = timezone.now()
            if delivery.next_attempt_at and delivery.next_attempt_at > now:
                return "wait", (delivery.next_attempt_at - now).total_seconds()
            _renew_lease(endpoint.pk)
            wait = _record_result(endpoint, delivery, _send(endpoint, delivery))
            if wait is not None:
                return "wait", wait  # FIFO: nothing newer goes out before this one
            if time.monotonic() > turn_ends:
                return "more", 0


def deliver(endpoint_id: int) -> None:
    """Deliver an endpoint's events, one worker at a time per endpoint (a lease), in turns:
    after WEBHOOKS_TURN_SECONDS the task enqueues itself again and yields the worker, so
    one busy or slow endpoint takes at most one worker at a time, and only for a turn."""
    from django_q.tasks import async_task

    while True:
        if not _take_lease(endpoint_id):
            return  # another worker is on it; it looks again after releasing
        try:
            state, wait = _turn(endpoint_id)
        finally:
            _release_lease(endpoint_id)
        if state == "more":
            async_task(DELIVER_TASK, endpoint_id)
            return
        if state == "wait":
            if wait > settings.WEBHOOKS_INLINE_WAIT:
                return  # the watchdog enqueues it when the retry is due
            time.sleep(max(wait, 0))
            continue
        # Empty: an event committed while we held the lease was kicked to a task that saw
        # the lease taken and left; look once more now that it is released.
        if not Delivery.objects.filter(endpoint_id=endpoint_id, endpoint__active=True,
                                       status=Delivery.Status.PENDING).exists():
            return


def due_endpoints() -> list[int]:
    """Active endpoints with an event due and no worker on them (the watchdog's list)."""
    now = timezone.now()
    due = Delivery.objects.filter(endpoint=OuterRef("pk"), status=Delivery.Status.PENDING).filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    )
    return list(
        Endpoint.objects.filter(active=True)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .filter(Exists(due)).values_list("pk", flat=True)
    )
