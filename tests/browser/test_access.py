"""Who may not do what, seen in the browser: an outsider reaches no step of the wizard nor
any page of a share (the 404 page), and a destination without the edit or delete
permission cannot change a shared record (the server refuses, with the reason)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from catalog.models import Product
from sharing.models import SyncJob
from sharing.services import Permissions
from tests.helpers import make_product, product_in, share_between

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

INCLUDE_ONLY = Permissions(can_create=True, can_update=False, can_delete=False)


def test_it_shows_the_outsider_the_404_page_at_every_step(page: Page, group_companies, browser_outsider,
                                                          log_in, shot):
    matriz, norte = group_companies["matriz"], group_companies["norte"]
    make_product(matriz, "NB-14", "Notebook 14 polegadas")
    share = share_between(matriz, norte, registries=["product"])
    job = SyncJob.objects.get(share=share)
    new, active = {"company_id": matriz.pk}, {"company_id": matriz.pk, "share_id": share.pk}
    rows = {"dest_id": norte.pk, "registry": "product", "category": "create"}
    urls = [
        reverse("sharing:wizard", kwargs=new),
        reverse("sharing:step_registries", kwargs=new),
        reverse("sharing:step_origin", kwargs=new),
        reverse("sharing:step_add", kwargs=new),
        reverse("sharing:step_destinations", kwargs=new),
        reverse("sharing:preview", kwargs=new),
        reverse("sharing:preview_rows", kwargs={**new, **rows}),
        reverse("sharing:share_detail", kwargs=active),
        reverse("sharing:share_edit", kwargs=active),
        reverse("sharing:audit", kwargs=active),
        reverse("sharing:job", kwargs={**active, "job_id": job.pk}),
        reverse("sharing:add_step_add", kwargs=active),
        reverse("sharing:add_step_destinations", kwargs=active),
        reverse("sharing:add_preview", kwargs=active),
        reverse("sharing:add_preview_rows", kwargs={**active, **rows}),
        reverse("companies:group", args=[matriz.pk]),
    ]

    log_in(browser_outsider)
    for url in urls:
        response = page.goto(url)
        assert response.status == 404, f"{url} answered {response.status}"
        expect(page.get_by_role("heading", name="Página não encontrada")).to_be_visible()
        expect(page.get_by_text("Matriz")).to_have_count(0)  # not even the company's name leaks
    shot("19-sem-acesso-404")


def test_it_refuses_an_edit_and_a_delete_in_a_destination_without_those_permissions(
        page: Page, group_companies, group_admin, log_in, shot):
    matriz, sul = group_companies["matriz"], group_companies["sul"]
    make_product(matriz, "NB-14", "Notebook 14 polegadas")
    share_between(matriz, sul, registries=["product"], destination_permissions=INCLUDE_ONLY)
    shared = product_in(sul, "NB-14")

    log_in(group_admin)
    # The form shows the shared fields read-only, says why, and saves what stays here.
    page.goto(reverse("catalog:product_edit", args=[sul.pk, shared.pk]))
    description = page.get_by_label(re.compile(r"^Descrição:"))
    expect(description).to_be_disabled()
    expect(page.locator("#locked-reason")).to_contain_text(
        "esta empresa não tem permissão de edição: os campos compartilhados só podem ser alterados em Matriz"
    )
    shot("18-destino-sem-permissao-de-edicao")
    page.get_by_label(re.compile(r"^Código de integração")).fill("NB-SUL")
    page.get_by_role("button", name="Salvar", exact=True).click()
    expect(page.get_by_text("alterado.")).to_be_visible()
    assert product_in(sul, "NB-14").integration_code == "NB-SUL"

    # The page only explains; the server refuses a shared field anyway (a stale page, a hand-made POST).
    page.goto(reverse("catalog:product_edit", args=[sul.pk, shared.pk]))
    description = page.get_by_label(re.compile(r"^Descrição:"))
    description.evaluate("input => input.disabled = false")
    description.fill("Notebook alterado na Filial Sul")
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.get_by_role("button", name="Salvar", exact=True).click()
    assert posted.value.status == 403
    refusal = page.get_by_role("alert")
    expect(refusal).to_contain_text("A empresa Filial Sul não tem permissão de edição de produtos")
    expect(refusal).to_contain_text("Nada foi salvo")

    page.goto(reverse("catalog:product_delete", args=[sul.pk, shared.pk]))
    delete = page.get_by_role("button", name="Excluir", exact=True)
    expect(delete).to_be_disabled()
    expect(page.locator("#share-refused")).to_contain_text("exclusão")
    # The page only explains; the server refuses anyway (a stale page, a hand-made POST).
    delete.evaluate("button => button.disabled = false")
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        delete.click()
    assert posted.value.status == 403
    expect(page.get_by_role("alert")).to_contain_text("não tem permissão de exclusão de produtos")

    for company in (sul, matriz):
        product = Product.objects.get(company=company, code="NB-14")
        assert (product.description, product.active) == ("Notebook 14 polegadas", True), company
