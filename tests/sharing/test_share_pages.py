"""The share's pages as a user reads them: after a company is removed and added back, after
it leaves, the audit trail and the preview's differences in pt-BR, the wizard after its
confirmation, and the small things a reviewer noticed walking the flow."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from catalog import services as catalog_services
from companies.models import Membership
from sharing import services
from sharing.models import Snapshot, SyncJob
from sharing.tasks import run_sync_job
from tests.factories import (
    CompanyFactory,
    MembershipFactory,
    PartyFactory,
    ProductFactory,
    SalespersonFactory,
    UserFactory,
    valid_cnpj,
)
from tests.helpers import ALL, apply_pending, company_administered_by, confirmation, product_in, share_between
from tests.helpers import sharing_url as url

pytestmark = pytest.mark.django_db


@pytest.fixture
def dest(owner):
    """A destination the owner administers too."""
    return company_administered_by(owner, "Filial Sul Ltda", "Filial Sul")


@pytest.fixture
def share(company, dest):
    """Two destinations: removing the last one would dissolve the share."""
    north = CompanyFactory(legal_name="Filial Norte Ltda", trade_name="Filial Norte")
    ProductFactory(company=company, code="A1", description="Água mineral")
    return share_between(company, dest, north, registries=("product",))


def share_pages(company, share):
    kwargs = {"share_id": share.pk}
    return [url("share_detail", company, **kwargs), url("share_edit", company, **kwargs),
            url("audit", company, **kwargs), url("add_step_add", company, **kwargs)]


def remove(share, company):
    services.member_remove(share=share, company=company)


def add_back(share, company):
    services.member_add(share=share, company=company, permissions=ALL)
    job = services.share_activate(share=share, confirmed=True)
    run_sync_job(job.pk)
    job.refresh_from_db()
    assert job.status == SyncJob.Status.DONE, job.errors


# -- a company removed and added back ------------------------------------------------------


def test_it_opens_every_share_page_after_a_destination_is_removed_and_added_back(login, owner, company, dest,
                                                                                  share):
    remove(share, dest)
    add_back(share, dest)
    client = login(owner)
    for opened_from in (company, dest):
        for page in share_pages(opened_from, share):
            assert client.get(page).status_code == 200, page
    summary = client.get(reverse("companies:summary", args=[dest.pk])).content.decode()
    see_share = url("share_detail", dest, share_id=share.pk)
    assert see_share in summary
    detail = client.get(see_share).content.decode()
    # Listed once, as it is now: active again.
    assert detail.count("Filial Sul<div") == 1
    assert "foi removida deste compartilhamento" not in detail


def test_it_lists_a_company_once_in_the_audit_filter_after_it_was_added_back(login, owner, company, dest, share):
    remove(share, dest)
    add_back(share, dest)
    html = login(owner).get(url("audit", company, share_id=share.pk)).content.decode()
    assert html.count(f'<option value="{dest.pk}"') == 1


def test_it_shows_a_removed_company_the_share_only_up_to_its_removal(login, owner, company, dest, share):
    remove(share, dest)
    a1 = product_in(company, "A1")
    catalog_services.product_update(company=company, product_id=a1.pk, data={"description": "Água com gás"},
                                    actor_id=owner.pk, source="web")
    client = login(owner)

    detail = client.get(url("share_detail", dest, share_id=share.pk)).content.decode()
    assert "Filial Sul foi removida deste compartilhamento em" in detail
    assert "Sincronismo por cadastro" not in detail  # it is no longer synchronised

    audit = client.get(url("audit", dest, share_id=share.pk)).content.decode()
    assert "Remoção" in audit and "Água com gás" not in audit
    # The origin still sees everything.
    assert "Água com gás" in client.get(url("audit", company, share_id=share.pk)).content.decode()

    # "Cadastros Compartilhados" no longer lists it among the shares Filial Sul takes part in.
    user = UserFactory()
    MembershipFactory(user=user, company=dest, role=Membership.Role.USER)
    hub = login(user).get(url("wizard", dest)).content.decode()
    assert "esta empresa foi removida em" in hub and "Ver compartilhamento" not in hub


# -- the audit trail -------------------------------------------------------------------------


def test_it_shows_changes_and_their_application_in_words(login, owner, company, dest, share):
    a1 = product_in(company, "A1")
    catalog_services.product_update(company=company, product_id=a1.pk, data={"ncm": "85171231"},
                                    actor_id=owner.pk, source="web")
    apply_pending()
    html = login(owner).get(url("audit", company, share_id=share.pk)).content.decode()
    assert "Alteração (versão 2) pela web" in html and "via web" not in html
    assert "8471.30.12</span> → 8517.12.31" in html
    assert "Alteração (versão 2) feita em Matriz, aplicada nesta empresa." in html
    assert "— → —" not in html
    assert 'class="detail"' in html  # the column that wraps


def test_it_does_not_offer_refusals_in_the_audit_filter(login, owner, company, share):
    html = login(owner).get(url("audit", company, share_id=share.pk)).content.decode()
    assert "Recusada" not in html and "Remoção" in html


def test_it_shows_party_values_as_a_person_writes_them_in_the_audit(login, owner, company, dest):
    carla = SalespersonFactory(company=company, name="Carla Mendes", email="carla.mendes@exemplo.com.br")
    document = valid_cnpj()
    party = PartyFactory(company=company, cnpj_cpf=document, legal_name="Comercial Alfa")
    share = share_between(company, dest, registries=("party",))
    catalog_services.party_update(
        company=company, party_id=party.pk, actor_id=owner.pk, source="web",
        data={"salespeople": [carla.pk], "characteristics": {"Segmento": "Varejo"}, "active": False},
    )
    html = login(owner).get(url("audit", company, share_id=share.pk)).content.decode()
    assert "Carla Mendes &lt;carla.mendes@exemplo.com.br&gt;" in html
    assert "Segmento: Varejo" in html
    assert "Sim</span> → Não" in html
    assert "[[" not in html and "{&#x27;" not in html


# -- the preview's differences ----------------------------------------------------------------


def test_it_shows_the_previews_differences_readably(login, owner, company, dest):
    supplier_document = valid_cnpj()
    supplier = PartyFactory(company=company, cnpj_cpf=supplier_document, is_supplier=True)
    component = ProductFactory(company=company, code="PRD00432", description="Parafuso")
    ProductFactory(company=company, code="A1", description="Água", ncm="84713012", suppliers=[supplier.pk],
                   bom=[(component.pk, Decimal("2"))], characteristics={"Cor": "Azul"})
    ProductFactory(company=dest, code="A1", description="Água", ncm="85171231", active=False)
    client = login(owner)
    client.post(url("step_registries", company), {"registries": ["product"]})
    client.post(url("step_origin", company), {"can_create": "on", "can_update": "on"})
    client.post(url("step_add", company), {"companies": [dest.pk]})
    client.post(url("step_destinations", company), {f"c{dest.pk}-can_update": "on"})

    page = url("preview_rows", company, dest_id=dest.pk, registry="product", category="overwrite")
    html = client.get(page).content.decode()
    masked = f"{supplier_document[:2]}.{supplier_document[2:5]}.{supplier_document[5:8]}/"
    assert masked in html
    assert "PRD00432 × 2" in html
    assert "Cor: Azul" in html
    assert "8517.12.31</span> → 8471.30.12" in html
    assert "Não</span> → Sim" in html
    assert not re.search(r"\[\[|\['|\{'|True|False", html)


# -- the wizard -------------------------------------------------------------------------------


def walk_to_preview(client, company, dest, origin_permissions=None):
    if origin_permissions is None:
        origin_permissions = {"can_create": "on"}
    client.post(url("step_registries", company), {"registries": ["party", "product"]})
    response = client.post(url("step_origin", company), origin_permissions, follow=True)
    client.post(url("step_add", company), {"companies": [dest.pk]})
    client.post(url("step_destinations", company), {f"c{dest.pk}-can_update": "on"})
    return response


def test_it_says_the_share_was_activated_on_back_reload_or_a_second_confirmation(login, owner, company, dest):
    client = login(owner)
    walk_to_preview(client, company, dest)
    confirmed = client.post(url("preview", company), confirmation(client, url("preview", company), acknowledge="on"))
    job = SyncJob.objects.get()
    job_page = url("job", company, share_id=job.share_id, job_id=job.pk)
    assert confirmed.headers["Location"] == job_page

    client.get(job_page)  # the messages of the walk
    for again in (lambda: client.get(url("preview", company)),
                  lambda: client.post(url("preview", company), {"acknowledge": "on"})):
        assert again().headers["Location"] == job_page
        shown = client.get(job_page).content.decode()
        assert "Este compartilhamento já foi ativado" in shown
        assert url("share_detail", company, share_id=job.share_id) in shown
        assert "Escolha o que deseja sincronizar" not in shown
    assert SyncJob.objects.count() == 1


def test_it_does_not_call_a_destination_the_origin_when_refusing_a_member(login, company, dest):
    user = UserFactory()
    MembershipFactory(user=user, company=dest, role=Membership.Role.USER)
    html = login(user).get(url("step_registries", dest)).content.decode()
    assert "Somente administradores de Filial Sul podem configurar" in html
    assert "empresa origem" not in html


def test_it_warns_when_the_origin_gets_no_permissions(login, owner, company, dest):
    client = login(owner)
    next_page = walk_to_preview(client, company, dest, origin_permissions={}).content.decode()
    assert "ninguém em Matriz poderá incluir, alterar nem excluir" in next_page
    preview = client.get(url("preview", company)).content.decode()
    assert "ninguém em Matriz poderá incluir, alterar nem excluir" in preview


def test_it_names_both_registries_naturally(login, owner, company, dest):
    client = login(owner)
    walk_to_preview(client, company, dest)
    html = client.get(url("preview", company)).content.decode()
    assert "Clientes, fornecedores e produtos" in html
    assert "Clientes e fornecedores e Produtos" not in html


def test_it_links_a_favicon(login, owner, company):
    html = login(owner).get(reverse("companies:summary", args=[company.pk])).content.decode()
    assert re.search(r'<link rel="icon" href="[^"]*favicon\.svg"', html)


# -- the admin ----------------------------------------------------------------------------------


def test_it_titles_and_compares_a_snapshot_in_portuguese_in_the_admin(client, company, dest):
    ProductFactory(company=company, code="A1", description="Água mineral", price=Decimal("3.50"))
    ProductFactory(company=dest, code="A1", description="Agua velha", price=Decimal("1.00"))
    share_between(company, dest, registries=("product",))
    snapshot = Snapshot.objects.get(company=dest)
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    html = client.get(reverse("admin:sharing_snapshot_change", args=[snapshot.pk])).content.decode()
    assert "Agua velha em Filial Sul, como era antes da ativação" in html
    assert " @ " not in html
    assert "<td>Descrição</td><td>Agua velha</td><td>Água mineral</td>" in html
    assert "<td>Preço unitário de venda</td><td>R$ 1,00</td><td>R$ 3,50</td>" in html
