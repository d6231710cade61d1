from __future__ import annotations

import pytest
from django.urls import reverse

from companies.models import Company

pytestmark = pytest.mark.django_db


def _toggle(client, company, value, **extra):
    return client.post(reverse("companies:unique_validation", args=[company.pk]), {"enabled": value}, **extra)


def _saved(company) -> bool:
    return Company.objects.get(pk=company.pk).enforce_unique_records


def test_it_lets_an_admin_turn_it_on_and_off(login, owner, company):
    client = login(owner)

    response = _toggle(client, company, "1", follow=True)

    assert _saved(company) is True
    assert response.redirect_chain[-1][0] == (reverse("companies:summary", args=[company.pk]) + "#unicidade")
    content = response.content.decode()
    assert "Validação de unicidade de cadastros ativada." in content
    assert 'aria-checked="true"' in content

    response = _toggle(client, company, "0", follow=True)

    assert _saved(company) is False
    assert "Validação de unicidade de cadastros desativada." in response.content.decode()


def test_it_keeps_the_requested_state_when_submitted_twice(login, owner, company):
    client = login(owner)

    _toggle(client, company, "1")
    _toggle(client, company, "1")

    assert _saved(company) is True


def test_it_answers_htmx_with_the_updated_fragments(login, owner, company):
    response = _toggle(login(owner), company, "1", HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    content = response.content.decode()
    assert "<html" not in content
    assert 'id="unicidade"' in content
    assert 'aria-checked="true"' in content
    assert "Validação de unicidade de cadastros ativada." in content
    # The group table shows the setting too, and is refreshed out of band.
    assert 'id="grupo"' in content and 'hx-swap-oob="true"' in content
    assert _saved(company) is True


def test_it_refuses_a_member_with_403_and_changes_nothing(login, member, company):
    company.enforce_unique_records = True
    company.save()

    response = _toggle(login(member), company, "0")

    assert response.status_code == 403
    assert _saved(company) is True


def test_it_answers_404_to_an_outsider_and_changes_nothing(login, outsider, company):
    response = _toggle(login(outsider), company, "1")

    assert response.status_code == 404
    assert _saved(company) is False


def test_it_rejects_a_value_that_is_neither_on_nor_off(login, owner, company):
    response = _toggle(login(owner), company, "talvez")

    assert response.status_code == 400
    assert _saved(company) is False


def test_it_only_accepts_post(login, owner, company):
    response = login(owner).get(reverse("companies:unique_validation", args=[company.pk]))

    assert response.status_code == 405
