"""Reads for sharing: which share a company is in, links, status figures."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from django.db import connection
from django.db.models import Count, Q, QuerySet
from django.urls import reverse

from catalog import field_groups
from catalog.hooks import CreateStatus, MemberSync, RecordShareStatus, RecordSync
from catalog.registries import describe
from companies.models import Company
from omieshare.lib.memo import read_once
from sharing.canonical import shared_fields
from sharing.models import AuditEntry, Change, RecordLink, Share, SharedRecord, ShareMember, SyncJob

LIVE_SHARE_STATES = (Share.Status.ACTIVATING, Share.Status.ACTIVE)


def member_for(company_id: int, registry: str) -> ShareMember | None:
    """The company's membership in a live share of that registry (at most one exists).
    Read once per API request: every record of a lote asks it (omieshare/lib/memo.py)."""
    return read_once(("share member", company_id, registry), lambda: (
        ShareMember.objects.select_related("share", "company")
        .filter(
            company_id=company_id,
            share__status__in=LIVE_SHARE_STATES,
            **{f"share__{describe(registry).share_flag}": True},
        )
        .exclude(state=ShareMember.State.REMOVED)
        .order_by("-share__status")  # "active" before "activating" when both exist
        .first()
    ))


@dataclass(frozen=True)
class FieldSharing:
    """For the preview: which of a registry's fields travel and which stay in each company."""

    label: str  # "Clientes e fornecedores"
    shared: list[field_groups.GroupSummary]
    local: list[field_groups.GroupSummary]


def field_sharing(registries: Iterable[str]) -> list[FieldSharing]:
    """Read from the registry descriptors' shared fields (through catalog/omie_fields.py
    coverage()), so the preview says what activation and propagation will do."""
    result = []
    for registry in registries:
        sharing = field_groups.registry_sharing(registry)
        result.append(FieldSharing(describe(registry).choice_label, sharing.shared, sharing.local))
    return result


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


def one_row_per_company(members: Iterable[ShareMember]) -> list[ShareMember]:
    """A company removed and added back (or removed twice) has several member rows: keep
    the one that says where it stands now, the present row or else its latest removal, in
    the order given."""
    def standing(member: ShareMember) -> tuple[bool, float]:
        return member.state != member.State.REMOVED, member.removed_at.timestamp() if member.removed_at else 0

    members = list(members)
    current: dict[int, ShareMember] = {}
    for member in members:
        if member.company_id not in current or standing(member) > standing(current[member.company_id]):
            current[member.company_id] = member
    return [m for m in members if current[m.company_id] is m]


def pending_changes(share: Share) -> QuerySet[Change]:
    return share.changes.filter(~Q(status=Change.Status.APPLIED))


def last_job(share: Share) -> SyncJob | None:
    return share.jobs.order_by("-created_at").first()


def share_holding(company_id: int) -> Share | None:
    """The share a company takes part in (configured, activating or active), if any: it
    holds the company's CNPJ and group until the company is removed from it."""
    member = (
        ShareMember.objects.filter(company_id=company_id)
        .exclude(state=ShareMember.State.REMOVED).exclude(share__status=Share.Status.DISSOLVED)
        .select_related("share").first()
    )
    return member.share if member else None


def identity_locked_reason(company_id: int) -> str | None:
    """companies/hooks.py's guard: why a company in a share keeps its CNPJ and group (the
    share was configured for the group's companies, and a company moved out of its group,
    or given another company's CNPJ, would go on receiving the group's records)."""
    share = share_holding(company_id)
    if share is None:
        return None
    name = Company.objects.filter(pk=company_id).values_list("trade_name", "legal_name").first()
    company = (name[0] or name[1]) if name else f"A empresa nº {company_id}"
    return (
        f"{company} participa do compartilhamento nº {share.pk}: o CNPJ e o grupo não podem ser "
        "alterados enquanto ela não for removida dele."
    )


def activation_confirmed(member: ShareMember) -> bool:
    """A pending member is frozen (every catalog write refused) only once its activation is
    under way. The write listener in sharing/propagation.py asks the same."""
    return member.share.status == Share.Status.ACTIVATING or SyncJob.objects.live().filter(
        share_id=member.share_id, kind=SyncJob.Kind.ACTIVATE, params__member_ids__contains=[member.pk],
    ).exists()


class HasPermissions(Protocol):
    """A ShareMember or a services.Permissions: both say what a member may do."""

    can_create: bool
    can_update: bool
    can_delete: bool


