"""Brazilian documents and codes: known vectors, the alphanumeric CNPJ rule, masks, messages."""

from __future__ import annotations

import random
import string

import pytest
from django.core.exceptions import ValidationError

from omieshare.lib import brazil


def _refusal(normalize, value) -> str:
    with pytest.raises(ValidationError) as caught:
        normalize(value)
    return " ".join(caught.value.messages)


# --- the CNPJ rule, written out independently of omieshare and validate-docbr ------------

_WEIGHTS_FIRST = (5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2)
_WEIGHTS_SECOND = (6, *_WEIGHTS_FIRST)
_ALPHANUMERIC = string.digits + string.ascii_uppercase


def _check_digit(body: str, weights: tuple[int, ...]) -> str:
    remainder = sum((ord(char) - 48) * weight for char, weight in zip(body, weights, strict=True)) % 11
    return "0" if remainder < 2 else str(11 - remainder)


def _cnpj_from_body(body: str) -> str:
    first = _check_digit(body, _WEIGHTS_FIRST)
    return body + first + _check_digit(body + first, _WEIGHTS_SECOND)


def _gtin_is_valid(code: str) -> bool:
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(reversed(code)))
    return total % 10 == 0


# --- CPF ---------------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["529.982.247-25", "52998224725", "  529.982.247-25  ", "\t52998224725\n"])
def test_it_accepts_a_valid_cpf_masked_bare_or_with_surrounding_spaces(typed):
    assert brazil.normalize_cpf(typed) == "52998224725"


@pytest.mark.parametrize("typed", ["529.982.247-26", "529.982.247-15", "52998224752"])
def test_it_refuses_a_cpf_whose_check_digits_do_not_match(typed):
    assert _refusal(brazil.normalize_cpf, typed) == "CPF inválido: os dígitos verificadores não conferem."


def test_it_refuses_a_cpf_of_one_repeated_digit():
    assert "dígitos verificadores não conferem" in _refusal(brazil.normalize_cpf, "111.111.111-11")


@pytest.mark.parametrize(
    "typed",
    [
        "5299822472",  # 10 digits
        "529982247250",  # 12 digits
        "529.982.247-2A",  # a letter
        "ABC.DEF.GHI-JK",
        "٥٢٩٩٨٢٢٤٧٢٥",  # Arabic-Indic digits of a valid CPF
        "５２９９８２２４７２５",  # full-width digits of a valid CPF
        "",
    ],
)
def test_it_refuses_a_cpf_that_is_not_11_ascii_digits(typed):
    assert _refusal(brazil.normalize_cpf, typed) == "CPF inválido: informe 11 dígitos (ex.: 529.982.247-25)."


# --- CNPJ, numeric and alphanumeric ------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("11.222.333/0001-81", "11222333000181"),
        ("11222333000181", "11222333000181"),
        (" 11.222.333/0001-81 ", "11222333000181"),
        ("12.ABC.345/01DE-35", "12ABC34501DE35"),
        ("12ABC34501DE35", "12ABC34501DE35"),
        ("12.abc.345/01de-35", "12ABC34501DE35"),
        ("12abc34501de35", "12ABC34501DE35"),
    ],
)
def test_it_accepts_a_valid_cnpj_and_stores_it_bare_and_upper_case(typed, stored):
    assert brazil.normalize_cnpj(typed) == stored


@pytest.mark.parametrize(
    "typed", ["11.222.333/0001-82", "11.222.333/0002-81", "12.ABC.345/01DE-36", "12.ABC.345/01DF-35"]
)
def test_it_refuses_a_cnpj_whose_check_digits_do_not_match(typed):
    assert _refusal(brazil.normalize_cnpj, typed) == "CNPJ inválido: os dígitos verificadores não conferem."


def test_it_refuses_a_cnpj_of_one_repeated_digit():
    assert "dígitos verificadores não conferem" in _refusal(brazil.normalize_cnpj, "00.000.000/0000-00")


@pytest.mark.parametrize(
    "typed",
    [
        "12.ABC.345/01DE-3A",  # a letter among the check digits
        "12.ABC.345/01DE-AB",
        "11.222.333/0001-8",  # 13 characters
        "11.222.333/0001-811",  # 15 characters
        "12.ÁBC.345/01DE-35",  # accented letter
        "١١٢٢٢٣٣٣٠٠٠١٨١",  # Arabic-Indic digits of a valid CNPJ
        "12_ABC_345_01DE_35",
    ],
)
def test_it_refuses_a_cnpj_in_the_wrong_format_and_says_what_it_should_look_like(typed):
    message = _refusal(brazil.normalize_cnpj, typed)
    assert message.startswith("CNPJ inválido: informe 14 caracteres")
    assert "12.ABC.345/01DE-35" in message


