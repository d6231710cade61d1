"""The "Cadastros Compartilhados" wizard, as in Omie: what to share, the origin's
permissions, "Adicionar Empresas", each destination's permissions, "Salvar Alterações",
then (beyond the original) a preview, the irreversible warning and "Confirmar e ativar o
sincronismo".

The choices live in the session until the confirmation, so every step can go back
without losing them and nothing is written before the user confirms. The same steps (from
"Adicionar Empresas" on) add destinations to an active share.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.timezone import localtime
from django.views.decorators.http import require_http_methods

from catalog.registries import REGISTRIES, describe
from companies import selectors as company_selectors
from companies.models import Company
from companies.selectors import is_admin
from omieshare.lib.text import is_ascii_digits
from sharing import planner, selectors, services
from sharing.forms import AddCompaniesForm, ConfirmActivationForm, PermissionsForm, RegistriesForm
from sharing.models import Share, SyncJob
from sharing.services import Permissions
from sharing.views._common import (
    configure_admin_message,
    forbidden,
    left_share,
    origin_admin_message,
    page_number,
    share_for,
)

ROWS_PER_PAGE = 50
# The preview categories whose records planner.plan_rows can list (all of them).
LISTED_CATEGORIES = planner.CATEGORIES
ORIGIN_READ_ONLY_WARNING = (
    "Nenhuma permissão marcada para a origem: ninguém em {origin} poderá incluir, alterar nem excluir "
    "os cadastros compartilhados a partir dela; só as empresas destino com permissão poderão."
)


def registries_text(registries: list[str]) -> str:
    """What is shared, as a phrase: both labels joined with "e" would read "Clientes e
    fornecedores e Produtos"."""
    if set(registries) == set(REGISTRIES):
        return "Clientes, fornecedores e produtos"
    return ", ".join(describe(r).choice_label for r in registries)


