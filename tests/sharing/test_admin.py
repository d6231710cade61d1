"""The sharing admin for support staff: pages open, engine records stay read-only, and the
actions (resync, retry, restore, permissions) go through the services and say what they did."""

from __future__ import annotations

import re
from decimal import Decimal
from unittest import mock

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.urls import reverse

from catalog import services as catalog_services
from catalog.models import Product
from sharing import services
from sharing.models import AuditEntry, Change, RecordLink, Share, SharedRecord, ShareMember, Snapshot, SyncJob
from sharing.services import Permissions
from sharing.tasks import run_sync_job
from tests.factories import CompanyFactory, PartyFactory, ProductFactory, UserFactory
from tests.helpers import apply_pending, configure, make_product

ORIGIN_CNPJ = "11222333000181"
MODELS = {
    "share": Share,
    "sharemember": ShareMember,
    "sharedrecord": SharedRecord,
    "recordlink": RecordLink,
    "change": Change,
    "syncjob": SyncJob,
    "snapshot": Snapshot,
    "auditentry": AuditEntry,
}


def _activated_share(*, destination_permissions: Permissions) -> dict:
    origin = CompanyFactory(legal_name="Matriz Ltda", trade_name="Matriz")
    destination = CompanyFactory(legal_name="Filial Ltda", trade_name="Filial")
    ProductFactory(company=origin, code="A1", description="Água", price=Decimal("3.50"))
    b2 = ProductFactory(company=origin, code="B2", description="Bala")
    ProductFactory(company=destination, code="A1", description="Agua velha", price=Decimal("1.00"))
    PartyFactory(company=origin, cnpj_cpf=ORIGIN_CNPJ, legal_name="ACME Comércio")
    share = services.share_configure(
        origin=origin,
        registries=["party", "product"],
        origin_permissions=Permissions(),
        destinations={destination: destination_permissions},
    )
    job = services.share_activate(share=share, confirmed=True)
    run_sync_job(job.pk)
    job.refresh_from_db()
    assert job.status == SyncJob.Status.DONE, job.errors
    # An edit in the origin not yet applied anywhere: a pending change in the outbox.
    catalog_services.product_update(company=origin, product_id=b2.pk, data={"description": "Bala de goma"})
    return {
        "share": share,
        "origin": origin,
        "destination": destination,
        "member": share.members.get(company=destination),
        "snapshot": Snapshot.objects.get(company=destination, registry="product"),
        "change": Change.objects.get(),
        "job": job,
    }


@pytest.fixture
def sharing(db):
    return _activated_share(destination_permissions=Permissions(can_create=True, can_update=True))


@pytest.fixture
def staff(db, client):
    user = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(user)
    return client