def test_it_refuses_a_cnpj_typed_with_non_ascii_look_alike_letters():
    # 'ı' (dotless i) upper-cases to 'I' and 'ſ' (long s) to 'S': a CNPJ made of them must
    # be refused, not silently turned into a different, valid ASCII one.
    valid = _cnpj_from_body("0I6359118S44")
    assert brazil.normalize_cnpj(valid) == valid
    assert "informe 14 caracteres" in _refusal(brazil.normalize_cnpj, valid.replace("I", "ı"))
    assert "informe 14 caracteres" in _refusal(brazil.normalize_cnpj, valid.replace("S", "ſ"))


def test_it_computes_the_published_alphanumeric_example_the_same_way():
    assert _cnpj_from_body("12ABC34501DE") == "12ABC34501DE35"
    assert _cnpj_from_body("112223330001") == "11222333000181"


@pytest.mark.parametrize("body", ["ABCDEFGHIJKL", "0000000000AB", "Z9Y8X7W6V5U4", "MATRIZ000001"])
def test_it_accepts_hand_computed_alphanumeric_vectors(body):
    cnpj = _cnpj_from_body(body)
    assert brazil.normalize_cnpj(brazil.mask_cpf_cnpj(cnpj)) == cnpj
    assert brazil.normalize_cnpj(cnpj.lower()) == cnpj


def test_it_agrees_with_the_rule_on_random_alphanumeric_cnpjs():
    rng = random.Random(20260701)
    for _ in range(500):
        body = "".join(rng.choices(_ALPHANUMERIC, k=12))
        cnpj = _cnpj_from_body(body)
        if len(set(cnpj)) == 1:
            continue
        assert brazil.normalize_cnpj(cnpj) == cnpj

        # Any other check digit pair is wrong.
        position = rng.choice((12, 13))
        wrong_digit = rng.choice([d for d in string.digits if d != cnpj[position]])
        mutated = cnpj[:position] + wrong_digit + cnpj[position + 1 :]
        with pytest.raises(ValidationError):
            brazil.normalize_cnpj(mutated)

        # Changing one character of the body without fixing the check digits is caught
        # unless the change happens to keep the same weighted sum mod 11.
        index = rng.randrange(12)
        replacement = rng.choice([c for c in _ALPHANUMERIC if c != body[index]])
        changed_body = body[:index] + replacement + body[index + 1 :]
        changed = changed_body + cnpj[12:]
        if _cnpj_from_body(changed_body) != changed:
            with pytest.raises(ValidationError):
                brazil.normalize_cnpj(changed)


# --- CPF or CNPJ, and person type ---------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored", "kind"),
    [
        ("529.982.247-25", "52998224725", "F"),
        ("11.222.333/0001-81", "11222333000181", "J"),
        ("12.abc.345/01de-35", "12ABC34501DE35", "J"),
    ],
)
def test_it_tells_cpf_from_cnpj_by_length(typed, stored, kind):
    document = brazil.normalize_cpf_cnpj(typed)
    assert document == stored
    assert brazil.document_kind(document) == kind


def test_it_leaves_an_empty_document_empty():
    assert brazil.normalize_cpf_cnpj("") == ""
    assert brazil.normalize_cpf_cnpj(None) == ""
    assert brazil.normalize_cpf_cnpj("   ") == ""


@pytest.mark.parametrize("typed", ["123", "5299822472", "529982247251", "ABCDEFGHIJK"])
def test_it_refuses_a_document_that_is_neither_cpf_nor_cnpj(typed):
    assert _refusal(brazil.normalize_cpf_cnpj, typed) == (
        "CNPJ/CPF inválido: informe um CPF com 11 dígitos ou um CNPJ com 14 caracteres."
    )


def test_it_gives_the_cpf_message_for_an_invalid_cpf_typed_as_document():
    assert _refusal(brazil.normalize_cpf_cnpj, "529.982.247-26").startswith("CPF inválido")
    assert _refusal(brazil.normalize_cpf_cnpj, "11.222.333/0001-82").startswith("CNPJ inválido")


