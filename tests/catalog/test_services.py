"""The one write path: catalog/services.py.

Each test checks what ends up in the database (re-read, never the returned object alone):
values stored in normal form, duplicates refused with a message naming the holder, deletes
(tests/catalog/test_deletion.py goes further), stale edits, and that a refused write leaves
every field and relation as it was.
"""

from __future__ import annotations

import threading
import time
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from catalog import hooks, services
from catalog.exceptions import StaleEdit, WriteRefused
from catalog.models import Attachment, BillOfMaterialsItem, Blob, Party, Product, StockBalance
from companies.models import Company
from tests.factories import (
    CompanyFactory,
    PartyFactory,
    ProductFactory,
    ProductFamilyFactory,
    SalespersonFactory,
)

CNPJ = "11222333000181"
CNPJ_MASKED = "11.222.333/0001-81"


def _uniqueness_on(company: Company) -> Company:
    company.enforce_unique_records = True
    company.save(update_fields=["enforce_unique_records"])
    return company


def _party_data(**fields) -> dict:
    data = {"legal_name": "Comercial Exemplo Ltda", "cnpj_cpf": CNPJ_MASKED}
    data.update(fields)
    return data


def _product_data(**fields) -> dict:
    data = {"code": "PRD00001", "description": "Notebook 14 polegadas", "ncm": "8471.30.12"}
    data.update(fields)
    return data


def _messages(error: ValidationError) -> str:
    return " ".join(error.messages)


def _party_row(party_id: int) -> dict:
    party = Party.objects.get(pk=party_id)
    values = services.party_values(party)
    values["version"] = party.version
    return values


def _product_row(product_id: int) -> dict:
    product = Product.objects.get(pk=product_id)
    values = services.product_values(product)
    values["version"] = product.version
    return values


@pytest.fixture
def writes():
    """Every RecordWrite the services announce during the test."""
    seen: list[hooks.RecordWrite] = []
    hooks.register_write_listener(seen.append)
    yield seen
    hooks._write_listeners.remove(seen.append)


@pytest.fixture
def refuse_writes():
    """A sharing-like listener that refuses every write, as a member without permission."""

    def refuse(write: hooks.RecordWrite) -> None:
        raise WriteRefused("Este aplicativo não tem permissão de edição neste compartilhamento.")

    hooks.register_write_listener(refuse)
    yield refuse
    hooks._write_listeners.remove(refuse)


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


# --- parties: create, update, delete ---------------------------------------------------


@pytest.mark.django_db
def test_it_stores_a_party_typed_with_masks_in_normal_form(company):
    party = services.party_create(
        company=company,
        data=_party_data(
            cnpj_cpf=" 12.abc.345/01de-35 ",
            person_type="F",
            state="sp",
            cep="01310-100",
            phone_ddd="011",
            phone_number="3234-5678",
            email="Compras@Exemplo.com.br",
        ),
    )
    stored = Party.objects.get(pk=party.pk)
    assert stored.company == company
    assert stored.cnpj_cpf == "12ABC34501DE35"
    assert stored.person_type == "J"
    assert (stored.state, stored.cep, stored.phone_ddd, stored.phone_number) == (
        "SP",
        "01310100",
        "11",
        "32345678",
    )
    assert stored.email == "compras@exemplo.com.br"
    assert (stored.active, stored.version) == (True, 1)


@pytest.mark.django_db
def test_it_creates_a_party_without_document(company):
    party = services.party_create(company=company, data=_party_data(cnpj_cpf=""))
    assert Party.objects.get(pk=party.pk).cnpj_cpf == ""


@pytest.mark.django_db
def test_it_creates_nothing_for_an_invalid_party(company):
    with pytest.raises(ValidationError) as caught:
        services.party_create(company=company, data=_party_data(cnpj_cpf="529.982.247-26", cep="1234"))
    assert caught.value.message_dict["cnpj_cpf"] == ["CPF inválido: os dígitos verificadores não conferem."]
    assert caught.value.message_dict["cep"] == ["CEP inválido: informe 8 dígitos (ex.: 01310-100)."]
    assert not Party.objects.exists()


@pytest.mark.django_db
def test_it_refuses_unknown_fields_as_a_programming_error(company):
    with pytest.raises(TypeError, match="stock"):
        services.party_create(company=company, data=_party_data(stock=3))
    assert not Party.objects.exists()


@pytest.mark.django_db
def test_it_updates_a_party_in_normal_form_and_counts_the_version(company):
    party = PartyFactory(company=company, cnpj_cpf="")
    services.party_update(
        company=company,
        party_id=party.pk,
        data={"cnpj_cpf": "529.982.247-25", "legal_name": " Maria Souza "},
        expected_version=1,
    )
    stored = Party.objects.get(pk=party.pk)
    assert (stored.cnpj_cpf, stored.person_type, stored.legal_name) == ("52998224725", "F", "Maria Souza")
    assert stored.version == 2


@pytest.mark.django_db
def test_it_deletes_a_party(company):
    party = PartyFactory(company=company)
    deleted = services.party_delete(company=company, party_id=party.pk, expected_version=1)
    assert deleted.pk == party.pk  # callers (the API) answer with the number it had
    assert not Party.objects.filter(pk=party.pk).exists()


@pytest.mark.django_db
def test_it_does_not_touch_a_party_of_another_company(company, other_company):
    party = PartyFactory(company=other_company, legal_name="Cliente da Outra")
    with pytest.raises(Party.DoesNotExist):
        services.party_update(company=company, party_id=party.pk, data={"legal_name": "Invadido"})
    with pytest.raises(Party.DoesNotExist):
        services.party_delete(company=company, party_id=party.pk)
    stored = Party.objects.get(pk=party.pk)
    assert (stored.legal_name, stored.active, stored.version) == ("Cliente da Outra", True, 1)


