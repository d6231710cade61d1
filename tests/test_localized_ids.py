"""Machine values are never localized (issue 10). With USE_THOUSAND_SEPARATOR on, an id of
1,865 reached the pages as "1.865": products lost their suppliers on save, the admin's
"Restaurar cópia anterior" answered 500 and "Remover" did nothing. Every id here is at
least 1,000,000 (tests/conftest.py) and each form is posted back as the page rendered it.

Numbers meant for people keep the pt-BR grouping through `|number`."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.template import Context, Template
from django.urls import reverse

from catalog import services as catalog_services
from catalog.forms import BrazilianDecimalField
from catalog.models import Party, Product
from sharing.models import Share, ShareMember, Snapshot, SyncJob
from tests.conftest import FIRST_ID
from tests.factories import PartyFactory, ProductFactory, UserFactory
from tests.helpers import apply_pending, company_administered_by, share_between
from tests.pages import control_values, form_data, localized_machine_values

pytestmark = pytest.mark.django_db


@pytest.fixture
def dest(owner):
    return company_administered_by(owner, "Comércio de Cafés Especiais do Sul de Minas Ltda", "Filial Sul")


@pytest.fixture
def north(owner):
    return company_administered_by(owner, "Distribuidora Amazônica de Alimentos S.A.", "Filial Norte")


def suppliers_of(company, code: str) -> set[str]:
    product = Product.objects.get(company=company, code=code)
    return {party.cnpj_cpf for party in product.suppliers.all()}


def assert_no_localized_machine_values(html: str) -> None:
    assert localized_machine_values(html) == []


def rendered_value(html: str, name: str, pk: int) -> str:
    """The value the page gives the control `name` of the row of `pk`, as the browser sends it
    (whatever grouping the page printed it with)."""
    [value] = [value for value in control_values(html, name) if value.replace(".", "") == str(pk)]
    return value


# -- the defects as users met them ------------------------------------------------------


def test_it_keeps_a_products_suppliers_when_its_form_is_saved_as_rendered(login, owner, company, dest):
    """Salvar on a product with suppliers whose ids are large: the price changes and the
    suppliers stay, in the company and in the one it shares with."""
    for target in (company, dest):
        PartyFactory(company=target, cnpj_cpf="11222333000181", legal_name="Torrefação Serrana Ltda",
                     is_supplier=True)
        PartyFactory(company=target, cnpj_cpf="71147104964", legal_name="João Conceição", person_type="F",
                     is_supplier=True)
    product = ProductFactory(company=company, code="CAFÉ-500", description="Café torrado e moído 500 g",
                             price=Decimal("1234.50"))
    supplier_ids = list(Party.objects.filter(company=company, is_supplier=True).values_list("pk", flat=True))
    catalog_services.product_update(company=company, product_id=product.pk, data={"suppliers": supplier_ids})
    share_between(company, dest, registries=("party", "product"))
    assert suppliers_of(dest, "CAFÉ-500") == {"11222333000181", "71147104964"}

    client = login(owner)
    edit_url = reverse("catalog:product_edit", args=[company.pk, product.pk])
    html = client.get(edit_url).content.decode()
    data = form_data(html, with_field="suppliers")
    assert data["price"] == ["1.234,50"]  # money stays the pt-BR way a person reads and types
    data["price"] = ["1.299,90"]
    response = client.post(edit_url, data)

    assert "Nenhum fornecedor vinculado" not in response.content.decode()
    assert response.status_code == 302, response.content.decode()
    assert sorted(control_values(html, "suppliers")) == sorted(str(pk) for pk in supplier_ids)
    product.refresh_from_db()
    assert product.price == Decimal("1299.90")
    assert suppliers_of(company, "CAFÉ-500") == {"11222333000181", "71147104964"}
    apply_pending()
    assert Product.objects.get(company=dest, code="CAFÉ-500").price == Decimal("1299.90")
    assert suppliers_of(dest, "CAFÉ-500") == {"11222333000181", "71147104964"}


def test_it_links_a_supplier_found_by_buscar_fornecedor(login, member, company):
    supplier = PartyFactory(company=company, cnpj_cpf="11222333000181", legal_name="Fornecedora Três Corações Ltda",
                            is_supplier=True)
    product = ProductFactory(company=company, code="XÍCARA-01", description="Xícara de porcelana")
    client = login(member)
    options = client.get(reverse("catalog:supplier_options", args=[company.pk]), {"supplier_q": "três"}).text

    edit_url = reverse("catalog:product_edit", args=[company.pk, product.pk])
    data = form_data(client.get(edit_url).content.decode(), with_field="description")
    data["suppliers"] = control_values(options, "suppliers")  # the user ticks the result
    response = client.post(edit_url, data)

    assert response.status_code == 302, response.content.decode()
    assert suppliers_of(company, "XÍCARA-01") == {"11222333000181"}
    assert control_values(options, "suppliers") == [str(supplier.pk)]


def test_it_removes_a_destination_from_the_share_edit_page(login, owner, company, dest, north):
    ProductFactory(company=company, code="A1", description="Água mineral sem gás 500 ml")
    share = share_between(company, dest, north, registries=("product",))
    member = share.members.get(company=dest)
    edit_url = reverse("sharing:share_edit", args=[company.pk, share.pk])
    client = login(owner)
    html = client.get(edit_url).content.decode()
    data = form_data(html, with_field="remover")
    data["remover"] = [rendered_value(html, "remover", member.pk)]  # Remover ticked on Filial Sul's row

    response = client.post(edit_url, data, follow=True)

    assert "não serão mais atualizados" in response.content.decode()
    member.refresh_from_db()
    assert member.state == ShareMember.State.REMOVED
    assert share.members.get(company=north).state == ShareMember.State.ACTIVE
    assert Product.objects.filter(company=dest, code="A1").exists()
    assert sorted(control_values(html, "remover")) == sorted(str(m.pk) for m in share.members.filter(is_origin=False))


def test_it_removes_a_destination_in_the_wizard(login, owner, company, dest, north):
    def url(name):
        return reverse(f"sharing:{name}", kwargs={"company_id": company.pk})

    client = login(owner)
    client.post(url("step_registries"), {"registries": ["product"]})
    client.post(url("step_origin"), {"can_create": "on", "can_update": "on"})
    client.post(url("step_add"), {"companies": [dest.pk, north.pk]})
    html = client.get(url("step_destinations")).content.decode()
    data = form_data(html, with_field="remover")
    data["remover"] = [rendered_value(html, "remover", dest.pk)]  # the Remover button on Filial Sul's row

    response = client.post(url("step_destinations"), data, follow=True)

    assert "Filial Sul removida da lista de destinos" in response.content.decode()
    html = client.get(url("step_destinations")).content.decode()
    assert control_values(html, "remover") == [str(north.pk)]


def test_it_restores_a_snapshot_from_the_admin(client, company, dest):
    ProductFactory(company=company, code="A1", description="Água mineral", price=Decimal("3.50"))
    ProductFactory(company=dest, code="A1", description="Água da filial", price=Decimal("1.00"))
    share_between(company, dest, registries=("product",))
    snapshot = Snapshot.objects.get(company=dest)
    assert snapshot.pk >= FIRST_ID
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    changelist = reverse("admin:sharing_snapshot_changelist")
    html = client.get(changelist).content.decode()
    data = form_data(html, with_field="action")
    data.update({"action": ["restore_snapshots"], "_selected_action": [rendered_value(html, "_selected_action",
                                                                                      snapshot.pk)]})
    confirm = client.post(changelist, data)
    assert confirm.status_code == 200 and "Sim, restaurar" in confirm.content.decode()

    response = client.post(changelist, form_data(confirm.content.decode(), with_field="confirmar"))

    assert response.status_code == 302
    snapshot.refresh_from_db()
    assert snapshot.restored_at is not None
    assert Product.objects.get(company=dest, code="A1").description == "Água da filial"
    assert_no_localized_machine_values(html)
    assert_no_localized_machine_values(confirm.content.decode())


@pytest.mark.parametrize(("typed", "value"), [
    ("1.234,56", "1234.56"), ("1234,56", "1234.56"), ("1234.56", "1234.56"), ("2.5", "2.5"),
    ("1.234", "1234"), ("12.345.678,9", "12345678.9"), (" 3,90 ", "3.90"),
])
def test_it_reads_a_price_as_a_person_types_it(typed, value):
    """Django's localized input dropped thousand dots only while USE_THOUSAND_SEPARATOR was on."""
    field = BrazilianDecimalField(max_digits=15, decimal_places=2)
    assert field.clean(typed) == Decimal(value)
    assert field.prepare_value(Decimal("1234.5")) == "1.234,50"