# --- masks ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        ("52998224725", "529.982.247-25"),
        ("11222333000181", "11.222.333/0001-81"),
        ("12ABC34501DE35", "12.ABC.345/01DE-35"),
        ("", ""),
        (None, ""),
        ("123", "123"),
    ],
)
def test_it_masks_cpf_and_cnpj(stored, shown):
    assert brazil.mask_cpf_cnpj(stored) == shown


def test_it_masks_ncm_cest_and_cep():
    assert brazil.mask_ncm("84713012") == "8471.30.12"
    assert brazil.mask_cest("2105300") == "21.053.00"
    assert brazil.mask_cep("01310100") == "01310-100"
    assert brazil.mask_ncm("") == brazil.mask_cest(None) == brazil.mask_cep("") == ""


@pytest.mark.parametrize(
    ("ddd", "number", "shown"),
    [
        ("11", "987654321", "(11) 98765-4321"),
        ("21", "32345678", "(21) 3234-5678"),
        ("", "32345678", "3234-5678"),
        ("", "", ""),
    ],
)
def test_it_masks_phone_numbers(ddd, number, shown):
    assert brazil.mask_phone(ddd, number) == shown


# --- NCM, CEST, EAN ---------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["8471.30.12", "84713012", " 8471.3012 "])
def test_it_accepts_an_ncm_of_8_digits(typed):
    assert brazil.normalize_ncm(typed) == "84713012"


@pytest.mark.parametrize("typed", ["8471.30.1", "8471.30.123", ""])
def test_it_refuses_an_ncm_without_8_digits(typed):
    assert _refusal(brazil.normalize_ncm, typed) == (
        "NCM inválido: informe os 8 dígitos da classificação fiscal (ex.: 8471.30.12)."
    )


def test_it_refuses_an_ncm_with_letters():
    assert _refusal(brazil.normalize_ncm, "8471.3O.12") == "NCM inválido: use apenas números."


@pytest.mark.parametrize(("typed", "stored"), [("21.053.00", "2105300"), ("2105300", "2105300"), ("", "")])
def test_it_accepts_a_cest_of_7_digits_or_none(typed, stored):
    assert brazil.normalize_cest(typed) == stored


@pytest.mark.parametrize("typed", ["21.053.0", "21.053.000"])
def test_it_refuses_a_cest_without_7_digits(typed):
    assert _refusal(brazil.normalize_cest, typed) == (
        "CEST inválido: informe 7 dígitos no formato NN.NNN.NN (ex.: 21.053.00)."
    )


@pytest.mark.parametrize("code", ["7891000315507", "96385074", "036000291452", "17891000315504", "78935761"])
def test_it_accepts_real_gtins_of_8_12_13_and_14_digits(code):
    assert _gtin_is_valid(code)  # the vector itself, checked independently
    assert brazil.normalize_ean(code) == code


def test_it_accepts_an_empty_ean():
    assert brazil.normalize_ean("") == ""
    assert brazil.normalize_ean(None) == ""


@pytest.mark.parametrize("code", ["7891000315508", "96385075", "036000291453", "17891000315505"])
def test_it_refuses_a_gtin_with_a_wrong_check_digit(code):
    assert _refusal(brazil.normalize_ean, code) == "EAN inválido: o dígito verificador não confere."


@pytest.mark.parametrize("code", ["78910003155", "1234567", "123456789", "789100031550712"])
def test_it_refuses_a_gtin_of_another_length(code):
    assert _refusal(brazil.normalize_ean, code) == (
        "EAN inválido: o código de barras (GTIN) tem 8, 12, 13 ou 14 dígitos."
    )


def test_it_refuses_an_ean_with_letters():
    assert _refusal(brazil.normalize_ean, "789100031550X") == "EAN inválido: use apenas números."


def test_it_computes_gtin_check_digits():
    assert brazil.gtin_check_digit("789100031550") == 7
    assert brazil.gtin_check_digit("9638507") == 4
    assert brazil.gtin_check_digit("03600029145") == 2
    assert brazil.gtin_check_digit("1789100031550") == 4


# --- address and contact ----------------------------------------------------------------


@pytest.mark.parametrize(("typed", "stored"), [("01310-100", "01310100"), ("01310100", "01310100"), ("", "")])
def test_it_accepts_a_cep_of_8_digits(typed, stored):
    assert brazil.normalize_cep(typed) == stored


@pytest.mark.parametrize("typed", ["01310-10", "01310-1000"])
def test_it_refuses_a_cep_without_8_digits(typed):
    assert _refusal(brazil.normalize_cep, typed) == "CEP inválido: informe 8 dígitos (ex.: 01310-100)."


