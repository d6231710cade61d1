"""The audit page as a person reads it: the Ação column names inclusions, alterations and
exclusions, an inclusion lists what was filled in, CNPJ/CPF are masked, counts have pt-BR
separators; and the resync's summary for a clean check."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

import pytest
from django.urls import reverse

from catalog import services as catalog_services
from companies.models import Membership
from sharing import services
from sharing.models import AuditEntry, RecordLink, SyncJob
from sharing.tasks import run_sync_job
from tests.factories import CompanyFactory, MembershipFactory, UserFactory
from tests.helpers import ALL, apply_pending, party_in, product_data

pytestmark = pytest.mark.django_db

ALPHANUMERIC_CNPJ = "12ABC34501DE35"
CPF = "52998224725"


@pytest.fixture(autouse=True)
def no_thousand_separator(settings):
    # Another change turns USE_THOUSAND_SEPARATOR off: the page's counts must not rely on it.
    settings.USE_THOUSAND_SEPARATOR = False


@pytest.fixture
def group():
    origin = CompanyFactory(trade_name="Matriz São Paulo — Comércio e Distribuição")
    branch = CompanyFactory(trade_name="Filial Curitiba")
    admin = MembershipFactory(company=origin, role=Membership.Role.ADMIN).user
    MembershipFactory(company=branch, user=admin, role=Membership.Role.ADMIN)
    share = services.share_configure(origin=origin, registries=["party", "product"], origin_permissions=ALL,
                                     destinations={branch: ALL}, user=admin)
    return share, admin, origin, branch


def activate(share, admin):
    job = services.share_activate(share=share, confirmed=True, user=admin)
    run_sync_job(job.pk)
    job.refresh_from_db()
    share.refresh_from_db()
    return job


def rows(html: str) -> list[list[str]]:
    """The audit table's rows, each as its cells' text."""
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [
        [" ".join(unescape(re.sub(r"<[^>]+>", "", re.sub(r"<(li|div)\b", " <", cell))).split())
         for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


def audit_page(client, share, company, **query) -> str:
    response = client.get(reverse("sharing:audit", args=[company.pk, share.pk]), query)
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def changed(group):
    """An inclusion, an alteration and an exclusion of clients made in the origin."""
    share, admin, origin, branch = group
    activate(share, admin)
    party = catalog_services.party_create(company=origin, actor_id=admin.pk, source="web", data={
        "person_type": "J", "cnpj_cpf": "12.ABC.345/01DE-35", "legal_name": "Águas Cristalinas Comércio Ltda",
        "trade_name": "Águas Cristalinas",
    })
    apply_pending()  # each change reaches the branch before the next (the worker's usual pace)
    catalog_services.party_update(company=origin, party_id=party.pk, actor_id=admin.pk, source="api",
                                  data={"trade_name": "Águas Cristalinas do Paraná", "city": "Curitiba"})
    apply_pending()
    person = catalog_services.party_create(company=origin, actor_id=admin.pk, source="web", data={
        "person_type": "F", "cnpj_cpf": CPF, "legal_name": "José Antônio da Conceição",
    })
    apply_pending()
    catalog_services.party_delete(company=origin, party_id=person.pk, actor_id=admin.pk, source="admin")
    apply_pending()
    return group


def test_it_names_inclusion_alteration_and_exclusion_in_the_action_column(changed, login):
    share, admin, origin, branch = changed

    table = rows(audit_page(login(admin), share, origin, empresa=origin.pk))

    actions = [row[1] for row in table]
    assert actions[:4] == ["Exclusão", "Inclusão", "Alteração", "Inclusão"]  # newest first
    applied = rows(audit_page(login(admin), share, origin, empresa=branch.pk))
    assert {row[1] for row in applied} >= {"Inclusão aplicada", "Alteração aplicada", "Exclusão aplicada"}


def test_it_filters_by_inclusion_alteration_or_exclusion(changed, login):
    share, admin, origin, _branch = changed

    inclusions = rows(audit_page(login(admin), share, origin, acao="inclusao"))
    exclusions = rows(audit_page(login(admin), share, origin, acao="exclusao"))

    assert [row[1] for row in inclusions] == ["Inclusão", "Inclusão"]
    assert [row[1] for row in exclusions] == ["Exclusão"]
    assert "529.982.247-25" in exclusions[0][4]


def test_it_lists_only_the_fields_an_inclusion_filled_in(changed, login):
    share, admin, origin, _branch = changed

    table = rows(audit_page(login(admin), share, origin, acao="inclusao"))

    company_inclusion = table[1][4]
    assert "CNPJ/CPF: 12.ABC.345/01DE-35" in company_inclusion
    assert "Razão social / nome completo: Águas Cristalinas Comércio Ltda" in company_inclusion
    assert "Nome fantasia: Águas Cristalinas" in company_inclusion
    for unfilled in ("Complemento", "Bairro", "Telefone", "E-mail", "Vendedores", "Imagens e anexos"):
        assert unfilled not in company_inclusion
    assert "—" not in company_inclusion  # no "— → —" lines, no "before" for a new record
    assert "País: Brasil" in company_inclusion  # not Omie's code 1058


def test_it_masks_cnpj_and_cpf_everywhere_on_the_page(changed, login):
    share, admin, origin, _branch = changed

    html = audit_page(login(admin), share, origin)

    assert "12.ABC.345/01DE-35" in html and "529.982.247-25" in html
    assert ALPHANUMERIC_CNPJ not in html and CPF not in html


def test_it_writes_counts_with_pt_br_separators(group, login):
    share, admin, origin, branch = group
    catalog_services.product_bulk_create(company=origin, rows=[
        product_data(f"PRD{number:05d}", f"Água mineral sem gás {number}") for number in range(1_234)
    ])
    activate(share, admin)

    table = rows(audit_page(login(admin), share, origin, empresa=branch.pk, acao="activate"))

    assert "1.234 incluídos" in table[0][4]


def test_it_says_a_clean_resync_found_every_record_in_order(group, login):
    share, admin, origin, branch = group
    catalog_services.product_bulk_create(company=origin, rows=[
        product_data(f"PRD{number:05d}", f"Café torrado {number}") for number in range(600)
    ])
    activate(share, admin)
    job = services.resync_start(share=share, company=None, user=admin)
    run_sync_job(job.pk)
    checked = RecordLink.objects.filter(shared_record__share=share).count()
    assert checked >= 1_000

    page = login(admin).get(reverse("sharing:job", args=[origin.pk, share.pk, job.pk])).content.decode()
    entry = AuditEntry.objects.get(share=share, action=AuditEntry.Action.RESYNC)

    sentence = f"Nenhuma divergência: todos os {checked // 1000}.{checked % 1000:03d} cadastros conferem."
    assert sentence in unescape(page)
    assert "0 de 0" not in page
    assert entry.detail == sentence


def test_the_job_page_and_the_admin_show_one_duration_the_same_way(group, login, client):
    share, admin, origin, _branch = group
    job = activate(share, admin)
    started = job.finished_at - timedelta(minutes=1, seconds=5)
    SyncJob.objects.filter(pk=job.pk).update(started_at=started)

    page = unescape(login(admin).get(reverse("sharing:job", args=[origin.pk, share.pk, job.pk])).content.decode())
    assert "Decorrido: 1 min 5 s" in page

    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    changelist = client.get(reverse("admin:sharing_syncjob_changelist")).content.decode()
    assert "<td class=\"field-duration\">1 min 5 s</td>" in changelist


def test_it_counts_a_resync_that_fixed_something(group, login):
    share, admin, origin, branch = group
    catalog_services.party_create(company=origin, actor_id=admin.pk, data={
        "person_type": "F", "cnpj_cpf": CPF, "legal_name": "Maria Aparecida dos Santos",
    })
    activate(share, admin)
    from catalog.models import Party

    Party.objects.filter(pk=party_in(branch, CPF).pk).update(legal_name="Editado à mão")  # drift
    job = services.resync_start(share=share, company=None, user=admin)
    run_sync_job(job.pk)

    entry = AuditEntry.objects.get(share=share, action=AuditEntry.Action.RESYNC)
    assert entry.detail == "1 divergência encontrada em 2 cadastros conferidos: 1 corrigida."

