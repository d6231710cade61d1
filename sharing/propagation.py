"""Propagation after activation: accept a member's change, then apply it everywhere else.

Accepting (inside the catalog write's transaction, through the hook):
  check the member's permission → lock the SharedRecord → refuse if this member has not
  yet received the newest version (no silent lost update) → store the new canonical values
  with version + 1 → write a Change row (the outbox) → enqueue its application on commit.

Applying (a django-q2 task, at-least-once): for every other active member, lock the local
row and its link, re-read the SharedRecord, and write its values only when the link holds
an older version. Applying twice, or an old change after a new one, changes nothing.

Deleting: a member's deletion (with the exclusão permission) marks the SharedRecord deleted
(a new version, its key free again); applying it deletes each member's copy through
catalog/services.py, which hands every copy to `keep_deleted` (a Snapshot) and so unlinks it.

Lock order everywhere: local catalog row → RecordLink → SharedRecord.
"""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from catalog import selectors as catalog_selectors
from catalog import services as catalog_services
from catalog.exceptions import ConcurrentChange, WriteRefused
from catalog.hooks import RecordWrite
from catalog.models import Party, Product, ProductFamily, Salesperson, characteristics_dict
from catalog.registries import describe
from companies.models import Company
from omieshare.lib.jobs import enqueue_on_commit
from sharing import batch_apply, selectors
from sharing.canonical import canonical_values, diff_fields, match_key_of, plain_fields, shared_fields
from sharing.metrics import observe_apply_lag
from sharing.models import (
    AuditEntry,
    Change,
    RecordLink,
    Share,
    SharedRecord,
    ShareMember,
    Snapshot,
    SyncJob,
    change_text,
)

logger = logging.getLogger(__name__)

SOURCE = "sharing"  # catalog writes made by the engine itself; the hook ignores them


def _describe(registry: str, key: str) -> str:
    return describe(registry).key_phrase(key)


def _refuse(member: ShareMember, what: str, registry: str) -> None:
    raise WriteRefused(
        f"A empresa {member.company.display_name} não tem permissão de {what} de "
        f"{describe(registry).plural} no compartilhamento de cadastros. Nada foi salvo. "
        "Peça a um administrador da empresa origem para alterar as permissões."
    )


# --- accepting a member's write ---------------------------------------------------------


def on_catalog_write(write: RecordWrite) -> None:
    """The hook catalog/services.py calls inside every party/product write."""
    if write.source == SOURCE:
        return
    _accept(write)
    if describe(write.registry).key_optional and _gained_document(write):
        _share_new_supplier_document(write)


def _gained_document(write: RecordWrite) -> bool:
    """A record that had no key (a party without CNPJ/CPF) got one."""
    key = describe(write.registry).key
    return write.action == "update" and bool(getattr(write.record, key)) and not (write.before or {}).get(key)


def _accept(write: RecordWrite) -> None:
    member = selectors.member_for(write.company_id, write.registry)
    if member is None:
        return
    if member.state != ShareMember.State.ACTIVE:
        if not selectors.activation_confirmed(member):
            return  # added to a running share, but nobody confirmed its activation yet
        running = SyncJob.objects.live().filter(share_id=member.share_id, kind=SyncJob.Kind.ACTIVATE).exists()
        if not running:
            raise WriteRefused(
                "A ativação do compartilhamento de cadastros desta empresa parou antes de terminar. "
                "Um administrador da empresa origem pode retomá-la na página da tarefa (Resumo do App → "
                "compartilhamento); nada foi salvo."
            )
        raise WriteRefused(
            "O compartilhamento de cadastros desta empresa está sendo ativado. Aguarde a "
            "conclusão (acompanhe em Resumo do App) e tente novamente; nada foi salvo."
        )
    link = (
        RecordLink.objects.select_for_update()
        .filter(company_id=write.company_id, registry=write.registry, local_id=write.record.pk)
        .first()
    )
    if link is None:
        _accept_new(write, member)
    elif write.action == "delete":
        _accept_delete(write, member, link)
    else:
        _accept_change(write, member, link)


