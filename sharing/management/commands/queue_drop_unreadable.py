"""Drop queued django-q2 tasks signed with another SECRET_KEY.

django-q2 signs each queued task with SECRET_KEY. When the key changes (`make run` used the
built-in development key before it generated one of its own in run/secret_key), every
task still queued fails with BadSignature, again each time its lease expires, filling the
worker's output with tracebacks. The tasks are only triggers: the work itself is in
omieshare's tables (jobs, the outbox), and the watchdog enqueues it again within a minute.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django_q.models import OrmQ
from django_q.signing import BadSignature, SignedPackage


class Command(BaseCommand):
    help = (
        "Apaga da fila as tarefas assinadas com outra SECRET_KEY (ilegíveis para o worker); "
        "o agendamento de verificação as recoloca na fila em até um minuto."
    )

    def handle(self, *args, **options):
        unreadable = []
        for pk, payload in OrmQ.objects.values_list("pk", "payload").iterator():
            try:
                SignedPackage.loads(payload)
            except BadSignature:
                unreadable.append(pk)
        if unreadable:
            OrmQ.objects.filter(pk__in=unreadable).delete()
            self.stdout.write(
                f"{len(unreadable)} tarefa(s) na fila assinada(s) com outra chave (SECRET_KEY) "
                "apagada(s): o trabalho delas volta para a fila em até um minuto."
            )
