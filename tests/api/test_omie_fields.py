"""Every field of Omie's clientes_cadastro and produto_servico_cadastro (issue 12 §2): what a
write sends is stored and answered by Consultar and Listar with Omie's names and types, and
a tag outside Omie's structure is refused instead of being accepted and dropped."""

from __future__ import annotations

import copy
from decimal import Decimal

import pytest

from catalog.models import Party, Product
from tests.factories import SalespersonFactory

pytestmark = pytest.mark.django_db


def full_client(salesperson_id: int) -> dict:
    """A client as an ERP integration fills every tag of clientes_cadastro."""
    return {
        "codigo_cliente_integracao": "ERP-CLI-4471023",
        "razao_social": "Açaí & Cia Distribuidora de Alimentos Ltda",
        "nome_fantasia": "Açaí & Cia",
        "cnpj_cpf": "11.222.333/0001-81",
        "endereco": "Avenida Paulista",
        "endereco_numero": "1578",
        "complemento": "Conjunto 42",
        "bairro": "Bela Vista",
        "cidade": "São Paulo",
        "estado": "SP",
        "cep": "01310200",
        "codigo_pais": "1058",
        "cidade_ibge": "3550308",
        "telefone1_ddd": "11",
        "telefone1_numero": "32104567",
        "telefone2_ddd": "11",
        "telefone2_numero": "987654321",
        "fax_ddd": "11",
        "fax_numero": "32104568",
        "email": "compras@acaiecia.com.br",
        "homepage": "https://www.acaiecia.com.br",
        "contato": "Joana Araújo",
        "inscricao_estadual": "110.042.490.114",
        "inscricao_municipal": "4.123.456-7",
        "inscricao_suframa": "200123456",
        "contribuinte": "S",
        "optante_simples_nacional": "N",
        "produtor_rural": "N",
        "tipo_atividade": "1",
        "cnae": "4637-1/07",
        "observacao": "Entregar pela doca 3; não receber após as 17h.",
        "obs_detalhadas": "Cliente desde 2014.\nPrefere boleto com vencimento no dia 10.",
        "recomendacao_atraso": "07",
        "valor_limite_credito": 25000.5,
        "bloquear_faturamento": "N",
        "bloqueado": "N",
        "bloquear_exclusao": "S",
        "enviar_anexos": "S",
        "pessoa_fisica": "N",
        "exterior": "N",
        "inativo": "N",
        "tags": [{"tag": "Cliente"}, {"tag": "Atacado"}],
        "caracteristicas": [{"campo": "Segmento", "conteudo": "Hortifrúti"}],
        "recomendacoes": {
            "numero_parcelas": "A30",
            "codigo_vendedor": salesperson_id,
            "email_fatura": "nfe@acaiecia.com.br",
            "gerar_boletos": "S",
            "codigo_transportadora": 4471200,
            "tipo_assinante": "3",
        },
        "dadosBancarios": {
            "codigo_banco": "341",
            "agencia": "0912",
            "conta_corrente": "45678-9",
            "doc_titular": "11.222.333/0001-81",
            "nome_titular": "Açaí & Cia Distribuidora de Alimentos Ltda",
            "transf_padrao": "S",
            "cChavePix": "financeiro@acaiecia.com.br",
        },
        "enderecoEntrega": {
            "entRazaoSocial": "Açaí & Cia — Centro de Distribuição",
            "entCnpjCpf": "45.723.174/0001-10",
            "entEndereco": "Rodovia Anhanguera",
            "entNumero": "km 104",
            "entComplemento": "Galpão 7",
            "entBairro": "Distrito Industrial",
            "entCEP": "13065000",
            "entEstado": "SP",
            "entCidade": "Campinas",
            "entTelefone": "(19) 3232-4545",
            "entIE": "244.123.456.119",
        },
    }