def _accept_new(write: RecordWrite, member: ShareMember) -> None:
    """A record this company shares for the first time: a new one, inactive or not (`inativo`
    is a field it carries, as activation shares inactive records), or a party that gained a
    CNPJ/CPF. Anything else without a link (destination-only records, parties without a
    document) stays local, whatever its edit: inactivating and reactivating it included."""
    registry = write.registry
    record = write.record
    descriptor = describe(registry)
    key = getattr(record, descriptor.key)
    if not key or write.action == "delete":
        return
    if write.action == "update" and not (descriptor.key_optional and _gained_document(write)):
        return
    share = member.share
    if not member.can_create:
        _refuse(member, "inclusão", registry)
    existing = SharedRecord.objects.live().filter(share=share, registry=registry, match_key=key).first()
    if existing is not None:
        raise _taken(write, existing)
    values = canonical_values(registry, write.company_id, [record.pk])[record.pk]
    try:
        shared = SharedRecord.objects.create(share=share, registry=registry, match_key=key, values=values, version=1)
    except IntegrityError:
        # Another member created the same key a moment ago. No savepoint of its own: the
        # refusal leaves the catalog write's atomic block, whose savepoint undoes the insert
        # (two round trips and a subtransaction less for every record shared).
        raise _taken(write, None) from None
    RecordLink.objects.create(
        shared_record=shared, company_id=write.company_id, registry=registry,
        local_id=record.pk, applied_version=1,
    )
    _record_change(write, shared, action="create", fields=list(values), old={}, new=values)


def _taken(write: RecordWrite, shared: SharedRecord | None) -> WriteRefused:
    """The refusal of a new record whose key the group already shares: it points at this
    company's copy when there is one, says why it is missing when it failed to arrive,
    and asks to wait only when it really is on its way."""
    registry = write.registry
    descriptor = describe(registry)
    key = getattr(write.record, descriptor.key)
    what = descriptor.key_phrase(key)
    link = None if shared is None else (
        RecordLink.objects.filter(shared_record=shared, company_id=write.company_id).first()
    )
    if link is not None:
        local = descriptor.model.objects.filter(pk=link.local_id).first()
        label = descriptor.record_name(local) if local else ""
        return WriteRefused(
            f"Este {descriptor.kind} já está nesta empresa como cadastro compartilhado pelo grupo ({what}): "
            f"nº {link.local_id} – {label}. Abra o cadastro existente em vez de incluir outro; "
            "nada foi salvo.",
            registry=registry, record_id=link.local_id,
        )
    sync = None if shared is None else selectors.record_sync_of(shared, write.company_id)
    failure = next((m for m in sync.members if m.is_self and m.state == "failed"), None) if sync else None
    if failure is not None:
        return WriteRefused(
            f"Já existe um cadastro compartilhado com o {what} no grupo, mas ele não pôde ser "
            f"incluído nesta empresa: {failure.reason.rstrip('.')}. Corrija a causa e peça a um administrador "
            "da empresa origem para tentar novamente (página do compartilhamento); nada foi salvo."
        )
    return WriteRefused(
        f"Já existe um cadastro compartilhado com o {what} no grupo; ele está sendo "
        "sincronizado para esta empresa. Aguarde alguns segundos e edite o cadastro que "
        "chegar; nada foi salvo."
    )


def _accept_change(write: RecordWrite, member: ShareMember, link: RecordLink) -> None:
    registry = write.registry
    touched = set(write.changed_fields) & set(shared_fields(registry))
    if not touched:
        # Only fields that stay in this company changed: no permission, version or
        # staleness applies (the row may still await another member's change).
        return
    shared = SharedRecord.objects.select_for_update().get(pk=link.shared_record_id)
    values = canonical_values(registry, write.company_id, [write.record.pk]).get(write.record.pk)
    if values is None:
        raise WriteRefused(
            "O CNPJ/CPF de um cadastro compartilhado não pode ser apagado: sem ele o cadastro "
            "deixaria de ser sincronizado. Nada foi salvo."
        )
    # Only what this write changed travels: a reference this member could not map (a
    # supplier it lacks, say) must not be wiped everywhere by an edit of another field.
    changed = [name for name in diff_fields(registry, shared.values, values) if name in touched]
    values = {**shared.values, **{name: values[name] for name in changed}}
    if not changed:
        return  # only fields that stay in this company changed
    # Inactivating is an edit like any other (inativo is an ordinary field, as in Omie);
    # only a deletion needs the exclusão permission (_accept_delete).
    if not member.can_update:
        _refuse(member, "edição", registry)
    if link.applied_version != shared.version:
        current = "; ".join(f"{name} = {shared.values.get(name)!r}" for name in changed[:6])
        raise ConcurrentChange(
            "Este cadastro foi alterado em outra empresa do grupo (versão "
            f"{shared.version}) e a alteração ainda está sendo aplicada aqui. Nada foi salvo; "
            f"os valores atuais são: {current}. Recarregue a página em alguns segundos.",
            version=shared.version,
        )
    key = match_key_of(registry, values)
    if key != shared.match_key and SharedRecord.objects.live().filter(
        share_id=shared.share_id, registry=registry, match_key=key
    ).exists():
        raise WriteRefused(
            f"Já existe outro cadastro compartilhado com o {_describe(registry, key)}. Nada foi salvo."
        )
    if key != shared.match_key:
        _rename_references(registry, write.company_id, shared.share_id, old=shared.match_key, new=key)
    old = {name: shared.values.get(name) for name in changed}
    shared.values = values
    shared.match_key = key
    shared.version += 1
    shared.save(update_fields=["values", "match_key", "version", "updated_at"])
    link.applied_version = shared.version
    link.last_error = ""
    link.save(update_fields=["applied_version", "last_error", "updated_at"])
    _record_change(write, shared, action="update", fields=changed, old=old,
                   new={name: values.get(name) for name in changed})


