"""Issue 10 §3: a supplier without CNPJ/CPF, supplying several shared products, gains a CPF.

Its own change (a new shared client/supplier) and the changes of the products it supplies
(their supplier lists gain its CPF) leave in one transaction, and several worker processes
apply them in any order. A product applied in a branch before the supplier had arrived
there mapped the CPF to nothing and was marked applied: the branch kept the old supplier
list for good, `resync --dry-run` listed "produto …: fornecedores", and the share page said
"Tudo sincronizado". This repeats the scenario many times against a real worker.
"""

from __future__ import annotations

import random
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import F
from django.urls import reverse

from catalog import services as catalog_services
from catalog.models import Party, Product
from companies.models import Membership
from omieshare.lib.brazil import mask_cpf_cnpj
from sharing.models import AuditEntry, Change, RecordLink
from sharing.resync import find_drift
from sharing.services import Permissions
from tests.factories import CompanyFactory, MembershipFactory, UserFactory
from tests.helpers import activate, configure, make_party, make_product, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

SEED = 20_240_611
ROUNDS = 24
PRODUCTS = 36
EDIT_AND_INCLUDE = Permissions(can_create=True, can_update=True, can_delete=False)
SYNCED = "Tudo sincronizado"


def seeded_cpf(rng: random.Random) -> str:
    """A valid CPF from the seeded generator (validate-docbr's generate uses global random)."""
    while True:
        body = [rng.randrange(10) for _ in range(9)]
        if len(set(body)) > 1:
            break
    for size in (9, 10):
        total = sum(digit * weight for digit, weight in zip(body, range(size + 1, 1, -1), strict=True))
        body.append((total * 10 % 11) % 10)
    return "".join(map(str, body))


def documented_suppliers(company) -> dict[str, set[str]]:
    """Each product's suppliers that have a CNPJ/CPF (those without one are never shared)."""
    lists: dict[str, set[str]] = {
        code: set() for code in Product.objects.filter(company=company).values_list("code", flat=True)
    }
    for code, document in Product.suppliers.through.objects.filter(
        product__company=company, party__cnpj_cpf__gt=""
    ).values_list("product__code", "party__cnpj_cpf"):
        lists[code].add(document)
    return lists


def converged() -> bool:
    """Every change applied and every link at its record's latest version."""
    return not (
        Change.objects.exclude(status=Change.Status.APPLIED).exists()
        or RecordLink.objects.filter(applied_version__lt=F("shared_record__version")).exists()
    )


def _give_suppliers(company, products, suppliers, rng: random.Random) -> None:
    """Each supplier supplies at least three of the company's products."""
    for supplier in suppliers:
        for product in rng.sample(products, k=rng.randint(3, 5)):
            current = list(Product.objects.get(pk=product.pk).suppliers.values_list("pk", flat=True))
            catalog_services.product_update(company=company, product_id=product.pk, source="test",
                                            data={"suppliers": [*current, supplier.pk]})


