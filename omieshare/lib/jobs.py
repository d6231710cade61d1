"""The one way background work is enqueued: django-q2's async_task, after commit.

django-q2 is a trigger, not the source of truth (see docs/JOBS.md): the state of
every job lives in our own tables and every task is idempotent, so a lost or repeated
enqueue is harmless; a periodic schedule re-enqueues what was left behind.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import transaction
from django_q.conf import Conf
from django_q.tasks import async_task

# The jobs committed inside `enqueued_together()`, waiting to be sent: (task, arguments,
# group, queue: None for the engine's, settings.WEBHOOKS_QUEUE…); None outside it.
Job = tuple[str, tuple, str | None, str | None]
_held: ContextVar[list[Job] | None] = ContextVar("held_jobs", default=None)


def enqueue_on_commit(func_path: str, *args: int | str, group: str | None = None) -> None:
    """Run `func_path(*args)` in a worker once the current transaction commits.

    Arguments are primary keys or plain strings, never model instances.
    """

    def _enqueue() -> None:
        send_now_or_held(func_path, args, group=group)

    transaction.on_commit(_enqueue)


def enqueue_once_on_commit(func_path: str, *args: int | str, unless: Callable[[], bool] | None = None) -> None:
    """enqueue_on_commit, sent once per `enqueued_together()` block however many of its
    transactions ask (a lote of 50 edits of one share sends one batch task, not 50).
    `unless`, called after the commit (once per block), says the task need not be sent:
    one already waits in the queue."""

    def _enqueue() -> None:
        held = _held.get()
        if held is not None and (func_path, args, None, None) in held:
            return
        if unless is not None and unless():
            return
        send_now_or_held(func_path, args)

    transaction.on_commit(_enqueue)


def send_now_or_held(func_path: str, args: tuple, *, group: str | None = None, queue: str | None = None) -> None:
    """Send the task now, or, inside `enqueued_together()`, with the block's other jobs.
    `queue`: another queue than the engine's (django-q2's cluster name, e.g.
    settings.WEBHOOKS_QUEUE)."""
    held = _held.get()
    if held is not None:
        held.append((func_path, args, group, queue))
    else:
        async_task(func_path, *args, group=group, cluster=queue)


@contextmanager
def enqueued_together() -> Iterator[None]:
    """Send the jobs that the transactions inside commit when the block ends, in one
    database transaction, instead of one by one as each on-commit callback runs.

    Outside a transaction, django-q2's ORM broker closes the web process's database
    connection before each enqueue (`close_old_connections()`, which with CONN_MAX_AGE=0
    always closes) and the next query reconnects: ~7 ms per job, so 50 records of a lote
    paid 50 reconnections. Inside one transaction it does not, and the jobs are one
    commit. The jobs, their arguments and their order are the same; each is still sent
    only after its transaction committed (a rolled-back savepoint drops its jobs, as
    Django drops its on-commit callbacks). With `Q_SYNC` the tasks run inline, each on
    its own as without this block."""
    if _held.get() is not None:  # nested: the outer block sends them
        yield
        return
    held: list[Job] = []
    token = _held.set(held)
    try:
        yield
    finally:
        # Also when the block raised: what committed before the error must still run.
        _held.reset(token)
        _send(held)


def _send(jobs: list[Job]) -> None:
    if not jobs:
        return
    if Conf.SYNC:
        for func_path, args, group, queue in jobs:
            async_task(func_path, *args, group=group, cluster=queue)
        return
    with transaction.atomic():
        for func_path, args, group, queue in jobs:
            async_task(func_path, *args, group=group, cluster=queue)