def _accept_delete(write: RecordWrite, member: ShareMember, link: RecordLink) -> None:
    """A shared record deleted in this company is deleted in every member: it needs the
    exclusão permission, and is refused, like an edit, while this company has not received
    the group's latest version. It is refused too while another member's copy is in use
    there (a structure's component, a product's supplier), so that the deletion happens in
    every company or in none. The SharedRecord is marked deleted (its key free again); the
    Change deletes the other copies, each kept by `keep_deleted`."""
    registry = write.registry
    if not member.can_delete:
        _refuse(member, "exclusão", registry)
    shared = SharedRecord.objects.select_for_update().get(pk=link.shared_record_id)
    if link.applied_version != shared.version:
        raise ConcurrentChange(
            "Este cadastro foi alterado em outra empresa do grupo (versão "
            f"{shared.version}) e a alteração ainda está sendo aplicada aqui. Nada foi excluído; "
            "recarregue a página em alguns segundos.",
            version=shared.version,
        )
    _refuse_if_used_elsewhere(shared, write.company_id)
    shared.deleted_at = timezone.now()
    shared.version += 1
    shared.save(update_fields=["deleted_at", "version", "updated_at"])
    _record_change(write, shared, action="delete", fields=[], old=shared.values, new={})


def _refuse_if_used_elsewhere(shared: SharedRecord, company_id: int) -> None:
    """Refuse a deletion whose copy another member's own records use (its local products'
    structures or supplier lists: the shared ones use it here too, and were refused here)."""
    copies = dict(
        RecordLink.objects.filter(shared_record=shared).exclude(company_id=company_id)
        .values_list("local_id", "company_id")
    )
    users = catalog_selectors.record_users(
        registry=shared.registry, company_ids=set(copies.values()), record_ids=list(copies)
    )
    if not users:
        return
    descriptor = describe(shared.registry)
    local_id = min(users)
    company = Company.objects.get(pk=copies[local_id])
    record = descriptor.model.objects.get(company=company, pk=local_id)
    reason = descriptor.in_use_text(descriptor.label(record), users[local_id])
    raise WriteRefused(
        f"Este cadastro é compartilhado e seria excluído também em {company.display_name}, onde está em uso. "
        f"Lá, {reason[0].lower()}{reason[1:]}"
    )


def _share_new_supplier_document(write: RecordWrite) -> None:
    """A client/supplier without CNPJ/CPF could not be named in the shared products it
    supplies (nothing identifies it in another company). Once it has one, those products'
    shared supplier lists gain it, as this company's edit of each product, so the others
    link their own record with that document and no later change or resync drops the link
    here. A company that may not edit shared products cannot do that: its link is then a
    local difference, which the group's next change of the product replaces."""
    member = selectors.member_for(write.company_id, "product")
    if member is None or member.state != ShareMember.State.ACTIVE or not member.can_update:
        return
    supplied = Product.objects.filter(company_id=write.company_id, suppliers=write.record.pk).order_by("pk")
    # Lock order: local rows (by id, as every other writer of several takes them) → links →
    # shared records (in _accept_change).
    products = {product.pk: product for product in supplied.select_for_update(of=("self",))}
    links = RecordLink.objects.select_for_update().filter(
        company_id=write.company_id, registry="product", local_id__in=list(products)
    ).order_by("pk")
    for link in links:
        product = products[link.local_id]
        product_write = RecordWrite(
            registry="product", action="update", company_id=write.company_id, record=product,
            before=None, after={}, changed_fields=("suppliers",), actor_id=write.actor_id,
            source=write.source,
        )
        try:
            _accept_change(product_write, member, link)
        except WriteRefused as refused:
            raise WriteRefused(
                f"Este cliente/fornecedor é fornecedor do produto compartilhado {product.code}, "
                f"que não pôde receber o novo CNPJ/CPF: {refused.message}"
            ) from refused