FULL_PRODUCT = {
    "codigo_produto_integracao": "ERP-PRD-2209117",
    "codigo": "ACAI-POLPA-1KG",
    "descricao": "Polpa de açaí orgânica 1 kg — congelada",
    "unidade": "KG",
    "ncm": "0811.90.00",
    "ean": "7891234567895",
    "valor_unitario": 42.9,
    "tipoItem": "00",
    "recomendacoes_fiscais": {
        "origem_mercadoria": "0",
        "id_cest": "17.024.00",
        "id_preco_tabelado": 3120,
        "cupom_fiscal": "S",
        "market_place": "S",
        "indicador_escala": "S",
        "cnpj_fabricante": "45.723.174/0001-10",
    },
    "peso_liq": 1.0,
    "peso_bruto": 1.08,
    "altura": 18.5,
    "largura": 12.0,
    "profundidade": 6.25,
    "marca": "Açaí Real",
    "modelo": "Orgânica 1 kg",
    "dias_garantia": 90,
    "dias_crossdocking": 2,
    "lead_time": 7,
    "descr_detalhada": "Polpa pasteurizada, sem conservantes.\nManter a -18 °C.",
    "obs_internas": "Comprar só do lote certificado.",
    "exibir_descricao_nfe": "S",
    "exibir_descricao_pedido": "N",
    "videos": [{"url_video": "https://www.youtube.com/watch?v=acai2025"}],
    "estoque_minimo": 25.5,
    "bloqueado": "N",
    "bloquear_exclusao": "S",
    "produto_lote": "S",
    "cfop": "5.102",
    "cst_icms": "00",
    "csosn_icms": "102",
    "modalidade_icms": "3",
    "aliquota_icms": 18.0,
    "red_base_icms": 0.0,
    "motivo_deson_icms": "",
    "per_icms_fcp": 2.0,
    "codigo_beneficio": "SP070001",
    "cst_pis": "01",
    "aliquota_pis": 1.65,
    "red_base_pis": 0.0,
    "cst_cofins": "01",
    "aliquota_cofins": 7.6,
    "red_base_cofins": 0.0,
    "cst_ibs_cbs": "000",
    "class_trib": "000001",
    "aliquota_ibs_uf": 0.1,
    "aliquota_ibs_mun": 0.0,
    "perc_reducao_ibs_uf": 0.0,
    "perc_reducao_ibs_mun": 0.0,
    "aliquota_cbs": 0.9,
    "perc_reducao_cbs": 0.0,
    "origem_imposto": "PRD",
    "aliquota_ibpt": 31.45,
    "dadosIbpt": {
        "aliqFederal": 13.45,
        "aliqEstadual": 18.0,
        "aliqMunicipal": 0.0,
        "fonte": "IBPT/empresometro.com.br",
        "chave": "A1B2C3",
        "versao": "25.1.A",
        "valido_de": "01/01/2025",
        "valido_ate": "30/06/2025",
    },
    "medicamento": {"cod_anvisa": "1234567890123", "preco_max_cons": 59.9},
    "combustivel": {
        "codigo_anp": "", "descr_anp": "", "percent_glp": 0.0, "percent_gas_nac": 0.0, "percent_gas_imp": 0.0,
        "valor_part": 0.0,
    },
    "veiculo": {
        "ano_fabr": "2024", "ano_modelo": "2025", "chassi": "9BWZZZ377VT004251", "cilin": "1600", "cmt": "1.2000",
        "cond_veic": "1", "cod_cor_veic": "0100", "cod_cor_den": "05", "descr_cor": "Branco Cristal",
        "dist_eixo": "2650", "especie_veic": "1", "lota_max": "5", "cod_modelo": "001234", "motor": "CFZ123456",
        "peso_bruto_veic": "1.5000", "peso_liquido_veic": "1.1500", "potencia": "110", "serie_veic": "000000001",
        "tipo_comb": "16", "tipo_oper": "1", "tipo_pintura": "S", "tipo_restricao": "0", "tipo_veic": "06",
        "cond_vin": "N",
    },
    "armamento": {"serie_cano": "", "descr_arma": "", "serie_arma": "", "tipo_arma": ""},
    "caracteristicas": [{"nome_caracteristica": "Sabor", "conteudo": "Tradicional"}],
    "inativo": "N",
}