@pytest.mark.django_db
def test_it_refuses_a_stale_party_edit_with_the_current_values_and_writes_nothing(company):
    party = PartyFactory(company=company, legal_name="Nome Original")
    services.party_update(
        company=company, party_id=party.pk, data={"legal_name": "Nome da Filial"}, expected_version=1
    )

    with pytest.raises(StaleEdit) as caught:
        services.party_update(
            company=company,
            party_id=party.pk,
            data={"legal_name": "Nome do Formulário Antigo"},
            expected_version=1,
        )
    assert caught.value.current.legal_name == "Nome da Filial"
    assert caught.value.current.version == 2
    assert "versão 1 → 2" in str(caught.value)
    stored = Party.objects.get(pk=party.pk)
    assert (stored.legal_name, stored.version) == ("Nome da Filial", 2)

    with pytest.raises(StaleEdit):
        services.party_delete(company=company, party_id=party.pk, expected_version=1)
    assert Party.objects.get(pk=party.pk).active is True


@pytest.mark.django_db
def test_it_sets_salespeople_of_the_same_company(company):
    ana, bruno = SalespersonFactory(company=company), SalespersonFactory(company=company)
    party = services.party_create(company=company, data=_party_data(salespeople=[ana, bruno.pk]))
    assert set(Party.objects.get(pk=party.pk).salespeople.all()) == {ana, bruno}
    services.party_update(company=company, party_id=party.pk, data={"salespeople": [bruno]})
    assert list(Party.objects.get(pk=party.pk).salespeople.all()) == [bruno]


@pytest.mark.django_db
def test_it_refuses_a_salesperson_of_another_company(company, other_company):
    foreign = SalespersonFactory(company=other_company)
    with pytest.raises(ValidationError) as caught:
        services.party_create(company=company, data=_party_data(salespeople=[foreign]))
    assert caught.value.message_dict["salespeople"] == [f"Não encontrado nesta empresa: {foreign.pk}."]
    assert not Party.objects.exists()


@pytest.mark.django_db
def test_it_leaves_every_party_field_and_salesperson_as_before_when_one_field_is_wrong(company):
    ana, bruno = SalespersonFactory(company=company), SalespersonFactory(company=company)
    party = services.party_create(company=company, data=_party_data(salespeople=[ana], city="Campinas"))
    before = _party_row(party.pk)

    with pytest.raises(ValidationError) as caught:
        services.party_update(
            company=company,
            party_id=party.pk,
            data={"legal_name": "Nome Novo", "city": "Santos", "salespeople": [bruno], "state": "XX"},
            expected_version=1,
        )
    assert caught.value.message_dict["state"] == [
        "UF inválida: use a sigla de um dos 27 estados (ex.: SP, RJ, DF) ou EX para um cliente/fornecedor do exterior."
    ]
    assert _party_row(party.pk) == before


@pytest.mark.django_db
def test_it_refuses_a_second_party_with_the_same_integration_code(company):
    services.party_create(company=company, data=_party_data(code="CLI-1", cnpj_cpf=""))
    with pytest.raises(ValidationError) as caught:
        services.party_create(company=company, data=_party_data(code=" CLI-1 ", cnpj_cpf=""))
    assert "Já existe um cliente/fornecedor com este código de integração." in _messages(caught.value)
    assert Party.objects.count() == 1


# --- parties: validação de unicidade ----------------------------------------------------


@pytest.mark.django_db
def test_it_allows_the_same_cnpj_twice_when_uniqueness_validation_is_off(company):
    services.party_create(company=company, data=_party_data(cnpj_cpf=CNPJ_MASKED))
    services.party_create(company=company, data=_party_data(cnpj_cpf=CNPJ, legal_name="Filial"))
    assert Party.objects.filter(company=company, cnpj_cpf=CNPJ).count() == 2


@pytest.mark.django_db
def test_it_refuses_the_same_cnpj_when_uniqueness_validation_is_on_naming_the_holder(company):
    _uniqueness_on(company)
    holder = services.party_create(company=company, data=_party_data(legal_name="Comercial Exemplo Ltda"))
    with pytest.raises(ValidationError) as caught:
        services.party_create(company=company, data=_party_data(cnpj_cpf=CNPJ, legal_name="Cópia"))
    assert caught.value.message_dict["cnpj_cpf"] == [
        f"Já existe um cliente/fornecedor com o CNPJ/CPF {CNPJ_MASKED} nesta empresa: "
        f"nº {holder.pk} – Comercial Exemplo Ltda. A validação de unicidade de cadastros está ativada."
    ]
    assert list(Party.objects.values_list("legal_name", flat=True)) == ["Comercial Exemplo Ltda"]


@pytest.mark.django_db
def test_it_refuses_the_same_cpf_when_uniqueness_validation_is_on(company):
    _uniqueness_on(company)
    services.party_create(
        company=company, data=_party_data(cnpj_cpf="529.982.247-25", legal_name="Maria Souza")
    )
    with pytest.raises(ValidationError) as caught:
        services.party_create(
            company=company, data=_party_data(cnpj_cpf="52998224725", legal_name="Maria S.")
        )
    assert "529.982.247-25" in _messages(caught.value)
    assert "Maria Souza" in _messages(caught.value)
    assert Party.objects.count() == 1


