"""Records pages of a company in a share: the badge naming the share, Edit/Delete/Include
disabled where the member lacks the permission (the server still refuses), and the PRD code
suggested on the new-product form."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from catalog import services as catalog_services
from catalog.models import Party, Product
from tests.factories import valid_cnpj
from tests.helpers import NONE, apply_pending, make_party, make_product, party_data, product_in, share_between
from tests.helpers import catalog_url as url

pytestmark = pytest.mark.django_db

REFUSED = "Sua empresa não tem permissão de edição nem de exclusão neste compartilhamento"


@pytest.fixture
def read_only_share(company, dest, document):
    """Products and parties shared; the destination may not include, edit or delete."""
    make_product(company, "A1", "Água mineral")
    make_party(company, document, "Comercial Exemplo Ltda")
    make_product(dest, "Z9", "Só na filial")
    return share_between(company, dest, destination_permissions=NONE)


def test_it_marks_shared_records_with_the_share(login, dest_user, dest, document, read_only_share):
    client = login(dest_user)
    badge = f"Compartilhado · nº {read_only_share.pk}"
    html = client.get(url("product_list", dest)).content.decode()
    assert html.count(badge) == 1  # A1, not the local Z9
    assert reverse("sharing:share_detail", args=[dest.pk, read_only_share.pk]) in html
    html = client.get(url("product_detail", dest, product_id=product_in(dest, "A1").pk)).content.decode()
    assert badge in html
    html = client.get(url("product_detail", dest, product_id=product_in(dest, "Z9").pk)).content.decode()
    assert badge not in html
    assert badge in client.get(url("party_list", dest)).content.decode()
    party = Party.objects.get(company=dest, cnpj_cpf=document)
    assert badge in client.get(url("party_detail", dest, party_id=party.pk)).content.decode()


def test_it_disables_delete_without_permission_keeps_edit_for_local_fields_and_still_refuses(
    login, dest_user, dest, read_only_share
):
    client = login(dest_user)
    a1 = product_in(dest, "A1")
    html = client.get(url("product_detail", dest, product_id=a1.pk)).content.decode()
    assert REFUSED in html
    assert re.search(r"<button[^>]*disabled[^>]*>Excluir</button>", html)
    # Editar opens the form with the shared fields read-only (tests/catalog/test_views_locked.py).
    assert url("product_edit", dest, product_id=a1.pk) in html
    assert "os que ficam nesta empresa podem ser alterados" in html

    # A local record keeps its buttons.
    z9 = product_in(dest, "Z9")
    html = client.get(url("product_detail", dest, product_id=z9.pk)).content.decode()
    assert url("product_edit", dest, product_id=z9.pk) in html and REFUSED not in html

    # The server refuses anyway.
    data = {"code": "A1", "description": "Água com gás", "unit": "UN", "ncm": "84713012", "price": "1,00",
            "origin": "0", "item_type": "00", "active": "on", "version": a1.version}
    response = client.post(url("product_edit", dest, product_id=a1.pk), data)
    assert response.status_code == 403 and "não tem permissão de edição" in response.content.decode()
    response = client.post(url("product_delete", dest, product_id=a1.pk), {"version": a1.version})
    assert response.status_code == 403 and "não tem permissão de exclusão" in response.content.decode()
    assert product_in(dest, "A1").description == "Água mineral" and product_in(dest, "A1").active


def test_it_shows_edit_and_delete_where_the_member_may(login, owner, company, read_only_share):
    a1 = product_in(company, "A1")
    html = login(owner).get(url("product_detail", company, product_id=a1.pk)).content.decode()
    assert url("product_edit", company, product_id=a1.pk) in html
    assert url("product_delete", company, product_id=a1.pk) in html
    assert "não tem permissão" not in html


def test_it_disables_including_products_without_the_include_permission(login, dest_user, dest, read_only_share):
    html = login(dest_user).get(url("product_list", dest)).content.decode()
    assert re.search(r"<button[^>]*disabled[^>]*>Incluir produto</button>", html)
    assert "não tem permissão de inclusão" in html
    assert url("product_create", dest) not in html


def test_it_still_lets_parties_without_document_be_included(login, dest_user, dest, read_only_share):
    html = login(dest_user).get(url("party_list", dest)).content.decode()
    assert url("party_create", dest) in html
    assert "não tem permissão de inclusão" in html and "sem CNPJ/CPF" in html
    party = catalog_services.party_create(company=dest, data=party_data("", "Consumidor Sem Documento"),
                                          source="test")
    assert party.pk
    with pytest.raises(Exception, match="não tem permissão de inclusão"):
        catalog_services.party_create(company=dest, data=party_data(valid_cnpj(), "Outro Ltda"), source="test")


def test_it_asks_for_the_page_statuses_in_a_constant_number_of_queries(
    login, dest_user, dest, read_only_share, company
):
    client = login(dest_user)

    def queries():
        with CaptureQueriesContext(connection) as context:
            assert client.get(url("product_list", dest)).status_code == 200
        return len(context.captured_queries)

    few = queries()
    for n in range(5):
        catalog_services.product_create(
            company=company, data={"code": f"N{n}", "description": f"Novo {n}", "unit": "UN", "ncm": "84713012",
                                   "price": "1.00"}, source="test")
    apply_pending()
    assert Product.objects.filter(company=dest, code__startswith="N").count() == 5
    assert queries() == few


def test_it_suggests_the_shared_prd_code_on_the_new_product_form(login, owner, company, read_only_share):
    html = login(owner).get(url("product_create", company)).content.decode()
    match = re.search(r'name="code"[^>]*value="([^"]*)"', html) or re.search(r'value="([^"]*)"[^>]*name="code"', html)
    assert match and re.fullmatch(r"PRD\d{11}", match.group(1)), match


def test_it_suggests_the_companys_own_sequence_before_sharing(login, owner, company):
    for code in ("PRD00009", "PRD00123", "PRDX0200", "XPRD00500", "PRD12"):
        make_product(company, code)
    html = login(owner).get(url("product_create", company)).content.decode()
    assert 'value="PRD00124"' in html
    make_product(company, "PRD9999999999")
    assert catalog_services.product_code_suggestion(company=company) == "PRD10000000000"
