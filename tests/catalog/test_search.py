"""The search boxes (clients/suppliers, products, the product form's supplier lookup, the
admin): every typed word somewhere in the record, in any order, any field, accents, case
and masks ignored, and only the company's own records."""

from __future__ import annotations

import pytest
from django.urls import reverse

from catalog import selectors
from catalog.models import Party, Product
from tests.factories import CompanyFactory, PartyFactory, ProductFactory

pytestmark = pytest.mark.django_db

CNPJ = "11.222.333/0001-81"
CNPJ_BARE = "11222333000181"


def party_names(company, q: str) -> list[str]:
    filters = selectors.ListFilters(q=q, status=selectors.STATUS_ALL)
    return sorted(p.legal_name for p in selectors.party_list(company=company, filters=filters))


def product_descriptions(company, q: str) -> list[str]:
    filters = selectors.ListFilters(q=q, status=selectors.STATUS_ALL)
    return sorted(p.description for p in selectors.product_list(company=company, filters=filters))


@pytest.fixture
def tools(company):
    ProductFactory(company=company, code="ALC-0008", description='Alicate universal Bosch 8"', ncm="82032000")
    ProductFactory(company=company, code="FUR-0220", description="Furadeira de impacto Bosch 220V", ncm="84672100")
    ProductFactory(company=company, code="ALC-0010", description="Alicate de corte Tramontina", ncm="82032000")
    ProductFactory(company=company, code="NTB-0001", description="Notebook Positivo Motion", ncm="84713012",
                   ean="7891234567895")


@pytest.mark.parametrize("q", ["alicate bosch", "bosch alicate", "BOSCH   Alicate", "bosch alicate bosch"])
def test_it_finds_products_whose_description_has_the_words_in_any_order(company, tools, q):
    assert product_descriptions(company, q) == ['Alicate universal Bosch 8"']


@pytest.mark.parametrize("q", ["8471.30.12", "84713012", "8471.30", "471301", "ntb-0001", "ntb", "7891234567895",
                               "notebook 8471.30.12"])
def test_it_finds_a_product_by_code_ean_or_masked_or_bare_ncm(company, tools, q):
    assert product_descriptions(company, q) == ["Notebook Positivo Motion"]


def test_it_finds_a_word_in_one_field_and_another_word_in_another(company):
    PartyFactory(company=company, legal_name="Pimenta Comércio de Ferragens Ltda", trade_name="Pimentão",
                 city="Jundiaí", email="compras@pimenta.com.br")
    PartyFactory(company=company, legal_name="Pimenta Distribuidora Ltda", city="Campinas")
    PartyFactory(company=company, legal_name="Casa das Tintas Ltda", city="Jundiaí")
    assert party_names(company, "pimenta jundiai") == ["Pimenta Comércio de Ferragens Ltda"]
    assert party_names(company, "jundiaí PIMENTA") == ["Pimenta Comércio de Ferragens Ltda"]
    assert party_names(company, "compras@pimenta ltda") == ["Pimenta Comércio de Ferragens Ltda"]
    assert party_names(company, "pimenta ltda") == ["Pimenta Comércio de Ferragens Ltda", "Pimenta Distribuidora Ltda"]


@pytest.mark.parametrize("q", ["conceicao", "CONCEIÇÃO", "cOnCeIcAo", "conceiçao assuncao", "assunção conceição"])
def test_it_ignores_accents_and_case_both_ways(company, q):
    PartyFactory(company=company, legal_name="Maria da Conceição Assunção")
    PartyFactory(company=company, legal_name="CONCEICAO ASSUNCAO MATERIAIS LTDA")
    PartyFactory(company=company, legal_name="Maria Aparecida Souza")
    assert party_names(company, q) == ["CONCEICAO ASSUNCAO MATERIAIS LTDA", "Maria da Conceição Assunção"]


@pytest.mark.parametrize("q", [CNPJ, CNPJ_BARE, "11.222.333/0001", "222.333/0001-81", "333/0001", "22233300",
                               "0001-81 exemplo"])
def test_it_finds_a_party_by_a_masked_or_bare_piece_of_its_cnpj(company, q):
    PartyFactory(company=company, legal_name="Comercial Exemplo Ltda", cnpj_cpf=CNPJ)
    PartyFactory(company=company, legal_name="Outra Exemplo Ltda", cnpj_cpf="45.723.174/0001-10")
    assert party_names(company, q) == ["Comercial Exemplo Ltda"]


def test_it_finds_comercio_45_by_the_number_in_the_code_or_document(company):
    PartyFactory(company=company, legal_name="Comércio Silva Ltda", code="CLI-0045")
    PartyFactory(company=company, legal_name="Comercio Souza Ltda", cnpj_cpf="45.723.174/0001-10")
    PartyFactory(company=company, legal_name="Comércio Lima Ltda", code="CLI-0046", cnpj_cpf=CNPJ)
    PartyFactory(company=company, legal_name="Padaria 45 Ltda")
    assert party_names(company, "comercio 45") == ["Comercio Souza Ltda", "Comércio Silva Ltda"]
    assert party_names(company, "45 comércio") == ["Comercio Souza Ltda", "Comércio Silva Ltda"]


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        (".*", []),
        ("(", ["Ferragens (Centro) Ltda"]),
        ("(centro)", ["Ferragens (Centro) Ltda"]),
        ("\\", ["Barra\\Sul Ltda"]),
        ("a.b", ["Loja A.B Ltda"]),
        ("[a-z]", []),
        ("ltda$", []),
        ("^ferragens", []),
        ("ferragens\x00", ["Ferragens (Centro) Ltda"]),
        ("\x00", ["Barra\\Sul Ltda", "Ferragens (Centro) Ltda", "Loja A.B Ltda", "Loja AXB Ltda"]),
        ("?+*{2}|", []),
    ],
)
def test_it_looks_for_regex_characters_and_nul_as_typed(company, q, expected):
    for name in ("Ferragens (Centro) Ltda", "Barra\\Sul Ltda", "Loja A.B Ltda", "Loja AXB Ltda"):
        PartyFactory(company=company, legal_name=name, trade_name="", email="", city="Recife", code="")
    assert party_names(company, q) == expected


