"""Writes for sharing configuration: configure, activate, permissions, remove, restore.

`user=None` means support staff acting from a management command or the admin (they have
shell or staff access); a web user must be an admin of the origin and a member of every
destination they add, as in the original.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from catalog.registries import describe
from companies.models import Company, Membership
from companies.selectors import is_admin
from omieshare.lib.jobs import enqueue_on_commit
from sharing import selectors
from sharing.canonical import require_postgresql
from sharing.models import (
    AuditEntry,
    Change,
    RecordLink,
    Share,
    SharedRecord,
    ShareMember,
    Snapshot,
    SyncJob,
    permissions_text,
    record_label,
)

# A change still pending after this long is not on its way: the worker is likely stopped.
STUCK_AFTER = timedelta(minutes=1)


@dataclass(frozen=True)
class Permissions:
    can_create: bool = True
    can_update: bool = True
    can_delete: bool = False

    @classmethod
    def parse(cls, text: str) -> Permissions:
        """'include,edit,delete' (any subset; also inclusao/edicao/exclusao), or 'none' → Permissions.

        An empty value is refused: it is more likely a slip (an unset shell variable) than
        a wish for no permissions, and 'none' says that explicitly."""
        words = {w.strip().lower() for w in (text or "").split(",") if w.strip()}
        if not words:
            raise ValidationError(
                "Informe as permissões: include, edit e/ou delete (ex.: include,edit), ou none para nenhuma."
            )
        aliases = {"include": "c", "inclusao": "c", "inclusão": "c", "create": "c",
                   "edit": "u", "edicao": "u", "edição": "u", "update": "u",
                   "delete": "d", "exclusao": "d", "exclusão": "d"}
        unknown = words - set(aliases) - {"none", "nenhuma"}
        if unknown:
            raise ValidationError(
                f"Permissão desconhecida: {', '.join(sorted(unknown))}. Use include, edit e/ou delete."
            )
        letters = {aliases[w] for w in words if w in aliases}
        return cls("c" in letters, "u" in letters, "d" in letters)

    @classmethod
    def of(cls, member: ShareMember) -> Permissions:
        return cls(member.can_create, member.can_update, member.can_delete)

    def as_fields(self) -> dict[str, bool]:
        return {"can_create": self.can_create, "can_update": self.can_update, "can_delete": self.can_delete}

    def display(self) -> str:
        return permissions_text(self.can_create, self.can_update, self.can_delete)


def _has_access(user, company: Company) -> bool:
    return Membership.objects.filter(user=user, company=company).exists()


def _check_origin_admin(user, origin: Company) -> None:
    if user is not None and not is_admin(user, origin):
        raise PermissionDenied(
            f"Somente administradores de {origin.display_name} podem configurar o compartilhamento."
        )


def _check_free(company: Company, registries: Iterable[str], *, share_id: int | None = None) -> None:
    busy = selectors.busy_registries(company.pk, exclude_share_id=share_id) & set(registries)
    if busy:
        names = " e ".join(describe(r).plural for r in sorted(busy))
        raise ValidationError(
            f"{company.display_name} já participa de outro compartilhamento de {names}. "
            "Uma empresa participa de no máximo um compartilhamento por cadastro."
        )


def _checked_registries(registries: Iterable[str]) -> list[str]:
    registries = sorted(set(registries))
    if not registries or set(registries) - {"party", "product"}:
        raise ValidationError("Escolha o que deseja sincronizar: clientes e fornecedores, produtos ou ambos.")
    return registries


def _check_destination_list(origin: Company, destinations: Iterable[Company]) -> None:
    """At least one destination, each once, never the origin: what was typed is refused
    rather than quietly folded into something else."""
    destinations = list(destinations)
    if not destinations:
        raise ValidationError("Adicione pelo menos uma empresa destino.")
    if origin in destinations:
        raise ValidationError("A empresa origem não pode ser também destino.")
    repeated = sorted({c.display_name for c in destinations if destinations.count(c) > 1})
    if repeated:
        raise ValidationError(f"Empresa destino informada mais de uma vez: {', '.join(repeated)}.")


def local_time_text(moment: datetime | None) -> str:
    """dd/mm/aaaa hh:mm in the project's time zone, as support staff read dates."""
    return timezone.localtime(moment).strftime("%d/%m/%Y %H:%M") if moment else "-"


