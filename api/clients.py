"""clientes_cadastro: Omie's calls for clients and suppliers (`/api/v1/geral/clientes/`)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import CharField, Exists, Func, OuterRef, Prefetch, Q, Value
from django.db.models.functions import Upper
from django.db.models.lookups import Exact

from api import lote, references
from api import services as api_services
from api.faults import DUPLICATE, INVALID_VALUE, MISSING_FIELD, NOT_FOUND, ApiFault
from api.listing import filter_by_date_window, known_keys, paginate
from api.models import ApiImport
from api.omie_schema import canonical_param
from api.selectors import spellings_of
from api.translate import (
    CLIENT_TAG,
    SUPPLIER_TAG,
    as_sent,
    document_text,
    flag,
    key_text,
    list_of_dicts,
    party_data_from_omie,
    party_to_omie,
    party_to_omie_summary,
    whole_number,
)
from catalog import services
from catalog.models import Attachment, Party, Salesperson
from catalog.selectors import indexed_party_text
from companies.models import Company
from omieshare.lib.brazil import normalize_cep, normalize_cpf_cnpj, strip_mask
from omieshare.lib.json_arrays import ArrayHasText

SOURCE = "api"


def _required(param: dict[str, Any], *names: str) -> None:
    for name in names:
        if str(param.get(name) or "").strip() == "":
            raise ApiFault(MISSING_FIELD, f"Preenchimento obrigatório do campo [{name}] não informado!")


def _omie_id(value: Any) -> int:
    try:
        return whole_number(value)
    except ValueError:
        raise ApiFault(INVALID_VALUE, f"codigo_cliente_omie inválido: [{value}].") from None


def _by_integration_code(company: Company, code: Any) -> Party | None:
    """The record with that integration code: only its id and that code, which is all the
    calls read from it (the services read the rest under their lock), rather than the whole
    wide row to fetch and build on every Incluir/Upsert."""
    return Party.objects.filter(company=company, code=key_text(code, "codigo_cliente_integracao")).only("code").first()


def _find(company: Company, param: dict[str, Any]) -> Party | None:
    """By codigo_cliente_omie, else by codigo_cliente_integracao; None if neither matches."""
    omie_id = param.get("codigo_cliente_omie")
    if omie_id not in (None, "", 0, "0"):
        return Party.objects.filter(company=company, pk=_omie_id(omie_id)).first()
    code = key_text(param.get("codigo_cliente_integracao"), "codigo_cliente_integracao")
    if code:
        return _by_integration_code(company, code)
    raise ApiFault(
        MISSING_FIELD,
        "Informe o codigo_cliente_omie ou o codigo_cliente_integracao do cliente.",
    )


def _get(company: Company, param: dict[str, Any]) -> Party:
    party = _find(company, param)
    if party is None:
        key = param.get("codigo_cliente_omie") or param.get("codigo_cliente_integracao")
        raise ApiFault(NOT_FOUND, f"Cliente não cadastrado para o Código [{key}]!")
    return party


def _status(party: Party, text: str) -> dict[str, Any]:
    return {
        "codigo_cliente_omie": party.pk,
        "codigo_cliente_integracao": party.code,
        "codigo_status": "0",
        "descricao_status": text,
    }


def _create(company: Company, data: dict[str, Any], sent: dict[str, Any] | None = None) -> Party:
    """`sent`: the request's param, whose spellings are answered back (api.models.ApiSpelling)."""
    party = services.party_create(company=company, data=data, source=SOURCE)
    api_services.import_mark(company=company, registry="party", local_id=party.pk)
    api_services.spellings_remember_request(
        company=company, registry="party", local_id=party.pk, param=sent, created=True
    )
    return party


def _update(company: Company, party: Party, data: dict[str, Any], sent: dict[str, Any] | None = None) -> Party:
    party = services.party_update(company=company, party_id=party.pk, data=data, source=SOURCE)
    api_services.spellings_remember_request(company=company, registry="party", local_id=party.pk, param=sent)
    return party


