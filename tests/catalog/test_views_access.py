"""Tenancy: an outsider gets 404 on every catalog page and record of a company, and a member
gets 404 for a record id that belongs to another company. Nothing is written either way."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from catalog import services
from catalog.models import Attachment, Party, Product
from tests.factories import PartyFactory, ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def records(company):
    party = PartyFactory(company=company, legal_name="Cliente Secreto Ltda")
    product = ProductFactory(company=company, description="Produto Secreto")
    attachment = services.attachment_add(
        company=company, registry="party", record_id=party.pk, filename="segredo.txt", content=b"segredo"
    )
    return {"party": party, "product": product, "attachment": attachment}


def company_urls(company, records) -> list[tuple[str, str]]:
    """(method, url) for every catalog page and record of `company`."""
    c = company.pk
    party, product, attachment = records["party"].pk, records["product"].pk, records["attachment"].pk
    return [
        ("get", reverse("catalog:party_list", args=[c])),
        ("get", reverse("catalog:party_create", args=[c])),
        ("post", reverse("catalog:party_create", args=[c])),
        ("get", reverse("catalog:party_detail", args=[c, party])),
        ("get", reverse("catalog:party_edit", args=[c, party])),
        ("post", reverse("catalog:party_edit", args=[c, party])),
        ("get", reverse("catalog:party_delete", args=[c, party])),
        ("post", reverse("catalog:party_delete", args=[c, party])),
        ("get", reverse("catalog:product_list", args=[c])),
        ("get", reverse("catalog:product_create", args=[c])),
        ("post", reverse("catalog:product_create", args=[c])),
        ("get", reverse("catalog:product_detail", args=[c, product])),
        ("get", reverse("catalog:product_edit", args=[c, product])),
        ("post", reverse("catalog:product_edit", args=[c, product])),
        ("get", reverse("catalog:product_delete", args=[c, product])),
        ("post", reverse("catalog:product_delete", args=[c, product])),
        ("get", reverse("catalog:supplier_options", args=[c]) + "?supplier_q=secreto"),
        ("post", reverse("catalog:attachment_add", args=[c, "party", party])),
        ("post", reverse("catalog:attachment_add", args=[c, "product", product])),
        ("get", reverse("catalog:attachment_download", args=[c, attachment])),
        ("post", reverse("catalog:attachment_remove", args=[c, attachment])),
        ("get", reverse("catalog:salesperson_list", args=[c])),
        ("post", reverse("catalog:salesperson_list", args=[c])),
        ("get", reverse("catalog:family_list", args=[c])),
        ("post", reverse("catalog:family_list", args=[c])),
    ]


def test_it_answers_404_to_an_outsider_on_every_catalog_page(login, outsider, company, records):
    client = login(outsider)
    for method, url in company_urls(company, records):
        data = {"legal_name": "Invasor", "description": "Invasor", "name": "Invasor", "email": "x@x.com",
                "version": "1", "file": SimpleUploadedFile("x.txt", b"x")}
        response = getattr(client, method)(url, data) if method == "post" else client.get(url)
        assert response.status_code == 404, (method, url)
        assert "Secreto" not in response.text and "segredo" not in response.content.decode(errors="ignore")
    # Nothing was written or removed.
    assert Party.objects.get(pk=records["party"].pk).version == 2  # 1 + the attachment
    assert Product.objects.get(pk=records["product"].pk).version == 1
    assert Attachment.objects.filter(pk=records["attachment"].pk).exists()
    assert not Party.objects.filter(legal_name="Invasor").exists()


def test_it_sends_anonymous_visitors_to_the_login_page(client, company, records):
    for method, url in company_urls(company, records):
        response = getattr(client, method)(url)
        assert response.status_code == 302, (method, url)
        assert response["Location"].startswith(reverse("login"))


def test_it_answers_404_to_a_member_for_a_record_of_another_company(login, member, company, other_company):
    foreign_party = PartyFactory(company=other_company, legal_name="Cliente Alheio")
    foreign_product = ProductFactory(company=other_company, description="Produto Alheio")
    foreign_attachment = services.attachment_add(
        company=other_company, registry="product", record_id=foreign_product.pk, filename="alheio.txt", content=b"a"
    )
    client = login(member)
    c = company.pk  # the member's own company in the URL, the other company's ids after it
    urls = [
        ("get", reverse("catalog:party_detail", args=[c, foreign_party.pk])),
        ("get", reverse("catalog:party_edit", args=[c, foreign_party.pk])),
        ("post", reverse("catalog:party_edit", args=[c, foreign_party.pk])),
        ("get", reverse("catalog:party_delete", args=[c, foreign_party.pk])),
        ("post", reverse("catalog:party_delete", args=[c, foreign_party.pk])),
        ("get", reverse("catalog:product_detail", args=[c, foreign_product.pk])),
        ("get", reverse("catalog:product_edit", args=[c, foreign_product.pk])),
        ("post", reverse("catalog:product_edit", args=[c, foreign_product.pk])),
        ("get", reverse("catalog:product_delete", args=[c, foreign_product.pk])),
        ("post", reverse("catalog:product_delete", args=[c, foreign_product.pk])),
        ("post", reverse("catalog:attachment_add", args=[c, "party", foreign_party.pk])),
        ("post", reverse("catalog:attachment_add", args=[c, "product", foreign_product.pk])),
        ("get", reverse("catalog:attachment_download", args=[c, foreign_attachment.pk])),
        ("post", reverse("catalog:attachment_remove", args=[c, foreign_attachment.pk])),
    ]
    for method, url in urls:
        response = client.post(url, {"version": "1", "legal_name": "X"}) if method == "post" else client.get(url)
        assert response.status_code == 404, (method, url)
    foreign_party.refresh_from_db()
    assert (foreign_party.active, foreign_party.version) == (True, 1)
    assert Attachment.objects.filter(pk=foreign_attachment.pk).exists()


def test_it_never_lists_records_of_another_company(login, member, company, other_company):
    PartyFactory(company=company, legal_name="Cliente Nosso")
    PartyFactory(company=other_company, legal_name="Cliente Alheio")
    ProductFactory(company=other_company, description="Produto Alheio")
    client = login(member)
    parties = client.get(reverse("catalog:party_list", args=[company.pk]), {"status": "todos"}).text
    assert "Cliente Nosso" in parties and "Cliente Alheio" not in parties
    products = client.get(reverse("catalog:product_list", args=[company.pk]), {"q": "alheio"}).text
    assert "Produto Alheio" not in products


@pytest.mark.parametrize("persona", ["owner", "member"])
def test_it_opens_every_catalog_page_for_owner_and_member(request, login, persona, company, records):
    client = login(request.getfixturevalue(persona))
    for method, url in company_urls(company, records):
        if method == "get":
            assert client.get(url).status_code == 200, url
