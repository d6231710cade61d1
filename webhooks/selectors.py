"""Reads of the webhooks app, always scoped to one company."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from companies.models import Company
from webhooks.models import Attempt, Delivery, Endpoint


def endpoints_of(company: Company) -> QuerySet[Endpoint]:
    return Endpoint.objects.filter(company=company).annotate(
        pending=Count("deliveries", filter=Q(deliveries__status=Delivery.Status.PENDING)),
        dead=Count("deliveries", filter=Q(deliveries__status=Delivery.Status.DEAD)),
    ).order_by("pk")


def endpoint_of(company: Company, endpoint_id: int) -> Endpoint:
    """The company's endpoint (404 through get_object_or_404 in the view otherwise)."""
    return endpoints_of(company).get(pk=endpoint_id)


def recent_attempts(endpoint: Endpoint, limit: int = 50) -> QuerySet[Attempt]:
    """The delivery log: the latest attempts, events and pings."""
    return endpoint.attempts.select_related("delivery").order_by("-pk")[:limit]


def dead_letters(endpoint: Endpoint, limit: int = 100) -> QuerySet[Delivery]:
    return endpoint.deliveries.filter(status=Delivery.Status.DEAD).order_by("pk")[:limit]


def next_pending(endpoint: Endpoint, limit: int = 20) -> QuerySet[Delivery]:
    return endpoint.deliveries.filter(status=Delivery.Status.PENDING).order_by("pk")[:limit]
