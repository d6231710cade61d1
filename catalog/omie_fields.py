"""Our model fields ↔ Omie's API names: the one place that maps the two.

Omie's public API (`/api/v1/geral/clientes/`, call `clientes_cadastro`, and
`/api/v1/geral/produtos/`, call `produto_servico_cadastro`) names fields in Portuguese.
Our models use English names; this module says which is which, so the API layer, the
import/export code, the pages and anyone reading a support ticket in Omie's words can
translate.

- PARTY_FIELDS / PRODUCT_FIELDS: our field → (Omie name, note). Nested Omie fields are
  written with a dot (`recomendacoes_fiscais.origem_mercadoria`); lists as `name[].key`.
  Every field of Omie's two structures that a record holds is here.
- PARTY_OTHER_TAGS / PRODUCT_OTHER_TAGS: the tags of Omie's structures that are not a
  field of ours (request options such as `pesquisar_cep`, what Omie computes and answers,
  deprecated tags), with what they do here. A write may send them; any tag in neither
  table is refused (api/translate.py).
- PARTY_GROUPS / PRODUCT_GROUPS: the fields in groups as the pages show them (pt-BR).
- `coverage(registry)`: one row per field with its group, label, Omie name and whether it
  is shared between companies or kept in each one, read from the registry descriptor's
  `shared_fields` (catalog/registries.py, the one list of what travels). The README's
  coverage table is generated from it (tests/catalog/test_omie_fields.py checks it).

Sources of Omie's schemas (names, nesting and types; lengths where Omie documents them),
cross-checked against each other:
- Omie's own generated PHP clients of the WSDLs `app.omie.com.br/api/v1/geral/clientes/?WSDL`
  and `.../geral/produtos/?WSDL` (ClientesCadastroJsonClient, ProdutosCadastroJsonClient,
  "@author omie"), as vendored in public repositories (e.g. equintino/pedidoVendas
  model/ClientesCadastroJsonClient.php);
- the field table of the Omie destination at docs.nekt.com/destinations/omie (types with
  lengths: razao_social String(60), inscricao_estadual String(20), contato String(100) …);
- typed TypeScript models of ConsultarProduto answers in public integrations (peso_liq,
  dias_garantia … as numbers);
- for the NF-e's specific groups (veículo, medicamento, combustível, armamento), the NF-e
  layout's field sizes, which Omie's fields feed.
Where our column is longer than Omie's (razão social 120), the column predates this map
and is kept.
"""

from __future__ import annotations

