"""Confirming activates exactly what the confirmation showed (issue 10, §2).

One login, two tabs: tab A shows "Filial Sul — inclusão"; tab B changes the choices;
tab A's "Confirmar e ativar o sincronismo" must not activate what only tab B saw. The
same between the prompt of `manage.py share_activate` and the answer typed into it.
"""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import CommandError, call_command

from companies.models import Membership
from sharing import services
from sharing.models import AuditEntry, Share, ShareMember, SyncJob
from sharing.services import Permissions
from tests.factories import CompanyFactory, MembershipFactory
from tests.helpers import confirmation, make_product, share_between
from tests.helpers import sharing_url as url

pytestmark = pytest.mark.django_db

CHANGED = "A configuração do compartilhamento mudou desde que a prévia foi mostrada"
INCLUDE_ONLY = Permissions(True, False, False)
EVERYTHING = Permissions(True, True, True)


@pytest.fixture
def branches(owner, company):
    """Three branches the owner administers, with accents and long names as in production."""
    names = [("Filial Sul Comércio de Alimentos Ltda", "Filial Sul"),
             ("Filial Norte Distribuição e Logística S.A.", "Filial Norte"),
             ("Filial Leste Indústria Metalúrgica Ltda", "Filial Leste")]
    found = {}
    for legal_name, trade_name in names:
        branch = CompanyFactory(legal_name=legal_name, trade_name=trade_name)
        MembershipFactory(user=owner, company=branch, role=Membership.Role.ADMIN)
        found[trade_name] = branch
    make_product(company, "NB-14", "Notebook 14 polegadas")
    return found


def choose(client, company, destinations: dict, *, add=None, registries=("product",), flow="", **kwargs):
    """Walk the wizard's steps (what a tab does): add the companies `add` (by default all
    of `destinations`), give each destination its permissions, end on the preview."""
    if not flow:
        client.post(url("step_registries", company), {"registries": list(registries)})
        client.post(url("step_origin", company), {"can_create": "on", "can_update": "on", "can_delete": "on"})
    added = client.post(url(f"{flow}step_add", company, **kwargs),
                        {"companies": [c.pk for c in (destinations if add is None else add)]})
    assert added.status_code == 302, added.content.decode()
    data = {}
    for c, permissions in destinations.items():
        data.update({f"c{c.pk}-{name}": "on" for name, on in permissions.as_fields().items() if on})
    response = client.post(url(f"{flow}step_destinations", company, **kwargs), data)
    assert response.headers["Location"] == url(f"{flow}preview", company, **kwargs)


def shown_destinations(html: str) -> list[str]:
    return re.findall(r"<dt>Destino</dt><dd>([^<]*)</dd>", html)


def test_it_refuses_a_confirmation_of_choices_changed_in_another_tab(login, owner, company, branches):
    client = login(owner)  # one login: both tabs share its session
    sul = branches["Filial Sul"]
    choose(client, company, {sul: INCLUDE_ONLY})
    tab_a = confirmation(client, url("preview", company), acknowledge="on")  # shows Sul — inclusão
    # Tab B: adds the two others and gives all three every permission.
    choose(client, company, dict.fromkeys(branches.values(), EVERYTHING),
           add=[branches["Filial Norte"], branches["Filial Leste"]])

    refused = client.post(url("preview", company), tab_a, follow=True)

    html = refused.content.decode()
    assert refused.redirect_chain == [(url("preview", company), 302)]
    assert CHANGED in html and "nada foi ativado" in html and "confirme de novo" in html
    # The new preview: what confirming will now do.
    assert sorted(shown_destinations(html)) == [
        "Filial Leste — inclusão, edição, exclusão", "Filial Norte — inclusão, edição, exclusão",
        "Filial Sul — inclusão, edição, exclusão"]
    assert "ESSA OPERAÇÃO É IRREVERSÍVEL" in html
    assert not Share.objects.exists() and not ShareMember.objects.exists() and not SyncJob.objects.exists()

    # ... which the user can then confirm, as shown.
    confirmed = client.post(url("preview", company), confirmation(client, url("preview", company), acknowledge="on"))
    job = SyncJob.objects.get()
    assert confirmed.headers["Location"] == url("job", company, share_id=job.share_id, job_id=job.pk)
    for branch in branches.values():
        assert Permissions.of(job.share.members.get(company=branch)) == EVERYTHING