@pytest.mark.django_db
def test_it_refuses_a_cnpj_held_by_an_inactive_party_and_says_so(company):
    _uniqueness_on(company)
    holder = services.party_create(company=company, data=_party_data(legal_name="Antigo Cliente"))
    services.party_update(company=company, party_id=holder.pk, data={"active": False})
    with pytest.raises(ValidationError) as caught:
        services.party_create(company=company, data=_party_data(legal_name="Novo Cliente"))
    assert f"nº {holder.pk} – Antigo Cliente (inativo)" in _messages(caught.value)
    assert Party.objects.count() == 1


@pytest.mark.django_db
def test_it_refuses_changing_a_party_to_a_cnpj_another_one_holds(company):
    _uniqueness_on(company)
    holder = services.party_create(company=company, data=_party_data(legal_name="Titular"))
    other = services.party_create(
        company=company, data=_party_data(cnpj_cpf="529.982.247-25", legal_name="Outro")
    )
    with pytest.raises(ValidationError) as caught:
        services.party_update(
            company=company, party_id=other.pk, data={"cnpj_cpf": CNPJ_MASKED, "legal_name": "X"}
        )
    assert f"nº {holder.pk} – Titular" in _messages(caught.value)
    stored = Party.objects.get(pk=other.pk)
    assert (stored.cnpj_cpf, stored.legal_name, stored.version) == ("52998224725", "Outro", 1)


@pytest.mark.django_db
def test_it_lets_a_party_be_saved_again_with_its_own_cnpj_when_uniqueness_is_on(company):
    _uniqueness_on(company)
    party = services.party_create(company=company, data=_party_data())
    services.party_update(
        company=company, party_id=party.pk, data={"cnpj_cpf": CNPJ_MASKED, "city": "Santos"}
    )
    assert Party.objects.get(pk=party.pk).city == "Santos"


@pytest.mark.django_db
def test_it_allows_many_parties_without_document_when_uniqueness_is_on(company):
    _uniqueness_on(company)
    for name in ("Consumidor A", "Consumidor B"):
        services.party_create(company=company, data=_party_data(cnpj_cpf="", legal_name=name))
    assert Party.objects.filter(cnpj_cpf="").count() == 2


@pytest.mark.django_db
def test_it_checks_uniqueness_only_inside_the_company(company, other_company):
    _uniqueness_on(company)
    _uniqueness_on(other_company)
    services.party_create(company=company, data=_party_data())
    services.party_create(company=other_company, data=_party_data())
    assert Party.objects.filter(cnpj_cpf=CNPJ).count() == 2


