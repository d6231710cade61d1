"""Rules that hold on every path, kept in services (issue 11): the admin, the pages and the
commands call the same service and say the same thing; SyncJob's state changes keep the
lease's fencing token."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from companies import services as company_services
from companies.models import Company, Membership
from sharing import services
from sharing.models import AuditEntry, Change, Share, ShareMember, SyncJob
from sharing.services import Permissions
from sharing.tasks import run_sync_job
from tests.factories import CompanyFactory, CompanyGroupFactory, MembershipFactory, ProductFactory, UserFactory
from tests.helpers import ALL, apply_pending, make_product, share_between

pytestmark = pytest.mark.django_db

EDIT_ONLY = Permissions(can_create=False, can_update=True, can_delete=False)


@pytest.fixture
def group():
    return CompanyGroupFactory(name="Grupo Araújo & Filhos Comércio de Alimentos")


@pytest.fixture
def dest(owner, group):
    company = CompanyFactory(legal_name="Filial Sul Distribuição de Alimentos Ltda", trade_name="Filial Sul",
                             group=group, cnpj="11444777000161")
    MembershipFactory(user=owner, company=company, role=Membership.Role.ADMIN)
    return company


@pytest.fixture
def north(group):
    return CompanyFactory(legal_name="Filial Norte Ltda", trade_name="Filial Norte", group=group)


@pytest.fixture
def share(company, dest, north):
    ProductFactory(company=company, code="A1", description="Água mineral sem gás 500 ml")
    return share_between(company, dest, north, registries=("product",))


@pytest.fixture
def staff(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def _messages(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def _admin_action(client, model: str, action: str, objects) -> list[str]:
    response = client.post(reverse(f"admin:sharing_{model}_changelist"),
                           {"action": action, "_selected_action": [obj.pk for obj in objects]})
    assert response.status_code == 302
    return _messages(response)


def _edit_url(company, share) -> str:
    return reverse("sharing:share_edit", kwargs={"company_id": company.pk, "share_id": share.pk})


def _permissions_post(share, changes: dict[int, Permissions]) -> dict:
    """The "Editar" form as posted: every present member's checkboxes."""
    data = {}
    for member in share.members.exclude(state=ShareMember.State.REMOVED):
        permissions = changes.get(member.pk, Permissions.of(member))
        for name, value in permissions.as_fields().items():
            if value:
                data[f"m{member.pk}-{name}"] = "on"
    return data


# -- "Editar": permissions and removals, all or nothing --------------------------------------


def test_it_leaves_nothing_half_applied_when_a_removal_is_refused(login, owner, company, dest, north, share):
    dest_member = share.members.get(company=dest)
    north_member = share.members.get(company=north)
    before = Permissions.of(dest_member)
    services.resync_start(share=share)  # a sync in progress: removals wait for it
    data = {**_permissions_post(share, {dest_member.pk: EDIT_ONLY}), "remover": [str(north_member.pk)]}

    response = login(owner).post(_edit_url(company, share), data, follow=True)

    html = response.content.decode()
    assert "Aguarde a conclusão da sincronização em andamento antes de remover empresas." in html
    assert "Permissões de Filial Sul alteradas" not in html
    dest_member.refresh_from_db()
    north_member.refresh_from_db()
    assert Permissions.of(dest_member) == before != EDIT_ONLY
    assert north_member.state == ShareMember.State.ACTIVE
    assert not AuditEntry.objects.filter(detail__startswith="Permissões de Filial Sul").exists()


def test_it_saves_permissions_and_a_removal_together(login, owner, company, dest, north, share):
    dest_member = share.members.get(company=dest)
    north_member = share.members.get(company=north)
    data = {**_permissions_post(share, {dest_member.pk: EDIT_ONLY}), "remover": [str(north_member.pk)]}

    html = login(owner).post(_edit_url(company, share), data, follow=True).content.decode()

    assert "Permissões de Filial Sul alteradas." in html
    assert "Filial Norte removida do compartilhamento" in html
    dest_member.refresh_from_db()
    north_member.refresh_from_db()
    assert Permissions.of(dest_member) == EDIT_ONLY
    assert north_member.state == ShareMember.State.REMOVED
    share.refresh_from_db()
    assert share.status == Share.Status.ACTIVE  # Filial Sul is still a destination


def test_share_members_update_refuses_a_web_user_who_is_not_an_origin_admin(member, share, dest):
    dest_member = share.members.get(company=dest)
    with pytest.raises(PermissionDenied):
        services.share_members_update(share=share, permissions={dest_member.pk: EDIT_ONLY}, user=member)
    dest_member.refresh_from_db()
    assert Permissions.of(dest_member) != EDIT_ONLY


def test_share_members_update_refuses_a_member_of_another_share(share, company, dest):
    other = share_between(CompanyFactory(legal_name="Outra Matriz S.A."), CompanyFactory(), registries=("party",))
    stranger = other.members.exclude(is_origin=True).get()
    with pytest.raises(ValidationError, match="não faz parte deste compartilhamento"):
        services.share_members_update(share=share, permissions={}, remove=[stranger.pk])
    stranger.refresh_from_db()
    assert stranger.state == ShareMember.State.ACTIVE


