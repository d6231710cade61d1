"""`make run` generated its own SECRET_KEY: tasks queued under the old one are dropped (the
watchdog enqueues their work again) instead of failing in the worker again and again."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django_q import core_signing
from django_q.conf import Conf
from django_q.models import OrmQ
from django_q.signing import PickleSerializer, SignedPackage

pytestmark = pytest.mark.django_db


def test_it_drops_only_the_tasks_signed_with_another_key(capsys):
    task = {"id": "a1", "func": "sharing.tasks.apply_change", "args": (1_000_017,)}
    readable = OrmQ.objects.create(key=Conf.PREFIX, payload=SignedPackage.dumps(task))
    OrmQ.objects.create(key=Conf.PREFIX, payload=core_signing.dumps(
        task, key="a-key-from-an-earlier-run-" + "x" * 30, salt=Conf.PREFIX,
        serializer=PickleSerializer,
    ))

    call_command("queue_drop_unreadable")

    assert list(OrmQ.objects.values_list("pk", flat=True)) == [readable.pk]
    assert "1 tarefa(s) na fila assinada(s) com outra chave" in capsys.readouterr().out