from dataclasses import dataclass

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
    "city_ibge": ("cidade_ibge", "código IBGE do município, 7 dígitos; viaja com o endereço"),
    "nif": ("nif", "NIF, só para cliente/fornecedor do exterior (estado EX)"),
    "foreign_document": ("documento_exterior", "documento no exterior, só para estrangeiros"),
    "phone_ddd": ("telefone1_ddd", ""),
    "phone_number": ("telefone1_numero", ""),
    "phone2_ddd": ("telefone2_ddd", "viaja com o telefone"),
    "phone2_number": ("telefone2_numero", "viaja com o telefone"),
    "fax_ddd": ("fax_ddd", "viaja com o telefone"),
    "fax_number": ("fax_numero", "viaja com o telefone"),
    "email": ("email", ""),
    "contact_name": ("contato", "nome da pessoa para contato"),
    "homepage": ("homepage", "site"),
    "state_registration": ("inscricao_estadual", "até 20 caracteres, como enviada (ex.: 110.042.490.114, ISENTO)"),
    "municipal_registration": ("inscricao_municipal", ""),
    "suframa_registration": ("inscricao_suframa", ""),
    "icms_taxpayer": ("contribuinte", "'S'/'N': contribuinte do ICMS, para a NF-e"),
    "simples_nacional": ("optante_simples_nacional", "'S'/'N'"),
    "rural_producer": ("produtor_rural", "'S'/'N'"),
    "activity_type": ("tipo_atividade", "código do tipo de atividade (ListarTipoAtiv)"),
    "cnae": ("cnae", "7 dígitos, com ou sem máscara (4751-2/01), como enviado"),
    "notes": ("observacao", "observações internas"),
    "detailed_notes": ("obs_detalhadas", "observações detalhadas"),
    "credit_limit": ("valor_limite_credito", "número, 2 casas decimais"),
    "block_billing": ("bloquear_faturamento", "'S'/'N'"),
    "blocked": ("bloqueado", "'S'/'N'; marcado como obsoleto no Omie, guardado como enviado"),
    "block_deletion": ("bloquear_exclusao", "'S'/'N'"),
    "send_attachments": ("enviar_anexos", "'S'/'N': anexos por e-mail além do link do portal"),
    "overdue_instruction": ("recomendacao_atraso", "código da instrução de protesto"),
    "installments": ("recomendacoes.numero_parcelas", "parcelas padrão das vendas"),
    "billing_email": ("recomendacoes.email_fatura", "e-mail para a NF-e e o boleto"),
    "generate_boletos": ("recomendacoes.gerar_boletos", "'S'/'N'"),
    "carrier_code": ("recomendacoes.codigo_transportadora", "número; 0 = nenhuma"),
    "subscriber_type": ("recomendacoes.tipo_assinante", "NF modelo 21 e 22"),
    "bank_code": ("dadosBancarios.codigo_banco", "até 3 dígitos"),
    "bank_branch": ("dadosBancarios.agencia", ""),
    "bank_account": ("dadosBancarios.conta_corrente", ""),
    "bank_holder_document": ("dadosBancarios.doc_titular", "CNPJ/CPF, mostrado com máscara"),
    "bank_holder_name": ("dadosBancarios.nome_titular", ""),
    "bank_transfer_default": ("dadosBancarios.transf_padrao", "'S'/'N'"),
    "pix_key": ("dadosBancarios.cChavePix", ""),
    "delivery_name": ("enderecoEntrega.entRazaoSocial", ""),
    "delivery_document": ("enderecoEntrega.entCnpjCpf", "CNPJ/CPF do recebedor, mostrado com máscara"),
    "delivery_street": ("enderecoEntrega.entEndereco", ""),
    "delivery_number": ("enderecoEntrega.entNumero", ""),
    "delivery_complement": ("enderecoEntrega.entComplemento", ""),
    "delivery_district": ("enderecoEntrega.entBairro", ""),
    "delivery_cep": ("enderecoEntrega.entCEP", "8 dígitos"),
    "delivery_state": ("enderecoEntrega.entEstado", "UF"),
    "delivery_city": ("enderecoEntrega.entCidade", ""),
    "delivery_phone": ("enderecoEntrega.entTelefone", "como enviado"),
    "delivery_state_registration": ("enderecoEntrega.entIE", "inscrição estadual do local de entrega"),
    "is_client": ("tags[].tag = 'Cliente'", "Omie marca cliente/fornecedor com tags"),
    "is_supplier": ("tags[].tag = 'Fornecedor'", ""),
    "tags": ("tags[].tag", "demais tags"),
    "characteristics": ("caracteristicas[].campo / caracteristicas[].conteudo", "nome → valor"),
    "salespeople": ("recomendacoes.codigo_vendedor", "Omie guarda um vendedor; aqui uma lista"),
    "attachments": ("imagens[].url_imagem", "imagens e anexos"),
    "active": ("inativo", "invertido: inativo = 'S' quando active é False"),
    "updated_at": ("info.dAlt / info.hAlt", "data e hora da última alteração"),
    "created_at": ("info.dInc / info.hInc", "data e hora da inclusão"),
}