# -- a company in a share keeps its CNPJ and group -------------------------------------------


def test_a_company_in_a_share_keeps_its_cnpj_and_group_outside_the_admin(share, dest):
    reason = f"Filial Sul participa do compartilhamento nº {share.pk}: o CNPJ e o grupo não podem ser alterados"
    with pytest.raises(ValidationError, match=reason):
        company_services.company_update(company=dest, data={"cnpj": "45.723.174/0001-10"})
    with pytest.raises(ValidationError, match=reason):
        company_services.company_update(company=dest, data={"group": CompanyGroupFactory(name="Outro Grupo")})
    dest.cnpj = "45723174000110"
    with pytest.raises(ValidationError, match=reason):
        dest.full_clean()  # a shell or any form that cleans before saving
    dest.refresh_from_db()
    assert (dest.cnpj, dest.group.name) == ("11444777000161", "Grupo Araújo & Filhos Comércio de Alimentos")


def test_a_company_in_a_share_may_change_its_names_and_its_cnpj_mask(share, dest):
    updated = company_services.company_update(
        company=dest, data={"legal_name": "Filial Sul Distribuição de Alimentos e Bebidas Ltda",
                            "cnpj": "11.444.777/0001-61"})  # the same CNPJ, typed masked
    assert updated.legal_name.endswith("e Bebidas Ltda") and updated.cnpj == "11444777000161"


def test_a_company_removed_from_its_share_may_change_its_cnpj(share, dest):
    apply_pending()
    services.member_remove(share=share, company=dest)
    updated = company_services.company_update(company=dest, data={"cnpj": "45.723.174/0001-10"})
    assert Company.objects.get(pk=updated.pk).cnpj == "45723174000110"


def test_the_company_admin_refuses_a_cnpj_change_it_shows_read_only(staff, share, dest):
    url = reverse("admin:companies_company_change", args=[dest.pk])
    html = staff.get(url, follow=True).content.decode()
    assert f"Filial Sul participa do compartilhamento nº {share.pk}" in html
    staff.post(url, {"cnpj": "45723174000110", "legal_name": dest.legal_name, "trade_name": dest.trade_name,
                     "memberships-TOTAL_FORMS": "0", "memberships-INITIAL_FORMS": "0"})
    dest.refresh_from_db()
    assert dest.cnpj == "11444777000161"


# -- resync, retry and resume: the admin says the service's words -----------------------------


def test_the_admin_gives_the_services_reason_for_not_resyncing_a_pending_member(staff, share):
    newcomer = CompanyFactory(legal_name="Filial Leste Comércio Ltda", trade_name="Filial Leste")
    member = services.member_add(share=share, company=newcomer, permissions=ALL)

    shown = _admin_action(staff, "sharemember", "resync_members", [member])

    assert not SyncJob.objects.filter(kind=SyncJob.Kind.RESYNC).exists()
    sentence = f"Filial Leste não é uma empresa ativa do compartilhamento nº {share.pk} (situação: "
    assert any("não ressincronizado. " + sentence in message for message in shown), shown
    with pytest.raises(CommandError, match=sentence.replace("(", r"\(")):
        call_command("resync", "--share", str(share.pk), "--company", newcomer.cnpj)


def test_changes_retry_sends_again_only_what_is_not_applied(share, company, django_capture_on_commit_callbacks):
    make_product(company, "C3", "Café torrado e moído 500 g")
    apply_pending()
    make_product(company, "D4", "Doce de leite pastoso 400 g")
    pending = Change.objects.get(status=Change.Status.PENDING)
    applied = Change.objects.filter(status=Change.Status.APPLIED).first()
    with mock.patch("omieshare.lib.jobs.async_task") as enqueue, django_capture_on_commit_callbacks(execute=True):
        retried, already = services.changes_retry(change_ids=[pending.pk, applied.pk, pending.pk])
        assert not enqueue.called  # only once committed
    assert [c.pk for c in retried] == [pending.pk] and already == 1
    assert [call.args for call in enqueue.call_args_list] == [("sharing.tasks.apply_change", pending.pk)]


def test_changes_retry_refuses_too_many_at_once(share, monkeypatch):
    monkeypatch.setattr(services, "MAX_CHANGES_PER_RETRY", 1)
    with pytest.raises(ValidationError, match="Selecione no máximo 1 alterações por vez. Nada foi reenviado."):
        services.changes_retry(change_ids=[1_000_001, 1_000_002])


def test_job_resume_refuses_a_job_that_did_not_fail(staff, share):
    done = share.jobs.get(kind=SyncJob.Kind.ACTIVATE)
    with pytest.raises(services.NotResumable, match="Só uma ativação que falhou pode ser retomada."):
        services.job_resume(job=done)
    shown = _admin_action(staff, "syncjob", "resume_activations", [done])
    assert any("não retomada. Só uma ativação que falhou pode ser retomada." in m for m in shown), shown
    assert SyncJob.objects.filter(share=share, kind=SyncJob.Kind.ACTIVATE).count() == 1