_RENAME_SQL = {
    # Structure components by code, ordered as canonical.py orders them.
    "product": """
        UPDATE sharing_sharedrecord sr SET values = jsonb_set(sr.values, '{bom}', (
            SELECT jsonb_agg(jsonb_build_array(CASE WHEN line->>0 = %(old)s THEN %(new)s ELSE line->>0 END,
                                               line->1)
                             ORDER BY CASE WHEN line->>0 = %(old)s THEN %(new)s ELSE line->>0 END)
            FROM jsonb_array_elements(sr.values->'bom') AS line))
        WHERE sr.share_id = %(share)s AND sr.registry = 'product'
          AND sr.values->'bom' @> jsonb_build_array(jsonb_build_array(%(old)s::text))
    """,
    # Suppliers by CNPJ/CPF.
    "party": """
        UPDATE sharing_sharedrecord sr SET values = jsonb_set(sr.values, '{suppliers}', (
            SELECT jsonb_agg(DISTINCT CASE WHEN doc = %(old)s THEN %(new)s ELSE doc END)
            FROM jsonb_array_elements_text(sr.values->'suppliers') AS doc))
        WHERE sr.share_id = %(share)s AND sr.registry = 'product'
          AND sr.values->'suppliers' @> jsonb_build_array(%(old)s::text)
    """,
}


def _rename_references(registry: str, company_id: int, share_id: int, *, old: str, new: str) -> None:
    """A product's code or a party's CNPJ/CPF changed: shared products that point at it by
    that key (structures, suppliers) now point at the new key. Members' rows already do
    (they reference the row itself), so no version changes; without this, the next apply
    of those products, or a resync, would drop the component or supplier everywhere."""
    product_member = selectors.member_for(company_id, "product")
    if product_member is None:
        return
    # A company shares its products in one share: the product's own when a code changed.
    share = product_member.share_id
    with connection.cursor() as cursor:
        cursor.execute(_RENAME_SQL[registry], {"old": old, "new": new, "share": share})


def _record_change(write: RecordWrite, shared: SharedRecord, *, action, fields, old, new) -> None:
    change = Change.objects.create(
        share_id=shared.share_id, shared_record=shared, version=shared.version,
        company_id=write.company_id, action=action, changed_fields=fields,
        actor_id=write.actor_id, source=write.source,
    )
    AuditEntry.objects.create(
        share_id=shared.share_id, company_id=write.company_id, actor_id=write.actor_id,
        action=AuditEntry.Action.CHANGE, registry=shared.registry, shared_record=shared,
        change=change, local_id=write.record.pk, fields=fields, old_values=old, new_values=new,
        detail=change_text(action, shared.version, write.source),
    )
    # The share's batch applies it with the others pending (sharing/batch_apply.py).
    batch_apply.wake_on_commit(shared.share_id)


# --- applying to the other members ------------------------------------------------------


def apply_change(change_id: int) -> None:
    """Bring every other active member up to date with the change's shared record."""
    change = Change.objects.select_related("share", "shared_record").filter(pk=change_id).first()
    if change is None or change.status == Change.Status.APPLIED:
        return
    targets = selectors.active_members(change.share).exclude(company_id=change.company_id)
    errors = []
    for member in targets:
        try:
            result = apply_record(change.shared_record_id, member.company_id)
        except Exception as error:  # noqa: BLE001 — recorded, retried, never lost
            logger.exception("applying change %s to company %s failed", change_id, member.company_id)
            message = error_text(error)
            errors.append(f"{member.company.display_name}: {message}")
            _note_failure(change, member.company_id, message)
        else:
            if result is not None:
                AuditEntry.objects.create(
                    share_id=change.share_id, company_id=member.company_id,
                    action=AuditEntry.Action.APPLY, registry=change.shared_record.registry,
                    shared_record_id=change.shared_record_id, change=change, local_id=result,
                    fields=change.changed_fields, detail=f"versão {change.version} aplicada",
                )
    applied_at = None if errors else timezone.now()
    Change.objects.filter(pk=change.pk).update(
        attempts=change.attempts + 1,
        status=Change.Status.FAILED if errors else Change.Status.APPLIED,
        last_error="\n".join(errors),
        applied_at=applied_at,
    )
    if applied_at is not None:
        observe_apply_lag([(applied_at - change.created_at).total_seconds()])


