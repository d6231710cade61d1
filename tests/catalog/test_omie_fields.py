"""catalog/omie_fields.py: the one map of our fields to Omie's names lists every field a
record holds, groups them for the pages, and the README's coverage table says the same."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from catalog import omie_fields, services
from catalog.models import Party, Product
from tests.helpers import BASE_DIR, make_party, make_product, party_data, product_data

# Columns that are not a record's data in Omie's sense.
_NOT_OMIE = {"company", "version"}


@pytest.mark.parametrize(("registry", "model", "table"), [
    ("party", Party, omie_fields.PARTY_FIELDS), ("product", Product, omie_fields.PRODUCT_FIELDS),
])
def test_every_column_of_a_record_has_its_omie_name(registry, model, table):
    columns = {field.name for field in model._meta.get_fields() if field.concrete and not field.auto_created}
    columns |= {field.name for field in model._meta.many_to_many}

    assert columns - _NOT_OMIE - set(table) == set()
    assert omie_fields.ungrouped(registry) == set()


def test_the_written_fields_are_the_mapped_ones():
    assert set(services.PARTY_FIELDS) <= set(omie_fields.PARTY_FIELDS)
    assert set(services.PRODUCT_FIELDS) <= set(omie_fields.PRODUCT_FIELDS)


def test_coverage_says_what_travels_as_the_registry_declares():
    party = {row.field: row for row in omie_fields.coverage("party")}
    product = {row.field: row for row in omie_fields.coverage("product")}

    assert [party[name].sharing for name in ("city_ibge", "fax_number", "state_registration", "bank_code")] == [
        "compartilhado", "compartilhado", "fica em cada empresa", "fica em cada empresa"]
    assert (party["delivery_state"].omie, party["delivery_state"].group, party["delivery_state"].label) == (
        "enderecoEntrega.entEstado", "Endereço de entrega", "UF (entrega)")
    assert (product["net_weight"].shared, product["price"].shared, product["ibpt_valid_until"].group) == (
        False, True, "IBPT")


@pytest.mark.parametrize("registry", ["party", "product"])
def test_the_readme_coverage_table_is_the_map(registry):
    readme = (BASE_DIR / "README.md").read_text()
    found = re.search(rf"<!-- omie-coverage:{registry} -->\n(.*?)\n<!-- /omie-coverage:{registry} -->", readme,
                      re.DOTALL)

    assert found, f"README.md lacks the omie-coverage:{registry} markers"
    assert found.group(1) == omie_fields.readme_table(registry), (
        "README.md's coverage table differs from catalog/omie_fields.py; regenerate it with "
        f"manage.py shell -c \"from catalog.omie_fields import readme_table; print(readme_table('{registry}'))\""
    )


@pytest.mark.django_db
@pytest.mark.parametrize(("fields", "field", "message"), [
    ({"cnae": "47.51-2"}, "cnae", "CNAE inválido: informe os 7 dígitos do código (ex.: 4751-2/01 ou 4751201)."),
    ({"city_ibge": "355030"}, "city_ibge", "Código IBGE da cidade inválido: informe os 7 dígitos do município "
                                           "(ex.: 3550308 = São Paulo)."),
    ({"city_ibge": "3304557"}, "city_ibge", "O código IBGE 3304557 é de uma cidade de outro estado: os de SP "
                                            "começam com 35."),
    ({"delivery_state": "EX"}, "delivery_state", "UF inválida: use a sigla de um dos 27 estados (ex.: SP, RJ, DF)."),
    ({"delivery_document": "11.222.333/0001-80"}, "delivery_document",
     "CNPJ inválido: os dígitos verificadores não conferem."),
    ({"bank_code": "34100"}, "bank_code", "Código do banco inválido: informe até 3 dígitos (ex.: 001, 341)."),
    ({"credit_limit": "-0.01"}, "credit_limit", "Limite de crédito não pode ser negativo."),
    ({"billing_email": "nfe@acai.com.br; financeiro"}, "billing_email",
     "E-mail inválido para a NF-e e o boleto: financeiro. Separe vários e-mails com ponto e vírgula."),
])
def test_a_bad_party_value_is_refused_naming_its_field(company, fields, field, message):
    with pytest.raises(ValidationError) as refused:
        services.party_create(company=company, data=party_data("11222333000181", **fields), source="test")

    assert refused.value.message_dict[field] == [message]
    assert not Party.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(("fields", "field", "message"), [
    ({"net_weight": "-1"}, "net_weight", "Peso líquido (kg) não pode ser negativo."),
    ({"icms_rate": "100.01"}, "icms_rate", "Alíquota do ICMS (%) é um percentual: no máximo 100."),
    ({"cfop": "51020"}, "cfop", "CFOP inválido: informe 4 dígitos (ex.: 5.102 ou 6102)."),
    ({"manufacturer_cnpj": "123"}, "manufacturer_cnpj", None),
    ({"relevant_scale": "X"}, "relevant_scale", None),
    ({"videos": ["ftp://videos.exemplo.com/acai.mp4"]}, "videos",
     "Endereço de vídeo inválido: ftp://videos.exemplo.com/acai.mp4. Use http:// ou https://."),
])
def test_a_bad_product_value_is_refused_naming_its_field(company, fields, field, message):
    with pytest.raises(ValidationError) as refused:
        services.product_create(company=company, data=product_data("ACAI-1", **fields), source="test")

    assert field in refused.value.message_dict
    if message:
        assert refused.value.message_dict[field] == [message]
    assert not Product.objects.exists()


@pytest.mark.django_db
def test_the_new_fields_are_stored_normalised_and_an_unchanged_save_is_no_change(company):
    party = make_party(
        company, "11222333000181", "Açaí & Cia Distribuidora de Alimentos Ltda", cnae="4751201",
        city_ibge="3550308", delivery_cep="13065-000", delivery_state="sp", bank_holder_document="529.982.247-25",
        state_registration="isento", credit_limit="1500")
    product = make_product(company, "ACAI-1", cfop="6102", net_weight="1.5", ibpt_valid_from="2025-01-01")

    assert (party.delivery_cep, party.delivery_state, party.bank_holder_document, party.state_registration) == (
        "13065000", "SP", "52998224725", "ISENTO")
    assert (product.cfop, product.net_weight) == ("6.102", Decimal("1.5"))
    # The same decimal written another way is no change (what the audit and sharing compare).
    stored_party = services.party_values(Party.objects.get(pk=party.pk))
    stored_product = services.product_values(Product.objects.get(pk=product.pk))
    again = services.party_update(company=company, party_id=party.pk, data={"credit_limit": "1500"})
    same = services.product_update(company=company, product_id=product.pk, data={"net_weight": "1.5"})
    assert services.party_values(again) == stored_party
    assert services.product_values(same) == stored_product
