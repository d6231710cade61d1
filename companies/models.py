"""Companies: each one is an Omie "aplicativo" (one per CNPJ), grouped, with members."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from omieshare.lib import brazil
from omieshare.lib.models import NormalizedFieldsMixin


class CompanyGroup(models.Model):
    """A group of companies (matriz and filiais) that may share master records."""

    name = models.CharField("nome", max_length=120, unique=True)
    created_at = models.DateTimeField("criado em", auto_now_add=True)

    class Meta:
        verbose_name = "grupo de empresas"
        verbose_name_plural = "grupos de empresas"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Company(NormalizedFieldsMixin, models.Model):
    """One Omie "aplicativo": a company with its own CNPJ and its own master records."""

    normalizers = {"cnpj": brazil.normalize_cnpj}

    group = models.ForeignKey(
        CompanyGroup,
        verbose_name="grupo de empresas",
        related_name="companies",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    cnpj = models.CharField(
        "CNPJ",
        max_length=14,
        unique=True,
        help_text="Numérico ou alfanumérico (a partir de julho de 2026). Ex.: 12.ABC.345/01DE-35.",
    )
    legal_name = models.CharField("razão social", max_length=120)
    trade_name = models.CharField("nome fantasia", max_length=120, blank=True)
    enforce_unique_records = models.BooleanField(
        "validação de unicidade de cadastros",
        default=False,
        help_text=(
            "Recusa um segundo cliente/fornecedor com o mesmo CNPJ/CPF e um segundo produto "
            "com o mesmo código ou EAN. Recomendado antes de compartilhar cadastros."
        ),
    )
    # Whether the company has an active webhook endpoint, kept by webhooks.services: a write
    # in a company without one reads it from the Company it holds and costs no query.
    webhooks_active = models.BooleanField("tem webhooks ativos", default=False, editable=False)
    created_at = models.DateTimeField("criada em", auto_now_add=True)

    class Meta:
        verbose_name = "empresa (aplicativo)"
        verbose_name_plural = "empresas (aplicativos)"
        ordering = ["legal_name"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.trade_name or self.legal_name

    def clean(self) -> None:
        """A company whose CNPJ or group a higher layer holds (a share it takes part in)
        keeps them: refused here so that every path that cleans before saving (forms,
        the admin, services) refuses it the same way."""
        super().clean()
        if self.pk is None:
            return
        stored = Company.objects.filter(pk=self.pk).values("cnpj", "group_id").first()
        if stored is None:
            return
        if (self.cnpj, self.group_id) == (stored["cnpj"], stored["group_id"]):
            return
        from companies.hooks import identity_locked_reason

        reason = identity_locked_reason(self.pk)
        if reason:
            # Not tied to a field: a form may show these fields read-only (the admin does),
            # and Django refuses a field error for a field the form lacks.
            raise ValidationError(reason)

    @property
    def cnpj_masked(self) -> str:
        return brazil.mask_cpf_cnpj(self.cnpj)


class Membership(models.Model):
    """A user's access to one company, with a role in it."""

    class Role(models.TextChoices):
        ADMIN = "admin", "Administrador"
        USER = "user", "Usuário"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="usuário",
        related_name="memberships",
        on_delete=models.CASCADE,
    )
    company = models.ForeignKey(
        Company, verbose_name="empresa", related_name="memberships", on_delete=models.CASCADE
    )
    role = models.CharField("papel", max_length=10, choices=Role.choices, default=Role.USER)
    created_at = models.DateTimeField("criado em", auto_now_add=True)

    class Meta:
        verbose_name = "acesso à empresa"
        verbose_name_plural = "acessos às empresas"
        constraints = [
            models.UniqueConstraint(fields=["user", "company"], name="membership_unique_user_company")
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.company} ({self.get_role_display()})"

    @property
    def is_admin(self) -> bool:
        return self.role == self.Role.ADMIN
