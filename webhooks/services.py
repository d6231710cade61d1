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
from django_q.conf import Conf

from catalog import hooks
from companies.models import Company
from omieshare.lib import jobs
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


# endpoint id → time.monotonic() of this process's last enqueue of its delivery.
_last_kick: dict[int, float] = {}


def kick(endpoint_id: int) -> None:
    """Enqueue the endpoint's delivery on commit, at most once per transaction (a lote of 50
    writes enqueues it once) and once per WEBHOOKS_KICK_WINDOW in this process: a burst of
    writes (a command, a user saving page after page) pays the enqueue once, since the task
    of the last enqueue keeps looking for new events until the window after it has passed
    (`deliver`). A rolled-back savepoint drops its kick, as Django drops its on-commit
    callbacks. No query here: the write pays its event's INSERT only."""
    if connection.in_atomic_block:
        for _savepoints, callback, _robust in connection.run_on_commit:
            if getattr(callback, "webhook_endpoint", None) == endpoint_id:
                return

    def send() -> None:
        # Decided at commit, not at write time: the task must start after this commit.
        window = settings.WEBHOOKS_KICK_WINDOW
        last = _last_kick.get(endpoint_id)
        if window and last is not None and time.monotonic() - last < window and not Conf.SYNC:
            return
        _last_kick[endpoint_id] = time.monotonic()
        if Conf.SYNC:
            enqueue_delivery(endpoint_id)  # runs here and now
            return
        # In its own small transaction: in autocommit django-q2's ORM broker closes the
        # connection before enqueueing and the next query reconnects (docs/JOBS.md, ~7 ms).
        # Inside enqueued_together(), it is sent with the request's other jobs.
        with transaction.atomic():
            enqueue_delivery(endpoint_id)

    send.webhook_endpoint = endpoint_id
    transaction.on_commit(send)


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
    """Take the endpoint's lease; when another task holds it, note `kicked_at` instead, in
    the same statement, so that the holder sees it before it releases (or this task would
    have found the lease free)."""
    now = timezone.now()
    until = now + timedelta(seconds=_lease_seconds())
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE webhooks_endpoint SET
                lease_until = CASE WHEN lease_until IS NULL OR lease_until < %(now)s THEN %(until)s
                                   ELSE lease_until END,
                kicked_at = CASE WHEN lease_until IS NULL OR lease_until < %(now)s THEN kicked_at
                                 ELSE %(now)s END
            WHERE id = %(id)s
            RETURNING lease_until = %(until)s
            """,
            {"id": endpoint_id, "now": now, "until": until},
        )
        row = cursor.fetchone()
    return bool(row and row[0])


def _linger_until(started, endpoint_id: int):
    """Until when the lease holder keeps looking for new events: the window after this task
    started and after the last task that found the lease taken (see `kick`)."""
    window = settings.WEBHOOKS_KICK_WINDOW
    if not window or Conf.SYNC:
        return started
    kicked_at = Endpoint.objects.filter(pk=endpoint_id).values_list("kicked_at", flat=True).first()
    latest = max(started, kicked_at) if kicked_at else started
    return latest + timedelta(seconds=window + 0.5)


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
    with connection.cursor() as cursor:  # Django's bulk_update builds a CASE per row: slow in Python
        cursor.execute(  # one JSON parameter: psycopg quotes arrays of long texts slowly
            "UPDATE webhooks_delivery d SET body = v.body "
            "FROM jsonb_to_recordset(%s::jsonb) AS v (id bigint, body text) WHERE d.id = v.id",
            [json.dumps([{"id": d.pk, "body": d.body} for d in todo], ensure_ascii=False)],
        )


FLUSH_EVERY = 25  # results kept together before they are saved (at most a second's worth)


def _apply_result(endpoint: Endpoint, delivery: Delivery, result: sender.Result) -> tuple[Attempt, float | None]:
    """The attempt's outcome on the event (not saved yet); the seconds until the next
    attempt when the event stays pending."""
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
    attempt = Attempt(endpoint=endpoint, delivery=delivery, at=now, ok=result.ok, status_code=result.status_code,
                      duration_ms=result.duration_ms, answer=result.answer, error=delivery.last_error)
    return attempt, wait


def _save_results(results: list[tuple[Delivery, Attempt]]) -> None:
    """Save attempts in one transaction. A worker that dies before this sends those events
    again (same messageId): at least once."""
    if not results:
        return
    deliveries = [delivery for delivery, _attempt in results]
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                """
                UPDATE webhooks_delivery d SET attempts = v.attempts, last_status_code = v.code,
                    last_error = v.error, status = v.status, delivered_at = v.delivered, next_attempt_at = v.next
                FROM jsonb_to_recordset(%s::jsonb) AS v (id bigint, attempts int, code int, error text,
                                                         status text, delivered timestamptz, next timestamptz)
                WHERE d.id = v.id
                """,
                [json.dumps([
                    {"id": d.pk, "attempts": d.attempts, "code": d.last_status_code, "error": d.last_error,
                     "status": d.status, "delivered": d.delivered_at and d.delivered_at.isoformat(),
                     "next": d.next_attempt_at and d.next_attempt_at.isoformat()}
                    for d in deliveries
                ], ensure_ascii=False)],
            )
        Attempt.objects.bulk_create([attempt for _delivery, attempt in results])
    results.clear()


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
    lease_ends = time.monotonic() + _lease_seconds()
    results: list[tuple[Delivery, Attempt]] = []
    saved_at = time.monotonic()
    try:
        while True:
            batch = list(
                Delivery.objects.filter(endpoint=endpoint, status=Delivery.Status.PENDING).order_by("pk")[:BATCH]
            )
            if not batch:
                return "empty", 0
            _freeze_bodies(endpoint, batch)
            for delivery in batch:
                now = timezone.now()
                if delivery.next_attempt_at and delivery.next_attempt_at > now:
                    return "wait", (delivery.next_attempt_at - now).total_seconds()
                if lease_ends - time.monotonic() < settings.WEBHOOKS_TIMEOUT + 10:
                    _renew_lease(endpoint.pk)  # still ours for the longest this attempt can take
                    lease_ends = time.monotonic() + _lease_seconds()
                attempt, wait = _apply_result(endpoint, delivery, _send(endpoint, delivery))
                results.append((delivery, attempt))
                if wait is not None:
                    return "wait", wait  # FIFO: nothing newer goes out before this one
                if len(results) >= FLUSH_EVERY or time.monotonic() - saved_at > 1:
                    _save_results(results)
                    saved_at = time.monotonic()
                if time.monotonic() > turn_ends:
                    return "more", 0
            _save_results(results)  # before the next batch is read
    finally:
        _save_results(results)


def enqueue_delivery(endpoint_id: int) -> None:
    """The endpoint's delivery task, on the webhooks queue (settings.WEBHOOKS_QUEUE): its own
    qcluster's workers wait on receivers, never the engine's."""
    jobs.send_now_or_held(DELIVER_TASK, (endpoint_id,), queue=settings.WEBHOOKS_QUEUE)


def deliver(endpoint_id: int) -> None:
    """Deliver an endpoint's events, one worker at a time per endpoint (a lease), in turns:
    after WEBHOOKS_TURN_SECONDS the task enqueues itself again and yields the worker, so
    one busy or slow endpoint takes at most one worker at a time, and only for a turn.
    With the queue empty, the holder keeps looking for new events a little longer (the
    kick window), since writes in that window did not enqueue a task of their own."""
    started = timezone.now()
    while True:
        if not _take_lease(endpoint_id):
            return  # another task holds it, and now knows to keep looking (kicked_at)
        try:
            while True:
                state, wait = _turn(endpoint_id)
                if state != "empty" or timezone.now() >= _linger_until(started, endpoint_id):
                    break
                time.sleep(0.2)
        finally:
            _release_lease(endpoint_id)
        if state == "more":
            enqueue_delivery(endpoint_id)
            return
        if state == "wait":
            if wait > settings.WEBHOOKS_INLINE_WAIT:
                return  # the watchdog enqueues it when the retry is due
            time.sleep(max(wait, 0))
            continue
        # Empty: look once more now that the lease is released (a task that found it taken
        # just before may have moved kicked_at).
        pending = Delivery.objects.filter(endpoint_id=endpoint_id, endpoint__active=True,
                                          status=Delivery.Status.PENDING).exists()
        if not pending and timezone.now() >= _linger_until(started, endpoint_id):
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


def prune(*, keep_days: int, limit: int = 10000) -> int:
    """Forget delivered events and attempts older than `keep_days` (a bounded delete per
    call: the watchdog calls it every minute). Dead-lettered and pending events stay."""
    before = timezone.now() - timedelta(days=keep_days)
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM webhooks_attempt WHERE id IN (SELECT id FROM webhooks_attempt WHERE at < %s LIMIT %s)",
            [before, limit],
        )
        removed = cursor.rowcount
        cursor.execute(
            "DELETE FROM webhooks_delivery WHERE id IN (SELECT id FROM webhooks_delivery "
            "WHERE status = 'delivered' AND delivered_at < %s LIMIT %s)",
            [before, limit],
        )
        return removed + cursor.rowcount
