"""manage.py bench_propagation (issue 13): its lag measurement on real shares, its report,
and a tiny run on the real stack (gunicorn + qcluster against the test database)."""

from __future__ import annotations

import os
from collections import Counter
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from catalog import services as catalog_services
from devtools import benchkit as kit
from devtools.management.commands.bench_propagation import (
    Bulk,
    Edit,
    Figures,
    Phase,
    read_versions,
    report,
    settle,
)
from sharing.models import RecordLink, SharedRecord
from tests.helpers import apply_pending, make_trio, product_in


@pytest.mark.django_db
def test_an_edit_is_awaited_until_every_member_holds_its_version():
    share, origin, leaving, staying = make_trio(("product",))
    shared = SharedRecord.objects.get(share=share, registry="product")
    local = RecordLink.objects.get(shared_record=shared, company=leaving).local_id
    catalog_services.product_update(company=leaving, product_id=local,
                                    data={"price": Decimal("4.50")}, source="api")
    edit = Edit(shared.pk, answered=100.0)

    waiting = settle([edit], read_versions([shared.pk]), now=100.4)

    assert waiting == [edit] and edit.target == 2 and edit.visible is None
    apply_pending()  # what the worker does: origin and the other branch get version 2
    assert product_in(staying, "A1").price == Decimal("4.50")

    waiting = settle(waiting, read_versions([shared.pk]), now=100.7)

    assert waiting == [] and edit.lag == pytest.approx(0.7)


@pytest.mark.django_db
def test_an_edit_superseded_before_it_was_seen_waits_for_the_newer_version():
    share, origin, leaving, staying = make_trio(("product",))
    shared = SharedRecord.objects.get(share=share, registry="product")
    first = Edit(shared.pk, answered=10.0)
    for company, price in ((origin, "5.00"), (origin, "6.00")):
        catalog_services.product_update(company=company, product_id=product_in(company, "A1").pk,
                                        data={"price": Decimal(price)}, source="api")

    settle([first], read_versions([shared.pk]), now=10.1)

    assert first.target == 3  # the record's version when first seen: 6,00 includes 5,00
    apply_pending()
    assert settle([first], read_versions([shared.pk]), now=10.3) == []


def _cmdline(pid: int) -> str:
    try:
        return open(f"/proc/{pid}/cmdline", "rb").read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _is_ours(pid: int) -> bool:
    """A process the bench starts: gunicorn or a `manage.py qcluster`."""
    command = _cmdline(pid)
    return "gunicorn" in command or "manage.py" in command


def _phase(clients: int, lags: list[float], **fields) -> Phase:
    phase = Phase(clients=clients, seconds=60.0, **fields)
    phase.edits = [Edit(1, answered=0.0, target=2, visible=lag) for lag in lags]
    phase.latencies = [0.010, 0.020, 0.030, 0.200]
    return phase


def test_the_report_marks_each_target():
    figures = Figures(products=100_000, parties=100_000, destinations=3, web_workers=4, q_workers=2,
                      broker="Redis", shared={"product": 100_000, "party": 98_000}, activation_s=30.0,
                      activation_rss=(350.0, 70.0, 110.0))
    figures.phases = [
        _phase(1, [0.1] * 99 + [0.5], drained_s=0.2, rss_sum_mb=360.0, rss_max_mb=80.0),
        _phase(32, [0.3] * 98 + [2.5, 3.0], backlog_edits=40, backlog_changes=38, drained_s=4.1,
               refusals=Counter({"10": 7}), rss_sum_mb=420.0, rss_max_mb=95.0, pss_mb=405.0),
    ]
    figures.bulk = Bulk(records=100_000, lotes=2000, clients=4, api_s=200.0, visible_s=600.0, engine_s=100.0)

    text = report(figures)

    assert "| 1 | 1.7 | 20 ms | 200 ms | 0.10 s | 0.10 s | 0 edits, 0 changes | 0.20 s | 0 |" in text
    assert "| 32 | 1.7 |" in text and "| 40 edits, 38 changes | 4.10 s | 7 (7× 10) | 420 MB (max 95, PSS 405) |" in text
    # 198,000 × 3 in 30 s = 19,800/s; the bulk: 100,000 × 3 in 600 s = 500/s.
    assert "= 19,800/s" in text and "500 records×destinations/s end to end = 0.025× activation" in text
    # The engine alone: 300,000 copies in 100 s = 3,000/s = 0.152× the activation's 19,800/s.
    assert "3,000 records×destinations/s = 0.152× activation" in text
    assert "- FAIL: lag p99 < 2 s at every C — worst 2.50 s at C=32" in text
    assert "- FAIL: backlog drained ≤ 2 s after the load stops — worst 4.10 s at C=32" in text
    assert "- FAIL: bulk propagates ≥ 0.5× activation throughput (the engine) — 0.152×" in text
    # Memory is judged on PSS: summed RSS counts the pages the forked processes share per process.
    assert "- FAIL: worker memory < 400 MB — 405 MB summed PSS" in text
    figures.phases[1].pss_mb = 230.0
    assert "- PASS: worker memory < 400 MB — 230 MB summed PSS of the qcluster tree (largest process 95 MB RSS; " \
           "summed RSS 420 MB" in report(figures)
    assert kit.percentile([0.5, 0.1, 0.3], 0.5) == 0.3 and kit.percentile([], 0.5) != kit.percentile([], 0.5)


@pytest.mark.django_db(transaction=True)
def test_a_tiny_run_on_the_real_stack_measures_every_phase_and_stops_its_processes():
    out = StringIO()
    # Processes earlier tests of this session left running (a browser, say) are theirs.
    before = set(kit._descendants(os.getpid()))

    call_command("bench_propagation", in_place=True, products=50, parties=50, destinations=1, clients="2",
                 seconds=1.5, web_workers=1, q_workers=1, bulk_clients=1, with_endpoint=True, stdout=out)

    text = out.getvalue()
    assert "50 products + 49 clients/suppliers shared, 1 destinations" in text
    row = next(line for line in text.splitlines() if line.startswith("| 2 |"))
    edits_per_second = float(row.split("|")[2])
    assert edits_per_second > 0 and "not drained" not in text and "never visible" not in text
    assert "Bulk: 50 product prices in 1 UpsertProdutosPorLote of 50 (1 clients)" in text
    assert "0 records refused" in text and "visible in every member after" in text
    assert "Refusal 105" not in text  # the generated records are valid ones
    assert "gunicorn stopped" in text and "qcluster stopped" in text
    # --with-endpoint: each company's webhook heard its writes (the edits, the bulk, what sharing applied).
    delivered = next(line for line in text.splitlines() if "deliveries received" in line)
    assert int(delivered.split("webhooks: ")[1].split()[0].replace(",", "")) > 0, delivered
    # No server or worker left behind (a browser of an earlier test may start a helper meanwhile).
    left = [pid for pid in set(kit._descendants(os.getpid())) - before if _is_ours(pid)]
    assert left == [], [_cmdline(pid) for pid in left]
