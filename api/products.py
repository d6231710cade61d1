"""produto_servico_cadastro: Omie's calls for products (`/api/v1/geral/produtos/`)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import CharField, Exists, OuterRef, Prefetch, Q, Value

from api import lote, references
from api import services as api_services
from api.faults import DUPLICATE, INVALID_VALUE, MISSING_FIELD, NOT_FOUND, ApiFault
from api.listing import filter_by_date_window, known_keys, paginate, text_pattern_filter
from api.models import ApiImport
from api.omie_schema import canonical_param
from api.selectors import spellings_of
from api.translate import (
    as_sent,
    flag,
    key_text,
    list_of_dicts,
    product_data_from_omie,
    product_to_omie,
    product_to_omie_summary,
    whole_number,
)
from catalog import services
from catalog.models import (
    Attachment,
    BillOfMaterialsItem,
    Party,
    PriceTableItem,
    Product,
    ProductFamily,
    ean_gtin14,
)
from catalog.selectors import indexed_product_text
from companies.models import Company
from omieshare.lib.brazil import gtin14, strip_mask
from omieshare.lib.json_arrays import PairsHaveName, PairsHavePair
from omieshare.lib.text import is_ascii_digits

SOURCE = "api"


def _required(param: dict[str, Any], *names: str) -> None:
    for name in names:
        if str(param.get(name) or "").strip() == "":
            raise ApiFault(MISSING_FIELD, f"Preenchimento obrigatório do campo [{name}] não informado!")


def _int(value: Any, name: str) -> int:
    try:
        return whole_number(value)
    except ValueError:
        raise ApiFault(INVALID_VALUE, f"{name} inválido: [{value}].") from None


def _given(value: Any) -> bool:
    return value not in (None, "", 0, "0")


def _by_integration_code(company: Company, integration: Any) -> Product | None:
    """The product with that integration code: only its id and that code, which is all the
    calls read from it (the services read the rest under their lock), rather than the whole
    wide row to fetch and build on every Incluir/Upsert."""
    code = key_text(integration, "codigo_produto_integracao")
    return Product.objects.filter(company=company, integration_code=code).only("integration_code").first()


def _find(company: Company, param: dict[str, Any]) -> tuple[Product | None, str]:
    """By codigo_produto, codigo_produto_integracao or codigo, in that order."""
    products = Product.objects.filter(company=company)
    if _given(param.get("codigo_produto")):
        key = param["codigo_produto"]
        return products.filter(pk=_int(key, "codigo_produto")).first(), str(key)
    integration = key_text(param.get("codigo_produto_integracao"), "codigo_produto_integracao")
    if integration:
        return _by_integration_code(company, integration), integration
    code = key_text(param.get("codigo"), "codigo")
    if code:
        return products.filter(code=code.upper()).first(), code
    raise ApiFault(MISSING_FIELD, "Informe o codigo_produto, o codigo_produto_integracao ou o codigo do produto.")


def _get(company: Company, param: dict[str, Any]) -> Product:
    product, key = _find(company, param)
    if product is None:
        raise ApiFault(NOT_FOUND, f"Produto não cadastrado para o Código [{key}]!")
    return product


def _family(company: Company, param: dict[str, Any]) -> dict[str, Any]:
    """codigo_familia (our family id) or descricao_familia (by name, created if missing)."""
    if _given(param.get("codigo_familia")):
        family_id = _int(param["codigo_familia"], "codigo_familia")
        if not ProductFamily.objects.filter(company=company, pk=family_id).exists():
            raise ApiFault(NOT_FOUND, f"Família de produto não cadastrada para o Código [{family_id}]!")
        return {"family": family_id}
    name = str(param.get("descricao_familia") or "").strip()
    if name:
        family = ProductFamily.objects.filter(company=company, name__iexact=name).first()
        if family is None:
            try:
                family = services.family_create(company=company, name=name)
            except ValidationError as error:  # its field is "name": say which one Omie calls it
                raise ApiFault(INVALID_VALUE, f"{' '.join(error.messages)} (campo descricao_familia)") from None
        return {"family": family.pk}
    return {}


def _data(company: Company, param: dict[str, Any], product: Product | None = None) -> dict[str, Any]:
    data = {**product_data_from_omie(param), **_family(company, param)}
    if product is not None and data.get("code") == "":
        # On an update a blank codigo is "not sent": the service would otherwise replace the
        # product's code with a newly suggested one (and sharing would spread it).
        del data["code"]
    if "fornecedores" in param:
        data["suppliers"] = references.supplier_ids(company, param["fornecedores"])
    if "estrutura" in param:
        data["bom"] = references.bom_lines(company, param["estrutura"])
    urls = references.image_urls(param)
    if urls is not None:
        data["attachments"] = references.attachments_with_images(product, urls)
    return data


def _status(product: Product, text: str) -> dict[str, Any]:
    return {
        "codigo_produto": product.pk,
        "codigo_produto_integracao": product.integration_code,
        "codigo_status": "0",
        "descricao_status": text,
    }


def _create(company: Company, data: dict[str, Any], sent: dict[str, Any] | None = None) -> Product:
    """`sent`: the request's param, whose spellings are answered back (api.models.ApiSpelling)."""
    product = services.product_create(company=company, data=data, source=SOURCE)
    api_services.import_mark(company=company, registry="product", local_id=product.pk)
    api_services.spellings_remember_request(
        company=company, registry="product", local_id=product.pk, param=sent, created=True
    )
    return product


