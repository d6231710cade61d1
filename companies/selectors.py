"""Reads for companies. Every page of a company gets it through `company_for_user`."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from companies.models import Company, Membership


def is_admin(user, company: Company) -> bool:
    """Whether the user administers the company (Membership.is_admin, without the row)."""
    return Membership.objects.filter(user=user, company=company, role=Membership.Role.ADMIN).exists()


def companies_for_user(user) -> QuerySet[Company]:
    """The companies the user has a membership in (superusers included: no bypass)."""
    if not user.is_authenticated:
        return Company.objects.none()
    return Company.objects.filter(memberships__user=user).select_related("group").distinct()


def company_for_user(user, company_id: int) -> Company:
    """The company, if the user is a member of it; 404 otherwise (never 403: an outsider
    must not learn that the company exists). The membership is on `company.membership`."""
    if not user.is_authenticated:
        raise Http404
    membership = (
        Membership.objects.select_related("company", "company__group")
        .filter(user=user, company_id=company_id)
        .first()
    )
    if membership is None:
        raise Http404("Empresa não encontrada.")
    company = membership.company
    company.membership = membership
    return company


def group_companies(company: Company) -> QuerySet[Company]:
    """The companies of the same group (just the company itself when it has no group)."""
    if company.group_id is None:
        return Company.objects.filter(pk=company.pk)
    return Company.objects.filter(group_id=company.group_id).order_by("legal_name")


def memberships_for_user(user) -> QuerySet[Membership]:
    """The user's memberships with their companies, for "Meus Aplicativos" (company + role)."""
    if not user.is_authenticated:
        return Membership.objects.none()
    return (
        Membership.objects.filter(user=user)
        .select_related("company", "company__group")
        .order_by("company__legal_name", "company_id")
    )


def group_companies_for_user(company: Company, user) -> list[tuple[Company, Membership | None]]:
    """The group's companies, each with the user's membership in it (None where the user has
    no access: such a company may be listed but must never be linked to)."""
    companies = list(group_companies(company))
    memberships = {
        m.company_id: m for m in Membership.objects.filter(user=user, company__in=[c.pk for c in companies])
    }
    return [(c, memberships.get(c.pk)) for c in companies]
