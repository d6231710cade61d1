"""Issue 10 §3: a party's roles (cliente, fornecedor) travel like every other shared field.

Activation gave a new copy the origin's roles but propagation did not: a supplier created
in the origin with only "Fornecedor" ticked arrived in the branches as a client, and
ticking "Fornecedor" later on a shared client never reached them. One list of shared fields
(sharing/canonical.py) now serves activation, propagation, the canonical query and drift
detection alike."""

from __future__ import annotations

import importlib
import io

import pytest
from django.core.management import call_command
from django.db import connection

from catalog import services as catalog_services
from catalog.exceptions import WriteRefused
from catalog.models import Party
from sharing import services
from sharing.models import Change, SharedRecord, Snapshot
from sharing.planner import plan, plan_rows
from sharing.resync import find_drift
from sharing.services import Permissions
from sharing.tasks import run_sync_job
from sharing.templatetags.shared_values import field_label
from tests.factories import CompanyFactory
from tests.helpers import activate, apply_pending, configure, make_party, party_in, share_between, wait_for

CNPJ = "04.252.011/0001-10"
CNPJ_DIGITS = "04252011000110"
CPF = "52998224725"
EDIT_ONLY = Permissions(can_create=False, can_update=True, can_delete=False)
READ_ONLY = Permissions(can_create=False, can_update=False, can_delete=False)


def roles(company, document: str) -> tuple[bool, bool]:
    party = party_in(company, document)
    return party.is_client, party.is_supplier


@pytest.fixture
def group(db):
    origin = CompanyFactory(legal_name="Construtora Horizonte Paulista Ltda", trade_name="Matriz")
    editor = CompanyFactory(legal_name="Construtora Horizonte – Filial Ribeirão Preto", trade_name="Filial Ribeirão")
    reader = CompanyFactory(legal_name="Construtora Horizonte – Filial São José", trade_name="Filial São José")
    return origin, editor, reader


def share_roles(origin, editor, reader):
    """The editor may edit shared clients/suppliers, the reader may only read them."""
    share = configure(origin, editor, reader, registries=["party"], destination_permissions=EDIT_ONLY)
    activate(share)
    services.member_set_permissions(member=share.members.get(company=reader), permissions=READ_ONLY)
    return share


@pytest.mark.django_db
def test_a_supplier_only_record_created_in_the_origin_arrives_as_supplier_only(group):
    origin, editor, reader = group
    share_roles(origin, editor, reader)

    make_party(origin, CNPJ, "Cimento Forte Indústria de Materiais de Construção S.A.",
               is_client=False, is_supplier=True)
    apply_pending()

    for company in (origin, editor, reader):
        assert roles(company, CNPJ_DIGITS) == (False, True), company.trade_name


@pytest.mark.django_db
def test_ticking_supplier_and_unticking_client_on_a_shared_client_reaches_every_branch(group):
    origin, editor, reader = group
    client = make_party(origin, CPF, "José Antônio da Conceição", is_client=True, is_supplier=False)
    share = share_roles(origin, editor, reader)
    assert roles(editor, CPF) == roles(reader, CPF) == (True, False)

    catalog_services.party_update(company=origin, party_id=client.pk, source="web",
                                  data={"is_client": False, "is_supplier": True})
    change = Change.objects.get()
    assert sorted(change.changed_fields) == ["is_client", "is_supplier"]
    apply_pending()

    for company in (editor, reader):
        assert roles(company, CPF) == (False, True), company.trade_name
    assert find_drift(share) == []


@pytest.mark.django_db
def test_a_role_ticked_in_a_branch_with_edit_permission_reaches_the_origin(group):
    origin, editor, reader = group
    make_party(origin, CNPJ, "Cimento Forte S.A.", is_client=True, is_supplier=False)
    share = share_roles(origin, editor, reader)

    catalog_services.party_update(company=editor, party_id=party_in(editor, CNPJ_DIGITS).pk, source="web",
                                  data={"is_supplier": True})
    apply_pending()

    for company in (origin, editor, reader):
        assert roles(company, CNPJ_DIGITS) == (True, True), company.trade_name
    assert find_drift(share) == []


@pytest.mark.django_db
def test_a_branch_without_edit_permission_may_not_change_a_role(group):
    origin, editor, reader = group
    make_party(origin, CNPJ, "Cimento Forte S.A.", is_client=True, is_supplier=False)
    share_roles(origin, editor, reader)

    with pytest.raises(WriteRefused, match="não tem permissão de edição de clientes e fornecedores"):
        catalog_services.party_update(company=reader, party_id=party_in(reader, CNPJ_DIGITS).pk, source="web",
                                      data={"is_supplier": True})

    assert roles(reader, CNPJ_DIGITS) == (True, False)
    assert not Change.objects.exists()


