"""List requests as integrations send them: every tag of Omie's request structures is
accepted, the sales channels omieshare lacks answer as Omie does for a company without them,
pages above 500 are capped, numbers may come as text, and a refusal never reads as Omie's
"wait and call again"."""

from __future__ import annotations

import pytest

from catalog import services
from omieshare.lib.brazil import cnpj_with_check_digits
from tests.factories import PartyFactory, ProductFactory, ProductFamilyFactory

pytestmark = pytest.mark.django_db

# The ListarProdutos payload public integrations send most (several note Omie lists nothing
# without filtrar_apenas_omiepdv "N").
COMMON_PRODUCTS_PAYLOAD = {"pagina": 1, "registros_por_pagina": 50, "apenas_importado_api": "N",
                           "filtrar_apenas_omiepdv": "N"}

# What integrations match in a fault's text to tell Omie's rate limiting: "API bloqueada por
# consumo indevido. Tente novamente em N segundos." and "Consumo redundante detectado. Aguarde N
# segundos" (ours says the same, api/views.py). A client that found one of these in the 5001
# refusing `bloqueado` retried it forever.
RATE_LIMIT_WORDS = ("bloquead", "consumo", "redundan", "aguarde", "segundos", "tente novamente")


def _bulk_products(company, count: int, **fields) -> list:
    return services.product_bulk_create(company=company, rows=[
        {"code": f"PRD-{n:05d}", "description": f"Parafuso sextavado M{n % 30 + 3} aço inox nº {n}",
         "ncm": "73181500", "price": "12.90", **fields}
        for n in range(count)
    ], source="test")


def _list_to_the_end(omie, credentials, call: str, param: dict, list_name: str) -> tuple[list, list]:
    """Every page from `param`'s until Omie's 5113, as integrations page: (records, answers)."""
    records, answers = [], []
    page = int(param.get("pagina", 1))
    while True:
        response = omie(credentials, "produtos", call, {**param, "pagina": page})
        if response.status_code != 200:
            assert response.json()["faultcode"] == "SOAP-ENV:Client-5113", response.content
            return records, answers
        body = response.json()
        answers.append(body)
        records += body[list_name]
        page += 1


def _fault(response, code: int) -> str:
    assert response.status_code == 500, response.content
    assert response.json()["faultcode"] == f"SOAP-ENV:Client-{code}"
    return response.json()["faultstring"]


@pytest.mark.parametrize(("call", "list_name"), [("ListarProdutos", "produto_servico_cadastro"),
                                                 ("ListarProdutosResumido", "produto_servico_resumido")])
def test_the_most_common_listarprodutos_payload_lists_every_product(omie, credentials, company, call, list_name):
    created = _bulk_products(company, 1_234)

    records, answers = _list_to_the_end(omie, credentials, call, COMMON_PRODUCTS_PAYLOAD, list_name)

    assert sorted(r["codigo_produto"] for r in records) == sorted(p.pk for p in created)
    assert min(r["codigo_produto"] for r in records) >= 1_000_000
    assert {(a["total_de_registros"], a["total_de_paginas"]) for a in answers} == {(1_234, 25)}
    assert [a["registros"] for a in answers] == [50] * 24 + [34]


@pytest.mark.parametrize("tag", ["filtrar_apenas_omiepdv", "filtrar_apenas_pdv", "filtrar_apenas_marketplace"])
def test_a_sales_channel_we_lack_answers_as_omie_does_for_a_company_without_it(omie, credentials, company, tag):
    ProductFactory(company=company, code="CANETA-AZUL", description="Caneta esferográfica azul")
    ProductFactory(company=company, code="LÁPIS-HB", description="Lápis grafite HB")

    only_that_channel = omie(credentials, "produtos", "ListarProdutos", {"pagina": 1, tag: "S"})
    every_product = omie(credentials, "produtos", "ListarProdutosResumido", {"pagina": 1, tag: "N"})
    not_a_flag = omie(credentials, "produtos", "ListarProdutos", {tag: "talvez"})

    # No product is set up for Omie's PDV or a marketplace here: Omie's empty list.
    assert _fault(only_that_channel, 5113) == "ERROR: Não existem registros para a página [1]!"
    assert [p["codigo"] for p in every_product.json()["produto_servico_resumido"]] == ["CANETA-AZUL", "LÁPIS-HB"]
    assert tag in _fault(not_a_flag, 105)


def test_a_page_above_500_is_answered_with_500_records(omie, credentials, company):
    created = _bulk_products(company, 1_234)

    records, answers = _list_to_the_end(omie, credentials, "ListarProdutosResumido",
                                        {"pagina": 1, "registros_por_pagina": 1_000}, "produto_servico_resumido")
    as_text = omie(credentials, "produtos", "ListarProdutosResumido", {"registros_por_pagina": "10000"}).json()

    # As Omie: the page is capped without a fault, and the page count follows the cap.
    assert [a["registros"] for a in answers] == [500, 500, 234]
    assert {a["total_de_paginas"] for a in answers} == {3}
    assert sorted(r["codigo_produto"] for r in records) == sorted(p.pk for p in created)
    assert (as_text["registros"], as_text["total_de_paginas"]) == (500, 3)


