"""Images by address, suppliers, salespeople and structure through the Omie-compatible API."""

from __future__ import annotations

from decimal import Decimal
from unittest import mock

import pytest
from django.urls import reverse

from catalog import services
from catalog.models import Attachment, Blob, Party, Product
from tests.factories import PartyFactory, ProductFactory, SalespersonFactory

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"0" * 32
PRODUCT = {"codigo_produto_integracao": "I1", "descricao": "Caneta", "unidade": "UN", "ncm": "96081000"}
CLIENT = {"codigo_cliente_integracao": "C1", "razao_social": "ACME Ltda", "cnpj_cpf": "11.222.333/0001-81"}


def _images(body: dict) -> list[str]:
    return sorted(image["url_imagem"] for image in body["imagens"])


# --- images -----------------------------------------------------------------------------


def test_it_stores_image_addresses_without_fetching_them(omie, credentials, company):
    with mock.patch("socket.create_connection", side_effect=AssertionError("no fetching")), \
         mock.patch("socket.getaddrinfo", side_effect=AssertionError("no fetching")):
        created = omie(credentials, "produtos", "IncluirProduto", {
            **PRODUCT,
            "imagens": [{"url_imagem": "https://cdn.exemplo.com/fotos/caneta.png"},
                        {"url_imagem": "HTTPS://CDN.Exemplo.com/fotos/caneta-2.jpg"}],
        })

    assert created.status_code == 200
    product = Product.objects.get(pk=created.json()["codigo_produto"])
    attachments = list(product.attachments.select_related("blob").order_by("filename"))
    assert [(a.filename, a.is_image, a.blob.url) for a in attachments] == [
        ("caneta-2.jpg", True, "https://cdn.exemplo.com/fotos/caneta-2.jpg"),
        ("caneta.png", True, "https://cdn.exemplo.com/fotos/caneta.png"),
    ]
    assert all(a.blob.sha256.startswith("url-") and not a.blob.file for a in attachments)
    body = omie(credentials, "produtos", "ConsultarProduto", {"codigo_produto_integracao": "I1"}).json()
    assert _images(body) == ["https://cdn.exemplo.com/fotos/caneta-2.jpg", "https://cdn.exemplo.com/fotos/caneta.png"]


def test_the_same_address_is_one_blob_and_never_a_content_hash(company):
    first = services.blob_for_url(url="https://exemplo.com/a.png")
    again = services.blob_for_url(url="  https://EXEMPLO.com/a.png ")
    content = services.blob_store(content=b"https://exemplo.com/a.png")

    assert first.pk == again.pk and Blob.objects.filter(url="https://exemplo.com/a.png").count() == 1
    assert first.pk != content.pk and len(first.pk) == 64


def test_imagens_replaces_the_address_images_and_keeps_uploaded_files(omie, credentials, company):
    product_id = omie(credentials, "produtos", "IncluirProduto", {
        **PRODUCT, "imagens": [{"url_imagem": "https://exemplo.com/velha.png"}],
    }).json()["codigo_produto"]
    services.attachment_add(company=company, registry="product", record_id=product_id,
                            filename="foto.png", content=PNG, content_type="image/png")

    omie(credentials, "produtos", "AlterarProduto", {
        "codigo_produto": product_id, "imagens": [{"url_imagem": "https://exemplo.com/nova.png"}],
    })
    untouched = omie(credentials, "produtos", "AlterarProduto", {"codigo_produto": product_id, "descricao": "X"})
    body = omie(credentials, "produtos", "ConsultarProduto", {"codigo_produto": product_id}).json()

    assert untouched.status_code == 200
    filenames = sorted(Attachment.objects.filter(product_id=product_id).values_list("filename", flat=True))
    assert filenames == ["foto.png", "nova.png"]
    stored = Attachment.objects.get(product_id=product_id, filename="foto.png")
    download = "http://testserver" + reverse("catalog:attachment_download", args=[company.pk, stored.pk])
    assert _images(body) == sorted([download, "https://exemplo.com/nova.png"])


