"""Drift detection and repair: a member's row that no longer holds its shared record's
values (someone edited the database by hand, or an application failed) is found with one
set-based query per member and registry, and repaired by re-applying the canonical values."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta

from django.db import connection
from django.utils import timezone

from catalog.models import Party, Product
from sharing import propagation, selectors
from sharing.canonical import canonical_sql, diff_fields
from sharing.models import AuditEntry, Share, SyncJob


@dataclass(frozen=True)
class Drift:
    company_id: int
    registry: str
    shared_record_id: int
    local_id: int
    fields: tuple[str, ...]


def find_drift(share: Share, company_id: int | None = None) -> list[Drift]:
    members = selectors.active_members(share)
    if company_id is not None:
        members = members.filter(company_id=company_id)
    found: list[Drift] = []
    for member in members:
        for registry in share.registries:
            canonical = canonical_sql(
                registry,
                "AND p.id IN (SELECT local_id FROM sharing_recordlink WHERE company_id = %(company_id)s "
                "AND registry = %(registry)s)",
            )
            with connection.cursor() as cursor:
                cursor.execute(
                    f"""
                    SELECT l.shared_record_id, l.local_id, c.values, sr.values
                    FROM sharing_recordlink l
                    JOIN sharing_sharedrecord sr ON sr.id = l.shared_record_id
                    LEFT JOIN ({canonical}) c ON c.local_id = l.local_id
                    WHERE l.company_id = %(company_id)s AND l.registry = %(registry)s
                      AND sr.share_id = %(share_id)s AND l.applied_version >= sr.version
                      AND c.values IS DISTINCT FROM sr.values
                    ORDER BY l.shared_record_id
                    """,
                    {"company_id": member.company_id, "registry": registry, "share_id": share.pk},
                )
                rows = [
                    # Django's psycopg 3 setup hands jsonb back as text from a raw cursor.
                    (shared_record_id, local_id, json.loads(local) if isinstance(local, str) else local or {},
                     json.loads(shared) if isinstance(shared, str) else shared)
                    for shared_record_id, local_id, local, shared in cursor.fetchall()
                ]
                present = _present_references(member.company_id, [shared for *_, shared in rows])
                for shared_record_id, local_id, local_values, shared_values in rows:
                    fields = tuple(
                        name for name in diff_fields(registry, shared_values, local_values)
                        if not _only_unmappable(name, shared_values, local_values, present)
                    )
                    if fields:
                        found.append(Drift(member.company_id, registry, shared_record_id, local_id, fields))
    return found


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
    fixed, errors = 0, []
    for number, drift in enumerate(drifts, start=1):
        try:
            propagation.apply_record(drift.shared_record_id, drift.company_id, force=True)
            fixed += 1
        except Exception as error:  # noqa: BLE001 — reported in the job, the rest go on
            errors.append(f"empresa {drift.company_id}, {drift.registry} nº {drift.local_id}: {error}")
        if number % 100 == 0:
            SyncJob.objects.filter(pk=job.pk).update(done=number, lease_until=timezone.now() + timedelta(minutes=3))
    AuditEntry.objects.create(
        share=share, company_id=company_id, actor_id=job.created_by_id, action=AuditEntry.Action.RESYNC,
        detail=f"Ressincronização: {len(drifts)} divergências encontradas, {fixed} corrigidas.",
    )
    SyncJob.objects.filter(pk=job.pk).update(
        status=SyncJob.Status.DONE, done=len(drifts), finished_at=timezone.now(), lease_until=None,
        counts={"drift": len(drifts), "fixed": fixed}, errors=errors[:100],
    )
