"""django-q2's pusher drops a task it cannot unsign with "Failed to push task to queue" and
a BadSignature traceback, which says nothing of the cause: a web server with another
SECRET_KEY (or Q_CLUSTER_NAME). This filter says it, in the same log line."""

from __future__ import annotations

import logging

from django_q.signing import BadSignature

EXPLANATION = (
    "Failed to push task to queue: tarefa assinada com outra SECRET_KEY ou outro Q_CLUSTER_NAME, descartada. "
    "O site e este worker não leem o mesmo arquivo de ambiente (deploy/README.md): cada alteração só "
    "chega às outras empresas quando o agendamento de verificação a reenvia, um a dois minutos depois."
)


class ExplainBadSignature(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if record.msg == "Failed to push task to queue" and isinstance(error, BadSignature):
            record.msg, record.args = EXPLANATION, ()
        return True


def install() -> None:
    logger = logging.getLogger("django-q")
    if not any(isinstance(existing, ExplainBadSignature) for existing in logger.filters):
        logger.addFilter(ExplainBadSignature())