@pytest.mark.django_db
def test_it_lets_duplicates_made_before_uniqueness_was_turned_on_be_edited_and_deleted(company):
    first = services.party_create(company=company, data=_party_data(legal_name="Primeiro"))
    second = services.party_create(company=company, data=_party_data(legal_name="Segundo"))
    _uniqueness_on(company)

    services.party_update(company=company, party_id=first.pk, data={"city": "Campinas"})
    services.party_delete(company=company, party_id=second.pk)

    assert Party.objects.get(pk=first.pk).city == "Campinas"
    assert not Party.objects.filter(pk=second.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_it_keeps_one_party_when_two_requests_create_the_same_cnpj_at_once():
    company = _uniqueness_on(CompanyFactory())
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def create(name: str) -> None:
        try:
            barrier.wait(timeout=10)
            services.party_create(company=company, data=_party_data(legal_name=name))
            outcomes.append("created")
        except ValidationError as error:
            outcomes.append(_messages(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=create, args=(name,)) for name in ("Pedido A", "Pedido B")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert Party.objects.filter(company=company, cnpj_cpf=CNPJ).count() == 1
    assert len(outcomes) == 2 and outcomes.count("created") == 1
    refusal = next(outcome for outcome in outcomes if outcome != "created")
    assert "A validação de unicidade de cadastros está ativada." in refusal


# --- products ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_stores_a_product_typed_with_masks_in_normal_form(company):
    family = ProductFamilyFactory(company=company)
    product = services.product_create(
        company=company,
        data=_product_data(
            code=" prd00042 ",
            unit="cx",
            ncm="8471.30.12",
            cest="21.053.00",
            ean="789 1000 315 507",
            price=Decimal("1234.56"),
            origin=2,
            item_type="04",
            family=family.pk,
            characteristics={"cor": "azul"},
        ),
    )
    stored = Product.objects.get(pk=product.pk)
    assert (stored.code, stored.unit, stored.ncm, stored.cest, stored.ean) == (
        "PRD00042",
        "CX",
        "84713012",
        "2105300",
        "7891000315507",
    )
    assert (stored.price, stored.origin, stored.item_type, stored.family) == (
        Decimal("1234.56"),
        2,
        "04",
        family,
    )
    assert stored.characteristics == {"cor": "azul"}
    assert (stored.active, stored.version) == (True, 1)


@pytest.mark.django_db
def test_it_creates_nothing_for_an_invalid_product(company):
    with pytest.raises(ValidationError) as caught:
        services.product_create(
            company=company, data=_product_data(ncm="8471.30.1", price=Decimal("-1"), origin=9)
        )
    errors = caught.value.message_dict
    assert errors["ncm"] == ["NCM inválido: informe os 8 dígitos da classificação fiscal (ex.: 8471.30.12)."]
    assert "O preço não pode ser negativo." in errors["price"]
    assert "origin" in errors
    assert not Product.objects.exists()


@pytest.mark.django_db
def test_it_refuses_a_family_of_another_company(company, other_company):
    family = ProductFamilyFactory(company=other_company)
    with pytest.raises(ValidationError) as caught:
        services.product_create(company=company, data=_product_data(family=family.pk))
    assert caught.value.message_dict["family"] == ["Família não encontrada nesta empresa."]
    assert not Product.objects.exists()


@pytest.mark.django_db
def test_it_refuses_a_second_product_with_the_same_code_naming_the_holder(company):
    assert company.enforce_unique_records is False  # product codes are unique regardless
    services.product_create(company=company, data=_product_data(code="PRD00001", description="Mouse sem fio"))
    with pytest.raises(ValidationError) as caught:
        services.product_create(company=company, data=_product_data(code="prd00001", description="Teclado"))
    assert caught.value.message_dict["code"] == [
        "Já existe um produto com o código PRD00001 nesta empresa: Mouse sem fio."
    ]
    assert list(Product.objects.values_list("description", flat=True)) == ["Mouse sem fio"]


@pytest.mark.django_db
def test_it_refuses_renaming_a_product_to_a_code_in_use(company):
    services.product_create(company=company, data=_product_data(code="PRD00001", description="Mouse sem fio"))
    other = services.product_create(
        company=company, data=_product_data(code="PRD00002", description="Teclado")
    )
    with pytest.raises(ValidationError) as caught:
        services.product_update(company=company, product_id=other.pk, data={"code": "PRD00001"})
    assert "Mouse sem fio" in _messages(caught.value)
    assert Product.objects.get(pk=other.pk).code == "PRD00002"


@pytest.mark.django_db
def test_it_allows_the_same_product_code_in_another_company(company, other_company):
    _uniqueness_on(company)
    services.product_create(company=company, data=_product_data(code="PRD00001"))
    services.product_create(company=other_company, data=_product_data(code="PRD00001"))
    assert Product.objects.filter(code="PRD00001").count() == 2


@pytest.mark.django_db
def test_it_allows_the_same_ean_twice_when_uniqueness_validation_is_off(company):
    services.product_create(company=company, data=_product_data(code="A1", ean="7891000315507"))
    services.product_create(company=company, data=_product_data(code="A2", ean="7891000315507"))
    assert Product.objects.filter(ean="7891000315507").count() == 2


@pytest.mark.django_db
def test_it_refuses_the_same_ean_when_uniqueness_validation_is_on_naming_the_holder(company):
    _uniqueness_on(company)
    services.product_create(
        company=company, data=_product_data(code="A1", description="Café 500 g", ean="7891000315507")
    )
    with pytest.raises(ValidationError) as caught:
        services.product_create(company=company, data=_product_data(code="A2", ean="7891000315507"))
    assert caught.value.message_dict["ean"] == [
        "Já existe um produto com o EAN 7891000315507 nesta empresa: A1 – Café 500 g. "
        "A validação de unicidade de cadastros está ativada."
    ]
    assert list(Product.objects.values_list("code", flat=True)) == ["A1"]


@pytest.mark.django_db
def test_it_refuses_changing_a_product_to_an_ean_in_use_when_uniqueness_is_on(company):
    _uniqueness_on(company)
    services.product_create(
        company=company, data=_product_data(code="A1", description="Café 500 g", ean="7891000315507")
    )
    other = services.product_create(company=company, data=_product_data(code="A2", ean="96385074"))
    with pytest.raises(ValidationError) as caught:
        services.product_update(company=company, product_id=other.pk, data={"ean": "7891000315507"})
    assert "A1 – Café 500 g" in " ".join(caught.value.message_dict["ean"])
    assert Product.objects.get(pk=other.pk).ean == "96385074"


@pytest.mark.django_db
def test_it_lets_products_sharing_an_ean_from_before_uniqueness_be_edited_and_deleted(company):
    first = services.product_create(company=company, data=_product_data(code="A1", ean="7891000315507"))
    second = services.product_create(company=company, data=_product_data(code="A2", ean="7891000315507"))
    _uniqueness_on(company)

    services.product_update(company=company, product_id=first.pk, data={"price": Decimal("5.00")})
    services.product_delete(company=company, product_id=second.pk)

    assert Product.objects.get(pk=first.pk).price == Decimal("5.00")
    assert not Product.objects.filter(pk=second.pk).exists()


@pytest.mark.django_db
def test_it_allows_many_products_without_ean_when_uniqueness_is_on(company):
    _uniqueness_on(company)
    services.product_create(company=company, data=_product_data(code="A1", ean=""))
    services.product_create(company=company, data=_product_data(code="A2", ean=""))
    assert Product.objects.filter(ean="").count() == 2


@pytest.mark.django_db
def test_it_deletes_a_product_with_its_stock_balance(company):
    product = ProductFactory(company=company)
    services.stock_balance_set(company=company, product_id=product.pk, quantity=Decimal("7"))
    services.product_delete(company=company, product_id=product.pk, expected_version=1)
    assert not Product.objects.filter(pk=product.pk).exists()
    assert not StockBalance.objects.filter(product_id=product.pk).exists()


@pytest.mark.django_db
def test_it_refuses_a_stale_product_edit_with_the_current_values_and_writes_nothing(company):
    product = ProductFactory(company=company, description="Descrição original")
    services.product_update(company=company, product_id=product.pk, data={"description": "Da filial"})
    with pytest.raises(StaleEdit) as caught:
        services.product_update(
            company=company,
            product_id=product.pk,
            data={"description": "Do formulário antigo"},
            expected_version=1,
        )
    assert caught.value.current.description == "Da filial"
    stored = Product.objects.get(pk=product.pk)
    assert (stored.description, stored.version) == ("Da filial", 2)


@pytest.mark.django_db
def test_it_sets_suppliers_and_structure_of_the_same_company(company):
    supplier = PartyFactory(company=company, is_supplier=True)
    screw, board = ProductFactory(company=company), ProductFactory(company=company)
    product = services.product_create(
        company=company,
        data=_product_data(suppliers=[supplier], bom=[(screw, "4"), (board.pk, Decimal("1.5"))]),
    )
    stored = Product.objects.get(pk=product.pk)
    assert list(stored.suppliers.all()) == [supplier]
    assert sorted((item.component_id, item.quantity) for item in stored.bom_items.all()) == sorted(
        [(screw.pk, Decimal("4.0000")), (board.pk, Decimal("1.5000"))]
    )
    services.product_update(
        company=company, product_id=product.pk, data={"bom": [(board, 2)], "suppliers": []}
    )
    stored = Product.objects.get(pk=product.pk)
    assert [(i.component_id, i.quantity) for i in stored.bom_items.all()] == [(board.pk, Decimal("2.0000"))]
    assert not stored.suppliers.exists()


@pytest.mark.django_db
def test_it_refuses_a_supplier_of_another_company(company, other_company):
    foreign = PartyFactory(company=other_company, is_supplier=True)
    with pytest.raises(ValidationError) as caught:
        services.product_create(company=company, data=_product_data(suppliers=[foreign.pk]))
    assert caught.value.message_dict["suppliers"] == [f"Não encontrado nesta empresa: {foreign.pk}."]
    assert not Product.objects.exists()


@pytest.mark.django_db
def test_it_refuses_a_product_as_its_own_component(company):
    product = ProductFactory(company=company)
    with pytest.raises(ValidationError) as caught:
        services.product_update(company=company, product_id=product.pk, data={"bom": [(product, 1)]})
    assert caught.value.message_dict["bom"] == ["Um produto não pode ser componente de si mesmo."]
    assert not BillOfMaterialsItem.objects.exists()


@pytest.mark.django_db
def test_it_refuses_a_circular_structure(company):
    a, b, c = (ProductFactory(company=company) for _ in range(3))
    services.product_update(company=company, product_id=a.pk, data={"bom": [(b, 1)]})
    with pytest.raises(ValidationError) as caught:
        services.product_update(company=company, product_id=b.pk, data={"bom": [(a, 1)]})
    assert caught.value.message_dict["bom"] == [
        "Estrutura circular: um componente já usa este produto na sua própria estrutura."
    ]
    # Longer loops too: A → B → C, then C → A.
    services.product_update(company=company, product_id=b.pk, data={"bom": [(c, 1)]})
    with pytest.raises(ValidationError):
        services.product_update(company=company, product_id=c.pk, data={"bom": [(a, 1)]})
    assert sorted(BillOfMaterialsItem.objects.values_list("product_id", "component_id")) == sorted(
        [(a.pk, b.pk), (b.pk, c.pk)]
    )


@pytest.mark.django_db
def test_it_refuses_a_component_of_another_company_or_unknown(company, other_company):
    foreign = ProductFactory(company=other_company)
    product = ProductFactory(company=company)
    for component in (foreign.pk, 999_999_999):
        with pytest.raises(ValidationError) as caught:
            services.product_update(company=company, product_id=product.pk, data={"bom": [(component, 1)]})
        assert caught.value.message_dict["bom"] == [f"Não encontrado nesta empresa: {component}."]
    assert not BillOfMaterialsItem.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("quantity", "message"),
    [
        (0, "A quantidade de cada componente deve ser maior que zero."),
        ("-1", "A quantidade de cada componente deve ser maior que zero."),
        ("abc", "Quantidade inválida: abc."),
    ],
)
def test_it_refuses_a_component_quantity_that_is_not_positive(company, quantity, message):
    product, component = ProductFactory(company=company), ProductFactory(company=company)
    with pytest.raises(ValidationError) as caught:
        services.product_update(company=company, product_id=product.pk, data={"bom": [(component, quantity)]})
    assert caught.value.message_dict["bom"] == [message]
    assert not BillOfMaterialsItem.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("quantity", "message"),
    [
        ("0.00001", "Certifique-se de que não tenha mais de 4 casas decimais."),
        ("123456789012", "Certifique-se de que não tenha mais de 11 dígitos antes do ponto decimal."),
        ("1e20", "Certifique-se de que não tenha mais de 15 dígitos no total."),
        ("NaN", "Quantidade inválida: NaN."),
        ("Infinity", "Quantidade inválida: Infinity."),
    ],
)
def test_it_refuses_a_component_quantity_the_structure_cannot_hold(company, quantity, message):
    product, component = ProductFactory(company=company), ProductFactory(company=company)
    with pytest.raises(ValidationError) as caught:
        services.product_update(company=company, product_id=product.pk, data={"bom": [(component, quantity)]})
    assert message in caught.value.message_dict["bom"]
    assert not BillOfMaterialsItem.objects.exists()