def error_text(error: Exception) -> str:
    """An error as a person reads it: a ValidationError's messages, else its text."""
    messages = getattr(error, "messages", None)
    return "; ".join(messages) if messages else str(error) or error.__class__.__name__


def _note_failure(change: Change, company_id: int, message: str) -> None:
    RecordLink.objects.filter(shared_record_id=change.shared_record_id, company_id=company_id).update(
        last_error=message[:2000]
    )
    AuditEntry.objects.create(
        share_id=change.share_id, company_id=company_id, action=AuditEntry.Action.APPLY_FAILED,
        registry=change.shared_record.registry, shared_record_id=change.shared_record_id,
        change=change, fields=change.changed_fields,
        detail=f"tentativa {change.attempts + 1}: {message}"[:4000],
    )


def apply_record(
    shared_record_id: int, company_id: int, *, force: bool = False, _pulling: frozenset[int] = frozenset()
) -> int | None:
    """Write the shared record's current values into one company. Returns the local id, or
    None when that company already holds this version (nothing written). `force` rewrites
    even so: resync uses it to repair a row edited behind the engine's back. `_pulling`:
    the records whose application brought this one in first (see _bring_references)."""
    with transaction.atomic():
        if not _still_a_member(shared_record_id, company_id):
            return None  # removed meanwhile: it no longer receives the group's changes
        company = Company.objects.get(pk=company_id)
        link = RecordLink.objects.filter(shared_record_id=shared_record_id, company_id=company_id).first()
        if link is not None:
            model = describe(link.registry).model
            model.objects.select_for_update(of=("self",)).filter(pk=link.local_id).first()
            link = RecordLink.objects.select_for_update().get(pk=link.pk)
            shared = SharedRecord.objects.get(pk=shared_record_id)
        else:
            shared = SharedRecord.objects.select_for_update().get(pk=shared_record_id)
            link = RecordLink.objects.filter(shared_record_id=shared_record_id, company_id=company_id).first()
        if shared.deleted_at is not None:
            return _delete_local(shared, company, link)
        if link is not None and link.applied_version >= shared.version and not force:
            return None
        registry = shared.registry
        if registry in _REFERRING:
            _bring_references(shared, company, pulling=_pulling | {shared.pk})
        data = to_local_data(registry, shared.values, company)
        if link is not None:
            local_id = _update_local(registry, company, link.local_id, data)
            link.applied_version = shared.version
            link.last_error = ""
            link.save(update_fields=["applied_version", "last_error", "updated_at"])
            return local_id
        local_id = _create_or_adopt_local(shared, company, data)
        RecordLink.objects.create(
            shared_record=shared, company=company, registry=registry, local_id=local_id,
            applied_version=shared.version,
        )
        return local_id


def _delete_local(shared: SharedRecord, company: Company, link: RecordLink | None) -> int | None:
    """The group deleted the record: delete this company's copy through catalog/services.py
    (its keeper keeps the copy and drops the link). A copy that other records use here is
    refused there, and the change fails for this company until they no longer do."""
    if link is None:
        return None
    descriptor = describe(shared.registry)
    if not descriptor.model.objects.filter(company=company, pk=link.local_id).exists():
        link.delete()  # gone already: nothing left to delete or keep
        return None
    descriptor.delete(company=company, source=SOURCE, **{descriptor.id_field: link.local_id})
    return link.local_id


