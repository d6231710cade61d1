"""Every stored Omie field on the record pages (issue 12 §2): the forms edit them group by
group, as people type them (IE "110.042.490.114" or "ISENTO", CNAE "4751-2/01", weights
"1,250"); rare groups start collapsed unless they hold something; the record's page shows
what is filled in, and on a shared record says what travels and what stays in the company;
a company without the edit permission still saves its own fields, and they stay its own."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest

from catalog import field_groups
from catalog.forms import PartyForm, ProductForm
from catalog.models import Party, Product
from catalog.omie_fields import PARTY_GROUPS, PRODUCT_GROUPS
from sharing.models import Change
from sharing.services import Permissions
from tests.helpers import apply_pending, make_party, make_product, party_in, product_in, share_between
from tests.helpers import catalog_url as url

pytestmark = pytest.mark.django_db

CREATE_ONLY = Permissions(can_create=True, can_update=False, can_delete=False)
DOCUMENT = "11222333000181"


def _control(html: str, name: str) -> str:
    match = re.search(rf'<(?:input|select|textarea)\b[^>]*\bname="{name}"[^>]*>', html)
    assert match, f"no control named {name}"
    return match.group(0)


def _disabled(html: str, name: str) -> bool:
    return re.search(r"\sdisabled\b", _control(html, name)) is not None


def _group(html: str, slug: str) -> str:
    """The opening tag of a group of the form (<fieldset> or <details>)."""
    match = re.search(rf'<(?:fieldset|details)\b[^>]*\bid="{slug}"[^>]*>', html)
    assert match, f"no group {slug}"
    return match.group(0)


def _section(html: str, slug: str) -> str:
    """A group's card on the record's page."""
    start = html.index(f'<section class="card" id="{slug}"')
    return html[start:html.index("</section>", start)]


def party_post(**fields) -> dict:
    """What the browser posts for a new client, every field of the form as typed."""
    data = {
        "cnpj_cpf": "11.222.333/0001-81", "person_type": "J", "legal_name": "Padaria Pão Quente de Campinas Ltda",
        "trade_name": "Pão Quente", "code": "", "street": "Rua Barão de Jaguara", "number": "1481",
        "complement": "sala 2", "district": "Centro", "city": "Campinas", "state": "SP", "cep": "13015-002",
        "country_code": "1058", "city_ibge": "3509502", "phone_ddd": "(19)", "phone_number": "3232-4545",
        "phone2_ddd": "(19)", "phone2_number": "99876-5432", "email": "contato@paoquente.com.br",
        "is_client": "on", "active": "on", "tags": "", "characteristics": "",
        "state_registration": "244.123.456.119", "municipal_registration": "12.345-6", "icms_taxpayer": "on",
        "simples_nacional": "on", "cnae": "4721-1/02", "contact_name": "Conceição Araújo",
        "homepage": "https://paoquente.com.br", "notes": "Entregar só pela manhã.\nPortão lateral.",
        "credit_limit": "15.000,00", "carrier_code": "", "installments": "A30",
        "billing_email": "financeiro@paoquente.com.br", "bank_code": "341", "bank_branch": "0912",
        "bank_account": "45678-9", "bank_holder_document": "11.222.333/0001-81",
        "bank_holder_name": "Padaria Pão Quente de Campinas Ltda", "pix_key": "financeiro@paoquente.com.br",
        "delivery_street": "Avenida Brasil", "delivery_number": "200", "delivery_cep": "13073-001",
        "delivery_state": "SP", "delivery_city": "Campinas",
    }
    data.update(fields)
    return {key: value for key, value in data.items() if value is not None}


def product_post(**fields) -> dict:
    data = {
        "code": "CAF-500", "integration_code": "", "description": "Café torrado e moído Pilão 500 g", "unit": "PC",
        "ncm": "0901.21.00", "ean": "7891000315507", "price": "19,90", "origin": "0", "item_type": "00",
        "cest": "", "family": "", "characteristics": "", "bom": "", "suppliers_add": "", "active": "on",
        "net_weight": "0,500", "gross_weight": "0,525", "height": "18", "width": "9,5", "depth": "6",
        "brand": "Pilão", "model_name": "Tradicional", "warranty_days": "", "minimum_stock": "1.250",
        "cfop": "5102", "icms_cst": "00", "icms_rate": "18", "pis_rate": "1,65", "cofins_rate": "7,6",
        "ibpt_federal": "4,2", "ibpt_valid_until": "31/12/2026", "videos": "https://youtu.be/abc123\n",
        "detailed_description": "Café 100% arábica, torra média.",
    }
    data.update(fields)
    return {key: value for key, value in data.items() if value is not None}


# --- the groups ---------------------------------------------------------------------------


def test_every_group_the_pages_name_is_a_group_of_the_field_map():
    """RARE_GROUPS and GROUP_NOTES name groups of omie_fields: a renamed group must not
    silently stop collapsing."""
    titles = {title for title, _ in PARTY_GROUPS} | {title for title, _ in PRODUCT_GROUPS}
    assert titles >= field_groups.RARE_GROUPS
    assert titles >= {title for _, title in field_groups.GROUP_NOTES}


def test_the_forms_edit_every_field_of_every_group_but_the_attachments():
    """The attachments have their own box on the record's page."""
    for form, groups in ((PartyForm, PARTY_GROUPS), (ProductForm, PRODUCT_GROUPS)):
        names = {name for _, fields in groups for name in fields} - {"attachments"}
        assert names <= set(form.base_fields), names - set(form.base_fields)


