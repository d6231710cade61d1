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
from sharing.models import AuditEntry, RecordLink, Share, Snapshot, SyncJob
from sharing.resync import find_drift
from sharing.tasks import run_sync_job
from tests.factories import CompanyFactory
from tests.helpers import make_party, make_product, party_in, product_in, share_between

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
    # Support reads company and record as they know them, never internal ids.
    where = f"Filial ({dest.cnpj_masked})"
    assert f"{where} · produto A1: descrição, preço unitário de venda" in text
    assert f"{where} · cliente 11.222.333/0001-81: cidade" in text
    assert f"empresa {dest.pk}" not in text and f"nº {product_in(dest, 'A1').pk}" not in text
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
    checked = RecordLink.objects.filter(shared_record__share=share).count()
    assert f"Nenhuma divergência: todos os {checked} cadastros conferem." in again.getvalue()


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


def resync(share: Share) -> SyncJob:
    """Queue a resync and run it here, as a worker would."""
    job = services.resync_start(share=share)
    run_sync_job(job.pk)
    job.refresh_from_db()
    return job


@pytest.fixture
def code_taken(drifted):
    """A hand edit moved the shared product A1's code away in the member, and a product
    imported by hand took the code: resync cannot give A1 its code back."""
    share, origin, dest = drifted
    Product.objects.filter(company=dest, code="A1").update(code="A1-ANTIGO")
    Product.objects.create(company=dest, code="A1", description="Água importada à mão", ncm="22011000",
                           price="2.50")
    return share, origin, dest


@pytest.mark.django_db(transaction=True)
def test_it_exits_non_zero_and_says_why_when_drift_is_left_unfixed(code_taken):
    share, _origin, dest = code_taken
    out = io.StringIO()

    with pytest.raises(CommandError, match=r"1 divergência\(s\) não corrigida\(s\)"):
        call_command("resync", "--share", share.pk, stdout=out)

    text = out.getvalue()
    assert "Corrigidas: 1 de 2." in text
    assert (
        f"Filial ({dest.cnpj_masked}) · produto A1: não corrigido. "
        "Já existe um produto com o código A1 nesta empresa: Água importada à mão."
    ) in text
    assert "{'code'" not in text
    assert party_in(dest, DOC_A).city == "Campinas"  # the rest was repaired all the same


@pytest.mark.django_db
def test_a_resync_that_leaves_drift_behind_is_recorded_as_failed_with_its_errors(code_taken):
    share, _origin, dest = code_taken

    job = resync(share)

    assert job.status == SyncJob.Status.FAILED and job.finished_at is not None
    assert job.counts == {"drift": 2, "fixed": 1, "recreated": 0, "failed": 1, "snapshots": 2, "checked": 6}
    assert job.errors == [
        f"Filial ({dest.cnpj_masked}) · produto A1: não corrigido. "
        "Já existe um produto com o código A1 nesta empresa: Água importada à mão."
    ]
    assert AuditEntry.objects.filter(share=share, action="resync", detail__contains="1 não corrigida.").exists()


@pytest.mark.django_db
def test_a_resync_that_fixes_everything_is_done(drifted):
    share, _origin, _dest = drifted

    job = resync(share)

    assert job.status == SyncJob.Status.DONE
    assert (job.counts["fixed"], job.counts["failed"], job.errors) == (2, 0, [])


