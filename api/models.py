"""Credentials of the Omie-compatible API, and which records came in through it."""

from __future__ import annotations

from django.db import models

from companies.models import Company


class ApiCredential(models.Model):
    """The app_key / app_secret pair of one company ("aplicativo").

    The app_key is public (13 digits, like Omie's). The secret is random and shown once,
    on creation or rotation; only a salted HMAC-SHA256 of it is kept. A slow password hash
    would cost every API request a fraction of a second and buys nothing for a 128-bit
    random secret.
    """

    company = models.OneToOneField(
        Company, verbose_name="empresa", related_name="api_credential", on_delete=models.CASCADE
    )
    app_key = models.CharField("app_key", max_length=20, unique=True)
    secret_salt = models.CharField("sal", max_length=32)
    secret_hash = models.CharField("hash do app_secret", max_length=64)
    created_at = models.DateTimeField("criada em", auto_now_add=True)
    rotated_at = models.DateTimeField("regenerada em", null=True, blank=True)

    class Meta:
        verbose_name = "credencial da API"
        verbose_name_plural = "credenciais da API"

    def __str__(self) -> str:
        return f"{self.app_key} ({self.company})"


class ApiImport(models.Model):
    """A record created through the API, for Omie's `apenas_importado_api` filter and
    `info.importado_api`. Metadata of the API, not a catalog record."""

    class Registry(models.TextChoices):
        PARTY = "party", "cliente/fornecedor"
        PRODUCT = "product", "produto"

    company = models.ForeignKey(Company, related_name="+", on_delete=models.CASCADE)
    registry = models.CharField(max_length=10, choices=Registry.choices)
    local_id = models.BigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "cadastro incluído pela API"
        verbose_name_plural = "cadastros incluídos pela API"
        constraints = [
            models.UniqueConstraint(fields=["company", "registry", "local_id"], name="api_import_unique")
        ]

    def __str__(self) -> str:
        return f"{self.registry} {self.local_id} @ {self.company_id}"


class ApiSpelling(models.Model):
    """How an integration last wrote values the catalog keeps in a normal form: CEP
    "01310-100" (kept as 01310100), code "prd-001" (PRD-001), telefone "(21) 99999-8888"
    (21 / 999998888), placeholders such as "00000000" (kept empty).

    Omie keeps these as text and answers them as they were sent; a sync that compares what
    it sent with what it reads would otherwise see a difference on every run. The API
    answers a remembered spelling while it still means the stored value, and the stored
    value once the record was changed (a page, sharing). Metadata of the API: the catalog,
    its uniqueness and sharing only ever see the normal form."""

    company = models.ForeignKey(Company, related_name="+", on_delete=models.CASCADE)
    registry = models.CharField(max_length=10, choices=ApiImport.Registry.choices)
    local_id = models.BigIntegerField()
    # Omie name → the text sent, e.g. {"cep": "01310-100", "telefone1_numero": "(21) 99999-8888"}.
    values = models.JSONField(default=dict)

    class Meta:
        verbose_name = "grafia enviada pela API"
        verbose_name_plural = "grafias enviadas pela API"
        constraints = [
            models.UniqueConstraint(fields=["company", "registry", "local_id"], name="api_spelling_unique")
        ]

    def __str__(self) -> str:
        return f"{self.registry} {self.local_id} @ {self.company_id}"
