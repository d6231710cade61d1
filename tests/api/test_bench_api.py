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


@pytest.mark.django_db(transaction=True)
def test_the_lote_benchmark_prints_each_ratio_and_leaves_nothing_behind():
    from django_q.models import OrmQ

    from sharing.models import Change, Share

    out = StringIO()

    call_command("bench_api_lote", size=2, runs=1, seed=3, stdout=out)

    report = out.getvalue()
    assert "test client, alone: 2 calls vs 1 lote of 2" in report
    assert "test client, sharing with 1 company" in report
    for call in ("IncluirProduto", "UpsertProduto", "IncluirCliente", "UpsertCliente"):
        assert report.count(call) == 2
    assert report.count("×") == 8
    assert not Company.objects.exists() and not Product.objects.exists() and not Party.objects.exists()
    assert not Share.objects.exists() and not Change.objects.exists() and not OrmQ.objects.exists()
