"""The 403, 404 and 500 pages, as users see them with DEBUG off."""

from __future__ import annotations

import pytest
from django.template import loader
from django.test import RequestFactory
from django.urls import reverse
from django.views import defaults


@pytest.fixture(autouse=True)
def production_errors(settings):
    settings.DEBUG = False


def test_it_shows_a_portuguese_404_page(client, db):
    response = client.get("/nao-existe/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Página não encontrada" in html
    assert "/nao-existe/" in html
    assert 'href="/entrar/"' in html  # anonymous visitors are offered the login


def test_it_answers_404_for_a_company_the_user_cannot_see(login, outsider, company):
    response = login(outsider).get(reverse("companies:summary", args=[company.pk]))
    assert response.status_code == 404
    html = response.content.decode()
    assert "Página não encontrada" in html
    assert "Voltar para Meus Aplicativos" in html


def test_it_shows_why_access_was_denied_on_the_403_page(login, member, company):
    response = login(member).post(reverse("companies:unique_validation", args=[company.pk]), {"enabled": "on"})
    assert response.status_code == 403
    html = response.content.decode()
    assert "Acesso negado" in html
    assert "Somente administradores da empresa podem alterar a validação de unicidade." in html


def test_it_shows_a_standalone_500_page_without_touching_the_database():
    # No `db` fixture: pytest-django makes any query here fail the test.
    response = defaults.server_error(RequestFactory().get("/qualquer/"))
    assert response.status_code == 500
    html = response.content.decode()
    assert "Algo deu errado do nosso lado" in html
    assert 'lang="pt-br"' in html


def test_it_keeps_the_500_page_free_of_template_tags():
    source = loader.get_template("500.html").template.source
    assert "{%" not in source and "{{" not in source


@pytest.mark.django_db
def test_the_favicon_is_found_from_pages_that_do_not_link_it(client):
    response = client.get("/favicon.ico")

    assert response.status_code == 301 and response.headers["Location"].endswith("favicon.svg")
