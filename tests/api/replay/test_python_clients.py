"""The flows of the public Python Omie clients, pointed at omieshare with only the base URL
changed (issue 12, "Done when"): create, upsert, consult by each key, alter, list to the
end, exclude, and the faults they classify.

Each caller below builds requests and reads answers the way that client does; none of their
code is used (nor installed):

- **api-omie** 0.4.6.1 (PyPI; github MikalROn/ApiOmieSDK, `omieapi/core/omiebase.py` and the
  generated `omieapi/scripts/cod_automatico.py`; the named methods of
  `omieapi/geral/cliente.py` and `omieapi/compras_estoque_producao/produtos.py`). A method
  per call (`incluir_cliente(**kwargs)`) posts `{"call", "app_key", "app_secret",
  "param": [kwargs]}` to `https://app.omie.com.br/api/v1/geral/clientes/`. HTTP 200 is the
  answer; 429 sleeps 60 s and calls again; 425 sleeps the seconds of "Tente novamente em N";
  a 500 saying "Broken response from Application Server" is called again; any other status
  comes back as `{"Error": status, "headers": …, "Mensagem": <fault JSON>}`. Its named
  consult/exclude methods always send every key of the call (`codigo_cliente_omie` and
  `codigo_cliente_integracao`; the product's three), the unused ones empty; its
  `listar_produtos` sends `filtrar_apenas_omiepdv` "N". Lists are paged by the caller.
- **iaxys-omie-utils** 0.1.7 (PyPI). `OmieClientes` / `OmieProdutos` take pydantic params
  dumped with `exclude_none` (numbers given to text fields go as text); the envelope is
  `json.dumps({"app_key", "app_secret", "call", "param": [...]})` posted to
  `{BASE_URL}/geral/clientes/`. Every answer holding a `faultcode` is raised as a typed error:
  `SOAP-ENV:Server*` is retried (3 attempts); `SOAP-ENV:Client*` is classified by the text of
  `faultstring`, rate limiting first ("redundante", "bloqueado", "aguarde", …), then
  credentials, duplicate (`omie_id` = the first "[digits]"), not found ("não cadastrad",
  "não existem registros"), validation ("inválid", "é obrigatório", …). `ListarClientes`
  sends `inativo` next to `pagina` and `clientesFiltro.tags` as a string; `ListarProdutos`
  sends `inativo` and `bloqueado`. It has no exclusion method.
- **omie-client** 0.3.0 (PyPI; github morais90/omie-client, `omie_client/client.py`).
  `OmieClient.request(url, data)` posts `{"app_key", "app_secret", **data}` to
  `https://app.omie.com.br/api` + url and calls `raise_for_status()`: 403 raises
  `OmieBlockedError`, 429 `OmieRateLimitError`, any other error `OmieRequestError(status,
  code, faultstring)`. Its typed endpoints cover finance only, so clients and products go
  through `request()`, as its users do.
"""

from __future__ import annotations

import json
import re
from contextlib import contextmanager
from typing import Any

import pytest
from django.db import connections

from api import limits
from catalog.models import Product
from tests.api.replay.roundtrip import assert_nothing_dropped, ok
from tests.factories import ProductFamilyFactory

pytestmark = pytest.mark.django_db

OMIE = "https://app.omie.com.br/api"


class Server:
    """omieshare as a client reaches it once its base URL points here."""

    def __init__(self, client) -> None:
        self._client = client

    def post(self, url: str, body: str):
        assert url.startswith(OMIE), url
        return self._client.post("/api" + url.removeprefix(OMIE), data=body, content_type="application/json")


@pytest.fixture
def server(client):
    return Server(client)


@contextmanager
def busy(app_key: str, call: str):
    """Every concurrency slot of (app_key, call) taken by another connection, as when other
    requests of the same integration are still running. Yields a function that frees them."""
    other = connections.create_connection("default")
    keys = [limits.slot_key(app_key, call, slot) for slot in range(limits.MAX_CONCURRENT)]

    def release() -> None:
        with other.cursor() as cursor:
            for key in keys:
                cursor.execute("SELECT pg_advisory_unlock(hashtextextended(%s, 0))", [key])
        keys.clear()

    try:
        with other.cursor() as cursor:
            for key in keys:
                cursor.execute("SELECT pg_advisory_lock(hashtextextended(%s, 0))", [key])
        yield release
    finally:
        release()
        other.close()


# --- api-omie ---------------------------------------------------------------------------

