"""Vendedores and famílias de produto pages."""

from __future__ import annotations

import pytest
from django.urls import reverse

from catalog.models import ProductFamily, Salesperson
from tests.factories import ProductFamilyFactory, SalespersonFactory

pytestmark = pytest.mark.django_db


def test_it_lists_and_creates_salespeople(login, member, company, other_company):
    SalespersonFactory(company=other_company, name="Vendedor Alheio")
    client = login(member)
    url = reverse("catalog:salesperson_list", args=[company.pk])
    response = client.post(url, {"name": "Ana Souza", "email": "Ana.Souza@Exemplo.com.br"}, follow=True)
    assert "Ana Souza" in response.text
    assert "ana.souza@exemplo.com.br" in response.text
    assert "Vendedor Alheio" not in response.text
    assert Salesperson.objects.get(company=company).email == "ana.souza@exemplo.com.br"


def test_it_refuses_a_second_salesperson_with_the_same_email(login, member, company):
    SalespersonFactory(company=company, email="ana@exemplo.com.br")
    response = login(member).post(
        reverse("catalog:salesperson_list", args=[company.pk]), {"name": "Outra Ana", "email": "ANA@exemplo.com.br"}
    )
    assert response.status_code == 400
    assert "Já existe um vendedor com este e-mail nesta empresa." in response.text
    assert Salesperson.objects.filter(company=company).count() == 1


def test_it_lists_and_creates_families(login, member, company):
    ProductFamilyFactory(company=company, name="Bebidas")
    client = login(member)
    url = reverse("catalog:family_list", args=[company.pk])
    response = client.post(url, {"name": "  Cafés  "}, follow=True)
    assert "Bebidas" in response.text and "Cafés" in response.text
    assert ProductFamily.objects.filter(company=company, name="Cafés").exists()


def test_it_refuses_a_duplicate_family_name(login, member, company):
    ProductFamilyFactory(company=company, name="Bebidas")
    response = login(member).post(reverse("catalog:family_list", args=[company.pk]), {"name": "bebidas"})
    assert response.status_code == 400
    assert "Já existe uma família com este nome nesta empresa." in response.text
