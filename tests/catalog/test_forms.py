"""The text formats of the catalog forms and the Brazilian money filter."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.utils import translation

from catalog.forms import (
    format_characteristics,
    format_tags,
    parse_bom_lines,
    parse_characteristics,
    parse_decimal_br,
    parse_tags,
)
from catalog.templatetags.catalog_extras import money, quantity


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (Decimal("1234.56"), "R$ 1.234,56"),
        (Decimal("0"), "R$ 0,00"),
        (Decimal("1234567.5"), "R$ 1.234.567,50"),
        (Decimal("0.005"), "R$ 0,01"),
        (Decimal("-10"), "-R$ 10,00"),
        ("99.9", "R$ 99,90"),
        (None, ""),
        ("abc", ""),
    ],
)
def test_it_formats_money_the_brazilian_way(value, shown):
    assert money(value) == shown


def test_it_formats_money_the_same_whatever_the_locale_settings():
    with translation.override("en"), override_settings(USE_THOUSAND_SEPARATOR=False):
        assert money(Decimal("1234.56")) == "R$ 1.234,56"


def test_it_drops_trailing_zeros_of_quantities():
    assert quantity(Decimal("2.5000")) == "2,5"
    assert quantity(Decimal("1500")) == "1.500"


def test_it_reads_characteristics_lines_and_writes_them_back():
    text = "Cor: azul\n\nVoltagem: 220 V: bivolt\nVazio:"
    values = parse_characteristics(text)
    assert values == {"Cor": "azul", "Voltagem": "220 V: bivolt", "Vazio": ""}
    assert parse_characteristics(format_characteristics(values)) == values


def test_it_explains_each_malformed_characteristics_line():
    with pytest.raises(ValidationError) as error:
        parse_characteristics("sem separador\n: sem nome\nCor: azul\nCor: verde")
    assert error.value.messages == [
        "Linha 1: use o formato nome: valor (ex.: Cor: azul).",
        "Linha 2: use o formato nome: valor (ex.: Cor: azul).",
        "Linha 4: a característica “Cor” aparece mais de uma vez.",
    ]


def test_it_reads_tags_separated_by_commas():
    assert parse_tags(" atacado, VIP,,atacado ") == ["atacado", "VIP"]
    assert format_tags(["atacado", {"tag": "VIP"}]) == "atacado, VIP"


@pytest.mark.parametrize(("text", "value"), [("2,5", "2.5"), ("1.234,5", "1234.5"), ("2.5", "2.5"), ("3", "3")])
def test_it_reads_decimals_as_brazilians_type_them(text, value):
    assert parse_decimal_br(text) == Decimal(value)


def test_it_reads_structure_lines():
    assert parse_bom_lines("prd00001; 2\n\nPRD00002\t0,5") == [
        (1, "PRD00001", Decimal("2")),
        (3, "PRD00002", Decimal("0.5")),
    ]


def test_it_explains_each_malformed_structure_line():
    with pytest.raises(ValidationError) as error:
        parse_bom_lines("PRD1\nPRD2; -1\nPRD3; 1\nPRD3; 2\nPRD4; 0,00001")
    assert error.value.messages == [
        "Linha 1: use o formato CÓDIGO; quantidade (ex.: PRD00001; 2,5).",
        "Linha 2: a quantidade deve ser maior que zero.",
        "Linha 4: o componente PRD3 já está na linha 3.",
        "Linha 5: use no máximo 4 casas decimais na quantidade.",
    ]