def _update(company: Company, product: Product, data: dict[str, Any], sent: dict[str, Any] | None = None) -> Product:
    product = services.product_update(company=company, product_id=product.pk, data=data, source=SOURCE)
    api_services.spellings_remember_request(company=company, registry="product", local_id=product.pk, param=sent)
    return product


def incluir(company: Company, param: dict[str, Any]) -> dict[str, Any]:
    param = canonical_param("product", param)
    _required(param, "codigo_produto_integracao", "descricao", "unidade", "ncm")
    existing = _by_integration_code(company, param["codigo_produto_integracao"])
    if existing is not None:
        # Omie's wording, with the record's id: integrations read it to switch to AlterarProduto.
        raise ApiFault(
            DUPLICATE,
            f"Produto já cadastrado para o Código de Integração [{existing.integration_code}] com o nCod "
            f"[{existing.pk}] !",
        )
    return _status(_create(company, _data(company, param), param), "Produto cadastrado com sucesso!")


def _identified_by(param: dict[str, Any]) -> str:
    """Which key _find used: the one that names the record is not a change to it."""
    if _given(param.get("codigo_produto")):
        return "id"
    if str(param.get("codigo_produto_integracao") or "").strip():
        return "integration_code"
    return "code"


def alterar(company: Company, param: dict[str, Any]) -> dict[str, Any]:
    param = canonical_param("product", param)
    product = _get(company, param)
    data = _data(company, param, product)
    identified_by = _identified_by(param)
    if identified_by != "id":
        data.pop(identified_by, None)  # it identified the record
    return _status(_update(company, product, data, param), "Produto alterado com sucesso!")


def upsert(company: Company, param: dict[str, Any]) -> dict[str, Any]:
    param = canonical_param("product", param)
    _required(param, "codigo_produto_integracao")
    product = _by_integration_code(company, param["codigo_produto_integracao"])
    if product is None:
        _required(param, "descricao", "unidade", "ncm")
        try:
            return _status(_create(company, _data(company, param), param), "Produto cadastrado com sucesso!")
        except ValidationError:
            # A parallel Upsert created the same code after our look-up: update it instead.
            product = _by_integration_code(company, param["codigo_produto_integracao"])
            if product is None:
                raise
    return _status(_update(company, product, _data(company, param, product), param), "Produto alterado com sucesso!")


def associar_codigo(company: Company, param: dict[str, Any]) -> dict[str, Any]:
    """AssociarCodIntProduto: give a product (made in the pages, or by another system) the
    integration code an integration knows it by. A code another product holds is Omie's
    "já cadastrado" (102), with that product's id."""
    _required(param, "codigo_produto", "codigo_produto_integracao")
    product_id = _int(param["codigo_produto"], "codigo_produto")
    product = Product.objects.filter(company=company, pk=product_id).first()
    if product is None:
        raise ApiFault(NOT_FOUND, f"Produto não cadastrado para o Código [{product_id}]!")
    # Translated as any write translates codigo_produto_integracao.
    code = product_data_from_omie({"codigo_produto_integracao": param["codigo_produto_integracao"]})[
        "integration_code"
    ]
    holder = _by_integration_code(company, code)
    if holder is not None and holder.pk != product.pk:
        raise ApiFault(
            DUPLICATE,
            f"Produto já cadastrado para o Código de Integração [{holder.integration_code}] com o nCod "
            f"[{holder.pk}] !",
        )
    if product.integration_code != code:
        product = _update(company, product, {"integration_code": code})
    return _status(product, "Código de integração associado com sucesso!")


