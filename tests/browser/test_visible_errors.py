"""Errors of a full-page form are seen, and an irreversible button cannot post twice
(issue 10, §4), in a real Chromium at a laptop's 1366×800.

static/js/forms.js (loaded by base.html on every page) brings the first error into view
and focuses it; a button marked data-disable-on-submit is disabled once its form is sent.
"""

from __future__ import annotations

import json
import re
import time

import pytest
from django.urls import reverse
from playwright.sync_api import Page, Route, expect

from sharing.models import Share, SyncJob
from tests.browser.conftest import SCREENSHOTS
from tests.factories import PASSWORD
from tests.helpers import make_party, make_product

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LAPTOP = {"width": 1366, "height": 800}
CONFIRM = "Confirmar e ativar o sincronismo"
ACKNOWLEDGE_ERROR = "Marque a caixa confirmando que leu o aviso para ativar o sincronismo."


def _walk_to_the_warning(page: Page, matriz) -> None:
    """The wizard, from Cadastros Compartilhados to the preview, both filiais with every permission."""
    page.goto(f"/apps/{matriz.pk}/compartilhamento/")
    page.get_by_label("Clientes e fornecedores", exact=True).check()
    page.get_by_label("Produtos", exact=True).check()
    page.get_by_role("button", name="Avançar").click()
    page.get_by_role("button", name="Avançar").click()  # the origin keeps every permission
    page.get_by_label("Filial Norte").check()
    page.get_by_label("Filial Sul").check()
    page.get_by_role("button", name="Adicionar", exact=True).click()
    for row in ("Filial Norte", "Filial Sul"):
        for permission in ("Inclusão", "Edição", "Exclusão"):
            page.get_by_role("row").filter(has_text=row).get_by_label(permission).check()
    page.get_by_role("button", name="Salvar Alterações").click()
    expect(page.get_by_role("heading", name=re.compile("ESSA OPERAÇÃO É IRREVERSÍVEL"))).to_be_visible()


def test_the_unticked_warning_is_shown_and_focused_and_confirm_posts_once(page: Page, group_companies, group_admin,
                                                                          log_in):
    matriz = group_companies["matriz"]
    make_product(matriz, "NB-14", "Notebook 14 polegadas", price="4599.90")
    make_party(matriz, "39099603082426", "Distribuidora Paulista de Informática Ltda")
    log_in(group_admin)
    page.set_viewport_size(LAPTOP)
    _walk_to_the_warning(page, matriz)
    acknowledge = page.get_by_label("Li o aviso e entendo que essa operação é irreversível.")
    expect(acknowledge).not_to_be_in_viewport()  # below the fold: the case this is about

    # While the confirmation's POST is on its way (held a second here), the page itself
    # notes what the user would see and tries to send the form again (a second click that
    # got through, Enter pressed again); sessionStorage keeps the notes across the page load.
    posts: list[str] = []

    def hold(route: Route) -> None:
        if route.request.method == "POST":
            posts.append(route.request.post_data or "")
            time.sleep(1)
        route.continue_()

    page.route(re.compile(r"/compartilhamento/novo/previsao/$"), hold)
    page.evaluate("""() => {
      const button = document.querySelector("[data-disable-on-submit]");
      const note = (key, value) => sessionStorage.setItem(key, JSON.stringify(value));
      const submits = [];
      window.addEventListener("submit", (event) => {
        submits.push(event.defaultPrevented);
        note("submits", submits);
        if (submits.length === 1) {
          setTimeout(() => {
            note("button", [button.disabled, button.textContent]);
            button.form.requestSubmit();
          }, 100);
        }
      });
    }""")
    page.get_by_role("button", name=CONFIRM).click()

    error = page.get_by_text(ACKNOWLEDGE_ERROR)
    expect(error).to_be_visible()
    expect(error).to_be_in_viewport()
    expect(acknowledge).to_be_focused()  # its aria-describedby reads the error out
    expect(page.get_by_role("button", name=CONFIRM)).to_be_enabled()
    notes = page.evaluate("() => [sessionStorage.getItem('button'), sessionStorage.getItem('submits')]")
    assert [json.loads(n) for n in notes] == [[True, "Ativando…"], [False, True]]  # the second one cancelled
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "10a-aviso-nao-marcado-erro-em-foco.png"), animations="disabled")
    assert len(posts) == 1 and not Share.objects.exists()
    assert "acknowledge" not in posts[0] and "fingerprint=" in posts[0]

    # Ticked, it goes through: one activation.
    page.unroute(re.compile(r"/compartilhamento/novo/previsao/$"))
    page.keyboard.press("Space")
    expect(acknowledge).to_be_checked()
    page.get_by_role("button", name=CONFIRM).click()
    expect(page.get_by_role("progressbar", name="Andamento")).to_be_visible()
    assert SyncJob.objects.count() == 1


def test_a_refused_login_focuses_its_error(page: Page, group_admin):
    page.set_viewport_size(LAPTOP)
    page.goto("/entrar/")
    page.get_by_label("E-mail").fill(group_admin.username)
    page.get_by_label("Senha").fill(PASSWORD + "errada")
    page.get_by_role("button", name="Entrar").click()

    error = page.get_by_role("alert")
    expect(error).to_be_visible()
    expect(error).to_be_in_viewport()
    expect(error).to_be_focused()


def test_a_confirmation_changed_in_another_tab_is_refused_with_the_new_preview(page: Page, group_companies,
                                                                               group_admin, log_in):
    """Issue 10, §2 in a real browser: one login, two tabs of it."""
    matriz = group_companies["matriz"]
    make_product(matriz, "NB-14", "Notebook 14 polegadas", price="4599.90")
    log_in(group_admin)
    page.set_viewport_size(LAPTOP)
    _walk_to_the_warning(page, matriz)  # tab A: both filiais with every permission
    facts = page.get_by_role("region", name="Configuração")
    expect(facts).to_contain_text("Filial Sul — inclusão, edição, exclusão")

    tab_b = page.context.new_page()
    tab_b.goto(reverse("sharing:step_destinations", args=[matriz.pk]))
    tab_b.get_by_role("row").filter(has_text="Filial Sul").get_by_label("Exclusão").uncheck()
    tab_b.get_by_role("row").filter(has_text="Filial Sul").get_by_label("Edição").uncheck()
    tab_b.get_by_role("button", name="Salvar Alterações").click()
    expect(tab_b.get_by_role("heading", name=re.compile("ESSA OPERAÇÃO É IRREVERSÍVEL"))).to_be_visible()
    tab_b.close()

    page.get_by_label("Li o aviso e entendo que essa operação é irreversível.").check()
    page.get_by_role("button", name=CONFIRM).click()

    refusal = page.get_by_role("alert").filter(has_text="A configuração do compartilhamento mudou")
    expect(refusal).to_be_in_viewport()
    expect(refusal).to_be_focused()
    expect(refusal).to_contain_text("nada foi ativado")
    expect(facts).to_contain_text("Filial Sul — inclusão")
    expect(facts).not_to_contain_text("Filial Sul — inclusão, edição, exclusão")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "10b-confirmacao-recusada-outra-aba.png"), animations="disabled")
    assert not Share.objects.exists()

    # What it shows now can be confirmed.
    page.get_by_label("Li o aviso e entendo que essa operação é irreversível.").check()
    page.get_by_role("button", name=CONFIRM).click()
    expect(page.get_by_role("progressbar", name="Andamento")).to_be_visible()
    sul = Share.objects.get().members.get(company=group_companies["sul"])
    assert (sul.can_create, sul.can_update, sul.can_delete) == (True, False, False)
