"""Helpers shared by the sharing pages: who may see and change a share, durations, paging."""

from __future__ import annotations

from django.db.models import Exists, OuterRef
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from companies import selectors as company_selectors
from companies.models import Company
from omieshare.lib.text import ascii_int
from sharing import selectors
from sharing.models import Share, ShareMember


def forbidden(request: HttpRequest, company: Company, message: str) -> HttpResponse:
    """403 with a message the user understands (Django's default 403 page says nothing)."""
    return render(request, "sharing/forbidden.html", {"company": company, "message": message}, status=403)


def share_for(request: HttpRequest, company_id: int, share_id: int) -> tuple[Company, Share]:
    """The company (404 unless the user is a member of it) and a share it takes part in or
    took part in (404 otherwise, drafts included: they are not shown anywhere).

    A company that was removed and added back has two member rows (one removed, one
    present), so membership is tested with EXISTS rather than a join that would find the
    share twice. A removed company still finds the share: its records came from it, and
    the pages show it read-only up to its removal (see `removed_at`)."""
    company = company_selectors.company_for_user(request.user, company_id)
    took_part = ShareMember.objects.filter(share=OuterRef("pk"), company=company)
    share = get_object_or_404(
        Share.objects.select_related("origin").exclude(status=Share.Status.DRAFT).filter(Exists(took_part)),
        pk=share_id,
    )
    return company, share


def left_share(share: Share, company: Company) -> ShareMember | None:
    """The company's last member row if it was removed from a share that goes on without
    it (and not added back); None while it takes part, or once the share was dissolved
    (everyone left together, nothing happens after). Such a company sees the share as it
    was up to its removal: its records stay, but are no longer updated."""
    if share.status == Share.Status.DISSOLVED or selectors.present_members(share).filter(company=company).exists():
        return None
    return share.members.filter(company=company).order_by("-removed_at").first()


def configure_admin_message(company: Company) -> str:
    """Refusal for a new share: it is configured from the company that will be its origin,
    by an admin of that company (the company need not be an origin yet)."""
    return (
        f"Somente administradores de {company.display_name} podem configurar um compartilhamento "
        "de cadastros a partir desta empresa. Peça a um administrador que faça essa configuração."
    )


def origin_admin_message(share: Share) -> str:
    """Refusal for changing an existing share: only its origin's admins may."""
    origin = share.origin
    return (
        f"Somente administradores de {origin.display_name} (empresa origem) podem configurar "
        "o compartilhamento de cadastros. Peça a um administrador que faça essa configuração."
    )


# Far beyond any list (100,000 records at 50 a page are 2,000 pages): a larger number would
# overflow PostgreSQL's OFFSET (bigint) and fail the query.
MAX_PAGE = 1_000_000


def page_number(request: HttpRequest) -> int:
    try:
        number = ascii_int(request.GET.get("pagina", "1"))
    except ValueError:
        raise Http404("Página inválida.") from None
    if not 1 <= number <= MAX_PAGE:
        raise Http404("Página inválida.")
    return number
