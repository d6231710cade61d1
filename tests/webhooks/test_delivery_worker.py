"""Webhooks end to end, with a real local HTTP receiver and a live django-q2 worker
(`manage.py qcluster` against the test database)."""

from __future__ import annotations

import hashlib
import hmac
import uuid

import pytest
from django.urls import reverse

from catalog import services as catalog_services
from tests.factories import MembershipFactory, UserFactory
from tests.helpers import CompanyFactory, make_product, product_in, share_between, wait_for
from tests.webhooks.conftest import WEBHOOKS_WORKER_ENV, WORKER_ENV
from webhooks.models import Delivery
from webhooks.services import endpoint_create

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def _signature_ok(secret: str, received) -> bool:
    timestamp = received.headers["X-Omieshare-Timestamp"]
    expected = hmac.new(secret.encode(), timestamp.encode() + b"." + received.body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(received.headers["X-Omieshare-Signature"], f"sha256={expected}")


def test_it_tells_the_destination_that_a_price_edited_in_the_origin_arrived(qcluster, receiver, private_allowed):
    origin = CompanyFactory(legal_name="Ferragens Paulistas Indústria e Comércio Ltda", trade_name="Matriz São Paulo")
    branch = CompanyFactory(legal_name="Ferragens Paulistas Filial Campinas Ltda", trade_name="Filial Campinas")
    product = make_product(origin, "PRD-000123", "Furadeira de impacto 650 W", price="189.90")
    share_between(origin, branch, registries=["product"])
    endpoint = endpoint_create(company=branch, url=receiver.url, topics=["Produto.Alterado"])
    editor = UserFactory(username="marcia.gestora@ferragens.com.br", first_name="Márcia", last_name="Gonçalves")
    qcluster.start(WORKER_ENV)  # the engine applies the edit in the branch
    qcluster.start(WEBHOOKS_WORKER_ENV)  # … and the webhooks queue's worker tells the branch's endpoint

    catalog_services.product_update(company=origin, product_id=product.pk, data={"price": "214.50"},
                                    actor_id=editor.pk, source="web")

    wait_for(lambda: receiver.events("Produto.Alterado"), timeout=30, what="the branch's webhook")
    (received,) = receiver.received
    body = received.json
    in_branch = product_in(branch, "PRD-000123")
    assert body["topic"] == "Produto.Alterado"
    assert body["event"]["codigo_produto"] == in_branch.pk != product.pk  # the branch's own record
    assert body["event"]["codigo"] == "PRD-000123"
    assert body["event"]["valor_unitario"] == 214.5
    assert body["event"]["descricao"] == "Furadeira de impacto 650 W"
    assert body["origin"] == "omie-sharing"  # it arrived through the sharing of records
    assert set(body) == {"messageId", "topic", "event", "author", "appKey", "appHash", "origin"}
    assert received.headers["X-Omieshare-Message-Id"] == body["messageId"]
    assert _signature_ok(endpoint.secret, received)
    assert not _signature_ok("whsec_outro", received)
    wait_for(lambda: Delivery.objects.filter(status=Delivery.Status.DELIVERED).count() == 1, timeout=10)


def test_it_retries_a_500_then_dead_letters_and_reenviar_delivers(qcluster, receiver, private_allowed, client):
    company = CompanyFactory(legal_name="Loja Virtual Água Viva Ltda", trade_name="Água Viva")
    admin = MembershipFactory(company=company).user
    receiver.status = 500
    endpoint = endpoint_create(company=company, url=receiver.url, topics=["Produto.Incluido"])
    worker = qcluster.start(WEBHOOKS_WORKER_ENV)  # two retries, 0.3 s apart

    make_product(company, "CAM-7781", "Câmera de segurança Wi-Fi 1080p")

    try:
        wait_for(lambda: Delivery.objects.filter(status=Delivery.Status.DEAD).exists(), timeout=30, what="dead letter")
    except AssertionError:
        print(list(Delivery.objects.values()), len(receiver.received), worker.output())
        raise
    delivery = Delivery.objects.get()
    assert delivery.attempts == 3 and len(receiver.received) == 3
    assert {r.json["messageId"] for r in receiver.received} == {str(delivery.message_id)}
    assert "HTTP 500" in delivery.last_error and "lista de falhas" in delivery.last_error

    client.force_login(admin)
    page = client.get(reverse("webhooks:detail", args=[company.pk, endpoint.pk])).content.decode()
    assert "Lista de falhas" in page and "HTTP 500" in page and "CAM-7781" not in page  # the id, not the code
    assert str(delivery.message_id) in page

    receiver.status = 200
    answer = client.post(reverse("webhooks:redeliver", args=[company.pk, endpoint.pk]), {"delivery": delivery.pk})
    assert answer.status_code == 302

    wait_for(lambda: Delivery.objects.filter(status=Delivery.Status.DELIVERED).exists(), timeout=30,
             what="the redelivery")
    assert len(receiver.received) == 4
    assert receiver.received[-1].body == receiver.received[0].body  # same messageId, same bytes
    log = client.get(reverse("webhooks:detail", args=[company.pk, endpoint.pk])).content.decode()
    assert "Entregue" in log and "Nenhum evento na lista de falhas" in log


def test_a_burst_of_writes_arrives_whole_and_in_order_with_few_enqueues(qcluster, receiver, private_allowed):
    from django_q.models import Success

    company = CompanyFactory(legal_name="Atacado Paraná Distribuidora Ltda", trade_name="Atacado Paraná")
    endpoint_create(company=company, url=receiver.url, topics=["Produto.Alterado"])
    product = make_product(company, "PRD-004455", "Cadeira de escritório giratória", price="100.00")
    qcluster.start({**WEBHOOKS_WORKER_ENV, "WEBHOOKS_KICK_WINDOW": "1"})

    prices = [f"{100 + n}.90" for n in range(30)]
    for price in prices:  # thirty transactions, as thirty saves of a page
        catalog_services.product_update(company=company, product_id=product.pk, data={"price": price}, source="web")

    wait_for(lambda: len(receiver.events("Produto.Alterado")) == 30, timeout=40, what="thirty events")
    order = dict(Delivery.objects.values_list("message_id", "pk"))
    received = [order[uuid.UUID(e["messageId"])] for e in receiver.events()]
    assert received == sorted(received) and len(set(received)) == 30  # FIFO, none twice
    # Each body is the record when its event first went out: the last one has the last price.
    assert receiver.events()[-1]["event"]["valor_unitario"] == float(prices[-1])
    runs = Success.objects.filter(func="webhooks.tasks.deliver").count()
    assert runs < 30, runs  # the enqueue is paid once per window, not once per write


def test_a_stuck_endpoint_does_not_hold_up_another_companys(qcluster, receiver, other_receiver, private_allowed):
    import threading

    slow = CompanyFactory(legal_name="Mercado Lento Ltda", trade_name="Mercado Lento")
    fast = CompanyFactory(legal_name="Papelaria Ágil Ltda", trade_name="Papelaria Ágil")
    receiver.hold = threading.Event()  # the slow company's endpoint takes the request and sits on it
    endpoint_create(company=slow, url=receiver.url, topics=["Produto.Incluido"])
    endpoint_create(company=fast, url=other_receiver.url, topics=["Produto.Incluido"])
    qcluster.start({**WEBHOOKS_WORKER_ENV, "WEBHOOKS_TIMEOUT": "20"})

    make_product(slow, "PRD-000031", "Arroz tipo 1 5 kg")
    wait_for(lambda: receiver.received, timeout=30, what="the slow endpoint to be called")
    make_product(fast, "PRD-000032", "Caderno universitário 200 folhas")

    wait_for(lambda: other_receiver.events(), timeout=30, what="the other company's event")
    assert not receiver.hold.is_set()  # delivered while the slow endpoint still held its request
    receiver.hold.set()
    wait_for(lambda: Delivery.objects.filter(status=Delivery.Status.DELIVERED).count() == 2, timeout=30)


def test_stuck_endpoints_never_hold_up_propagation(qcluster, receiver, other_receiver, private_allowed):
    """Two receivers sit on their requests, as many as the webhooks queue has workers (and
    as the engine has: when they shared a queue, both engine workers waited on them and an
    origin's edit took up to a turn, 20 s, to reach a branch). Propagation goes on."""
    import threading
    import time

    origin = CompanyFactory(legal_name="Distribuidora Nordeste de Alimentos S.A.", trade_name="Matriz Recife")
    branch = CompanyFactory(legal_name="Distribuidora Nordeste Filial Natal Ltda", trade_name="Filial Natal")
    make_product(origin, "PRD-1048576", "Feijão carioca tipo 1 1 kg", price="8.49")
    share_between(origin, branch, registries=["product"])
    for company, stuck in ((origin, receiver), (branch, other_receiver)):
        stuck.hold = threading.Event()
        endpoint_create(company=company, url=stuck.url, topics=["Produto.Alterado"])
    qcluster.start({**WORKER_ENV, "WEBHOOKS_TIMEOUT": "20"})
    qcluster.start({**WEBHOOKS_WORKER_ENV, "WEBHOOKS_TIMEOUT": "20"})
    product = product_in(origin, "PRD-1048576")

    catalog_services.product_update(company=origin, product_id=product.pk, data={"price": "8.99"}, source="api")
    wait_for(lambda: receiver.received, timeout=30, what="the origin's endpoint to be called")
    # Both webhook workers are now held (the branch's event arrives with the first edit).
    wait_for(lambda: other_receiver.received, timeout=30, what="the branch's endpoint to be called")

    lags = []
    for n in range(5):
        price = f"{9 + n}.19"
        started = time.monotonic()
        catalog_services.product_update(company=origin, product_id=product.pk, data={"price": price}, source="api")
        wait_for(lambda price=price: str(product_in(branch, "PRD-1048576").price) == price, timeout=30,
                 interval=0.05, what=f"price {price} in the branch")
        lags.append(time.monotonic() - started)
    assert not receiver.hold.is_set() and not other_receiver.hold.is_set()  # still held throughout
    assert max(lags) < 5, lags  # seconds, not a webhook turn
    receiver.hold.set()
    other_receiver.hold.set()


def test_the_webhooks_qcluster_runs_its_own_watchdog(qcluster, settings):
    """Retries whose time came go out while the engine's workers are down: the webhooks
    queue's qcluster claims the watchdog's schedule when it starts."""
    from django_q.models import Schedule

    from webhooks.tasks import WATCHDOG_SCHEDULE

    Schedule.objects.update_or_create(name=WATCHDOG_SCHEDULE, defaults={
        "func": "webhooks.tasks.watchdog", "schedule_type": "I", "minutes": 1, "repeats": -1})
    qcluster.start(WORKER_ENV)  # the engine's leaves it alone
    assert Schedule.objects.get(name=WATCHDOG_SCHEDULE).cluster is None

    qcluster.start(WEBHOOKS_WORKER_ENV)

    wait_for(lambda: Schedule.objects.get(name=WATCHDOG_SCHEDULE).cluster == settings.WEBHOOKS_QUEUE, timeout=10,
             what="the schedule claimed")