def test_a_summary_names_a_whole_group_and_lists_the_fields_of_a_partial_one():
    summaries = field_groups.summarize("party", ["code", "tags", "state_registration", "municipal_registration",
                                                 "suframa_registration", "icms_taxpayer", "simples_nacional",
                                                 "rural_producer", "activity_type", "cnae"])
    assert [str(s) for s in summaries] == ["Identificação: Código de integração, Tags", "Inscrições e tributação"]


# --- forms --------------------------------------------------------------------------------


def test_it_creates_a_client_with_every_kind_of_field_as_typed(login, member, company):
    response = login(member).post(url("party_create", company), party_post())

    assert response.status_code == 302, response.content.decode()[:4000]
    party = Party.objects.get(company=company)
    assert (party.state_registration, party.municipal_registration, party.cnae) == (
        "244.123.456.119", "12.345-6", "4721-1/02")
    assert (party.icms_taxpayer, party.simples_nacional, party.rural_producer) == (True, True, False)
    assert (party.city_ibge, party.phone2_ddd, party.phone2_number) == ("3509502", "19", "998765432")
    assert party.contact_name == "Conceição Araújo" and party.notes == "Entregar só pela manhã.\nPortão lateral."
    assert (party.credit_limit, party.carrier_code) == (Decimal("15000.00"), 0)
    assert (party.bank_code, party.bank_holder_document, party.delivery_cep) == ("341", DOCUMENT, "13073001")


def test_it_accepts_isento_as_the_state_registration(login, member, company):
    response = login(member).post(url("party_create", company), party_post(state_registration="isento"))

    assert response.status_code == 302, response.content.decode()[:4000]
    assert Party.objects.get(company=company).state_registration == "ISENTO"


def test_it_shows_a_clients_fields_back_masked_and_as_typed(login, member, company):
    party = make_party(company, DOCUMENT, "Padaria Pão Quente Ltda", state_registration="110.042.490.114",
                       cnae="4751-2/01", bank_holder_document="11222333000181", delivery_cep="13073001",
                       credit_limit="1500.5")
    html = login(member).get(url("party_edit", company, party_id=party.pk)).content.decode()

    assert 'value="110.042.490.114"' in _control(html, "state_registration")
    assert 'value="4751-2/01"' in _control(html, "cnae")
    assert 'value="11.222.333/0001-81"' in _control(html, "bank_holder_document")
    assert 'value="13073-001"' in _control(html, "delivery_cep")
    assert 'value="1.500,50"' in _control(html, "credit_limit")
    assert "value=" not in _control(html, "carrier_code")  # 0, Omie's "none": an empty box


