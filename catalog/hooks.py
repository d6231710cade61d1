"""The extension point of catalog writes, through which sharing sees every change.

`catalog/services.py` calls `notify_write()` inside the transaction of every create,
update and delete of a party or product, after the local row is written. A listener may
raise `WriteRefused` (or `ValidationError`) to refuse the write: the transaction then rolls
back and nothing is saved. Listeners must do their own side effects on commit.

Pages ask the same way how a record is shared: `record_statuses()` for the rows a page
shows (one call per page, never one per row) and `create_status()` for the "Incluir"
button. Providers only describe what the write listeners would refuse; the listeners still
refuse on every write path.

A deletion removes the row for good (docs/ARCHITECTURE.md §4, "Deletion"): before it does,
`keep_deleted()` hands the whole record to the registered keeper (sharing keeps it as a
Snapshot that support can restore). With no keeper registered a deletion is refused, so a
record can never be deleted without its copy being kept.

The dependency points one way: sharing registers itself here in its AppConfig.ready();
catalog never imports sharing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from django.core.exceptions import ImproperlyConfigured

Registry = Literal["party", "product"]
Action = Literal["create", "update", "delete"]


@dataclass(frozen=True)
class RecordWrite:
    registry: Registry
    action: Action
    company_id: int
    record: Any  # Party or Product, as saved
    before: dict[str, Any] | None  # values before the write (None on create)
    after: dict[str, Any]  # values after the write ({} on delete: nothing is left)
    changed_fields: tuple[str, ...]
    actor_id: int | None
    source: str  # "web", "admin", "command", "api", "sharing", ...
    base_version: int | None = None  # the local version the edit was based on, if known
    extra: dict[str, Any] = field(default_factory=dict)
    # The Company the service was given, when it has one: listeners read what they need to
    # know about it (e.g. Company.webhooks_active) without a query.
    company: Any = None


@dataclass(frozen=True)
class RecordShareStatus:
    """How a record is shared in this company, for the badge and the Edit/Delete buttons."""

    label: str  # e.g. "Compartilhado · nº 3"
    can_update: bool = True
    can_delete: bool = True
    reason: str = ""  # why Edit or Delete is not allowed here
    url: str = ""  # a page about the share, if the user may open it
    # The registry's shared fields (names of catalog/services.py data); only those need
    # `can_update`: the others stay in this company and may be edited while
    # `can_update_local` holds (it does not while the company's activation runs).
    shared_fields: tuple[str, ...] = ()
    can_update_local: bool = True
    editors: tuple[str, ...] = ()  # the companies that may edit the shared fields
    locked_reason: str = ""  # why the shared fields are read-only here, for the edit form

    def locks(self, name: str) -> bool:
        """Whether this company may not change the shared field `name` (a data name)."""
        return not self.can_update_local or (not self.can_update and name in self.shared_fields)

    @property
    def attachments_locked(self) -> bool:
        return self.locks("attachments")

    @property
    def edit_scope(self) -> str:
        """What this company may do with the record, in a sentence."""
        if not self.can_update_local:
            return f"Esta empresa não pode alterá-lo agora: {self.reason}"
        if not self.can_update:
            return (
                "Ele é compartilhado pelo grupo e esta empresa não tem permissão de edição: nele, "
                "ela só pode alterar os campos que ficam nesta empresa (não compartilhados)."
            )
        return "Esta empresa pode editá-lo."


@dataclass(frozen=True)
class MemberSync:
    """Where one member company stands with a shared record's latest version."""

    company: str  # its name (trade name, else legal name)
    state: Literal["applied", "pending", "failed"]
    reason: str = ""  # why it failed, in pt-BR
    is_self: bool = False  # the company whose page asks


@dataclass(frozen=True)
class RecordSync:
    """The propagation state of one shared record, for its page."""

    version: int
    members: tuple[MemberSync, ...]  # every active member of the share
    url: str = ""  # the share's page

    @property
    def others(self) -> list[MemberSync]:
        return [m for m in self.members if not m.is_self]

    @property
    def pending(self) -> list[MemberSync]:
        return [m for m in self.members if m.state == "pending"]

    @property
    def failed(self) -> list[MemberSync]:
        return [m for m in self.members if m.state == "failed"]


@dataclass(frozen=True)
class CreateStatus:
    """Whether this company may include new records of a registry, and why not."""

    can_create: bool
    reason: str = ""


@dataclass(frozen=True)
class BulkWrite:
    """Many rows of one company written together by set-based SQL (activation, the sharing
    engine's batched apply), where no RecordWrite is made per row. Listeners that need the
    rows read them by id, set-based too; they run inside the writing transaction and do
    their own side effects on commit. Deletions are never bulk: each goes through
    catalog/services.py and notify_write."""

    registry: Registry
    company_id: int
    created_ids: tuple[int, ...]
    updated_ids: tuple[int, ...]
    source: str  # "sharing" for the engine's writes