class Wizard:
    """The wizard's choices for one origin (a new share) or one share (adding destinations),
    kept in the session."""

    def __init__(self, request: HttpRequest, company: Company, share: Share | None = None) -> None:
        self.request = request
        self.company = company
        self.share = share
        self.origin = share.origin if share else company
        self.key = f"sharing_add:{share.pk}" if share else f"sharing_wizard:{company.pk}"
        data = request.session.get(self.key) or {}
        if share is not None:
            self.registries = share.registries
            origin_member = share.members.get(is_origin=True)
            self.origin_permissions = Permissions(origin_member.can_create, origin_member.can_update,
                                                  origin_member.can_delete)
        else:
            self.registries = [r for r in data.get("registries", []) if r in REGISTRIES]
            self.origin_permissions = Permissions(**data["origin"]) if "origin" in data else None
        self.destinations: dict[int, Permissions] = {
            int(pk): Permissions(**fields) for pk, fields in data.get("destinations", {}).items()
        }

    # -- persistence ---------------------------------------------------------------
    def save(self) -> None:
        data = {"destinations": {str(pk): p.as_fields() for pk, p in self.destinations.items()}}
        if self.share is None:
            data["registries"] = self.registries
            if self.origin_permissions is not None:
                data["origin"] = self.origin_permissions.as_fields()
        self.request.session[self.key] = data

    def finish(self, job: SyncJob) -> None:
        """Forget the choices, but remember the job they started: Back, a reload or a second
        tab on the preview then learns that the share was activated instead of being sent
        to step 1 as if nothing had been chosen."""
        self.request.session.pop(self.key, None)
        self.request.session[f"{self.key}:activated"] = job.pk

    def activated_job(self) -> SyncJob | None:
        """The job this wizard's confirmation started, while no new choices were made since."""
        job_id = self.request.session.get(f"{self.key}:activated")
        if job_id is None or self.key in self.request.session:
            return None
        return SyncJob.objects.filter(pk=job_id, share__origin=self.origin).select_related("share").first()

    def plan(self) -> services.SharePlan:
        """What confirming would activate now (ValidationError if it would be refused)."""
        return services.share_plan(
            origin=self.origin, registries=self.registries, origin_permissions=self.origin_permissions,
            destinations={c: self.destinations[c.pk] for c in self.destination_companies()},
        )

    def origin_is_read_only(self) -> bool:
        """Omie accepts an origin without permissions; then nobody changes shared records there."""
        permissions = self.origin_permissions
        return permissions is not None and not (
            permissions.can_create or permissions.can_update or permissions.can_delete
        )

    # -- urls ------------------------------------------------------------------------
    def url(self, step: str, **kwargs) -> str:
        if self.share is None:
            return reverse(f"sharing:{step}", kwargs={"company_id": self.company.pk, **kwargs})
        return reverse(f"sharing:add_{step}", kwargs={"company_id": self.company.pk, "share_id": self.share.pk,
                                                       **kwargs})

    # -- reads -----------------------------------------------------------------------
    def free_registries(self) -> set[str]:
        return set(REGISTRIES) - selectors.busy_registries(self.origin.pk)

    def destination_companies(self) -> list[Company]:
        return list(Company.objects.filter(pk__in=self.destinations).order_by("legal_name"))

    def candidates(self) -> list[Company]:
        """Companies the user has access to that may still be added: not the origin, not
        already chosen or in this share, and not sharing these registries elsewhere."""
        excluded = {self.origin.pk, *self.destinations}
        if self.share is not None:
            excluded |= set(selectors.present_members(self.share).values_list("company_id", flat=True))
        wanted = set(self.registries)
        return [
            c for c in company_selectors.companies_for_user(self.request.user).order_by("legal_name")
            if c.pk not in excluded and not (selectors.busy_registries(c.pk) & wanted)
        ]

    def problems(self) -> list[tuple[str, str]]:
        """What is missing or no longer valid, each with the step that fixes it."""
        found: list[tuple[str, str]] = []
        if self.share is None:
            if not self.registries:
                found.append(("step_registries", "Escolha o que deseja sincronizar."))
            elif set(self.registries) - self.free_registries():
                found.append(("step_registries", f"{self.origin.display_name} já compartilha esse cadastro "
                                                 "em outro compartilhamento."))
            if self.origin_permissions is None:
                found.append(("step_origin", "Defina as permissões da empresa atual (Origem)."))
        if not self.destinations:
            found.append(("step_add", "Adicione pelo menos uma empresa destino."))
        allowed = {c.pk for c in company_selectors.companies_for_user(self.request.user)}
        for company in self.destination_companies():
            if company.pk not in allowed:
                found.append(("step_add", f"Você não tem mais acesso a {company.display_name}: remova-a."))
            elif selectors.busy_registries(company.pk) & set(self.registries):
                found.append(("step_destinations", f"{company.display_name} já participa de outro "
                                                   "compartilhamento desses cadastros: remova-a."))
        missing = set(self.destinations) - {c.pk for c in self.destination_companies()}
        if missing:
            found.append(("step_destinations", "Uma das empresas escolhidas não existe mais."))
        return found

    def context(self, step: str, **extra) -> dict:
        return {
            "company": self.company,
            "share": self.share,
            "origin": self.origin,
            "wizard": self,
            "step": step,
            "steps": self.steps(),
            "registry_labels": [describe(r).choice_label for r in self.registries],
            "registries_text": registries_text(self.registries),
            **extra,
        }

    def steps(self) -> list[dict]:
        names = [("step_add", "Adicionar Empresas"), ("step_destinations", "Permissões dos destinos"),
                 ("preview", "Prévia e confirmação")]
        if self.share is None:
            names = [("step_registries", "O que deseja sincronizar?"),
                     ("step_origin", "Permissões da Origem"), *names]
        return [{"name": n, "label": label, "url": self.url(n)} for n, label in names]