LOTE = lote.LoteShape(
    registry="product", request_type="produto_servico_lote_request", records_key="produto_servico_cadastro",
    status_key="produto_servico_status", id_key="codigo_produto", code_key="codigo_produto_integracao",
    plural="produtos",
)


def _with_relations(queryset):
    """What product_to_omie reads, in a fixed number of queries whatever the page size."""
    images = Attachment.objects.filter(is_image=True).select_related("blob")
    return queryset.select_related("family", "stock_balance").prefetch_related(
        Prefetch("attachments", queryset=images),
        Prefetch("price_table_items", queryset=PriceTableItem.objects.select_related("table")),
        Prefetch("suppliers", queryset=Party.objects.only("pk", "cnpj_cpf", "legal_name")),
        Prefetch(
            "bom_items",
            queryset=BillOfMaterialsItem.objects.select_related("component").only(
                "product_id", "component_id", "quantity", "component__code", "component__description"
            ),
        ),
    )


def consultar(company: Company, param: dict[str, Any], *, image_url=None) -> dict[str, Any]:
    product = _get(company, param)
    product = _with_relations(Product.objects.filter(company=company, pk=product.pk)).get()
    imported = ApiImport.objects.filter(company=company, registry="product", local_id=product.pk).exists()
    spelling = spellings_of(company=company, registry="product", local_ids=[product.pk]).get(product.pk)
    return as_sent("product", product_to_omie(product, imported=imported, image_url=image_url), spelling)


def excluir(company: Company, param: dict[str, Any]) -> dict[str, Any]:
    product = _get(company, param)
    product = services.product_delete(company=company, product_id=product.pk, source=SOURCE)
    return _status(product, "Produto excluído com sucesso!")


# Omie's produto_servico_list_request, as Omie's generated PHP client lists it
# (ProdutosCadastroJsonClient, `@pw_complex produto_servico_list_request`, in two public copies
# that agree, the newer one typed as OmieLib\Geral\Produtos\Produto_servico_list_request).
# Ours on top: produtosFiltro (the record's keys as filters).
LIST_KEYS = {
    "pagina", "registros_por_pagina", "apenas_importado_api", "inativo", "produtosFiltro", "produtosPorCodigo",
    "filtrar_por_data_de", "filtrar_por_data_ate", "filtrar_por_hora_de", "filtrar_por_hora_ate",
    "filtrar_apenas_inclusao", "filtrar_apenas_alteracao", "filtrar_apenas_descricao", "filtrar_apenas_familia",
    "filtrar_apenas_tipo", "ncm", "ean", "caracteristicas", "bloqueado",
    "ordenar_por", "ordem_decrescente", "ordem_descrescente",
    # Sales channels omieshare does not have: see _without_channels_we_lack.
    "filtrar_apenas_omiepdv", "filtrar_apenas_pdv", "filtrar_apenas_marketplace",
    # Display options only: we always answer the whole record, so the list is the same.
    "exibir_caracteristicas", "exibir_obs", "exibir_kit", "exibir_tabelas_preco", "exibir_info_variacoes",
}
# ordenar_por: Omie's names → our fields (DATA_INC/DATA_ALT: the names Omie's documentation gives).
ORDERINGS = {
    "CODIGO": "pk", "CODIGO_PRODUTO": "code", "CODIGO_INTEGRACAO": "integration_code", "DESCRICAO": "description",
    "DATA_INCLUSAO": "created_at", "DATA_ALTERACAO": "updated_at", "DATA_INC": "created_at", "DATA_ALT": "updated_at",
}
FILTER_KEYS = {"codigo_produto", "codigo_produto_integracao", "codigo", "ean", "ncm", "inativo", "descricao"}
# Omie's caracteristicas: nCodCaract and cCodIntCaract are ids of Omie's own registry of
# characteristics, which we do not have (a característica is a name here); the cExibir* are
# where Omie prints it. Only the name and content select products.
CHARACTERISTIC_KEYS = {
    "nCodCaract", "cCodIntCaract", "cNomeCaract", "cConteudo", "cExibirItemNF", "cExibirItemPedido", "cExibirOrdemProd",
}
BY_CODE_KEYS = {"codigo_produto", "codigo_produto_integracao", "codigo"}