def test_it_refuses_a_stale_confirmation_even_without_the_acknowledgement(login, owner, company, branches):
    client = login(owner)
    sul = branches["Filial Sul"]
    choose(client, company, {sul: INCLUDE_ONLY})
    tab_a = confirmation(client, url("preview", company))
    norte = branches["Filial Norte"]
    choose(client, company, {sul: EVERYTHING, norte: EVERYTHING}, add=[norte])

    response = client.post(url("preview", company), tab_a, follow=True)

    html = response.content.decode()
    assert CHANGED in html and "Marque a caixa" not in html
    assert sorted(shown_destinations(html)) == ["Filial Norte — inclusão, edição, exclusão",
                                                "Filial Sul — inclusão, edição, exclusão"]


def test_it_activates_an_unchanged_confirmation_as_shown(login, owner, company, branches):
    client = login(owner)
    sul = branches["Filial Sul"]
    choose(client, company, {sul: INCLUDE_ONLY})
    html = client.get(url("preview", company)).content.decode()
    assert shown_destinations(html) == ["Filial Sul — inclusão"]

    response = client.post(url("preview", company), confirmation(client, url("preview", company), acknowledge="on"))

    job = SyncJob.objects.get()
    assert response.headers["Location"] == url("job", company, share_id=job.share_id, job_id=job.pk)
    assert [(m.company, Permissions.of(m)) for m in job.share.members.filter(is_origin=False)] == [
        (sul, INCLUDE_ONLY)]


def test_it_refuses_a_confirmation_without_its_fingerprint(login, owner, company, branches):
    client = login(owner)
    choose(client, company, {branches["Filial Sul"]: INCLUDE_ONLY})

    response = client.post(url("preview", company), {"acknowledge": "on"}, follow=True)

    assert CHANGED in response.content.decode()
    assert not Share.objects.exists()


def test_it_refuses_a_change_that_slips_in_after_the_page_was_checked(login, owner, company, branches, monkeypatch):
    """The view's own comparison passed; a change lands before the activation starts (here,
    inside its transaction): share_activate's check under the lock refuses it, and the
    configuration written for it is rolled back."""
    client = login(owner)
    sul = branches["Filial Sul"]
    choose(client, company, {sul: INCLUDE_ONLY})
    real_activate = services.share_activate

    def activate_after_a_change(*, share, **kwargs):
        member = share.members.get(company=sul)
        services.member_set_permissions(member=member, permissions=EVERYTHING)
        return real_activate(share=share, **kwargs)

    monkeypatch.setattr(services, "share_activate", activate_after_a_change)
    response = client.post(url("preview", company), confirmation(client, url("preview", company), acknowledge="on"),
                           follow=True)

    assert CHANGED in response.content.decode()
    assert not Share.objects.exists() and not SyncJob.objects.exists() and not AuditEntry.objects.exists()


def test_adding_a_destination_is_refused_when_the_origin_changed_meanwhile(login, owner, company, branches):
    """Adding to an active share: the preview shows the origin's permissions too; an admin
    changing them (Editar) before the confirmation makes it show something else."""
    sul, norte = branches["Filial Sul"], branches["Filial Norte"]
    share = share_between(company, sul, registries=("product",))
    client = login(owner)
    choose(client, company, {norte: INCLUDE_ONLY}, flow="add_", share_id=share.pk)
    preview_url = url("add_preview", company, share_id=share.pk)
    tab_a = confirmation(client, preview_url, acknowledge="on")
    services.member_set_permissions(member=share.members.get(is_origin=True), permissions=INCLUDE_ONLY, user=owner)

    response = client.post(preview_url, tab_a, follow=True)

    html = response.content.decode()
    assert CHANGED in html and "Matriz — inclusão</dd>" in html
    assert not share.members.filter(company=norte).exists() and share.jobs.count() == 1
    client.post(preview_url, confirmation(client, preview_url, acknowledge="on"))
    assert share.members.get(company=norte).state == ShareMember.State.PENDING
    assert share.jobs.count() == 2


