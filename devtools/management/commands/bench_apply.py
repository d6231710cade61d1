"""Benchmark of the batched apply against one change at a time, in the same run.

    manage.py bench_apply [--products 1000] [--members 3] [--batch 1000] [--new 200] [--keep] [--seed N]

An origin shares `--products` products with `--members` other companies (activated in
this process). Then, twice, every product's price is edited in the origin through
catalog/services.py (one accepted change each, as an integration's price push makes):

- the first time the changes are applied as before, one `propagation.apply_change` each;
- the second time by `batch_apply.apply_pending` (batches of `--batch` changes).

Then the same for `--new` products created in the origin (inclusions), twice.

For each it prints the wall time, the statements sent (Django's query log), per change
and per (change × member), the statements per batch, and the ratio old ÷ batched; and it
checks that every member holds the group's values afterwards (drift detection). No
worker runs: the tasks the edits queue are removed at the end with the companies, unless
`--keep`. Run it against a scratch database with DEBUG off.
"""

from __future__ import annotations

import math
import random
import time
import uuid
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from catalog import services as catalog_services
from catalog.models import Product
from companies import services as company_services
from companies.models import Company, CompanyGroup
from omieshare.lib.brazil import random_cnpj
from sharing import batch_apply, propagation
from sharing import services as sharing_services
from sharing.models import Change, Share
from sharing.resync import find_drift
from sharing.services import Permissions
from sharing.tasks import run_sync_job


