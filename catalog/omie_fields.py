"""Our model fields ↔ Omie's API names: the one place that maps the two.

Omie's public API (`/api/v1/geral/clientes/`, call `clientes_cadastro`, and
`/api/v1/geral/produtos/`, call `produto_servico_cadastro`) names fields in Portuguese.
Our models use English names; this module says which is which, so the API layer, the
import/export code and anyone reading a support ticket in Omie's words can translate.

Each entry: our field → (Omie name, note). Nested Omie fields are written with a dot
(`recomendacoes_fiscais.origem_mercadoria`); lists as `name[].key`.
"""

from __future__ import annotations

PARTY_FIELDS: dict[str, tuple[str, str]] = {
    "id": ("codigo_cliente_omie", "id interno, numérico"),
    "code": ("codigo_cliente_integracao", "código do cadastro no sistema integrado"),
    "cnpj_cpf": ("cnpj_cpf", "guardado sem máscara; mostrado com máscara"),
    "person_type": ("pessoa_fisica", "'S' quando CPF (F), 'N' quando CNPJ (J); sem documento, como enviado"),
    "legal_name": ("razao_social", "razão social / nome completo"),
    "trade_name": ("nome_fantasia", "nome fantasia / nome abreviado"),
    "street": ("endereco", ""),
    "number": ("endereco_numero", ""),
    "complement": ("complemento", ""),
    "district": ("bairro", ""),
    "city": ("cidade", ""),
    "state": ("estado", "UF, sigla de 2 letras; EX = exterior (Omie: exterior = 'S')"),
    "cep": ("cep", "8 dígitos"),
    "country_code": ("codigo_pais", "código do país no Banco Central, 4 dígitos; 1058 = Brasil"),
    "nif": ("nif", "NIF, só para cliente/fornecedor do exterior (estado EX)"),
    "foreign_document": ("documento_exterior", "documento no exterior, só para estrangeiros"),
    "phone_ddd": ("telefone1_ddd", ""),
    "phone_number": ("telefone1_numero", ""),
    "email": ("email", ""),
    "is_client": ("tags[].tag = 'Cliente'", "Omie marca cliente/fornecedor com tags"),
    "is_supplier": ("tags[].tag = 'Fornecedor'", ""),
    "tags": ("tags[].tag", "demais tags"),
    "characteristics": ("caracteristicas[].campo / caracteristicas[].conteudo", "nome → valor"),
    "salespeople": ("codigo_vendedor", "Omie guarda um vendedor; aqui uma lista"),
    "active": ("inativo", "invertido: inativo = 'S' quando active é False"),
    "updated_at": ("info.dAlt / info.hAlt", "data e hora da última alteração"),
    "created_at": ("info.dInc / info.hInc", "data e hora da inclusão"),
}

PRODUCT_FIELDS: dict[str, tuple[str, str]] = {
    "id": ("codigo_produto", "id interno, numérico"),
    "integration_code": ("codigo_produto_integracao", "código do produto no sistema integrado"),
    "code": ("codigo", "código do produto, único na empresa"),
    "description": ("descricao", ""),
    "unit": ("unidade", "ex.: UN, KG, CX"),
    "ncm": ("ncm", "8 dígitos; Omie aceita com pontos (8471.30.12)"),
    "ean": ("ean", "GTIN de 8, 12, 13 ou 14 dígitos"),
    "price": ("valor_unitario", "preço unitário de venda"),
    "origin": ("recomendacoes_fiscais.origem_mercadoria", "0 a 8 (origem da mercadoria, ICMS)"),
    "item_type": ("tipoItem", "tipo do item do SPED: 00 a 10, 99"),
    "cest": ("recomendacoes_fiscais.id_cest", "7 dígitos (NN.NNN.NN)"),
    "family": ("codigo_familia / descricao_familia", "família pelo nome"),
    "suppliers": ("fornecedores[]", "clientes/fornecedores da mesma empresa"),
    "characteristics": ("caracteristicas[].nome_caracteristica / conteudo", "nome → valor"),
    "bom": ("estrutura (Omie: malha/estrutura)", "componente + quantidade"),
    "attachments": ("imagens[].url_imagem / anexos", "imagens e anexos"),
    "active": ("inativo", "invertido: inativo = 'S' quando active é False"),
    "updated_at": ("info.dAlt / info.hAlt", ""),
    "created_at": ("info.dInc / info.hInc", ""),
}
