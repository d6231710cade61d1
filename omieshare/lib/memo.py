"""Facts that one API request reads once, instead of once for each record it writes.

Every catalog write asks the same questions about its company: is the "validação de
unicidade" on (catalog.services), and in which share is the company a member, with which
permissions and state (sharing.selectors.member_for). A lote of 50 records asked each one 50
times. Inside `memoized_reads()` (api.views opens it around each call, inside the call's
transaction) the first answer is kept and given again until the block ends.

Nothing a request can observe changes:
- The block is one transaction, and it commits all its records together on what its first
  record read: the later records reading the same answer is no older a view than the first
  record already commits on. A change committed by someone else meanwhile (a permission, a
  removal, the setting) is seen by the next request, as it is now.
- What is kept is written only by pages, the admin, commands and sharing jobs (company
  settings, share configuration and activation), never by an API call or by the catalog
  write path its records go through; so nothing inside the block makes a kept answer wrong.
Outside the block every read goes to the database, as before.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TypeVar

T = TypeVar("T")

# The answers kept by the innermost `memoized_reads()`; None outside one.
_kept: ContextVar[dict[Hashable, object] | None] = ContextVar("memoized_reads", default=None)


@contextmanager
def memoized_reads() -> Iterator[None]:
    """Keep the answers of `read_once` until the block ends (a nested block shares them)."""
    if _kept.get() is not None:
        yield
        return
    token = _kept.set({})
    try:
        yield
    finally:
        _kept.reset(token)


def read_once(key: Hashable, read: Callable[[], T]) -> T:
    """`read()`, or inside `memoized_reads()` the answer it gave for `key` the first time.

    `key` names the fact and everything it depends on, e.g. ("share member", company_id,
    registry). A kept answer is shared by its callers: they must not change it."""
    kept = _kept.get()
    if kept is None:
        return read()
    if key not in kept:
        kept[key] = read()
    return kept[key]  # type: ignore[return-value]
