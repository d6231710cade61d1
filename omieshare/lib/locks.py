"""Transaction-scoped locks for rules the database cannot express as a constraint."""

from __future__ import annotations

from django.db import connection


def advisory_xact_lock(*key_parts: object) -> None:
    """Serialise transactions that touch the same logical key until they commit.

    Used for "validação de unicidade": two requests creating the same CNPJ at once would
    both see no duplicate and both insert. PostgreSQL holds the lock to the end of the
    transaction. SQLite (first-run default) already serialises writers, so nothing to do.
    """
    if connection.vendor != "postgresql":
        return
    key = ":".join(str(part) for part in key_parts)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [key])