def age_text(moment: datetime, now: datetime | None = None) -> str:
    seconds = int(((now or timezone.now()) - moment).total_seconds())
    if seconds < 60:
        return f"{max(seconds, 0)} s"
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 86400:
        return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"
    return f"{seconds // 86400} dia(s) {seconds % 86400 // 3600} h"


def _audit(share: Share, user, action: str, detail: str, company: Company | None = None, **record: Any) -> None:
    """`record`: registry, local_id and shared_record_id when the entry is about one record."""
    AuditEntry.objects.create(
        share=share, company=company, actor=user if user is not None else None,
        action=action, detail=detail, **record,
    )


def share_configure(
    *,
    origin: Company,
    registries: Iterable[str],
    origin_permissions: Permissions,
    destinations: Mapping[Company, Permissions],
    user=None,
) -> Share:
    """A new share in draft: origin, registries, destinations and everyone's permissions.
    Nothing is copied until `share_activate`."""
    registries = _checked_registries(registries)
    _check_destination_list(origin, destinations)
    _check_origin_admin(user, origin)
    for company in destinations:
        if user is not None and not _has_access(user, company):
            raise PermissionDenied(f"Você não tem acesso à empresa {company.display_name}.")
    with transaction.atomic():
        for company in [origin, *destinations]:
            _check_free(company, registries)
        share = Share.objects.create(
            origin=origin,
            shares_parties="party" in registries,
            shares_products="product" in registries,
            configured_by=user,
            code_key=secrets.randbits(62),
        )
        ShareMember.objects.create(share=share, company=origin, is_origin=True, added_by=user,
                                   **origin_permissions.as_fields())
        for company, permissions in destinations.items():
            ShareMember.objects.create(share=share, company=company, added_by=user, **permissions.as_fields())
        names = ", ".join(c.display_name for c in destinations)
        _audit(share, user, AuditEntry.Action.CONFIGURE,
               f"Configurado: origem {origin.display_name}; destinos {names}; {share.get_registries_display()}.",
               company=origin)
        return share


def member_add(*, share: Share, company: Company, permissions: Permissions, user=None) -> ShareMember:
    """Add a destination to an existing share; it joins on the next `share_activate`."""
    _check_origin_admin(user, share.origin)
    if user is not None and not _has_access(user, company):
        raise PermissionDenied(f"Você não tem acesso à empresa {company.display_name}.")
    with transaction.atomic():
        share = Share.objects.select_for_update().get(pk=share.pk)
        if share.status == Share.Status.DISSOLVED:
            raise ValidationError("Este compartilhamento foi encerrado; configure um novo.")
        if share.members.filter(company=company).exclude(state=ShareMember.State.REMOVED).exists():
            raise ValidationError(f"{company.display_name} já participa deste compartilhamento.")
        _check_free(company, share.registries, share_id=share.pk)
        member = ShareMember.objects.create(share=share, company=company, added_by=user, **permissions.as_fields())
        _audit(share, user, AuditEntry.Action.CONFIGURE, f"Destino adicionado: {company.display_name}.", company)
        return member


def share_check(*, origin: Company, destinations: Sequence[Company], registries: Iterable[str]) -> Share | None:
    """Refuse now what activating these destinations would refuse, writing nothing: the
    preview and the command line run it before anyone is asked to confirm.

    Returns the origin's live share of these registries, which the destinations would join,
    or None when a new share would be configured.
    """
    registries = _checked_registries(registries)
    _check_destination_list(origin, destinations)
    member = selectors.member_for(origin.pk, registries[0])
    if member is None:
        for company in [origin, *destinations]:
            _check_free(company, registries)
        return None
    share = member.share
    if not member.is_origin or share.registries != registries:
        raise ValidationError(
            f"{origin.display_name} já participa do compartilhamento nº {share.pk} "
            f"({share.get_registries_display()}) e não é a origem dele com esses cadastros."
        )
    for company in destinations:
        _check_free(company, registries, share_id=share.pk)
    return share


class ConfigurationChanged(ValidationError):
    """share_activate refused: what it would start is no longer what the user confirmed."""


CONFIGURATION_CHANGED = (
    "A configuração do compartilhamento mudou desde que a prévia foi mostrada (em outra aba, "
    "por outra pessoa ou por outro comando): nada foi ativado."
)