API_OMIE_CALLS = {
    "incluir_cliente": ("geral/clientes/", "IncluirCliente"),
    "alterar_cliente": ("geral/clientes/", "AlterarCliente"),
    "upsert_cliente": ("geral/clientes/", "UpsertCliente"),
    "upsert_cliente_cpf_cnpj": ("geral/clientes/", "UpsertClienteCpfCnpj"),
    "consultar_cliente": ("geral/clientes/", "ConsultarCliente"),
    "excluir_cliente": ("geral/clientes/", "ExcluirCliente"),
    "listar_clientes": ("geral/clientes/", "ListarClientes"),
    "associar_cod_int_cliente": ("geral/clientes/", "AssociarCodIntCliente"),
    "incluir_produto": ("geral/produtos/", "IncluirProduto"),
    "alterar_produto": ("geral/produtos/", "AlterarProduto"),
    "upsert_produto": ("geral/produtos/", "UpsertProduto"),
    "consultar_produto": ("geral/produtos/", "ConsultarProduto"),
    "excluir_produto": ("geral/produtos/", "ExcluirProduto"),
    "listar_produtos": ("geral/produtos/", "ListarProdutos"),
    "associar_cod_int_produto": ("geral/produtos/", "AssociarCodIntProduto"),
}


class ApiOmie:
    """api-omie's `Omie(app_key, app_secret)`: `omie.incluir_cliente(**kwargs)` and so on."""

    ENDPOINT = f"{OMIE}/v1/"

    def __init__(self, server: Server, credentials, sleep=None, max_calls: int = 5) -> None:
        self._server = server
        self._key, self._secret = credentials.app_key, credentials.app_secret
        self.slept: list[float] = []
        self._sleep = sleep or self.slept.append
        self._max_calls = max_calls  # the real client retries without end

    def __getattr__(self, method: str):
        endpoint, call = API_OMIE_CALLS[method]
        return lambda **param: self._chamar_api(endpoint, call, param)

    def _chamar_api(self, endpoint: str, call: str, param: dict) -> dict:
        body = json.dumps({"call": call, "app_key": self._key, "app_secret": self._secret, "param": [param]})
        for _ in range(self._max_calls):
            response = self._server.post(self.ENDPOINT + endpoint, body)
            text = response.content.decode()
            if response.status_code == 200:
                return response.json()
            if response.status_code == 429:
                self._sleep(60)
                continue
            if response.status_code == 425:
                self._sleep(int(re.search(r"Tente novamente em (\d+)", text).group(1)))
                continue
            if response.status_code == 500 and "Broken response from Application Server" in text:
                continue
            return {"Error": response.status_code, "headers": dict(response.headers), "Mensagem": response.json()}
        pytest.fail(f"api-omie would still be calling {call} again: {text}")


def _api_omie_ok(answer: dict) -> dict:
    assert "Error" not in answer, f"expected success, got HTTP {answer.get('Error')}: {answer.get('Mensagem')}"
    return answer


def _api_omie_fault(answer: dict) -> int:
    """The Omie fault code inside api-omie's {"Error": …, "Mensagem": {faultcode, …}}."""
    assert "Error" in answer, f"expected a fault, got {answer}"
    return int(answer["Mensagem"]["faultcode"].rsplit("-", 1)[-1])


def test_api_omie_creates_upserts_consults_by_each_key_and_alters_a_client(server, credentials):
    omie = ApiOmie(server, credentials)
    created = omie.incluir_cliente(
        codigo_cliente_integracao="api-omie-0001", email="compras@ferragensmonteiro.com.br",
        razao_social="Ferragens e Materiais de Construção Monteiro Ltda", nome_fantasia="Ferragens Monteiro",
    )
    assert created["codigo_status"] == "0", created
    upserted = omie.upsert_cliente(
        codigo_cliente_integracao="api-omie-0001", email="suprimentos@ferragensmonteiro.com.br",
        razao_social="Ferragens e Materiais de Construção Monteiro Ltda", nome_fantasia="Monteiro",
    )
    by_document = omie.upsert_cliente_cpf_cnpj(
        cnpj_cpf="573.955.920-00", email="helena.monteiro@gmail.com",
        razao_social="Helena Cristina Monteiro de Sá", nome_fantasia="Helena",
    )

    assert upserted["descricao_status"] == "Cliente alterado com sucesso!", upserted
    assert upserted["codigo_cliente_omie"] == created["codigo_cliente_omie"]
    assert by_document["descricao_status"] == "Cliente cadastrado com sucesso!", by_document
    by_id = omie.consultar_cliente(codigo_cliente_omie=created["codigo_cliente_omie"], codigo_cliente_integracao="")
    by_code = omie.consultar_cliente(codigo_cliente_omie=0, codigo_cliente_integracao="api-omie-0001")
    assert by_id == by_code
    assert_nothing_dropped({"email": "suprimentos@ferragensmonteiro.com.br", "nome_fantasia": "Monteiro",
                            "razao_social": "Ferragens e Materiais de Construção Monteiro Ltda"}, by_id,
                           "api-omie UpsertCliente → ConsultarCliente")

    altered = omie.alterar_cliente(
        codigo_cliente_integracao="api-omie-0001", email="compras@monteiro.com.br",
        razao_social="Ferragens Monteiro Comércio Ltda", nome_fantasia="Monteiro",
    )
    assert altered["descricao_status"] == "Cliente alterado com sucesso!", altered
    read = omie.consultar_cliente(codigo_cliente_omie=created["codigo_cliente_omie"], codigo_cliente_integracao="")
    assert (read["razao_social"], read["email"]) == ("Ferragens Monteiro Comércio Ltda", "compras@monteiro.com.br")