def keep_deleted(write: RecordWrite, copy: dict[str, Any]) -> None:
    """The catalog hook's deletion keeper: a deleted record's full copy becomes a Snapshot
    that support can restore from the admin, in every company, shared or not. A shared
    record's copy names its share and the change that deleted it everywhere (which every
    company's copy of that deletion names); the row's link goes with the row."""
    link = (
        RecordLink.objects.select_related("shared_record")
        .filter(company_id=write.company_id, registry=write.registry, local_id=write.record.pk).first()
    )
    share_id = change_id = None
    if link is not None:
        shared = link.shared_record
        share_id = shared.share_id
        if shared.deleted_at is not None:
            change_id = (
                Change.objects.filter(shared_record=shared, version=shared.version).values_list("pk", flat=True).first()
            )
        link.delete()
    Snapshot.objects.create(
        share_id=share_id, company_id=write.company_id, registry=write.registry, local_id=write.record.pk,
        values=copy, reason=Snapshot.Reason.DELETED, change_id=change_id, actor_id=write.actor_id,
        source=write.source,
    )


def undo_deletion(snapshot: Snapshot, shared: SharedRecord, *, actor_id: int | None) -> list[Snapshot]:
    """Bring a deleted shared record back in every company its deletion reached that is still
    an active member, each from its own copy (its own number, codes and local fields), and
    share it again: the SharedRecord takes the restored values of `snapshot`'s company as a
    new version, and the other members catch up with it (a member with no copy receives a
    new one, as for any inclusion). All or nothing: a copy that cannot be restored (its
    code is now another record's, say) refuses the whole restore, naming its company.
    Returns the copies restored. The caller holds `shared` locked and checked that its
    deletion is the one `snapshot` comes from."""
    registry = snapshot.registry
    descriptor = describe(registry)
    member = selectors.member_for(snapshot.company_id, registry)
    if not member.can_create:
        raise WriteRefused(
            f"A empresa {member.company.display_name} não tem permissão de inclusão de {descriptor.plural} no "
            "compartilhamento de cadastros, e restaurar um cadastro compartilhado excluído o inclui de novo no "
            "grupo. Nada foi restaurado."
        )
    key = snapshot.values.get(descriptor.key) or shared.match_key
    if SharedRecord.objects.live().filter(share_id=shared.share_id, registry=registry, match_key=key).exists():
        raise ValidationError(
            f"O {descriptor.key_phrase(key)} já é de outro cadastro compartilhado do grupo, incluído depois da "
            "exclusão. Nada foi restaurado."
        )
    members = selectors.active_members(shared.share).values_list("company_id", flat=True)
    others = (
        Snapshot.objects.select_for_update().select_related("company")
        .filter(change_id=snapshot.change_id, reason=Snapshot.Reason.DELETED, restored_at__isnull=True,
                company_id__in=list(members))
        .exclude(pk=snapshot.pk).order_by("company_id")
    )
    copies = [snapshot, *others]
    for copy in copies:
        try:
            catalog_services.record_restore(
                company=copy.company, registry=registry, copy=copy.values, actor_id=actor_id, source=SOURCE
            )
        except (ValidationError, WriteRefused) as error:
            raise ValidationError(
                f"{copy.company.display_name}: {error_text(error)} O cadastro é compartilhado e seria restaurado "
                "em todas as empresas onde foi excluído: nada foi restaurado em nenhuma."
            ) from error
    values = canonical_values(registry, snapshot.company_id, [snapshot.local_id])[snapshot.local_id]
    shared.deleted_at = None
    shared.values = values
    shared.match_key = match_key_of(registry, values)
    shared.version += 1
    shared.save(update_fields=["deleted_at", "values", "match_key", "version", "updated_at"])
    # The others hold their own copy's shared values: version 0 has the change rewrite them
    # with the group's (their local fields stay theirs).
    RecordLink.objects.bulk_create(
        RecordLink(shared_record=shared, company_id=copy.company_id, registry=registry, local_id=copy.local_id,
                   applied_version=shared.version if copy is snapshot else 0)
        for copy in copies
    )
    restored = descriptor.model.objects.get(company_id=snapshot.company_id, pk=snapshot.local_id)
    write = RecordWrite(
        registry=registry, action="create", company_id=snapshot.company_id, record=restored, before=None,
        after=values, changed_fields=tuple(values), actor_id=actor_id, source="restore",
    )
    _record_change(write, shared, action="create", fields=list(values), old={}, new=values)
    return copies


