"""Including a record whose CNPJ/CPF, code or EAN this company already holds: the form
links to the existing record and says what this company may do with it; "being
synchronised" only when the shared record really is on its way."""

from __future__ import annotations

import pytest

from catalog import services as catalog_services
from catalog.models import Party, Product
from omieshare.lib.brazil import mask_cpf_cnpj
from sharing.models import Change
from sharing.services import Permissions
from tests.factories import valid_cnpj, valid_ean13
from tests.helpers import ALL, apply_pending, make_party, make_product, product_in, share_between
from tests.helpers import catalog_url as url

pytestmark = pytest.mark.django_db

CREATE_ONLY = Permissions(can_create=True, can_update=False, can_delete=False)
ONLY_LOCAL = "só pode alterar os campos que ficam nesta empresa"
IN_FLIGHT = "está sendo sincronizado"
EAN = valid_ean13()


def _share(company, dest, document, permissions):
    make_party(company, document, "Distribuidora São João Ltda")
    make_product(company, "A1", "Água mineral sem gás 500 ml", ean=EAN)
    return share_between(company, dest, destination_permissions=permissions)


def party_post(document: str) -> dict:
    return {
        "cnpj_cpf": mask_cpf_cnpj(document), "person_type": "J", "legal_name": "Distribuidora Cópia Ltda",
        "city": "Campinas", "state": "SP", "country_code": "1058", "is_client": "on", "active": "on",
    }


def product_post(code: str, **fields) -> dict:
    return {"code": code, "description": "Água de novo", "unit": "UN", "ncm": "2201.10.00", "price": "2,50",
            "origin": "0", "item_type": "00", "active": "on", **fields}


def test_it_links_to_the_shared_client_already_here_and_says_only_local_fields_may_change(
    login, dest_user, company, dest, document
):
    _share(company, dest, document, CREATE_ONLY)
    existing = Party.objects.get(company=dest, cnpj_cpf=document)

    response = login(dest_user).post(url("party_create", dest), party_post(document))

    html = response.content.decode()
    assert response.status_code == 403
    assert "já está nesta empresa como cadastro compartilhado pelo grupo" in html
    link = url("party_detail", dest, party_id=existing.pk)
    assert f'<a href="{link}">nº {existing.pk} – Distribuidora São João Ltda</a>' in html
    assert ONLY_LOCAL in html
    assert IN_FLIGHT not in html
    assert Party.objects.filter(company=dest, cnpj_cpf=document).count() == 1


def test_it_says_the_company_may_edit_the_existing_client_when_it_may(login, dest_user, company, dest, document):
    _share(company, dest, document, ALL)
    existing = Party.objects.get(company=dest, cnpj_cpf=document)

    html = login(dest_user).post(url("party_create", dest), party_post(document)).content.decode()

    assert url("party_detail", dest, party_id=existing.pk) in html
    assert "Esta empresa pode editá-lo." in html and ONLY_LOCAL not in html and IN_FLIGHT not in html


def test_it_still_says_being_synchronised_when_the_client_is_on_its_way(login, dest_user, company, dest, document):
    _share(company, dest, document, CREATE_ONLY)
    newcomer = valid_cnpj()
    make_party(company, newcomer, "Recém-chegada Ltda")  # its change is not applied yet
    assert Change.objects.filter(status=Change.Status.PENDING).exists()

    response = login(dest_user).post(url("party_create", dest), party_post(newcomer))

    html = response.content.decode()
    assert response.status_code == 403 and IN_FLIGHT in html and 'id="existing-record"' not in html


def test_it_links_to_the_product_holding_the_code_and_says_what_may_be_done(
    login, dest_user, company, dest, document
):
    _share(company, dest, document, CREATE_ONLY)
    a1 = product_in(dest, "A1")

    response = login(dest_user).post(url("product_create", dest), product_post("A1"))

    html = response.content.decode()
    assert response.status_code == 400
    assert "Já existe um produto com o código A1 nesta empresa" in html
    assert f'<a href="{url("product_detail", dest, product_id=a1.pk)}">A1 – Água mineral sem gás 500 ml</a>' in html
    assert ONLY_LOCAL in html


def test_it_links_to_the_product_holding_the_ean_with_uniqueness_validation_on(
    login, dest_user, company, dest, document
):
    _share(company, dest, document, CREATE_ONLY)
    dest.enforce_unique_records = True
    dest.save()
    a1 = product_in(dest, "A1")

    response = login(dest_user).post(url("product_create", dest), product_post("B2", ean=EAN))

    html = response.content.decode()
    assert response.status_code == 400
    assert f"Já existe um produto com o EAN {EAN} nesta empresa" in html
    assert url("product_detail", dest, product_id=a1.pk) in html and ONLY_LOCAL in html
    assert not Product.objects.filter(company=dest, code="B2").exists()


def test_it_says_why_a_shared_product_never_arrived_instead_of_being_synchronised(
    login, dest_user, company, dest, document
):
    dest.enforce_unique_records = True
    dest.save()
    _share(company, dest, document, CREATE_ONLY)
    other_ean = valid_ean13()
    make_product(dest, "Z9", "Só na filial", ean=other_ean)
    catalog_services.product_create(
        company=company, data={"code": "NOVO", "description": "Novo", "unit": "UN", "ncm": "22011000",
                               "price": "1.00", "ean": other_ean}, source="test")
    apply_pending()  # the branch refuses it: Z9 holds that EAN
    assert not Product.objects.filter(company=dest, code="NOVO").exists()

    response = login(dest_user).post(url("product_create", dest), product_post("NOVO"))

    html = response.content.decode()
    assert response.status_code == 403
    assert "não pôde ser incluído nesta empresa: Já existe um produto com o EAN" in html
    assert IN_FLIGHT not in html


def test_it_links_to_the_client_holding_the_cnpj_with_uniqueness_validation_on(
    login, dest_user, company, dest, document
):
    dest.enforce_unique_records = True
    dest.save()
    _share(company, dest, document, CREATE_ONLY)
    existing = Party.objects.get(company=dest, cnpj_cpf=document)

    response = login(dest_user).post(url("party_create", dest), party_post(document))

    html = response.content.decode()
    assert response.status_code == 400
    assert f"Já existe um cliente/fornecedor com o CNPJ/CPF {mask_cpf_cnpj(document)} nesta empresa" in html
    assert url("party_detail", dest, party_id=existing.pk) in html and ONLY_LOCAL in html
