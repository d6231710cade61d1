"""django-q2 entry points of webhook delivery: thin wrappers around services."""

from __future__ import annotations

from django.conf import settings
from django.db import connection

from webhooks import services


def deliver(endpoint_id: int) -> None:
    services.deliver(endpoint_id)


WATCHDOG_SCHEDULE = "omieshare-webhooks"  # webhooks/migrations/0002


def claim_watchdog(**_signal_kwargs) -> None:
    """django-q2's post_spawn: in the webhooks queue's qcluster, make the watchdog's schedule
    its own (django-q2 runs a schedule whose `cluster` is its queue there, and one without
    in the engine's qcluster), so retries go on while the engine's workers are down. Done at
    each start, so a renamed environment (Q_CLUSTER_NAME) claims it again; with no webhooks
    qcluster ever started, the engine's runs it, which only enqueues."""
    if settings.Q_QUEUE != "webhooks":
        return
    from django_q.models import Schedule

    try:
        Schedule.objects.filter(name=WATCHDOG_SCHEDULE).exclude(cluster=settings.WEBHOOKS_QUEUE).update(
            cluster=settings.WEBHOOKS_QUEUE)
    finally:
        connection.close()  # a worker's connection is its task's, opened when it needs it


def watchdog() -> int:
    """Every minute: enqueue the endpoints with an event due (a retry whose time came, an
    enqueue lost after commit, a worker that died holding the lease); forget delivered
    events and attempts older than WEBHOOKS_KEEP_DAYS."""
    endpoint_ids = services.due_endpoints()
    for endpoint_id in endpoint_ids:
        services.enqueue_delivery(endpoint_id)
    services.prune(keep_days=settings.WEBHOOKS_KEEP_DAYS)
    return len(endpoint_ids)