def test_api_omie_associates_an_integration_code_to_a_client_it_found_by_document(server, credentials):
    omie = ApiOmie(server, credentials)
    found = omie.upsert_cliente_cpf_cnpj(cnpj_cpf="79402272038", razao_social="Rafael Augusto Teixeira Lins",
                                         email="rafael.lins@outlook.com", nome_fantasia="Rafael")

    associated = omie.associar_cod_int_cliente(codigo_cliente_omie=found["codigo_cliente_omie"],
                                               codigo_cliente_integracao="api-omie-0099")

    assert _api_omie_ok(associated)["codigo_status"] == "0", associated
    read = omie.consultar_cliente(codigo_cliente_omie=0, codigo_cliente_integracao="api-omie-0099")
    assert read.get("codigo_cliente_omie") == found["codigo_cliente_omie"], read


def _api_omie_list_to_the_end(omie: ApiOmie, method: str, list_key: str, code_key: str, **filters) -> list[str]:
    """What api-omie's users write: page until total_de_paginas; one more page is Omie's 5113."""
    codes, page = [], 1
    while True:
        answer = getattr(omie, method)(pagina=page, registros_por_pagina=2, apenas_importado_api="N", **filters)
        codes += [record[code_key] for record in _api_omie_ok(answer)[list_key]]
        if page >= answer["total_de_paginas"]:
            break
        page += 1
    after = getattr(omie, method)(pagina=page + 1, registros_por_pagina=2, apenas_importado_api="N", **filters)
    assert _api_omie_fault(after) == 5113, after
    return codes


def test_api_omie_lists_clients_to_the_end(server, credentials):
    omie = ApiOmie(server, credentials)
    for number in range(1, 6):
        omie.incluir_cliente(codigo_cliente_integracao=f"api-omie-{number:04d}",
                             email=f"loja{number}@redeaurora.com.br",
                             razao_social=f"Rede Aurora de Farmácias — Loja {number:02d} Ltda",
                             nome_fantasia=f"Aurora {number:02d}")

    codes = _api_omie_list_to_the_end(omie, "listar_clientes", "clientes_cadastro", "codigo_cliente_integracao")

    assert codes == [f"api-omie-{number:04d}" for number in range(1, 6)]


def test_api_omie_excludes_a_client_and_the_code_is_free_again(server, credentials):
    omie = ApiOmie(server, credentials)
    created = omie.incluir_cliente(codigo_cliente_integracao="api-omie-0200", email="contato@bazarbelavista.com.br",
                                   razao_social="Bazar e Utilidades Bela Vista Ltda", nome_fantasia="Bela Vista")
    omie.incluir_cliente(codigo_cliente_integracao="api-omie-0201", email="contato@armarinhoestrela.com.br",
                         razao_social="Armarinho Estrela do Norte Ltda", nome_fantasia="Estrela")

    excluded = omie.excluir_cliente(codigo_cliente_omie=created["codigo_cliente_omie"], codigo_cliente_integracao="")

    assert _api_omie_ok(excluded)["descricao_status"] == "Cliente excluído com sucesso!", excluded
    consulted = omie.consultar_cliente(codigo_cliente_omie=0, codigo_cliente_integracao="api-omie-0200")
    assert "Error" in consulted, (
        f"ConsultarCliente still answers the excluded client (inativo {consulted.get('inativo')!r})"
    )
    assert _api_omie_fault(consulted) == 103
    listed = omie.listar_clientes(pagina=1, registros_por_pagina=50, apenas_importado_api="N")
    assert listed["total_de_registros"] == 1, listed["total_de_registros"]
    again = omie.upsert_cliente(codigo_cliente_integracao="api-omie-0200", email="contato@bazarbelavista.com.br",
                                razao_social="Bazar e Utilidades Bela Vista Ltda", nome_fantasia="Bela Vista")
    assert again.get("descricao_status") == "Cliente cadastrado com sucesso!", again
    assert again["codigo_cliente_omie"] != created["codigo_cliente_omie"]
    assert omie.consultar_cliente(codigo_cliente_omie=0, codigo_cliente_integracao="api-omie-0200")["inativo"] == "N"


