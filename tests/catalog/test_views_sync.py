"""A shared record's page says where the group stands with its latest version: on its way
(the panel polls), applied everywhere, or refused by a branch, naming it and the reason;
the message after saving says the change was sent and where to follow it."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils.module_loading import import_string

from catalog import services as catalog_services
from companies.models import Membership
from tests.factories import CompanyFactory, MembershipFactory, valid_ean13
from tests.helpers import apply_pending, make_party, make_product, party_in, product_in, share_between
from tests.helpers import catalog_url as url

EAN = valid_ean13()
REFUSED_HERE = f"Já existe um produto com o EAN {EAN} nesta empresa: Z9 – Só na filial"


@pytest.fixture
def dest(db):
    """A branch with uniqueness validation on, where Z9 already holds EAN."""
    return CompanyFactory(legal_name="Filial Sul Comércio de Águas Ltda", trade_name="Filial Sul",
                          enforce_unique_records=True)


@pytest.fixture
def share(company, dest, document):
    make_party(company, document, "Distribuidora São João Ltda")
    make_product(company, "A1", "Água mineral sem gás 500 ml")
    make_product(dest, "Z9", "Só na filial", ean=EAN)
    return share_between(company, dest)


def edit_post(product, **fields) -> dict:
    return {"code": product.code, "description": product.description, "unit": product.unit, "ncm": product.ncm,
            "price": "10,00", "origin": product.origin, "item_type": product.item_type, "active": "on",
            "ean": product.ean, "version": product.version, **fields}


@pytest.mark.django_db
def test_the_record_page_names_the_branch_that_refused_a_change_and_why(login, owner, company, share):
    a1 = product_in(company, "A1")
    client = login(owner)

    response = client.post(url("product_edit", company, product_id=a1.pk), edit_post(a1, ean=EAN), follow=True)

    html = response.content.decode()
    assert "alterado. A alteração foi enviada às outras empresas do grupo (Filial Sul)" in html
    assert "o resultado aparece abaixo, em “Sincronismo com o grupo”" in html
    assert "a caminho de 1 empresa: Filial Sul" in html

    apply_pending()  # the worker: the branch refuses the EAN
    html = client.get(url("product_detail", company, product_id=a1.pk)).content.decode()
    assert "Não aplicado em Filial Sul:</strong> " + REFUSED_HERE in html
    assert reverse("sharing:share_detail", args=[company.pk, share.pk]) + "#sincronismo" in html


@pytest.mark.django_db
def test_the_record_page_of_a_new_product_the_branch_refused_says_why(login, owner, company, share):
    other = catalog_services.product_create(
        company=company, data={"code": "NOVO", "description": "Água com gás", "unit": "UN", "ncm": "22011000",
                               "price": "3.00", "ean": EAN}, source="test")
    apply_pending()  # never created in the branch: no link there to hold the error

    html = login(owner).get(url("product_detail", company, product_id=other.pk)).content.decode()

    assert "Não aplicado em Filial Sul:</strong> " + REFUSED_HERE in html


@pytest.mark.django_db
def test_the_panel_polls_while_the_change_travels_and_stops_once_applied(login, owner, company, document, share):
    party = party_in(company, document)
    catalog_services.party_update(company=company, party_id=party.pk, data={"city": "Ribeirão Preto"}, source="test")
    client = login(owner)

    html = client.get(url("party_detail", company, party_id=party.pk)).content.decode()
    assert "Sincronismo com o grupo" in html and "A versão 2 está a caminho de 1 empresa: Filial Sul" in html
    assert 'hx-trigger="every 2s"' in html
    assert f'hx-get="{url("party_detail", company, party_id=party.pk)}"' in html

    apply_pending()
    fragment = client.get(url("party_detail", company, party_id=party.pk), HTTP_HX_REQUEST="true")
    text = fragment.content.decode()
    assert "<html" not in text and "hx-trigger" not in text
    assert "Sincronizado: a versão 2 está em todas as empresas do compartilhamento (Matriz, Filial Sul)" in text


@pytest.mark.django_db
def test_a_record_that_is_not_shared_has_no_sync_panel(login, dest, share):
    dest_user = MembershipFactory(company=dest, role=Membership.Role.USER).user
    client = login(dest_user)
    z9, a1 = product_in(dest, "Z9"), product_in(dest, "A1")  # the branch's own, and the group's
    assert "Sincronismo com o grupo" not in client.get(url("product_detail", dest, product_id=z9.pk)).content.decode()
    html = client.get(url("product_detail", dest, product_id=a1.pk)).content.decode()
    assert "Sincronismo com o grupo" in html and "Sincronizado: a versão 1" in html


@pytest.mark.django_db
def test_an_outsider_gets_404_on_the_sync_panel(login, outsider, company, share):
    a1 = product_in(company, "A1")
    response = login(outsider).get(url("product_detail", company, product_id=a1.pk), HTTP_HX_REQUEST="true")
    assert response.status_code == 404


@pytest.mark.django_db(transaction=True)
def test_the_save_message_says_so_when_the_branch_already_refused(login, owner, company, share, monkeypatch):
    # A worker quick enough to apply the change before the page is built (the task runs at commit).
    monkeypatch.setattr("omieshare.lib.jobs.async_task", lambda path, *args, **kw: import_string(path)(*args))
    a1 = product_in(company, "A1")

    response = login(owner).post(url("product_edit", company, product_id=a1.pk), edit_post(a1, ean=EAN),
                                 follow=True)

    html = response.content.decode()
    assert "A alteração foi enviada ao grupo, mas não foi aplicada em Filial Sul: " + REFUSED_HERE in html
    assert "Não aplicado em Filial Sul:</strong> " + REFUSED_HERE in html
