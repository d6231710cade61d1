"""Which writes become events, in which shape, and what they cost; delivered in this
process to a real local receiver (the worker's path is in test_delivery_worker.py)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from api.services import credential_issue
from catalog import services as catalog_services
from sharing import activation
from sharing.models import SyncJob
from tests.factories import CompanyFactory, UserFactory
from tests.helpers import activate, bulk_products, configure, make_party, make_product, product_data, product_in
from webhooks import services
from webhooks.models import ALL_TOPICS, Delivery

pytestmark = pytest.mark.django_db

DOCUMENT = "12.ABC.345/01DE-35"  # alphanumeric CNPJ, masked


@pytest.fixture
def shop(db):
    return CompanyFactory(legal_name="Loja Virtual Água Viva Comércio Ltda", trade_name="Água Viva")


def test_a_company_without_webhooks_pays_no_query_and_one_with_pays_one_insert(shop, receiver, private_allowed):
    product = make_product(shop, "PRD-000001", "Garrafa térmica 1 L")

    def cost(price: str) -> list[str]:
        with CaptureQueriesContext(connection) as queries:
            catalog_services.product_update(company=shop, product_id=product.pk, data={"price": price}, source="web")
        return [q["sql"] for q in queries.captured_queries]

    without = cost("10.00")
    services.endpoint_create(company=shop, url=receiver.url, topics=ALL_TOPICS)
    with_hook = cost("11.00")

    assert len(with_hook) == len(without) + 1
    assert sum("INSERT INTO webhooks_delivery" in q for q in with_hook) == 1
    assert not any("webhooks_endpoint" in q or "webhooks_delivery" in q for q in without)
    assert Delivery.objects.filter(topic="Produto.Alterado").count() == 1


def test_an_event_reads_like_omies_with_the_record_as_consultar_answers_it(shop, receiver, private_allowed):
    keys = credential_issue(company=shop)
    editor = UserFactory(username="joao.silva@aguaviva.com.br", first_name="João", last_name="Silva")
    endpoint = services.endpoint_create(company=shop, url=receiver.url, topics=["ClienteFornecedor.Incluido"])
    party = catalog_services.party_create(
        company=shop, source="web", actor_id=editor.pk,
        data={"cnpj_cpf": "12ABC34501DE35", "legal_name": "Distribuidora São João de Bebidas Ltda",
              "trade_name": "São João", "city": "Ribeirão Preto", "state": "SP", "is_client": True},
    )
    make_product(shop, "PRD-000002", "Copo de vidro 300 ml")  # not subscribed: no event

    services.deliver(endpoint.pk)

    (body,) = receiver.events()
    assert body["topic"] == "ClienteFornecedor.Incluido"
    assert body["event"]["codigo_cliente_omie"] == party.pk
    assert body["event"]["razao_social"] == "Distribuidora São João de Bebidas Ltda"
    assert body["event"]["cnpj_cpf"] == DOCUMENT
    assert body["author"] == {"email": "joao.silva@aguaviva.com.br", "name": "João Silva", "userId": editor.pk}
    assert body["appKey"] == keys.app_key
    assert body["appHash"].startswith("aguaviva-") and len(body["appHash"]) == len("aguaviva-") + 8
    assert body["origin"] == "omie-web"


def test_a_deletion_carries_the_record_as_it_was(shop, receiver, private_allowed):
    product = make_product(shop, "PRD-000003", "Jarra de cristal 1,5 L", price="79.90")
    endpoint = services.endpoint_create(company=shop, url=receiver.url, topics=["Produto.Excluido"])

    catalog_services.product_delete(company=shop, product_id=product.pk, source="api")
    services.deliver(endpoint.pk)

    (body,) = receiver.events("Produto.Excluido")
    assert body["event"]["codigo_produto"] == product.pk
    assert body["event"]["descricao"] == "Jarra de cristal 1,5 L" and body["event"]["valor_unitario"] == 79.9
    assert body["origin"] == "omie-api" and body["author"]["name"] == "Integração (API)"


def test_a_paused_endpoint_keeps_its_events_until_it_is_resumed(shop, receiver, private_allowed):
    endpoint = services.endpoint_create(company=shop, url=receiver.url, topics=ALL_TOPICS)
    services.endpoint_set_active(company=shop, endpoint_id=endpoint.pk, active=False)
    make_product(shop, "PRD-000004", "Bule esmaltado")  # no active endpoint: no event at all
    assert not Delivery.objects.exists()

    services.endpoint_set_active(company=shop, endpoint_id=endpoint.pk, active=True)
    make_product(shop, "PRD-000005", "Leiteira inox")
    services.endpoint_set_active(company=shop, endpoint_id=endpoint.pk, active=False)
    services.deliver(endpoint.pk)
    assert receiver.received == []  # paused: waits
    services.endpoint_set_active(company=shop, endpoint_id=endpoint.pk, active=True)
    services.deliver(endpoint.pk)
    assert [b["event"]["codigo"] for b in receiver.events()] == ["PRD-000005"]


def test_events_go_out_in_order_one_endpoint_at_a_time(shop, receiver, private_allowed):
    endpoint = services.endpoint_create(company=shop, url=receiver.url, topics=ALL_TOPICS)
    product = make_product(shop, "PRD-000006", "Panela de pressão 4,5 L", price="150.00")
    for price in ("151.00", "152.00", "153.00"):
        catalog_services.product_update(company=shop, product_id=product.pk, data={"price": price}, source="web")

    services.deliver(endpoint.pk)

    assert [b["topic"] for b in receiver.events()] == ["Produto.Incluido"] + ["Produto.Alterado"] * 3
    assert len({b["messageId"] for b in receiver.events()}) == 4


def test_activation_leaves_one_event_per_created_or_overwritten_record_set_based(private_allowed, receiver,
                                                                                 monkeypatch):
    monkeypatch.setattr(activation, "CHUNK_SIZE", 100)
    origin = CompanyFactory(trade_name="Matriz")
    branch = CompanyFactory(trade_name="Filial Norte")
    bulk_products(origin, [f"PRD-{n:06d}" for n in range(1, 301)], "Parafuso sextavado")
    catalog_services.product_create(company=branch, data=product_data("PRD-000001", "Parafuso antigo"),
                                    source="web")
    make_product(branch, "LOCAL-1", "Só da filial")
    endpoint = services.endpoint_create(company=branch, url=receiver.url, topics=ALL_TOPICS)
    Delivery.objects.all().delete()  # the branch's own inclusions above
    share = configure(origin, branch, registries=["product"])

    with CaptureQueriesContext(connection) as queries:
        job = activate(share)

    assert job.status == SyncJob.Status.DONE
    events = Delivery.objects.filter(endpoint=endpoint)
    assert events.filter(topic="Produto.Incluido").count() == 299
    assert events.filter(topic="Produto.Alterado").get().local_id == product_in(branch, "PRD-000001").pk
    inserts = [q for q in queries.captured_queries if "INSERT INTO webhooks_delivery" in q["sql"]]
    assert len(inserts) == 3  # one per chunk (here the chunk is 100 records), never one per record
    assert not Delivery.objects.filter(endpoint=endpoint, local_id=product_in(branch, "LOCAL-1").pk).exists()


def test_an_origin_edit_becomes_the_destinations_event(private_allowed, receiver):
    origin, branch = CompanyFactory(trade_name="Matriz"), CompanyFactory(trade_name="Filial Sul")
    product = make_product(origin, "PRD-000010", "Furadeira 650 W", price="189.90")
    make_party(origin, "11222333000181", "Comercial Exemplo Ltda")
    share = configure(origin, branch)
    activate(share)
    endpoint = services.endpoint_create(company=branch, url=receiver.url, topics=["Produto.Alterado"])
    from tests.helpers import apply_pending

    catalog_services.product_update(company=origin, product_id=product.pk, data={"price": "214.50"}, source="web")
    apply_pending()
    services.deliver(endpoint.pk)

    (body,) = receiver.events()
    assert body["event"]["codigo_produto"] == product_in(branch, "PRD-000010").pk
    assert body["event"]["valor_unitario"] == 214.5 and body["origin"] == "omie-sharing"


def test_the_watchdog_enqueues_due_endpoints_and_forgets_old_deliveries(shop, receiver, private_allowed):
    from datetime import timedelta

    from django.utils import timezone
    from django_q.models import OrmQ

    from webhooks import tasks
    from webhooks.models import Attempt

    endpoint = services.endpoint_create(company=shop, url=receiver.url, topics=ALL_TOPICS)
    make_product(shop, "PRD-000020", "Bule de porcelana")
    make_product(shop, "PRD-000021", "Xícara de porcelana")
    services.deliver(endpoint.pk)
    old = timezone.now() - timedelta(days=31)
    first = Delivery.objects.order_by("pk").first()
    Delivery.objects.filter(pk=first.pk).update(delivered_at=old)
    Attempt.objects.filter(delivery=first).update(at=old)
    make_product(shop, "PRD-000022", "Pires de porcelana")  # pending: the watchdog sends it

    assert tasks.watchdog() == 1
    assert OrmQ.objects.count() >= 1
    assert not Delivery.objects.filter(pk=first.pk).exists()
    assert Delivery.objects.count() == 2 and Attempt.objects.count() == 1
