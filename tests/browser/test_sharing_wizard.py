"""The whole "Cadastros Compartilhados" flow in a real browser, with a real django-q2 worker:
Meus Aplicativos → ⚙ Resumo do App → Editar grupo de empresas → Cadastros Compartilhados →
the wizard → preview → the irreversible warning → the progress bar → an edit in the origin
reaching a destination → a new price for a product with suppliers, which keep them in every
company → removing that destination, whose records stay → restoring its copy from before the
activation in the admin. Every id is over 1,000,000, as in production.

Each step leaves a screenshot (docs/screenshots/ with `make screenshots`)."""

from __future__ import annotations

import re
import time
from decimal import Decimal

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from catalog.models import Product
from sharing.models import Change, Share, ShareMember, Snapshot
from tests.conftest import FIRST_ID, restart_sequences
from tests.factories import UserFactory
from tests.helpers import make_party, make_product, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PROPAGATION_TIMEOUT = 20  # seconds for the worker to apply an edit in another company


@pytest.fixture(autouse=True)
def _ids_from_one_million(transactional_db) -> None:
    """The screenshots show "Compartilhamento nº 1000000" whatever ran before."""
    restart_sequences()


def _origin_records(matriz) -> None:
    suppliers = [
        make_party(matriz, "39099603082426", "Distribuidora Paulista de Informática Ltda", is_supplier=True),
        make_party(matriz, "62819482199300", "Atacado Mineiro de Eletrônicos S.A.", state="MG",
                   city="Belo Horizonte", is_supplier=True),
    ]
    make_product(matriz, "NB-14", "Notebook 14 polegadas", price="4599.90",
                 suppliers=[supplier.pk for supplier in suppliers])
    make_product(matriz, "MS-01", "Mouse sem fio", price="89.90")
    make_product(matriz, "TC-01", "Teclado ABNT2", price="149.00")
    for n in range(1, 22):
        make_product(matriz, f"CB-{n:02d}", f"Cabo HDMI {n} m", price=f"{19 + n}.90")
    make_party(matriz, "71147104964", "Joana da Silva", person_type="F")


def _destination_records(norte, sul) -> None:
    # Same code, older description: the preview shows it as an overwrite.
    make_product(norte, "NB-14", "Notebook antigo", price="3999.00")
    make_product(norte, "SO-NORTE", "Cadeira de escritório (só na Filial Norte)")
    make_product(sul, "SO-SUL", "Mesa de reunião (só na Filial Sul)")