def test_api_omie_reads_omies_faults(server, credentials):
    omie = ApiOmie(server, credentials)
    omie.incluir_cliente(codigo_cliente_integracao="api-omie-0300", email="a@lojaazul.com.br",
                         razao_social="Loja Azul de Presentes Ltda", nome_fantasia="Loja Azul")

    duplicate = omie.incluir_cliente(codigo_cliente_integracao="api-omie-0300", email="a@lojaazul.com.br",
                                     razao_social="Loja Azul de Presentes Ltda", nome_fantasia="Loja Azul")
    missing = omie.consultar_cliente(codigo_cliente_omie=0, codigo_cliente_integracao="api-omie-9999")

    assert (duplicate["Error"], _api_omie_fault(duplicate)) == (500, 102)
    assert (missing["Error"], _api_omie_fault(missing)) == (500, 103)


def test_api_omie_waits_and_calls_again_when_omie_says_too_many_requests(server, credentials):
    freed = []

    def sleep(seconds):  # the 60 s api-omie sleeps; meanwhile the other requests finish
        freed.append(seconds)
        release()

    omie = ApiOmie(server, credentials, sleep=sleep)
    with busy(credentials.app_key, "ListarClientes") as release:
        answer = omie.listar_clientes(pagina=1, registros_por_pagina=50, apenas_importado_api="N")

    assert freed == [60]
    assert _api_omie_fault(answer) == 5113  # called again and answered: an empty company


def test_api_omie_creates_upserts_consults_by_each_key_and_alters_a_product(server, credentials):
    omie = ApiOmie(server, credentials)
    created = omie.incluir_produto(codigo_produto_integracao="api-omie-p-01", codigo="CHV-FEN-13",
                                   descricao="Chave fixa combinada 13 mm cromo-vanádio", unidade="UN",
                                   ncm="8204.11.00", valor_unitario=24.9)
    upserted = omie.upsert_produto(codigo_produto_integracao="api-omie-p-01", codigo="CHV-FEN-13",
                                   descricao="Chave combinada 13 mm cromo-vanádio", unidade="UN")

    assert created["codigo_status"] == "0", created
    assert upserted["descricao_status"] == "Produto alterado com sucesso!", upserted
    product_id = created["codigo_produto"]
    keys = [
        {"codigo_produto": product_id, "codigo_produto_integracao": "", "codigo": ""},
        {"codigo_produto": 0, "codigo_produto_integracao": "api-omie-p-01", "codigo": ""},
        {"codigo_produto": 0, "codigo_produto_integracao": "", "codigo": "CHV-FEN-13"},
    ]
    reads = [omie.consultar_produto(**key) for key in keys]
    assert all(read.get("codigo_produto") == product_id for read in reads), reads
    assert reads[0]["descricao"] == "Chave combinada 13 mm cromo-vanádio"

    altered = omie.alterar_produto(codigo_produto_integracao="api-omie-p-01", codigo="CHV-FEN-13",
                                   descricao="Chave combinada 13 mm", unidade="PC")
    assert altered["descricao_status"] == "Produto alterado com sucesso!", altered
    read = omie.consultar_produto(codigo_produto=product_id, codigo_produto_integracao="", codigo="")
    assert (read["descricao"], read["unidade"]) == ("Chave combinada 13 mm", "PC")


def test_api_omie_lists_products_to_the_end_with_the_pdv_filter_off(server, credentials):
    omie = ApiOmie(server, credentials)
    for number in range(1, 6):
        omie.incluir_produto(codigo_produto_integracao=f"api-omie-p-{number:02d}", codigo=f"BRC-{number:02d}",
                             descricao=f"Broca para concreto {number * 2} mm", unidade="UN", ncm="8207.19.00")

    codes = _api_omie_list_to_the_end(omie, "listar_produtos", "produto_servico_cadastro",
                                      "codigo_produto_integracao", filtrar_apenas_omiepdv="N")

    assert codes == [f"api-omie-p-{number:02d}" for number in range(1, 6)]


def test_api_omie_excludes_a_product_and_associates_a_code(server, credentials):
    omie = ApiOmie(server, credentials)
    doomed = omie.incluir_produto(codigo_produto_integracao="api-omie-p-80", codigo="TRN-80",
                                  descricao="Trena de aço 8 m", unidade="UN", ncm="9017.80.10")
    kept = omie.incluir_produto(codigo_produto_integracao="api-omie-p-81", codigo="TRN-50",
                                descricao="Trena de aço 5 m", unidade="UN", ncm="9017.80.10")

    excluded = omie.excluir_produto(codigo_produto=doomed["codigo_produto"], codigo_produto_integracao="", codigo="")
    associated = omie.associar_cod_int_produto(codigo_produto=kept["codigo_produto"],
                                               codigo_produto_integracao="erp-trena-5m")

    assert _api_omie_ok(excluded)["descricao_status"] == "Produto excluído com sucesso!", excluded
    consulted = omie.consultar_produto(codigo_produto=0, codigo_produto_integracao="", codigo="TRN-80")
    assert "Error" in consulted, (
        f"ConsultarProduto still answers the excluded product (inativo {consulted.get('inativo')!r})"
    )
    assert _api_omie_fault(consulted) == 103
    assert _api_omie_ok(associated)["codigo_status"] == "0", associated
    read = omie.consultar_produto(codigo_produto=0, codigo_produto_integracao="erp-trena-5m", codigo="")
    assert read.get("codigo_produto") == kept["codigo_produto"], read


