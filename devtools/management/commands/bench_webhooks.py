"""Benchmark of webhook events: how fast a bulk change makes them, what they add to a
write, and how fast one endpoint receives them.

    manage.py bench_webhooks [--records 20000] [--writes 200] [--deliver 2000]

Builds its own company with N products (set-based SQL: setup, not measured), one webhook
endpoint on a local receiver (an HTTP server in this process, on a free port; private
addresses are allowed for the run) and prints:

- events produced by a bulk change: `on_bulk_write` for N updated ids, in chunks of 1,000
  as activation's chunks are (one INSERT … SELECT each), events per second;
- what an event adds to one write: `product_update` through catalog/services.py without an
  endpoint (the baseline, measured in the same run) and with one; ms per write and ratio;
- delivery throughput: `deliver()` of D events to the local receiver (bodies built set-based
  per 50, signed, one POST each, in order), events per second.

Everything it created is deleted at the end. Run it against a scratch database.
"""

from __future__ import annotations

import statistics
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import connection, transaction

from catalog import hooks
from catalog import services as catalog_services
from companies import services as company_services
from companies.models import Company
from omieshare.lib.brazil import random_cnpj
from webhooks import services
from webhooks.models import ALL_TOPICS, Delivery

_PRODUCTS_SQL = """
INSERT INTO catalog_product (company_id, code, integration_code, description, unit, ncm, ean, price,
    origin, item_type, cest, characteristics, active, version, created_at, updated_at)
SELECT %(company)s, 'WH' || lpad(i::text, 7, '0'), 'INT-' || i, 'Produto ' || i || ' ação',
       'UN', '84713012', '', (i %% 10000) / 100.0, 0, '00', '', '[]'::jsonb, true, 1, now(), now()
FROM generate_series(1, %(n)s) AS i
"""
CHUNK = 1000


class _Quiet(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


class Command(BaseCommand):
    help = "Mede a produção de eventos de webhook e a entrega a um receptor local."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--records", type=int, default=20000)
        parser.add_argument("--writes", type=int, default=200)
        parser.add_argument("--deliver", type=int, default=2000)

    def handle(self, *args: Any, records: int, writes: int, deliver: int, **options: Any) -> None:
        settings.WEBHOOKS_ALLOW_PRIVATE = True  # the receiver is on 127.0.0.1
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Quiet)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{server.server_address[1]}/webhook"
        tag = uuid.uuid4().hex[:8]
        with transaction.atomic():
            company = company_services.company_create(cnpj=random_cnpj(), legal_name=f"Bench Webhooks {tag}",
                                                      trade_name=f"bench-webhooks-{tag}")
            with connection.cursor() as cursor:
                cursor.execute(_PRODUCTS_SQL, {"company": company.pk, "n": records})
        try:
            ids = list(company_products(company))
            baseline = self._writes(company, ids[:writes])
            endpoint = services.endpoint_create(company=company, url=url, topics=ALL_TOPICS)
            with_hook = self._writes(company, ids[:writes])
            Delivery.objects.filter(endpoint=endpoint).delete()
            self.stdout.write(
                f"One write (product_update, median of {writes}): {baseline:.2f} ms without an endpoint, "
                f"{with_hook:.2f} ms with one ({with_hook / baseline:.2f}×)"
            )
            self._bulk(company, ids)
            self._deliver(company, endpoint, deliver)
        finally:
            server.shutdown()
            with transaction.atomic():
                Delivery.objects.filter(company=company).delete()
                with connection.cursor() as cursor:
                    cursor.execute("DELETE FROM catalog_product WHERE company_id = %s", [company.pk])
                Company.objects.filter(pk=company.pk).delete()

    def _writes(self, company: Company, ids: list[int]) -> float:
        times = []
        for number, product_id in enumerate(ids):
            started = time.perf_counter()
            catalog_services.product_update(company=company, product_id=product_id,
                                            data={"price": f"{10 + number % 90}.{number % 100:02d}"}, source="command")
            times.append((time.perf_counter() - started) * 1000)
        return statistics.median(times)

    def _bulk(self, company: Company, ids: list[int]) -> None:
        started = time.perf_counter()
        for start in range(0, len(ids), CHUNK):
            with transaction.atomic():
                hooks.notify_bulk_write(hooks.BulkWrite(registry="product", company_id=company.pk, created_ids=(),
                                                        updated_ids=tuple(ids[start:start + CHUNK]),
                                                        source="sharing"))
        took = time.perf_counter() - started
        made = Delivery.objects.filter(company=company).count()
        self.stdout.write(f"Bulk change: {made} events from {len(ids)} updated rows in {took:.2f} s "
                          f"({made / took:,.0f} events/s, chunks of {CHUNK})")

    def _deliver(self, company: Company, endpoint, count: int) -> None:
        pending = Delivery.objects.filter(endpoint=endpoint, status=Delivery.Status.PENDING).order_by("pk")
        keep = list(pending.values_list("pk", flat=True)[:count])
        pending.exclude(pk__in=keep).delete()
        settings.WEBHOOKS_TURN_SECONDS = 3600
        started = time.perf_counter()
        services.deliver(endpoint.pk)
        took = time.perf_counter() - started
        sent = Delivery.objects.filter(endpoint=endpoint, status=Delivery.Status.DELIVERED).count()
        self.stdout.write(f"Delivery to a local receiver: {sent} events in {took:.2f} s ({sent / took:,.0f} events/s, "
                          "one endpoint, in order, bodies built per 50)")


def company_products(company: Company) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM catalog_product WHERE company_id = %s ORDER BY id", [company.pk])
        return [row[0] for row in cursor.fetchall()]