def test_job_resume_starts_a_new_activation_of_the_waiting_members(share):
    newcomer = CompanyFactory(legal_name="Filial Oeste Ltda")
    services.member_add(share=share, company=newcomer, permissions=ALL)
    failed = services.share_activate(share=share, confirmed=True)
    SyncJob.objects.filter(pk=failed.pk).update(status=SyncJob.Status.FAILED, failures=5)
    failed.refresh_from_db()

    resumed = services.job_resume(job=failed)

    assert resumed.pk != failed.pk and resumed.status == SyncJob.Status.QUEUED
    run_sync_job(resumed.pk)
    assert share.members.get(company=newcomer).state == ShareMember.State.ACTIVE


# -- share_start: the wizard's and the command's confirmation ---------------------------------


def test_share_start_configures_nothing_when_the_plan_changed(company, dest):
    ProductFactory(company=company, code="A1", description="Água mineral")
    plan = services.share_plan(origin=company, registries=["product"], origin_permissions=ALL,
                               destinations={dest: ALL})
    with pytest.raises(services.ConfigurationChanged):
        services.share_start(origin=company, registries=["product"], origin_permissions=ALL,
                             destinations={dest: EDIT_ONLY}, expected_fingerprint=plan.fingerprint)
    assert not Share.objects.exists() and not SyncJob.objects.exists()

    job = services.share_start(origin=company, registries=["product"], origin_permissions=ALL,
                               destinations={dest: ALL}, expected_fingerprint=plan.fingerprint)
    assert job.share.origin == company and job.kind == SyncJob.Kind.ACTIVATE


def test_share_start_refuses_a_destination_given_twice(company, dest):
    with pytest.raises(ValidationError, match="Empresa destino informada mais de uma vez: Filial Sul."):
        services.share_start(origin=company, registries=["product"], origin_permissions=ALL,
                             destinations=[(dest, ALL), (dest, EDIT_ONLY)], expected_fingerprint=None)
    assert not Share.objects.exists()


def test_share_start_joins_the_origins_live_share(share, company):
    newcomer = CompanyFactory(legal_name="Filial Centro-Oeste Ltda")
    plan = services.share_plan(origin=company, registries=["product"], origin_permissions=ALL,
                               destinations={newcomer: EDIT_ONLY})
    job = services.share_start(origin=company, registries=["product"], origin_permissions=ALL,
                               destinations={newcomer: EDIT_ONLY}, expected_fingerprint=plan.fingerprint)
    assert job.share_id == share.pk
    assert Permissions.of(share.members.get(company=newcomer)) == EDIT_ONLY


# -- SyncJob: one vocabulary, and the fencing token -------------------------------------------


def test_live_jobs_are_the_queued_and_running_ones(share):
    finished = share.jobs.get()
    queued = services.resync_start(share=share)
    assert list(SyncJob.objects.live()) == [queued]
    assert list(share.jobs.live()) == [queued] and finished not in share.jobs.live()
    assert SyncJob.LIVE_STATUSES == (SyncJob.Status.QUEUED, SyncJob.Status.RUNNING)


def test_a_stale_execution_writes_nothing_after_another_claimed_the_job(share):
    job = services.resync_start(share=share)
    job.claim()
    stale = SyncJob.objects.get(pk=job.pk)
    SyncJob.objects.get(pk=job.pk).claim()  # presumed dead: another worker took it

    assert not stale.renew(done=7)
    assert not stale.finish(done=7)
    assert not stale.fail("Falha 1 de 5 (será retomada): disco cheio", final=False)
    current = SyncJob.objects.get(pk=job.pk)
    assert (current.status, current.done, current.failures, current.errors) == (SyncJob.Status.RUNNING, 0, 0, [])
    assert current.attempts == 2 and current.lease_until > timezone.now()


def test_the_holder_renews_finishes_and_fails_its_job(share):
    job = services.resync_start(share=share)
    job.claim()
    assert job.renew(done=3, total=10)
    assert SyncJob.objects.get(pk=job.pk).lease_until > timezone.now() + timedelta(seconds=5)
    assert job.fail("Falha 1 de 5 (será retomada): disco cheio", final=False)
    failed_once = SyncJob.objects.get(pk=job.pk)
    assert (failed_once.status, failed_once.failures, failed_once.lease_until) == (SyncJob.Status.RUNNING, 1, None)
    assert job.finish(done=10, counts={"drift": 0})
    finished = SyncJob.objects.get(pk=job.pk)
    assert (finished.status, finished.done, finished.lease_until) == (SyncJob.Status.DONE, 10, None)
    assert finished.finished_at is not None and finished.errors == ["Falha 1 de 5 (será retomada): disco cheio"]