@pytest.mark.django_db
def test_it_refuses_the_same_component_twice(company):
    product, component = ProductFactory(company=company), ProductFactory(company=company)
    with pytest.raises(ValidationError) as caught:
        services.product_update(
            company=company, product_id=product.pk, data={"bom": [(component, 1), (component.pk, 2)]}
        )
    assert caught.value.message_dict["bom"] == ["O mesmo componente aparece duas vezes na estrutura."]


@pytest.mark.django_db
def test_it_leaves_product_suppliers_and_structure_as_before_when_the_structure_is_wrong(company):
    old_supplier, new_supplier = (PartyFactory(company=company, is_supplier=True) for _ in range(2))
    a, b = ProductFactory(company=company), ProductFactory(company=company)
    services.product_update(company=company, product_id=b.pk, data={"bom": [(a, 1)]})
    services.product_update(
        company=company, product_id=a.pk, data={"suppliers": [old_supplier], "description": "Placa-mãe"}
    )
    before = _product_row(a.pk)

    # Every field is valid except the structure, which is checked after the row is saved.
    with pytest.raises(ValidationError):
        services.product_update(
            company=company,
            product_id=a.pk,
            data={
                "description": "Outra",
                "price": Decimal("9.90"),
                "suppliers": [new_supplier],
                "bom": [(b, 1)],
            },
        )
    assert _product_row(a.pk) == before