PARTY_OTHER_TAGS: dict[str, str] = {
    "exterior": "calculado do estado (EX = 'S'); enviado, deve concordar com o estado",
    "pesquisar_cep": "aceito; não há base de CEPs aqui: os campos do endereço ficam como enviados",
    "separar_endereco": "'S' separa número e complemento escritos no endereço (\"Rua X, 10 - sala 2\")",
    "enderecoEntrega.entSepararEndereco": "o mesmo, para o endereço de entrega",
    "logradouro": "obsoleto no Omie, que o ignora; aceito e não guardado",
    "codigo_vendedor": "o mesmo que recomendacoes.codigo_vendedor (nível de cima, como integrações enviam)",
    "vendedores": "só resposta: todos os vendedores do cadastro (Omie guarda um)",
    "importado_api": "só resposta: 'S' quando o cadastro foi incluído pela API nesta empresa",
    "info.importado_api": "só resposta: o mesmo que importado_api",
    "info.dInc": "só resposta", "info.hInc": "só resposta", "info.uInc": "só resposta",
    "info.dAlt": "só resposta", "info.hAlt": "só resposta", "info.uAlt": "só resposta",
    "info.cImpAPI": "só resposta: o mesmo que importado_api",
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
    "cest": ("recomendacoes_fiscais.id_cest", "7 dígitos (NN.NNN.NN); também cest, obsoleto"),
    "family": ("codigo_familia / descricao_familia", "família pelo nome"),
    "suppliers": ("fornecedores[]", "clientes/fornecedores da mesma empresa"),
    "characteristics": ("caracteristicas[].nome_caracteristica / caracteristicas[].conteudo", "nome → valor"),
    "bom": ("estrutura[]", "componente + quantidade (a malha/estrutura do Omie)"),
    "attachments": ("imagens[].url_imagem", "imagens; anexos de arquivo não têm tag no Omie"),
    "active": ("inativo", "invertido: inativo = 'S' quando active é False"),
    "net_weight": ("peso_liq", "kg, número"),
    "gross_weight": ("peso_bruto", "kg, número"),
    "height": ("altura", "cm, número"),
    "width": ("largura", "cm, número"),
    "depth": ("profundidade", "cm, número"),
    "brand": ("marca", ""),
    "model_name": ("modelo", ""),
    "warranty_days": ("dias_garantia", "número inteiro"),
    "crossdocking_days": ("dias_crossdocking", "número inteiro"),
    "lead_time": ("lead_time", "dias, número inteiro"),
    "detailed_description": ("descr_detalhada", ""),
    "internal_notes": ("obs_internas", ""),
    "show_description_nfe": ("exibir_descricao_nfe", "'S'/'N'"),
    "show_description_order": ("exibir_descricao_pedido", "'S'/'N'"),
    "videos": ("videos[].url_video", "endereços dos vídeos"),
    "minimum_stock": ("estoque_minimo", "número; obsoleto no Omie, guardado como enviado"),
    "blocked": ("bloqueado", "'S'/'N'"),
    "block_deletion": ("bloquear_exclusao", "'S'/'N'"),
    "lot_controlled": ("produto_lote", "'S'/'N'"),
    "price_table_id": ("recomendacoes_fiscais.id_preco_tabelado", "número; 0 = nenhum"),
    "sold_in_pos": ("recomendacoes_fiscais.cupom_fiscal", "'S'/'N'"),
    "sold_in_marketplace": ("recomendacoes_fiscais.market_place", "'S'/'N'"),
    "relevant_scale": ("recomendacoes_fiscais.indicador_escala", "'S', 'N' ou vazio"),
    "manufacturer_cnpj": ("recomendacoes_fiscais.cnpj_fabricante", "CNPJ, mostrado com máscara"),
    "cfop": ("cfop", "4 dígitos, mostrado 5.102"),
    "icms_cst": ("cst_icms", ""),
    "icms_csosn": ("csosn_icms", ""),
    "icms_modality": ("modalidade_icms", ""),
    "icms_rate": ("aliquota_icms", "%, número"),
    "icms_base_reduction": ("red_base_icms", "%, número"),
    "icms_relief_reason": ("motivo_deson_icms", ""),
    "icms_fcp_rate": ("per_icms_fcp", "%, número"),
    "tax_benefit_code": ("codigo_beneficio", "código de benefício fiscal (cBenef)"),
    "pis_cst": ("cst_pis", ""),
    "pis_rate": ("aliquota_pis", "%, número"),
    "pis_base_reduction": ("red_base_pis", "%, número"),
    "cofins_cst": ("cst_cofins", ""),
    "cofins_rate": ("aliquota_cofins", "%, número"),
    "cofins_base_reduction": ("red_base_cofins", "%, número"),
    "ibs_cbs_cst": ("cst_ibs_cbs", ""),
    "ibs_cbs_class": ("class_trib", ""),
    "ibs_state_rate": ("aliquota_ibs_uf", "%, número"),
    "ibs_city_rate": ("aliquota_ibs_mun", "%, número"),
    "ibs_state_reduction": ("perc_reducao_ibs_uf", "%, número"),
    "ibs_city_reduction": ("perc_reducao_ibs_mun", "%, número"),
    "cbs_rate": ("aliquota_cbs", "%, número"),
    "cbs_reduction": ("perc_reducao_cbs", "%, número"),
    "tax_rule_origin": ("origem_imposto", "'NCM' ou 'PRD'"),
    "ibpt_rate": ("aliquota_ibpt", "%, número; obsoleto no Omie, guardado como enviado"),
    "ibpt_federal": ("dadosIbpt.aliqFederal", "%, número"),
    "ibpt_state": ("dadosIbpt.aliqEstadual", "%, número"),
    "ibpt_city": ("dadosIbpt.aliqMunicipal", "%, número"),
    "ibpt_source": ("dadosIbpt.fonte", ""),
    "ibpt_key": ("dadosIbpt.chave", ""),
    "ibpt_version": ("dadosIbpt.versao", ""),
    "ibpt_valid_from": ("dadosIbpt.valido_de", "data dd/mm/aaaa"),
    "ibpt_valid_until": ("dadosIbpt.valido_ate", "data dd/mm/aaaa"),
    "anvisa_code": ("medicamento.cod_anvisa", ""),
    "max_consumer_price": ("medicamento.preco_max_cons", "número"),
    "anp_code": ("combustivel.codigo_anp", ""),
    "anp_description": ("combustivel.descr_anp", ""),
    "glp_percent": ("combustivel.percent_glp", "%, número"),
    "natural_gas_national_percent": ("combustivel.percent_gas_nac", "%, número"),
    "natural_gas_imported_percent": ("combustivel.percent_gas_imp", "%, número"),
    "fuel_starting_value": ("combustivel.valor_part", "número"),
    "vehicle_manufacture_year": ("veiculo.ano_fabr", ""),
    "vehicle_model_year": ("veiculo.ano_modelo", ""),
    "vehicle_chassis": ("veiculo.chassi", ""),
    "vehicle_displacement": ("veiculo.cilin", ""),
    "vehicle_max_traction": ("veiculo.cmt", ""),
    "vehicle_condition": ("veiculo.cond_veic", ""),
    "vehicle_color_code": ("veiculo.cod_cor_veic", ""),
    "vehicle_denatran_color": ("veiculo.cod_cor_den", ""),
    "vehicle_color": ("veiculo.descr_cor", ""),
    "vehicle_axle_distance": ("veiculo.dist_eixo", ""),
    "vehicle_species": ("veiculo.especie_veic", ""),
    "vehicle_max_capacity": ("veiculo.lota_max", ""),
    "vehicle_model_code": ("veiculo.cod_modelo", ""),
    "vehicle_engine": ("veiculo.motor", ""),
    "vehicle_gross_weight": ("veiculo.peso_bruto_veic", ""),
    "vehicle_net_weight": ("veiculo.peso_liquido_veic", ""),
    "vehicle_power": ("veiculo.potencia", ""),
    "vehicle_serial": ("veiculo.serie_veic", ""),
    "vehicle_fuel_type": ("veiculo.tipo_comb", ""),
    "vehicle_operation": ("veiculo.tipo_oper", ""),
    "vehicle_paint": ("veiculo.tipo_pintura", ""),
    "vehicle_restriction": ("veiculo.tipo_restricao", ""),
    "vehicle_type": ("veiculo.tipo_veic", ""),
    "vehicle_vin_condition": ("veiculo.cond_vin", ""),
    "weapon_barrel_serial": ("armamento.serie_cano", ""),
    "weapon_description": ("armamento.descr_arma", ""),
    "weapon_serial": ("armamento.serie_arma", ""),
    "weapon_type": ("armamento.tipo_arma", ""),
    "updated_at": ("info.dAlt / info.hAlt", ""),
    "created_at": ("info.dInc / info.hInc", ""),
}