def _load(request: HttpRequest, company_id: int, share_id: int | None) -> Wizard | HttpResponse:
    """The wizard for an admin of the origin; a 403 page for anyone else with access; 404
    for outsiders (from company_for_user / share_for)."""
    if share_id is None:
        company = company_selectors.company_for_user(request.user, company_id)
        if not company.membership.is_admin:
            return forbidden(request, company, configure_admin_message(company))
        return Wizard(request, company)
    company, share = share_for(request, company_id, share_id)
    if not is_admin(request.user, share.origin):
        return forbidden(request, company, origin_admin_message(share))
    if share.status == Share.Status.DISSOLVED:
        messages.error(request, "Este compartilhamento foi encerrado; configure um novo.")
        raise _Redirect(reverse("sharing:share_detail", args=[company.pk, share.pk]))
    return Wizard(request, company, share)


class _Redirect(Exception):
    def __init__(self, url: str) -> None:
        self.url = url


def _wizard_view(func):
    """Loads the wizard (or answers 403/redirect) before the step's own code runs."""

    def view(request: HttpRequest, company_id: int, share_id: int | None = None, **kwargs) -> HttpResponse:
        try:
            wizard = _load(request, company_id, share_id)
        except _Redirect as redirect_to:
            return redirect(redirect_to.url)
        if isinstance(wizard, HttpResponse):
            return wizard
        return func(request, wizard, **kwargs)

    view.__name__ = func.__name__
    view.__doc__ = func.__doc__
    return login_required(view)


def _posted(request: HttpRequest):
    """The POST data for a bound form (even when empty: an empty post must show errors)."""
    return request.POST if request.method == "POST" else None


def _back(wizard: Wizard, step: str) -> HttpResponse:
    return redirect(wizard.url(step))


def _first_problem_before(wizard: Wizard, step: str) -> HttpResponse | None:
    """Send the user to the first earlier step that still needs something."""
    order = [s["name"] for s in wizard.steps()]
    for problem_step, message in wizard.problems():
        if problem_step in order and order.index(problem_step) < order.index(step):
            messages.error(wizard.request, message)
            return _back(wizard, problem_step)
    return None


# -- entry ------------------------------------------------------------------------------


@require_http_methods(["GET", "HEAD"])
@login_required
def wizard(request: HttpRequest, company_id: int) -> HttpResponse:
    """"Cadastros Compartilhados": the company's shares, or the wizard when there are none."""
    company = company_selectors.company_for_user(request.user, company_id)
    shares = list(
        Share.objects.filter(members__company=company)
        .exclude(status=Share.Status.DRAFT).select_related("origin").distinct().order_by("-created_at")
    )
    ended = []
    for share in shares:
        # Dissolved, or this company was removed from it (the others may go on sharing).
        left = left_share(share, company)
        if share.status == Share.Status.DISSOLVED:
            share.ended_note = f"encerrado em {date_format(localtime(share.dissolved_at), 'd/m/Y H:i')}"
        elif left is not None:
            share.ended_note = f"esta empresa foi removida em {date_format(localtime(left.removed_at), 'd/m/Y H:i')}"
        else:
            continue
        ended.append(share)
    live = [s for s in shares if s not in ended]
    admin = company.membership.is_admin
    free = set(REGISTRIES) - selectors.busy_registries(company.pk)
    if not live and admin:
        return redirect("sharing:step_registries", company_id=company.pk)
    if not shares and not admin:
        return forbidden(request, company, configure_admin_message(company))
    return render(request, "sharing/hub.html", {
        "company": company, "live_shares": live, "ended_shares": ended,
        "can_configure": admin and bool(free),
    })


# -- steps -----------------------------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
@_wizard_view
def step_registries(request: HttpRequest, wizard: Wizard) -> HttpResponse:
    """1. O que deseja sincronizar?"""
    free = wizard.free_registries()
    form = RegistriesForm(_posted(request), free_registries=free,
                          initial={"registries": wizard.registries or sorted(free)})
    if request.method == "POST" and form.is_valid():
        wizard.registries = form.cleaned_data["registries"]
        # Destinations chosen for other registries may no longer be free for these.
        wizard.save()
        return _back(wizard, "step_origin")
    return render(request, "sharing/step_registries.html", wizard.context("step_registries", form=form,
                                                                         nothing_free=not free))