@pytest.mark.django_db
def test_it_leaves_product_relations_as_before_when_one_field_is_wrong(company):
    supplier, other_supplier = (PartyFactory(company=company, is_supplier=True) for _ in range(2))
    component, other_component = ProductFactory(company=company), ProductFactory(company=company)
    product = services.product_create(
        company=company,
        data=_product_data(suppliers=[supplier], bom=[(component, 2)], price=Decimal("10.00")),
    )
    before = _product_row(product.pk)
    with pytest.raises(ValidationError) as caught:
        services.product_update(
            company=company,
            product_id=product.pk,
            data={
                "price": Decimal("20.00"),
                "suppliers": [other_supplier],
                "bom": [(other_component, 1)],
                "ean": "7891000315508",
            },
            expected_version=1,
        )
    assert caught.value.message_dict["ean"] == ["EAN inválido: o dígito verificador não confere."]
    assert _product_row(product.pk) == before


@pytest.mark.django_db(transaction=True)
def test_it_keeps_one_product_when_two_requests_create_the_same_code_at_once():
    company = CompanyFactory()
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def create(description: str) -> None:
        try:
            barrier.wait(timeout=10)
            services.product_create(company=company, data=_product_data(description=description))
            outcomes.append("created")
        except ValidationError as error:
            outcomes.append(_messages(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=create, args=(name,)) for name in ("Mouse", "Teclado")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert Product.objects.filter(company=company, code="PRD00001").count() == 1
    assert len(outcomes) == 2 and outcomes.count("created") == 1
    refusal = next(outcome for outcome in outcomes if outcome != "created")
    assert "Já existe um produto com o código PRD00001" in refusal


# --- product code suggestion ------------------------------------------------------------


@pytest.mark.django_db
def test_it_suggests_prd00001_for_a_company_without_products(company):
    assert services.product_code_suggestion(company=company) == "PRD00001"


@pytest.mark.django_db
def test_it_suggests_the_code_after_the_highest_one_in_use(company, other_company):
    for code in ("PRD00003", "PRD00007", "PRD00005", "XYZ99999", "PRD123"):
        ProductFactory(company=company, code=code)
    ProductFactory(company=other_company, code="PRD00050")
    assert services.product_code_suggestion(company=company) == "PRD00008"


@pytest.mark.django_db
def test_it_uses_the_suggested_code_when_none_is_typed(company):
    first = services.product_create(company=company, data=_product_data(code=""))
    second = services.product_create(company=company, data={"description": "Sem código", "ncm": "84713012"})
    assert (Product.objects.get(pk=first.pk).code, Product.objects.get(pk=second.pk).code) == (
        "PRD00001",
        "PRD00002",
    )


@pytest.mark.django_db(transaction=True)
def test_two_products_created_at_once_without_a_code_get_different_codes():
    """The second create starts while the first, holding PRD00001, has not committed yet."""
    company = CompanyFactory()
    first_written, finish_first = threading.Event(), threading.Event()
    codes: dict[str, str] = {}

    def first() -> None:
        try:
            with transaction.atomic():
                codes["first"] = services.product_create(company=company, data=_product_data(code="")).code
                first_written.set()
                finish_first.wait(timeout=10)
        finally:
            connection.close()

    def second() -> None:
        try:
            codes["second"] = services.product_create(company=company, data=_product_data(code="")).code
        except ValidationError as error:
            codes["second"] = _messages(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    threads[0].start()
    assert first_written.wait(timeout=10)
    threads[1].start()
    time.sleep(0.5)  # the second create is now waiting on the first's transaction
    finish_first.set()
    for thread in threads:
        thread.join(timeout=30)

    assert codes == {"first": "PRD00001", "second": "PRD00002"}
    assert sorted(Product.objects.filter(company=company).values_list("code", flat=True)) == ["PRD00001", "PRD00002"]


@pytest.mark.django_db
def test_it_asks_sharing_for_the_code_first(company):
    def shared_sequence(company_id: int) -> str | None:
        return "PRD09127656534" if company_id == company.pk else None

    hooks.register_code_suggester(shared_sequence)
    try:
        assert services.product_code_suggestion(company=company) == "PRD09127656534"
    finally:
        hooks._code_suggesters.remove(shared_sequence)
    assert services.product_code_suggestion(company=company) == "PRD00001"


# --- attachments ------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_stores_identical_bytes_once_across_companies(company, other_company, media):
    content = b"%PDF-1.4 ficha tecnica"
    party = PartyFactory(company=company)
    product = ProductFactory(company=other_company)

    first = services.attachment_add(
        company=company, registry="party", record_id=party.pk, filename="ficha.pdf", content=content
    )
    second = services.attachment_add(
        company=other_company,
        registry="product",
        record_id=product.pk,
        filename="ficha-tecnica.pdf",
        content=content,
    )

    assert Blob.objects.count() == 1
    assert Attachment.objects.count() == 2
    assert first.blob_id == second.blob_id
    blob = Blob.objects.get()
    assert blob.size == len(content)
    with blob.file.open("rb") as stored:
        assert stored.read() == content
    assert Party.objects.get(pk=party.pk).version == 2
    assert Product.objects.get(pk=product.pk).version == 2
    assert Attachment.objects.get(pk=second.pk).product_id == product.pk


@pytest.mark.django_db
def test_it_recognises_an_image_attachment(company, media):
    product = ProductFactory(company=company)
    attachment = services.attachment_add(
        company=company, registry="product", record_id=product.pk, filename="foto.png", content=b"\x89PNG..."
    )
    assert Attachment.objects.get(pk=attachment.pk).is_image is True


@pytest.mark.django_db
def test_it_removes_an_attachment_but_keeps_bytes_still_in_use(company, media):
    party, product = PartyFactory(company=company), ProductFactory(company=company)
    kept = services.attachment_add(
        company=company, registry="party", record_id=party.pk, filename="a.txt", content=b"mesmo conteudo"
    )
    removed = services.attachment_add(
        company=company, registry="product", record_id=product.pk, filename="b.txt", content=b"mesmo conteudo"
    )
    services.attachment_remove(company=company, attachment_id=removed.pk)
    assert list(Attachment.objects.all()) == [kept]
    assert Blob.objects.count() == 1
    assert Product.objects.get(pk=product.pk).version == 3


# --- the sharing hook -------------------------------------------------------------------


@pytest.mark.django_db
def test_it_tells_listeners_what_was_written(company, writes):
    party = services.party_create(company=company, data=_party_data(), actor_id=7, source="web")
    services.party_update(
        company=company, party_id=party.pk, data={"legal_name": "Nome Novo", "city": ""}, expected_version=1
    )
    services.party_delete(company=company, party_id=party.pk)

    create, update, delete = writes
    assert (create.registry, create.action, create.company_id, create.actor_id, create.source) == (
        "party",
        "create",
        company.pk,
        7,
        "web",
    )
    assert create.before is None
    assert create.after["cnpj_cpf"] == CNPJ
    assert "cnpj_cpf" in create.changed_fields and "legal_name" in create.changed_fields
    assert (update.action, update.changed_fields, update.base_version) == ("update", ("legal_name",), 1)
    assert (update.before["legal_name"], update.after["legal_name"]) == (
        "Comercial Exemplo Ltda",
        "Nome Novo",
    )
    assert (delete.action, delete.changed_fields, delete.base_version) == ("delete", (), 2)
    assert (delete.before["legal_name"], delete.after) == ("Nome Novo", {})
    assert delete.record.pk == party.pk


@pytest.mark.django_db
def test_it_tells_listeners_about_product_fields_and_relations(company, writes, media):
    supplier = PartyFactory(company=company, is_supplier=True)
    product = ProductFactory(company=company, price=Decimal("10.00"))
    writes.clear()
    services.product_update(
        company=company, product_id=product.pk, data={"price": Decimal("12.50"), "suppliers": [supplier]}
    )
    services.attachment_add(
        company=company, registry="product", record_id=product.pk, filename="a.txt", content=b"x"
    )
    update, attach = writes
    assert (update.registry, update.action) == ("product", "update")
    assert set(update.changed_fields) == {"price", "suppliers"}
    assert update.after["price"] == "12.50"
    assert (attach.action, attach.changed_fields) == ("update", ("attachments",))


RELATIONS = ("salespeople", "suppliers", "bom", "attachments")


def _relations(values: dict) -> dict:
    return {name: value for name, value in values.items() if name in RELATIONS}


@pytest.mark.django_db
def test_it_tells_listeners_the_relations_the_database_holds_without_reading_them_back(company, writes, media):
    # The services know a new record's relations, and those an edit leaves alone, without
    # reading them again: what they announce must still be what a fresh read finds.
    supplier = PartyFactory(company=company, is_supplier=True, legal_name="Parafusos São Caetano Ltda")
    screw = ProductFactory(company=company, code="PRF-0008", description="Parafuso sextavado 8 mm")
    ana = SalespersonFactory(company=company, email="ana.conceicao@matriz.com.br")

    def announced(write) -> dict:
        writes.clear()
        record = write()
        (change,) = writes
        if change.registry == "party":
            stored = services.party_values(Party.objects.get(pk=record.pk))
        else:
            stored = services.product_values(Product.objects.get(pk=record.pk))
        assert _relations(change.after) == _relations(stored)
        return _relations(change.after)

    party = services.party_create(company=company, data=_party_data(salespeople=[ana]))
    product = services.product_create(
        company=company, data=_product_data(suppliers=[supplier.pk], bom=[(screw, "2.5")])
    )
    services.attachment_add(
        company=company, registry="product", record_id=product.pk, filename="ficha técnica.pdf", content=b"%PDF"
    )

    untouched = announced(lambda: services.product_update(
        company=company, product_id=product.pk, data={"description": "Notebook 15,6 polegadas"}
    ))
    assert untouched["suppliers"] == [supplier.pk] and untouched["bom"] == [[screw.pk, "2.5000"]]
    assert len(untouched["attachments"]) == 1
    assert writes[0].changed_fields == ("description",)
    assert announced(lambda: services.product_update(
        company=company, product_id=product.pk, data={"suppliers": []}
    ))["suppliers"] == []
    assert announced(lambda: services.party_update(
        company=company, party_id=party.pk, data={"city": "São José dos Campos"}
    ))["salespeople"] == [ana.pk]
    assert announced(lambda: services.product_create(company=company, data=_product_data(code="PRD00002"))) == {
        "suppliers": [], "bom": [], "attachments": [],
    }


@pytest.mark.django_db
def test_it_checks_every_constraint_of_parties_and_products_itself():
    # The services check these instead of Django's validate_constraints() (see
    # CONSTRAINTS_CHECKED_HERE): a constraint added to a model must be checked there too,
    # or a write breaking it would get the database's bare error instead of its message.
    declared = {constraint.name for model in (Party, Product) for constraint in model._meta.constraints}
    assert declared == services.CONSTRAINTS_CHECKED_HERE


@pytest.mark.django_db
def test_it_refuses_a_product_integration_code_another_product_holds(company):
    services.product_create(
        company=company, data=_product_data(code="PRD00001", integration_code="ERP-00017", description="Mouse sem fio")
    )
    keyboard = services.product_create(
        company=company, data=_product_data(code="PRD00002", integration_code="ERP-00018", description="Teclado ABNT2")
    )

    with pytest.raises(ValidationError) as created:
        services.product_create(company=company, data=_product_data(code="PRD00003", integration_code="ERP-00017"))
    with pytest.raises(ValidationError) as changed:
        services.product_update(company=company, product_id=keyboard.pk, data={"integration_code": "ERP-00017"})

    for caught in (created, changed):
        assert caught.value.message_dict == {"__all__": ["Já existe um produto com este código de integração."]}
    assert sorted(Product.objects.values_list("integration_code", flat=True)) == ["ERP-00017", "ERP-00018"]
    # A product saved again with its own integration code is not a duplicate of itself.
    services.product_update(company=company, product_id=keyboard.pk, data={"integration_code": "ERP-00018"})


@pytest.mark.django_db
def test_it_answers_a_taken_party_code_together_with_the_field_errors_as_full_clean_does(company):
    held = services.party_create(company=company, data=_party_data(code="CLI-00042", cnpj_cpf=""))
    other = services.party_create(company=company, data=_party_data(code="CLI-00043", cnpj_cpf=""))

    with pytest.raises(ValidationError) as created:
        services.party_create(company=company, data=_party_data(code="CLI-00042", cnpj_cpf="", state="XX"))
    with pytest.raises(ValidationError) as changed:
        services.party_update(company=company, party_id=other.pk, data={"code": "CLI-00042", "state": "XX"})

    for caught in (created, changed):
        assert set(caught.value.message_dict) == {"state", "__all__"}
        assert caught.value.message_dict["__all__"] == [
            "Já existe um cliente/fornecedor com este código de integração."
        ]
    assert Party.objects.get(pk=other.pk).code == "CLI-00043"
    services.party_update(company=company, party_id=held.pk, data={"code": "CLI-00042", "city": "Itu"})


@pytest.mark.django_db
def test_it_writes_nothing_when_a_listener_refuses_a_create(company, refuse_writes):
    with pytest.raises(WriteRefused) as caught:
        services.party_create(company=company, data=_party_data())
    assert str(caught.value) == "Este aplicativo não tem permissão de edição neste compartilhamento."
    with pytest.raises(WriteRefused):
        services.product_create(company=company, data=_product_data())
    assert not Party.objects.exists()
    assert not Product.objects.exists()


@pytest.mark.django_db
def test_it_writes_nothing_when_a_listener_refuses_an_update_or_delete(company):
    ana, bruno = SalespersonFactory(company=company), SalespersonFactory(company=company)
    supplier, component = PartyFactory(company=company), ProductFactory(company=company)
    party = services.party_create(company=company, data=_party_data(salespeople=[ana]))
    product = services.product_create(
        company=company, data=_product_data(suppliers=[supplier], bom=[(component, 1)])
    )
    party_before, product_before = _party_row(party.pk), _product_row(product.pk)

    def refuse(write: hooks.RecordWrite) -> None:
        raise WriteRefused("Sem permissão.")

    hooks.register_write_listener(refuse)
    try:
        with pytest.raises(WriteRefused):
            services.party_update(
                company=company, party_id=party.pk, data={"legal_name": "Novo", "salespeople": [bruno]}
            )
        with pytest.raises(WriteRefused):
            services.party_delete(company=company, party_id=party.pk)
        with pytest.raises(WriteRefused):
            services.product_update(
                company=company,
                product_id=product.pk,
                data={"description": "Novo", "suppliers": [], "bom": []},
            )
        with pytest.raises(WriteRefused):
            services.product_delete(company=company, product_id=product.pk)
    finally:
        hooks._write_listeners.remove(refuse)

    assert _party_row(party.pk) == party_before
    assert _product_row(product.pk) == product_before


@pytest.mark.django_db
def test_it_writes_no_attachment_when_a_listener_refuses_it(company, media):
    product = ProductFactory(company=company)

    def refuse(write: hooks.RecordWrite) -> None:
        raise WriteRefused("Sem permissão.")

    hooks.register_write_listener(refuse)
    try:
        with pytest.raises(WriteRefused):
            services.attachment_add(
                company=company,
                registry="product",
                record_id=product.pk,
                filename="a.txt",
                content=b"conteudo",
            )
    finally:
        hooks._write_listeners.remove(refuse)
    assert not Attachment.objects.exists()
    assert not Blob.objects.exists()
    assert Product.objects.get(pk=product.pk).version == 1
