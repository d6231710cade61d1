"""Every stored Omie field on the record pages (issue 12 §2), in a real Chromium: the product
form's rare groups start collapsed and open on a click, a weight typed "1,250" is saved in
this company only, the record's page says group by group what is shared with the group and
what stays here, and an error inside a collapsed group is opened, scrolled to and focused
(static/js/forms.js)."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.urls import reverse
from playwright.sync_api import Page, Route, expect

from tests.browser.conftest import SCREENSHOTS
from tests.helpers import make_party, make_product, party_in, product_in, share_between

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LAPTOP = {"width": 1366, "height": 800}
SUPPLIER = "39099603082426"


@pytest.fixture
def shared_product(group_companies):
    """A notebook of the Matriz, shared with the Filial Norte (every permission)."""
    matriz, norte = group_companies["matriz"], group_companies["norte"]
    make_product(matriz, "NB-14", "Notebook 14 polegadas", price="4599.90", ean="7891000315507",
                 brand="Positivo", cfop="5102", icms_rate="18")
    share_between(matriz, norte, registries=["product"])
    return product_in(norte, "NB-14")


def test_it_saves_a_weight_and_a_collapsed_group_in_this_company_only(page: Page, group_companies, group_admin,
                                                                      log_in, shot, shared_product):
    matriz, norte = group_companies["matriz"], group_companies["norte"]
    log_in(group_admin)
    page.goto(reverse("catalog:product_edit", args=[norte.pk, shared_product.pk]))

    # Common groups open, rare ones collapsed; each says whether it travels.
    dimensions = page.locator("#grupo-dimensoes-e-peso")
    expect(dimensions).to_contain_text("fica nesta empresa")
    expect(page.locator("#grupo-identificacao")).to_contain_text("em parte compartilhado")
    fuel = page.locator("details#grupo-combustivel")
    expect(fuel).not_to_have_attribute("open", "")
    expect(page.get_by_label("Código ANP")).to_be_hidden()
    fuel.locator("summary").click()
    expect(fuel).to_have_attribute("open", "")
    page.get_by_label("Código ANP").fill("210203001")
    page.get_by_label("Descrição ANP").fill("Óleo diesel B S10 – comum")
    page.get_by_label("Peso líquido (kg)").fill("1,250")
    page.get_by_label("Peso bruto (kg)").fill("1,400")
    dimensions.scroll_into_view_if_needed()
    shot("23-produto-campos-por-grupo")
    page.get_by_role("button", name="Salvar", exact=True).click()
    expect(page.get_by_text("alterado.")).to_be_visible()

    saved = product_in(norte, "NB-14")
    assert (saved.net_weight, saved.gross_weight, saved.anp_code) == (Decimal("1.25"), Decimal("1.4"), "210203001")
    assert saved.anp_description == "Óleo diesel B S10 – comum"
    origin = product_in(matriz, "NB-14")  # kept in each company: the Matriz's copy is as it was
    assert (origin.net_weight, origin.anp_code) == (0, "")

    # The page shows what is stored, by group, and what travels.
    weights = page.locator("section#grupo-dimensoes-e-peso")
    expect(weights).to_contain_text("1,25")
    expect(weights.locator(".badge")).to_have_text("fica nesta empresa")
    identification = page.locator("section#grupo-identificacao")
    expect(identification).to_contain_text("Compartilhados com o grupo")
    expect(identification.locator("[data-field=ean]")).to_have_attribute("data-sharing", "shared")
    expect(identification.locator("[data-field=integration_code]")).to_have_count(0)  # empty: not listed
    expect(page.locator("#grupos-vazios")).to_contain_text("Veículo")
    expect(page.locator("#legenda-compartilhamento")).to_be_visible()
    shot("24-produto-compartilhado-campos-por-grupo")


def test_an_error_in_a_collapsed_group_is_opened_and_focused(page: Page, group_companies, group_admin, log_in,
                                                             shared_product):
    norte = group_companies["norte"]
    log_in(group_admin)
    page.set_viewport_size(LAPTOP)
    edit_url = reverse("catalog:product_edit", args=[norte.pk, shared_product.pk])
    page.goto(edit_url)
    ibpt = page.locator("details#grupo-ibpt")
    ibpt.locator("summary").click()
    page.get_by_label("IBPT: válida até").fill("31/02/2026")  # no such day
    ibpt.locator("summary").click()  # collapsed again before saving
    expect(ibpt).not_to_have_attribute("open", "")
    page.get_by_role("button", name="Salvar", exact=True).click()

    # The summary on top is focused and names the field, a link to it; its group is open.
    summary = page.locator(".message.error")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Nada foi salvo: corrija os campos indicados abaixo: IBPT: válida até.")
    expect(ibpt).to_have_attribute("open", "")
    expect(ibpt).to_contain_text("Informe uma data válida.")
    summary.get_by_role("link", name="IBPT: válida até").click()
    valid_until = page.get_by_label("IBPT: válida até")
    expect(valid_until).to_be_focused()
    expect(valid_until).to_be_in_viewport()
    expect(valid_until).to_have_attribute("aria-invalid", "true")
    page.screenshot(path=str(SCREENSHOTS / "25-erro-em-grupo-recolhido.png"), animations="disabled")

    # A page that renders the group closed anyway: the script opens it.
    closed_by_hand = []

    def closed(route: Route) -> None:
        response = route.fetch()
        body = response.text().replace('<details class="form-group" id="grupo-ibpt" open>',
                                       '<details class="form-group" id="grupo-ibpt">')
        if body != response.text():
            closed_by_hand.append(route.request.method)
        route.fulfill(response=response, body=body)

    page.route(re.compile(re.escape(edit_url) + "$"), closed)
    page.goto(edit_url)
    ibpt.locator("summary").click()
    page.get_by_label("IBPT: válida até").fill("31/02/2026")
    page.get_by_role("button", name="Salvar", exact=True).click()
    expect(summary).to_be_focused()
    assert closed_by_hand == ["POST"]
    expect(ibpt).to_have_attribute("open", "")
    summary.get_by_role("link", name="IBPT: válida até").click()
    expect(valid_until).to_be_focused()
    expect(valid_until).to_be_in_viewport()
    assert product_in(norte, "NB-14").ibpt_valid_until is None  # nothing saved


def test_a_shared_client_s_page_says_which_fields_stay_in_the_company(page: Page, group_companies, group_admin,
                                                                     log_in, shot):
    matriz, sul = group_companies["matriz"], group_companies["sul"]
    make_party(matriz, SUPPLIER, "Distribuidora Paulista de Informática Ltda", is_supplier=True,
               city_ibge="3550308", phone2_ddd="11", phone2_number="987654321")
    share_between(matriz, sul, registries=["party"])
    party = party_in(sul, SUPPLIER)

    log_in(group_admin)
    page.goto(reverse("catalog:party_edit", args=[sul.pk, party.pk]))
    expect(page.locator("details#grupo-dados-bancarios")).not_to_have_attribute("open", "")
    page.get_by_label(re.compile(r"^Inscrição estadual:")).fill("110.042.490.114")
    page.get_by_label("Contribuinte do ICMS").check()
    page.get_by_label("CNAE fiscal").fill("4751-2/01")
    page.get_by_label(re.compile(r"^Contato:")).fill("Joana Araújo")
    page.get_by_role("button", name="Salvar", exact=True).click()
    expect(page.get_by_text("alterado.")).to_be_visible()

    registration = page.locator("section#grupo-inscricoes-e-tributacao")
    expect(registration).to_contain_text("110.042.490.114")
    expect(registration.locator(".badge")).to_have_text("fica nesta empresa")
    contact = page.locator("section#grupo-contato")
    expect(contact.locator("[data-field=phone2_number]")).to_contain_text("(11) 98765-4321")
    expect(contact.locator("[data-field=phone2_number]")).to_have_attribute("data-sharing", "shared")
    expect(contact.locator("[data-field=contact_name]")).to_have_attribute("data-sharing", "local")
    expect(contact).to_contain_text("Ficam nesta empresa")
    shot("26-cliente-compartilhado-campos-por-grupo")
    assert party_in(matriz, SUPPLIER).state_registration == ""