def test_a_nul_or_regex_characters_in_the_search_box_give_a_page_not_an_error(login, member, company):
    PartyFactory(company=company, legal_name="Ferragens (Centro) Ltda")
    client = login(member)
    for q in ("ferragens\x00", ".*(", "\\", "(((", "[", "a" * 500, "x " * 50):
        response = client.get(reverse("catalog:party_list", args=[company.pk]), {"q": q})
        assert response.status_code == 200, q
        response = client.get(reverse("catalog:product_list", args=[company.pk]), {"q": q})
        assert response.status_code == 200, q
    assert "Ferragens (Centro) Ltda" in client.get(
        reverse("catalog:party_list", args=[company.pk]), {"q": "ferragens\x00"}).text


def test_it_never_finds_another_companys_records(login, member, company):
    other = CompanyFactory(group=company.group)
    PartyFactory(company=other, legal_name="Pimenta Segredo Ltda", cnpj_cpf=CNPJ)
    ProductFactory(company=other, code="SEG-1", description="Alicate segredo Bosch")
    PartyFactory(company=company, legal_name="Pimenta Nossa Ltda")
    assert party_names(company, "pimenta") == ["Pimenta Nossa Ltda"]
    assert party_names(company, CNPJ) == []
    assert product_descriptions(company, "bosch alicate") == []
    client = login(member)
    text = client.get(reverse("catalog:party_list", args=[company.pk]), {"q": "pimenta ltda"}).text
    assert "Pimenta Nossa" in text and "Pimenta Segredo" not in text
    options = client.get(reverse("catalog:supplier_options", args=[company.pk]), {"supplier_q": "pimenta"}).text
    assert "Pimenta Segredo" not in options


def test_the_list_page_finds_words_in_any_order(login, member, company, tools):
    client = login(member)
    text = client.get(reverse("catalog:product_list", args=[company.pk]), {"q": "tramontina ALICATE"}).text
    assert "Alicate de corte Tramontina" in text
    assert "Alicate universal Bosch" not in text
    assert "1 produto para" in text


def test_the_supplier_lookup_finds_words_in_any_order(login, member, company):
    PartyFactory(company=company, legal_name="Pimenta & Silva Distribuidora Ltda", is_supplier=True)
    PartyFactory(company=company, legal_name="Silva Pimenta Cliente Ltda", is_supplier=False)
    PartyFactory(company=company, legal_name="Pimenta Souza Ltda", is_supplier=True)
    options = login(member).get(
        reverse("catalog:supplier_options", args=[company.pk]), {"supplier_q": "silva pimenta"}).text
    assert "Pimenta &amp; Silva Distribuidora Ltda" in options
    assert "Silva Pimenta Cliente" not in options  # a client, not a supplier
    assert "Pimenta Souza" not in options


def test_a_search_matching_many_says_more_than_its_count(login, member, company, monkeypatch):
    monkeypatch.setattr(selectors, "SEARCH_COUNT_LIMIT", 3)
    for k in range(5):
        PartyFactory(company=company, legal_name=f"Pimenta Filial {k} Ltda")
    text = login(member).get(reverse("catalog:party_list", args=[company.pk]), {"q": "pimenta"}).text
    assert "Mais de 3 cadastros para “pimenta”" in text
    assert text.count("Pimenta Filial") == 5


def test_the_admin_search_finds_words_in_any_order_and_masked_ncm(admin_client, company, tools):
    other = CompanyFactory()
    PartyFactory(company=other, legal_name="Conceição Ferragens Ltda", city="Jundiaí")
    url = reverse("admin:catalog_product_changelist")
    found = admin_client.get(url, {"q": "bosch alicate"}).context["cl"].result_list
    assert [p.description for p in found] == ['Alicate universal Bosch 8"']
    found = admin_client.get(url, {"q": "8471.30.12"}).context["cl"].result_list
    assert [p.description for p in found] == ["Notebook Positivo Motion"]
    found = admin_client.get(reverse("admin:catalog_party_changelist"), {"q": "jundiai conceicao"})
    assert [p.legal_name for p in found.context["cl"].result_list] == ["Conceição Ferragens Ltda"]


def test_the_search_is_served_by_the_trigram_index(company):
    """The expression the search builds must be the one indexed (0008_search_words): if
    they drift apart the search still works, but reads every row."""
    from django.db import connection

    from omieshare.lib.search import words_condition

    for model, fields in ((Party, selectors.PARTY_SEARCH_FIELDS), (Product, selectors.PRODUCT_SEARCH_FIELDS)):
        # Without the company: then only the trigram index can serve the condition.
        queryset = model.objects.filter(words_condition(fields, "pimenta 8471.30"))
        sql, params = queryset.order_by().values("id").query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("EXPLAIN " + sql, params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        assert f"{model._meta.db_table}_search_words" in plan, plan
