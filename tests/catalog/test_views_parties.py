"""Clientes e fornecedores pages: list/search, create, edit, stale edits, delete."""

from __future__ import annotations

import pytest
from django.urls import reverse

from catalog import services
from catalog.models import Party
from tests.factories import PartyFactory, SalespersonFactory

pytestmark = pytest.mark.django_db

CNPJ = "11.222.333/0001-81"
CNPJ_BARE = "11222333000181"
CPF = "529.982.247-25"


def party_form_data(**overrides) -> dict:
    data = {
        "cnpj_cpf": CNPJ,
        "person_type": "J",
        "legal_name": "Padaria Pão Quente Ltda",
        "trade_name": "Pão Quente",
        "code": "",
        "street": "Rua das Flores",
        "number": "100",
        "complement": "",
        "district": "Centro",
        "city": "Campinas",
        "state": "SP",
        "cep": "13010-100",
        "country_code": "1058",
        "phone_ddd": "(19)",
        "phone_number": "99876-5432",
        "email": "Contato@PaoQuente.com.br",
        "is_client": "on",
        "characteristics": "Segmento: varejo\nPorte: pequeno",
        "tags": "padaria, VIP",
        "active": "on",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def edit_data(party: Party, **overrides) -> dict:
    data = party_form_data(
        cnpj_cpf=party.cnpj_cpf_masked,
        legal_name=party.legal_name,
        trade_name=party.trade_name,
        version=str(party.version),
    )
    data.update(overrides)
    return data


# --- list and search ---------------------------------------------------------------------


def test_it_lists_the_company_parties_with_masked_document(login, member, company):
    PartyFactory(company=company, legal_name="Mercado Bom Preço Ltda", cnpj_cpf=CNPJ_BARE)
    response = login(member).get(reverse("catalog:party_list", args=[company.pk]))
    assert response.status_code == 200
    assert "Mercado Bom Preço Ltda" in response.text
    assert CNPJ in response.text
    assert "ativo" in response.text


@pytest.mark.parametrize("term", ["bom preço", "BOM PRECO", "bom preco", "11.222.333/0001", "112223330001",
                                  "11222333000181", CNPJ])
def test_it_finds_a_party_by_name_or_masked_or_bare_cnpj(login, member, company, term):
    PartyFactory(company=company, legal_name="Mercado Bom Preço Ltda", cnpj_cpf=CNPJ_BARE)
    PartyFactory(company=company, legal_name="Farmácia Saúde Ltda")
    response = login(member).get(reverse("catalog:party_list", args=[company.pk]), {"q": term})
    assert "Mercado Bom Preço Ltda" in response.text
    assert "Farmácia Saúde Ltda" not in response.text


def test_it_finds_a_party_by_trade_name_and_code(login, member, company):
    PartyFactory(company=company, legal_name="Alfa Comércio Ltda", trade_name="Alfinha", code="CLI-77")
    PartyFactory(company=company, legal_name="Beta Serviços Ltda", trade_name="Betinha")
    client = login(member)
    url = reverse("catalog:party_list", args=[company.pk])
    assert "Alfa Comércio" in client.get(url, {"q": "alfinha"}).text
    by_code = client.get(url, {"q": "cli-77"}).text
    assert "Alfa Comércio" in by_code and "Beta Serviços" not in by_code


def test_it_finds_a_person_by_masked_cpf(login, member, company):
    PartyFactory(company=company, legal_name="Maria da Silva", cnpj_cpf=CPF)
    response = login(member).get(reverse("catalog:party_list", args=[company.pk]), {"q": "529.982"})
    assert "Maria da Silva" in response.text
    assert CPF in response.text


def test_it_filters_clients_suppliers_and_inactive(login, member, company):
    PartyFactory(company=company, legal_name="Cliente Ativo", is_client=True, is_supplier=False)
    PartyFactory(company=company, legal_name="Fornecedor Ativo", is_client=False, is_supplier=True)
    PartyFactory(company=company, legal_name="Cliente Inativo", active=False)
    client = login(member)
    url = reverse("catalog:party_list", args=[company.pk])

    default = client.get(url).text
    assert "Cliente Ativo" in default and "Fornecedor Ativo" in default
    assert "Cliente Inativo" not in default

    suppliers = client.get(url, {"kind": "fornecedores"}).text
    assert "Fornecedor Ativo" in suppliers and "Cliente Ativo" not in suppliers

    inactive = client.get(url, {"status": "inativos"}).text
    assert "Cliente Inativo" in inactive and "Cliente Ativo" not in inactive

    everything = client.get(url, {"status": "todos"}).text
    assert all(name in everything for name in ("Cliente Ativo", "Fornecedor Ativo", "Cliente Inativo"))


def test_it_answers_htmx_search_with_only_the_table(login, member, company):
    PartyFactory(company=company, legal_name="Mercado Bom Preço Ltda")
    response = login(member).get(
        reverse("catalog:party_list", args=[company.pk]), {"q": "mercado"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert 'id="results"' in response.text
    assert "Mercado Bom Preço Ltda" in response.text
    assert "<html" not in response.text
    assert 'name="q"' not in response.text  # the search box is not replaced while typing
    assert "HX-Request" in response["Vary"]


def test_it_serves_the_whole_page_to_an_htmx_history_restore(login, member, company):
    response = login(member).get(
        reverse("catalog:party_list", args=[company.pk]),
        HTTP_HX_REQUEST="true",
        HTTP_HX_HISTORY_RESTORE_REQUEST="true",
    )
    assert "<html" in response.text


def test_it_paginates_fifty_per_page_in_name_order(login, member, company):
    Party.objects.bulk_create(
        Party(company=company, legal_name=f"Cliente {n:03d}") for n in range(1, 121)
    )
    client = login(member)
    url = reverse("catalog:party_list", args=[company.pk])
    first = client.get(url).text
    assert "120 cadastros" in first
    assert "Página 1 de 3" in first
    assert "Cliente 050" in first and "Cliente 051" not in first
    third = client.get(url, {"page": 3}).text
    assert "Cliente 120" in third and "Cliente 100" not in third
    assert "Página 3 de 3" in third


def test_it_keeps_the_search_in_pagination_links(login, member, company):
    Party.objects.bulk_create(Party(company=company, legal_name=f"Loja {n:03d}") for n in range(60))
    response = login(member).get(reverse("catalog:party_list", args=[company.pk]), {"q": "loja"})
    assert "?q=loja&amp;page=2" in response.text


def test_it_lists_without_a_query_per_row(login, member, company, django_assert_max_num_queries):
    Party.objects.bulk_create(Party(company=company, legal_name=f"Cliente {n:03d}") for n in range(60))
    client = login(member)
    url = reverse("catalog:party_list", args=[company.pk])
    with django_assert_max_num_queries(8):
        client.get(url, {"q": "cliente"})


# --- create -----------------------------------------------------------------------------


def test_it_creates_a_party_from_masked_input_and_shows_it_masked(login, member, company):
    salesperson = SalespersonFactory(company=company, name="Ana Vendas")
    client = login(member)
    response = client.post(
        reverse("catalog:party_create", args=[company.pk]),
        party_form_data(salespeople=[str(salesperson.pk)]),
    )
    party = Party.objects.get(company=company)
    assert response.status_code == 302
    assert response["Location"] == reverse("catalog:party_detail", args=[company.pk, party.pk])
    assert party.cnpj_cpf == CNPJ_BARE
    assert party.cep == "13010100"
    assert (party.phone_ddd, party.phone_number) == ("19", "998765432")
    assert party.email == "contato@paoquente.com.br"
    assert party.characteristics == {"Segmento": "varejo", "Porte": "pequeno"}
    assert party.tags == ["padaria", "VIP"]
    assert list(party.salespeople.all()) == [salesperson]

    page = client.get(response["Location"]).text
    assert CNPJ in page
    assert "13010-100" in page
    assert "(19) 99876-5432" in page
    assert "Segmento" in page and "varejo" in page
    assert "Ana Vendas" in page
    assert "incluído" in page  # the success message


def test_it_offers_only_the_company_salespeople(login, member, company, other_company):
    SalespersonFactory(company=company, name="Ana Daqui")
    SalespersonFactory(company=other_company, name="Zeca Dali")
    page = login(member).get(reverse("catalog:party_create", args=[company.pk])).text
    assert "Ana Daqui" in page
    assert "Zeca Dali" not in page


def test_it_refuses_a_salesperson_of_another_company(login, member, company, other_company):
    stranger = SalespersonFactory(company=other_company)
    response = login(member).post(
        reverse("catalog:party_create", args=[company.pk]), party_form_data(salespeople=[str(stranger.pk)])
    )
    assert response.status_code == 400
    assert not Party.objects.exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("cnpj_cpf", "11.222.333/0001-82", "CNPJ inválido: os dígitos verificadores não conferem."),
        ("cnpj_cpf", "529.982.247-26", "CPF inválido: os dígitos verificadores não conferem."),
        ("cnpj_cpf", "1234", "CNPJ/CPF inválido: informe um CPF com 11 dígitos ou um CNPJ com 14 caracteres."),
        ("cep", "1301-10", "CEP inválido: informe 8 dígitos (ex.: 01310-100)."),
        ("state", "XX", "Faça uma escolha válida. XX não é uma das escolhas disponíveis."),
        ("email", "não-é-email", "Informe um endereço de email válido."),
        ("phone_number", "123",
         "Telefone inválido: informe o número com 8 ou 9 dígitos, com ou sem o DDD (ex.: (21) 99999-8888)."),
    ],
)
def test_it_shows_the_message_for_an_invalid_value_and_saves_nothing(
    login, member, company, field, value, message
):
    response = login(member).post(
        reverse("catalog:party_create", args=[company.pk]), party_form_data(**{field: value})
    )
    assert response.status_code == 400
    assert message in response.text
    assert response.context["form"].errors[field]
    assert not Party.objects.exists()
    # What the user typed is still in the form.
    assert value in response.text or value.replace("'", "&#x27;") in response.text
    assert "Padaria Pão Quente Ltda" in response.text


def test_it_explains_a_malformed_characteristics_line(login, member, company):
    response = login(member).post(
        reverse("catalog:party_create", args=[company.pk]),
        party_form_data(characteristics="Segmento: varejo\nsem dois pontos"),
    )
    assert response.status_code == 400
    assert "Linha 2: use o formato nome: valor" in response.text
    assert not Party.objects.exists()


def test_it_shows_the_uniqueness_refusal_from_the_service_on_the_document_field(login, member, company):
    company.enforce_unique_records = True
    company.save()
    PartyFactory(company=company, legal_name="Primeiro Cadastro", cnpj_cpf=CNPJ_BARE)
    response = login(member).post(reverse("catalog:party_create", args=[company.pk]), party_form_data())
    assert response.status_code == 400
    assert "Já existe um cliente/fornecedor com o CNPJ/CPF 11.222.333/0001-81" in response.text
    assert "Primeiro Cadastro" in response.text
    assert response.context["form"].errors["cnpj_cpf"]
    assert Party.objects.filter(company=company).count() == 1


def test_it_accepts_a_party_without_document_and_says_it_is_not_shared(login, member, company):
    client = login(member)
    response = client.post(reverse("catalog:party_create", args=[company.pk]), party_form_data(cnpj_cpf=""))
    assert response.status_code == 302
    page = client.get(response["Location"]).text
    assert "nunca é compartilhado" in page


# --- edit -------------------------------------------------------------------------------


def test_it_shows_stored_values_masked_when_editing(login, member, company):
    party = PartyFactory(company=company, cnpj_cpf=CNPJ_BARE, cep="13010100", characteristics={"Cor": "azul"})
    page = login(member).get(reverse("catalog:party_edit", args=[company.pk, party.pk])).text
    assert f'value="{CNPJ}"' in page
    assert 'value="13010-100"' in page
    assert "Cor: azul" in page
    assert f'name="version" value="{party.version}"' in page


def test_it_saves_an_edit_and_bumps_the_version(login, member, company):
    party = PartyFactory(company=company, legal_name="Nome Antigo")
    response = login(member).post(
        reverse("catalog:party_edit", args=[company.pk, party.pk]), edit_data(party, legal_name="Nome Novo")
    )
    assert response.status_code == 302
    party.refresh_from_db()
    assert party.legal_name == "Nome Novo"
    assert party.version == 2


def test_it_refuses_a_stale_edit_and_shows_the_current_values(login, member, owner, company):
    party = PartyFactory(company=company, legal_name="Original Ltda")
    opened = edit_data(party)  # both users opened the form at version 1
    url = reverse("catalog:party_edit", args=[company.pk, party.pk])

    assert login(owner).post(url, {**opened, "legal_name": "Mudança do Dono Ltda"}).status_code == 302
    login(member)
    response = login(member).post(url, {**opened, "legal_name": "Mudança do Membro Ltda"})

    assert response.status_code == 409
    assert "Nada foi salvo" in response.text
    assert "alterado por outra pessoa" in response.text
    # The form now holds the current values and version; the refused value is shown apart.
    assert 'value="Mudança do Dono Ltda"' in response.text
    assert 'name="version" value="2"' in response.text
    assert "Mudança do Membro Ltda" in response.text
    party.refresh_from_db()
    assert party.legal_name == "Mudança do Dono Ltda"
    assert party.version == 2


def test_it_refuses_an_edit_without_version(login, member, company):
    party = PartyFactory(company=company, legal_name="Original Ltda")
    data = edit_data(party, legal_name="Sem Versão")
    del data["version"]
    response = login(member).post(reverse("catalog:party_edit", args=[company.pk, party.pk]), data)
    assert response.status_code == 400
    assert "Recarregue a página" in response.text
    party.refresh_from_db()
    assert party.legal_name == "Original Ltda"


def test_it_shows_a_write_refusal_and_saves_nothing(login, member, company, monkeypatch):
    from catalog import hooks
    from catalog.exceptions import WriteRefused

    def refuse(write):
        raise WriteRefused("Esta empresa não tem permissão de edição no compartilhamento.")

    monkeypatch.setattr(hooks, "_write_listeners", [refuse])
    party = Party.objects.create(company=company, legal_name="Protegido Ltda")
    response = login(member).post(
        reverse("catalog:party_edit", args=[company.pk, party.pk]),
        edit_data(party, legal_name="Tentativa"),
    )
    assert response.status_code == 403
    assert "não tem permissão de edição" in response.text
    assert 'value="Tentativa"' in response.text  # what the user typed is kept
    party.refresh_from_db()
    assert (party.legal_name, party.version) == ("Protegido Ltda", 1)


# --- delete -----------------------------------------------------------------------------


def test_it_deletes_after_confirmation_and_the_record_leaves_every_page(login, member, company):
    party = PartyFactory(company=company, legal_name="Vai Sair Ltda", cnpj_cpf=CNPJ_BARE, is_supplier=True)
    PartyFactory(company=company, legal_name="Fica Comércio Ltda", is_supplier=True)
    client = login(member)
    url = reverse("catalog:party_delete", args=[company.pk, party.pk])
    confirm = client.get(url)
    assert "será <strong>excluído</strong> desta empresa" in confirm.text
    assert "o seu código fica livre para outro cadastro" in confirm.text and "inativ" not in confirm.text.lower()
    assert '<p class="eyebrow">Cliente/fornecedor</p>' in confirm.text and "saldo de estoque" not in confirm.text
    assert Party.objects.filter(pk=party.pk).exists()  # the confirmation page changes nothing

    response = client.post(url, {"version": party.version})
    assert response.status_code == 302 and response["Location"] == reverse("catalog:party_list", args=[company.pk])
    listed = client.get(response["Location"]).text
    assert f"Cliente/fornecedor “Vai Sair Ltda” (nº {party.pk}) excluído" in listed
    assert "1 cadastro" in listed and "Fica Comércio Ltda" in listed
    for status in ("ativos", "inativos", "todos"):
        shown = client.get(reverse("catalog:party_list", args=[company.pk]), {"status": status, "q": "sair"})
        assert "Vai Sair Ltda" not in shown.text
    assert client.get(reverse("catalog:party_detail", args=[company.pk, party.pk])).status_code == 404
    assert client.get(reverse("catalog:party_edit", args=[company.pk, party.pk])).status_code == 404
    assert client.get(url).status_code == 404
    supplier_options = client.get(reverse("catalog:supplier_options", args=[company.pk]), {"supplier_q": "sair"})
    assert "Vai Sair" not in supplier_options.text


def test_it_deletes_an_inactive_party_too(login, member, company):
    party = PartyFactory(company=company, legal_name="Já Inativa Ltda", active=False)
    client = login(member)
    detail = client.get(reverse("catalog:party_detail", args=[company.pk, party.pk])).text
    assert reverse("catalog:party_delete", args=[company.pk, party.pk]) in detail
    client.post(reverse("catalog:party_delete", args=[company.pk, party.pk]), {"version": party.version})
    assert not Party.objects.filter(pk=party.pk).exists()


def test_it_lets_a_new_party_take_the_code_and_document_of_a_deleted_one(login, member, company):
    company.enforce_unique_records = True
    company.save(update_fields=["enforce_unique_records"])
    old = PartyFactory(company=company, legal_name="Padaria Antiga Ltda", cnpj_cpf=CNPJ_BARE, code="CLI-0042")
    client = login(member)
    refused = client.post(reverse("catalog:party_create", args=[company.pk]), party_form_data(code="CLI-0042"))
    assert refused.status_code == 400  # while it exists, its code and CNPJ are taken

    client.post(reverse("catalog:party_delete", args=[company.pk, old.pk]), {"version": old.version})
    created = client.post(reverse("catalog:party_create", args=[company.pk]), party_form_data(code="CLI-0042"))
    assert created.status_code == 302
    new = Party.objects.get(company=company)
    assert (new.code, new.cnpj_cpf, new.legal_name) == ("CLI-0042", CNPJ_BARE, "Padaria Pão Quente Ltda")
    assert new.pk != old.pk


def test_it_reactivates_a_party_by_editing(login, member, company):
    party = PartyFactory(company=company, legal_name="Volta Ltda", active=False)
    data = edit_data(party, legal_name="Volta Ltda")
    response = login(member).post(reverse("catalog:party_edit", args=[company.pk, party.pk]), data)
    assert response.status_code == 302
    party.refresh_from_db()
    assert party.active is True


def test_it_refuses_a_delete_confirmed_on_a_stale_page(login, member, company):
    party = PartyFactory(company=company, legal_name="Antes Ltda")
    services.party_update(company=company, party_id=party.pk, data={"legal_name": "Depois Ltda"})
    response = login(member).post(
        reverse("catalog:party_delete", args=[company.pk, party.pk]), {"version": "1"}
    )
    assert response.status_code == 409
    assert "Depois Ltda" in response.text
    assert Party.objects.filter(pk=party.pk).exists()


@pytest.mark.parametrize("few_matches", [0, 1000])
def test_it_orders_by_name_then_id_however_the_list_is_fetched(login, member, company, monkeypatch, few_matches):
    from catalog import selectors

    monkeypatch.setattr(selectors, "FEW_MATCHES", few_matches)
    for name in ["Zeta Ltda", "Alfa Ltda", "Beta Ltda", "Alfa Ltda"]:
        Party.objects.create(company=company, legal_name=name)
    page = login(member).get(reverse("catalog:party_list", args=[company.pk]), {"q": "ltda"}).context["page"]
    shown = [(p.legal_name, p.pk) for p in page.object_list]
    assert shown == sorted(shown)
    assert [name for name, _ in shown] == ["Alfa Ltda", "Alfa Ltda", "Beta Ltda", "Zeta Ltda"]


@pytest.mark.parametrize("term", ["comercio", "COMÉRCIO", "çomercio", "acao", "ação"])
def test_it_finds_a_name_typed_without_its_accents_or_with_others(login, member, company, term):
    """People type names without accents; a letter typed with an accent finds it plain too."""
    PartyFactory(company=company, legal_name="Ação & Comércio (Matriz) Ltda")
    PartyFactory(company=company, legal_name="Farmácia Saúde Ltda")
    response = login(member).get(reverse("catalog:party_list", args=[company.pk]), {"q": term})
    assert "Ação &amp; Comércio (Matriz) Ltda" in response.text
    assert "Farmácia Saúde Ltda" not in response.text


def test_a_search_with_regex_characters_finds_them_literally(login, member, company):
    PartyFactory(company=company, legal_name="Ação & Comércio (Matriz) Ltda")
    PartyFactory(company=company, legal_name="Matriz Ltda")
    response = login(member).get(reverse("catalog:party_list", args=[company.pk]), {"q": "(matriz)"})
    assert "Comércio (Matriz)" in response.text and ">Matriz Ltda<" not in response.text