def test_it_creates_a_product_with_weights_and_aliquots_typed_the_brazilian_way(login, member, company):
    response = login(member).post(url("product_create", company), product_post())

    assert response.status_code == 302, response.content.decode()[:4000]
    product = Product.objects.get(company=company)
    assert (product.net_weight, product.gross_weight, product.width) == (
        Decimal("0.5"), Decimal("0.525"), Decimal("9.5"))
    assert product.minimum_stock == Decimal("1250")  # "1.250" groups thousands, as the price does
    assert (product.icms_rate, product.pis_rate, product.cofins_rate) == (Decimal("18"), Decimal("1.65"),
                                                                          Decimal("7.6"))
    assert (product.cfop, product.brand, product.warranty_days) == ("5.102", "Pilão", 0)
    assert product.ibpt_valid_until == date(2026, 12, 31)
    assert product.videos == ["https://youtu.be/abc123"]


@pytest.mark.parametrize(("typed", "stored"), [("1,250", "1.25"), ("0,250", "0.25"), ("1.234,5678", "1234.5678"),
                                               ("2.5", "2.5"), ("", "0")])
def test_it_reads_a_weight_as_a_person_types_it(login, member, company, typed, stored):
    response = login(member).post(url("product_create", company), product_post(net_weight=typed))

    assert response.status_code == 302, response.content.decode()[:4000]
    assert Product.objects.get(company=company).net_weight == Decimal(stored)


def test_it_shows_weights_and_dates_back_as_people_write_them(login, member, company):
    product = make_product(company, "CAF-500", "Café torrado 500 g", net_weight="1.25", gross_weight="0.2505",
                           icms_rate="18", ibpt_valid_until=date(2026, 12, 31))
    html = login(member).get(url("product_edit", company, product_id=product.pk)).content.decode()

    assert 'value="1,25"' in _control(html, "net_weight")
    assert 'value="0,2505"' in _control(html, "gross_weight")
    assert 'value="18,00"' in _control(html, "icms_rate")
    assert "value=" not in _control(html, "height")  # 0: an empty box
    assert 'value="31/12/2026"' in _control(html, "ibpt_valid_until")


@pytest.mark.parametrize(("field", "typed", "message"), [
    ("net_weight", "1,2,3", "Informe um número."),
    ("gross_weight", "-0,5", "Peso bruto (kg) não pode ser negativo."),
    ("ibpt_valid_until", "31/02/2026", "Informe uma data válida."),
    ("cfop", "9999", "CFOP inválido"),
    ("icms_rate", "180", "é um percentual: no máximo 100."),
])
def test_it_refuses_a_bad_value_in_any_group_and_names_the_field(login, member, company, field, typed, message):
    response = login(member).post(url("product_create", company), product_post(**{field: typed}))

    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    label = str(ProductForm.base_fields[field].label)
    assert re.search(rf'corrija os campos indicados abaixo: <a href="#id_{field}">{re.escape(label)}</a>\.', html)
    assert not Product.objects.filter(company=company).exists()


def test_rare_groups_are_collapsed_unless_they_hold_a_value_or_an_error(login, member, company):
    client = login(member)
    html = client.get(url("product_create", company)).content.decode()
    for slug in ("grupo-veiculo", "grupo-armamento", "grupo-medicamento", "grupo-combustivel", "grupo-ibpt"):
        assert _group(html, slug).startswith("<details") and " open" not in _group(html, slug), slug
    assert _group(html, "grupo-tributacao").startswith("<fieldset")  # a common group: always shown

    product = make_product(company, "MOTO-160", "Motocicleta Honda CG 160 Fan", vehicle_chassis="9c2kc2200pr012345")
    html = client.get(url("product_edit", company, product_id=product.pk)).content.decode()
    assert " open" in _group(html, "grupo-veiculo")
    assert " open" not in _group(html, "grupo-armamento")

    html = client.post(url("product_create", company), product_post(anvisa_code="1" * 20)).content.decode()
    assert " open" in _group(html, "grupo-medicamento")


