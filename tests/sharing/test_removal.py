"""Removing a destination: its records stay, unlinked, and are no longer updated either way."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from catalog import services as catalog_services
from catalog.models import Product
from sharing import services
from sharing.models import Change, RecordLink, Share, SharedRecord, ShareMember
from sharing.propagation import apply_record
from tests.helpers import (
    activate,
    apply_pending,
    configure,
    make_product,
    party_in,
    product_in,
)

pytestmark = pytest.mark.django_db

DOC_A = "11222333000181"


def test_it_keeps_the_records_of_a_removed_destination_and_unlinks_them(trio):
    share, _origin, leaving, _staying = trio
    kept = {product_in(leaving, "A1").pk, party_in(leaving, DOC_A).pk}

    out = io.StringIO()
    call_command("share_remove", "--share", share.pk, "--company", leaving.cnpj, stdout=out)

    assert "permanecem na empresa" in out.getvalue()
    assert {product_in(leaving, "A1").pk, party_in(leaving, DOC_A).pk} == kept
    assert product_in(leaving, "A1").active
    assert not RecordLink.objects.filter(company=leaving).exists()
    member = ShareMember.objects.get(share=share, company=leaving)
    assert member.state == ShareMember.State.REMOVED and member.removed_at is not None
    share.refresh_from_db()
    assert share.status == Share.Status.ACTIVE  # another destination remains


def test_it_stops_updates_both_ways_after_removal(trio):
    share, origin, leaving, staying = trio
    services.member_remove(share=share, company=leaving)

    catalog_services.product_update(company=origin, product_id=product_in(origin, "A1").pk,
                                    data={"description": "Água da matriz"})
    apply_pending()
    assert product_in(leaving, "A1").description == "Água"
    assert product_in(staying, "A1").description == "Água da matriz"

    changes = Change.objects.count()
    catalog_services.product_update(company=leaving, product_id=product_in(leaving, "A1").pk,
                                    data={"description": "Água só da filial"})
    make_product(leaving, "NOVO", "Produto da filial que saiu")  # no include needed any more
    assert Change.objects.count() == changes
    apply_pending()
    assert product_in(origin, "A1").description == "Água da matriz"
    assert not Product.objects.filter(code="NOVO").exclude(company=leaving).exists()
    # Its suggested codes are its own again.
    assert catalog_services.product_code_suggestion(company=leaving) == "PRD00001"


def test_it_refuses_to_let_the_origin_leave_while_destinations_remain(trio):
    share, origin, _leaving, _staying = trio

    with pytest.raises(ValidationError, match="origem não pode sair enquanto houver empresas destino"):
        services.member_remove(share=share, company=origin)
    with pytest.raises(CommandError, match="origem não pode sair"):
        call_command("share_remove", "--share", share.pk, "--company", origin.cnpj, stdout=io.StringIO())

    assert ShareMember.objects.get(share=share, company=origin).state == ShareMember.State.ACTIVE
    assert RecordLink.objects.filter(company=origin).count() == 2


def test_it_dissolves_the_share_when_the_last_destination_leaves(trio):
    share, origin, leaving, staying = trio
    services.member_remove(share=share, company=leaving)

    out = io.StringIO()
    call_command("share_remove", "--share", share.pk, "--company", staying.cnpj, stdout=out)

    assert "compartilhamento foi encerrado" in out.getvalue()
    share.refresh_from_db()
    assert share.status == Share.Status.DISSOLVED and share.dissolved_at is not None
    assert not RecordLink.objects.exists()
    assert set(share.members.values_list("state", flat=True)) == {ShareMember.State.REMOVED}
    catalog_services.product_update(company=origin, product_id=product_in(origin, "A1").pk,
                                    data={"description": "Livre outra vez"})
    assert not Change.objects.exists()
    assert product_in(staying, "A1").description == "Água"


def test_it_lets_a_removed_company_join_again_in_the_same_share(trio):
    share, origin, leaving, _staying = trio
    services.member_remove(share=share, company=leaving)
    catalog_services.product_update(company=origin, product_id=product_in(origin, "A1").pk,
                                    data={"description": "Água nova"})
    apply_pending()
    assert product_in(leaving, "A1").description == "Água"

    services.member_add(share=share, company=leaving, permissions=services.Permissions())
    job = activate(share)

    # A1 changed while it was away; the other product still holds the group's values.
    assert (job.counts["overwritten"], job.counts["identical"], job.counts["created"]) == (1, 1, 0)
    assert product_in(leaving, "A1").description == "Água nova"
    assert Product.objects.filter(company=leaving, code="A1").count() == 1
    assert RecordLink.objects.filter(company=leaving).count() == 2
    catalog_services.product_update(company=origin, product_id=product_in(origin, "A1").pk,
                                    data={"description": "Água de novo sincronizada"})
    apply_pending()
    assert product_in(leaving, "A1").description == "Água de novo sincronizada"


def test_it_lets_a_company_of_a_dissolved_share_join_a_new_one(trio):
    share, origin, leaving, staying = trio
    services.member_remove(share=share, company=leaving)
    services.member_remove(share=share, company=staying)

    new_share = configure(leaving, origin)  # the former destination is now the origin
    activate(new_share)

    assert new_share.status == Share.Status.ACTIVE
    catalog_services.product_update(company=leaving, product_id=product_in(leaving, "A1").pk,
                                    data={"description": "Da nova origem"})
    apply_pending()
    assert product_in(origin, "A1").description == "Da nova origem"


def test_an_accepted_change_on_its_way_still_reaches_those_who_stay(trio):
    share, _origin, leaving, staying = trio
    # The leaving branch's edit is accepted; the worker has not applied it yet.
    catalog_services.product_update(company=leaving, product_id=product_in(leaving, "A1").pk,
                                    data={"description": "Água editada na filial"})

    services.member_remove(share=share, company=leaving)  # no waiting: nothing is dropped
    apply_pending()

    assert product_in(staying, "A1").description == "Água editada na filial"


def test_it_does_not_end_the_share_while_an_accepted_change_is_still_on_its_way(trio):
    share, origin, leaving, staying = trio
    services.member_remove(share=share, company=staying)
    # The last destination's edit is accepted; ending the share now would drop it.
    catalog_services.product_update(company=leaving, product_id=product_in(leaving, "A1").pk,
                                    data={"description": "Água editada na filial"})

    with pytest.raises(ValidationError, match="ainda sendo aplicada"):
        services.member_remove(share=share, company=leaving)
    with pytest.raises(CommandError, match="Aguarde alguns segundos"):
        call_command("share_remove", "--share", share.pk, "--company", leaving.cnpj, stdout=io.StringIO())
    assert ShareMember.objects.get(share=share, company=leaving).state == ShareMember.State.ACTIVE

    apply_pending()
    services.member_remove(share=share, company=leaving)
    assert product_in(origin, "A1").description == "Água editada na filial"  # nothing was lost


def test_an_application_racing_a_removal_writes_nothing_into_the_removed_company(trio):
    """A catch-up (or a retry) that read its records before the removal must not link them
    in the company afterwards: a later activation there would duplicate each of them."""
    share, origin, leaving, _staying = trio
    make_product(origin, "N1", "Novo na matriz")
    apply_pending()
    new_record = SharedRecord.objects.get(share=share, match_key="N1")
    RecordLink.objects.filter(shared_record=new_record, company=leaving).delete()  # not yet there
    Product.objects.filter(company=leaving, code="N1").delete()
    services.member_remove(share=share, company=leaving)

    apply_record(new_record.pk, leaving.pk)  # what the catch-up had queued

    assert not RecordLink.objects.filter(company=leaving).exists()
    assert not Product.objects.filter(company=leaving, code="N1").exists()
