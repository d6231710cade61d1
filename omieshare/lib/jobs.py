"""The one way background work is enqueued: django-q2's async_task, after commit.

django-q2 is a trigger, not the source of truth (see docs/JOBS.md): the state of
every job lives in our own tables and every task is idempotent, so a lost or repeated
enqueue is harmless; a periodic schedule re-enqueues what was left behind.
"""

from __future__ import annotations

from django.db import transaction
from django_q.tasks import async_task


def enqueue_on_commit(func_path: str, *args: int | str, group: str | None = None) -> None:
    """Run `func_path(*args)` in a worker once the current transaction commits.

    Arguments are primary keys or plain strings, never model instances.
    """

    def _enqueue() -> None:
        async_task(func_path, *args, group=group)

    transaction.on_commit(_enqueue)