def _messages(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def _run_action(client, model: str, action: str, objects, **confirmation) -> list[str]:
    response = client.post(
        reverse(f"admin:sharing_{model}_changelist"),
        {"action": action, "_selected_action": [obj.pk for obj in objects], **confirmation},
    )
    assert response.status_code == 302, response.content[:2000]
    return _messages(response)


def test_it_opens_every_sharing_changelist_and_change_page(staff, sharing):
    AuditEntry.objects.filter(action=AuditEntry.Action.CHANGE).update(
        old_values={"description": "Bala"}, new_values={"description": "Bala de goma"}
    )
    for name, model in MODELS.items():
        listing = staff.get(reverse(f"admin:sharing_{name}_changelist"))
        assert listing.status_code == 200, name
        assert model.objects.exists(), name
        for obj in model.objects.all()[:3]:
            page = staff.get(reverse(f"admin:sharing_{name}_change", args=[obj.pk]))
            assert page.status_code == 200, (name, obj.pk)
    audit = AuditEntry.objects.get(action=AuditEntry.Action.CHANGE)
    page = staff.get(reverse("admin:sharing_auditentry_change", args=[audit.pk])).content.decode()
    assert "Bala de goma" in page and "<pre" in page  # values shown readable, not as one line


def test_it_follows_the_links_between_sharing_pages(staff, sharing):
    pages = [
        reverse("admin:sharing_share_change", args=[sharing["share"].pk]),
        reverse("admin:sharing_share_changelist"),
        reverse("admin:sharing_sharedrecord_change", args=[SharedRecord.objects.first().pk]),
        reverse("admin:sharing_change_change", args=[sharing["change"].pk]),
    ]
    followed = 0
    for page in pages:
        html = staff.get(page).content.decode()
        for href in set(re.findall(r'href="(/admin/sharing/[a-z]+/\?[^"]+)"', html)):
            response = staff.get(href.replace("&amp;", "&"))
            assert response.status_code == 200, href  # an invalid filter would redirect to ?e=1
            followed += 1
    assert followed >= 8


def test_it_finds_records_by_masked_document_and_by_product_code(staff, sharing):
    found = staff.get(reverse("admin:sharing_sharedrecord_changelist"), {"q": "11.222.333/0001-81"})
    assert "ACME Comércio" in found.content.decode()
    found = staff.get(reverse("admin:sharing_snapshot_changelist"), {"q": "A1"})
    assert "Agua velha" in found.content.decode()
    found = staff.get(reverse("admin:sharing_auditentry_changelist"), {"q": "Filial"})
    assert found.status_code == 200 and "Filial" in found.content.decode()


def test_it_keeps_the_engine_records_read_only(staff, sharing):
    for name, model in MODELS.items():
        assert staff.get(reverse(f"admin:sharing_{name}_add")).status_code == 403, name
        obj = model.objects.first()
        assert staff.post(reverse(f"admin:sharing_{name}_delete", args=[obj.pk]), {"post": "yes"}).status_code == 403
        if name != "sharemember":
            assert staff.post(reverse(f"admin:sharing_{name}_change", args=[obj.pk]), {}).status_code == 403, name
    html = staff.get(reverse("admin:sharing_snapshot_changelist")).content.decode()
    assert "delete_selected" not in html and "restore_snapshots" in html


def test_it_hides_the_support_actions_from_staff_who_may_only_look(client, sharing):
    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.set(
        Permission.objects.filter(content_type__app_label="sharing", codename__startswith="view_")
    )
    client.force_login(viewer)
    html = client.get(reverse("admin:sharing_change_changelist")).content.decode()
    assert "retry_changes" not in html
    response = client.post(
        reverse("admin:sharing_share_changelist"),
        {"action": "resync_shares", "_selected_action": [sharing["share"].pk]},
    )
    assert response.status_code in (200, 302)
    assert not SyncJob.objects.filter(kind=SyncJob.Kind.RESYNC).exists()


def test_it_queues_a_resync_of_the_whole_share(staff, sharing, django_capture_on_commit_callbacks):
    with mock.patch("omieshare.lib.jobs.async_task") as enqueue, django_capture_on_commit_callbacks(execute=True):
        shown = _run_action(staff, "share", "resync_shares", [sharing["share"]])
    job = SyncJob.objects.get(kind=SyncJob.Kind.RESYNC)
    assert job.share == sharing["share"] and job.params == {"company_id": None}
    assert job.created_by.is_superuser
    assert enqueue.call_args.args == ("sharing.tasks.run_sync_job", job.pk)
    assert any("ressincronização na fila" in message for message in shown)


def test_it_queues_a_resync_of_one_member(staff, sharing):
    shown = _run_action(staff, "sharemember", "resync_members", [sharing["member"]])
    job = SyncJob.objects.get(kind=SyncJob.Kind.RESYNC)
    assert job.params == {"company_id": sharing["destination"].pk}
    assert any("Filial" in message and "na fila" in message for message in shown)


def test_it_does_not_queue_a_second_resync_while_one_waits(staff, sharing):
    _run_action(staff, "share", "resync_shares", [sharing["share"]])
    shown = _run_action(staff, "sharemember", "resync_members", [sharing["member"]])
    assert SyncJob.objects.filter(kind=SyncJob.Kind.RESYNC).count() == 1
    assert any("já há uma ressincronização" in message for message in shown)


def test_it_does_not_resync_a_dissolved_share(staff, sharing):
    apply_pending()  # a share is not dissolved while an accepted change is on its way
    services.member_remove(share=sharing["share"], company=sharing["destination"])
    shown = _run_action(staff, "share", "resync_shares", [sharing["share"]])
    assert not SyncJob.objects.filter(kind=SyncJob.Kind.RESYNC).exists()
    assert any("não ressincronizado. Só um compartilhamento ativo pode ser ressincronizado" in message
               for message in shown)


def test_it_reenqueues_failed_and_pending_changes_only(staff, sharing, django_capture_on_commit_callbacks):
    pending = sharing["change"]
    failed = Change.objects.create(
        share=pending.share,
        shared_record=pending.shared_record,
        version=pending.version + 1,
        company=sharing["origin"],
        action="update",
        status=Change.Status.FAILED,
        attempts=20,
        last_error="Filial: conexão perdida",
    )
    applied = Change.objects.create(
        share=pending.share,
        shared_record=pending.shared_record,
        version=pending.version + 2,
        company=sharing["origin"],
        action="update",
        status=Change.Status.APPLIED,
    )
    with mock.patch("omieshare.lib.jobs.async_task") as enqueue, django_capture_on_commit_callbacks(execute=True):
        shown = _run_action(staff, "change", "retry_changes", [pending, failed, applied])
    enqueued = sorted(call.args for call in enqueue.call_args_list)
    assert enqueued == [("sharing.tasks.apply_change", pending.pk), ("sharing.tasks.apply_change", failed.pk)]
    assert any("2 alteração(ões) reenviada(s)" in message for message in shown)
    assert any("1 alteração(ões) já estava(m) aplicada(s)" in message for message in shown)


def test_it_restores_a_snapshot_into_the_destination_record(staff, sharing, django_capture_on_commit_callbacks):
    product = Product.objects.get(company=sharing["destination"], code="A1")
    assert product.description == "Água"
    with django_capture_on_commit_callbacks(execute=False):
        shown = _run_action(staff, "snapshot", "restore_snapshots", [sharing["snapshot"]], confirmar="sim")
    product.refresh_from_db()
    assert (product.description, product.price) == ("Agua velha", Decimal("1.00"))
    snapshot = Snapshot.objects.get(pk=sharing["snapshot"].pk)
    assert snapshot.restored_at is not None and snapshot.restored_by.is_superuser
    assert AuditEntry.objects.filter(action=AuditEntry.Action.RESTORE, company=sharing["destination"]).exists()
    # Still shared: the restore is an edit like any other, on its way to the origin.
    assert Change.objects.filter(company=sharing["destination"], shared_record__match_key="A1").exists()
    assert any(m.startswith("Restaurado:") and "continua compartilhado" in m for m in shown)


def test_it_asks_before_restoring_and_says_which_companies_the_restore_reaches(staff, sharing):
    response = staff.post(reverse("admin:sharing_snapshot_changelist"),
                          {"action": "restore_snapshots", "_selected_action": [sharing["snapshot"].pk]})

    html = response.content.decode()
    assert response.status_code == 200 and "Sim, restaurar" in html
    assert "Também será aplicada em:" in html and sharing["origin"].display_name in html
    assert "Agua velha" in html  # the copy's value, next to today's
    assert Snapshot.objects.get(pk=sharing["snapshot"].pk).restored_at is None
    assert Product.objects.get(company=sharing["destination"], code="A1").description == "Água"


def test_it_says_when_a_snapshot_was_restored_before(staff, sharing):
    _run_action(staff, "snapshot", "restore_snapshots", [sharing["snapshot"]], confirmar="sim")
    shown = _run_action(staff, "snapshot", "restore_snapshots", [sharing["snapshot"]], confirmar="sim")
    assert any("já tinha sido restaurada" in message for message in shown)


@pytest.mark.django_db
def test_it_refuses_a_restore_without_edit_permission_and_writes_nothing(client):
    read_only = _activated_share(destination_permissions=Permissions(can_create=True, can_update=False))
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    audit_before = AuditEntry.objects.count()
    shown = _run_action(client, "snapshot", "restore_snapshots", [read_only["snapshot"]], confirmar="sim")
    product = Product.objects.get(company=read_only["destination"], code="A1")
    assert product.description == "Água"
    assert Snapshot.objects.get(pk=read_only["snapshot"].pk).restored_at is None
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.RESTORE).exists()
    assert AuditEntry.objects.count() == audit_before
    assert len(shown) == 1
    assert shown[0].startswith("Não restaurado, nada foi alterado")
    assert "não tem permissão de edição" in shown[0]