def test_the_service_refuses_a_stale_fingerprint_and_starts_nothing(company, branches):
    sul = branches["Filial Sul"]
    plan = services.share_plan(origin=company, registries=["product"], origin_permissions=EVERYTHING,
                               destinations={sul: INCLUDE_ONLY})
    share = services.share_configure(origin=company, registries=["product"], origin_permissions=EVERYTHING,
                                     destinations={sul: EVERYTHING})

    with pytest.raises(services.ConfigurationChanged, match=CHANGED):
        services.share_activate(share=share, confirmed=True, expected_fingerprint=plan.fingerprint)

    assert not SyncJob.objects.exists()
    share.refresh_from_db()
    assert share.status == Share.Status.DRAFT
    services.member_set_permissions(member=share.members.get(company=sul), permissions=INCLUDE_ONLY)
    assert services.share_activate(share=share, confirmed=True, expected_fingerprint=plan.fingerprint)


# --- manage.py share_activate: between the prompt and the answer ---------------------------


class AnswerAfter(io.StringIO):
    """stdin whose answer arrives after `change` ran: what happens while the prompt waits."""

    def __init__(self, answer: str, change) -> None:
        super().__init__(answer)
        self.change = change

    def readline(self, *args) -> str:
        self.change()
        return super().readline(*args)


@pytest.fixture
def products_shared_with_sul(company, branches):
    return share_between(company, branches["Filial Sul"], registries=("product",))


def _activate_norte(company, branches, monkeypatch, change, answer="sim\n") -> tuple[str, CommandError | None]:
    monkeypatch.setattr("sys.stdin", AnswerAfter(answer, change))
    out = io.StringIO()
    try:
        call_command("share_activate", "--origin", company.cnpj, "--to", branches["Filial Norte"].cnpj,
                     "--registries", "products", "--destination-permissions", "include", stdout=out)
    except CommandError as error:
        return out.getvalue(), error
    return out.getvalue(), None


def test_the_command_refuses_when_the_origin_changed_while_the_prompt_waited(
        company, branches, products_shared_with_sul, monkeypatch):
    share = products_shared_with_sul
    origin_member = share.members.get(is_origin=True)

    printed, error = _activate_norte(company, branches, monkeypatch, lambda: services.member_set_permissions(
        member=origin_member, permissions=INCLUDE_ONLY))

    assert "Origem: Matriz — inclusão, edição, exclusão" in printed  # what the prompt showed
    assert "Destino: Filial Norte — inclusão" in printed
    assert error is not None and error.returncode == 1
    assert CHANGED in str(error) and "nada foi ativado" in str(error) and "Rode o comando de novo" in str(error)
    assert not share.members.filter(company=branches["Filial Norte"]).exists()
    assert share.jobs.count() == 1


def test_the_command_refuses_when_another_destination_would_join_unseen(
        company, branches, products_shared_with_sul, monkeypatch):
    """Someone leaves Filial Leste waiting for activation in the same share: answering "sim"
    would activate it too, which the prompt never showed."""
    share = products_shared_with_sul

    _printed, error = _activate_norte(company, branches, monkeypatch, lambda: services.member_add(
        share=share, company=branches["Filial Leste"], permissions=EVERYTHING))

    assert error is not None and CHANGED in str(error)
    assert not share.members.filter(company=branches["Filial Norte"]).exists()
    assert share.members.get(company=branches["Filial Leste"]).state == ShareMember.State.PENDING
    assert share.jobs.count() == 1


@pytest.mark.django_db(transaction=True)  # the command runs the job in a thread of its own
def test_the_command_activates_what_the_prompt_showed_when_nothing_changed(
        company, branches, products_shared_with_sul, monkeypatch):
    share = products_shared_with_sul

    printed, error = _activate_norte(company, branches, monkeypatch, lambda: None)

    assert error is None, error
    assert f"Configuração a ativar (entrada no compartilhamento nº {share.pk}):" in printed
    member = share.members.get(company=branches["Filial Norte"])
    assert member.state == ShareMember.State.ACTIVE and Permissions.of(member) == INCLUDE_ONLY