def test_numbers_may_come_as_text(omie, credentials, company):
    family = ProductFamilyFactory(company=company, name="Ferragens")
    products = [ProductFactory(company=company, code=f"F{n}", family=family.pk) for n in range(3)]
    ProductFactory(company=company, code="OUTRA")
    party = PartyFactory(company=company, code="CLI-1")
    PartyFactory(company=company, code="CLI-2")

    def codes(param):
        body = omie(credentials, "produtos", "ListarProdutosResumido", param).json()
        return [p["codigo"] for p in body["produto_servico_resumido"]]

    def clients(param):
        body = omie(credentials, "clientes", "ListarClientesResumido", param).json()
        return [c["codigo_cliente_integracao"] for c in body["clientes_cadastro_resumido"]]

    assert codes({"pagina": "2", "registros_por_pagina": "2"}) == ["F2", "OUTRA"]
    assert codes({"filtrar_apenas_familia": str(family.pk)}) == ["F0", "F1", "F2"]
    assert codes({"produtosPorCodigo": [{"codigo_produto": str(products[1].pk)}]}) == ["F1"]
    assert codes({"produtosFiltro": {"codigo_produto": str(products[2].pk)}}) == ["F2"]
    assert clients({"clientesFiltro": {"codigo_cliente_omie": str(party.pk)}}) == ["CLI-1"]
    assert clients({"clientesPorCodigo": [{"codigo_cliente_omie": str(party.pk)}]}) == ["CLI-1"]
    assert clients({"clientesFiltro": {"codigo_cliente_omie": "0"}}) == ["CLI-1", "CLI-2"]  # 0: not sent


@pytest.mark.parametrize("spelling", ["ordem_descrescente", "ordem_decrescente"])
def test_both_spellings_of_descending_order_list_backwards(omie, credentials, company, spelling):
    products = _bulk_products(company, 120)
    services.party_bulk_create(company=company, rows=[
        {"code": f"CLI-{n:03d}", "legal_name": f"Comércio São João {n:03d} Ltda",
         "cnpj_cpf": cnpj_with_check_digits(f"{45_000_000 + n:08d}0001")}
        for n in range(120)
    ], source="test")

    backwards = omie(credentials, "produtos", "ListarProdutosResumido",
                     {"registros_por_pagina": 100, spelling: "S"}).json()
    forwards = omie(credentials, "produtos", "ListarProdutosResumido",
                    {"registros_por_pagina": 100, spelling: "N"}).json()
    clients = omie(credentials, "clientes", "ListarClientesResumido",
                   {"ordenar_por": "RAZAO_SOCIAL", spelling: "S", "registros_por_pagina": 3}).json()

    ids = sorted(p.pk for p in products)
    assert [p["codigo_produto"] for p in backwards["produto_servico_resumido"]] == ids[::-1][:100]
    assert [p["codigo_produto"] for p in forwards["produto_servico_resumido"]] == ids[:100]
    assert [c["razao_social"] for c in clients["clientes_cadastro_resumido"]] == [
        "Comércio São João 119 Ltda", "Comércio São João 118 Ltda", "Comércio São João 117 Ltda"
    ]


# Every tag of Omie's produto_servico_list_request (its generated PHP client), with the values
# integrations send when they mean "no restriction".
EVERY_PRODUCT_LIST_TAG = {
    "pagina": 1, "registros_por_pagina": 50, "apenas_importado_api": "N", "ordenar_por": "CODIGO",
    "ordem_decrescente": "N", "filtrar_por_data_de": "01/01/2000", "filtrar_por_hora_de": "00:00:00",
    "filtrar_por_data_ate": "31/12/9999", "filtrar_por_hora_ate": "23:59:59", "filtrar_apenas_inclusao": "N",
    "filtrar_apenas_alteracao": "N", "filtrar_apenas_omiepdv": "N", "filtrar_apenas_familia": "",
    "filtrar_apenas_tipo": "", "filtrar_apenas_descricao": "", "filtrar_apenas_marketplace": "N",
    "filtrar_apenas_pdv": "N", "exibir_caracteristicas": "S", "exibir_tabelas_preco": "N", "caracteristicas": [],
    "produtosPorCodigo": [], "inativo": "N", "ncm": "", "ean": "", "ordem_descrescente": "N", "exibir_obs": "S",
    "exibir_kit": "S", "exibir_info_variacoes": "N",
}
# clientes_list_request and its clientesFiltro (Omie's generated PHP client and the typed
# omie-sdk agree).
EVERY_CLIENT_LIST_TAG = {
    "pagina": 1, "registros_por_pagina": 50, "apenas_importado_api": "N", "ordenar_por": "CODIGO",
    "ordem_decrescente": "N", "filtrar_por_data_de": "01/01/2000", "filtrar_por_data_ate": "31/12/9999",
    "filtrar_por_hora_de": "00:00:00", "filtrar_por_hora_ate": "23:59:59", "filtrar_apenas_inclusao": "N",
    "filtrar_apenas_alteracao": "N", "clientesPorCodigo": [], "exibir_caracteristicas": "S", "exibir_obs": "S",
    "ordem_descrescente": "N",
    "clientesFiltro": {"codigo_cliente_omie": 0, "codigo_cliente_integracao": "", "cnpj_cpf": "", "razao_social": "",
                       "nome_fantasia": "", "endereco": "", "bairro": "", "cidade": "", "estado": "", "cep": "",
                       "email": "", "pessoa_fisica": "", "inativo": "N", "tags": [], "contato": "",
                       "inscricao_estadual": "", "inscricao_municipal": "", "inscricao_suframa": "",
                       "optante_simples_nacional": "", "homepage": ""},
}