def test_a_clients_bank_and_delivery_groups_start_collapsed(login, member, company):
    html = login(member).get(url("party_create", company)).content.decode()
    for slug in ("grupo-dados-bancarios", "grupo-endereco-de-entrega"):
        assert _group(html, slug).startswith("<details") and " open" not in _group(html, slug), slug
    assert "Cliente/fornecedor do exterior: escolha a UF EX" in html  # the note of the address group


# --- shared records ---------------------------------------------------------------------


@pytest.fixture
def shared_party(company, dest):
    make_party(company, DOCUMENT, "Distribuidora São João Ltda", city_ibge="3550308", phone2_ddd="11",
               phone2_number="987654321", fax_ddd="11", fax_number="32104567", state_registration="110.042.490.114")
    share_between(company, dest, destination_permissions=CREATE_ONLY)
    return party_in(dest, DOCUMENT)


def test_without_the_edit_permission_the_new_shared_fields_are_locked_and_the_local_ones_editable(
        login, dest_user, dest, shared_party):
    html = login(dest_user).get(url("party_edit", dest, party_id=shared_party.pk)).content.decode()

    for name in ("city_ibge", "phone2_ddd", "phone2_number", "fax_ddd", "fax_number", "legal_name"):
        assert _disabled(html, name), name
    for name in ("state_registration", "cnae", "icms_taxpayer", "bank_code", "delivery_street", "contact_name",
                 "credit_limit", "installments"):
        assert not _disabled(html, name), name
    assert "continuam editáveis aqui: Identificação: Código de integração, Tags; " in html
    assert "Inscrições e tributação; Faturamento e crédito; " in html


def test_without_the_edit_permission_the_local_fields_are_saved_and_stay_in_the_company(
        login, dest_user, company, dest, shared_party):
    html = login(dest_user).get(url("party_edit", dest, party_id=shared_party.pk)).content.decode()
    # What the browser posts: every control that is not disabled, as the page filled it in.
    posted = dict(re.findall(r'<input\b(?![^>]*\bdisabled\b)[^>]*\bname="(\w+)"[^>]*\bvalue="([^"]*)"', html))
    posted.pop("csrfmiddlewaretoken", None)
    posted.update(state_registration="ISENTO", cnae="4751201", icms_taxpayer="on", credit_limit="2.500,00",
                  contact_name="Sebastião Conceição")
    changes = Change.objects.count()

    response = login(dest_user).post(url("party_edit", dest, party_id=shared_party.pk), posted)

    assert response.status_code == 302, response.content.decode()[:4000]
    saved = party_in(dest, DOCUMENT)
    assert (saved.state_registration, saved.cnae, saved.icms_taxpayer) == ("ISENTO", "4751201", True)
    assert (saved.credit_limit, saved.contact_name) == (Decimal("2500.00"), "Sebastião Conceição")
    assert (saved.city_ibge, saved.fax_number) == ("3550308", "32104567")  # locked: kept as they were
    assert Change.objects.count() == changes  # nothing shared changed, nothing sent
    apply_pending()
    origin = party_in(company, DOCUMENT)
    assert (origin.state_registration, origin.cnae, origin.icms_taxpayer) == ("110.042.490.114", "", False)