def _assert_answers_what_was_sent(sent: dict, answer: dict, skip: set[str] = frozenset()) -> None:
    """Every tag sent comes back with the same value and JSON type (nested ones key by key)."""
    for tag, value in sent.items():
        if tag in skip:
            continue
        if isinstance(value, dict):
            for key, inner in value.items():
                assert (tag, key, answer[tag][key]) == (tag, key, inner)
                assert type(answer[tag][key]) is type(inner), (tag, key)
        else:
            assert (tag, answer[tag]) == (tag, value)
            assert type(answer[tag]) is type(value), tag


def _listed(omie, credentials, endpoint, call, list_name, param):
    body = omie(credentials, endpoint, call, {"pagina": 1, "registros_por_pagina": 50, **param}).json()
    assert body["registros"] == 1, body
    return body[list_name][0]


def test_every_client_field_sent_is_answered_by_consultar_and_listar(omie, credentials, company):
    salesperson = SalespersonFactory(company=company, name="Rafael Conceição", email="rafael@acaiecia.com.br")
    sent = full_client(salesperson.pk)

    created = omie(credentials, "clientes", "IncluirCliente", sent).json()
    consulted = omie(credentials, "clientes", "ConsultarCliente",
                     {"codigo_cliente_omie": created["codigo_cliente_omie"]}).json()
    listed = _listed(omie, credentials, "clientes", "ListarClientes", "clientes_cadastro",
                     {"clientesFiltro": {"codigo_cliente_integracao": "ERP-CLI-4471023"}})

    for answer in (consulted, listed):
        _assert_answers_what_was_sent(sent, answer)
        assert answer["importado_api"] == "S" and answer["info"]["cImpAPI"] == "S"
    party = Party.objects.get(pk=created["codigo_cliente_omie"])
    assert (party.state_registration, party.icms_taxpayer, party.credit_limit) == (
        "110.042.490.114", True, Decimal("25000.50"))
    assert (party.bank_holder_document, party.delivery_document) == ("11222333000181", "45723174000110")


def test_every_product_field_sent_is_answered_by_consultar_and_listar(omie, credentials, company):
    created = omie(credentials, "produtos", "IncluirProduto", FULL_PRODUCT).json()
    consulted = omie(credentials, "produtos", "ConsultarProduto", {"codigo_produto": created["codigo_produto"]}).json()
    listed = _listed(omie, credentials, "produtos", "ListarProdutos", "produto_servico_cadastro",
                     {"produtosFiltro": {"codigo": "ACAI-POLPA-1KG"}})

    for answer in (consulted, listed):
        _assert_answers_what_was_sent(FULL_PRODUCT, answer)
        assert answer["importado_api"] == "S"
        assert (answer["quantidade_estoque"], answer["tabelas_preco"], answer["componentes_kit"]) == (0.0, [], [])
    product = Product.objects.get(pk=created["codigo_produto"])
    assert (product.gross_weight, product.icms_rate, product.cfop) == (Decimal("1.0800"), Decimal("18"), "5.102")
    assert str(product.ibpt_valid_until) == "2025-06-30"


