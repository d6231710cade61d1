"""The extension point of catalog writes, through which sharing sees every change.

`catalog/services.py` calls `notify_write()` inside the transaction of every create,
update and delete of a party or product, after the local row is written. A listener may
raise `WriteRefused` (or `ValidationError`) to refuse the write: the transaction then rolls
back and nothing is saved. Listeners must do their own side effects on commit.

The dependency points one way: sharing registers itself here in its AppConfig.ready();
catalog never imports sharing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

Registry = Literal["party", "product"]
Action = Literal["create", "update", "delete"]


@dataclass(frozen=True)
class RecordWrite:
    registry: Registry
    action: Action
    company_id: int
    record: Any  # Party or Product, as saved
    before: dict[str, Any] | None  # values before the write (None on create)
    after: dict[str, Any]  # values after the write
    changed_fields: tuple[str, ...]
    actor_id: int | None
    source: str  # "web", "admin", "command", "api", "sharing", ...
    base_version: int | None = None  # the local version the edit was based on, if known
    extra: dict[str, Any] = field(default_factory=dict)


WriteListener = Callable[[RecordWrite], None]
CodeSuggester = Callable[[int], "str | None"]

_write_listeners: list[WriteListener] = []
_code_suggesters: list[CodeSuggester] = []


def register_write_listener(listener: WriteListener) -> None:
    if listener not in _write_listeners:
        _write_listeners.append(listener)


def register_code_suggester(suggester: CodeSuggester) -> None:
    """A suggester returns the next product code for a company, or None to pass."""
    if suggester not in _code_suggesters:
        _code_suggesters.append(suggester)


def notify_write(write: RecordWrite) -> None:
    for listener in list(_write_listeners):
        listener(write)


def suggest_code(company_id: int) -> str | None:
    for suggester in list(_code_suggesters):
        code = suggester(company_id)
        if code:
            return code
    return None
