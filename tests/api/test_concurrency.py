"""Two Upserts of the same integration code at once: the one that loses the race to
create updates the record instead of failing."""

from __future__ import annotations

import json
import threading
import time

import pytest
from django.db import connection, transaction
from django.test import Client

from api import clients, products
from catalog.models import Party, Product

pytestmark = pytest.mark.django_db(transaction=True)


def _race(credentials, company, endpoint: str, call: str, first, param: dict):
    """`first` creates inside a transaction left open while the API call runs; the call
    must wait for it and then see the record."""
    first_written, finish_first = threading.Event(), threading.Event()
    answers = []

    def hold_first() -> None:
        try:
            with transaction.atomic():
                first(company)
                first_written.set()
                finish_first.wait(timeout=10)
        finally:
            connection.close()

    def call_api() -> None:
        try:
            body = json.dumps({"call": call, "app_key": credentials.app_key,
                               "app_secret": credentials.app_secret, "param": [param]})
            answers.append(Client().post(f"/api/v1/geral/{endpoint}/", body, content_type="application/json"))
        finally:
            connection.close()

    threads = [threading.Thread(target=hold_first), threading.Thread(target=call_api)]
    threads[0].start()
    assert first_written.wait(timeout=10)
    threads[1].start()
    time.sleep(0.5)  # the API call is now waiting on the first transaction's row
    finish_first.set()
    for thread in threads:
        thread.join(timeout=30)
    return answers[0]


def test_a_client_upsert_that_loses_the_race_to_create_updates(credentials, company):
    response = _race(
        credentials, company, "clientes", "UpsertCliente",
        lambda c: clients.upsert(c, {"codigo_cliente_integracao": "RACE", "razao_social": "Primeiro"}),
        {"codigo_cliente_integracao": "RACE", "razao_social": "Segundo"},
    )

    assert response.status_code == 200, response.content
    assert response.json()["descricao_status"] == "Cliente alterado com sucesso!"
    assert list(Party.objects.filter(company=company).values_list("code", "legal_name")) == [("RACE", "Segundo")]


def test_a_product_upsert_that_loses_the_race_to_create_updates(credentials, company):
    base = {"codigo_produto_integracao": "RACE", "unidade": "UN", "ncm": "96081000"}
    response = _race(
        credentials, company, "produtos", "UpsertProduto",
        lambda c: products.upsert(c, {**base, "descricao": "Primeiro", "codigo": "R1"}),
        {**base, "descricao": "Segundo"},
    )

    assert response.status_code == 200, response.content
    assert response.json()["descricao_status"] == "Produto alterado com sucesso!"
    assert list(Product.objects.filter(company=company).values_list("code", "description")) == [("R1", "Segundo")]


def test_a_lote_upsert_that_loses_the_race_to_create_updates_that_record_and_writes_the_others(credentials, company):
    # The record's insert fails inside the lote's transaction: its savepoints must leave the
    # transaction usable for the record's update and for the records after it.
    response = _race(
        credentials, company, "clientes", "UpsertClientesPorLote",
        lambda c: clients.upsert(c, {"codigo_cliente_integracao": "RACE", "razao_social": "Primeiro"}),
        {"lote": 1, "clientes_cadastro": [
            {"codigo_cliente_integracao": "RACE", "razao_social": "Segundo"},
            {"codigo_cliente_integracao": "DEPOIS", "razao_social": "Terceiro"},
        ]},
    )

    assert response.status_code == 200, response.content
    assert [s["descricao_status"] for s in response.json()["clientes_status"]] == [
        "Cliente alterado com sucesso!", "Cliente cadastrado com sucesso!",
    ]
    assert sorted(Party.objects.filter(company=company).values_list("code", "legal_name")) == [
        ("DEPOIS", "Terceiro"), ("RACE", "Segundo"),
    ]
