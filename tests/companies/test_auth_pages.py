from __future__ import annotations

import pytest
from django.urls import reverse

from companies.models import Company

pytestmark = pytest.mark.django_db


def test_it_renders_the_login_page_in_portuguese(client):
    response = client.get(reverse("login"))

    assert response.status_code == 200
    content = response.content.decode()
    assert "<h1" in content and "Entrar" in content
    assert "E-mail" in content
    assert "Senha" in content


def test_it_logs_in_and_lands_on_meus_aplicativos(client, owner, company, password):
    response = client.post(reverse("login"), {"username": owner.username, "password": password}, follow=True)

    assert response.redirect_chain[-1][0] == reverse("companies:my_apps")
    assert "Meus Aplicativos" in response.content.decode()
    assert company.legal_name in response.content.decode()


def test_it_refuses_a_wrong_password_with_a_message(client, owner):
    response = client.post(reverse("login"), {"username": owner.username, "password": "errada"})

    assert response.status_code == 200
    assert "senha corretos" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_it_logs_out(login, owner):
    client = login(owner)

    response = client.post(reverse("logout"))

    assert response.status_code == 302
    assert response.url == reverse("login")
    assert client.get(reverse("companies:my_apps")).status_code == 302


def test_it_sends_the_home_page_to_meus_aplicativos(login, owner):
    response = login(owner).get("/")

    assert response.status_code == 302
    assert response.url == reverse("companies:my_apps")


@pytest.mark.parametrize(
    ("name", "needs_company"),
    [
        ("companies:home", False),
        ("companies:my_apps", False),
        ("companies:summary", True),
        ("companies:group", True),
    ],
)
def test_it_redirects_anonymous_visitors_to_login(client, company, name, needs_company):
    url = reverse(name, args=[company.pk]) if needs_company else reverse(name)

    response = client.get(url)

    assert response.status_code == 302
    assert response.url.startswith(reverse("login") + "?next=")


def test_it_redirects_an_anonymous_toggle_to_login_and_changes_nothing(client, company):
    response = client.post(reverse("companies:unique_validation", args=[company.pk]), {"enabled": "1"})

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
    assert Company.objects.get(pk=company.pk).enforce_unique_records is False