def _bring_references(shared: SharedRecord, company: Company, *, pulling: frozenset[int]) -> None:
    """Apply here, first, the shared suppliers and structure components this product names
    that the company does not have yet (by CNPJ/CPF, by code).

    A supplier that gains a CNPJ/CPF becomes a new shared record and, in the same commit, a
    new supplier of each product it supplies; a new component and the product that uses it
    are two changes too. Workers apply those changes in any order: a product applied before
    its supplier had arrived mapped the document to nothing and recorded the version as
    applied, so that company kept the old list for good and nothing said so (with three
    workers, 16 to 21 rounds in 24 left a branch behind). Whatever the order, the product
    now brings the supplier in first, in its own transaction and under the supplier's lock:
    the supplier's own application then finds it linked and does nothing. A supplier that
    cannot be brought in fails the product as well (retried, and listed on the share page)
    instead of recording a version the company does not hold. One the company cannot have
    (not shared, or it shares no clients/suppliers) stays unmapped, as before."""
    values = shared.values
    wanted: list[tuple[str, str, int | None]] = []  # (registry, key, share id)
    documents = set(values.get("suppliers") or [])
    if documents:
        present = set(Party.objects.filter(company=company, cnpj_cpf__in=documents).values_list("cnpj_cpf", flat=True))
        member = selectors.member_for(company.pk, "party") if documents - present else None
        wanted += [("party", document, member and member.share_id) for document in sorted(documents - present)]
    codes = {line[0] for line in values.get("bom") or []}
    if codes:
        present = set(Product.objects.filter(company=company, code__in=codes).values_list("code", flat=True))
        wanted += [("product", code, shared.share_id) for code in sorted(codes - present)]
    for registry, key, share_id in wanted:  # one order (suppliers, then components, by key): no deadlock
        if share_id is None:
            continue
        reference = (
            SharedRecord.objects.live().filter(share_id=share_id, registry=registry, match_key=key)
            .exclude(pk__in=pulling).values_list("pk", flat=True).first()
        )
        if reference is None:
            continue  # not shared: nothing to bring
        try:
            local_id = apply_record(reference, company.pk, _pulling=pulling)
        except Exception as error:
            what = _AS_REFERENCE[registry][0].format(described=_describe(registry, key), key=key)
            raise ValidationError(
                f"{what}, do produto {shared.match_key}, não pôde ser gravado antes dele nesta empresa: "
                f"{error_text(error)}"
            ) from error
        if local_id is not None:
            role = _AS_REFERENCE[registry][1]
            AuditEntry.objects.create(
                share_id=share_id, company_id=company.pk, action=AuditEntry.Action.APPLY, registry=registry,
                shared_record_id=reference, local_id=local_id,
                detail=f"aplicado antes do produto {shared.match_key}, do qual é {role}",
            )


# What a record is to the product that names it: how the failure and the audit say it.
_AS_REFERENCE = {
    "party": ("O fornecedor {described}", "fornecedor"),
    "product": ("O componente {key}", "componente da estrutura"),
}
# The registries whose records name others that must be applied first (products: their
# suppliers and structure components).
_REFERRING = frozenset({"product"})