@dataclass(frozen=True)
class SharePlan:
    """What confirming would activate, read without writing anything: shown before the
    confirmation (the wizard's preview, the command's prompt) and fingerprinted, so that
    share_activate starts exactly that or nothing."""

    origin: Company
    registries: list[str]
    share: Share | None  # the origin's live share the destinations join; None: a new share
    origin_permissions: Permissions
    destinations: dict[Company, Permissions]  # every destination the activation starts
    notes: list[str]

    @property
    def fingerprint(self) -> str:
        members = {self.origin.pk: self.origin_permissions, **{c.pk: p for c, p in self.destinations.items()}}
        return selectors.plan_fingerprint(origin_id=self.origin.pk, registries=self.registries, members=members)


def share_plan(
    *,
    origin: Company,
    registries: Iterable[str],
    origin_permissions: Permissions,
    destinations: Mapping[Company, Permissions],
) -> SharePlan:
    """What activating these destinations would start: a new share, or the origin's live
    share of these registries joined by them. Refuses (ValidationError) what activation
    would refuse.

    Joining, the origin keeps its permissions; a destination already active is left as it
    is; one still waiting for activation takes the permissions given now (the last word is
    the one the user expects); and any other destination still waiting (from an activation
    that gave up) is activated too. The notes say so, for the user."""
    share = share_check(origin=origin, destinations=list(destinations), registries=registries)
    registries = _checked_registries(registries)
    if share is None:
        return SharePlan(origin, registries, None, origin_permissions, dict(destinations), [])
    notes: list[str] = []
    present = {m.company_id: m for m in share.members.exclude(state=ShareMember.State.REMOVED)
               .select_related("company")}
    origin_member = present[origin.pk]
    if Permissions.of(origin_member) != origin_permissions:
        notes.append(
            f"{origin.display_name} já é a origem do compartilhamento nº {share.pk}: as permissões dela "
            f"continuam {origin_member.permissions_display()} (--origin-permissions vale só para um "
            "compartilhamento novo)."
        )
    starting: dict[Company, Permissions] = {}
    for company, permissions in destinations.items():
        member = present.get(company.pk)
        if member is None:
            starting[company] = permissions
        elif member.state == ShareMember.State.ACTIVE:
            notes.append(
                f"{company.display_name} já está ativa neste compartilhamento: nada muda para ela "
                f"(permissões: {member.permissions_display()})."
            )
        else:
            if Permissions.of(member) != permissions:
                notes.append(
                    f"{company.display_name} já aguardava ativação: permissões {member.permissions_display()} → "
                    f"{permissions.display()}."
                )
            starting[company] = permissions
    for member in present.values():
        if member.state == ShareMember.State.PENDING and not member.is_origin and member.company not in starting:
            notes.append(
                f"{member.company.display_name} já aguardava ativação neste compartilhamento e será ativada "
                f"junto (permissões: {member.permissions_display()})."
            )
            starting[member.company] = Permissions.of(member)
    return SharePlan(origin, registries, share, Permissions.of(origin_member), starting, notes)


def share_start(
    *,
    origin: Company,
    registries: Iterable[str],
    origin_permissions: Permissions,
    destinations: Mapping[Company, Permissions] | Sequence[tuple[Company, Permissions]],
    expected_fingerprint: str | None,
    user=None,
) -> SyncJob:
    """Confirming an activation (the wizard's "Confirmar e ativar o sincronismo", the
    share_activate command), all or nothing: configure a new share, or add the destinations
    to the origin's live share of these registries (see share_plan for what changes for
    members already there), then start the activation.

    `expected_fingerprint`: the SharePlan.fingerprint the user was shown and confirmed;
    share_activate checks it under the share's lock in this same transaction, so a change
    made meanwhile (another tab, person or command) is refused with ConfigurationChanged
    and everything configured here rolls back. `destinations` may be pairs, so that a
    company typed twice is refused rather than folded into one.
    """
    pairs = list(destinations.items()) if isinstance(destinations, Mapping) else list(destinations)
    with transaction.atomic():
        # Two confirmations at once for one origin (two tabs, two commands): the second
        # waits here, then joins the share the first configured (or finds its job running)
        # instead of failing on the unique origin.
        Company.objects.select_for_update().filter(pk=origin.pk).first()
        _check_destination_list(origin, [company for company, _ in pairs])
        plan = share_plan(origin=origin, registries=registries, origin_permissions=origin_permissions,
                          destinations=dict(pairs))
        if plan.share is None:
            share = share_configure(
                origin=origin, registries=registries, origin_permissions=origin_permissions,
                destinations=plan.destinations, user=user,
            )
        else:
            share = plan.share
            present = {m.company_id: m for m in share.members.exclude(state=ShareMember.State.REMOVED)}
            for company, permissions in plan.destinations.items():
                member = present.get(company.pk)
                if member is None:
                    member_add(share=share, company=company, permissions=permissions, user=user)
                elif Permissions.of(member) != permissions:
                    member_set_permissions(member=member, permissions=permissions, user=user)
        return share_activate(share=share, confirmed=True, user=user, expected_fingerprint=expected_fingerprint)