def test_a_stored_image_is_answered_as_its_download_page(omie, credentials, company, owner, login, client):
    product = ProductFactory(company=company)
    attachment = services.attachment_add(company=company, registry="product", record_id=product.pk,
                                         filename="foto.png", content=PNG, content_type="image/png")
    url_image = services.blob_for_url(url="https://exemplo.com/x.png")
    services.product_update(company=company, product_id=product.pk, data={"attachments": [
        [attachment.blob_id, "foto.png", True], [url_image.pk, "x.png", True],
    ]})

    body = omie(credentials, "produtos", "ConsultarProduto", {"codigo_produto": product.pk}).json()
    stored = Attachment.objects.get(product=product, filename="foto.png")
    by_address = Attachment.objects.get(product=product, filename="x.png")
    download = "http://testserver" + reverse("catalog:attachment_download", args=[company.pk, stored.pk])
    assert _images(body) == [download, "https://exemplo.com/x.png"]

    login(owner)
    assert client.get(download).status_code == 200
    redirect = client.get(reverse("catalog:attachment_download", args=[company.pk, by_address.pk]))
    assert redirect.status_code == 302 and redirect["Location"] == "https://exemplo.com/x.png"
    page = client.get(reverse("catalog:product_detail", args=[company.pk, product.pk])).content.decode()
    assert 'src="https://exemplo.com/x.png"' in page


@pytest.mark.parametrize("url", [
    "javascript:alert(1)", "ftp://exemplo.com/a.png", "/fotos/a.png", "https://", "data:image/png;base64,AAAA",
    "https://exemplo.com/a b.png", "https://exemplo.com/" + "a" * 2000,
])
def test_it_refuses_a_bad_image_address_and_writes_nothing(omie, credentials, company, url):
    response = omie(credentials, "produtos", "IncluirProduto", {**PRODUCT, "imagens": [{"url_imagem": url}]})

    assert response.status_code == 500
    body = response.json()
    assert body["faultcode"] == "SOAP-ENV:Client-105"
    assert "imagens[].url_imagem" in body["faultstring"]
    assert not Product.objects.filter(company=company).exists()
    assert not Blob.objects.exists()


def test_clients_take_and_return_images_too(omie, credentials, company):
    omie(credentials, "clientes", "IncluirCliente", {**CLIENT, "imagens": [{"url_imagem": "https://exemplo.com/logo.png"}]})

    body = omie(credentials, "clientes", "ConsultarCliente", {"codigo_cliente_integracao": "C1"}).json()

    assert body["imagens"] == [{"url_imagem": "https://exemplo.com/logo.png"}]


# --- suppliers ----------------------------------------------------------------------------


def test_it_maps_suppliers_by_id_or_cnpj_cpf(omie, credentials, company):
    by_id = PartyFactory(company=company, is_supplier=True)
    by_document = PartyFactory(company=company, is_supplier=True, cnpj_cpf="11222333000181")
    by_code = PartyFactory(company=company, is_supplier=True, code="FORN-3")

    response = omie(credentials, "produtos", "IncluirProduto", {**PRODUCT, "fornecedores": [
        by_id.pk, "11.222.333/0001-81", {"codigo_cliente_integracao": "FORN-3"},
    ]})

    assert response.status_code == 200, response.json()
    product = Product.objects.get(pk=response.json()["codigo_produto"])
    assert set(product.suppliers.all()) == {by_id, by_document, by_code}
    body = omie(credentials, "produtos", "ConsultarProduto", {"codigo_produto": product.pk}).json()
    assert {s["codigo_cliente_omie"] for s in body["fornecedores"]} == {by_id.pk, by_document.pk, by_code.pk}
    assert {"codigo_cliente_omie": by_document.pk, "cnpj_cpf": "11.222.333/0001-81",
            "razao_social": by_document.legal_name} in body["fornecedores"]