# --- iaxys-omie-utils -------------------------------------------------------------------


class OmieError(Exception):
    def __init__(self, faultcode: str, faultstring: str) -> None:
        super().__init__(faultstring)
        self.faultcode, self.faultstring = faultcode, faultstring


class OmieClientError(OmieError):
    pass


class OmieServerError(OmieError):
    pass


class OmieAuthError(OmieClientError):
    pass


class OmieValidationError(OmieClientError):
    pass


class OmieDuplicateError(OmieClientError):
    @property
    def omie_id(self) -> str | None:
        found = re.search(r"\[(\d+)\]", self.faultstring)
        return found.group(1) if found else None


class OmieNotFoundError(OmieClientError):
    @property
    def field(self) -> str | None:
        found = re.findall(r"\[([^\]]+)\]", self.faultstring)
        return found[-1] if found else None


class OmieRateLimitError(OmieClientError):
    @property
    def retry_after(self) -> int | None:
        found = re.search(r"(\d+)\s*segundo", self.faultstring, re.IGNORECASE)
        return int(found.group(1)) if found else None


# How iaxys-omie-utils 0.1.7 reads a SOAP-ENV:Client fault: the first kind whose words
# appear in the lowercased faultstring wins, rate limiting first.
IAXYS_CLIENT_FAULTS = [
    (OmieRateLimitError, ("redundante", "redundant", "too many", "muitas requisições", "limite de consumo",
                          "bloqueio", "bloqueada por consumo", "bloqueado", "aguarde", "429", "425")),
    (OmieAuthError, ("api is not enabled", "app_key", "app_secret", "credencial", "autenticação", "unauthorized")),
    (OmieDuplicateError, ("já cadastrad", "já exist", "código de integração já")),
    (OmieNotFoundError, ("não cadastrad", "não encontrad", "não exist", "não existem registros")),
    (OmieValidationError, ("é obrigatório", "obrigatório o preenchimento", "número máximo de caracteres", "inválid",
                           "invalid json", "syntaxerror", "json request", "campo em branco")),
]


def iaxys_raise_for_fault(data: dict) -> dict:
    if "faultcode" not in data:
        return data
    code, text = str(data["faultcode"]), str(data.get("faultstring", ""))
    if code.startswith("SOAP-ENV:Server"):
        raise OmieServerError(code, text)
    if code.startswith("SOAP-ENV:Client"):
        lower = text.lower()
        for kind, words in IAXYS_CLIENT_FAULTS:
            if any(word in lower for word in words):
                raise kind(code, text)
        raise OmieClientError(code, text)
    raise OmieError(code, text)


def iaxys_param(fields: dict[str, Any], numbers: set[str] = frozenset()) -> dict[str, Any]:
    """A pydantic param of iaxys-omie-utils dumped: None left out, and a number given to a
    text field turned into text (coerce_numbers_to_str); `numbers` are its int/float fields."""
    return {
        name: str(value) if isinstance(value, int | float) and name not in numbers else value
        for name, value in fields.items()
        if value is not None
    }


class Iaxys:
    """iaxys-omie-utils' OmieClientes / OmieProdutos over its OmieHttp."""

    BASE_URL = f"{OMIE}/v1"

    def __init__(self, server: Server, app_key: str, app_secret: str) -> None:
        self._server = server
        self._key, self._secret = app_key, app_secret

    def post(self, path: str, call: str, param: dict) -> dict:
        payload = json.dumps({"app_key": self._key, "app_secret": self._secret, "call": call, "param": [param]})
        last: OmieError | None = None
        for _attempt in range(3):
            response = self._server.post(f"{self.BASE_URL}/{path.strip('/')}/", payload)
            try:
                return iaxys_raise_for_fault(response.json())
            except OmieServerError as error:  # the only kind it retries
                last = error
        raise last

    def clientes(self, call: str, **fields) -> dict:
        return self.post("geral/clientes", call, iaxys_param(fields, {"codigo_cliente_omie", "pagina",
                                                                      "registros_por_pagina"}))

    def produtos(self, call: str, **fields) -> dict:
        numbers = {"codigo_produto", "valor_unitario", "quantidade_estoque", "peso_liq", "peso_bruto", "pagina",
                   "registros_por_pagina"}
        return self.post("geral/produtos", call, iaxys_param(fields, numbers))


