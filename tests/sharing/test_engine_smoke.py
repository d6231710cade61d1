from decimal import Decimal

import pytest

from catalog import services as catalog_services
from catalog.models import Party, Product
from sharing import services
from sharing.models import Change, RecordLink, SharedRecord, Snapshot, SyncJob
from sharing.services import Permissions
from sharing.tasks import apply_change, run_sync_job
from tests.factories import CompanyFactory, PartyFactory, ProductFactory, ProductFamilyFactory


@pytest.mark.django_db
def test_it_activates_and_propagates(django_capture_on_commit_callbacks):
    origin = CompanyFactory()
    dest = CompanyFactory()
    family = ProductFamilyFactory(company=origin, name="Bebidas")
    p1 = ProductFactory(company=origin, code="A1", description="Água", family=family.pk)
    ProductFactory(company=origin, code="B2", description="Bala", bom=[(p1.pk, "2")])
    ProductFactory(company=dest, code="A1", description="Agua velha", price=Decimal("1.00"))
    PartyFactory(company=origin, cnpj_cpf="11.222.333/0001-81", legal_name="ACME")
    PartyFactory(company=origin, cnpj_cpf="", legal_name="Sem documento")
    share = services.share_configure(
        origin=origin, registries=["party", "product"], origin_permissions=Permissions(),
        destinations={dest: Permissions()},
    )
    job = services.share_activate(share=share, confirmed=True)
    run_sync_job(job.pk)
    job.refresh_from_db()
    assert job.status == SyncJob.Status.DONE, job.errors
    assert job.counts["created"] == 2 and job.counts["overwritten"] == 1
    a1 = Product.objects.get(company=dest, code="A1")
    assert a1.description == "Água" and a1.family.name == "Bebidas"
    b2 = Product.objects.get(company=dest, code="B2")
    assert list(b2.bom_items.values_list("component__code", "quantity")) == [("A1", Decimal("2.0000"))]
    assert Party.objects.filter(company=dest, cnpj_cpf="11222333000181").count() == 1
    assert not Party.objects.filter(company=dest, legal_name="Sem documento").exists()
    assert Snapshot.objects.filter(company=dest, local_id=a1.pk).get().values["description"] == "Agua velha"
    assert RecordLink.objects.filter(company=dest).count() == 3

    with django_capture_on_commit_callbacks(execute=False):
        catalog_services.product_update(company=origin, product_id=p1.pk, data={"description": "Água mineral"})
    change = Change.objects.get()
    apply_change(change.pk)
    a1.refresh_from_db()
    assert a1.description == "Água mineral"
    assert SharedRecord.objects.get(match_key="A1").version == 2


def _queued_activation() -> tuple:
    """A destination and the activation job that will copy one product into it."""
    origin, dest = CompanyFactory(), CompanyFactory()
    ProductFactory(company=origin, code="A1")
    share = services.share_configure(origin=origin, registries=["product"], origin_permissions=Permissions(),
                                     destinations={dest: Permissions()})
    return dest, services.share_activate(share=share, confirmed=True)


@pytest.mark.django_db
def test_an_interrupted_job_says_so_in_words_and_stays_resumable(monkeypatch):
    from sharing import activation, tasks

    dest, job = _queued_activation()

    def lost_connection(job):
        raise OSError("server closed the connection unexpectedly")

    monkeypatch.setattr(activation, "run_activation", lost_connection)
    with pytest.raises(OSError):
        run_sync_job(job.pk)

    job.refresh_from_db()
    assert job.status == SyncJob.Status.RUNNING and job.lease_until is None  # the watchdog hands it out again
    assert job.failures == 1 and job.errors == [
        f"Falha 1 de {tasks.MAX_JOB_ATTEMPTS} (será retomada): server closed the connection unexpectedly"
    ]


@pytest.mark.django_db
def test_a_job_resumed_after_many_killed_workers_is_not_given_up_at_the_next_error(monkeypatch):
    from datetime import timedelta

    from django.utils import timezone

    from sharing import activation, tasks

    dest, job = _queued_activation()
    for _ in range(tasks.MAX_JOB_ATTEMPTS + 1):  # workers killed with the job in hand
        tasks.claim_job(job.pk)
        SyncJob.objects.filter(pk=job.pk).update(lease_until=timezone.now() - timedelta(seconds=1))
    real_run = activation.run_activation

    def database_restarted(job):
        raise OSError("terminating connection due to administrator command")

    monkeypatch.setattr(activation, "run_activation", database_restarted)
    with pytest.raises(OSError):
        run_sync_job(job.pk)
    job.refresh_from_db()
    assert (job.status, job.failures) == (SyncJob.Status.RUNNING, 1)  # to be resumed, not given up

    monkeypatch.setattr(activation, "run_activation", real_run)
    run_sync_job(job.pk)
    job.refresh_from_db()
    assert job.status == SyncJob.Status.DONE and Product.objects.filter(company=dest, code="A1").exists()