PRODUCT_OTHER_TAGS: dict[str, str] = {
    "cest": "obsoleto no Omie: o mesmo que recomendacoes_fiscais.id_cest",
    "codigo_familia": "a família pelo id (família desta empresa)",
    "codInt_familia": "só resposta: a família não tem código de integração aqui",
    "descricao_familia": "a família pelo nome",
    "quantidade_estoque": "obsoleto no Omie; só resposta: o saldo de estoque desta empresa",
    "tabelas_preco": "só resposta: os preços do produto nas tabelas de preço desta empresa",
    "componentes_kit": "aceito vazio (kits não existem aqui; a composição de um produto é a estrutura)",
    "produto_variacao": "só resposta: 'N' (variações de produto não existem aqui)",
    "variacao": "só resposta: 'N'",
    "id_produto_variacao": "só resposta: 0",
    "importado_api": "só resposta: 'S' quando o produto foi incluído pela API nesta empresa",
    "info.importado_api": "só resposta: o mesmo que importado_api",
    "info.dInc": "só resposta", "info.hInc": "só resposta", "info.uInc": "só resposta",
    "info.dAlt": "só resposta", "info.hAlt": "só resposta", "info.uAlt": "só resposta",
    "info.cImpAPI": "só resposta: o mesmo que importado_api",
}


