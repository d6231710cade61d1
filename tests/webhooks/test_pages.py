"""Resumo do App → Webhooks, for the company's administrators; and the command."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.urls import reverse

from webhooks import payloads, services
from webhooks.models import ALL_TOPICS, Endpoint

pytestmark = pytest.mark.django_db


def test_an_administrator_registers_an_endpoint_sees_the_secret_once_and_tests_it(
    company, owner, login, receiver, private_allowed
):
    client = login(owner)
    summary = client.get(reverse("companies:summary", args=[company.pk])).content.decode()
    assert "Webhooks" in summary and "Cadastrar webhook" in summary

    answer = client.post(reverse("webhooks:list", args=[company.pk]), {
        "url": receiver.url, "topics": ["Produto.Alterado", "ClienteFornecedor.Alterado"], "active": "on",
    })
    endpoint = Endpoint.objects.get(company=company)
    assert answer.status_code == 200 and endpoint.secret in answer.content.decode()
    assert endpoint.topics == ["ClienteFornecedor.Alterado", "Produto.Alterado"]

    detail = client.get(reverse("webhooks:detail", args=[company.pk, endpoint.pk])).content.decode()
    assert endpoint.secret not in detail and endpoint.secret_hint in detail

    tested = client.post(reverse("webhooks:ping", args=[company.pk, endpoint.pk]), HTTP_HX_REQUEST="true")
    assert "O endpoint respondeu HTTP 200" in tested.content.decode()
    ping = {"ping": "omie", "appKey": "", "appHash": payloads.app_hash(company)}
    assert [r.json for r in receiver.received] == [ping]


def test_a_private_address_is_refused_with_the_reason_on_the_form(company, owner, login):
    answer = login(owner).post(reverse("webhooks:list", args=[company.pk]), {
        "url": "http://192.168.0.10/webhook", "topics": ALL_TOPICS, "active": "on",
    })
    assert "endereço privado, local ou reservado" in answer.content.decode()
    assert not Endpoint.objects.exists()


def test_an_ordinary_user_may_not_see_the_webhooks(company, member, login):
    assert login(member).get(reverse("webhooks:list", args=[company.pk])).status_code == 403


def test_an_outsider_gets_404(company, outsider, login, private_allowed):
    endpoint = services.endpoint_create(company=company, url="http://127.0.0.1:9/x", topics=ALL_TOPICS)
    client = login(outsider)
    assert client.get(reverse("webhooks:list", args=[company.pk])).status_code == 404
    assert client.get(reverse("webhooks:detail", args=[company.pk, endpoint.pk])).status_code == 404
    assert client.post(reverse("webhooks:redeliver", args=[company.pk, endpoint.pk])).status_code == 404


def test_the_command_adds_lists_and_tests(company, receiver, private_allowed, capsys):
    call_command("webhooks", company.cnpj, "--add", receiver.url, "--topics", "Produto.Incluido")
    added = capsys.readouterr().out
    endpoint = Endpoint.objects.get(company=company)
    assert endpoint.secret in added and endpoint.topics == ["Produto.Incluido"]

    call_command("webhooks", company.cnpj, "--test", str(endpoint.pk))
    assert "HTTP 200" in capsys.readouterr().out
    call_command("webhooks", company.cnpj, "--pause", str(endpoint.pk))
    call_command("webhooks", company.cnpj)
    assert "pausado" in capsys.readouterr().out


def test_support_sees_endpoints_events_and_attempts_in_the_admin(admin_client, company, receiver, private_allowed):
    endpoint = services.endpoint_create(company=company, url=receiver.url, topics=ALL_TOPICS)
    services.endpoint_ping(company=company, endpoint_id=endpoint.pk)
    for name in ("endpoint", "delivery", "attempt"):
        assert admin_client.get(reverse(f"admin:webhooks_{name}_changelist")).status_code == 200
    assert admin_client.get(reverse("admin:webhooks_endpoint_change", args=[endpoint.pk])).status_code == 200
    page = admin_client.get(reverse("admin:webhooks_endpoint_add")).content.decode()
    assert "Produto.Alterado" in page
    refused = admin_client.post(reverse("admin:webhooks_endpoint_add"), {
        "company": company.pk, "url": "ftp://x.com.br/", "topics": ALL_TOPICS, "active": "on",
    })
    assert "Apenas URLs http:// ou https://" in refused.content.decode()