def test_it_knows_the_27_states():
    assert len(brazil.UF_CODES) == 27
    assert {"SP", "RJ", "DF", "TO", "AC"} <= brazil.UF_CODES


@pytest.mark.parametrize(("typed", "stored"), [("SP", "SP"), ("sp", "SP"), (" rj ", "RJ"), ("", "")])
def test_it_accepts_a_state_in_any_case(typed, stored):
    assert brazil.normalize_uf(typed) == stored


@pytest.mark.parametrize("typed", ["XX", "BR", "São Paulo"])
def test_it_refuses_an_unknown_state(typed):
    assert _refusal(brazil.normalize_uf, typed) == (
        "UF inválida: use a sigla de um dos 27 estados (ex.: SP, RJ, DF)."
    )


@pytest.mark.parametrize(("typed", "stored"), [("11", "11"), ("011", "11"), ("(21)", "21"), ("", "")])
def test_it_accepts_a_ddd_of_2_digits(typed, stored):
    assert brazil.normalize_ddd(typed) == stored


@pytest.mark.parametrize("typed", ["1", "10", "01", "111"])
def test_it_refuses_a_ddd_that_is_not_2_nonzero_digits(typed):
    assert _refusal(brazil.normalize_ddd, typed) == "DDD inválido: informe 2 dígitos (ex.: 11)."


@pytest.mark.parametrize(
    ("typed", "stored"), [("98765-4321", "987654321"), ("3234 5678", "32345678"), ("", "")]
)
def test_it_accepts_a_phone_of_8_or_9_digits(typed, stored):
    assert brazil.normalize_phone_number(typed) == stored


@pytest.mark.parametrize("typed", ["1234567", "9876543210"])
def test_it_refuses_a_phone_of_another_length(typed):
    assert _refusal(brazil.normalize_phone_number, typed) == (
        "Telefone inválido: informe o número com 8 ou 9 dígitos, com ou sem o DDD (ex.: (21) 99999-8888)."
    )


def test_it_refuses_a_phone_with_letters():
    assert _refusal(brazil.normalize_phone_number, "3234-ABCD") == "Telefone inválido: use apenas números."


@pytest.mark.parametrize(
    ("normalize", "placeholder"),
    [(brazil.normalize_cep, "00000000"), (brazil.normalize_cep, "00000-000"), (brazil.normalize_ddd, "00"),
     (brazil.normalize_ddd, "0"), (brazil.normalize_phone_number, "000000000"),
     (brazil.normalize_phone_number, "0000-0000")],
)
def test_an_all_zero_placeholder_is_stored_as_empty(normalize, placeholder):
    assert normalize(placeholder) == ""


@pytest.mark.parametrize(
    ("ddd", "number", "stored"),
    [
        ("", "(21) 99999-8888", ("21", "999998888")),
        ("", "21 99999-8888", ("21", "999998888")),
        ("", "+55 21 99999-8888", ("21", "999998888")),
        ("", "+55 (11) 3333-4444", ("11", "33334444")),
        ("", "(021) 99999-8888", ("21", "999998888")),
        ("", "021 3333-4444", ("21", "33334444")),
        ("21", "(21) 99999-8888", ("21", "999998888")),
        ("(21)", "99999-8888", ("21", "999998888")),
        ("021", "999998888", ("21", "999998888")),
        ("00", "000000000", ("", "")),
        ("21", "000000000", ("21", "")),
        ("00", "99999-8888", ("", "999998888")),
        ("", "", ("", "")),
    ],
)
def test_it_reads_a_telephone_as_people_type_it(ddd, number, stored):
    assert brazil.split_phone(ddd, number) == stored


def test_it_refuses_a_number_whose_ddd_contradicts_the_ddd_field():
    assert _refusal(lambda number: brazil.split_phone("11", number), "(21) 99999-8888") == (
        "O telefone (21) 99999-8888 traz o DDD 21, mas o DDD informado é 11: corrija um dos dois."
    )


@pytest.mark.parametrize("number", ["(10) 99999-8888", "99999-88888888", "9999-888"])
def test_it_refuses_a_telephone_that_is_no_brazilian_number(number):
    with pytest.raises(ValidationError):
        brazil.split_phone("", number)