def member_set_permissions(*, member: ShareMember, permissions: Permissions, user=None, actor=None) -> ShareMember:
    """Change a member's permissions. `user` (a web user) must be an admin of the origin;
    support staff in the admin pass no `user` but are still recorded as the `actor`."""
    _check_origin_admin(user, member.share.origin)
    actor = actor if actor is not None else user
    with transaction.atomic():
        member = ShareMember.objects.select_for_update().get(pk=member.pk)
        old = ShareMember(**{k: getattr(member, k) for k in ("can_create", "can_update", "can_delete")})
        for name, value in permissions.as_fields().items():
            setattr(member, name, value)
        member.save(update_fields=["can_create", "can_update", "can_delete"])
        _audit(member.share, actor, AuditEntry.Action.CONFIGURE,
               f"Permissões de {member.company.display_name}: {old.permissions_display()} → "
               f"{member.permissions_display()}.", member.company)
        return member


def share_activate(*, share: Share, confirmed: bool, user=None, expected_fingerprint: str | None = None) -> SyncJob:
    """Start (or return the already running) activation of the share's pending members.

    Irreversible: the origin's values overwrite matching destination records (each kept
    first as a snapshot). A second call while the job runs returns the same job.

    `expected_fingerprint`: the SharePlan.fingerprint of what the user was shown and
    confirmed. Anything else to start (members, permissions, registries, origin) is refused
    with ConfigurationChanged, checked under the share's lock in the transaction that
    starts the job, so that no change slips in between the check and the start.
    """
    if not confirmed:
        raise ValidationError(
            "A ativação é irreversível: confirme explicitamente para continuar (Confirmar e ativar o sincronismo)."
        )
    require_postgresql()
    _check_origin_admin(user, share.origin)
    with transaction.atomic():
        share = Share.objects.select_for_update().get(pk=share.pk)
        # Before the running job is handed back: one started meanwhile by someone else is
        # not what this user confirmed either.
        if expected_fingerprint is not None and selectors.share_fingerprint(share, lock=True) != expected_fingerprint:
            raise ConfigurationChanged(CONFIGURATION_CHANGED)
        running = share.jobs.live().filter(kind=SyncJob.Kind.ACTIVATE).first()
        if running:
            return running
        if share.status == Share.Status.DISSOLVED:
            raise ValidationError("Este compartilhamento foi encerrado.")
        pending = list(share.members.filter(state=ShareMember.State.PENDING).select_related("company"))
        if not any(not m.is_origin for m in pending):
            raise ValidationError("Não há empresa destino aguardando ativação.")
        for member in pending:
            _check_free(member.company, share.registries, share_id=share.pk)
        if share.status == Share.Status.DRAFT:
            share.status = Share.Status.ACTIVATING
            share.save(update_fields=["status"])
        try:
            with transaction.atomic():
                job = SyncJob.objects.create(
                    share=share, kind=SyncJob.Kind.ACTIVATE, created_by=user,
                    params={"member_ids": [m.pk for m in pending]},
                )
        except IntegrityError:  # another request created it a moment ago
            return share.jobs.live().get(kind=SyncJob.Kind.ACTIVATE)
        _audit(share, user, AuditEntry.Action.ACTIVATE,
               "Ativação confirmada: " + ", ".join(m.company.display_name for m in pending if not m.is_origin),
               share.origin)
        enqueue_on_commit("sharing.tasks.run_sync_job", job.pk)
        return job