@require_http_methods(["GET", "HEAD", "POST"])
@_wizard_view
def step_origin(request: HttpRequest, wizard: Wizard) -> HttpResponse:
    """2. Permissões da empresa atual (Origem), with the original's tip."""
    if (early := _first_problem_before(wizard, "step_origin")) is not None:
        return early
    initial = (wizard.origin_permissions or Permissions(True, True, True)).as_fields()
    form = PermissionsForm(_posted(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        wizard.origin_permissions = form.permissions()
        wizard.save()
        if wizard.origin_is_read_only():
            messages.warning(request, ORIGIN_READ_ONLY_WARNING.format(origin=wizard.origin.display_name))
        if "voltar" in request.POST:
            return _back(wizard, "step_registries")
        return _back(wizard, "step_add" if not wizard.destinations else "step_destinations")
    if request.method == "POST" and "voltar" in request.POST:
        return _back(wizard, "step_registries")
    group = [wizard.origin, *[c for c in company_selectors.companies_for_user(request.user)
                              .order_by("legal_name") if c.pk != wizard.origin.pk]]
    return render(request, "sharing/step_origin.html", wizard.context("step_origin", form=form, uniqueness=group))


@require_http_methods(["GET", "HEAD", "POST"])
@_wizard_view
def step_add(request: HttpRequest, wizard: Wizard) -> HttpResponse:
    """3. Adicionar Empresas: only companies the user has access to and that are free."""
    if (early := _first_problem_before(wizard, "step_add")) is not None:
        return early
    candidates = wizard.candidates()
    form = AddCompaniesForm(_posted(request), candidates=candidates)
    if request.method == "POST":
        if "voltar" in request.POST:
            if wizard.share is not None:
                return redirect("sharing:share_detail", wizard.company.pk, wizard.share.pk)
            return _back(wizard, "step_origin")
        if form.is_valid():
            for pk in form.cleaned_data["companies"]:
                wizard.destinations.setdefault(pk, Permissions())
            wizard.save()
            count = len(form.cleaned_data["companies"])
            messages.success(request, f"{count} empresa(s) adicionada(s). Defina as permissões de cada uma.")
            return _back(wizard, "step_destinations")
    return render(request, "sharing/step_add.html", wizard.context(
        "step_add", form=form, candidates=candidates, chosen=wizard.destination_companies()))


@require_http_methods(["GET", "HEAD", "POST"])
@_wizard_view
def step_destinations(request: HttpRequest, wizard: Wizard) -> HttpResponse:
    """4. Permissions per destination; "Remover"; "Salvar Alterações" opens the preview."""
    if (early := _first_problem_before(wizard, "step_add")) is not None:
        return early
    companies = wizard.destination_companies()
    if not companies:
        messages.error(request, "Adicione pelo menos uma empresa destino.")
        return _back(wizard, "step_add")
    forms = [
        (c, PermissionsForm(_posted(request), prefix=f"c{c.pk}",
                            initial=wizard.destinations[c.pk].as_fields()))
        for c in companies
    ]
    if request.method == "POST" and all(form.is_valid() for _, form in forms):
        for company, form in forms:
            wizard.destinations[company.pk] = form.permissions()
        removed = request.POST.get("remover")
        if removed:
            name = next((c.display_name for c in companies if str(c.pk) == removed), None)
            wizard.destinations.pop(int(removed) if is_ascii_digits(removed) else -1, None)
            wizard.save()
            if name:
                messages.info(request, f"{name} removida da lista de destinos.")
            return _back(wizard, "step_destinations" if wizard.destinations else "step_add")
        wizard.save()
        if "voltar" in request.POST:
            return _back(wizard, "step_origin" if wizard.share is None else "step_add")
        if "adicionar" in request.POST:
            return _back(wizard, "step_add")
        if (problem := next(iter(wizard.problems()), None)) is not None:
            messages.error(request, problem[1])
            return _back(wizard, problem[0])
        return _back(wizard, "preview")
    return render(request, "sharing/step_destinations.html", wizard.context("step_destinations", forms=forms))


# -- preview and confirmation -------------------------------------------------------------


def _preview_rows(wizard: Wizard, companies: list[Company]) -> list[dict]:
    plans = planner.plan(origin=wizard.origin, destinations=companies, registries=wizard.registries)
    rows = []
    for p in plans:
        cells = []
        for category in planner.CATEGORIES:
            count = p.counts.get(category, 0)
            url = None
            if count and category in LISTED_CATEGORIES:
                url = wizard.url("preview_rows", dest_id=p.company.pk, registry=p.registry, category=category)
            cells.append({"category": category, "label": planner.CATEGORY_LABELS[category], "count": count,
                          "url": url})
        rows.append({"company": p.company, "registry": describe(p.registry).choice_label, "cells": cells})
    return rows


def _running_activation(origin: Company, share: Share | None = None) -> SyncJob | None:
    jobs = SyncJob.objects.filter(share=share) if share is not None else SyncJob.objects.filter(share__origin=origin)
    return (
        jobs.live().filter(kind=SyncJob.Kind.ACTIVATE)
        .order_by("-created_at").first()
    )


def _job_url(company: Company, job: SyncJob) -> str:
    return reverse("sharing:job", args=[company.pk, job.share_id, job.pk])


@require_http_methods(["GET", "HEAD", "POST"])
@_wizard_view
def preview(request: HttpRequest, wizard: Wizard) -> HttpResponse:
    """5–7. What activation will do, the irreversible warning, "Confirmar e ativar"."""
    problems = wizard.problems()
    if problems and (activated := wizard.activated_job()) is not None:
        # Back, a reload or a second tab after confirming: the choices are gone because
        # they were used, not because they were never made.
        share_url = reverse("sharing:share_detail", args=[wizard.company.pk, activated.share_id])
        messages.info(request, format_html(
            'Este compartilhamento já foi ativado: nada mais a confirmar. Acompanhe a ativação abaixo ou '
            '<a href="{}">veja o compartilhamento nº {}</a>.', share_url, activated.share_id))
        return redirect(_job_url(wizard.company, activated))
    if request.method == "POST" and (problems or not wizard.destinations):
        # A refresh after activating, or a second tab: never a second activation.
        running = _running_activation(wizard.origin, wizard.share)
        if running is not None:
            wizard.finish(running)
            messages.info(request, "A ativação já foi iniciada: acompanhe o andamento abaixo.")
            return redirect(_job_url(wizard.company, running))
    if problems:
        messages.error(request, problems[0][1])
        return _back(wizard, problems[0][0])
    form = ConfirmActivationForm(_posted(request))
    plan, preview_error = None, ""
    try:
        plan = wizard.plan()
    except ValidationError as error:  # what problems() does not foresee; confirming says it again
        preview_error = error.messages[0]
    if request.method == "POST":
        if "voltar" in request.POST:
            return _back(wizard, "step_destinations")
        # Another tab (or admin) changed the choices after this page was shown: it would
        # activate something the user never saw. The service checks again under the lock.
        if plan is not None and request.POST.get("fingerprint") != plan.fingerprint:
            return _configuration_changed(wizard)
        if form.is_valid():
            try:
                job = _activate(wizard, form.cleaned_data["fingerprint"])
            except PermissionDenied as error:
                return forbidden(request, wizard.company, str(error))
            except services.ConfigurationChanged:
                return _configuration_changed(wizard)
            except ValidationError as error:
                running = _running_activation(wizard.origin, wizard.share)
                if running is not None:
                    wizard.finish(running)
                    messages.info(request, error.messages[0])
                    return redirect(_job_url(wizard.company, running))
                form.add_error(None, error.messages[0])
            else:
                wizard.finish(job)
                return redirect(_job_url(wizard.company, job))
    companies = wizard.destination_companies()
    rows = []
    if plan is not None:
        for note in plan.notes:
            messages.warning(request, note)
    if not preview_error:
        try:
            rows = _preview_rows(wizard, companies)
        except ValidationError as error:  # no PostgreSQL (the embedded SQLite of a first run)
            preview_error = error.messages[0]
    # What the confirmation starts (and its fingerprint), not merely what this session chose.
    if plan is not None:
        destinations, origin_permissions = list(plan.destinations.items()), plan.origin_permissions
    else:
        destinations = [(c, wizard.destinations[c.pk]) for c in companies]
        origin_permissions = wizard.origin_permissions
    return render(request, "sharing/preview.html", wizard.context(
        "preview", form=form, rows=rows, preview_error=preview_error,
        field_sharing=selectors.field_sharing(wizard.registries),
        fingerprint=plan.fingerprint if plan is not None else "",
        destinations=[(c, permissions.display()) for c, permissions in destinations],
        origin_permissions=origin_permissions.display(),
        origin_read_only_warning=ORIGIN_READ_ONLY_WARNING.format(origin=wizard.origin.display_name)
        if wizard.share is None and wizard.origin_is_read_only() else "",
    ))


def _configuration_changed(wizard: Wizard) -> HttpResponse:
    """Refuse a confirmation of a page that no longer shows what would be activated, and
    show the new preview, which the user may confirm."""
    messages.error(wizard.request, f"{services.CONFIGURATION_CHANGED} Confira abaixo o que será ativado agora "
                                   "e, se estiver de acordo, confirme de novo.")
    return _back(wizard, "preview")


def _activate(wizard: Wizard, expected_fingerprint: str) -> SyncJob:
    # Refused (nothing configured) unless it starts what the page showed. Two tabs
    # confirming at once: the second finds the fingerprint changed or the job running.
    return services.share_start(
        origin=wizard.origin, registries=wizard.registries, origin_permissions=wizard.origin_permissions,
        destinations={c: wizard.destinations[c.pk] for c in wizard.destination_companies()},
        expected_fingerprint=expected_fingerprint, user=wizard.request.user,
    )


def _shown_key(registry: str, key: str) -> str:
    if not key:
        return "—"
    return describe(registry).display_key(key)


@require_http_methods(["GET", "HEAD"])
@_wizard_view
def preview_rows(request: HttpRequest, wizard: Wizard, dest_id: int, registry: str, category: str) -> HttpResponse:
    """The records behind one count of the preview, with their differences, 50 a page."""
    if dest_id not in wizard.destinations or registry not in wizard.registries or category not in LISTED_CATEGORIES:
        raise Http404("Esta lista não faz parte da prévia.")
    # Chosen from the user's own companies at step 3; read through their memberships anyway.
    dest = get_object_or_404(company_selectors.companies_for_user(request.user), pk=dest_id)
    number = page_number(request)
    rows = planner.plan_rows(origin=wizard.origin, dest=dest, registry=registry, category=category,
                             offset=(number - 1) * ROWS_PER_PAGE, limit=ROWS_PER_PAGE + 1)
    has_next = len(rows) > ROWS_PER_PAGE
    items = []
    for row in rows[:ROWS_PER_PAGE]:
        values = row["new"] or row["old"] or {}
        items.append({
            "key": _shown_key(registry, row["key"]),
            "name": row.get("name") or values.get("legal_name") or values.get("description") or "",
            "differences": row["differences"],
            "in_destination": [(_shown_key(registry, key), name) for key, name in row.get("in_destination", [])],
        })
    return render(request, "sharing/preview_rows.html", wizard.context(
        "preview", dest=dest, registry_label=describe(registry).choice_label,
        category_label=planner.CATEGORY_LABELS[category], category=category, items=items,
        registry=describe(registry),
        page=number, has_next=has_next, has_previous=number > 1,
    ))