class Command(BaseCommand):
    help = "Batched apply vs one change at a time: time and statements, same run."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--products", type=int, default=1000)
        parser.add_argument("--members", type=int, default=3, help="companies receiving the changes")
        parser.add_argument("--batch", type=int, default=batch_apply.BATCH_SIZE)
        parser.add_argument("--new", type=int, default=200, help="new products per inclusion round (0: none)")
        parser.add_argument("--keep", action="store_true")
        parser.add_argument("--seed", type=int, default=13)

    def handle(self, *args: Any, products: int, members: int, batch: int, new: int, keep: bool, seed: int,
               **options: Any) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("bench_apply needs PostgreSQL.")
        if settings.DEBUG:
            self.stdout.write("DEBUG is on: every query is also logged; run with DEBUG=0 for production figures.")
        self.rng = random.Random(seed)
        self.tag = uuid.uuid4().hex[:8]
        self.group = company_services.group_get_or_create(name=f"Bench apply {self.tag}")
        batch_apply.BATCH_SIZE = batch
        self.created = 0
        try:
            share, origin = self._setup(products, members)
            pairs = products * members
            old = self._round(origin, "one change at a time (apply_change)",
                              lambda ids: [propagation.apply_change(pk) for pk in ids], share, pairs)
            new_round = self._round(origin, f"batched (apply_pending, batches of {batch})",
                              lambda ids: batch_apply.apply_pending(share.pk), share, pairs,
                              batches=math.ceil(products / batch))
            batched = new_round
            self.stdout.write(
                f"\nRatio old ÷ batched, price edits: time {old[0] / batched[0]:.1f}x, "
                f"statements {old[1] / max(batched[1], 1):.1f}x ({products} products × {members} members)"
            )
            if new:
                old = self._round(origin, "inclusions one at a time (apply_change)",
                                  lambda ids: [propagation.apply_change(pk) for pk in ids], share, new * members,
                                  create=new)
                batched = self._round(origin, "inclusions batched (apply_pending)",
                                      lambda ids: batch_apply.apply_pending(share.pk), share, new * members,
                                      batches=math.ceil(new / batch), create=new)
                self.stdout.write(
                    f"\nRatio old ÷ batched, inclusions: time {old[0] / batched[0]:.1f}x, "
                    f"statements {old[1] / max(batched[1], 1):.1f}x ({new} new products × {members} members)"
                )
        finally:
            if keep:
                self.stdout.write(f"Kept group {self.group.pk} ({self.group.name}).")
            else:
                self._cleanup()

    def _company(self, label: str) -> Company:
        return company_services.company_create(
            cnpj=random_cnpj(self.rng), legal_name=f"Bench apply {label} {self.tag} Ltda",
            trade_name=f"bench-apply-{label}-{self.tag}", group=self.group,
        )

    def _setup(self, products: int, members: int) -> tuple[Share, Company]:
        origin = self._company("origem")
        destinations = [self._company(f"filial-{n}") for n in range(members)]
        Product.objects.bulk_create(
            Product(company=origin, code=f"B{self.tag[:4]}{n:07d}", description=f"Café torrado nº {n} – São João",
                    ncm="09012100", price=Decimal("12.50"))
            for n in range(products)
        )
        every = Permissions(can_create=True, can_update=True, can_delete=True)
        share = sharing_services.share_configure(origin=origin, registries=["product"], origin_permissions=every,
                                                 destinations=dict.fromkeys(destinations, every))
        started = time.perf_counter()
        job = sharing_services.share_activate(share=share, confirmed=True)
        run_sync_job(job.pk)
        self.stdout.write(f"Setup: {products} products shared with {members} companies "
                          f"(activation {time.perf_counter() - started:.1f} s).")
        return share, origin

    def _round(self, origin: Company, label: str, apply, share: Share, pairs: int,
               batches: int | None = None, create: int = 0) -> tuple[float, int]:
        ids = list(Product.objects.filter(company=origin).order_by("pk").values_list("pk", flat=True))
        first_change = (Change.objects.order_by("-pk").values_list("pk", flat=True).first() or 0)
        started = time.perf_counter()
        for _n in range(create):
            self.created += 1
            catalog_services.product_create(company=origin, source="api", data={
                "code": f"N{self.tag[:4]}{self.created:07d}", "description": f"Chá mate nº {self.created}",
                "ncm": "09030010", "price": f"{self.rng.randrange(100, 99_999) / 100:.2f}"})
        for pk in ids if not create else ():
            catalog_services.product_update(company=origin, product_id=pk, source="api",
                                            data={"price": f"{self.rng.randrange(100, 99_999) / 100:.2f}"})
        edits = time.perf_counter() - started
        changes = list(Change.objects.filter(share=share, pk__gt=first_change).order_by("pk")
                       .values_list("pk", flat=True))
        sent = [0]

        def count(execute, sql, params, many, context):
            sent[0] += 1
            return execute(sql, params, many, context)

        with connection.execute_wrapper(count):
            started = time.perf_counter()
            apply(changes)
            elapsed = (time.perf_counter() - started) * 1000
        statements = sent[0]
        left = Change.objects.filter(pk__in=changes).exclude(status=Change.Status.APPLIED).count()
        drift = len(find_drift(share))
        self.stdout.write(f"\n{label}: {len(changes)} changes (edits took {edits:.1f} s)")
        self.stdout.write(f"  apply: {elapsed:.0f} ms, {statements} statements; "
                          f"per change {elapsed / len(changes):.2f} ms, {statements / len(changes):.1f} statements; "
                          f"per change × member {elapsed / pairs:.3f} ms, {statements / pairs:.2f} statements")
        if batches:
            self.stdout.write(f"  {batches} batch(es): {statements / batches:.0f} statements per batch")
        self.stdout.write(f"  not applied: {left}; members differing from the group's values: {drift}")
        return elapsed, statements

    def _cleanup(self) -> None:
        from django_q.models import OrmQ

        companies = list(Company.objects.filter(group=self.group))
        shares = Share.objects.filter(members__company__in=companies).distinct()
        share_ids = set(shares.values_list("pk", flat=True))
        removed = 0
        for queued in OrmQ.objects.all():
            task = queued.task
            task_args = task.get("args") or ()
            if task.get("func") in ("sharing.tasks.apply_pending", "sharing.tasks.catch_up") and task_args \
                    and task_args[0] in share_ids:
                queued.delete()
                removed += 1
        with transaction.atomic():
            for share in shares:
                share.delete()
            for company in companies:
                company.delete()
            CompanyGroup.objects.filter(pk=self.group.pk).delete()
        self.stdout.write(f"\nCleanup: {len(companies)} companies and {removed} queued jobs removed.")
