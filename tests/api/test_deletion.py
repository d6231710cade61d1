"""ExcluirCliente and ExcluirProduto remove the record, as Omie does (issue 12 §3): after
"excluído com sucesso" a Consultar answers Omie's not-found fault, the integration code is
free for an Incluir or an Upsert, and Listar (and its totals) leave the record out. `inativo`
is an ordinary field: an inactive record is still there, listed with inativo "S"."""

from __future__ import annotations

import pytest

from catalog import services
from catalog.models import Party, Product
from sharing.models import Snapshot
from tests.factories import PartyFactory, ProductFactory

pytestmark = pytest.mark.django_db

PADARIA = {
    "codigo_cliente_integracao": "ERP-CLI-000731",
    "razao_social": "Panificadora Pão de Açúcar do Bairro São João Ltda",
    "nome_fantasia": "Pão de Açúcar",
    "cnpj_cpf": "11.222.333/0001-81",
    "endereco": "Avenida Presidente Juscelino Kubitschek",
    "endereco_numero": "1.909",
    "bairro": "Vila Nova Conceição",
    "cidade": "São Paulo",
    "estado": "SP",
    "cep": "04543-907",
    "email": "compras@paodeacucar-bairro.com.br",
}

CAFE = {
    "codigo_produto_integracao": "ERP-PRD-004417",
    "codigo": "CAF-500-EXT",
    "descricao": "Café torrado e moído extraforte 500 g – embalagem a vácuo",
    "unidade": "UN",
    "ncm": "0901.21.00",
    "ean": "7891000315507",
    "valor_unitario": 18.9,
}


def _fault(response) -> tuple[int, str]:
    body = response.json()
    assert response.status_code == 500, body
    return int(body["faultcode"].rsplit("-", 1)[1]), body["faultstring"]


def _uniqueness_on(company) -> None:
    company.enforce_unique_records = True
    company.save(update_fields=["enforce_unique_records"])


# --- clients ---------------------------------------------------------------------------


def test_consultar_cliente_answers_not_found_after_excluir(omie, credentials, company):
    created = omie(credentials, "clientes", "IncluirCliente", PADARIA).json()
    omie_id = created["codigo_cliente_omie"]

    deleted = omie(credentials, "clientes", "ExcluirCliente", {"codigo_cliente_integracao": "ERP-CLI-000731"})

    assert deleted.json() == {
        "codigo_cliente_omie": omie_id, "codigo_cliente_integracao": "ERP-CLI-000731",
        "codigo_status": "0", "descricao_status": "Cliente excluído com sucesso!",
    }
    assert _fault(omie(credentials, "clientes", "ConsultarCliente", {"codigo_cliente_omie": omie_id})) == (
        103, f"ERROR: Cliente não cadastrado para o Código [{omie_id}]!")
    by_code = omie(credentials, "clientes", "ConsultarCliente", {"codigo_cliente_integracao": "ERP-CLI-000731"})
    assert _fault(by_code)[0] == 103
    assert _fault(omie(credentials, "clientes", "ExcluirCliente", {"codigo_cliente_omie": omie_id}))[0] == 103


def test_incluir_cliente_takes_the_code_and_document_of_an_excluded_one(omie, credentials, company):
    _uniqueness_on(company)
    first = omie(credentials, "clientes", "IncluirCliente", PADARIA).json()
    omie(credentials, "clientes", "ExcluirCliente", {"codigo_cliente_omie": first["codigo_cliente_omie"]})

    again = omie(credentials, "clientes", "IncluirCliente", {**PADARIA, "razao_social": "Panificadora Nova Ltda"})

    assert again.status_code == 200, again.content
    assert again.json()["descricao_status"] == "Cliente cadastrado com sucesso!"
    assert again.json()["codigo_cliente_omie"] != first["codigo_cliente_omie"]
    party = Party.objects.get(company=company)
    assert (party.code, party.cnpj_cpf, party.legal_name) == ("ERP-CLI-000731", "11222333000181",
                                                               "Panificadora Nova Ltda")


def test_upsert_cliente_after_excluir_includes_an_active_client(omie, credentials, company):
    first = omie(credentials, "clientes", "IncluirCliente", PADARIA).json()
    omie(credentials, "clientes", "ExcluirCliente", {"codigo_cliente_omie": first["codigo_cliente_omie"]})

    upserted = omie(credentials, "clientes", "UpsertCliente", PADARIA)

    assert upserted.json()["descricao_status"] == "Cliente cadastrado com sucesso!"
    consulted = omie(credentials, "clientes", "ConsultarCliente", {"codigo_cliente_integracao": "ERP-CLI-000731"})
    assert consulted.json()["inativo"] == "N"
    assert consulted.json()["codigo_cliente_omie"] == upserted.json()["codigo_cliente_omie"]


def test_listar_clientes_leaves_excluded_clients_out_of_pages_and_totals(omie, credentials, company):
    parties = [PartyFactory(company=company, legal_name=f"Distribuidora Irmãos Araújo {n} Ltda") for n in range(3)]
    inactive = PartyFactory(company=company, legal_name="Mercearia Inativa Ltda", active=False)
    omie(credentials, "clientes", "ExcluirCliente", {"codigo_cliente_omie": parties[1].pk})

    full = omie(credentials, "clientes", "ListarClientes", {"pagina": 1, "registros_por_pagina": 50}).json()
    summary = omie(credentials, "clientes", "ListarClientesResumido", {"pagina": 1, "registros_por_pagina": 50}).json()

    listed = {c["codigo_cliente_omie"]: c["inativo"] for c in full["clientes_cadastro"]}
    assert listed == {parties[0].pk: "N", parties[2].pk: "N", inactive.pk: "S"}
    assert (full["total_de_registros"], full["registros"]) == (3, 3)
    assert summary["total_de_registros"] == 3
    assert parties[1].pk not in {c["codigo_cliente"] for c in summary["clientes_cadastro_resumido"]}


