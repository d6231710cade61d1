"""Drift detection and repair: a member's row that no longer holds its shared record's
values (someone edited the database by hand, or an application failed) is found with one
set-based query per member and registry, and repaired by re-applying the canonical values.

A linked row that is gone was deleted outside the system (a deletion through
catalog/services.py takes the row's link with it, and an inactive row is an ordinary
shared row): that is drift too, and resync recreates it from the canonical values. Every
row resync overwrites, in the origin as in any other member, is kept first as a Snapshot
that support can restore from the admin.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from catalog.exceptions import WriteRefused
from catalog.models import Party, Product
from catalog.registries import describe
from sharing import propagation, selectors
from sharing.canonical import canonical_sql, diff_fields, field_verbose_name, refresh_stale_statistics
from sharing.models import JOB_LEASE, AuditEntry, RecordLink, Share, Snapshot, SyncJob, record_label, resync_summary

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Drift:
    company_id: int
    registry: str
    shared_record_id: int
    local_id: int
    fields: tuple[str, ...]
    key: str  # the shared record's product code or CNPJ/CPF: what support searches by
    gone: bool = False  # the local row was deleted outside the system
    # The member has not received the group's latest version (a change that failed here,
    # e.g. refused by its uniqueness validation): resync applies it like propagation would.
    behind: str | None = None  # None, or why the last application failed ("" if it did not)
    # "Filial (12.345.678/0001-90)", for messages; and the row's values before resync
    # overwrites them (kept as a Snapshot). Neither is part of what the drift *is*.
    company: str = field(default="", compare=False)
    local_values: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def record(self) -> str:
        return record_label(self.registry, self.key)

    @property
    def where(self) -> str:
        return f"{self.company} · {self.record}"

    @property
    def summary(self) -> str:
        """One line for support: which company, which record, what differs."""
        if self.gone:
            return f"{self.where}: apagado fora do sistema (será recriado com os valores compartilhados)"
        if self.behind is not None:
            why = f" (última tentativa: {self.behind})" if self.behind else ""
            return f"{self.where}: alteração do grupo ainda não aplicada nesta empresa{why}"
        return f"{self.where}: {field_labels(self.registry, self.fields)}"


def field_labels(registry: str, names: tuple[str, ...]) -> str:
    return ", ".join(field_verbose_name(registry, name) for name in names)


def find_drift(share: Share, company_id: int | None = None) -> list[Drift]:
    refresh_stale_statistics(share.registries, engine=True)
    members = selectors.active_members(share)
    if company_id is not None:
        members = members.filter(company_id=company_id)
    found: list[Drift] = []
    for member in members:
        company = f"{member.company.display_name} ({member.company.cnpj_masked})"
        for registry in share.registries:
            canonical = canonical_sql(
                registry,
                "AND p.id IN (SELECT local_id FROM sharing_recordlink WHERE company_id = %(company_id)s "
                "AND registry = %(registry)s)",
            )
            table = describe(registry).table
            with connection.cursor() as cursor:
                # The member's canonical values are computed once (MATERIALIZED): planned from
                # statistics that say the links are few, a LEFT JOIN to the subquery was
                # re-evaluated for every link, and 1,200 links took minutes instead of 0.1 s.
                cursor.execute(
                    f"""
                    WITH c AS MATERIALIZED ({canonical})
                    SELECT l.shared_record_id, l.local_id, sr.match_key, c.values, sr.values,
                           NOT EXISTS (SELECT 1 FROM {table} t
                                       WHERE t.id = l.local_id AND t.company_id = %(company_id)s) AS gone
                    FROM sharing_recordlink l
                    JOIN sharing_sharedrecord sr ON sr.id = l.shared_record_id
                    LEFT JOIN c ON c.local_id = l.local_id
                    WHERE l.company_id = %(company_id)s AND l.registry = %(registry)s
                      AND sr.share_id = %(share_id)s AND l.applied_version >= sr.version
                      AND c.values IS DISTINCT FROM sr.values
                    ORDER BY l.shared_record_id
                    """,
                    {"company_id": member.company_id, "registry": registry, "share_id": share.pk},
                )
                rows = [
                    # Django's psycopg 3 setup hands jsonb back as text from a raw cursor.
                    (shared_record_id, local_id, key, _json(local) or {}, _json(shared), gone)
                    for shared_record_id, local_id, key, local, shared, gone in cursor.fetchall()
                ]
                present = _present_references(member.company_id, [row[4] for row in rows])
                for shared_record_id, local_id, key, local_values, shared_values, gone in rows:
                    fields = tuple(
                        name for name in diff_fields(registry, shared_values, local_values)
                        if not _only_unmappable(name, shared_values, local_values, present)
                    )
                    if fields or gone:
                        found.append(Drift(
                            member.company_id, registry, shared_record_id, local_id, () if gone else fields,
                            key, gone, company=company, local_values=local_values,
                        ))
            found += _behind(share, member, registry, company)
    return found


def _behind(share: Share, member, registry: str, company: str) -> list[Drift]:
    """Links still waiting for the group's latest version: compared above they would not be
    drift (the change is on its way), but one whose change failed stays behind until
    someone acts, and a resync that says "nothing to fix" would hide it."""
    links = (
        RecordLink.objects.filter(company_id=member.company_id, registry=registry, shared_record__share=share,
                                  applied_version__lt=F("shared_record__version"))
        .values_list("shared_record_id", "local_id", "shared_record__match_key", "last_error")
        .order_by("shared_record_id")
    )
    return [Drift(member.company_id, registry, shared_record_id, local_id, (), key, behind=last_error,
                  company=company) for shared_record_id, local_id, key, last_error in links]


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _present_references(company_id: int, shared: list[dict]) -> tuple[set[str], set[str]]:
    """Which suppliers (by CNPJ/CPF) and structure components (by code) exist in the company."""
    documents = {document for values in shared for document in values.get("suppliers", [])}
    codes = {line[0] for values in shared for line in values.get("bom", [])}
    return (
        set(Party.objects.filter(company_id=company_id, cnpj_cpf__in=documents).values_list("cnpj_cpf", flat=True))
        if documents else set(),
        set(Product.objects.filter(company_id=company_id, code__in=codes).values_list("code", flat=True))
        if codes else set(),
    )


def _only_unmappable(name: str, shared: dict, local: dict, present: tuple[set[str], set[str]]) -> bool:
    """A supplier or component the company does not have cannot be linked there: missing
    it is not drift (re-applying could never add it; it arrives when the record does)."""
    documents, codes = present
    if name == "suppliers":
        return [document for document in shared["suppliers"] if document in documents] == local.get("suppliers")
    if name == "bom":
        return [line for line in shared["bom"] if line[0] in codes] == local.get("bom")
    return False


def run_resync(job: SyncJob) -> None:
    share = job.share
    company_id = job.params.get("company_id")
    drifts = find_drift(share, company_id)
    SyncJob.objects.filter(pk=job.pk).update(total=len(drifts))
    kept = _keep_snapshots(job, drifts)
    fixed, recreated, errors = 0, 0, []
    for number, drift in enumerate(drifts, start=1):
        try:
            if drift.gone:
                _recreate(drift)
                recreated += 1
            elif drift.behind is not None:
                propagation.apply_record(drift.shared_record_id, drift.company_id)
            else:
                propagation.apply_record(drift.shared_record_id, drift.company_id, force=True)
            fixed += 1
        except Exception as error:  # noqa: BLE001 — reported in the job, the rest go on
            errors.append(f"{drift.where}: não corrigido. {_error_text(error, drift)}")
        if number % 100 == 0:
            SyncJob.objects.filter(pk=job.pk).update(done=number, lease_until=timezone.now() + JOB_LEASE)
    failed = len(drifts) - fixed
    counts = {"drift": len(drifts), "fixed": fixed, "recreated": recreated, "failed": failed, "snapshots": kept,
              "checked": checked_count(share, company_id)}
    AuditEntry.objects.create(
        share=share, company_id=company_id, actor_id=job.created_by_id, action=AuditEntry.Action.RESYNC,
        detail=resync_summary(counts),
    )
    # SyncJob has no "done with errors" status: a resync that left drift behind is FAILED,
    # so the admin's list (and its status filter) and the job page flag it; counts say how
    # much was fixed, errors say what was not and why.
    SyncJob.objects.filter(pk=job.pk).update(
        status=SyncJob.Status.FAILED if failed else SyncJob.Status.DONE, done=len(drifts),
        finished_at=timezone.now(), lease_until=None,
        counts=counts, errors=errors[:100],
    )


def checked_count(share: Share, company_id: int | None) -> int:
    """How many member rows the resync compared (each link of an active member), so that a
    clean check can say "todos os N cadastros conferem"."""
    members = selectors.active_members(share)
    if company_id is not None:
        members = members.filter(company_id=company_id)
    return RecordLink.objects.filter(
        shared_record__share=share, registry__in=share.registries, company_id__in=members.values("company_id")
    ).count()


def _keep_snapshots(job: SyncJob, drifts: list[Drift]) -> int:
    """Keep each row's values before resync overwrites them, as activation does: a hand edit
    (in the origin as in any member) stays restorable from the admin. One insert for the
    job; a resumed job finds the same rows still drifted and keeps the first copy."""
    snapshots = [
        Snapshot(share_id=job.share_id, job=job, company_id=drift.company_id, registry=drift.registry,
                 local_id=drift.local_id, values=drift.local_values)
        # Nothing to keep of a deleted row; nor of a party whose CNPJ/CPF was blanked by
        # hand: the canonical query only reads parties with one.
        for drift in drifts if drift.local_values
    ]
    Snapshot.objects.bulk_create(snapshots, batch_size=1000, ignore_conflicts=True)
    return len(snapshots)


def _recreate(drift: Drift) -> None:
    """Write a row deleted outside the system again from the shared values: drop its dead
    link and apply the record as to a member that never had it (which adopts an unlinked
    row with the same key, keeping a snapshot of it first, or creates one)."""
    model = describe(drift.registry).model
    with transaction.atomic():
        link = (
            RecordLink.objects.select_for_update()
            .filter(company_id=drift.company_id, registry=drift.registry, local_id=drift.local_id,
                    shared_record_id=drift.shared_record_id)
            .first()
        )
        if link is None or model.objects.filter(pk=drift.local_id, company_id=drift.company_id).exists():
            return  # repaired meanwhile (another resync)
        link.delete()
        propagation.apply_record(drift.shared_record_id, drift.company_id)


def _error_text(error: Exception, drift: Drift) -> str:
    """Why a row could not be repaired, in the words the catalog gives a user."""
    if isinstance(error, ValidationError):
        # `messages` flattens a per-field dict ({'code': [...]}) into its sentences.
        return " ".join(message if message.endswith(".") else f"{message}." for message in error.messages)
    if isinstance(error, WriteRefused):
        return str(error)
    logger.exception("resync of %s (local row %s) failed", drift.where, drift.local_id)
    return "Erro inesperado (detalhes no log do servidor)."
