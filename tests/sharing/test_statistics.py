"""Activation and preview first analyze catalog tables whose statistics lag behind a bulk
import: planned from an empty table's statistics, the canonical query once took 43 s for
3,000 products. Fresh statistics are left alone (an ANALYZE of 100,000 rows is not free)."""

from __future__ import annotations

import pytest
from django.db import connection

from sharing.canonical import refresh_stale_statistics
from tests.factories import CompanyFactory, ProductFactory

pytestmark = pytest.mark.django_db(transaction=True)  # statistics are only counted once committed


def _statistics(table: str) -> tuple:
    with connection.cursor() as cursor:
        # Our own counters reach the shared statistics at the end of a transaction; force it
        # now instead of within the next second, then read afresh rather than a cached copy.
        cursor.execute("SELECT pg_stat_force_next_flush()")
        cursor.execute("SELECT 1")
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT last_analyze, n_mod_since_analyze FROM pg_stat_user_tables WHERE relname = %s", [table]
        )
        return cursor.fetchone()


@pytest.fixture
def no_autovacuum():
    """Autovacuum analyzing the table behind the test's back would make it pass for nothing."""
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE catalog_product SET (autovacuum_enabled = false)")
    yield
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE catalog_product RESET (autovacuum_enabled)")


def test_it_analyzes_a_table_a_bulk_import_left_stale_and_leaves_fresh_ones_alone(no_autovacuum):
    company = CompanyFactory()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE catalog_product")
    analyzed_before, _ = _statistics("catalog_product")
    ProductFactory.create_batch(120, company=company)

    _, modified = _statistics("catalog_product")
    assert modified >= 120

    refresh_stale_statistics(["product"])

    analyzed_after, modified_after = _statistics("catalog_product")
    assert analyzed_after > analyzed_before
    assert modified_after == 0

    refresh_stale_statistics(["product"])

    assert _statistics("catalog_product")[0] == analyzed_after  # fresh: not analyzed again


def test_drift_detection_first_analyzes_the_links_an_activation_just_wrote():
    """Right after an activation the links' statistics still described an empty table, and
    drift detection (resync, sharing_status) took 65 s on the demo data instead of 0.6 s."""
    from sharing.resync import find_drift
    from tests.helpers import share_between

    origin, dest = CompanyFactory(), CompanyFactory()
    ProductFactory.create_batch(150, company=origin)
    share = share_between(origin, dest, registries=("product",))
    analyzed_before, modified = _statistics("sharing_recordlink")
    assert modified >= 150  # the destination's links, written after activation's last ANALYZE

    assert find_drift(share) == []

    analyzed_after, modified_after = _statistics("sharing_recordlink")
    assert analyzed_after > analyzed_before and modified_after == 0