def test_every_tag_of_omies_list_requests_is_accepted(omie, credentials, company):
    ProductFactory(company=company, code="SERROTE-22")
    PartyFactory(company=company, code="FORN-0042", legal_name="Ferragens Paraná Ltda")

    products = omie(credentials, "produtos", "ListarProdutos", EVERY_PRODUCT_LIST_TAG)
    clients = omie(credentials, "clientes", "ListarClientes", EVERY_CLIENT_LIST_TAG)

    assert [p["codigo"] for p in products.json()["produto_servico_cadastro"]] == ["SERROTE-22"]
    assert [c["codigo_cliente_integracao"] for c in clients.json()["clientes_cadastro"]] == ["FORN-0042"]


@pytest.mark.parametrize(
    ("endpoint", "call", "param", "tag", "type_name"),
    [
        # Public code sends the SKU at the top level; Omie's structure has it in produtosPorCodigo.
        ("produtos", "ListarProdutos", {"filtrar_apenas_omiepdv": "N", "codigo": "SKU-1"}, "CODIGO",
         "produto_servico_list_request"),
        ("produtos", "ListarProdutosResumido", {"caracteristicas": [{"cNomeCaract": "Cor", "cor": "Azul"}]},
         "COR", "caracteristicas"),
        ("clientes", "ListarClientes", {"clientesFiltro": {"tags": [{"tag": "Fornecedor", "nCodTag": 7}]}},
         "NCODTAG", "tags"),
        ("clientes", "ListarClientesResumido", {"clientesFiltro": {"telefone1_numero": "99999-8888"}},
         "TELEFONE1_NUMERO", "clientesFiltro"),
    ],
)
def test_a_tag_outside_omies_structures_is_still_refused_by_name(omie, credentials, company, endpoint, call, param,
                                                                  tag, type_name):
    ProductFactory(company=company)
    PartyFactory(company=company)

    message = _fault(omie(credentials, endpoint, call, param), 5001)

    assert message == f"ERROR: Tag [{tag}] não faz parte da estrutura do tipo complexo [{type_name}]!"
    assert not any(word in message.lower() for word in RATE_LIMIT_WORDS)


def test_the_refusal_of_an_unknown_tag_never_reads_as_rate_limiting(omie, credentials, company):
    """Around the tag's name, Omie's 5001 sentence holds none of the words integrations take
    for rate limiting, and it is an HTTP 500, not the 429 of our "wait and call again"."""
    refusal = omie(credentials, "produtos", "ListarProdutos", {"filtrar_apenas_omiepdv": "N", "x": 1})

    sentence = _fault(refusal, 5001).replace("[X]", "")

    assert refusal.status_code == 500 and "Retry-After" not in refusal
    assert [word for word in RATE_LIMIT_WORDS if word in sentence.lower()] == []


def test_tag_names_are_matched_whatever_their_case_as_omie_matches_them(omie, credentials, company):
    for code, description in (("CHAVE-FENDA-01", "Chave de fenda 1/8\" × 4\""),
                              ("CHAVE-FENDA-02", "Chave de fenda 3/16\" × 6\""),
                              ("ALICATE-03", "Alicate universal 8\"")):
        ProductFactory(company=company, code=code, description=description)
    PartyFactory(company=company, code="FORN-SERTÃO", legal_name="Distribuidora Sertão Ltda", is_supplier=True)
    PartyFactory(company=company, code="CLI-0001", legal_name="Padaria Pão de Açúcar")

    products = omie(credentials, "produtos", "ListarProdutos", {
        "PAGINA": 1, "Registros_Por_Pagina": "1", "FILTRAR_APENAS_OMIEPDV": "N", "Ordem_Descrescente": "S",
        "ProdutosFiltro": {"DESCRICAO": ""}, "FILTRAR_APENAS_DESCRICAO": "CHAVE%",
    }).json()
    clients = omie(credentials, "clientes", "ListarClientes", {
        "pagina": 1, "REGISTROS_POR_PAGINA": 50, "CLIENTESFILTRO": {"TAGS": [{"TAG": "fornecedor"}]},
    }).json()

    assert (products["total_de_registros"], products["registros"], products["total_de_paginas"]) == (2, 1, 2)
    assert [p["codigo"] for p in products["produto_servico_cadastro"]] == ["CHAVE-FENDA-02"]
    assert [c["codigo_cliente_integracao"] for c in clients["clientes_cadastro"]] == ["FORN-SERTÃO"]