def test_excluir_cliente_keeps_a_copy_for_support(omie, credentials, company):
    created = omie(credentials, "clientes", "IncluirCliente", PADARIA).json()
    omie(credentials, "clientes", "ExcluirCliente", {"codigo_cliente_omie": created["codigo_cliente_omie"]})

    kept = Snapshot.objects.get(company=company, local_id=created["codigo_cliente_omie"])
    assert (kept.reason, kept.source, kept.values["code"]) == ("deleted", "api", "ERP-CLI-000731")
    assert kept.values["legal_name"] == PADARIA["razao_social"]


def test_excluir_cliente_of_a_supplier_on_products_is_refused_naming_them(omie, credentials, company):
    supplier = PartyFactory(company=company, legal_name="Torrefação Serra Azul Ltda", is_supplier=True)
    product = ProductFactory(company=company, code="CAF-500", description="Café Serra Azul 500 g")
    services.product_update(company=company, product_id=product.pk, data={"suppliers": [supplier.pk]})

    code, text = _fault(omie(credentials, "clientes", "ExcluirCliente", {"codigo_cliente_omie": supplier.pk}))

    assert code == 9
    assert "está na lista de fornecedores de 1 produto: CAF-500 – Café Serra Azul 500 g" in text
    assert Party.objects.filter(pk=supplier.pk).exists()


# --- products --------------------------------------------------------------------------


def test_consultar_produto_answers_not_found_after_excluir(omie, credentials, company):
    created = omie(credentials, "produtos", "IncluirProduto", CAFE).json()

    deleted = omie(credentials, "produtos", "ExcluirProduto", {"codigo_produto_integracao": "ERP-PRD-004417"})

    assert deleted.json()["descricao_status"] == "Produto excluído com sucesso!"
    assert deleted.json()["codigo_produto"] == created["codigo_produto"]
    for key in ({"codigo_produto": created["codigo_produto"]}, {"codigo_produto_integracao": "ERP-PRD-004417"},
                {"codigo": "CAF-500-EXT"}):
        code, text = _fault(omie(credentials, "produtos", "ConsultarProduto", key))
        assert code == 103 and "Produto não cadastrado para o Código" in text


def test_incluir_produto_takes_the_codes_and_ean_of_an_excluded_one(omie, credentials, company):
    _uniqueness_on(company)
    first = omie(credentials, "produtos", "IncluirProduto", CAFE).json()
    omie(credentials, "produtos", "ExcluirProduto", {"codigo_produto": first["codigo_produto"]})

    again = omie(credentials, "produtos", "IncluirProduto", {**CAFE, "descricao": "Café extraforte – nova receita"})

    assert again.status_code == 200, again.content
    product = Product.objects.get(company=company)
    assert (product.integration_code, product.code, product.ean) == ("ERP-PRD-004417", "CAF-500-EXT", "7891000315507")
    assert product.pk != first["codigo_produto"]


def test_upsert_produto_after_excluir_includes_an_active_product(omie, credentials, company):
    first = omie(credentials, "produtos", "IncluirProduto", CAFE).json()
    omie(credentials, "produtos", "ExcluirProduto", {"codigo_produto": first["codigo_produto"]})

    upserted = omie(credentials, "produtos", "UpsertProduto", CAFE)

    assert upserted.json()["descricao_status"] == "Produto cadastrado com sucesso!"
    consulted = omie(credentials, "produtos", "ConsultarProduto", {"codigo_produto_integracao": "ERP-PRD-004417"})
    assert consulted.json()["inativo"] == "N"


def test_listar_produtos_leaves_excluded_products_out_of_pages_and_totals(omie, credentials, company):
    products = [ProductFactory(company=company, description=f"Açúcar cristal {n} kg") for n in (1, 2, 5)]
    inactive = ProductFactory(company=company, description="Açúcar mascavo (fora de linha)", active=False)
    omie(credentials, "produtos", "ExcluirProduto", {"codigo_produto": products[0].pk})

    full = omie(credentials, "produtos", "ListarProdutos", {"pagina": 1, "registros_por_pagina": 50}).json()
    summary = omie(credentials, "produtos", "ListarProdutosResumido", {"pagina": 1, "registros_por_pagina": 50}).json()

    listed = {p["codigo_produto"]: p["inativo"] for p in full["produto_servico_cadastro"]}
    assert listed == {products[1].pk: "N", products[2].pk: "N", inactive.pk: "S"}
    assert full["total_de_registros"] == summary["total_de_registros"] == 3
    assert products[0].pk not in {p["codigo_produto"] for p in summary["produto_servico_resumido"]}


def test_excluir_produto_of_a_structure_component_is_refused_naming_the_structures(omie, credentials, company):
    component = ProductFactory(company=company, code="EMB-VAC-500", description="Embalagem a vácuo 500 g")
    product = ProductFactory(company=company, code="CAF-500", description="Café 500 g")
    services.product_update(company=company, product_id=product.pk, data={"bom": [(component.pk, "1")]})

    code, text = _fault(omie(credentials, "produtos", "ExcluirProduto", {"codigo": "EMB-VAC-500"}))

    assert code == 9 and "é componente da estrutura de 1 produto: CAF-500 – Café 500 g" in text
    assert Product.objects.filter(pk=component.pk).exists()