def test_it_changes_a_members_permissions_through_the_service(staff, sharing):
    member = sharing["member"]
    url = reverse("admin:sharing_sharemember_change", args=[member.pk])
    response = staff.post(url, {"can_create": "on", "can_update": "on", "can_delete": "on", "_save": "Salvar"})
    assert response.status_code == 302, response.content[:2000]
    member.refresh_from_db()
    assert (member.can_create, member.can_update, member.can_delete) == (True, True, True)
    entry = AuditEntry.objects.filter(action=AuditEntry.Action.CONFIGURE, company=sharing["destination"]).latest(
        "created_at"
    )
    assert entry.detail == "Permissões de Filial: inclusão, edição → inclusão, edição, exclusão."
    # The support user who made the change is named in the audit trail.
    assert entry.actor == response.wsgi_request.user


def test_it_writes_no_audit_entry_when_permissions_did_not_change(staff, sharing):
    member = sharing["member"]
    before = AuditEntry.objects.filter(action=AuditEntry.Action.CONFIGURE).count()
    staff.post(
        reverse("admin:sharing_sharemember_change", args=[member.pk]),
        {"can_create": "on", "can_update": "on", "_save": "Salvar"},
    )
    assert AuditEntry.objects.filter(action=AuditEntry.Action.CONFIGURE).count() == before