def _data(company: Company, param: dict[str, Any], party: Party | None = None) -> dict[str, Any]:
    data = party_data_from_omie(param, updating=party is not None)
    if party is not None and data.get("code") == "":
        del data["code"]  # on an update a blank codigo_cliente_integracao is "not sent", not "clear it"
    recommendations = param.get("recomendacoes")
    if recommendations not in (None, "") and not isinstance(recommendations, dict):
        raise ApiFault(INVALID_VALUE, "O campo recomendacoes deve ser um objeto.")
    if "codigo_vendedor" in param:
        data["salespeople"] = references.salesperson_ids(company, param["codigo_vendedor"])
    elif recommendations and "codigo_vendedor" in recommendations:  # where Omie has it
        data["salespeople"] = references.salesperson_ids(company, recommendations["codigo_vendedor"])
    urls = references.image_urls(param)
    if urls is not None:
        data["attachments"] = references.attachments_with_images(party, urls)
    return data


def incluir(company: Company, param: dict[str, Any]) -> dict[str, Any]:
    param = canonical_param("party", param)
    _required(param, "codigo_cliente_integracao", "razao_social")
    existing = _by_integration_code(company, param["codigo_cliente_integracao"])
    if existing is not None:
        # Omie's wording, with the record's id: integrations read it to switch to AlterarCliente.
        raise ApiFault(
            DUPLICATE,
            f"Cliente já cadastrado para o Código de Integração [{existing.code}] com o nCod [{existing.pk}] !",
        )
    party = _create(company, _data(company, param), param)
    return _status(party, "Cliente cadastrado com sucesso!")


def alterar(company: Company, param: dict[str, Any]) -> dict[str, Any]:
    param = canonical_param("party", param)
    party = _get(company, param)
    data = _data(company, param, party)
    if param.get("codigo_cliente_omie") in (None, "", 0, "0"):
        data.pop("code", None)  # the code identified the record; it is not being changed
    party = _update(company, party, data, param)
    return _status(party, "Cliente alterado com sucesso!")


def upsert(company: Company, param: dict[str, Any]) -> dict[str, Any]:
    param = canonical_param("party", param)
    _required(param, "codigo_cliente_integracao")
    party = _by_integration_code(company, param["codigo_cliente_integracao"])
    if party is None:
        _required(param, "razao_social")
        try:
            return _status(_create(company, _data(company, param), param), "Cliente cadastrado com sucesso!")
        except ValidationError:
            # A parallel Upsert created the same code after our look-up (our insert waited
            # for it and hit the unique code): the record now exists, so this is an update.
            party = _by_integration_code(company, param["codigo_cliente_integracao"])
            if party is None:
                raise
    return _status(_update(company, party, _data(company, param, party), param), "Cliente alterado com sucesso!")


def upsert_cpf_cnpj(company: Company, param: dict[str, Any]) -> dict[str, Any]:
    param = canonical_param("party", param)
    _required(param, "cnpj_cpf")
    try:
        document = normalize_cpf_cnpj(document_text(param["cnpj_cpf"]))
    except ValidationError as error:
        raise ApiFault(INVALID_VALUE, f"{' '.join(error.messages)} (campo cnpj_cpf)") from None
    # The active record first, then the oldest: the one a user would call "the" client.
    party = Party.objects.filter(company=company, cnpj_cpf=document).order_by("-active", "pk").first()
    data = _data(company, param, party)
    if party is None:
        _required(param, "razao_social")
        return _status(_create(company, data, param), "Cliente cadastrado com sucesso!")
    return _status(_update(company, party, data, param), "Cliente alterado com sucesso!")


def associar_codigo(company: Company, param: dict[str, Any]) -> dict[str, Any]:
    """AssociarCodIntCliente: give a record (made in the pages, or by another system) the
    integration code an integration knows it by. A code another record holds is Omie's
    "já cadastrado" (102), with that record's id."""
    _required(param, "codigo_cliente_omie", "codigo_cliente_integracao")
    omie_id = _omie_id(param["codigo_cliente_omie"])
    party = Party.objects.filter(company=company, pk=omie_id).first()
    if party is None:
        raise ApiFault(NOT_FOUND, f"Cliente não cadastrado para o Código [{omie_id}]!")
    # Translated as any write translates codigo_cliente_integracao.
    code = party_data_from_omie({"codigo_cliente_integracao": param["codigo_cliente_integracao"]})["code"]
    holder = _by_integration_code(company, code)
    if holder is not None and holder.pk != party.pk:
        raise ApiFault(
            DUPLICATE,
            f"Cliente já cadastrado para o Código de Integração [{holder.code}] com o nCod [{holder.pk}] !",
        )
    if party.code != code:
        party = _update(company, party, {"code": code})
    return _status(party, "Código de integração associado com sucesso!")


