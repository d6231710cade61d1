"""The client/supplier form with what users paste and what foreign clients look like."""

from __future__ import annotations

import pytest
from django.urls import reverse

from catalog.models import Party
from tests.catalog.test_views_parties import party_form_data

pytestmark = pytest.mark.django_db


def test_it_accepts_a_cnpj_cep_and_phone_pasted_with_en_dashes_and_odd_spaces(login, member, company):
    url = reverse("catalog:party_create", args=[company.pk])
    data = party_form_data(cnpj_cpf="11.222.333/0001–81", cep="13010\u2013100", phone_number="99876\u00a05432")

    response = login(member).post(url, data)

    assert response.status_code == 302, response.text
    party = Party.objects.get(company=company)
    assert (party.cnpj_cpf, party.cep, party.phone_number) == ("11222333000181", "13010100", "998765432")