def plan_fingerprint(*, origin_id: int, registries: Iterable[str], members: Mapping[int, HasPermissions]) -> str:
    """A stable digest of what an activation starts: the origin, the registries, and each
    member it activates (the origin included, keyed by company id) with its permissions.

    The confirmation page and the command's prompt carry the digest of what they showed;
    share_activate recomputes it from the database under the share's lock and refuses a
    difference, so a change made meanwhile (another tab, another admin, another command)
    is never activated unseen. The only place it is computed, so both sides agree."""
    payload = {
        "origin": origin_id,
        "registries": sorted(set(registries)),
        "members": sorted([company_id, bool(p.can_create), bool(p.can_update), bool(p.can_delete)]
                          for company_id, p in members.items()),
    }
    return hashlib.sha256(json.dumps(payload, separators=(",", ":")).encode()).hexdigest()[:32]


def share_fingerprint(share: Share, *, lock: bool = False) -> str:
    """plan_fingerprint of what share_activate would start now: the origin and every member
    waiting for activation. `lock` (inside the caller's transaction) holds those member
    rows until it commits, so a permission change cannot slip in after the comparison."""
    members = share.members.filter(Q(is_origin=True) | Q(state=ShareMember.State.PENDING)).exclude(
        state=ShareMember.State.REMOVED
    )
    if lock:
        members = members.select_for_update(of=("self",))
    return plan_fingerprint(origin_id=share.origin_id, registries=share.registries,
                            members={m.company_id: m for m in members})


# --- what catalog pages show about shared records (registered in sharing/apps.py) -------

_PERMISSION_HELP = "Peça a um administrador da empresa origem para alterar as permissões."
_FROZEN = (
    "O compartilhamento de cadastros desta empresa está sendo ativado; aguarde a conclusão "
    "(acompanhe em Resumo do App)."
)


def record_statuses(company_id: int, registry: str, local_ids: list[int]) -> dict[int, RecordShareStatus]:
    """The catalog hook's record status provider: two queries for a whole page of rows."""
    member = member_for(company_id, registry)
    if member is None:
        return {}
    linked = list(
        RecordLink.objects.filter(company_id=company_id, registry=registry, local_id__in=local_ids)
        .values_list("local_id", flat=True)
    )
    if not linked:
        return {}
    share = member.share
    can_update_local = True
    editors: tuple[str, ...] = ()
    locked_reason = ""
    if member.state == ShareMember.State.ACTIVE:
        can_update, can_delete = member.can_update, member.can_delete
        missing = [name for name, allowed in (("edição", can_update), ("exclusão", can_delete)) if not allowed]
        reason = (
            f"Sua empresa não tem permissão de {' nem de '.join(missing)} neste compartilhamento "
            f"(nº {share.pk}). {_PERMISSION_HELP}" if missing else ""
        )
        if not can_update:
            editors = tuple(
                m.company.display_name
                for m in active_members(share).filter(can_update=True).exclude(company_id=company_id)
                .order_by("-is_origin", "company__legal_name")
            )
            locked_reason = locked_text(editors)
    elif activation_confirmed(member):
        can_update = can_delete = can_update_local = False
        reason = locked_reason = _FROZEN
    else:
        can_update = can_delete = True
        reason = ""
    status = RecordShareStatus(
        label=f"Compartilhado · nº {share.pk}", can_update=can_update, can_delete=can_delete, reason=reason,
        url=reverse("sharing:share_detail", args=[company_id, share.pk]),
        shared_fields=shared_fields(registry), can_update_local=can_update_local, editors=editors,
        locked_reason=locked_reason,
    )
    return dict.fromkeys(linked, status)


def locked_text(editors: Iterable[str]) -> str:
    """Why a member without the edit permission sees a shared record's fields read-only."""
    editors = list(editors)
    where = (
        f"os campos compartilhados só podem ser alterados em {_names(editors)}"
        if editors else
        "nenhuma empresa do grupo pode alterar os campos compartilhados agora. " + _PERMISSION_HELP
    )
    return f"Este cadastro é compartilhado pelo grupo e esta empresa não tem permissão de edição: {where}."