def share_members_update(
    *,
    share: Share,
    permissions: Mapping[int, Permissions],
    remove: Iterable[int] = (),
    user=None,
) -> tuple[list[ShareMember], list[ShareMember]]:
    """"Editar" → "Salvar Alterações": new permissions (by ShareMember id) and destinations
    to remove, all or nothing: one refusal (a removal while a job runs, say) leaves every
    member as it was. A member being removed keeps its permissions (they no longer matter);
    permissions equal to the current ones change nothing.

    Returns (members whose permissions changed, members removed). The refusals and their
    messages are member_set_permissions' and member_remove's."""
    _check_origin_admin(user, share.origin)
    remove = list(dict.fromkeys(remove))
    with transaction.atomic():
        # The share first, as member_remove locks it: one order for every path.
        share = Share.objects.select_for_update().get(pk=share.pk)
        # Removed ones too: removing one again is member_remove's to refuse, with its words.
        members = {m.pk: m for m in share.members.filter(pk__in=[*permissions, *remove]).select_related("company")}
        if len(members) < len(set(permissions) | set(remove)):
            raise ValidationError("Uma das empresas informadas não faz parte deste compartilhamento.")
        changed = []
        for pk in sorted(permissions):
            member = members[pk]
            if pk in remove or Permissions.of(member) == permissions[pk]:
                continue
            changed.append(member_set_permissions(member=member, permissions=permissions[pk], user=user))
        removed = [member_remove(share=share, company=members[pk].company, user=user) for pk in remove]
        return changed, removed


class NotResumable(ValidationError):
    """job_resume refused: the job is not an activation that failed."""


def job_resume(*, job: SyncJob, user=None) -> SyncJob:
    """"Retomar a ativação": an activation that gave up after repeated errors leaves its
    share half activated and its members' writes refused; a new job copies what is missing
    (the copy is idempotent), under the confirmation given when it was started."""
    if job.kind != SyncJob.Kind.ACTIVATE or job.status != SyncJob.Status.FAILED:
        raise NotResumable("Só uma ativação que falhou pode ser retomada.")
    return share_activate(share=job.share, confirmed=True, user=user)


# "Reenviar alterações com falha" acts on at most this many changes at once.
MAX_CHANGES_PER_RETRY = 1000


def changes_retry(*, change_ids: Iterable[int], user=None) -> tuple[list[Change], int]:
    """Apply changes again (sharing.tasks.apply_change, after commit): those not yet applied
    in every member; one already applied is left alone. Returns (the changes sent again,
    how many were already applied).

    Nothing needs resetting first: apply_change re-reads the change and applies the shared
    record's current version wherever it is missing, counting one more attempt."""
    change_ids = list(dict.fromkeys(change_ids))
    if len(change_ids) > MAX_CHANGES_PER_RETRY:
        raise ValidationError(f"Selecione no máximo {MAX_CHANGES_PER_RETRY} alterações por vez. Nada foi reenviado.")
    with transaction.atomic():
        changes = list(Change.objects.filter(pk__in=change_ids).select_related("share").order_by("pk"))
        retried = [c for c in changes if c.status != Change.Status.APPLIED]
        for change in retried:
            enqueue_on_commit("sharing.tasks.apply_change", change.pk)
        return retried, len(changes) - len(retried)