@pytest.fixture
def iaxys(server, credentials):
    return Iaxys(server, credentials.app_key, credentials.app_secret)


# Valid CNPJs for the records a flow needs in bulk (index = record number).
_CNPJS = ["", "27.603.219/0001-31", "61.142.830/0001-48", "45.318.784/0002-10", "73.560.378/0002-02",
          "23.408.789/0001-10", "63.231.169/0001-72"]


IAXYS_CLIENT = {  # every field of its ClienteParam, as a user fills them
    "codigo_cliente_integracao": "iaxys-cli-0001",
    "razao_social": "Clínica Odontológica Sorriso Perfeito Ltda",
    "cnpj_cpf": "34.888.389/0001-75",
    "email": "recepcao@sorrisoperfeito.odo.br",
    "telefone1_ddd": "11",
    "telefone1_numero": "99876-5432",
    "contato": "Dra. Patrícia Yamamoto",
    "endereco": "Rua Joaquim Floriano",
    "endereco_numero": 466,
    "bairro": "Itaim Bibi",
    "complemento": "Conjunto 72",
    "estado": "SP",
    "cidade": "São Paulo",
    "cep": "04534-002",
    "codigo_pais": "1058",
    "inativo": "N",
    "produtor_rural": "N",
    "contribuinte": "N",
    "optante_simples_nacional": "S",
    "observacao": "Atendimento a convênios às terças e quintas.",
}


def test_iaxys_creates_consults_by_each_key_alters_and_upserts_a_client(iaxys):
    created = iaxys.clientes("IncluirCliente", **IAXYS_CLIENT)
    client_id = created["codigo_cliente_omie"]

    by_id = iaxys.clientes("ConsultarCliente", codigo_cliente_omie=client_id)
    by_code = iaxys.clientes("ConsultarCliente", codigo_cliente_integracao="iaxys-cli-0001")
    altered = iaxys.clientes("AlterarCliente", codigo_cliente_omie=client_id, razao_social=IAXYS_CLIENT["razao_social"],
                             cnpj_cpf=IAXYS_CLIENT["cnpj_cpf"], email="contato@sorrisoperfeito.odo.br")
    upserted = iaxys.clientes("UpsertCliente", codigo_cliente_integracao="iaxys-cli-0001",
                              razao_social=IAXYS_CLIENT["razao_social"], cnpj_cpf="34888389000175",
                              observacao="Atendimento a convênios às quartas.")

    assert by_id == by_code
    assert altered["descricao_status"] == "Cliente alterado com sucesso!"
    assert upserted["codigo_cliente_omie"] == client_id
    assert_nothing_dropped(iaxys_param(IAXYS_CLIENT), by_id, "iaxys IncluirCliente → ConsultarCliente")
    read = iaxys.clientes("ConsultarCliente", codigo_cliente_omie=client_id)
    changed = {"email": "contato@sorrisoperfeito.odo.br", "observacao": "Atendimento a convênios às quartas."}
    assert_nothing_dropped(changed, read, "iaxys AlterarCliente/UpsertCliente → ConsultarCliente")


def _iaxys_list_to_the_end(iaxys: Iaxys, kind: str, call: str, list_key: str, code_key: str, **params) -> list[str]:
    """Its users page until total_de_paginas; the page after that raises OmieNotFoundError (5113)."""
    codes, page = [], 1
    while True:
        try:
            answer = getattr(iaxys, kind)(call, pagina=page, registros_por_pagina=2, **params)
        except OmieRateLimitError as error:
            pytest.fail(f"iaxys-omie-utils reads this fault as rate limiting, so a caller that waits and "
                        f"retries would loop forever: {error.faultcode} {error.faultstring}")
        codes += [record[code_key] for record in answer[list_key]]
        if page >= answer["total_de_paginas"]:
            break
        page += 1
    with pytest.raises(OmieNotFoundError):
        getattr(iaxys, kind)(call, pagina=page + 1, registros_por_pagina=2, **params)
    return codes


def test_iaxys_lists_clients_to_the_end(iaxys):
    for number in range(1, 6):
        iaxys.clientes("IncluirCliente", codigo_cliente_integracao=f"iaxys-cli-{number:04d}",
                       razao_social=f"Escola de Idiomas Babel — Unidade {number}", cnpj_cpf=_CNPJS[number])

    codes = _iaxys_list_to_the_end(iaxys, "clientes", "ListarClientes", "clientes_cadastro",
                                   "codigo_cliente_integracao", apenas_importado_api="N")

    assert codes == [f"iaxys-cli-{number:04d}" for number in range(1, 6)]


