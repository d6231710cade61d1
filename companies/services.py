"""Writes for companies, groups and memberships."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction

from companies.models import Company, CompanyGroup, Membership
from companies.selectors import is_admin


def group_get_or_create(*, name: str) -> CompanyGroup:
    group, _ = CompanyGroup.objects.get_or_create(name=name.strip())
    return group


def company_create(
    *,
    cnpj: str,
    legal_name: str,
    trade_name: str = "",
    group: CompanyGroup | None = None,
    enforce_unique_records: bool = False,
) -> Company:
    with transaction.atomic():
        company = Company(
            cnpj=cnpj,
            legal_name=legal_name,
            trade_name=trade_name,
            group=group,
            enforce_unique_records=enforce_unique_records,
        )
        company.full_clean()
        company.save()
        return company


def membership_grant(*, user, company: Company, role: str = Membership.Role.USER) -> Membership:
    """Give a user access to a company (or change their role there)."""
    with transaction.atomic():
        membership, _ = Membership.objects.update_or_create(
            user=user, company=company, defaults={"role": role}
        )
        return membership


def company_set_unique_validation(*, company: Company, user, enabled: bool) -> Company:
    """Turn "validação de unicidade de cadastros" on or off. Only the company's admins may."""
    with transaction.atomic():
        company = Company.objects.select_for_update().get(pk=company.pk)
        if not is_admin(user, company):
            raise PermissionDenied(
                "Somente administradores da empresa podem alterar a validação de unicidade."
            )
        company.enforce_unique_records = enabled
        company.save(update_fields=["enforce_unique_records"])
        return company


# What company_update may change; the rest (created_at, memberships) is not a company's data.
COMPANY_FIELDS = ("cnpj", "legal_name", "trade_name", "group", "enforce_unique_records")


def company_update(*, company: Company, data: dict[str, Any]) -> Company:
    """Change a company's data (any of COMPANY_FIELDS), validated like a new one.

    Refused with the reason (ValidationError, nothing saved) when a higher layer holds the
    company's CNPJ and group: a company taking part in a share keeps them (Company.clean)."""
    unknown = set(data) - set(COMPANY_FIELDS)
    if unknown:
        raise ValueError(f"company_update: unknown fields {sorted(unknown)}")
    with transaction.atomic():
        company = Company.objects.select_for_update().get(pk=company.pk)
        for name, value in data.items():
            setattr(company, name, value)
        company.full_clean()
        company.save(update_fields=list(data))
        return company
