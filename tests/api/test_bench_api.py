"""manage.py bench_api: builds its own company, times the calls, cleans up."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from catalog.models import Party, Product
from companies.models import Company


@pytest.mark.django_db(transaction=True)
def test_it_times_the_calls_and_leaves_nothing_behind():
    out = StringIO()

    call_command("bench_api", records=300, runs=1, stdout=out)

    report = out.getvalue()
    assert "ListarProdutos página 1 (500)" in report and "AlterarCliente" in report
    assert "página 150" not in report  # 300 records have no page 150
    assert not Company.objects.exists() and not Product.objects.exists() and not Party.objects.exists()
