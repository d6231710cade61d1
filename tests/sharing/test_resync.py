"""Drift (a row edited behind the engine's back) found, listed, repaired, and then gone."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection

from catalog import services as catalog_services
from catalog.models import Party, Product
from sharing import services
from sharing.models import AuditEntry, Share
from sharing.resync import find_drift
from tests.factories import CompanyFactory
from tests.sharing.conftest import make_party, make_product, party_in, product_in, share_between

DOC_A = "11222333000181"


@pytest.fixture
def drifted():
    origin = CompanyFactory(trade_name="Matriz")
    dest = CompanyFactory(trade_name="Filial")
    family = catalog_services.family_create(company=origin, name="Bebidas")
    make_product(origin, "A1", "Água", price="3.00", family=family.pk)
    make_product(origin, "B2", "Bala", price="1.00")
    make_party(origin, DOC_A, "ACME Ltda", city="Campinas")
    share = share_between(origin, dest)
    assert find_drift(share) == []
    # Hand edits straight into the database, as a support script or a DBA might.
    Product.objects.filter(company=dest, code="A1").update(description="Editado à mão", price="9.99")
    Party.objects.filter(company=dest, cnpj_cpf=DOC_A).update(city="Manaus")
    return share, origin, dest


@pytest.mark.django_db
def test_it_finds_rows_edited_behind_the_engines_back(drifted):
    share, _origin, dest = drifted

    drift = {(d.registry, d.local_id): d.fields for d in find_drift(share)}

    assert drift == {
        ("product", product_in(dest, "A1").pk): ("description", "price"),
        ("party", party_in(dest, DOC_A).pk): ("city",),
    }
    assert find_drift(share, dest.pk) == find_drift(share)
    assert [d.company_id for d in find_drift(share)] == [dest.pk, dest.pk]


@pytest.mark.django_db
def test_it_lists_drift_in_a_dry_run_without_fixing_it(drifted):
    share, _origin, dest = drifted
    out = io.StringIO()

    call_command("resync", "--share", share.pk, "--dry-run", stdout=out)

    text = out.getvalue()
    assert "2 divergência(s) encontrada(s)" in text
    assert f"empresa {dest.pk} product nº {product_in(dest, 'A1').pk}: description, price" in text
    assert f"empresa {dest.pk} party nº {party_in(dest, DOC_A).pk}: city" in text
    assert product_in(dest, "A1").description == "Editado à mão"
    assert len(find_drift(share)) == 2


@pytest.mark.django_db(transaction=True)
def test_it_repairs_drift_and_then_finds_nothing(drifted):
    share, origin, dest = drifted
    out = io.StringIO()

    call_command("resync", "--share", share.pk, stdout=out)

    assert "Corrigidas: 2 de 2" in out.getvalue()
    repaired = product_in(dest, "A1")
    assert (repaired.description, str(repaired.price), repaired.family.name) == ("Água", "3.00", "Bebidas")
    assert party_in(dest, DOC_A).city == "Campinas"
    assert product_in(origin, "A1").description == "Água"  # the origin is untouched
    assert find_drift(share) == []
    assert AuditEntry.objects.filter(share=share, action="resync", detail__contains="2 corrigidas").exists()

    again = io.StringIO()
    call_command("resync", "--share", share.pk, stdout=again)
    assert "0 divergência(s) encontrada(s)" in again.getvalue()


@pytest.mark.django_db
def test_it_shows_drift_in_the_status_command(drifted):
    share, _origin, dest = drifted
    out = io.StringIO()

    call_command("sharing_status", "--share", share.pk, stdout=out)

    text = out.getvalue()
    assert f"Compartilhamento nº {share.pk}" in text
    dest_line = next(line for line in text.splitlines() if dest.display_name in line)
    assert "divergências: 2" in dest_line and "vínculos:       3" in dest_line


@pytest.mark.django_db
def test_the_status_command_reports_links_left_by_a_delete_behind_djangos_back(drifted):
    share, _origin, dest = drifted
    quiet = io.StringIO()
    call_command("sharing_status", "--share", share.pk, stdout=quiet)
    assert "órfãos" not in quiet.getvalue()
    # The engine's links are not database foreign keys: a raw delete of a shared record
    # goes through, and leaves its links pointing at nothing.
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM sharing_sharedrecord WHERE id = (SELECT min(id) FROM sharing_sharedrecord "
            "WHERE share_id = %s AND registry = 'product')",
            [share.pk],
        )
    out = io.StringIO()

    call_command("sharing_status", "--share", share.pk, stdout=out)

    assert "Registros órfãos (apagados fora do sistema): vínculos sem cadastro compartilhado: 2" in out.getvalue()


@pytest.mark.django_db
def test_resync_refuses_a_company_that_is_not_active_in_the_share(drifted):
    share, _origin, _dest = drifted
    outsider = CompanyFactory(trade_name="Outra")

    with pytest.raises(ValidationError, match="não é uma empresa ativa do compartilhamento"):
        services.resync_start(share=share, company=outsider)
    with pytest.raises(CommandError, match="não é uma empresa ativa do compartilhamento"):
        call_command("resync", "--share", share.pk, "--company", outsider.cnpj, stdout=io.StringIO())
    assert not share.jobs.filter(kind="resync").exists()


@pytest.mark.django_db
def test_resync_refuses_a_share_that_is_not_active(drifted):
    share, _origin, _dest = drifted
    Share.objects.filter(pk=share.pk).update(status=Share.Status.DISSOLVED)
    share.refresh_from_db()

    with pytest.raises(ValidationError, match="Só um compartilhamento ativo pode ser ressincronizado"):
        services.resync_start(share=share)
    with pytest.raises(CommandError, match="Só um compartilhamento ativo"):
        call_command("resync", "--share", share.pk, stdout=io.StringIO())
