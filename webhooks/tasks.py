"""django-q2 entry points of webhook delivery: thin wrappers around services."""

from __future__ import annotations

from django.conf import settings

from webhooks import services


def deliver(endpoint_id: int) -> None:
    services.deliver(endpoint_id)


def watchdog() -> int:
    """Every minute: enqueue the endpoints with an event due (a retry whose time came, an
    enqueue lost after commit, a worker that died holding the lease); forget delivered
    events and attempts older than WEBHOOKS_KEEP_DAYS."""
    endpoint_ids = services.due_endpoints()
    for endpoint_id in endpoint_ids:
        services.enqueue_delivery(endpoint_id)
    services.prune(keep_days=settings.WEBHOOKS_KEEP_DAYS)
    return len(endpoint_ids)