def member_remove(*, share: Share, company: Company, user=None) -> ShareMember:
    """Take a company out of the share. Its records stay as they are, unlinked, and are no
    longer updated either way. Removing the last destination ends the share."""
    _check_origin_admin(user, share.origin)
    with transaction.atomic():
        share = Share.objects.select_for_update().get(pk=share.pk)
        # Locked: an application to this company (propagation, catch-up, resync) checks under
        # the same lock that the company is still active, so none writes after its removal.
        member = (
            share.members.select_for_update().filter(company=company).exclude(state=ShareMember.State.REMOVED).first()
        )
        if member is None:
            removed = share.members.filter(company=company).order_by("-removed_at").first()
            if removed is not None:
                raise ValidationError(
                    f"{company.display_name} já foi removida deste compartilhamento em "
                    f"{local_time_text(removed.removed_at)}."
                )
            raise ValidationError(f"{company.display_name} não participa deste compartilhamento.")
        if share.jobs.live().exists():
            raise ValidationError("Aguarde a conclusão da sincronização em andamento antes de remover empresas.")
        destinations = share.members.filter(is_origin=False).exclude(state=ShareMember.State.REMOVED)
        dissolves = not destinations.exclude(pk=member.pk).exists()
        # An accepted edit on its way still reaches the members that stay (the leaving
        # company's own edits too). Ending the share would drop it: that waits for it, a
        # matter of seconds. (Waiting on every removal refused it under steady editing.)
        unapplied = share.changes.filter(status=Change.Status.PENDING)
        count = unapplied.count() if dissolves else 0
        if count:
            message = (
                f"Há {count} alteração(ões) de cadastros compartilhados ainda sendo aplicada(s) nas "
                "empresas. Aguarde alguns segundos e tente de novo, para que nenhuma se perca."
            )
            oldest = unapplied.order_by("created_at").values_list("created_at", flat=True).first()
            # Applying one takes well under a second: a minute means nobody is applying them.
            if timezone.now() - oldest > STUCK_AFTER:
                message += (
                    f" A mais antiga espera há {age_text(oldest)}: o worker (manage.py qcluster) "
                    "pode estar parado."
                )
            raise ValidationError(message)
        if member.is_origin and destinations.exists():
            raise ValidationError("A empresa origem não pode sair enquanto houver empresas destino.")
        now = timezone.now()
        _remove(member, now)
        _audit(share, user, AuditEntry.Action.REMOVE,
               f"{company.display_name} removida: os cadastros já sincronizados permanecem na empresa, "
               "sem atualização automática a partir de agora.", company)
        if dissolves:
            for other in share.members.exclude(state=ShareMember.State.REMOVED):
                _remove(other, now)
            share.status = Share.Status.DISSOLVED
            share.dissolved_at = now
            share.save(update_fields=["status", "dissolved_at"])
            _audit(share, user, AuditEntry.Action.REMOVE, "Último destino removido: compartilhamento encerrado.")
        return member


def _remove(member: ShareMember, now) -> None:
    RecordLink.objects.filter(shared_record__share=member.share, company=member.company).delete()
    member.state = ShareMember.State.REMOVED
    member.removed_at = now
    member.save(update_fields=["state", "removed_at"])


def _snapshot_key(snapshot: Snapshot) -> str:
    return snapshot.values.get(describe(snapshot.registry).key) or f"nº {snapshot.local_id}"


def snapshot_restore(*, snapshot: Snapshot, user=None) -> list[Company]:
    """Put a kept copy back, through catalog/services.py; returns the companies written.

    An overwritten record's copy: its values are written over the record, an edit like any
    other (while the record is shared, it needs the member's edit permission and propagates).

    A deleted record's copy: the record is included again from it, with its number, codes,
    fields and relations, refused when any of them is now another record's. A shared
    record's deletion is undone in every company it reached that is still in the share,
    each from its own copy, and the record is shared again (propagation.undo_deletion,
    which needs the inclusão permission); otherwise only its own company gets it back, and
    the sharing hook shares it as it would share a new record.
    """
    if snapshot.reason == Snapshot.Reason.DELETED:
        return _restore_deleted(snapshot, user)
    from sharing.propagation import to_local_data

    with transaction.atomic():
        snapshot = Snapshot.objects.select_for_update().get(pk=snapshot.pk)
        company = snapshot.company
        descriptor = describe(snapshot.registry)
        if not descriptor.model.objects.filter(company=company, pk=snapshot.local_id).exists():
            raise ValidationError(
                f"O {descriptor.kind} nº {snapshot.local_id} foi excluído desta empresa: restaure antes a cópia "
                "guardada na exclusão (cópias anteriores com motivo “excluído”). Nada foi alterado."
            )
        data = to_local_data(snapshot.registry, snapshot.values, company)
        descriptor.update(company=company, data=data, actor_id=getattr(user, "pk", None), source="restore",
                          **{descriptor.id_field: snapshot.local_id})
        snapshot.restored_at = timezone.now()
        snapshot.restored_by = user
        snapshot.save(update_fields=["restored_at", "restored_by"])
        link = RecordLink.objects.filter(
            company=company, registry=snapshot.registry, local_id=snapshot.local_id
        ).values_list("shared_record_id", flat=True).first()
        if snapshot.share_id is not None:
            _audit(snapshot.share, user, AuditEntry.Action.RESTORE,
                   f"Cópia anterior restaurada ({record_label(snapshot.registry, _snapshot_key(snapshot))}).",
                   company, registry=snapshot.registry, local_id=snapshot.local_id, shared_record_id=link)
        return [company]