WriteListener = Callable[[RecordWrite], None]
BulkWriteListener = Callable[[BulkWrite], None]
# (company_id, registry, local_id) -> the record's propagation state, None when not shared.
RecordSyncProvider = Callable[[int, Registry, int], "RecordSync | None"]
CodeSuggester = Callable[[int], "str | None"]
# (company_id, registry, local_ids) -> {local_id: status}, for shared rows only.
RecordStatusProvider = Callable[[int, Registry, "list[int]"], "dict[int, RecordShareStatus]"]
# (company_id, registry) -> a status, or None when nothing restricts inclusion.
CreateStatusProvider = Callable[[int, Registry], "CreateStatus | None"]
# (the delete write, the record's full copy from catalog.copies) -> None: keeps the copy.
DeletionKeeper = Callable[[RecordWrite, dict[str, Any]], None]

_write_listeners: list[WriteListener] = []
_bulk_write_listeners: list[BulkWriteListener] = []
_code_suggesters: list[CodeSuggester] = []
_record_status_providers: list[RecordStatusProvider] = []
_create_status_providers: list[CreateStatusProvider] = []
_record_sync_providers: list[RecordSyncProvider] = []
_deletion_keepers: list[DeletionKeeper] = []


def register_write_listener(listener: WriteListener) -> None:
    if listener not in _write_listeners:
        _write_listeners.append(listener)


def register_bulk_write_listener(listener: BulkWriteListener) -> None:
    if listener not in _bulk_write_listeners:
        _bulk_write_listeners.append(listener)


def register_code_suggester(suggester: CodeSuggester) -> None:
    """A suggester returns the next product code for a company, or None to pass."""
    if suggester not in _code_suggesters:
        _code_suggesters.append(suggester)


def register_record_status_provider(provider: RecordStatusProvider) -> None:
    """A provider answers for many rows with a constant number of queries."""
    if provider not in _record_status_providers:
        _record_status_providers.append(provider)


def register_create_status_provider(provider: CreateStatusProvider) -> None:
    if provider not in _create_status_providers:
        _create_status_providers.append(provider)


def register_record_sync_provider(provider: RecordSyncProvider) -> None:
    if provider not in _record_sync_providers:
        _record_sync_providers.append(provider)


def register_deletion_keeper(keeper: DeletionKeeper) -> None:
    if keeper not in _deletion_keepers:
        _deletion_keepers.append(keeper)


def notify_write(write: RecordWrite) -> None:
    for listener in list(_write_listeners):
        listener(write)


def notify_bulk_write(write: BulkWrite) -> None:
    """Called by set-based writers after their statements, inside their transaction."""
    if not (write.created_ids or write.updated_ids):
        return
    for listener in list(_bulk_write_listeners):
        listener(write)


def keep_deleted(write: RecordWrite, copy: dict[str, Any]) -> None:
    """Hand the full copy of a record about to be deleted to the keepers, inside the
    deletion's transaction (a keeper's failure undoes the deletion)."""
    if not _deletion_keepers:
        raise ImproperlyConfigured(
            "No deletion keeper is registered (the sharing app keeps deleted records): refusing to "
            "delete a record whose copy nobody would keep."
        )
    for keeper in list(_deletion_keepers):
        keeper(write, copy)


def suggest_code(company_id: int) -> str | None:
    for suggester in list(_code_suggesters):
        code = suggester(company_id)
        if code:
            return code
    return None


def record_statuses(company_id: int, registry: Registry, local_ids: list[int]) -> dict[int, RecordShareStatus]:
    """The share status of each of these rows that is shared; rows not in the dict are local."""
    statuses: dict[int, RecordShareStatus] = {}
    if not local_ids:
        return statuses
    for provider in list(_record_status_providers):
        for local_id, status in provider(company_id, registry, list(local_ids)).items():
            statuses.setdefault(local_id, status)
    return statuses


def create_status(company_id: int, registry: Registry) -> CreateStatus:
    """The first refusal any provider reports, or "may create"."""
    for provider in list(_create_status_providers):
        status = provider(company_id, registry)
        if status is not None and not status.can_create:
            return status
    return CreateStatus(can_create=True)


def record_sync(company_id: int, registry: Registry, local_id: int) -> RecordSync | None:
    """How far the group got with this row's latest shared version; None when not shared."""
    for provider in list(_record_sync_providers):
        sync = provider(company_id, registry, local_id)
        if sync is not None:
            return sync
    return None