def test_an_empty_supplier_list_clears_them(omie, credentials, company):
    supplier = PartyFactory(company=company, is_supplier=True)
    product = ProductFactory(company=company, suppliers=[supplier.pk])

    omie(credentials, "produtos", "AlterarProduto", {"codigo_produto": product.pk, "fornecedores": []})

    assert not product.suppliers.exists()


def test_it_refuses_an_unknown_supplier_and_writes_nothing(omie, credentials, company):
    param = {**PRODUCT, "fornecedores": ["11.222.333/0001-81", 999999]}

    response = omie(credentials, "produtos", "IncluirProduto", param)

    assert response.status_code == 500
    assert response.json()["faultcode"] == "SOAP-ENV:Client-103"
    assert "11222333000181" in response.json()["faultstring"] and "999999" in response.json()["faultstring"]
    assert not Product.objects.filter(company=company).exists()


def test_another_companys_supplier_is_refused(omie, credentials, company, other_company):
    theirs = PartyFactory(company=other_company, is_supplier=True, cnpj_cpf="11222333000181")
    product = ProductFactory(company=company)

    by_id = omie(credentials, "produtos", "AlterarProduto", {"codigo_produto": product.pk, "fornecedores": [theirs.pk]})
    by_document = omie(credentials, "produtos", "AlterarProduto",
                       {"codigo_produto": product.pk, "fornecedores": [{"cnpj_cpf": "11222333000181"}]})

    assert by_id.json()["faultcode"] == by_document.json()["faultcode"] == "SOAP-ENV:Client-103"
    assert not product.suppliers.exists()


def test_an_invalid_supplier_document_is_a_clear_fault(omie, credentials, company):
    param = {**PRODUCT, "fornecedores": [{"cnpj_cpf": "11.222.333/0001-00"}]}

    response = omie(credentials, "produtos", "IncluirProduto", param)

    assert response.json()["faultcode"] == "SOAP-ENV:Client-105"
    assert "fornecedores" in response.json()["faultstring"]


# --- salespeople --------------------------------------------------------------------------


def test_it_maps_the_salesperson_by_id_or_email(omie, credentials, company):
    ana = SalespersonFactory(company=company, email="ana@exemplo.com.br")
    bruno = SalespersonFactory(company=company)

    omie(credentials, "clientes", "IncluirCliente", {**CLIENT, "codigo_vendedor": "ANA@exemplo.com.br"})
    party = Party.objects.get(company=company, code="C1")
    assert list(party.salespeople.all()) == [ana]

    omie(credentials, "clientes", "AlterarCliente", {"codigo_cliente_omie": party.pk, "codigo_vendedor": bruno.pk})
    body = omie(credentials, "clientes", "ConsultarCliente", {"codigo_cliente_omie": party.pk}).json()
    assert body["codigo_vendedor"] == bruno.pk
    assert body["vendedores"] == [{"codigo_vendedor": bruno.pk, "nome": bruno.name, "email": bruno.email}]

    omie(credentials, "clientes", "AlterarCliente", {"codigo_cliente_omie": party.pk, "codigo_vendedor": 0})
    assert not party.salespeople.exists()


def test_it_refuses_an_unknown_or_foreign_salesperson(omie, credentials, company, other_company):
    theirs = SalespersonFactory(company=other_company, email="deles@exemplo.com.br")

    unknown = omie(credentials, "clientes", "IncluirCliente", {**CLIENT, "codigo_vendedor": "ninguem@exemplo.com.br"})
    foreign_id = omie(credentials, "clientes", "IncluirCliente", {**CLIENT, "codigo_vendedor": theirs.pk})
    foreign_email = omie(credentials, "clientes", "IncluirCliente", {**CLIENT, "codigo_vendedor": theirs.email})

    for response in (unknown, foreign_id, foreign_email):
        assert response.status_code == 500
        assert response.json()["faultcode"] == "SOAP-ENV:Client-103"
        assert "Vendedor não cadastrado" in response.json()["faultstring"]
    assert not Party.objects.filter(company=company).exists()


# --- structure ----------------------------------------------------------------------------