def test_alterar_changes_one_nested_field_and_keeps_the_others(omie, credentials, company):
    salesperson = SalespersonFactory(company=company)
    sent = full_client(salesperson.pk)
    omie(credentials, "clientes", "IncluirCliente", sent)
    omie(credentials, "produtos", "IncluirProduto", FULL_PRODUCT)

    client_change = omie(credentials, "clientes", "AlterarCliente", {
        "codigo_cliente_integracao": "ERP-CLI-4471023", "dadosBancarios": {"agencia": "1503"}})
    product_change = omie(credentials, "produtos", "AlterarProduto", {
        "codigo_produto_integracao": "ERP-PRD-2209117", "dadosIbpt": {"valido_ate": "31/12/2025"}})

    assert client_change.status_code == product_change.status_code == 200
    client = omie(credentials, "clientes", "ConsultarCliente", {"codigo_cliente_integracao": "ERP-CLI-4471023"}).json()
    expected = copy.deepcopy(sent)
    expected["dadosBancarios"]["agencia"] = "1503"
    _assert_answers_what_was_sent(expected, client)
    product = omie(credentials, "produtos", "ConsultarProduto", {"codigo_produto_integracao": "ERP-PRD-2209117"}).json()
    expected = copy.deepcopy(FULL_PRODUCT)
    expected["dadosIbpt"]["valido_ate"] = "31/12/2025"
    _assert_answers_what_was_sent(expected, product)


@pytest.mark.parametrize(("endpoint", "call", "payload", "fault"), [
    ("clientes", "IncluirCliente",
     {"codigo_cliente_integracao": "C-9", "razao_social": "Padaria Pão Quente", "inscricao_estadua": "123"},
     "Tag [INSCRICAO_ESTADUA] não faz parte da estrutura do tipo complexo [clientes_cadastro]!"),
    ("clientes", "IncluirCliente",
     {"codigo_cliente_integracao": "C-9", "razao_social": "Padaria Pão Quente", "dadosBancarios": {"pix": "x"}},
     "Tag [PIX] não faz parte da estrutura do tipo complexo [dadosBancarios]!"),
    ("produtos", "IncluirProduto",
     {"codigo_produto_integracao": "P-9", "descricao": "Pão de queijo", "unidade": "UN", "ncm": "19059090",
      "recomendacoes_fiscais": {"origem_mercadoria": "0", "cst": "00"}},
     "Tag [CST] não faz parte da estrutura do tipo complexo [recomendacoes_fiscais]!"),
    ("produtos", "IncluirProduto",
     {"codigo_produto_integracao": "P-9", "descricao": "Pão de queijo", "unidade": "UN", "ncm": "19059090",
      "peso": 0.5},
     "Tag [PESO] não faz parte da estrutura do tipo complexo [produto_servico_cadastro]!"),
])
def test_a_tag_outside_omies_structure_is_refused_and_nothing_is_written(omie, credentials, company, endpoint,
                                                                          call, payload, fault):
    response = omie(credentials, endpoint, call, payload)

    assert response.json() == {"faultstring": f"ERROR: {fault}", "faultcode": "SOAP-ENV:Client-5001"}
    assert not Party.objects.filter(company=company).exists()
    assert not Product.objects.filter(company=company).exists()


def test_an_alteration_with_an_unknown_nested_tag_changes_nothing(omie, credentials, company):
    salesperson = SalespersonFactory(company=company)
    omie(credentials, "clientes", "IncluirCliente", full_client(salesperson.pk))

    response = omie(credentials, "clientes", "AlterarCliente", {
        "codigo_cliente_integracao": "ERP-CLI-4471023", "inscricao_estadual": "ISENTO",
        "enderecoEntrega": {"entCidade": "Jundiaí", "entPais": "1058"}})

    assert response.json()["faultstring"] == (
        "ERROR: Tag [ENTPAIS] não faz parte da estrutura do tipo complexo [enderecoEntrega]!")
    party = Party.objects.get(company=company)
    assert (party.state_registration, party.delivery_city, party.version) == ("110.042.490.114", "Campinas", 1)


def test_tags_are_matched_whatever_their_case_as_omie_does(omie, credentials, company):
    response = omie(credentials, "clientes", "IncluirCliente", {
        "CODIGO_CLIENTE_INTEGRACAO": "C-77", "Razao_Social": "Mercearia São Jorge", "INSCRICAO_ESTADUAL": "ISENTO",
        "DadosBancarios": {"CODIGO_BANCO": "001", "cchavepix": "11999998888"}})

    assert response.status_code == 200, response.json()
    party = Party.objects.get(company=company, code="C-77")
    assert (party.legal_name, party.state_registration, party.bank_code, party.pix_key) == (
        "Mercearia São Jorge", "ISENTO", "001", "11999998888")