@pytest.mark.django_db
def test_activation_gives_matched_and_new_copies_the_origins_roles(group):
    origin, editor, reader = group
    make_party(origin, CNPJ, "Cimento Forte S.A.", is_client=False, is_supplier=True)
    make_party(origin, CPF, "José Antônio da Conceição", is_client=True, is_supplier=True)
    old = make_party(editor, CNPJ, "Cimento Forte S.A.", is_client=True, is_supplier=False)

    job = activate(configure(origin, editor, reader, registries=["party"]))

    assert roles(editor, CNPJ_DIGITS) == roles(reader, CNPJ_DIGITS) == (False, True)
    assert roles(editor, CPF) == roles(reader, CPF) == (True, True)
    # Differing only in its roles, the branch's record is overwritten, not "already the same".
    assert job.counts["overwritten"] == 1 and job.counts["identical"] == 0
    kept = Snapshot.objects.get(company=editor, local_id=old.pk)
    assert (kept.values["is_client"], kept.values["is_supplier"]) == (True, False)


@pytest.mark.django_db
def test_the_preview_shows_a_role_difference_as_an_overwrite(group):
    origin, editor, _reader = group
    make_party(origin, CNPJ, "Cimento Forte S.A.", is_client=False, is_supplier=True)
    make_party(editor, CNPJ, "Cimento Forte S.A.", is_client=True, is_supplier=False)

    [counts] = [p.counts for p in plan(origin=origin, destinations=[editor], registries=["party"])]
    rows = plan_rows(origin=origin, dest=editor, registry="party", category="overwrite")

    assert (counts["overwrite"], counts["identical"]) == (1, 0)
    assert rows[0]["differences"] == [("is_client", True, False), ("is_supplier", False, True)]
    assert [field_label(name) for name, _old, _new in rows[0]["differences"]] == ["Cliente", "Fornecedor"]


@pytest.mark.django_db
def test_drift_detection_and_resync_see_a_role_changed_behind_the_engines_back(group):
    origin, editor, reader = group
    make_party(origin, CNPJ, "Cimento Forte S.A.", is_client=False, is_supplier=True)
    share = share_roles(origin, editor, reader)
    Party.objects.filter(company=reader, cnpj_cpf=CNPJ_DIGITS).update(is_client=True)

    [drift] = find_drift(share)
    assert drift.fields == ("is_client",)
    out = io.StringIO()
    call_command("resync", "--share", str(share.pk), "--dry-run", stdout=out)
    assert f"cliente {CNPJ}: cliente\n" in out.getvalue()

    run_sync_job(services.resync_start(share=share).pk)
    assert roles(reader, CNPJ_DIGITS) == (False, True)
    assert find_drift(share) == []


@pytest.mark.django_db
def test_the_migration_gives_earlier_shared_records_the_origins_roles(group):
    origin, editor, reader = group
    make_party(origin, CNPJ, "Cimento Forte S.A.", is_client=False, is_supplier=True)
    share = share_between(origin, editor, reader, registries=["party"])
    record = SharedRecord.objects.get(share=share)
    # As a shared record kept before roles were shared.
    earlier = {k: v for k, v in record.values.items() if k not in ("is_client", "is_supplier")}
    SharedRecord.objects.filter(pk=record.pk).update(values=earlier)
    Party.objects.filter(company=reader, cnpj_cpf=CNPJ_DIGITS).update(is_client=True)

    migration = importlib.import_module("sharing.migrations.0008_shared_party_roles")
    with connection.schema_editor() as editor_:
        migration.backfill_roles(None, editor_)

    record.refresh_from_db()
    assert (record.values["is_client"], record.values["is_supplier"]) == (False, True)
    assert [(d.company_id, d.fields) for d in find_drift(share)] == [(reader.pk, ("is_client",))]


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_roles_travel_both_ways_through_a_live_worker(group, qcluster):
    origin, editor, reader = group
    share_roles(origin, editor, reader)
    qcluster.start()

    make_party(origin, CNPJ, "Cimento Forte Indústria de Materiais de Construção S.A.",
               is_client=False, is_supplier=True)
    wait_for(lambda: Party.objects.filter(cnpj_cpf=CNPJ_DIGITS).count() == 3, timeout=60,
             what="the supplier to reach both branches")
    for company in (editor, reader):
        assert roles(company, CNPJ_DIGITS) == (False, True), company.trade_name

    catalog_services.party_update(company=editor, party_id=party_in(editor, CNPJ_DIGITS).pk, source="web",
                                  data={"is_client": True})
    wait_for(lambda: all(roles(c, CNPJ_DIGITS) == (True, True) for c in (origin, reader)), timeout=60,
             what="the role ticked in a branch to reach the origin and the other branch")
    wait_for(lambda: not Change.objects.exclude(status=Change.Status.APPLIED).exists(), timeout=30,
             what="every change to be marked applied")