def test_a_forged_change_of_a_new_shared_field_is_refused(login, dest_user, dest, shared_party):
    response = login(dest_user).post(
        url("party_edit", dest, party_id=shared_party.pk),
        {"city_ibge": "3509502", "state_registration": "ISENTO", "version": shared_party.version},
    )

    assert response.status_code == 403
    assert "não tem permissão de edição" in response.content.decode()
    saved = party_in(dest, DOCUMENT)
    assert (saved.city_ibge, saved.state_registration) == ("3550308", "")


def test_a_local_field_saved_with_the_edit_permission_does_not_reach_the_other_company(
        login, owner, company, dest):
    make_product(company, "CAF-500", "Café torrado e moído 500 g", net_weight="0.5", cfop="5102")
    share_between(company, dest)
    product = product_in(company, "CAF-500")
    client = login(owner)
    html = client.get(url("product_edit", company, product_id=product.pk)).content.decode()
    assert re.search(r'id="grupo-dimensoes-e-peso">\s*<legend>Dimensões e peso\s*'
                     r'<span class="badge badge-muted">fica nesta empresa</span>', html)
    response = client.post(url("product_edit", company, product_id=product.pk), product_post(
        code="CAF-500", description="Café torrado e moído 500 g", net_weight="0,480", cfop="6.102",
        version=str(product.version)))
    assert response.status_code == 302, response.content.decode()[:4000]
    apply_pending()

    assert (product_in(company, "CAF-500").net_weight, product_in(company, "CAF-500").cfop) == (
        Decimal("0.48"), "6.102")
    branch = product_in(dest, "CAF-500")
    assert (branch.net_weight, branch.cfop, branch.brand) == (0, "", "")  # never had them: they stay its own
    assert branch.description == "Café torrado e moído 500 g" and branch.price == Decimal("19.90")  # shared


# --- the record's page --------------------------------------------------------------------


def test_the_page_shows_filled_fields_by_group_and_names_the_empty_groups(login, member, company):
    product = make_product(company, "CAF-500", "Café torrado e moído 500 g", net_weight="0.5",
                           gross_weight="0.525", brand="Pilão", cfop="5102", icms_rate="18",
                           internal_notes="Fornecedor novo.\nConferir lote.")
    html = login(member).get(url("product_detail", company, product_id=product.pk)).content.decode()

    weights = _section(html, "grupo-dimensoes-e-peso")
    assert "Peso líquido (kg)" in weights and "0,5" in weights and "0,525" in weights
    assert "Altura" not in weights  # 0: not filled in, not listed
    assert "5.102" in _section(html, "grupo-tributacao") and "18" in _section(html, "grupo-tributacao")
    assert "Fornecedor novo.<br>Conferir lote." in _section(html, "grupo-informacoes-adicionais")
    assert re.search(r"Sem nada preenchido: .*IBPT, Medicamento, Combustível, Veículo, Armamento\.", html)
    assert "compartilhado com o grupo" not in html  # a record of this company only


def test_a_shared_records_page_says_what_travels_and_what_stays(login, dest_user, dest, shared_party):
    html = login(dest_user).get(url("party_detail", dest, party_id=shared_party.pk)).content.decode()

    assert 'id="legenda-compartilhamento"' in html
    contact = _section(html, "grupo-contato")
    assert "em parte compartilhado" in contact
    assert re.search(r'data-field="phone2_number" data-sharing="shared">\s*<dt>Telefone 2</dt>\s*'
                     r"<dd>\(11\) 98765-4321</dd>", contact)
    assert re.search(r'data-field="fax_number" data-sharing="shared">\s*<dt>Fax</dt>\s*<dd>\(11\) 3210-4567</dd>',
                     contact)
    address = _section(html, "grupo-endereco")
    assert 'data-field="city_ibge" data-sharing="shared"' in address and "3550308" in address
    # The branch's copy arrived without the Matriz's inscrição estadual: its own, still empty.
    assert 'id="grupo-inscricoes-e-tributacao"' not in html
    assert "Inscrições e tributação" in html[html.index('id="grupos-vazios"'):]