def delete_behind_djangos_back(company, code: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM catalog_product WHERE company_id = %s AND code = %s", [company.pk, code])


@pytest.mark.django_db
def test_it_reports_a_row_deleted_outside_the_system_and_recreates_it(drifted):
    share, _origin, dest = drifted
    delete_behind_djangos_back(dest, "B2")
    dry = io.StringIO()

    call_command("resync", "--share", share.pk, "--company", dest.cnpj, "--dry-run", stdout=dry)

    assert (
        f"Filial ({dest.cnpj_masked}) · produto B2: apagado fora do sistema "
        "(será recriado com os valores compartilhados)"
    ) in dry.getvalue()
    assert "does not exist" not in dry.getvalue()

    job = resync(share)

    assert job.status == SyncJob.Status.DONE, job.errors
    assert (job.counts["recreated"], job.counts["fixed"], job.counts["drift"]) == (1, 3, 3)
    recreated = product_in(dest, "B2")
    assert (recreated.description, str(recreated.price)) == ("Bala", "1.00")
    assert RecordLink.objects.filter(company=dest, registry="product", local_id=recreated.pk).exists()
    assert find_drift(share) == []


@pytest.mark.django_db(transaction=True)
def test_the_command_says_what_it_recreated(drifted):
    share, _origin, dest = drifted
    delete_behind_djangos_back(dest, "B2")
    out = io.StringIO()

    call_command("resync", "--share", share.pk, stdout=out)

    text = out.getvalue()
    assert "Corrigidas: 3 de 3." in text
    assert "Recriados com os valores compartilhados (apagados fora do sistema): 1." in text
    assert product_in(dest, "B2").description == "Bala"


@pytest.mark.django_db
def test_the_status_command_counts_links_to_rows_deleted_outside_the_system(drifted):
    share, _origin, dest = drifted
    delete_behind_djangos_back(dest, "B2")
    out = io.StringIO()

    call_command("sharing_status", "--share", share.pk, stdout=out)

    assert "vínculos para registros apagados fora do sistema: 1" in out.getvalue()
    resync(share)
    assert "apagados fora do sistema" not in _status(share)


def _status(share: Share) -> str:
    out = io.StringIO()
    call_command("sharing_status", "--share", share.pk, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_it_keeps_what_it_overwrites_restorable_in_the_origin_and_the_members(drifted):
    share, origin, dest = drifted
    # The origin drifted too: resync puts the shared values back there as well.
    Product.objects.filter(company=origin, code="B2").update(description="Bala editada na matriz")

    job = resync(share)

    assert product_in(origin, "B2").description == "Bala"
    kept = {(s.company_id, s.registry, s.local_id): s for s in Snapshot.objects.filter(share=share, job=job)}
    assert set(kept) == {
        (origin.pk, "product", product_in(origin, "B2").pk),
        (dest.pk, "product", product_in(dest, "A1").pk),
        (dest.pk, "party", party_in(dest, DOC_A).pk),
    }
    assert job.counts["snapshots"] == 3

    services.snapshot_restore(snapshot=kept[(origin.pk, "product", product_in(origin, "B2").pk)])
    services.snapshot_restore(snapshot=kept[(dest.pk, "product", product_in(dest, "A1").pk)])

    assert product_in(origin, "B2").description == "Bala editada na matriz"
    restored = product_in(dest, "A1")
    assert (restored.description, str(restored.price)) == ("Editado à mão", "9.99")


@pytest.mark.django_db
def test_the_job_page_of_a_resync_shows_what_it_fixed_and_what_it_left(code_taken, client):
    from django.urls import reverse

    from companies.models import Membership
    from tests.factories import PASSWORD, MembershipFactory

    share, origin, _dest = code_taken
    job = resync(share)
    admin = MembershipFactory(company=origin, role=Membership.Role.ADMIN).user
    assert client.login(username=admin.username, password=PASSWORD)

    html = client.get(reverse("sharing:job", kwargs={"company_id": origin.pk, "share_id": share.pk,
                                                     "job_id": job.pk})).content.decode()

    assert "Corrigidas</dt><dd>1" in html and "Não corrigidas</dt><dd>1" in html
    assert "Algumas divergências não foram corrigidas" in html
    assert "produto A1: não corrigido" in html
    assert "Incluídos" not in html  # an activation's summary would read all zeros here


@pytest.mark.django_db
def test_it_reports_and_then_applies_a_change_that_failed_in_a_member():
    from sharing.tasks import apply_change as apply_now
    from tests.factories import valid_ean13

    origin = CompanyFactory(trade_name="Matriz")
    dest = CompanyFactory(trade_name="Filial", enforce_unique_records=True)
    ean = valid_ean13()
    make_product(origin, "A1", "Água")
    local = make_product(dest, "Z9", "Só na filial", ean=ean)
    share = share_between(origin, dest, registries=("product",))
    catalog_services.product_update(company=origin, product_id=product_in(origin, "A1").pk, data={"ean": ean})
    for change_id in share.changes.values_list("pk", flat=True):
        apply_now(change_id)  # refused in the destination: Z9 holds that EAN there
    out = io.StringIO()

    call_command("resync", "--share", share.pk, "--dry-run", stdout=out)
    stuck = resync(share)
    catalog_services.product_update(company=dest, product_id=local.pk, data={"ean": ""})  # the cause, fixed
    fixed = resync(share)

    assert f"Filial ({dest.cnpj_masked}) · produto A1: alteração do grupo ainda não aplicada" in out.getvalue()
    assert "EAN" in out.getvalue()  # the last attempt's reason
    assert stuck.status == SyncJob.Status.FAILED and stuck.counts["failed"] == 1
    assert fixed.status == SyncJob.Status.DONE and fixed.counts["fixed"] == 1
    assert product_in(dest, "A1").ean == ean