def test_it_maps_the_structure_by_id_code_or_integration_code(omie, credentials, company):
    tinta = ProductFactory(company=company, code="TINTA", description="Tinta")
    ProductFactory(company=company, code="TUBO", integration_code="INT-TUBO")
    ProductFactory(company=company, code="TAMPA")

    response = omie(credentials, "produtos", "IncluirProduto", {**PRODUCT, "estrutura": [
        {"idProdMalha": tinta.pk, "quantProdMalha": "0,5"},
        {"intProdMalha": "INT-TUBO", "quantProdMalha": 1},
        {"codigo": "tampa", "quantidade": 2},
    ]})

    assert response.status_code == 200, response.json()
    product = Product.objects.get(pk=response.json()["codigo_produto"])
    assert sorted(product.bom_items.values_list("component__code", "quantity")) == [
        ("TAMPA", Decimal("2")), ("TINTA", Decimal("0.5")), ("TUBO", Decimal("1")),
    ]
    body = omie(credentials, "produtos", "ConsultarProduto", {"codigo_produto": product.pk}).json()
    assert body["estrutura"][1] == {"idProdMalha": tinta.pk, "codProdMalha": "TINTA",
                                    "descrProdMalha": "Tinta", "quantProdMalha": 0.5}
    assert [item["codProdMalha"] for item in body["estrutura"]] == ["TAMPA", "TINTA", "TUBO"]


def test_it_refuses_an_unknown_or_foreign_component(omie, credentials, company, other_company):
    theirs = ProductFactory(company=other_company, code="DELES")

    unknown = omie(credentials, "produtos", "IncluirProduto",
                   {**PRODUCT, "estrutura": [{"codProdMalha": "NAOEXISTE", "quantProdMalha": 1}]})
    foreign = omie(credentials, "produtos", "IncluirProduto",
                   {**PRODUCT, "estrutura": [{"idProdMalha": theirs.pk, "quantProdMalha": 1}]})
    no_quantity = omie(credentials, "produtos", "IncluirProduto", {**PRODUCT, "estrutura": [{"codProdMalha": "X"}]})

    assert unknown.json()["faultcode"] == foreign.json()["faultcode"] == "SOAP-ENV:Client-103"
    assert "NAOEXISTE" in unknown.json()["faultstring"]
    assert no_quantity.json()["faultcode"] == "SOAP-ENV:Client-5"
    assert not Product.objects.filter(company=company).exists()


def test_a_bad_structure_quantity_is_refused_naming_the_field(omie, credentials, company):
    component = ProductFactory(company=company)

    response = omie(credentials, "produtos", "IncluirProduto",
                    {**PRODUCT, "estrutura": [{"idProdMalha": component.pk, "quantProdMalha": -1}]})

    assert response.json()["faultcode"] == "SOAP-ENV:Client-105"
    assert "estrutura.quantProdMalha deve ser maior que zero" in response.json()["faultstring"]


def test_listing_with_references_takes_a_fixed_number_of_queries(
    omie, credentials, company, django_assert_max_num_queries
):
    supplier = PartyFactory(company=company, is_supplier=True)
    component = ProductFactory(company=company)
    blob = services.blob_for_url(url="https://exemplo.com/a.png")
    for _ in range(15):
        ProductFactory(company=company, suppliers=[supplier.pk], bom=[(component.pk, 1)],
                       attachments=[[blob.pk, "a.png", True]])
    salesperson = SalespersonFactory(company=company)
    for _ in range(15):
        PartyFactory(company=company, salespeople=[salesperson.pk], attachments=[[blob.pk, "a.png", True]])

    with django_assert_max_num_queries(14):
        products = omie(credentials, "produtos", "ListarProdutos", {"registros_por_pagina": 500}).json()
    with django_assert_max_num_queries(12):
        parties = omie(credentials, "clientes", "ListarClientes", {"registros_por_pagina": 500}).json()

    assert products["registros"] == 16 and parties["registros"] == 16
    assert products["produto_servico_cadastro"][-1]["imagens"] == [{"url_imagem": "https://exemplo.com/a.png"}]
