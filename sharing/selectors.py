"""Reads for sharing: which share a company is in, links, status figures."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from sharing.models import Change, RecordLink, Share, ShareMember, SyncJob

REGISTRY_FLAG = {"party": "shares_parties", "product": "shares_products"}
LIVE_SHARE_STATES = (Share.Status.ACTIVATING, Share.Status.ACTIVE)


def member_for(company_id: int, registry: str) -> ShareMember | None:
    """The company's membership in a live share of that registry (at most one exists)."""
    return (
        ShareMember.objects.select_related("share", "company")
        .filter(
            company_id=company_id,
            share__status__in=LIVE_SHARE_STATES,
            **{f"share__{REGISTRY_FLAG[registry]}": True},
        )
        .exclude(state=ShareMember.State.REMOVED)
        .order_by("-share__status")  # "active" before "activating" when both exist
        .first()
    )


def shares_for_company(company_id: int) -> QuerySet[Share]:
    return (
        Share.objects.filter(members__company_id=company_id)
        .exclude(status=Share.Status.DISSOLVED)
        .distinct()
        .order_by("-created_at")
    )


def busy_registries(company_id: int, *, exclude_share_id: int | None = None) -> set[str]:
    """Registries the company already shares in another live share."""
    members = ShareMember.objects.filter(company_id=company_id, share__status__in=LIVE_SHARE_STATES).exclude(
        state=ShareMember.State.REMOVED
    )
    if exclude_share_id:
        members = members.exclude(share_id=exclude_share_id)
    busy: set[str] = set()
    for shares_parties, shares_products in members.values_list("share__shares_parties", "share__shares_products"):
        if shares_parties:
            busy.add("party")
        if shares_products:
            busy.add("product")
    return busy


def active_members(share: Share) -> QuerySet[ShareMember]:
    return share.members.filter(state=ShareMember.State.ACTIVE).select_related("company")


def present_members(share: Share) -> QuerySet[ShareMember]:
    return share.members.exclude(state=ShareMember.State.REMOVED).select_related("company")


def link_for(company_id: int, registry: str, local_id: int) -> RecordLink | None:
    return (
        RecordLink.objects.select_related("shared_record")
        .filter(company_id=company_id, registry=registry, local_id=local_id)
        .first()
    )


def pending_changes(share: Share) -> QuerySet[Change]:
    return share.changes.filter(~Q(status=Change.Status.APPLIED))


def last_job(share: Share) -> SyncJob | None:
    return share.jobs.order_by("-created_at").first()