LOTE = lote.LoteShape(
    registry="party", request_type="clientes_lote_request", records_key="clientes_cadastro",
    status_key="clientes_status", id_key="codigo_cliente_omie", code_key="codigo_cliente_integracao",
    plural="clientes",
)


def _with_relations(queryset):
    """What party_to_omie reads, in a fixed number of queries whatever the page size."""
    images = Attachment.objects.filter(is_image=True).select_related("blob")
    return queryset.prefetch_related(
        Prefetch("attachments", queryset=images),
        Prefetch("salespeople", queryset=Salesperson.objects.only("pk", "name", "email")),
    )


def consultar(company: Company, param: dict[str, Any], *, image_url=None) -> dict[str, Any]:
    party = _get(company, param)
    party = _with_relations(Party.objects.filter(company=company, pk=party.pk)).get()
    imported = ApiImport.objects.filter(company=company, registry="party", local_id=party.pk).exists()
    spelling = spellings_of(company=company, registry="party", local_ids=[party.pk]).get(party.pk)
    return as_sent("party", party_to_omie(party, imported=imported, image_url=image_url), spelling)


def excluir(company: Company, param: dict[str, Any]) -> dict[str, Any]:
    party = _get(company, param)
    party = services.party_delete(company=company, party_id=party.pk, source=SOURCE)
    return _status(party, "Cliente excluído com sucesso!")


# Omie's clientes_list_request and clientesFiltro, as Omie's generated PHP client
# (ClientesCadastroJsonClient, `@pw_complex clientes_list_request` / `clientesFiltro`) and the
# typed omie-sdk (lucas-bogos/omie-sdk, IClientesListRequest / IClientesFiltro) both list them.
# Ours on top: `inativo` at the top level, as ListarProdutos has it (integrations send it to
# both calls), and clientesFiltro.nome (either name, as typed in a search box).
LIST_KEYS = {
    "pagina", "registros_por_pagina", "apenas_importado_api", "clientesFiltro", "clientesPorCodigo",
    "filtrar_por_data_de", "filtrar_por_data_ate", "filtrar_por_hora_de", "filtrar_por_hora_ate",
    "filtrar_apenas_inclusao", "filtrar_apenas_alteracao",
    "ordenar_por", "ordem_decrescente", "ordem_descrescente", "inativo",
    # Display options only: we always answer the whole record, so the list is the same.
    "exibir_caracteristicas", "exibir_obs",
}
# ordenar_por: Omie's names → our fields.
ORDERINGS = {
    "CODIGO": "pk", "CODIGO_INTEGRACAO": "code", "RAZAO_SOCIAL": "legal_name", "NOME_FANTASIA": "trade_name",
    "CNPJ_CPF": "cnpj_cpf", "DATA_INCLUSAO": "created_at", "DATA_ALTERACAO": "updated_at",
}
FILTER_KEYS = {
    "codigo_cliente_omie", "codigo_cliente_integracao", "cnpj_cpf", "razao_social", "nome_fantasia", "email",
    "cidade", "estado", "inativo", "nome", "endereco", "bairro", "cep", "pessoa_fisica", "tags",
    "inscricao_estadual", "inscricao_municipal", "inscricao_suframa", "optante_simples_nacional", "homepage",
    "contato",
}
# clientesFiltro's registrations: the same number typed with or without its mask.
_REGISTRATION_FILTERS = {
    "inscricao_estadual": "state_registration", "inscricao_municipal": "municipal_registration",
    "inscricao_suframa": "suframa_registration",
}
BY_CODE_KEYS = {"codigo_cliente_omie", "codigo_cliente_integracao"}


def _by_codes(items: Any) -> Q:
    """clientesPorCodigo: [{codigo_cliente_omie | codigo_cliente_integracao}], any of them."""
    wanted = Q(pk__in=[])
    for item in list_of_dicts(items, "clientesPorCodigo"):
        item = known_keys(item, BY_CODE_KEYS, "clientesPorCodigo")
        if item.get("codigo_cliente_omie") not in (None, "", 0, "0"):
            wanted |= Q(pk=_omie_id(item["codigo_cliente_omie"]))
        if item.get("codigo_cliente_integracao"):
            wanted |= Q(code=str(item["codigo_cliente_integracao"]).strip())
    return wanted