PARTY_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Identificação", ("code", "cnpj_cpf", "person_type", "legal_name", "trade_name", "is_client", "is_supplier",
                       "tags", "active")),
    ("Endereço", ("street", "number", "complement", "district", "city", "state", "cep", "country_code", "city_ibge",
                  "nif", "foreign_document")),
    ("Contato", ("phone_ddd", "phone_number", "phone2_ddd", "phone2_number", "fax_ddd", "fax_number", "email",
                 "contact_name", "homepage", "notes", "detailed_notes")),
    ("Inscrições e tributação", ("state_registration", "municipal_registration", "suframa_registration",
                                 "icms_taxpayer", "simples_nacional", "rural_producer", "activity_type", "cnae")),
    ("Faturamento e crédito", ("credit_limit", "block_billing", "blocked", "block_deletion", "send_attachments",
                               "overdue_instruction")),
    ("Recomendações", ("salespeople", "installments", "billing_email", "generate_boletos", "carrier_code",
                       "subscriber_type")),
    ("Dados bancários", ("bank_code", "bank_branch", "bank_account", "bank_holder_document", "bank_holder_name",
                         "bank_transfer_default", "pix_key")),
    ("Endereço de entrega", ("delivery_name", "delivery_document", "delivery_street", "delivery_number",
                             "delivery_complement", "delivery_district", "delivery_cep", "delivery_state",
                             "delivery_city", "delivery_phone", "delivery_state_registration")),
    ("Características e anexos", ("characteristics", "attachments")),
)

PRODUCT_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Identificação", ("code", "integration_code", "description", "unit", "ncm", "ean", "price", "item_type",
                       "family", "active")),
    ("Informações adicionais", ("brand", "model_name", "warranty_days", "crossdocking_days", "lead_time",
                                "detailed_description", "internal_notes", "show_description_nfe",
                                "show_description_order", "videos")),
    ("Dimensões e peso", ("net_weight", "gross_weight", "height", "width", "depth")),
    ("Estoque e controle", ("minimum_stock", "blocked", "block_deletion", "lot_controlled")),
    ("Recomendações fiscais", ("origin", "cest", "price_table_id", "sold_in_pos", "sold_in_marketplace",
                               "relevant_scale", "manufacturer_cnpj")),
    ("Tributação", ("cfop", "icms_cst", "icms_csosn", "icms_modality", "icms_rate", "icms_base_reduction",
                    "icms_relief_reason", "icms_fcp_rate", "tax_benefit_code", "pis_cst", "pis_rate",
                    "pis_base_reduction", "cofins_cst", "cofins_rate", "cofins_base_reduction", "ibs_cbs_cst",
                    "ibs_cbs_class", "ibs_state_rate", "ibs_city_rate", "ibs_state_reduction",
                    "ibs_city_reduction", "cbs_rate", "cbs_reduction", "tax_rule_origin", "ibpt_rate")),
    ("IBPT", ("ibpt_federal", "ibpt_state", "ibpt_city", "ibpt_source", "ibpt_key", "ibpt_version",
              "ibpt_valid_from", "ibpt_valid_until")),
    ("Medicamento", ("anvisa_code", "max_consumer_price")),
    ("Combustível", ("anp_code", "anp_description", "glp_percent", "natural_gas_national_percent",
                     "natural_gas_imported_percent", "fuel_starting_value")),
    ("Veículo", ("vehicle_manufacture_year", "vehicle_model_year", "vehicle_chassis", "vehicle_displacement",
                 "vehicle_max_traction", "vehicle_condition", "vehicle_color_code", "vehicle_denatran_color",
                 "vehicle_color", "vehicle_axle_distance", "vehicle_species", "vehicle_max_capacity",
                 "vehicle_model_code", "vehicle_engine", "vehicle_gross_weight", "vehicle_net_weight",
                 "vehicle_power", "vehicle_serial", "vehicle_fuel_type", "vehicle_operation", "vehicle_paint",
                 "vehicle_restriction", "vehicle_type", "vehicle_vin_condition")),
    ("Armamento", ("weapon_barrel_serial", "weapon_description", "weapon_serial", "weapon_type")),
    ("Fornecedores, características e estrutura", ("suppliers", "characteristics", "bom", "attachments")),
)

