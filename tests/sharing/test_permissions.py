"""Each member's include / edit / delete permission, on every write path, after activation."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from catalog import services as catalog_services
from catalog.exceptions import WriteRefused
from catalog.models import Attachment, Party, Product
from sharing import services
from sharing.models import Change, Share, ShareMember, SyncJob
from sharing.services import Permissions
from tests.factories import CompanyFactory
from tests.helpers import (
    ALL,
    NONE,
    activate,
    apply_pending,
    make_party,
    make_product,
    party_in,
    product_in,
    share_between,
)

DOC_A = "11222333000181"
DOC_NEW = "45723174000110"


@pytest.fixture
def group(db):
    """An origin with full permissions, a read-only destination and a full destination."""
    origin = CompanyFactory(legal_name="Matriz Ltda", trade_name="Matriz")
    readonly = CompanyFactory(legal_name="Filial Leitura Ltda", trade_name="Filial Leitura")
    full = CompanyFactory(legal_name="Filial Total Ltda", trade_name="Filial Total")
    make_product(origin, "A1", "Água", price="3.00")
    make_party(origin, DOC_A, "ACME Ltda")
    share = share_between(origin, full, destination_permissions=ALL)
    services.member_add(share=share, company=readonly, permissions=NONE)
    activate(share)
    assert ShareMember.objects.filter(share=share, state="active").count() == 3
    return origin, readonly, full


def _refused(call, permission: str) -> str:
    with pytest.raises(WriteRefused) as refused:
        call()
    message = str(refused.value)
    assert f"não tem permissão de {permission}" in message
    assert "Nada foi salvo" in message
    return message


@pytest.mark.django_db
def test_it_refuses_an_include_without_permission(group):
    _origin, readonly, _full = group

    message = _refused(lambda: make_product(readonly, "NOVO", "Produto novo"), "inclusão")
    assert "Filial Leitura" in message and "produtos" in message
    _refused(lambda: make_party(readonly, DOC_NEW, "Nova Cliente"), "inclusão")

    assert not Product.objects.filter(code="NOVO").exists()
    assert not Party.objects.filter(cnpj_cpf=DOC_NEW).exists()
    assert not Change.objects.exists()


@pytest.mark.django_db
def test_it_still_allows_a_party_without_document_in_a_read_only_member(group):
    _origin, readonly, _full = group

    party = make_party(readonly, "", "Consumidor Final")

    assert Party.objects.get(pk=party.pk).company_id == readonly.pk
    assert not Change.objects.exists()


@pytest.mark.django_db
def test_it_refuses_an_edit_without_permission(group):
    _origin, readonly, _full = group
    product = product_in(readonly, "A1")
    party = party_in(readonly, DOC_A)

    _refused(lambda: catalog_services.product_update(company=readonly, product_id=product.pk,
                                                     data={"description": "Outra"}), "edição")
    _refused(lambda: catalog_services.party_update(company=readonly, party_id=party.pk,
                                                   data={"city": "Recife"}), "edição")
    _refused(lambda: catalog_services.attachment_add(company=readonly, registry="product", record_id=product.pk,
                                                     filename="foto.png", content=b"png"), "edição")

    product.refresh_from_db()
    party.refresh_from_db()
    assert (product.description, product.version) == ("Água", 1)
    assert (party.city, party.version) == ("São Paulo", 1)
    assert not Attachment.objects.exists()
    assert not Change.objects.exists()


@pytest.mark.django_db
def test_it_refuses_a_delete_without_permission(group):
    _origin, readonly, _full = group
    product = product_in(readonly, "A1")
    party = party_in(readonly, DOC_A)

    _refused(lambda: catalog_services.product_delete(company=readonly, product_id=product.pk), "exclusão")
    _refused(lambda: catalog_services.party_delete(company=readonly, party_id=party.pk), "exclusão")

    assert Product.objects.get(pk=product.pk).active
    assert Party.objects.get(pk=party.pk).active
    assert not Change.objects.exists()


@pytest.mark.django_db
def test_it_allows_editing_fields_that_stay_local(group):
    _origin, readonly, _full = group
    product = product_in(readonly, "A1")
    party = party_in(readonly, DOC_A)

    catalog_services.product_update(company=readonly, product_id=product.pk, data={"integration_code": "ERP-1"})
    # The roles (cliente, fornecedor) are shared since issue 10: tests/sharing/test_roles.py.
    catalog_services.party_update(company=readonly, party_id=party.pk, data={"tags": ["atacado"], "code": "F-9"})
    catalog_services.stock_balance_set(company=readonly, product_id=product.pk, quantity=Decimal("3"))

    assert Product.objects.get(pk=product.pk).integration_code == "ERP-1"
    assert (Party.objects.get(pk=party.pk).code, Party.objects.get(pk=party.pk).tags) == ("F-9", ["atacado"])
    assert not Change.objects.exists()


@pytest.mark.django_db
def test_it_refuses_the_origin_too_when_it_lacks_the_permission(db):
    origin = CompanyFactory(trade_name="Matriz")
    dest = CompanyFactory(trade_name="Filial")
    product = make_product(origin, "A1", "Água")
    share_between(origin, dest, origin_permissions=Permissions(can_create=True, can_update=False,
                                                               can_delete=False))

    _refused(lambda: catalog_services.product_update(company=origin, product_id=product.pk,
                                                     data={"description": "Outra"}), "edição")
    make_product(origin, "B2", "Bala")  # include is allowed
    apply_pending()
    assert product_in(dest, "B2").description == "Bala"


@pytest.mark.django_db
def test_it_sends_a_permitted_include_edit_and_delete_to_every_other_member(group):
    origin, readonly, full = group

    created = make_product(full, "NOVO", "Produto novo", price="9.90")
    make_party(full, DOC_NEW, "Nova Cliente")
    catalog_services.product_update(company=full, product_id=product_in(full, "A1").pk,
                                    data={"description": "Água com gás"})
    catalog_services.party_delete(company=full, party_id=party_in(full, DOC_A).pk)
    apply_pending()

    for company in (origin, readonly):
        assert product_in(company, "NOVO").price == Decimal("9.90")
        assert party_in(company, DOC_NEW).legal_name == "Nova Cliente"
        assert product_in(company, "A1").description == "Água com gás"
        assert not Party.objects.filter(company=company, cnpj_cpf=DOC_A).exists()
    assert Product.objects.get(pk=created.pk).company_id == full.pk
    assert not Change.objects.exclude(status="applied").exists()


@pytest.mark.django_db(transaction=True)
def test_it_applies_the_permissions_given_on_the_command_line():
    origin = CompanyFactory(trade_name="Matriz")
    dest = CompanyFactory(trade_name="Filial")
    make_product(origin, "A1", "Água")
    out = io.StringIO()

    call_command("share_activate", "--origin", origin.cnpj, "--to", dest.cnpj, "--registries", "products",
                 "--destination-permissions", "include", "--yes", stdout=out)

    assert "1 incluído, 0 sobrescritos" in out.getvalue()
    member = ShareMember.objects.get(company=dest)
    assert (member.can_create, member.can_update, member.can_delete) == (True, False, False)
    _refused(lambda: catalog_services.product_update(company=dest, product_id=product_in(dest, "A1").pk,
                                                     data={"description": "Outra"}), "edição")
    make_product(dest, "B2", "Bala")
    assert Change.objects.filter(company=dest, action="create").count() == 1


@pytest.mark.django_db
def test_it_refuses_an_unknown_permission_on_the_command_line():
    origin = CompanyFactory()
    dest = CompanyFactory()

    with pytest.raises(CommandError, match="Permissão desconhecida: tudo"):
        call_command("share_activate", "--origin", origin.cnpj, "--to", dest.cnpj,
                     "--destination-permissions", "tudo", "--yes", stdout=io.StringIO())
    assert not Share.objects.exists()


@pytest.mark.django_db
def test_it_cancels_the_command_without_a_yes(monkeypatch):
    origin = CompanyFactory()
    dest = CompanyFactory()
    make_product(origin, "A1", "Água")
    monkeypatch.setattr("sys.stdin", io.StringIO("não\n"))

    with pytest.raises(CommandError, match="Ativação cancelada: nada foi alterado"):
        call_command("share_activate", "--origin", origin.cnpj, "--to", dest.cnpj, stdout=io.StringIO())

    assert not Share.objects.exists()
    assert not SyncJob.objects.exists()
    assert not Product.objects.filter(company=dest).exists()