@pytest.mark.parametrize(("change", "message"), [
    ({"cnae": "47512"}, "CNAE inválido: informe os 7 dígitos do código (ex.: 4751-2/01 ou 4751201). (campo cnae)"),
    ({"cidade_ibge": "3304557"}, "O código IBGE 3304557 é de uma cidade de outro estado: os de SP começam com 35. "
                                 "(campo cidade_ibge)"),
    ({"enderecoEntrega": {"entEstado": "XX"}}, "UF inválida: use a sigla de um dos 27 estados (ex.: SP, RJ, DF). "
                                               "(campo enderecoEntrega.entEstado)"),
    ({"contribuinte": "talvez"}, "O campo contribuinte deve ser 'S' ou 'N' (recebido [talvez])."),
    ({"valor_limite_credito": -10}, "Limite de crédito não pode ser negativo. (campo valor_limite_credito)"),
    ({"recomendacoes": {"codigo_transportadora": "abc"}},
     "O campo recomendacoes.codigo_transportadora deve ser um número inteiro (recebido [abc])."),
])
def test_a_bad_client_value_is_refused_naming_the_field(omie, credentials, company, change, message):
    payload = {"codigo_cliente_integracao": "C-1", "razao_social": "Quitanda Boa Vista", "estado": "SP", **change}

    body = omie(credentials, "clientes", "IncluirCliente", payload).json()

    assert (body["faultcode"], body["faultstring"]) == ("SOAP-ENV:Client-105", f"ERROR: {message}")
    assert not Party.objects.exists()


@pytest.mark.parametrize(("change", "message"), [
    ({"peso_bruto": -1.5}, "Peso bruto (kg) não pode ser negativo. (campo peso_bruto)"),
    ({"aliquota_icms": 118}, "Alíquota do ICMS (%) é um percentual: no máximo 100. (campo aliquota_icms)"),
    ({"cfop": "9102"}, "CFOP inválido: informe 4 dígitos (ex.: 5.102 ou 6102). (campo cfop)"),
    ({"dadosIbpt": {"valido_de": "31/02/2025"}}, "Data inválida no campo dadosIbpt.valido_de: [31/02/2025]; use "
                                                  "dd/mm/aaaa."),
    ({"videos": [{"url_video": "youtube acai"}]}, "Endereço de vídeo inválido: youtube acai. Use http:// ou "
                                                  "https://. (campo videos[].url_video)"),
    ({"componentes_kit": [{"codigo_produto_componente": 1, "quantidade_componente": 2}]},
     "Kits (componentes_kit) não são aceitos aqui; informe a composição do produto na estrutura."),
])
def test_a_bad_product_value_is_refused_naming_the_field(omie, credentials, company, change, message):
    payload = {"codigo_produto_integracao": "P-1", "descricao": "Tapioca 500 g", "unidade": "UN",
               "ncm": "19030000", **change}

    body = omie(credentials, "produtos", "IncluirProduto", payload).json()

    assert (body["faultcode"], body["faultstring"]) == ("SOAP-ENV:Client-105", f"ERROR: {message}")
    assert not Product.objects.exists()


def test_separar_endereco_takes_the_number_and_complement_out_of_the_street(omie, credentials, company):
    omie(credentials, "clientes", "IncluirCliente", {
        "codigo_cliente_integracao": "C-5", "razao_social": "Empório Paulista Ltda", "separar_endereco": "S",
        "endereco": "Rua Augusta, 1508 - Loja 3",
        "enderecoEntrega": {"entEndereco": "Av. Brasil 500, bloco B", "entSepararEndereco": "S"},
    })

    party = Party.objects.get(company=company, code="C-5")
    assert (party.street, party.number, party.complement) == ("Rua Augusta", "1508", "Loja 3")
    assert (party.delivery_street, party.delivery_number, party.delivery_complement) == ("Av. Brasil", "500",
                                                                                         "bloco B")


