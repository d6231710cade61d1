from django.db import models


class Heartbeat(models.Model):
    """A web or worker process's view of the deployment, refreshed while it runs: which
    broker it enqueues to or reads from, which queue, and a fingerprint of its SECRET_KEY
    (an HMAC of a constant: never the key). A worker row is its cluster's heartbeat (every
    worker process of the cluster renews it every few seconds); a web row is written by
    `manage.py deploy_check` and by the readiness endpoint."""

    class Role(models.TextChoices):
        WEB = "web", "site"
        WORKER = "worker", "worker"
        WEBHOOKS = "webhooks", "worker de webhooks"  # a qcluster of the webhooks queue (Q_QUEUE)

    key = models.CharField("processo", max_length=200, unique=True)
    role = models.CharField("papel", max_length=8, choices=Role.choices)
    host = models.CharField("máquina", max_length=200)
    pid = models.PositiveIntegerField("pid")
    broker = models.CharField("broker", max_length=300)
    queue = models.CharField("fila", max_length=100)
    key_fingerprint = models.CharField("impressão digital da SECRET_KEY", max_length=32)
    started_at = models.DateTimeField("desde")
    seen_at = models.DateTimeField("visto em", db_index=True)

    class Meta:
        verbose_name = "sinal de vida"
        verbose_name_plural = "sinais de vida"
        ordering = ["-seen_at"]

    def __str__(self) -> str:
        return f"{self.get_role_display()} {self.host}:{self.pid}"