def test_it_does_not_edit_a_removed_member(staff, sharing):
    apply_pending()
    services.member_remove(share=sharing["share"], company=sharing["destination"])
    member = ShareMember.objects.get(pk=sharing["member"].pk)
    url = reverse("admin:sharing_sharemember_change", args=[member.pk])
    assert staff.get(url).status_code == 200  # still visible
    assert staff.post(url, {"can_create": "on", "can_update": "on", "can_delete": "on"}).status_code == 403
    member.refresh_from_db()
    assert not member.can_delete


def test_it_searches_shares_jobs_and_members_by_name_or_number(staff, sharing):
    share = sharing["share"]
    for name in ("share", "syncjob", "sharemember"):
        for term in ("Matriz", str(share.pk), "11.222.333/0001-81"):
            assert staff.get(reverse(f"admin:sharing_{name}_changelist"), {"q": term}).status_code == 200, (name, term)


def test_a_company_in_a_share_keeps_its_cnpj_and_group(staff, sharing):
    destination = sharing["destination"]
    page = reverse("admin:companies_company_change", args=[destination.pk])

    html = staff.get(page).content.decode()
    saved = staff.post(page, {
        "cnpj": "11.222.333/0001-81", "legal_name": "Novo nome Ltda", "trade_name": "Novo", "group": "",
        "memberships-TOTAL_FORMS": "0", "memberships-INITIAL_FORMS": "0",
    })

    assert "o CNPJ e o grupo não podem ser alterados" in html
    assert 'name="cnpj"' not in html and 'name="group"' not in html
    assert saved.status_code == 302  # the rest of the page still saves
    cnpj, group = destination.cnpj, destination.group_id
    destination.refresh_from_db()
    assert destination.legal_name == "Novo nome Ltda"
    assert (destination.cnpj, destination.group_id) == (cnpj, group)


def test_support_resumes_an_activation_that_gave_up(staff, django_capture_on_commit_callbacks):
    origin, dest = CompanyFactory(), CompanyFactory()
    make_product(origin, "A1", "Água")
    share = configure(origin, dest)
    job = services.share_activate(share=share, confirmed=True)
    SyncJob.objects.filter(pk=job.pk).update(status=SyncJob.Status.FAILED, failures=5)

    with django_capture_on_commit_callbacks(execute=False):
        shown = _run_action(staff, "syncjob", "resume_activations", [job])

    resumed = SyncJob.objects.exclude(pk=job.pk).get()
    assert resumed.kind == SyncJob.Kind.ACTIVATE and resumed.status == SyncJob.Status.QUEUED
    assert any("retomada como" in message for message in shown)