def test_a_consulted_record_sent_back_whole_is_accepted(omie, credentials, company):
    """An integration that reads a record, changes a field and sends it all back (answer-only
    tags included: info, vendedores, importado_api, tabelas_preco …) is not refused."""
    salesperson = SalespersonFactory(company=company)
    omie(credentials, "clientes", "IncluirCliente", full_client(salesperson.pk))
    omie(credentials, "produtos", "IncluirProduto", FULL_PRODUCT)
    client = omie(credentials, "clientes", "ConsultarCliente", {"codigo_cliente_integracao": "ERP-CLI-4471023"}).json()
    product = omie(credentials, "produtos", "ConsultarProduto", {"codigo": "ACAI-POLPA-1KG"}).json()

    client_change = omie(credentials, "clientes", "AlterarCliente", {**client, "contato": "Paulo Simões"})
    product_change = omie(credentials, "produtos", "AlterarProduto", {**product, "marca": "Açaí do Pará"})

    assert (client_change.status_code, product_change.status_code) == (200, 200), (client_change.json(),
                                                                                     product_change.json())
    assert Party.objects.get(company=company).contact_name == "Paulo Simões"
    assert Product.objects.get(company=company).brand == "Açaí do Pará"


def _listed_codes(omie, credentials, filters: dict) -> list[str]:
    body = omie(credentials, "clientes", "ListarClientes", {"pagina": 1, "clientesFiltro": filters}).json()
    return sorted(item["codigo_cliente_integracao"] for item in body.get("clientes_cadastro", []))


def test_clients_are_listed_by_their_registrations_contact_and_site(omie, credentials, company):
    for code, fields in (
        ("C-1", {"inscricao_estadual": "110.042.490.114", "optante_simples_nacional": "S", "contato": "Joana Araújo",
                 "homepage": "https://www.acaiecia.com.br", "inscricao_municipal": "4.123.456-7"}),
        ("C-2", {"inscricao_estadual": "ISENTO", "inscricao_suframa": "200123456", "contato": "Paulo Simões"}),
        ("C-3", {}),
    ):
        omie(credentials, "clientes", "IncluirCliente",
             {"codigo_cliente_integracao": code, "razao_social": f"Mercado {code}", **fields})

    assert _listed_codes(omie, credentials, {"inscricao_estadual": "110042490114"}) == ["C-1"]
    assert _listed_codes(omie, credentials, {"inscricao_estadual": "110.042.490.114"}) == ["C-1"]
    assert _listed_codes(omie, credentials, {"inscricao_estadual": "isento"}) == ["C-2"]
    assert _listed_codes(omie, credentials, {"inscricao_municipal": "41234567"}) == ["C-1"]
    assert _listed_codes(omie, credentials, {"inscricao_suframa": "200123456"}) == ["C-2"]
    assert _listed_codes(omie, credentials, {"optante_simples_nacional": "S"}) == ["C-1"]
    assert _listed_codes(omie, credentials, {"optante_simples_nacional": "N"}) == ["C-2", "C-3"]
    assert _listed_codes(omie, credentials, {"contato": "simões"}) == ["C-2"]
    assert _listed_codes(omie, credentials, {"homepage": "acaiecia"}) == ["C-1"]


def test_products_are_listed_by_bloqueado(omie, credentials, company):
    for code, blocked in (("P-1", "S"), ("P-2", "N")):
        omie(credentials, "produtos", "IncluirProduto", {
            "codigo_produto_integracao": code, "codigo": code, "descricao": f"Farinha de mandioca {code}",
            "unidade": "KG", "ncm": "11062000", "bloqueado": blocked})

    def listed(blocked: str) -> list[str]:
        body = omie(credentials, "produtos", "ListarProdutos", {"pagina": 1, "bloqueado": blocked}).json()
        return [item["codigo"] for item in body["produto_servico_cadastro"]]

    assert (listed("S"), listed("N")) == (["P-1"], ["P-2"])