def _still_a_member(shared_record_id: int, company_id: int) -> bool:
    """Whether the company is an active member of the record's share, held (FOR SHARE) until
    the application commits: member_remove locks the member row first, so it either waits
    for this application (and then unlinks what it wrote) or this one sees the removal.
    Without it, a catch-up or retry racing a removal wrote links into the removed company,
    and a later activation there duplicated every such record."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM sharing_sharemember m JOIN sharing_sharedrecord sr ON sr.share_id = m.share_id "
            "WHERE sr.id = %s AND m.company_id = %s AND m.state = %s FOR SHARE OF m",
            [shared_record_id, company_id, ShareMember.State.ACTIVE],
        )
        return cursor.fetchone() is not None


def _update_local(registry: str, company: Company, local_id: int, data: dict[str, Any]) -> int:
    descriptor = describe(registry)
    if "suppliers" in data:
        data = {**data, "suppliers": data["suppliers"] + _suppliers_without_document(local_id)}
    descriptor.update(company=company, data=data, source=SOURCE, **{descriptor.id_field: local_id})
    return local_id


def _create_or_adopt_local(shared: SharedRecord, company: Company, data: dict[str, Any]) -> int:
    """A record new to this company: overwrite a local one with the same key (kept first as
    a snapshot, as activation does) or create it."""
    registry = shared.registry
    descriptor = describe(registry)
    linked = RecordLink.objects.filter(company=company, registry=registry).values("local_id")
    existing = (
        descriptor.model.objects.filter(company=company, **{descriptor.key: shared.match_key})
        .exclude(pk__in=linked)
        .order_by("-active", "pk")
        .first()
    )
    if existing is not None:
        before = canonical_values(registry, company.pk, [existing.pk]).get(existing.pk, {})
        Snapshot.objects.get_or_create(
            share_id=shared.share_id, job=None, company=company, registry=registry, local_id=existing.pk,
            defaults={"values": before},
        )
        return _update_local(registry, company, existing.pk, data)
    return descriptor.create(company=company, data=data, source=SOURCE).pk


def to_local_data(registry: str, values: dict[str, Any], company: Company) -> dict[str, Any]:
    """Canonical values → the data catalog/services.py takes for one company, mapping the
    references: salespeople by e-mail and family by name (created if missing), suppliers by
    CNPJ/CPF, structure components by code, attachments by content hash."""
    data: dict[str, Any] = {name: values[name] for name in plain_fields(registry) if name in values}
    if "characteristics" in data:  # [[name, value], …] in the origin's order
        data["characteristics"] = characteristics_dict(data["characteristics"])
    data["attachments"] = values.get("attachments", [])
    _MAP_REFERENCES[registry](data, values, company)
    return data


def _party_references(data: dict[str, Any], values: dict[str, Any], company: Company) -> None:
    data["salespeople"] = [_salesperson_id(company, email, name) for email, name in values["salespeople"]]


def _product_references(data: dict[str, Any], values: dict[str, Any], company: Company) -> None:
    data["price"] = Decimal(str(values["price"]))
    data["family"] = _family_id(company, values["family"]) if values["family"] else None
    data["suppliers"] = _party_ids_by_document(company, values["suppliers"])
    data["bom"] = _bom_by_code(company, values["bom"])


_MAP_REFERENCES = {"party": _party_references, "product": _product_references}


def _salesperson_id(company: Company, email: str, name: str) -> int:
    found = Salesperson.objects.filter(company=company, email__iexact=email).values_list("pk", flat=True).first()
    if found:
        return found
    return catalog_services.salesperson_create(company=company, name=name, email=email).pk


def _family_id(company: Company, name: str) -> int:
    found = ProductFamily.objects.filter(company=company, name__iexact=name).values_list("pk", flat=True).first()
    if found:
        return found
    return catalog_services.family_create(company=company, name=name).pk


def _party_ids_by_document(company: Company, documents: list[str]) -> list[int]:
    """Suppliers by CNPJ/CPF; the linked (shared) party is preferred when there are two."""
    ids: dict[str, int] = {}
    rows = (
        Party.objects.filter(company=company, cnpj_cpf__in=documents)
        .order_by("cnpj_cpf", "-active", "pk")
        .values_list("cnpj_cpf", "pk")
    )
    linked = set(
        RecordLink.objects.filter(company=company, registry="party", local_id__in=[pk for _, pk in rows])
        .values_list("local_id", flat=True)
    )
    for document, pk in rows:
        if document not in ids or (pk in linked and ids[document] not in linked):
            ids[document] = pk
    return sorted(ids.values())


def _suppliers_without_document(product_id: int) -> list[int]:
    """A supplier without CNPJ/CPF is never shared (nothing identifies it in another
    company), so the group's values cannot mention it: a member's own link to one stays
    when the shared suppliers are written, instead of being dropped by every change."""
    return list(
        Party.objects.filter(supplied_products=product_id, cnpj_cpf="").values_list("pk", flat=True)
    )


def _bom_by_code(company: Company, lines: list[list[str]]) -> list[tuple[int, Decimal]]:
    codes = dict(lines)
    found = dict(Product.objects.filter(company=company, code__in=codes).values_list("code", "pk"))
    return [(found[code], Decimal(quantity)) for code, quantity in codes.items() if code in found]


# --- member-level catch-up (after adding a member, and for resync) ----------------------


def enqueue_catch_up(share_id: int, company_id: int) -> None:
    enqueue_on_commit("sharing.tasks.catch_up", share_id, company_id)


def suggest_product_code(company_id: int) -> str | None:
    """After activation, every member suggests codes from the share's fixed PRD sequence."""
    from sharing.codes import next_code

    member = selectors.member_for(company_id, "product")
    if member is None or member.share.status != Share.Status.ACTIVE or member.state != ShareMember.State.ACTIVE:
        return None
    companies = list(selectors.present_members(member.share).values_list("company_id", flat=True))
    return next_code(member.share_id, companies)