def _given(value: Any) -> bool:
    return value not in (None, "", 0, "0")


def _cep_filter(value: Any) -> str:
    """clientesFiltro.cep with or without its mask ("01310-100", "01310100")."""
    try:
        cep = normalize_cep(str(value))
    except ValidationError as error:
        raise ApiFault(INVALID_VALUE, f"{' '.join(error.messages)} (campo clientesFiltro.cep)") from None
    return cep


def _tags_filter(value: Any) -> list[str]:
    """clientesFiltro.tags as integrations send it: [{"tag": "Fornecedor"}], the shape of
    Omie's tagsArray (public integrations list suppliers with exactly this), plain strings
    (["Fornecedor"]) or one string ("Fornecedor")."""
    if value in (None, ""):
        return []
    if isinstance(value, str):  # one tag, as some integrations send it: "tags": "Fornecedor"
        value = [value]
    if not isinstance(value, list):
        raise ApiFault(INVALID_VALUE, "O campo clientesFiltro.tags deve ser uma lista de tags.")
    tags = []
    for item in value:
        if isinstance(item, dict):
            item = known_keys(item, {"tag"}, "tags")
            item = item.get("tag")
        if isinstance(item, dict | list):
            raise ApiFault(
                INVALID_VALUE, 'O campo clientesFiltro.tags deve ser uma lista de {"tag": "..."} ou de textos.'
            )
        if str(item or "").strip():
            tags.append(str(item).strip())
    return tags


def _tagged(tag: str) -> Q:
    """A record carrying `tag`, case ignored: "Cliente"/"Fornecedor" are our roles
    (is_client/is_supplier), as when a record is written; any other is one of Party.tags."""
    if tag.lower() == CLIENT_TAG.lower():
        return Q(is_client=True)
    if tag.lower() == SUPPLIER_TAG.lower():
        return Q(is_supplier=True)
    return Q(ArrayHasText("tags", Value(tag, output_field=CharField())))
def _same_registration(field: str, value: Any) -> Q:
    """An inscrição as stored ("110.042.490.114") found by what was typed, with or without
    the mask ("110042490114"), case-insensitively ("isento")."""
    wanted = strip_mask(str(value))
    bare = Func(Upper(field), Value(r"[^0-9A-Z]"), Value(""), Value("g"), function="regexp_replace",
                output_field=CharField())
    return Q(**{f"{field}__iexact": str(value).strip()}) | Q(Exact(bare, wanted))