# -- the class of defect --------------------------------------------------------------------


def test_it_prints_machine_values_raw_and_peoples_numbers_the_pt_br_way():
    html = Template(
        '<a href="/x/{{ pk }}/" data-id="{{ pk }}">{{ total|number }} · {{ price|number }} · {{ pk }}</a>'
    ).render(Context({"pk": 1865, "total": 3900, "price": Decimal("1234.5")}))
    assert html == '<a href="/x/1865/" data-id="1865">3.900 · 1.234,5 · 1865</a>'


def test_it_shows_a_jobs_figures_grouped_the_pt_br_way(login, owner, company, dest):
    ProductFactory(company=company, code="A1", description="Água mineral")
    share = share_between(company, dest, registries=("product",))
    job = share.jobs.get()
    SyncJob.objects.filter(pk=job.pk).update(done=3900, total=12000, counts={"created": 3900, "overwritten": 1250})

    html = login(owner).get(reverse("sharing:job", args=[company.pk, share.pk, job.pk])).content.decode()

    assert "3.900 de 12.000 cadastros" in html
    assert "<dt>Incluídos</dt><dd>3.900</dd>" in html and "<dt>Sobrescritos</dt><dd>1.250</dd>" in html


def test_it_localizes_no_machine_value_on_any_page(client, login, owner, company, dest):
    supplier = PartyFactory(company=company, cnpj_cpf="11222333000181", legal_name="Torrefação Serrana Ltda",
                            is_supplier=True)
    product = ProductFactory(company=company, code="CAFÉ-500", description="Café torrado e moído 500 g",
                             price=Decimal("1234.50"))
    catalog_services.product_update(company=company, product_id=product.pk, data={"suppliers": [supplier.pk]})
    ProductFactory(company=dest, code="CAFÉ-500", description="Café antigo", price=Decimal("999.00"))
    share = share_between(company, dest, registries=("party", "product"))
    catalog_services.product_update(company=company, product_id=product.pk, data={"description": "Café 1 kg"})
    job = share.jobs.order_by("pk").last()
    assert min(company.pk, product.pk, supplier.pk, share.pk, job.pk) >= FIRST_ID

    owner_client = login(owner)
    c, s = company.pk, share.pk
    pages = [
        reverse("companies:my_apps"),
        reverse("catalog:product_list", args=[c]),
        reverse("catalog:product_detail", args=[c, product.pk]),
        reverse("catalog:product_edit", args=[c, product.pk]),
        reverse("catalog:party_list", args=[c]),
        reverse("catalog:party_detail", args=[c, supplier.pk]),
        reverse("catalog:party_edit", args=[c, supplier.pk]),
        reverse("catalog:supplier_options", args=[c]) + "?supplier_q=torre",
        reverse("sharing:share_detail", args=[c, s]),
        reverse("sharing:share_edit", args=[c, s]),
        reverse("sharing:audit", args=[c, s]),
        reverse("sharing:job", args=[c, s, job.pk]),
    ]
    for url in pages:
        response = owner_client.get(url)
        assert response.status_code == 200, url
        assert localized_machine_values(response.content.decode()) == [], url

    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    for model, pk in (("share", s), ("syncjob", job.pk), ("snapshot", Snapshot.objects.get(company=dest).pk),
                      ("sharemember", share.members.get(company=dest).pk)):
        for url in (reverse(f"admin:sharing_{model}_changelist"), reverse(f"admin:sharing_{model}_change", args=[pk])):
            response = client.get(url)
            assert response.status_code == 200, url
            assert localized_machine_values(response.content.decode()) == [], url
    assert Share.objects.get().pk == s