def _by_codes(items: Any) -> Q:
    """produtosPorCodigo: [{codigo_produto | codigo_produto_integracao | codigo}], any of them."""
    wanted = Q(pk__in=[])
    for item in list_of_dicts(items, "produtosPorCodigo"):
        item = known_keys(item, BY_CODE_KEYS, "produtosPorCodigo")
        if _given(item.get("codigo_produto")):
            wanted |= Q(pk=_int(item["codigo_produto"], "codigo_produto"))
        if item.get("codigo_produto_integracao"):
            wanted |= Q(integration_code=str(item["codigo_produto_integracao"]).strip())
        if item.get("codigo"):
            wanted |= Q(code=str(item["codigo"]).strip().upper())
    return wanted


def _gtin_filter(value: Any) -> str:
    """produtosFiltro.ean as the GTIN-14 to look for: masks and pasted separators ("7 891000
    315507", "7.891000.315507-") are dropped, and 7891000315507 finds a product stored as
    07891000315507 (one GTIN). No check digit is required: an invalid code simply finds nothing."""
    digits = strip_mask(str(value))
    if not is_ascii_digits(digits) or len(digits) > 14:
        raise ApiFault(
            INVALID_VALUE,
            f"O campo produtosFiltro.ean deve ter até 14 dígitos do código de barras (recebido [{value}]).",
        )
    return gtin14(digits)


def _characteristics_filter(items: Any) -> list[Q]:
    """caracteristicas: [{cNomeCaract, cConteudo}], products with each of them: the name,
    and the content when sent (case ignored in both)."""
    conditions, text = [], CharField()
    for item in list_of_dicts(items, "caracteristicas"):
        item = known_keys(item, CHARACTERISTIC_KEYS, "caracteristicas")
        name = str(item.get("cNomeCaract") or "").strip()
        if not name:
            raise ApiFault(
                MISSING_FIELD, "Preenchimento obrigatório do campo [caracteristicas.cNomeCaract] não informado!"
            )
        content = str(item.get("cConteudo") or "").strip()
        if content:
            conditions.append(Q(PairsHavePair("characteristics", Value(name, text), Value(content, text))))
        else:
            conditions.append(Q(PairsHaveName("characteristics", Value(name, text))))
    return conditions


def _without_channels_we_lack(queryset, param: dict[str, Any]):
    """filtrar_apenas_omiepdv / filtrar_apenas_pdv / filtrar_apenas_marketplace "S" keep only
    the products set up for Omie's PDV or for a marketplace. omieshare has neither, so it
    answers as Omie does for a company that uses neither: no product, the 5113 of an empty
    list. "N" (what integrations send) keeps every product; so does leaving the tag out,
    although Omie's documentation says filtrar_apenas_omiepdv defaults to "S" (integrations
    note that Omie then answers no product at all; nobody relies on that)."""
    for name in ("filtrar_apenas_omiepdv", "filtrar_apenas_pdv", "filtrar_apenas_marketplace"):
        if param.get(name) not in (None, "") and flag(param[name], name):
            return queryset.none()
    return queryset