_TABLES = {
    "party": (PARTY_FIELDS, PARTY_OTHER_TAGS, PARTY_GROUPS),
    "product": (PRODUCT_FIELDS, PRODUCT_OTHER_TAGS, PRODUCT_GROUPS),
}

# Fields that are not the record's own data (ids and timestamps the system sets).
_SYSTEM_FIELDS = ("id", "created_at", "updated_at")


@dataclass(frozen=True)
class FieldCoverage:
    field: str  # ours
    omie: str  # Omie's name (dotted when nested)
    note: str
    group: str  # pt-BR, as the pages group it
    label: str  # pt-BR, the model's verbose name
    shared: bool  # travels between the companies of a share

    @property
    def sharing(self) -> str:
        return "compartilhado" if self.shared else "fica em cada empresa"


def group_of(registry: str, field: str) -> str:
    for group, fields in _TABLES[registry][2]:
        if field in fields:
            return group
    return ""


def coverage(registry: str) -> list[FieldCoverage]:
    """Every field of the registry in group order: what the README's table and the pages
    say about it. Shared or not is the registry descriptor's answer, read on each call."""
    from catalog.registries import describe  # registries names this module by path

    descriptor = describe(registry)
    fields, _, groups = _TABLES[registry]
    labels = {
        "bom": "estrutura", "attachments": "imagens e anexos", "suppliers": "fornecedores",
        "salespeople": "vendedores",
    }
    rows = []
    for group, names in groups:
        for name in names:
            try:
                label = str(descriptor.model._meta.get_field(name).verbose_name)
            except Exception:  # a relation without a model field of its own (bom, attachments)
                label = labels.get(name, name)
            omie, note = fields[name]
            rows.append(FieldCoverage(name, omie, note, group, label, name in descriptor.shared_fields))
    return rows


def ungrouped(registry: str) -> set[str]:
    """Fields of the map missing from every group (tests keep this empty)."""
    fields, _, groups = _TABLES[registry]
    grouped = {name for _, names in groups for name in names}
    return set(fields) - grouped - set(_SYSTEM_FIELDS)


_TITLES = {"party": "Clientes e fornecedores (`clientes_cadastro`)", "product": "Produtos (`produto_servico_cadastro`)"}


def readme_table(registry: str) -> str:
    """The README's coverage table of one registry (between its `omie-coverage` markers):
    every field with its Omie name, our field, its group and whether it travels, then
    the other tags Omie's structure has. Regenerate with
    `manage.py shell -c "from catalog.omie_fields import readme_table; print(readme_table('party'))"`."""
    _, others, _ = _TABLES[registry]
    lines = [
        f"**{_TITLES[registry]}**", "",
        "| tag do Omie | campo aqui | grupo | compartilhamento | observação |",
        "|---|---|---|---|---|",
    ]
    for row in coverage(registry):
        omie = " / ".join(f"`{name}`" for name in row.omie.split(" / "))
        lines.append(f"| {omie} | `{row.field}` ({row.label}) | {row.group} | {row.sharing} | {row.note} |")
    lines += ["", "Outras tags da estrutura, aceitas nas gravações:", ""]
    lines += [f"- `{tag}`: {note}" for tag, note in others.items()]
    return "\n".join(lines)
