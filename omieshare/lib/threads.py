"""Set-based work spread over database connections: each task in a thread of its own."""

from __future__ import annotations

import threading
from collections.abc import Callable

from django.db import connection


def run_in_threads(tasks: list[Callable[[], None]], *, name: str) -> None:
    """Run the tasks at once, each in its own thread and so its own database connection
    (closed when the task ends), and wait for all of them. The first error raised by a task
    is raised again here, in the caller's thread, once every thread has ended.

    PostgreSQL runs one statement on one core: two connections use a 2-core machine's both.
    Inside a caller's transaction the other connections would not see its rows, so callers
    only do this outside one (`connection.in_atomic_block`).
    """
    errors: list[BaseException] = []

    def run(task: Callable[[], None]) -> None:
        try:
            task()
        except BaseException as error:  # noqa: BLE001 — re-raised in the caller's thread
            errors.append(error)
        finally:
            connection.close()

    workers = [threading.Thread(target=run, args=(task,), name=f"{name}-{n}") for n, task in enumerate(tasks)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    if errors:
        raise errors[0]