def _listing(company: Company, param: dict[str, Any]):
    param = known_keys(param, LIST_KEYS, "produto_servico_list_request")
    imported = ApiImport.objects.filter(company=company, registry="product", local_id=OuterRef("pk"))
    queryset = Product.objects.filter(company=company).annotate(importado_api=Exists(imported))
    if str(param.get("apenas_importado_api") or "N").strip().upper() == "S":
        queryset = queryset.filter(importado_api=True)
    queryset = filter_by_date_window(queryset, param)
    filters = param.get("produtosFiltro") or {}
    if not isinstance(filters, dict):
        raise ApiFault(INVALID_VALUE, "O campo produtosFiltro deve ser um objeto.")
    filters = known_keys(filters, FILTER_KEYS, "produtosFiltro")
    if _given(filters.get("codigo_produto")):
        queryset = queryset.filter(pk=_int(filters["codigo_produto"], "codigo_produto"))
    if filters.get("codigo_produto_integracao"):
        queryset = queryset.filter(integration_code=str(filters["codigo_produto_integracao"]).strip())
    if filters.get("codigo"):
        queryset = queryset.filter(code=str(filters["codigo"]).strip().upper())
    # ean and ncm: in produtosFiltro (ours) and at the top level (Omie's); each narrows.
    for ean in (filters.get("ean"), param.get("ean")):
        if ean:
            queryset = queryset.annotate(gtin=ean_gtin14()).filter(gtin=_gtin_filter(ean))
    for ncm in (filters.get("ncm"), param.get("ncm")):
        if ncm:
            queryset = queryset.filter(ncm=str(ncm).replace(".", "").strip())
    for inactive in (filters.get("inativo"), param.get("inativo")):
        if inactive not in (None, ""):
            queryset = queryset.filter(active=not flag(inactive, "inativo"))
    if param.get("bloqueado") not in (None, ""):
        queryset = queryset.filter(blocked=flag(param["bloqueado"], "bloqueado"))
    description = filters.get("descricao") or param.get("filtrar_apenas_descricao")
    if description:  # through the search index too (see catalog.selectors.indexed_party_text)
        text = str(description).strip().strip("%")
        queryset = queryset.filter(indexed_product_text(text), text_pattern_filter("description", description))
    if _given(param.get("filtrar_apenas_familia")):
        queryset = queryset.filter(family_id=_int(param["filtrar_apenas_familia"], "filtrar_apenas_familia"))
    if param.get("filtrar_apenas_tipo") not in (None, ""):
        item_type = str(param["filtrar_apenas_tipo"]).strip()
        queryset = queryset.filter(item_type=item_type.zfill(2) if is_ascii_digits(item_type) else item_type)
    for condition in _characteristics_filter(param.get("caracteristicas")):
        queryset = queryset.filter(condition)
    if param.get("produtosPorCodigo"):
        queryset = queryset.filter(_by_codes(param["produtosPorCodigo"]))
    return _without_channels_we_lack(queryset, param)


def listar(company: Company, param: dict[str, Any], *, image_url=None) -> dict[str, Any]:
    param = known_keys(param, LIST_KEYS, "produto_servico_list_request")  # Omie's spelling, for paginate too
    page = paginate(_with_relations(_listing(company, param)), param, ORDERINGS)
    spellings = spellings_of(company=company, registry="product", local_ids=[p.pk for p in page.records])
    items = [
        as_sent("product", product_to_omie(p, imported=p.importado_api, image_url=image_url), spellings.get(p.pk))
        for p in page.records
    ]
    return page.envelope("produto_servico_cadastro", items)


def listar_resumido(company: Company, param: dict[str, Any]) -> dict[str, Any]:
    param = known_keys(param, LIST_KEYS, "produto_servico_list_request")  # Omie's spelling, for paginate too
    queryset = _listing(company, param).only("pk", "integration_code", "code", "description", "price")
    page = paginate(queryset, param, ORDERINGS)
    spellings = spellings_of(company=company, registry="product", local_ids=[p.pk for p in page.records])
    items = [as_sent("product", product_to_omie_summary(p), spellings.get(p.pk)) for p in page.records]
    return page.envelope("produto_servico_resumido", items)


CALLS = {
    "IncluirProduto": incluir,
    "AlterarProduto": alterar,
    "UpsertProduto": upsert,
    "ConsultarProduto": consultar,
    "ExcluirProduto": excluir,
    "ListarProdutos": listar,
    "ListarProdutosResumido": listar_resumido,
    "AssociarCodIntProduto": associar_codigo,
    "IncluirProdutosPorLote": lote.call(LOTE, incluir),
    "UpsertProdutosPorLote": lote.call(LOTE, upsert),
}
WRITES = {
    "IncluirProduto", "AlterarProduto", "UpsertProduto", "ExcluirProduto",
    "AssociarCodIntProduto", "IncluirProdutosPorLote", "UpsertProdutosPorLote",
}
READS_WITH_IMAGES = {"ConsultarProduto", "ListarProdutos"}
