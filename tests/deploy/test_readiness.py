"""The readiness endpoint, deploy_check and the system check, in process: what a load
balancer and the person deploying see when workers are gone, disagree or fall behind."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings
from django.utils import timezone
from django_q.models import OrmQ

from catalog import services as catalog_services
from omieshare.supervision import checks, identity
from omieshare.supervision.models import Heartbeat
from sharing.models import Change
from tests.helpers import CompanyFactory, make_trio, product_in

pytestmark = pytest.mark.django_db

REDIS = {"Q_CLUSTER": {"name": "omieshare", "redis": "redis://:s3nh4-do-redis@10.0.0.7:6380/2"}}


@pytest.fixture(autouse=True)
def _web_row_written_at_the_next_call(monkeypatch):
    """The endpoint renews its web row at most every 30 s per process: not across tests."""
    monkeypatch.setattr(checks, "_last_web_beat", 0.0)


def worker_row(pid: int = 4_000_001, *, seen_ago: float = 1, host: str = "worker-1", role: str = Heartbeat.Role.WORKER,
               **differences) -> Heartbeat:
    me = identity.current()
    now = timezone.now()
    fields = {"broker": me.broker, "queue": me.queue, "key_fingerprint": me.key_fingerprint, **differences}
    return Heartbeat.objects.create(key=f"{role}:{host}:{pid}", role=role, host=host, pid=pid,
                                    started_at=now - timedelta(minutes=5),
                                    seen_at=now - timedelta(seconds=seen_ago), **fields)


def ready(client):
    response = client.get("/health/ready")
    return response.status_code, response.json()


def test_ready_when_the_database_answers_and_a_worker_agrees(client):
    worker_row()

    status, body = ready(client)

    assert status == 200, body
    assert body["ready"] is True and body["failed"] == []
    assert body["checks"]["workers"]["detail"] == "1 worker(s) ativo(s)"
    assert body["checks"]["pending_changes"]["detail"] == "nenhuma alteração atrasada"
    # The endpoint also records this web server, for the workers' comparison.
    assert Heartbeat.objects.filter(role=Heartbeat.Role.WEB).exists()


def test_active_webhooks_need_the_webhooks_queues_worker_which_is_not_an_engine_worker(client, settings):
    from webhooks.models import Endpoint
    from webhooks.services import endpoint_create

    company = CompanyFactory(legal_name="Comercial Goiânia de Tintas Ltda", trade_name="Tintas Goiânia")
    settings.WEBHOOKS_ALLOW_PRIVATE = True  # an on-premise ERP (no DNS here to resolve a public name)
    endpoint_create(company=company, url="http://127.0.0.1:8089/omie/webhook", topics=["Produto.Alterado"])
    worker_row()

    status, body = ready(client)
    assert status == 503 and body["failed"] == ["webhooks"]
    assert "nenhum worker de webhooks" in body["checks"]["webhooks"]["detail"]

    worker_row(4_000_002, role=Heartbeat.Role.WEBHOOKS)
    status, body = ready(client)
    assert status == 200, body
    assert body["checks"]["workers"]["detail"] == "1 worker(s) ativo(s)"  # the engine's alone
    assert body["checks"]["webhooks"]["detail"] == "1 worker(s) de webhooks ativo(s)"

    Heartbeat.objects.filter(role=Heartbeat.Role.WEBHOOKS).delete()
    Endpoint.objects.update(active=False)  # paused: nothing waits for a worker
    assert ready(client)[0] == 200


def test_not_ready_when_the_last_worker_heartbeat_is_stale(client):
    worker_row(seen_ago=checks.WORKER_STALE_SECONDS + 15)

    status, body = ready(client)

    assert status == 503
    assert body["failed"] == ["workers"]
    assert body["checks"]["workers"]["detail"].startswith("0 de 1 worker(s) ativo(s); o último sinal foi há ")


def test_not_ready_when_a_worker_has_another_secret_key_and_the_answer_leaks_nothing(client, settings):
    worker_row(key_fingerprint="0123456789abcdef")

    status, body = ready(client)

    assert status == 503 and body["failed"] == ["agreement"]
    assert body["checks"]["agreement"]["detail"] == (
        "1 worker(s) com configuração diferente da deste servidor (outra SECRET_KEY)")
    text = str(body)
    assert identity.key_fingerprint() not in text and settings.SECRET_KEY not in text and "worker-1" not in text


def test_a_redis_password_never_leaves_the_machine(client):
    with override_settings(**REDIS):
        assert identity.broker_identity() == "redis://10.0.0.7:6380/2"
        me = identity.current()
    assert "s3nh4" not in str(me)


def test_not_ready_when_a_change_waits_longer_than_the_limit(client):
    share, origin, leaving, staying = make_trio(("product",))
    catalog_services.product_update(company=origin, product_id=product_in(origin, "A1").pk,
                                    data={"description": "Água com gás"})
    change = Change.objects.get(status=Change.Status.PENDING)
    Change.objects.filter(pk=change.pk).update(
        created_at=timezone.now() - timedelta(seconds=checks.PENDING_MAX_SECONDS + 40))
    worker_row()

    status, body = ready(client)

    assert status == 503 and body["failed"] == ["pending_changes"]
    assert body["checks"]["pending_changes"]["detail"].startswith("alteração pendente há ")
    assert body["checks"]["pending_changes"]["oldest_pending_seconds"] >= checks.PENDING_MAX_SECONDS + 40


def test_a_web_server_without_q_redis_url_refuses_to_start(capsys):
    """The web unit's ExecStartPre: the workers read Redis, this server would enqueue in
    the database, where no one reads: every edit would wait for the watchdog."""
    with override_settings(**REDIS):
        worker_row(broker=identity.broker_identity())

    with pytest.raises(CommandError) as refused:
        call_command("deploy_check")

    message = str(refused.value)
    assert "este servidor enfileira no banco de dados (sem Q_REDIS_URL), e nenhum worker lê essa fila" in message
    assert "o worker worker-1:4000001 usa broker redis://10.0.0.7:6380/2 (aqui: do banco de dados" in message
    assert "s3nh4" not in message


def test_the_system_check_reports_the_disagreement():
    worker_row(key_fingerprint="0123456789abcdef")

    errors = checks.broker_agreement(databases=["default"])

    assert [error.id for error in errors] == ["supervision.E001"]
    assert "o worker worker-1:4000001 usa outra SECRET_KEY" in errors[0].msg


def test_deploy_check_passes_when_everyone_agrees(capsys):
    worker_row()
    worker_row(pid=4_000_002, host="worker-2")

    call_command("deploy_check")

    assert "ok: 2 worker(s) ativo(s), todos com a mesma configuração." in capsys.readouterr().out


def test_tasks_stranded_in_the_database_queue_are_named(client):
    """All workers read Redis, yet a task waits in the database queue: some web server
    runs without Q_REDIS_URL."""
    with override_settings(**REDIS):
        worker_row(broker=identity.broker_identity())
        OrmQ.objects.create(key="omieshare", payload="x", lock=timezone.now() - timedelta(minutes=5))

        problems = checks.worker_side_problems()

    assert problems == ["1 tarefa(s) esperam na fila do banco de dados, que os workers (Redis) não leem: "
                        "algum servidor web está sem Q_REDIS_URL"]


def test_a_worker_names_the_web_server_that_disagrees_but_only_its_newest_settings():
    now = timezone.now()
    me = identity.current()
    for pid, seen_ago, fingerprint in ((4_100_001, 90, "0123456789abcdef"), (4_100_002, 5, me.key_fingerprint)):
        Heartbeat.objects.create(key=f"web:web-1:{pid}", role=Heartbeat.Role.WEB, host="web-1", pid=pid,
                                 broker=me.broker, queue=me.queue, key_fingerprint=fingerprint,
                                 started_at=now, seen_at=now - timedelta(seconds=seen_ago))
    assert checks.worker_side_problems() == []

    Heartbeat.objects.filter(pid=4_100_001).update(seen_at=now)

    assert checks.worker_side_problems() == ["o servidor web web-1:4100001 usa outra SECRET_KEY"]


def test_liveness_needs_nothing_but_the_process(client):
    response = client.get("/health/live")

    assert response.status_code == 200 and response.json() == {"alive": True}


def test_the_machine_scope_ignores_the_workers_all_machines_share(client):
    """For a load balancer: dead workers are every machine's problem, not this one's."""
    worker_row(seen_ago=checks.WORKER_STALE_SECONDS + 15)

    assert ready(client)[0] == 503
    response = client.get("/health/ready?scope=machine")

    assert response.status_code == 200, response.json()
    assert sorted(response.json()["checks"]) == ["agreement", "broker", "database"]


def test_the_machine_scope_fails_the_server_no_live_worker_reads(client):
    worker_row(key_fingerprint="0123456789abcdef")
    worker_row(pid=4_000_002, host="worker-2", queue="outra-fila")

    response = client.get("/health/ready?scope=machine")

    assert response.status_code == 503
    assert response.json()["checks"]["agreement"]["detail"] == (
        "nenhum worker ativo lê o que este servidor enfileira (outro broker, outra fila ou outra SECRET_KEY)")


def test_one_wrong_worker_of_two_leaves_each_web_machine_in_the_balancer(client):
    worker_row()
    worker_row(pid=4_000_002, host="worker-2", key_fingerprint="0123456789abcdef")

    assert client.get("/health/ready?scope=machine").status_code == 200
    status, body = ready(client)
    assert status == 503 and body["failed"] == ["agreement"]


def test_a_web_server_started_by_hand_says_what_disagrees_in_its_log(caplog):
    worker_row(key_fingerprint="0123456789abcdef")

    with caplog.at_level("INFO", logger="omieshare.supervision.checks"):
        checks.startup_report()

    errors = [record.getMessage() for record in caplog.records if record.levelname == "ERROR"]
    assert errors == ["CONFIGURAÇÃO DIVERGENTE: o worker worker-1:4000001 usa outra SECRET_KEY (veja deploy/README.md)"]


def test_support_sees_who_runs_in_the_admin_without_editing_it(client):
    from django.urls import reverse

    from tests.factories import UserFactory

    with override_settings(**REDIS):
        worker_row(broker=identity.broker_identity())
    client.force_login(UserFactory(is_staff=True, is_superuser=True))

    page = client.get(reverse("admin:supervision_heartbeat_changelist"))

    html = page.content.decode()
    assert page.status_code == 200
    assert "Sinais de vida" in html and "worker-1" in html and "redis://10.0.0.7:6380/2" in html
    assert "s3nh4" not in html
    assert client.get(reverse("admin:supervision_heartbeat_add")).status_code == 403


def test_a_task_signed_with_another_key_is_explained_in_the_workers_log(caplog, monkeypatch):
    """What the worker's pusher logs, in its words, for a task a web server with another
    SECRET_KEY enqueued."""
    import logging

    from django_q.conf import Conf
    from django_q.signing import BadSignature, SignedPackage

    payload = SignedPackage.dumps({"func": "sharing.tasks.apply_change", "args": (1,)})
    monkeypatch.setattr(Conf, "SECRET_KEY", "outra-chave-de-outro-servidor-0123456789abcdef")
    with caplog.at_level(logging.ERROR, logger="django-q"):
        try:
            SignedPackage.loads(payload)
        except BadSignature:
            logging.getLogger("django-q").exception("Failed to push task to queue")

    assert caplog.records[-1].getMessage().startswith(
        "Failed to push task to queue: tarefa assinada com outra SECRET_KEY ou outro Q_CLUSTER_NAME, descartada.")