def test_iaxys_lists_active_suppliers_by_tag_to_the_end(iaxys, omie, credentials):
    # Its ClienteParam has no tags: the suppliers come from another integration.
    for number in range(1, 6):
        created = omie(credentials, "clientes", "IncluirCliente", {
            "codigo_cliente_integracao": f"forn-{number:03d}",
            "razao_social": f"Fornecedor de Insumos Agrícolas {number}",
            "cnpj_cpf": _CNPJS[number], "tags": [{"tag": "Fornecedor"}], "inativo": "S" if number == 3 else "N",
        })
        ok(created, "IncluirCliente of a supplier")
    iaxys.clientes("IncluirCliente", codigo_cliente_integracao="iaxys-cli-0500", razao_social="Cliente Final Ltda",
                   cnpj_cpf=_CNPJS[6])

    codes = _iaxys_list_to_the_end(iaxys, "clientes", "ListarClientes", "clientes_cadastro",
                                   "codigo_cliente_integracao", inativo="N", clientesFiltro={"tags": "Fornecedor"})

    assert codes == ["forn-001", "forn-002", "forn-004", "forn-005"]


def test_iaxys_creates_consults_by_each_key_and_alters_a_product(iaxys, company):
    family = ProductFamilyFactory(company=company, name="Ferramentas elétricas")
    sent = {
        "codigo_produto_integracao": "iaxys-prd-01",
        "codigo": "SRR-CIRC-7",
        "descricao": "Serra circular 7 1/4\" 1400 W com disco de 24 dentes",
        "codigo_familia": family.pk,
        "unidade": "UN",
        "ncm": "8467.22.00",
        "ean": "7898309003111",
        "valor_unitario": 459.9,
        "inativo": "N",
        "bloqueado": "N",
        "peso_liq": 3.9,
        "peso_bruto": 4.6,
    }
    created = iaxys.produtos("IncluirProduto", **sent)

    by_id = iaxys.produtos("ConsultarProduto", codigo_produto=created["codigo_produto"])
    by_code = iaxys.produtos("ConsultarProduto", codigo_produto_integracao="iaxys-prd-01")
    altered = iaxys.produtos("AlterarProduto", codigo_produto=created["codigo_produto"],
                             descricao="Serra circular 7 1/4\" 1400 W", valor_unitario=429.9, bloqueado="S")

    assert by_id == by_code
    assert_nothing_dropped(iaxys_param(sent, {"valor_unitario", "peso_liq", "peso_bruto"}), by_id,
                           "iaxys IncluirProduto → ConsultarProduto")
    assert altered["descricao_status"] == "Produto alterado com sucesso!"
    read = iaxys.produtos("ConsultarProduto", codigo_produto=created["codigo_produto"])
    assert_nothing_dropped({"descricao": "Serra circular 7 1/4\" 1400 W", "valor_unitario": 429.9, "bloqueado": "S"},
                           read, "iaxys AlterarProduto → ConsultarProduto")


def test_iaxys_lists_active_unblocked_products_to_the_end(iaxys):
    for number in range(1, 6):
        iaxys.produtos("IncluirProduto", codigo_produto_integracao=f"iaxys-prd-{number:02d}",
                       codigo=f"DSC-{number:02d}", descricao=f"Disco de corte para metal 4 1/2\" — lote {number}",
                       unidade="UN", ncm="6804.22.11", bloqueado="S" if number == 2 else "N")

    codes = _iaxys_list_to_the_end(iaxys, "produtos", "ListarProdutos", "produto_servico_cadastro",
                                   "codigo_produto_integracao", inativo="N", bloqueado="N")

    assert codes == ["iaxys-prd-01", "iaxys-prd-03", "iaxys-prd-04", "iaxys-prd-05"]


def test_iaxys_classifies_a_duplicate_with_the_existing_id(iaxys):
    created = iaxys.clientes("IncluirCliente", **IAXYS_CLIENT)

    with pytest.raises(OmieDuplicateError) as raised:
        iaxys.clientes("IncluirCliente", **IAXYS_CLIENT)

    assert raised.value.omie_id == str(created["codigo_cliente_omie"])


def test_iaxys_classifies_an_unknown_code_as_not_found(iaxys):
    with pytest.raises(OmieNotFoundError) as raised:
        iaxys.clientes("ConsultarCliente", codigo_cliente_integracao="iaxys-cli-9999")

    assert raised.value.field == "iaxys-cli-9999"


def test_iaxys_classifies_an_invalid_document_as_validation(iaxys):
    with pytest.raises(OmieValidationError):
        iaxys.clientes("IncluirCliente", **{**IAXYS_CLIENT, "cnpj_cpf": "34.888.389/0001-76"})