def _open_product(page: Page, company, code: str) -> None:
    """Produtos of `company`, search the code, open it."""
    page.goto(reverse("catalog:product_list", args=[company.pk]) + f"?q={code}")
    page.get_by_role("link", name=code, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(code)


def _reload_until_heading_has(page: Page, text: str, *, timeout: float = PROPAGATION_TIMEOUT) -> None:
    """What a user does while the change travels: reload until it shows (or give up)."""
    heading = page.get_by_role("heading", level=1)
    deadline = time.monotonic() + timeout
    while text not in heading.inner_text():
        if time.monotonic() > deadline:
            raise AssertionError(f"“{text}” did not appear within {timeout} s; the page shows "
                                 f"“{heading.inner_text()}”")
        time.sleep(0.5)
        page.reload()


def _edit_description(page: Page, company, code: str, description: str) -> None:
    _open_product(page, company, code)
    page.get_by_role("link", name="Editar", exact=True).click()
    page.get_by_label(re.compile(r"^Descrição:")).fill(description)
    page.get_by_role("button", name="Salvar", exact=True).click()
    expect(page.get_by_role("status").filter(has_text="alterado")).to_be_visible()


SUPPLIERS = {"39099603082426", "62819482199300"}


def _suppliers_of(company, code: str) -> set[str]:
    return {party.cnpj_cpf for party in Product.objects.get(company=company, code=code).suppliers.all()}


def test_it_runs_the_whole_sharing_flow_with_a_real_worker(page: Page, group_companies, group_admin, worker,
                                                           log_in, shot):
    matriz, norte, sul = group_companies["matriz"], group_companies["norte"], group_companies["sul"]
    _origin_records(matriz)
    _destination_records(norte, sul)

    # Meus Aplicativos → ⚙ Resumo do App → Editar grupo de empresas → Cadastros Compartilhados
    log_in(group_admin, screenshot=shot)
    expect(page.get_by_role("heading", name="Meus Aplicativos")).to_be_visible()
    shot("01-meus-aplicativos")
    page.get_by_role("link", name="Resumo do App de Matriz").click()
    expect(page.get_by_role("heading", name="Matriz", level=1)).to_be_visible()
    shot("02-resumo-do-app")
    page.get_by_role("link", name="Editar grupo de empresas").click()
    expect(page.get_by_role("heading", name="Grupo Exemplo", level=1)).to_be_visible()
    shot("03-grupo-de-empresas")
    page.get_by_role("link", name="Cadastros Compartilhados").click()

    # 1. O que deseja sincronizar?
    expect(page.get_by_role("heading", name="O que deseja sincronizar?", level=2)).to_be_visible()
    page.get_by_label("Clientes e fornecedores", exact=True).check()
    page.get_by_label("Produtos", exact=True).check()
    shot("04-o-que-deseja-sincronizar")
    page.get_by_role("button", name="Avançar").click()

    # 2. Permissões da empresa atual (Origem), with the tip and the uniqueness table.
    expect(page.get_by_role("heading", name="Permissões da empresa atual (Origem)")).to_be_visible()
    expect(page.get_by_text("Certifique-se de que a empresa selecionada como Origem")).to_be_visible()
    uniqueness = page.get_by_role("region", name="Validação de unicidade de cadastros")
    expect(uniqueness.get_by_role("row").filter(has_text="Filial Norte")).to_contain_text("Ativada")
    expect(uniqueness.get_by_role("row").filter(has_text="Filial Sul")).to_contain_text("Desativada")
    for permission in ("Inclusão", "Edição", "Exclusão"):
        page.get_by_label(permission, exact=True).check()
    shot("05-permissoes-da-origem")
    page.get_by_role("button", name="Avançar").click()

    # 3. Adicionar Empresas: only the companies this user may open.
    expect(page.get_by_role("heading", name="Adicionar Empresas", level=2)).to_be_visible()
    page.get_by_label("Filial Norte").check()
    page.get_by_label("Filial Sul").check()
    shot("06-adicionar-empresas")
    page.get_by_role("button", name="Adicionar", exact=True).click()

    # 4. Each destination's permissions: Filial Sul may only include.
    expect(page.get_by_role("status").filter(has_text="2 empresa(s) adicionada(s)")).to_be_visible()
    norte_row = page.get_by_role("row").filter(has_text="Filial Norte")
    sul_row = page.get_by_role("row").filter(has_text="Filial Sul")
    norte_row.get_by_label("Inclusão").check()
    norte_row.get_by_label("Edição").check()
    norte_row.get_by_label("Exclusão").check()
    sul_row.get_by_label("Inclusão").check()
    sul_row.get_by_label("Edição").uncheck()
    sul_row.get_by_label("Exclusão").uncheck()
    shot("07-permissoes-dos-destinos")
    page.get_by_role("button", name="Salvar Alterações").click()

    # 5. The preview: nothing written yet; each count opens its records.
    expect(page.get_by_role("heading", name="O que a ativação fará em cada empresa destino")).to_be_visible()
    norte_products = page.get_by_role("row").filter(has_text="Filial Norte").filter(has_text="Produtos")
    expect(norte_products.locator("[data-category=create]")).to_have_text("23")
    expect(norte_products.locator("[data-category=overwrite]")).to_have_text("1")
    expect(norte_products.locator("[data-category=destination_only]")).to_have_text("1")
    sul_parties = page.get_by_role("row").filter(has_text="Filial Sul").filter(has_text="Clientes e fornecedores")
    expect(sul_parties.locator("[data-category=create]")).to_have_text("3")
    assert not Product.objects.filter(company=norte, code="MS-01").exists()
    shot("08-previa")
    norte_products.locator("[data-category=overwrite]").get_by_role("link").click()
    expect(page.get_by_role("row").filter(has_text="NB-14")).to_contain_text("Notebook antigo")
    expect(page.get_by_role("row").filter(has_text="NB-14")).to_contain_text("Notebook 14 polegadas")
    shot("09-previa-diferencas")
    page.get_by_role("link", name="Voltar à prévia").click()

    # 6. The irreversible warning: nothing happens without the acknowledgement.
    expect(page.get_by_role("heading", name=re.compile("ESSA OPERAÇÃO É IRREVERSÍVEL"))).to_be_visible()
    page.get_by_role("button", name="Confirmar e ativar o sincronismo").click()
    expect(page.get_by_text("Marque a caixa confirmando que leu o aviso")).to_be_visible()
    assert not Share.objects.exists()
    page.get_by_label("Li o aviso e entendo que essa operação é irreversível.").check()
    shot("10-aviso-irreversivel")
    page.get_by_role("button", name="Confirmar e ativar o sincronismo").click()

    # 7. The progress bar, polled by htmx while the worker runs the activation.
    progress = page.get_by_role("progressbar", name="Andamento")
    expect(progress).to_have_attribute("aria-valuenow", "100", timeout=60_000)
    expect(page.get_by_text("Sincronismo concluído.")).to_be_visible()
    expect(page.locator("#job-progress")).to_have_attribute("data-status", "done")
    shot("11-progresso-concluido")
    page.get_by_role("link", name="Ver compartilhamento").click()
    expect(page.get_by_role("heading", name="Compartilhamento de cadastros")).to_be_visible()
    share_url = page.url
    shot("12-compartilhamento-ativo")

    # The activation copied the origin into the destinations.
    _open_product(page, norte, "MS-01")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Mouse sem fio")

    # An edit in the origin reaches a destination, through the worker.
    _edit_description(page, matriz, "NB-14", "Notebook 14 polegadas Core i7")
    shot("13-produto-editado-na-origem")
    _open_product(page, norte, "NB-14")
    _reload_until_heading_has(page, "Notebook 14 polegadas Core i7")
    shot("14-produto-atualizado-no-destino")

    # A new price for a product with suppliers (ids over 1,000,000, printed "1.000.004" in
    # value="" while the pages grouped thousands: the save was refused and a second Salvar
    # dropped the suppliers in every company). Its suppliers stay, everywhere.
    _open_product(page, matriz, "NB-14")
    page.get_by_role("link", name="Editar", exact=True).click()
    selected = page.locator("#selected-suppliers")
    expect(selected.get_by_role("checkbox", checked=True)).to_have_count(2)
    assert min(int(v) for v in selected.get_by_role("checkbox").evaluate_all("boxes => boxes.map(b => b.value)")) \
        >= FIRST_ID
    page.get_by_label(re.compile(r"^Preço unitário de venda")).fill("4.299,90")
    shot("14a-produto-com-fornecedores-novo-preco")
    page.get_by_role("button", name="Salvar", exact=True).click()
    expect(page.get_by_role("status").filter(has_text="alterado")).to_be_visible()
    assert Product.objects.get(company=matriz, code="NB-14").price == Decimal("4299.90")
    for company in (norte, sul):
        wait_for(lambda company=company: Product.objects.get(company=company, code="NB-14").price
                 == Decimal("4299.90"), timeout=PROPAGATION_TIMEOUT, what=f"the new price in {company}")
    for company in (matriz, norte, sul):
        assert _suppliers_of(company, "NB-14") == SUPPLIERS, company
    _open_product(page, sul, "NB-14")
    expect(page.get_by_text("R$ 4.299,90").first).to_be_visible()
    suppliers_card = page.get_by_role("region", name="Fornecedores")
    expect(suppliers_card.get_by_role("listitem")).to_have_count(2)
    expect(suppliers_card).to_contain_text("Distribuidora Paulista de Informática Ltda")
    shot("14b-fornecedores-mantidos-no-destino")

    # Editar → Remover Filial Norte → Salvar Alterações. (Removal waits for accepted changes
    # still on their way: the worker marks the edit applied once every member has it.)
    wait_for(lambda: not Change.objects.filter(status=Change.Status.PENDING).exists(), timeout=30,
             what="the edit to be applied in every member")
    page.goto(share_url)
    page.get_by_role("link", name="Editar", exact=True).click()
    expect(page.get_by_role("note").filter(has_text="os cadastros previamente sincronizados serão mantidos")) \
        .to_be_visible()
    page.get_by_role("row").filter(has_text="Filial Norte").get_by_label("Remover").check()
    shot("15-editar-remover-destino")
    page.get_by_role("button", name="Salvar Alterações").click()
    expect(page.get_by_role("status").filter(has_text="Filial Norte removida do compartilhamento")).to_be_visible()
    destinations = page.get_by_role("region", name="Aplicativos destino")
    expect(destinations.get_by_role("row").filter(has_text="Filial Norte")).to_contain_text("removida em")
    shot("16-destino-removido")
    assert ShareMember.objects.get(company=norte).state == ShareMember.State.REMOVED

    # Its records stay: the shared products (with the last edit) and its own.
    page.goto(reverse("catalog:product_list", args=[norte.pk]))
    expect(page.get_by_text("25 produtos", exact=True)).to_be_visible()
    results = page.locator("#results")
    expect(results.get_by_role("row").filter(has_text="NB-14")).to_contain_text("Notebook 14 polegadas Core i7")
    expect(results.get_by_role("row").filter(has_text="SO-NORTE")).to_be_visible()
    shot("17-cadastros-mantidos-no-destino-removido")

    # ... and are no longer updated: the next edit reaches Filial Sul, not Filial Norte.
    _edit_description(page, matriz, "NB-14", "Notebook 14 polegadas Core i7 (2ª geração)")
    _open_product(page, sul, "NB-14")
    _reload_until_heading_has(page, "(2ª geração)")
    _open_product(page, norte, "NB-14")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Notebook 14 polegadas Core i7")
    expect(page.get_by_role("heading", level=1)).not_to_contain_text("2ª geração")

    # Support restores, in the admin, Filial Norte's NB-14 as it was before the activation:
    # only there, since Filial Norte no longer takes part.
    page.get_by_role("button", name="Sair").click()
    support = UserFactory(username="suporte@grupoexemplo.com.br", first_name="Sérgio", is_staff=True,
                          is_superuser=True)
    log_in(support)
    snapshot = Snapshot.objects.get(company=norte, values__code="NB-14")
    assert snapshot.pk >= FIRST_ID
    page.goto(reverse("admin:sharing_snapshot_changelist"))
    row = page.get_by_role("row").filter(has_text="Notebook antigo")
    row.get_by_role("checkbox").check()
    page.locator("select[name=action]").select_option("restore_snapshots")
    page.locator("button[name=index]").click()
    expect(page.get_by_text("Só nesta empresa: o cadastro não está mais compartilhado.")).to_be_visible()
    shot("20-admin-restaurar-copia-anterior")
    page.get_by_role("button", name="Sim, restaurar").click()
    expect(page.locator(".messagelist")).to_contain_text("Restaurado")
    shot("21-admin-copia-restaurada")
    restored = Product.objects.get(company=norte, code="NB-14")
    assert (restored.description, restored.price) == ("Notebook antigo", Decimal("3999.00"))
    assert Product.objects.get(company=matriz, code="NB-14").description == "Notebook 14 polegadas Core i7 (2ª geração)"
