"""Images and attachments on the detail pages: upload, dedup by content, download, remove."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from catalog.models import Attachment, Blob
from tests.factories import PartyFactory, ProductFactory

pytestmark = pytest.mark.django_db

# A 1×1 transparent PNG.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c63000100000500010d0a2db40000000049454e44ae426082"
)


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def upload(client, company, registry, record, name="contrato.pdf", content=b"%PDF-1.4 contrato",
           content_type="application/pdf"):
    return client.post(
        reverse("catalog:attachment_add", args=[company.pk, registry, record.pk]),
        {"file": SimpleUploadedFile(name, content, content_type=content_type)},
    )


def test_it_stores_identical_files_on_two_records_once(login, member, company):
    party = PartyFactory(company=company)
    product = ProductFactory(company=company)
    client = login(member)

    first = upload(client, company, "party", party)
    second = upload(client, company, "product", product, name="copia-do-contrato.pdf")

    assert first.status_code == second.status_code == 302
    assert Blob.objects.count() == 1
    assert Attachment.objects.filter(company=company).count() == 2
    party_page = client.get(first["Location"]).text
    assert "contrato.pdf" in party_page
    assert "copia-do-contrato.pdf" in client.get(second["Location"]).text


def test_it_shows_an_image_thumbnail_and_serves_it_inline(login, member, company):
    product = ProductFactory(company=company)
    client = login(member)
    upload(client, company, "product", product, name="foto.png", content=PNG, content_type="image/png")
    attachment = Attachment.objects.get(product=product)
    download_url = reverse("catalog:attachment_download", args=[company.pk, attachment.pk])

    page = client.get(reverse("catalog:product_detail", args=[company.pk, product.pk])).text
    assert f'<img src="{download_url}"' in page

    response = client.get(download_url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert not response["Content-Disposition"].startswith("attachment")
    assert b"".join(response.streaming_content) == PNG


def test_it_downloads_other_files_as_attachments_with_their_name(login, member, company):
    party = PartyFactory(company=company)
    client = login(member)
    upload(client, company, "party", party, name="página.html", content=b"<script>alert(1)</script>",
           content_type="text/html")
    attachment = Attachment.objects.get(party=party)
    response = client.get(reverse("catalog:attachment_download", args=[company.pk, attachment.pk]))
    assert response["Content-Disposition"].startswith("attachment")
    assert "sandbox" in response["Content-Security-Policy"]


def test_it_refuses_a_file_over_the_limit_with_a_clear_message(login, member, company, settings):
    settings.MAX_ATTACHMENT_BYTES = 1024
    party = PartyFactory(company=company)
    response = upload(login(member), company, "party", party, name="grande.zip", content=b"x" * 2048)
    assert response.status_code == 400
    assert "O arquivo “grande.zip” tem 2 KB; o limite é 1 KB." in response.text
    assert not Attachment.objects.exists()
    assert not Blob.objects.exists()


def test_it_asks_for_a_file_when_none_is_sent(login, member, company):
    party = PartyFactory(company=company)
    response = login(member).post(reverse("catalog:attachment_add", args=[company.pk, "party", party.pk]))
    assert response.status_code == 400
    assert "Este campo é obrigatório." in response.text


def test_it_removes_an_attachment_and_keeps_the_shared_bytes(login, member, company):
    party = PartyFactory(company=company)
    other = PartyFactory(company=company)
    client = login(member)
    upload(client, company, "party", party)
    upload(client, company, "party", other)
    attachment = Attachment.objects.get(party=party)

    response = client.post(
        reverse("catalog:attachment_remove", args=[company.pk, attachment.pk]), follow=True
    )
    assert response.status_code == 200
    assert "removido" in response.text
    assert not Attachment.objects.filter(party=party).exists()
    assert Attachment.objects.filter(party=other).exists()
    assert Blob.objects.count() == 1


def test_it_only_removes_by_post(login, member, company):
    party = PartyFactory(company=company)
    client = login(member)
    upload(client, company, "party", party)
    attachment = Attachment.objects.get(party=party)
    response = client.get(reverse("catalog:attachment_remove", args=[company.pk, attachment.pk]))
    assert response.status_code == 405
    assert Attachment.objects.filter(pk=attachment.pk).exists()


def test_it_guesses_the_type_when_the_browser_sends_an_implausible_one(login, member, company):
    product = ProductFactory(company=company)
    client = login(member)
    response = upload(client, company, "product", product, name="foto.png", content=PNG, content_type="x" * 300)
    assert response.status_code == 302
    assert Attachment.objects.get(product=product).blob.content_type == "image/png"


def test_it_answers_404_when_the_stored_file_is_gone(login, member, company, media_root):
    party = PartyFactory(company=company)
    client = login(member)
    upload(client, company, "party", party)
    attachment = Attachment.objects.get(party=party)
    (media_root / attachment.blob.file.name).unlink()
    response = client.get(reverse("catalog:attachment_download", args=[company.pk, attachment.pk]))
    assert response.status_code == 404