def _names(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " e " + names[-1]


def record_sync(company_id: int, registry: str, local_id: int) -> RecordSync | None:
    """The catalog hook's record sync provider: where each active member of the share
    stands with the record's latest version (applied, on its way, or failed and why).
    A handful of queries, for one record's page."""
    member = member_for(company_id, registry)
    if member is None:
        return None
    link = (
        RecordLink.objects.select_related("shared_record")
        .filter(company_id=company_id, registry=registry, local_id=local_id).first()
    )
    if link is None or link.shared_record.share_id != member.share_id:
        return None
    return record_sync_of(link.shared_record, company_id)


def record_sync_of(shared: SharedRecord, company_id: int) -> RecordSync:
    """record_sync() for a shared record, as seen from one company (which may lack it)."""
    members = list(active_members(shared.share).order_by("-is_origin", "company__legal_name"))
    links = {
        other.company_id: other
        for other in RecordLink.objects.filter(shared_record=shared, company_id__in=[m.company_id for m in members])
    }
    # A member that could not even create the record has no link to hold the error: its
    # latest attempt is in the audit trail.
    unlinked = [m.company_id for m in members if m.company_id not in links]
    last_attempts: dict[int, AuditEntry] = {}
    if unlinked:
        for entry in (
            AuditEntry.objects.filter(
                shared_record=shared, company_id__in=unlinked,
                action__in=[AuditEntry.Action.APPLY, AuditEntry.Action.APPLY_FAILED],
            ).order_by("company_id", "-created_at", "-pk").distinct("company_id")
        ):
            last_attempts[entry.company_id] = entry
    states = []
    for other in members:
        own = links.get(other.company_id)
        attempt = last_attempts.get(other.company_id)
        if own is not None and own.last_error:
            state, reason = "failed", own.last_error
        elif own is not None and own.applied_version >= shared.version:
            state, reason = "applied", ""
        elif own is None and attempt is not None and attempt.action == AuditEntry.Action.APPLY_FAILED:
            state, reason = "failed", attempt.detail.partition(": ")[2]  # "tentativa N: <message>"
        else:
            state, reason = "pending", ""
        states.append(MemberSync(
            company=other.company.display_name, state=state, reason=reason,
            is_self=other.company_id == company_id,
        ))
    return RecordSync(
        version=shared.version, members=tuple(states),
        url=reverse("sharing:share_detail", args=[company_id, shared.share_id]),
    )


def create_status(company_id: int, registry: str) -> CreateStatus | None:
    """The catalog hook's create status provider: may this company include new records?"""
    member = member_for(company_id, registry)
    if member is None:
        return None
    if member.state == ShareMember.State.ACTIVE:
        if member.can_create:
            return None
        return CreateStatus(
            can_create=False,
            reason=f"Sua empresa não tem permissão de inclusão neste compartilhamento (nº {member.share_id}). "
            + _PERMISSION_HELP,
        )
    if activation_confirmed(member):
        return CreateStatus(can_create=False, reason=_FROZEN)
    return None


# --- "Resumo do App" and the share page's sync status ----------------------------------


@dataclass(frozen=True)
class SharePanel:
    share: Share
    member: ShareMember  # the company's own membership
    origin: ShareMember | None
    destinations: list[ShareMember]
    pending_changes: int
    failed_changes: int
    last_propagation: datetime | None
    last_job: SyncJob | None


def share_panels(company_id: int) -> list[SharePanel]:
    """The live shares the company takes part in (at most one per registry), with the
    figures "Resumo do App" shows. A few queries per share, none per record."""
    members = (
        ShareMember.objects.select_related("share", "share__origin")
        .filter(company_id=company_id, share__status__in=LIVE_SHARE_STATES)
        .exclude(state=ShareMember.State.REMOVED)
        .order_by("share__created_at")
    )
    panels = []
    for member in members:
        share = member.share
        present = list(present_members(share).order_by("-is_origin", "company__legal_name"))
        changes = share.changes.filter(status__in=[Change.Status.PENDING, Change.Status.FAILED])
        counts = dict(changes.order_by().values("status").annotate(n=Count("pk")).values_list("status", "n"))
        # The newest applied change by creation order (walks the status/created_at index);
        # a retried older change may have been applied later, which is close enough here.
        last = (
            share.changes.filter(status=Change.Status.APPLIED).order_by("-created_at")
            .values_list("applied_at", flat=True).first()
        )
        panels.append(SharePanel(
            share=share, member=member,
            origin=next((m for m in present if m.is_origin), None),
            destinations=[m for m in present if not m.is_origin],
            pending_changes=counts.get(Change.Status.PENDING, 0),
            failed_changes=counts.get(Change.Status.FAILED, 0),
            last_propagation=last or share.activated_at,
            last_job=last_job(share),
        ))
    return panels


def failing_record_ids(share: Share) -> QuerySet:
    """Ids of the share's records that did not reach some member: a link reporting an error,
    or a change not yet applied (pending or failed). Newest first; both halves are served by
    indexes (the partial index on links with an error, and change status), so a page stays
    fast with 100,000 links."""
    with_error = (
        RecordLink.objects.filter(shared_record__share=share).exclude(last_error="")
        .order_by().values_list("shared_record_id", flat=True)
    )
    unapplied = (
        Change.objects.filter(share=share, status__in=[Change.Status.PENDING, Change.Status.FAILED])
        .order_by().values_list("shared_record_id", flat=True)
    )
    return with_error.union(unapplied).order_by("-shared_record_id")


@dataclass
class FailingRecord:
    record: SharedRecord
    link_errors: list[RecordLink]  # per company
    changes: list[Change]  # not yet applied, oldest first

    @property
    def label(self) -> str:
        values = self.record.values
        return values.get("legal_name") or values.get("description") or self.record.match_key


def failing_records(ids: list[int]) -> list[FailingRecord]:
    """One page of failing records, with their errors: three queries for the page."""
    records = SharedRecord.objects.in_bulk(ids)
    errors: dict[int, list[RecordLink]] = {}
    for link in (
        RecordLink.objects.filter(shared_record_id__in=ids).exclude(last_error="")
        .select_related("company").order_by("company__legal_name")
    ):
        errors.setdefault(link.shared_record_id, []).append(link)
    changes: dict[int, list[Change]] = {}
    for change in (
        Change.objects.filter(shared_record_id__in=ids, status__in=[Change.Status.PENDING, Change.Status.FAILED])
        .select_related("company").order_by("version")
    ):
        changes.setdefault(change.shared_record_id, []).append(change)
    return [
        FailingRecord(record=records[pk], link_errors=errors.get(pk, []), changes=changes.get(pk, []))
        for pk in ids if pk in records
    ]


def _missing_parent(child: str, parent: str, match: str, where: str = "TRUE") -> str:
    """Count the rows x of `child` (those `where` selects) with no row p of `parent` that
    `match`es."""
    return f"SELECT count(*) FROM {child} x WHERE {where} AND NOT EXISTS (SELECT 1 FROM {parent} p WHERE {match})"


def _links_to_deleted_rows(registry: str, table: str) -> str:
    # A local row moved to another company by hand is as gone for the member as a deleted
    # one; resync (sharing/resync.py) finds both the same way and recreates them.
    return _missing_parent(
        "sharing_recordlink", table, "p.id = x.local_id AND p.company_id = x.company_id", f"x.registry = '{registry}'"
    )


# Rows of the engine's bulk tables whose parent is gone. Those relations are not database
# foreign keys (see sharing/models.py); only a delete that bypasses Django leaves these.
_ORPHAN_CHECKS = {
    "vínculos sem cadastro compartilhado": _missing_parent(
        "sharing_recordlink", "sharing_sharedrecord", "p.id = x.shared_record_id"),
    "vínculos sem empresa": _missing_parent("sharing_recordlink", "companies_company", "p.id = x.company_id"),
    # A link's local row is no foreign key at all: it is a row of one of two tables.
    "vínculos para registros apagados fora do sistema": (
        f"({_links_to_deleted_rows('party', 'catalog_party')}) + "
        f"({_links_to_deleted_rows('product', 'catalog_product')})"),
    "cadastros compartilhados sem compartilhamento": _missing_parent(
        "sharing_sharedrecord", "sharing_share", "p.id = x.share_id"),
    # A deleted record's copy has no share when it was not shared.
    "cópias anteriores sem compartilhamento": _missing_parent(
        "sharing_snapshot", "sharing_share", "p.id = x.share_id", "x.share_id IS NOT NULL"),
    "cópias anteriores sem empresa": _missing_parent(
        "sharing_snapshot", "companies_company", "p.id = x.company_id"),
}


def orphan_counts() -> dict[str, int]:
    """How many rows of each engine table point at a parent that no longer exists (one
    anti-join per relation, over the whole table, all in one statement)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(f"({sql})" for sql in _ORPHAN_CHECKS.values()))
        counts = cursor.fetchone()
    return dict(zip(_ORPHAN_CHECKS, counts, strict=True))
