"""At most N concurrent requests per app_key and call, across every web process.

PostgreSQL: N session-level advisory locks per (app_key, call); a request holds the first
free one until it answers, and is refused when all are taken. A crashed process drops its
connection and with it its lock, so a slot is never lost. SQLite (first-run default, one
process) uses an in-process counter.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection

MAX_CONCURRENT = 4

_local_lock = threading.Lock()
_local_counts: dict[str, int] = {}


def slot_key(app_key: str, call: str, slot: int) -> str:
    return f"omie-api:{app_key}:{call}:{slot}"


@contextmanager
def request_slot(app_key: str, call: str) -> Iterator[bool]:
    """Yield True while holding one of the slots of (app_key, call), False if all are busy."""
    if connection.vendor == "postgresql":
        held = None
        with connection.cursor() as cursor:
            for slot in range(MAX_CONCURRENT):
                cursor.execute(
                    "SELECT pg_try_advisory_lock(hashtextextended(%s, 0))", [slot_key(app_key, call, slot)]
                )
                if cursor.fetchone()[0]:
                    held = slot
                    break
        try:
            yield held is not None
        finally:
            if held is not None:
                with connection.cursor() as cursor:
                    cursor.execute(
                        "SELECT pg_advisory_unlock(hashtextextended(%s, 0))", [slot_key(app_key, call, held)]
                    )
        return
    key = f"{app_key}:{call}"
    with _local_lock:
        acquired = _local_counts.get(key, 0) < MAX_CONCURRENT
        if acquired:
            _local_counts[key] = _local_counts.get(key, 0) + 1
    try:
        yield acquired
    finally:
        if acquired:
            with _local_lock:
                _local_counts[key] -= 1