def test_iaxys_classifies_wrong_credentials(server, credentials):
    with pytest.raises(OmieAuthError):
        Iaxys(server, credentials.app_key, "segredo-errado").clientes("ListarClientes", pagina=1,
                                                                       registros_por_pagina=50)


def test_iaxys_classifies_too_many_requests_as_rate_limit_with_the_wait(iaxys, credentials):
    with busy(credentials.app_key, "ListarClientes"), pytest.raises(OmieRateLimitError) as raised:
        iaxys.clientes("ListarClientes", pagina=1, registros_por_pagina=50)

    assert raised.value.retry_after == 2


def test_iaxys_gets_a_refusal_naming_bloqueado_for_a_value_that_is_not_s_or_n(iaxys):
    """An S/N field with another value is refused, naming the field, and nothing is written.

    iaxys reads any fault text containing "bloqueado" as rate limiting, so it misreads this
    refusal too. We name the field the integration must fix rather than word around one
    client's keyword list; what the issue asked (never refuse the `bloqueado` tag itself
    with a 5001) holds: see the listing flows above."""
    with pytest.raises(OmieClientError) as raised:
        iaxys.produtos("IncluirProduto", codigo_produto_integracao="iaxys-prd-90", descricao="Alicate universal 8\"",
                       unidade="UN", ncm="8203.20.10", bloqueado="talvez")

    assert "bloqueado" in raised.value.faultstring and "talvez" in raised.value.faultstring
    assert "105" in raised.value.faultcode
    assert not Product.objects.filter(integration_code="iaxys-prd-90").exists()


# --- omie-client (morais90) -------------------------------------------------------------


class OmieRequestError(Exception):
    def __init__(self, status_code: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status_code, self.code, self.message = status_code, code, message


class OmieBlockedError(Exception):
    pass


class OmieRateLimitHttpError(Exception):
    pass


class OmieClientSdk:
    """omie-client's OmieClient.request(url, data)."""

    def __init__(self, server: Server, credentials) -> None:
        self._server = server
        self._key, self._secret = credentials.app_key, credentials.app_secret

    def request(self, url: str, data: dict) -> dict:
        body = json.dumps({"app_key": self._key, "app_secret": self._secret, **data}, ensure_ascii=False)
        response = self._server.post(f"{OMIE}{url}", body)
        if response.status_code == 403:
            raise OmieBlockedError
        if response.status_code == 429:
            raise OmieRateLimitHttpError
        if response.status_code >= 400:
            error = response.json()
            raise OmieRequestError(response.status_code, error.get("code", "SOAP-ENV:Unknown-error"),
                                   error.get("faultstring", "Unknown error"))
        return response.json()


def test_omie_client_creates_lists_to_the_end_and_excludes_through_request(server, credentials):
    sdk = OmieClientSdk(server, credentials)
    ids = []
    for number in range(1, 4):
        answer = sdk.request("/v1/geral/clientes/", {"call": "IncluirCliente", "param": [{
            "codigo_cliente_integracao": f"mc-{number}", "razao_social": f"Pousada Recanto das Águas {number} Ltda",
            "cnpj_cpf": _CNPJS[number], "cidade": "Paraty", "estado": "RJ",
        }]})
        ids.append(answer["codigo_cliente_omie"])
    pages, page = [], 1
    while True:  # its PaginatedResponse: pagina, total_de_paginas, registros, total_de_registros
        answer = sdk.request("/v1/geral/clientes/", {"call": "ListarClientes",
                                                     "param": [{"pagina": page, "registros_por_pagina": 2}]})
        pages.append([record["codigo_cliente_omie"] for record in answer["clientes_cadastro"]])
        if answer["pagina"] >= answer["total_de_paginas"]:
            break
        page += 1

    excluded = sdk.request("/v1/geral/clientes/", {"call": "ExcluirCliente",
                                                   "param": [{"codigo_cliente_omie": ids[0]}]})

    assert pages == [ids[:2], ids[2:]]
    assert excluded["descricao_status"] == "Cliente excluído com sucesso!"
    try:
        read = sdk.request("/v1/geral/clientes/",
                           {"call": "ConsultarCliente", "param": [{"codigo_cliente_omie": ids[0]}]})
    except OmieRequestError as error:
        assert error.status_code == 500 and "não cadastrado" in error.message, error.message
    else:
        pytest.fail(f"ConsultarCliente still answers the excluded client (inativo {read.get('inativo')!r})")


def test_omie_client_raises_its_rate_limit_error_on_too_many_requests(server, credentials):
    sdk = OmieClientSdk(server, credentials)
    with busy(credentials.app_key, "ListarProdutos"), pytest.raises(OmieRateLimitHttpError):
        sdk.request("/v1/geral/produtos/", {"call": "ListarProdutos", "param": [{"pagina": 1}]})
