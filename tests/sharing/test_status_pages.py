"""What a share looks like after activation: the panel on "Resumo do App" and the share
page's per-record sync status with "Tentar novamente"."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils.timezone import localtime

from catalog import services as catalog_services
from catalog.models import Product
from sharing import tasks
from sharing.models import Change, RecordLink, Share, SharedRecord
from sharing.services import Permissions
from tests.factories import valid_ean13
from tests.helpers import apply_pending, company_administered_by, make_product, product_in, share_between

pytestmark = pytest.mark.django_db


@pytest.fixture
def dest(owner):
    """A destination with uniqueness validation on, administered by the owner too."""
    return company_administered_by(owner, "Filial Sul Ltda", "Filial Sul", enforce_unique_records=True)


@pytest.fixture
def share(company, dest):
    make_product(company, "A1", "Água mineral")
    make_product(dest, "Z9", "Só na filial", ean=EAN)
    return share_between(company, dest, registries=("product",))


EAN = valid_ean13()


def summary_url(company):
    return reverse("companies:summary", args=[company.pk])


def share_url(company, share):
    return reverse("sharing:share_detail", args=[company.pk, share.pk])


def retry_url(company, share, record):
    return reverse("sharing:record_retry", args=[company.pk, share.pk, record.pk])


@pytest.fixture
def failed(company, dest, share):
    """The origin gives A1 the EAN that Z9 holds in the destination, which refuses it."""
    a1 = product_in(company, "A1")
    catalog_services.product_update(company=company, product_id=a1.pk, data={"ean": EAN}, source="test")
    apply_pending()
    change = Change.objects.get(shared_record__match_key="A1", version=2)
    assert change.status == Change.Status.FAILED
    return change.shared_record


# -- "Resumo do App" ---------------------------------------------------------------------


def test_it_shows_the_share_on_the_summary_of_each_member(login, owner, company, dest, share):
    client = login(owner)
    html = client.get(summary_url(company)).content.decode()
    assert "Cadastros compartilhados" in html
    assert f"Compartilhamento nº {share.pk}" in html
    assert "esta empresa é a origem" in html
    assert "Filial Sul" in html and "Produtos" in html
    assert "inclusão, edição" in html  # permissions of each member
    assert localtime(share.activated_at).strftime("%d/%m/%Y %H:%M") in html
    assert "Última propagação" in html and "Alterações pendentes" in html
    assert share_url(company, share) in html
    assert reverse("sharing:wizard", args=[company.pk]) in html

    html = client.get(summary_url(dest)).content.decode()
    assert "esta empresa é destino" in html and share_url(dest, share) in html


def test_it_counts_failed_changes_and_shows_the_last_propagation_on_the_summary(
    login, owner, company, dest, share, failed
):
    a1 = product_in(company, "A1")
    catalog_services.product_update(company=company, product_id=a1.pk, data={"price": "12.00"}, source="test")
    html = login(owner).get(summary_url(company)).content.decode()
    assert "1 com falha" in html
    # The price change is still in the outbox (no worker in this test).
    assert "<dd>1 · " in html


def test_it_says_when_the_company_shares_nothing(login, member, company):
    html = login(member).get(summary_url(company)).content.decode()
    assert "Esta empresa não compartilha" in html
    # The wizard is for administrators: an ordinary user is not sent to a 403.
    assert reverse("sharing:wizard", args=[company.pk]) not in html


# -- per-record sync status ---------------------------------------------------------------


def test_it_lists_a_record_that_failed_with_its_error(login, owner, company, share, failed):
    html = login(owner).get(share_url(company, share)).content.decode()
    assert "Sincronismo por cadastro" in html
    assert "1 cadastro com pendência" in html
    assert "Água mineral" in html
    assert "Filial Sul:" in html and f"Já existe um produto com o EAN {EAN}" in html
    assert retry_url(company, share, failed) in html and "Tentar novamente" in html


def test_it_says_everything_is_in_sync(login, owner, company, share):
    html = login(owner).get(share_url(company, share)).content.decode()
    assert "Tudo sincronizado" in html and "Tentar novamente" not in html


def test_it_queues_a_retry_that_applies_the_record_once_fixed(
    login, owner, company, dest, share, failed, django_capture_on_commit_callbacks, monkeypatch
):
    z9 = product_in(dest, "Z9")
    catalog_services.product_update(company=dest, product_id=z9.pk, data={"ean": ""}, source="test")
    client = login(owner)
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(retry_url(company, share, failed), follow=True)
    assert "colocada na fila" in response.content.decode()
    queued = []
    monkeypatch.setattr("omieshare.lib.jobs.async_task", lambda path, *args, **kw: queued.append((path, *args)))
    for callback in callbacks:
        callback()
    assert queued == [("sharing.tasks.retry_record", failed.pk)]

    tasks.retry_record(failed.pk)

    assert product_in(dest, "A1").ean == EAN
    assert not Change.objects.exclude(status=Change.Status.APPLIED).exists()
    assert not RecordLink.objects.exclude(last_error="").exists()
    assert "Tudo sincronizado" in client.get(share_url(company, share)).content.decode()


def test_it_keeps_the_error_when_the_retry_fails_again(company, dest, share, failed):
    tasks.retry_record(failed.pk)
    link = RecordLink.objects.get(shared_record=failed, company=dest)
    assert "Já existe um produto com o EAN" in link.last_error
    assert Change.objects.get(shared_record=failed, version=2).status == Change.Status.FAILED
    assert Product.objects.get(company=dest, code="A1").ean != EAN


def test_it_lets_only_origin_admins_retry(login, member, company, share, failed, django_capture_on_commit_callbacks):
    client = login(member)
    html = client.get(share_url(company, share)).content.decode()
    assert "Água mineral" in html and "Tentar novamente" not in html
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(retry_url(company, share, failed))
    assert response.status_code == 403 and "Somente administradores" in response.content.decode()
    assert callbacks == []


def test_it_refuses_a_get_and_a_record_of_another_share(login, owner, company, other_company, share, failed):
    client = login(owner)
    assert client.get(retry_url(company, share, failed)).status_code == 405
    elsewhere = Share.objects.create(origin=other_company, code_key=1, status=Share.Status.ACTIVE)
    other = SharedRecord.objects.create(share=elsewhere, registry="product", match_key="X", values={})
    assert client.post(retry_url(company, share, other)).status_code == 404


def test_it_hides_the_new_pages_from_an_outsider(login, outsider, company, share, failed):
    client = login(outsider)
    assert client.get(share_url(company, share)).status_code == 404
    assert client.post(retry_url(company, share, failed)).status_code == 404
    html = client.get(summary_url(company))
    assert html.status_code == 404


def test_it_pages_the_failing_records(login, owner, company, share, monkeypatch):
    monkeypatch.setattr("sharing.views.shares.FAILING_PER_PAGE", 2)
    record = SharedRecord.objects.get(match_key="A1")
    for key in ("B1", "B2", "B3"):
        other = SharedRecord.objects.create(share=share, registry="product", match_key=key,
                                            values={"description": f"Produto {key}"})
        Change.objects.create(share=share, shared_record=other, version=1, company=company, action="create",
                              status=Change.Status.FAILED, last_error=f"erro de {key}")
    RecordLink.objects.filter(shared_record=record).update(last_error="erro de A1")
    client = login(owner)
    first = client.get(share_url(company, share)).content.decode()
    assert "4 cadastros com pendência" in first and "Página 1 de 2" in first
    assert "Produto B3" in first and "Produto B2" in first and "Água mineral" not in first
    second = client.get(share_url(company, share) + "?pagina=2").content.decode()
    assert "Produto B1" in second and "Água mineral" in second and "erro de A1" in second


# -- the records' own pages -----------------------------------------------------------------


def test_the_delete_page_of_a_shared_record_says_it_deletes_it_everywhere(login, owner, company, dest, share):
    client = login(owner)
    origin_page = client.get(reverse("catalog:product_delete", args=[company.pk, product_in(company, "A1").pk]))
    local_page = client.get(reverse("catalog:product_delete", args=[dest.pk, product_in(dest, "Z9").pk]))

    assert "ele será excluído também em todas as outras empresas do grupo" in origin_page.content.decode()
    assert "outras empresas do grupo" not in local_page.content.decode()


def test_the_delete_page_disables_deleting_where_the_company_may_not(login, owner, company, dest):
    make_product(company, "A1", "Água mineral")
    share_between(company, dest, registries=("product",),
                  destination_permissions=Permissions(can_create=True, can_update=True, can_delete=False))

    page = reverse("catalog:product_delete", args=[dest.pk, product_in(dest, "A1").pk])
    html = login(owner).get(page).content.decode()

    assert 'disabled aria-describedby="share-refused"' in html and "exclusão" in html