def _listing(company: Company, param: dict[str, Any]):
    param = known_keys(param, LIST_KEYS, "clientes_list_request")
    imported = ApiImport.objects.filter(company=company, registry="party", local_id=OuterRef("pk"))
    queryset = Party.objects.filter(company=company).annotate(importado_api=Exists(imported))
    if str(param.get("apenas_importado_api") or "N").strip().upper() == "S":
        queryset = queryset.filter(importado_api=True)
    queryset = filter_by_date_window(queryset, param)
    filters = param.get("clientesFiltro") or {}
    if not isinstance(filters, dict):
        raise ApiFault(INVALID_VALUE, "O campo clientesFiltro deve ser um objeto.")
    filters = known_keys(filters, FILTER_KEYS, "clientesFiltro")
    if _given(filters.get("codigo_cliente_omie")):
        queryset = queryset.filter(pk=_omie_id(filters["codigo_cliente_omie"]))
    if filters.get("codigo_cliente_integracao"):
        queryset = queryset.filter(code=str(filters["codigo_cliente_integracao"]).strip())
    if filters.get("cnpj_cpf"):
        try:
            document = normalize_cpf_cnpj(str(filters["cnpj_cpf"]))
        except ValidationError as error:
            raise ApiFault(INVALID_VALUE, f"{' '.join(error.messages)} (campo clientesFiltro.cnpj_cpf)") from None
        queryset = queryset.filter(cnpj_cpf=document)
    # Each text filter also goes through the search index (indexed_party_text), which
    # these columns have no index of their own to replace.
    if filters.get("razao_social"):
        text = str(filters["razao_social"]).strip()
        queryset = queryset.filter(indexed_party_text(text), legal_name__icontains=text)
    if filters.get("nome_fantasia"):
        text = str(filters["nome_fantasia"]).strip()
        queryset = queryset.filter(indexed_party_text(text), trade_name__icontains=text)
    if filters.get("email"):
        text = str(filters["email"]).strip()
        queryset = queryset.filter(indexed_party_text(text), email__iexact=text)
    if filters.get("cidade"):
        text = str(filters["cidade"]).strip()
        queryset = queryset.filter(indexed_party_text(text), city__icontains=text)
    if filters.get("estado"):
        queryset = queryset.filter(state=str(filters["estado"]).strip().upper())
    for inactive in (filters.get("inativo"), param.get("inativo")):
        if inactive not in (None, ""):
            queryset = queryset.filter(active=not flag(inactive, "inativo"))
    for tag, field in _REGISTRATION_FILTERS.items():
        if filters.get(tag) not in (None, ""):
            queryset = queryset.filter(_same_registration(field, filters[tag]))
    if filters.get("optante_simples_nacional") not in (None, ""):
        queryset = queryset.filter(simples_nacional=flag(filters["optante_simples_nacional"],
                                                         "clientesFiltro.optante_simples_nacional"))
    if filters.get("homepage"):
        queryset = queryset.filter(homepage__icontains=str(filters["homepage"]).strip())
    if filters.get("contato"):
        queryset = queryset.filter(contact_name__icontains=str(filters["contato"]).strip())
    if filters.get("nome"):  # either name, as typed in a search box
        name = str(filters["nome"]).strip()
        either = Q(legal_name__icontains=name) | Q(trade_name__icontains=name)
        queryset = queryset.filter(indexed_party_text(name), either)
    # The address is not in the search index: these read the company's clients one by one.
    if filters.get("endereco"):
        queryset = queryset.filter(street__icontains=str(filters["endereco"]).strip())
    if filters.get("bairro"):
        queryset = queryset.filter(district__icontains=str(filters["bairro"]).strip())
    if filters.get("cep"):
        queryset = queryset.filter(cep=_cep_filter(filters["cep"]))
    if filters.get("pessoa_fisica") not in (None, ""):
        individual = flag(filters["pessoa_fisica"], "clientesFiltro.pessoa_fisica")
        queryset = queryset.filter(person_type=Party.PersonType.INDIVIDUAL if individual else Party.PersonType.COMPANY)
    for tag in _tags_filter(filters.get("tags")):
        queryset = queryset.filter(_tagged(tag))
    if param.get("clientesPorCodigo"):
        queryset = queryset.filter(_by_codes(param["clientesPorCodigo"]))
    return queryset


def listar(company: Company, param: dict[str, Any], *, image_url=None) -> dict[str, Any]:
    param = known_keys(param, LIST_KEYS, "clientes_list_request")  # Omie's spelling, for paginate too
    page = paginate(_with_relations(_listing(company, param)), param, ORDERINGS)
    spellings = spellings_of(company=company, registry="party", local_ids=[party.pk for party in page.records])
    items = [
        as_sent("party", party_to_omie(p, imported=p.importado_api, image_url=image_url), spellings.get(p.pk))
        for p in page.records
    ]
    return page.envelope("clientes_cadastro", items)


def listar_resumido(company: Company, param: dict[str, Any]) -> dict[str, Any]:
    param = known_keys(param, LIST_KEYS, "clientes_list_request")  # Omie's spelling, for paginate too
    queryset = _listing(company, param).only(
        "pk", "code", "legal_name", "trade_name", "cnpj_cpf"
    )
    page = paginate(queryset, param, ORDERINGS)
    return page.envelope("clientes_cadastro_resumido", [party_to_omie_summary(p) for p in page.records])


CALLS = {
    "IncluirCliente": incluir,
    "AlterarCliente": alterar,
    "UpsertCliente": upsert,
    "UpsertClienteCpfCnpj": upsert_cpf_cnpj,
    "ConsultarCliente": consultar,
    "ExcluirCliente": excluir,
    "ListarClientes": listar,
    "ListarClientesResumido": listar_resumido,
    "AssociarCodIntCliente": associar_codigo,
    "IncluirClientesPorLote": lote.call(LOTE, incluir),
    "UpsertClientesPorLote": lote.call(LOTE, upsert),
}
READS_WITH_IMAGES = {"ConsultarCliente", "ListarClientes"}
WRITES = {
    "IncluirCliente", "AlterarCliente", "UpsertCliente", "UpsertClienteCpfCnpj", "ExcluirCliente",
    "AssociarCodIntCliente", "IncluirClientesPorLote", "UpsertClientesPorLote",
}