def test_it_converges_supplier_lists_when_a_supplier_gains_a_cpf_under_a_live_worker(
    qcluster, client
):
    rng = random.Random(SEED)
    origin = CompanyFactory(legal_name="Distribuidora Paulista de Alimentos Ltda", trade_name="Matriz São Paulo")
    north = CompanyFactory(legal_name="Distribuidora Paulista de Alimentos Ltda – Filial Recife",
                           trade_name="Filial Recife")
    south = CompanyFactory(legal_name="Distribuidora Paulista de Alimentos Ltda – Filial Curitiba",
                           trade_name="Filial Curitiba")
    companies = (origin, north, south)
    admin = UserFactory(username="gestora.cadastros@distribuidora.com.br")
    MembershipFactory(user=admin, company=origin, role=Membership.Role.ADMIN)

    shared_supplier = make_party(origin, "11.222.333/0001-81", "Açúcar União Indústria e Comércio S.A.",
                                 is_client=False, is_supplier=True)
    products = [
        make_product(origin, f"PRD{293 + n:05d}", f"Cesta de orgânicos da estação nº {n} – média",
                     suppliers=[shared_supplier.pk] if n % 3 == 0 else [])
        for n in range(PRODUCTS)
    ]
    # Three rounds in four start in the origin, the fourth in a branch that may include and edit.
    starts = [south if n % 4 == 0 else origin for n in range(1, ROUNDS + 1)]
    origin_docless = [
        make_party(origin, "", f"Sítio Boa Esperança nº {n} – Produção Orgânica de Hortaliças e Frutas",
                   is_client=False, is_supplier=True)
        for n in range(starts.count(origin))
    ]
    _give_suppliers(origin, products, origin_docless, rng)
    share = configure(origin, north, south, destination_permissions=EDIT_AND_INCLUDE)
    activate(share)
    south_products = list(Product.objects.filter(company=south).order_by("code"))
    south_docless = [
        make_party(south, "", f"Cooperativa Agrícola dos Campos Gerais nº {n} – Laticínios e Ovos",
                   is_client=False, is_supplier=True)
        for n in range(starts.count(south))
    ]
    _give_suppliers(south, south_products, south_docless, rng)
    # A branch's own supplier without document stays on its copy of a product.
    local = make_party(north, "", "Quitanda do Seu Zé (fornecedor local)", is_client=False, is_supplier=True)
    first = Product.objects.get(company=north, code=products[0].code)
    catalog_services.product_update(company=north, product_id=first.pk, source="test",
                                    data={"suppliers": [*first.suppliers.values_list("pk", flat=True), local.pk]})
    assert find_drift(share) == []

    qcluster.start({"Q_WORKERS": "3"})
    client.force_login(admin)
    share_page = reverse("sharing:share_detail", args=[origin.pk, share.pk])
    waiting = {origin: list(origin_docless), south: list(south_docless)}
    used: set[str] = set()
    diverged: list[str] = []
    wrong_status: list[str] = []
    for round_number, company in enumerate(starts, start=1):
        supplier = waiting[company].pop(0)
        cpf = seeded_cpf(rng)
        while cpf in used:
            cpf = seeded_cpf(rng)
        used.add(cpf)
        typed = mask_cpf_cnpj(cpf) if round_number % 2 else cpf  # masked and unmasked, as users type
        catalog_services.party_update(company=company, party_id=supplier.pk, source="web",
                                      data={"cnpj_cpf": typed, "person_type": "F"})
        wait_for(converged, timeout=90, interval=0.1, what=f"round {round_number} to converge")

        expected = documented_suppliers(company)
        supplied = {code for code, documents in expected.items() if cpf in documents}
        assert len(supplied) >= 3
        for other in companies:
            mine = documented_suppliers(other)
            # This round's products (a product left wrong by an earlier round is counted there).
            wrong = sorted(code for code in supplied if mine.get(code) != expected[code])
            if wrong:
                diverged.append(f"round {round_number}, {other.trade_name}: {', '.join(wrong)}")
        drift = find_drift(share)
        # The page may only say everything is in sync when nothing differs.
        if drift and SYNCED in client.get(share_page).content.decode():
            wrong_status.append(f"round {round_number}: {len(drift)} difference(s), e.g. {drift[0].summary}")

    rounds_wrong = len({line.split(",")[0] for line in diverged})
    assert not (diverged or wrong_status), (
        f"{rounds_wrong} of {ROUNDS} rounds left a member's supplier lists different "
        f"({len(diverged)} member-rounds): {diverged}; the share page said '{SYNCED}' while records "
        f"differed after {len(wrong_status)} of {ROUNDS} rounds: {wrong_status}"
    )
    lists = [documented_suppliers(company) for company in companies]
    assert lists[0] == lists[1] == lists[2]
    out = StringIO()
    call_command("resync", "--share", str(share.pk), "--dry-run", stdout=out)
    assert out.getvalue().strip().startswith("Nenhuma divergência: "), out.getvalue()
    out = StringIO()
    call_command("sharing_status", "--share", str(share.pk), stdout=out)
    assert out.getvalue().count("divergências: 0") == 3 and "sem a última versão" not in out.getvalue()
    # Nothing converged by way of a failure and a retry (a deadlock between workers, say).
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.APPLY_FAILED).exists()
    assert SYNCED in client.get(share_page).content.decode()
    for company in companies:
        assert Party.objects.filter(company=company, cnpj_cpf__in=used).count() == ROUNDS
    assert list(Product.objects.get(pk=first.pk).suppliers.filter(cnpj_cpf="")) == [local]
