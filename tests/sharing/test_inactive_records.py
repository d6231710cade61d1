"""`inativo` is an ordinary field under sharing too (issue 12 §3). Deletion is a deletion now,
so an inactive client or product is no longer a deleted one: it is a record of the company,
shared like any other and carrying its inactive state, as in Omie. Activation creates or
overwrites it in each destination as inactive, the preview counts it, the duplicates rules
see it, and inactivating or reactivating a shared record is an edit that reaches every
member."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from catalog import services as catalog_services
from catalog.exceptions import WriteRefused
from catalog.models import Party, Product
from companies.models import Company
from omieshare.lib.brazil import mask_cpf_cnpj
from sharing import services
from sharing.models import Change, RecordLink, SharedRecord
from sharing.planner import plan, plan_rows
from sharing.resync import find_drift
from sharing.services import Permissions
from sharing.tasks import run_sync_job
from tests.factories import CompanyFactory, valid_cnpj, valid_cpf
from tests.helpers import (
    ALL,
    activate,
    apply_pending,
    configure,
    make_party,
    make_product,
    make_trio,
    party_in,
    product_in,
    share_between,
)

pytestmark = pytest.mark.django_db

GOODS = (
    "Açúcar cristal 1 kg", "Café torrado e moído 500 g", "Pão de queijo congelado 400 g",
    "Óleo de soja 900 ml", "Feijão carioca tipo 1 – 1 kg", "Macarrão espaguete nº 8 500 g",
    "Maçã gala – caixa com 18 kg", "Leite UHT integral 1 l (fora de linha)",
)
CLIENTS = (
    "Supermercados Irmãos Araújo Ltda", "Padaria e Confeitaria São João EIRELI",
    "Mercearia Conceição & Filhos Ltda", "José Antônio Gonçalves", "Hortifrúti Pêssego Dourado Ltda",
)
NO_EDIT = Permissions(can_create=True, can_update=False, can_delete=True)


@dataclass
class Group:
    """A head office and two branches before activation, and what the preview should say."""

    origin: Company
    caxias: Company  # holds part of the origin's records (active and inactive) and its own
    pelotas: Company  # holds nothing yet
    expected: dict[tuple[str, str], dict[str, int]] = field(default_factory=dict)


def _product_code(n: int) -> str:
    return f"PRD{n:05d}"


@pytest.fixture
def group() -> Group:
    """150 products and 66 clients/suppliers in the origin, every third one inactive; the
    Caxias branch holds 48 of the products and 24 of the parties, in every combination of
    active/inactive and same/other values, plus 12 of its own (half inactive)."""
    origin = CompanyFactory(legal_name="Distribuidora Gaúcha de Alimentos Ltda", trade_name="Matriz Porto Alegre")
    caxias = CompanyFactory(legal_name="Distribuidora Gaúcha Filial Caxias Ltda", trade_name="Filial Caxias")
    pelotas = CompanyFactory(legal_name="Distribuidora Gaúcha Filial Pelotas Ltda", trade_name="Filial Pelotas")
    products = {"overwrite": 0, "identical": 0}
    for n in range(1, 151):
        description = f"{GOODS[n % len(GOODS)]} – lote {n}"
        origin_active = n % 3 != 0
        make_product(origin, _product_code(n), description, price=f"{n}.90", active=origin_active)
        if n > 48:
            continue
        # Each of the branch's copies: active or not, and the same other values or not.
        same_values = n % 2 == 0
        branch_active = n % 4 in (0, 1)
        make_product(caxias, _product_code(n), description if same_values else f"{description} (filial)",
                     price=f"{n}.90", active=branch_active)
        products["identical" if same_values and branch_active == origin_active else "overwrite"] += 1
    for n in range(1, 13):
        make_product(caxias, f"LOCAL{n:03d}", f"Cesta de Natal da filial nº {n}", active=n % 2 == 0)

    parties = {"overwrite": 0, "identical": 0}
    for n in range(1, 61):
        document = valid_cpf() if n % 5 == 0 else valid_cnpj()
        typed = mask_cpf_cnpj(document) if n % 2 else document  # what users paste, masked or not
        name = f"{CLIENTS[n % len(CLIENTS)]} – loja {n}"
        origin_active = n % 3 != 0
        make_party(origin, typed, name, active=origin_active)
        if n > 24:
            continue
        branch_active = n % 4 in (0, 1)
        make_party(caxias, document, name, active=branch_active)
        parties["identical" if branch_active == origin_active else "overwrite"] += 1
    for n in range(1, 7):  # without CNPJ/CPF: never shared, active or not
        make_party(origin, "", f"Consumidor final balcão {n}", active=n % 2 == 0)

    expected = {
        ("product", "caxias"): {"create": 102, "destination_only": 12, **products},
        ("product", "pelotas"): {"create": 150, "overwrite": 0, "identical": 0, "destination_only": 0},
        ("party", "caxias"): {"create": 36, "destination_only": 0, **parties},
        ("party", "pelotas"): {"create": 60, "overwrite": 0, "identical": 0, "destination_only": 0},
    }
    return Group(origin, caxias, pelotas, expected)


def _counts(group: Group) -> dict[tuple[str, str], dict[str, int]]:
    names = {group.caxias.pk: "caxias", group.pelotas.pk: "pelotas"}
    return {
        (item.registry, names[item.company.pk]): {
            key: item.counts[key] for key in ("create", "overwrite", "identical", "destination_only")
        }
        for item in plan(origin=group.origin, destinations=[group.caxias, group.pelotas],
                         registries=["party", "product"])
    }


def _states(company: Company, registry: str) -> dict[str, bool]:
    if registry == "product":
        return dict(Product.objects.filter(company=company).values_list("code", "active"))
    return dict(Party.objects.filter(company=company).exclude(cnpj_cpf="").values_list("cnpj_cpf", "active"))


def test_the_preview_counts_inactive_records_and_activation_does_what_it_said(group):
    previewed = _counts(group)

    job = activate(configure(group.origin, group.caxias, group.pelotas))

    assert previewed == group.expected
    assert group.expected[("product", "caxias")] == {
        "create": 102, "overwrite": 36, "identical": 12, "destination_only": 12,
    }
    for company, name in ((group.caxias, "caxias"), (group.pelotas, "pelotas")):
        done = job.counts["by_company"][str(company.pk)]
        assert (done["created"], done["overwritten"], done["identical"]) == tuple(
            sum(previewed[(registry, name)][key] for registry in ("party", "product"))
            for key in ("create", "overwrite", "identical")
        ), name


def test_activation_carries_every_inactive_origin_record_as_inactive(group):
    branch_own = dict(Product.objects.filter(company=group.caxias, code__startswith="LOCAL")
                      .values_list("code", "active"))

    share = share_between(group.origin, group.caxias, group.pelotas)

    for registry in ("product", "party"):
        in_origin = _states(group.origin, registry)
        assert list(in_origin.values()).count(False) == {"product": 50, "party": 20}[registry]
        for branch in (group.caxias, group.pelotas):
            copies = _states(branch, registry)
            assert {key: copies[key] for key in in_origin} == in_origin, (registry, branch.trade_name)
    # The branch's own records, inactive or not, are kept as they were.
    assert {code: active for code, active in _states(group.caxias, "product").items()
            if code.startswith("LOCAL")} == branch_own
    assert SharedRecord.objects.live().filter(share=share, registry="product").count() == 150
    assert SharedRecord.objects.live().filter(share=share, registry="party").count() == 60
    assert find_drift(share) == []


def test_the_preview_shows_an_inactivation_as_the_difference_of_an_overwrite(group):
    rows = {row["key"]: row["differences"]
            for row in plan_rows(origin=group.origin, dest=group.caxias, registry="product",
                                 category="overwrite", limit=100)}

    assert rows[_product_code(12)] == [("active", True, False)]  # the same but for being inactive
    assert rows[_product_code(2)] == [("active", False, True)]  # made active again
    assert _product_code(6) not in rows  # inactive in both, the same values: identical


def test_a_destinations_inactive_duplicate_is_matched_and_of_two_the_active_one():
    origin = CompanyFactory(trade_name="Matriz Porto Alegre")
    branch = CompanyFactory(trade_name="Filial Caxias", enforce_unique_records=False)
    document = "11.222.333/0001-81"
    # The origin holds the client twice (no uniqueness validation there either): the one in
    # use is shared.
    make_party(origin, document, "Supermercados Irmãos Araújo (cadastro antigo)", active=False)
    current = make_party(origin, document, "Supermercados Irmãos Araújo Ltda", city="Caxias do Sul")
    # The branch holds it twice too: an old inactive one and the one in use.
    old = make_party(branch, document, "Irmãos Araújo (inativo desde 2019)", active=False)
    in_use = make_party(branch, document, "Irmãos Araújo Supermercados", city="Farroupilha")
    # A product the branch only has inactive: matched all the same, and made active.
    make_product(origin, "CAFE-500", "Café torrado e moído 500 g")
    dormant = make_product(branch, "CAFE-500", "Café 500 g (descontinuado)", active=False)
    share = configure(origin, branch)
    overwritten = plan_rows(origin=origin, dest=branch, registry="party", category="overwrite")

    activate(share)

    shared = SharedRecord.objects.live().get(share=share, registry="party")
    assert shared.links.get(company=origin).local_id == current.pk
    assert shared.links.get(company=branch).local_id == in_use.pk
    assert [{name: old for name, old, _new in row["differences"]}["legal_name"] for row in overwritten] == [
        "Irmãos Araújo Supermercados"
    ]
    assert Party.objects.filter(company=branch).count() == 2  # matched: no third copy
    in_use.refresh_from_db()
    old.refresh_from_db()
    assert (in_use.legal_name, in_use.city, in_use.active) == ("Supermercados Irmãos Araújo Ltda", "Caxias do Sul",
                                                               True)
    assert (old.legal_name, old.active) == ("Irmãos Araújo (inativo desde 2019)", False)
    dormant.refresh_from_db()
    assert (dormant.description, dormant.active) == ("Café torrado e moído 500 g", True)
    assert Product.objects.filter(company=branch).count() == 1


def test_a_product_names_the_shared_copy_of_its_supplier_even_when_it_is_inactive():
    origin = CompanyFactory(trade_name="Matriz Porto Alegre")
    branch = CompanyFactory(trade_name="Filial Caxias")
    document = "45723174000110"
    supplier = make_party(origin, document, "Laticínios Serra Gaúcha Ltda", is_supplier=True, active=False)
    make_product(origin, "LEITE-1L", "Leite UHT integral 1 l", suppliers=[supplier.pk])
    # The branch holds the supplier twice: an older inactive record and the one in use,
    # which activation overwrites (inactive now, as in the origin) and links.
    older = make_party(branch, document, "Laticínios Serra (antigo)", is_supplier=True, active=False)
    in_use = make_party(branch, document, "Laticínios Serra Gaúcha", is_supplier=True)
    assert older.pk < in_use.pk

    share = share_between(origin, branch)

    linked = RecordLink.objects.get(shared_record__share=share, company=branch, registry="party").local_id
    assert linked == in_use.pk
    assert Party.objects.get(pk=in_use.pk).active is False
    assert list(product_in(branch, "LEITE-1L").suppliers.values_list("pk", flat=True)) == [in_use.pk]
    assert find_drift(share) == []


def test_duplicates_rules_count_inactive_records():
    origin = CompanyFactory(trade_name="Matriz Porto Alegre")
    branch = CompanyFactory(trade_name="Filial Caxias", enforce_unique_records=True)
    ean = "7891000315507"
    make_product(origin, "AGUA-500", "Água mineral 500 ml (fora de linha)", ean=ean, active=False)
    make_product(branch, "AGUA-0500", "Água mineral 500 ml", ean=f"0{ean}", active=False)
    make_party(origin, "04.252.011/0001-10", "Panificadora Pão Dourado Ltda", active=False)
    make_party(branch, "60701190000104", "PANIFICADORA PÃO DOURADO LTDA.", active=False)
    make_party(origin, "", "Consumidor final (inativo)", active=False)
    share = configure(origin, branch)

    counts = {item.registry: item.counts for item in plan(origin=origin, destinations=[branch],
                                                          registries=["party", "product"])}
    listed = plan_rows(origin=origin, dest=branch, registry="product", category="conflicts")
    job = activate(share)

    assert (counts["product"]["duplicates"], counts["product"]["conflicts"]) == (1, 1)
    assert [row["key"] for row in listed] == ["AGUA-500"]
    assert (counts["party"]["duplicates"], counts["party"]["skipped"]) == (1, 1)
    assert job.counts["conflicts"] == 1
    assert not Product.objects.filter(company=branch, code="AGUA-500").exists()


@pytest.fixture
def trio():
    """Matriz shares product A1 and one client with two branches, every member with every
    permission."""
    return make_trio()


def test_inactivating_a_shared_record_in_a_branch_reaches_every_member_and_so_does_reactivating(trio):
    _share, origin, leaving, staying = trio
    companies = (origin, leaving, staying)
    party = Party.objects.get(company=staying, legal_name="ACME Ltda")

    catalog_services.product_update(company=leaving, product_id=product_in(leaving, "A1").pk,
                                    data={"active": False})
    catalog_services.party_update(company=staying, party_id=party.pk, data={"active": False})
    apply_pending()

    assert [product_in(c, "A1").active for c in companies] == [False, False, False]
    assert [party_in(c, party.cnpj_cpf).active for c in companies] == [False, False, False]
    # An edit of one field (edição), not a deletion.
    assert [(c.action, c.changed_fields) for c in Change.objects.order_by("pk")] == [
        ("update", ["active"]), ("update", ["active"])
    ]

    catalog_services.product_update(company=origin, product_id=product_in(origin, "A1").pk, data={"active": True})
    catalog_services.party_update(company=origin, party_id=party_in(origin, party.cnpj_cpf).pk,
                                  data={"active": True})
    apply_pending()

    assert [product_in(c, "A1").active for c in companies] == [True, True, True]
    assert [party_in(c, party.cnpj_cpf).active for c in companies] == [True, True, True]


def test_a_member_without_the_edicao_permission_neither_inactivates_nor_reactivates():
    origin = CompanyFactory(trade_name="Matriz Porto Alegre")
    branch = CompanyFactory(trade_name="Filial Caxias")
    make_product(origin, "ACUCAR-1KG", "Açúcar cristal 1 kg")
    make_product(origin, "CAFE-500", "Café torrado e moído 500 g", active=False)
    share_between(origin, branch, destination_permissions=NO_EDIT)

    for code, active in (("ACUCAR-1KG", False), ("CAFE-500", True)):
        with pytest.raises(WriteRefused, match="não tem permissão de edição"):
            catalog_services.product_update(company=branch, product_id=product_in(branch, code).pk,
                                            data={"active": active})

    assert [product_in(c, "ACUCAR-1KG").active for c in (origin, branch)] == [True, True]
    assert [product_in(c, "CAFE-500").active for c in (origin, branch)] == [False, False]


def test_a_record_created_inactive_after_activation_is_shared_inactive(trio):
    _share, origin, leaving, staying = trio

    make_product(staying, "PAO-QJ-400", "Pão de queijo congelado 400 g", active=False)
    apply_pending()

    assert [product_in(c, "PAO-QJ-400").active for c in (origin, leaving, staying)] == [False, False, False]


def test_a_branchs_own_record_stays_its_own_when_inactivated_and_reactivated():
    origin = CompanyFactory(trade_name="Matriz Porto Alegre")
    branch = CompanyFactory(trade_name="Filial Caxias")
    make_product(origin, "ACUCAR-1KG", "Açúcar cristal 1 kg")
    own = make_product(branch, "CESTA-NATAL", "Cesta de Natal da filial")
    share_between(origin, branch, destination_permissions=ALL)

    for active in (False, True):
        catalog_services.product_update(company=branch, product_id=own.pk, data={"active": active})
    apply_pending()

    assert not Product.objects.filter(company=origin, code="CESTA-NATAL").exists()
    assert not RecordLink.objects.filter(company=branch, local_id=own.pk).exists()


def test_a_copy_made_active_behind_the_engines_back_is_drift_that_resync_repairs():
    origin = CompanyFactory(trade_name="Matriz Porto Alegre")
    branch = CompanyFactory(trade_name="Filial Caxias")
    make_product(origin, "OLEO-900", "Óleo de soja 900 ml (fora de linha)", active=False)
    share = share_between(origin, branch)
    Product.objects.filter(company=branch, code="OLEO-900").update(active=True)  # a support script

    drift = find_drift(share)
    job = services.resync_start(share=share)
    run_sync_job(job.pk)
    job.refresh_from_db()

    assert [(d.key, d.fields) for d in drift] == [("OLEO-900", ("active",))]
    assert (job.counts["fixed"], job.counts["failed"]) == (1, 0)
    assert product_in(branch, "OLEO-900").active is False
    assert find_drift(share) == []