def test_it_formats_counts_with_pt_br_thousand_separators_whatever_the_setting(settings):
    from django.utils import translation

    from omieshare.templatetags.numbers import format_number

    settings.USE_THOUSAND_SEPARATOR = False
    with translation.override(None):  # a worker or a command, where no request set the language
        assert format_number(1_234_567) == "1.234.567"
    assert format_number(999) == "999"
    assert format_number(-1_200) == "-1.200"
    assert format_number(None) is None


# --- what a paste brings along -------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        "11.222.333/0001–81",  # en dash, as word processors write a hyphen
        "11.222.333/0001—81",  # em dash
        "11.222.333/0001−81",  # minus sign
        "11.222.333/0001‑81",  # non-breaking hyphen
        "11\u00a0222\u202f333/0001-81",  # non-breaking spaces
        "\u200b11.222.333/0001-81\ufeff",  # zero-width space and a byte order mark
        "11．222．333／0001－81",  # full-width punctuation
    ],
)
def test_it_reads_a_pasted_cnpj_with_look_alike_separators(typed):
    assert brazil.normalize_cnpj(typed) == "11222333000181"
    assert brazil.normalize_cpf_cnpj(typed) == "11222333000181"


@pytest.mark.parametrize(
    ("normalize", "typed", "stored"),
    [
        (brazil.normalize_cpf, "529.982.247–25", "52998224725"),
        (brazil.normalize_cep, "01310\u2013100", "01310100"),
        (brazil.normalize_ncm, "8471\u00b730\u00b712", "84713012"),
        (brazil.normalize_ean, "7\u00a0891000\u00a0315507", "7891000315507"),
        (brazil.normalize_phone_number, "99999\u20141234", "999991234"),
        (brazil.normalize_ddd, "\uff0811\uff09", "11"),
    ],
)
def test_every_code_reads_look_alike_separators(normalize, typed, stored):
    assert normalize(typed) == stored


@pytest.mark.parametrize("typed", ["５２９.９８２.２４７-２５", "٥٢٩.٩٨٢.٢٤٧-٢٥"])
def test_full_width_and_arabic_indic_digits_are_not_digits(typed):
    assert "11 dígitos" in _refusal(brazil.normalize_cpf, typed)


# --- the generators (tests, demo data, benchmarks) ---------------------------------------


def test_the_generated_documents_follow_the_rule_and_pass_validation():
    rng = random.Random(20261203)
    for _ in range(500):
        body = "".join(rng.choices(_ALPHANUMERIC, k=12))
        assert brazil.cnpj_with_check_digits(body) == _cnpj_from_body(body)
        cnpj = brazil.random_cnpj(rng)
        assert brazil.normalize_cnpj(cnpj) == cnpj
        cpf = brazil.random_cpf(rng)
        assert brazil.normalize_cpf(cpf) == cpf
    # Known vectors: the ones the pages show as examples.
    assert brazil.cnpj_with_check_digits("112223330001") == "11222333000181"
    assert brazil.cnpj_with_check_digits("12ABC34501DE") == "12ABC34501DE35"
    assert brazil.cpf_with_check_digits("529982247") == "52998224725"


@pytest.mark.django_db
def test_the_sql_check_digits_agree_with_python_on_seeded_bodies():
    from django.db import connection

    rng = random.Random(11)
    cnpjs = ["".join(rng.choices(_ALPHANUMERIC, k=12)) for _ in range(300)]
    cnpjs += [f"{rng.randrange(10**8):08d}{rng.randrange(1, 10**4):04d}" for _ in range(300)]
    cpfs = [f"{rng.randrange(10**9):09d}" for _ in range(300)]
    # Both digits in SQL: the second one is computed over the body and the first.
    query = (
        "SELECT body || d1 || pg_temp.test_dv11(body || d1, %(cnpj)s) FROM ("
        " SELECT body, n, pg_temp.test_dv11(body, %(cnpj)s) AS d1"
        " FROM unnest(%(bodies)s::text[]) WITH ORDINALITY AS t(body, n)) t ORDER BY n"
    )
    with connection.cursor() as cursor:
        cursor.execute(brazil.check_digit_sql("pg_temp.test_dv11"))
        cursor.execute(query, {"cnpj": True, "bodies": cnpjs})
        assert [row[0] for row in cursor.fetchall()] == [brazil.cnpj_with_check_digits(b) for b in cnpjs]
        cursor.execute(query, {"cnpj": False, "bodies": cpfs})
        assert [row[0] for row in cursor.fetchall()] == [brazil.cpf_with_check_digits(b) for b in cpfs]