def _restore_deleted(snapshot: Snapshot, user) -> list[Company]:
    from catalog import services as catalog_services
    from sharing.propagation import undo_deletion

    actor_id = getattr(user, "pk", None)
    with transaction.atomic():
        snapshot = Snapshot.objects.select_for_update().select_related("company").get(pk=snapshot.pk)
        shared = _deletion_to_undo(snapshot)
        if shared is None:
            catalog_services.record_restore(
                company=snapshot.company, registry=snapshot.registry, copy=snapshot.values, actor_id=actor_id,
                source="restore",
            )
            restored = [snapshot]
        else:
            restored = undo_deletion(snapshot, shared, actor_id=actor_id)
        now = timezone.now()
        Snapshot.objects.filter(pk__in=[copy.pk for copy in restored]).update(restored_at=now, restored_by=user)
        snapshot.restored_at, snapshot.restored_by = now, user
        companies = [copy.company for copy in restored]
        if snapshot.share_id is not None:
            link = RecordLink.objects.filter(
                company=snapshot.company, registry=snapshot.registry, local_id=snapshot.local_id
            ).values_list("shared_record_id", flat=True).first()
            where = ", ".join(company.display_name for company in companies)
            _audit(snapshot.share, user, AuditEntry.Action.RESTORE,
                   f"Cadastro excluído restaurado ({record_label(snapshot.registry, _snapshot_key(snapshot))}) "
                   f"em {where}.",
                   snapshot.company, registry=snapshot.registry, local_id=snapshot.local_id, shared_record_id=link)
        return companies


def _deletion_to_undo(snapshot: Snapshot) -> SharedRecord | None:
    """The shared record (locked) whose deletion this copy comes from, when that deletion can
    be undone for the group: the record is still deleted by that very change (neither
    restored nor deleted again since), and the company is still an active member of its
    share. None otherwise: the copy is then restored in its own company alone."""
    if snapshot.change_id is None:
        return None
    change = Change.objects.filter(pk=snapshot.change_id).first()
    if change is None:
        return None
    shared = SharedRecord.objects.select_for_update().get(pk=change.shared_record_id)
    if shared.deleted_at is None or shared.version != change.version:
        return None
    member = selectors.member_for(snapshot.company_id, snapshot.registry)
    if member is None or member.share_id != shared.share_id or member.state != ShareMember.State.ACTIVE:
        return None
    return shared


def record_retry(*, share: Share, shared_record_id: int, user=None) -> SharedRecord:
    """"Tentar novamente": queue the record's re-application (sharing.tasks.retry_record).
    Only an admin of the origin may ask; the task itself is idempotent."""
    _check_origin_admin(user, share.origin)
    if share.status == Share.Status.DISSOLVED:
        raise ValidationError("Este compartilhamento foi encerrado; não há o que sincronizar.")
    record = SharedRecord.objects.get(pk=shared_record_id, share=share)
    enqueue_on_commit("sharing.tasks.retry_record", record.pk)
    return record


def check_resync_scope(share: Share, company: Company | None = None) -> None:
    """Only an active share can be resynced, and only in a company active in it."""
    if share.status != Share.Status.ACTIVE:
        raise ValidationError(
            f"Só um compartilhamento ativo pode ser ressincronizado (nº {share.pk}: {share.get_status_display()})."
        )
    if company is not None and not share.members.filter(company=company, state=ShareMember.State.ACTIVE).exists():
        member = share.members.filter(company=company).order_by("-pk").first()
        state = f" (situação: {member.get_state_display()})" if member is not None else ""
        raise ValidationError(
            f"{company.display_name} não é uma empresa ativa do compartilhamento nº {share.pk}{state}."
        )


def resync_start(*, share: Share, company: Company | None = None, user=None) -> SyncJob:
    """Queue a resync: re-apply canonical values where a member's rows drifted."""
    check_resync_scope(share, company)
    with transaction.atomic():
        try:
            with transaction.atomic():
                job = SyncJob.objects.create(
                    share=share, kind=SyncJob.Kind.RESYNC, created_by=user,
                    params={"company_id": company.pk if company else None},
                )
        except IntegrityError:
            return share.jobs.live().get(kind=SyncJob.Kind.RESYNC)
        enqueue_on_commit("sharing.tasks.run_sync_job", job.pk)
        return job
