"""Webhook endpoints of a company, the events waiting for each (the outbox) and the log of
every delivery attempt. See docs/ARCHITECTURE.md §4, "Webhooks"."""

from __future__ import annotations

import uuid

from django.db import models

from companies.models import Company

# Omie's topics for the two registries omieshare keeps.
TOPICS = {
    ("party", "create"): "ClienteFornecedor.Incluido",
    ("party", "update"): "ClienteFornecedor.Alterado",
    ("party", "delete"): "ClienteFornecedor.Excluido",
    ("product", "create"): "Produto.Incluido",
    ("product", "update"): "Produto.Alterado",
    ("product", "delete"): "Produto.Excluido",
}
TOPIC_CHOICES = [
    ("ClienteFornecedor.Incluido", "Cliente/fornecedor incluído"),
    ("ClienteFornecedor.Alterado", "Cliente/fornecedor alterado"),
    ("ClienteFornecedor.Excluido", "Cliente/fornecedor excluído"),
    ("Produto.Incluido", "Produto incluído"),
    ("Produto.Alterado", "Produto alterado"),
    ("Produto.Excluido", "Produto excluído"),
]
ALL_TOPICS = [topic for topic, _label in TOPIC_CHOICES]


class Endpoint(models.Model):
    """A URL that hears about the company's changes, for the topics it chose."""

    company = models.ForeignKey(Company, verbose_name="empresa", related_name="webhook_endpoints",
                                on_delete=models.CASCADE)
    url = models.URLField("URL", max_length=500)
    topics = models.JSONField("tópicos", default=list)
    active = models.BooleanField("ativo", default=True)
    # Kept readable: every delivery is signed with it. Shown once, on creation or rotation.
    secret = models.CharField("segredo de assinatura", max_length=80)
    # The delivery lease: one worker at a time sends an endpoint's events, in order.
    lease_until = models.DateTimeField(null=True, blank=True, editable=False)
    # When a delivery task last found the lease taken: the holder looks for new events
    # until WEBHOOKS_KICK_WINDOW after it (services.kick sends one task per window).
    kicked_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField("criado em", auto_now_add=True)
    updated_at = models.DateTimeField("alterado em", auto_now=True)
    last_ping_at = models.DateTimeField("último teste em", null=True, blank=True)
    last_ping_result = models.TextField("resultado do último teste", blank=True)

    class Meta:
        verbose_name = "webhook"
        verbose_name_plural = "webhooks"
        ordering = ["company_id", "pk"]

    def __str__(self) -> str:
        return f"{self.url} ({self.company})"

    @property
    def topic_labels(self) -> list[str]:
        labels = dict(TOPIC_CHOICES)
        return [labels.get(topic, topic) for topic in self.topics]

    @property
    def secret_hint(self) -> str:
        return f"{self.secret[:10]}…" if self.secret else ""


class Delivery(models.Model):
    """One event for one endpoint: the outbox row, its state and its frozen body.

    Events of an endpoint go out in `id` order (FIFO). The body is built once, at the first
    attempt, and every retry sends the same bytes with the same messageId."""

    class Status(models.TextChoices):
        PENDING = "pending", "Aguardando envio"
        DELIVERED = "delivered", "Entregue"
        DEAD = "dead", "Falhou (lista de falhas)"

    class Action(models.TextChoices):
        CREATE = "create", "Inclusão"
        UPDATE = "update", "Alteração"
        DELETE = "delete", "Exclusão"

    endpoint = models.ForeignKey(Endpoint, related_name="deliveries", on_delete=models.CASCADE)
    company = models.ForeignKey(Company, related_name="+", on_delete=models.CASCADE)
    message_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    topic = models.CharField("tópico", max_length=40)
    registry = models.CharField(max_length=10)
    action = models.CharField(max_length=10, choices=Action.choices)
    local_id = models.BigIntegerField("código do cadastro")
    source = models.CharField("origem", max_length=20, blank=True)
    actor_id = models.IntegerField(null=True, blank=True)
    # The event's `event` part when it had to be taken at write time (a deletion: the row goes).
    record = models.JSONField(null=True, blank=True)
    body = models.TextField(blank=True)  # the JSON sent, frozen at the first attempt
    status = models.CharField("situação", max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField("tentativas", default=0)
    next_attempt_at = models.DateTimeField("próxima tentativa", null=True, blank=True)
    last_status_code = models.IntegerField("último código HTTP", null=True, blank=True)
    last_error = models.TextField("motivo da última falha", blank=True)
    created_at = models.DateTimeField("criado em", auto_now_add=True)
    delivered_at = models.DateTimeField("entregue em", null=True, blank=True)

    class Meta:
        verbose_name = "evento de webhook"
        verbose_name_plural = "eventos de webhook"
        indexes = [
            # The next pending event of an endpoint, in order.
            models.Index(fields=["endpoint", "id"], name="webhook_pending_fifo",
                         condition=models.Q(status="pending")),
            models.Index(fields=["endpoint", "status", "-id"], name="webhook_endpoint_status"),
        ]

    def __str__(self) -> str:
        return f"{self.topic} #{self.local_id} → {self.endpoint_id}"


class Attempt(models.Model):
    """One POST to an endpoint (an event, or the ping): the delivery log."""

    endpoint = models.ForeignKey(Endpoint, related_name="attempts", on_delete=models.CASCADE)
    delivery = models.ForeignKey(Delivery, related_name="attempt_log", null=True, blank=True,
                                 on_delete=models.CASCADE)
    at = models.DateTimeField("quando", auto_now_add=True)
    ok = models.BooleanField("sucesso", default=False)
    status_code = models.IntegerField("código HTTP", null=True, blank=True)
    duration_ms = models.PositiveIntegerField("tempo (ms)", default=0)
    answer = models.TextField("resposta (trecho)", blank=True)
    error = models.TextField("motivo", blank=True)

    class Meta:
        verbose_name = "tentativa de entrega"
        verbose_name_plural = "tentativas de entrega"
        indexes = [models.Index(fields=["endpoint", "-id"], name="webhook_attempt_recent")]

    def __str__(self) -> str:
        return f"{self.endpoint_id} {self.at:%d/%m/%Y %H:%M:%S} {self.status_code or '—'}"
