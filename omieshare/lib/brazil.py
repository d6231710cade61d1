"""Brazilian document and code rules: normalise what a user typed, check it, mask it.

Every function that checks raises `django.core.exceptions.ValidationError` with a
pt-BR message a user understands. Normal forms are what the database stores:
CPF 11 digits, CNPJ 14 characters (0-9A-Z then two check digits), NCM 8 digits,
CEST 7 digits, EAN 8/12/13/14 digits, CEP 8 digits.
"""

from __future__ import annotations

import random
import re

from django.core.exceptions import ValidationError
from validate_docbr import CNPJ, CPF

# Punctuation users type in masks, and the look-alikes a paste brings along: word
# processors and PDFs turn "-" into an en or em dash (or a minus sign, a non-breaking
# hyphen), spaces into non-breaking or zero-width ones, and full-width forms come from
# Asian keyboards. All are separators. Anything else (letters in a CPF, emoji, full-width or
# Arabic-Indic digits) is left in place so that the format check below refuses it: only
# the ASCII 0-9 are digits.
_SEPARATORS = (
    "\\s"  # every Unicode space, the non-breaking ones (U+00A0, U+202F) included
    ".\\-/()"
    "\u00ad"  # soft hyphen
    "\u2010-\u2015"  # hyphen, non-breaking hyphen, figure dash, en dash, em dash, bar
    "\u2212"  # minus sign
    "\ufe58\ufe63\uff0d"  # small em dash, small and full-width hyphen-minus
    "\u00b7\u2024\uff0e"  # middle dot, one dot leader, full-width full stop
    "\u2044\u2215\uff0f"  # fraction slash, division slash, full-width solidus
    "\uff08\uff09"  # full-width parentheses
    "\u200b-\u200d\u2060\ufeff"  # zero-width space, (non-)joiner, word joiner, BOM
)
_MASK_CHARACTERS = re.compile(f"[{_SEPARATORS}]")
_CPF_FORMAT = re.compile(r"[0-9]{11}")
# Alphanumeric CNPJ (valid from July 2026): 12 characters 0-9A-Z, then 2 check digits.
_CNPJ_FORMAT = re.compile(r"[0-9A-Z]{12}[0-9]{2}")
_DIGITS = re.compile(r"[0-9]+")

_cpf = CPF()
_cnpj = CNPJ()

UF_CHOICES = [
    ("AC", "Acre"),
    ("AL", "Alagoas"),
    ("AP", "Amapá"),
    ("AM", "Amazonas"),
    ("BA", "Bahia"),
    ("CE", "Ceará"),
    ("DF", "Distrito Federal"),
    ("ES", "Espírito Santo"),
    ("GO", "Goiás"),
    ("MA", "Maranhão"),
    ("MT", "Mato Grosso"),
    ("MS", "Mato Grosso do Sul"),
    ("MG", "Minas Gerais"),
    ("PA", "Pará"),
    ("PB", "Paraíba"),
    ("PR", "Paraná"),
    ("PE", "Pernambuco"),
    ("PI", "Piauí"),
    ("RJ", "Rio de Janeiro"),
    ("RN", "Rio Grande do Norte"),
    ("RS", "Rio Grande do Sul"),
    ("RO", "Rondônia"),
    ("RR", "Roraima"),
    ("SC", "Santa Catarina"),
    ("SP", "São Paulo"),
    ("SE", "Sergipe"),
    ("TO", "Tocantins"),
]
UF_CODES = frozenset(code for code, _ in UF_CHOICES)

# A client or supplier abroad: Omie (like the NF-e) writes its state as "EX" and its country
# with the Banco Central (BACEN) code, 1058 for Brasil.
FOREIGN_STATE = "EX"
BRAZIL_COUNTRY_CODE = "1058"
PARTY_STATE_CHOICES = [*UF_CHOICES, (FOREIGN_STATE, "Exterior (cliente/fornecedor estrangeiro)")]


def strip_mask(value: str | None) -> str:
    """Remove spaces and the punctuation of masks, and upper-case the rest.

    Non-ASCII input is returned un-cased: str.upper() maps some non-ASCII letters to ASCII
    ones ('ı' to 'I', 'ſ' to 'S'), which would let a look-alike pass the format checks.
    """
    stripped = _MASK_CHARACTERS.sub("", value or "")
    return stripped.upper() if stripped.isascii() else stripped


def _is_repeated(value: str) -> bool:
    return len(set(value)) == 1


# --- CPF / CNPJ -----------------------------------------------------------------------


def normalize_cpf(value: str | None) -> str:
    cpf = strip_mask(value)
    if not _CPF_FORMAT.fullmatch(cpf):
        raise ValidationError(
            "CPF inválido: informe 11 dígitos (ex.: 529.982.247-25).", code="cpf_format"
        )
    if _is_repeated(cpf) or not _cpf.validate(cpf):
        raise ValidationError(
            "CPF inválido: os dígitos verificadores não conferem.", code="cpf_check"
        )
    return cpf


def normalize_cnpj(value: str | None) -> str:
    cnpj = strip_mask(value)
    if not _CNPJ_FORMAT.fullmatch(cnpj):
        raise ValidationError(
            "CNPJ inválido: informe 14 caracteres, os 12 primeiros números ou letras e os "
            "2 últimos números (ex.: 11.222.333/0001-81 ou 12.ABC.345/01DE-35).",
            code="cnpj_format",
        )
    if _is_repeated(cnpj) or not _cnpj.validate(cnpj):
        raise ValidationError(
            "CNPJ inválido: os dígitos verificadores não conferem.", code="cnpj_check"
        )
    return cnpj


def normalize_cpf_cnpj(value: str | None) -> str:
    """A CPF (11 digits) or a CNPJ (14 characters), told apart by length. Empty stays empty."""
    document = strip_mask(value)
    if not document:
        return ""
    if len(document) == 11 and document.isascii() and document.isdigit():
        return normalize_cpf(document)
    if len(document) == 14:
        return normalize_cnpj(document)
    raise ValidationError(
        "CNPJ/CPF inválido: informe um CPF com 11 dígitos ou um CNPJ com 14 caracteres.",
        code="document_format",
    )


def document_kind(document: str) -> str:
    """'F' (pessoa física, CPF) or 'J' (pessoa jurídica, CNPJ) for a normalised document."""
    return "F" if len(document) == 11 else "J"


def mask_cpf_cnpj(document: str | None) -> str:
    """Show a stored CPF/CNPJ with its usual mask; anything else is shown as it is."""
    document = document or ""
    if len(document) == 11:
        return f"{document[:3]}.{document[3:6]}.{document[6:9]}-{document[9:]}"
    if len(document) == 14:
        return f"{document[:2]}.{document[2:5]}.{document[5:8]}/{document[8:12]}-{document[12:]}"
    return document


# --- check digits, for generated documents (tests, demo data, benchmarks) -------------
# One rule for every generator: modulo 11 with weights 2, 3, 4… from the right, each
# character worth its ASCII code minus 48 (so the letters of an alphanumeric CNPJ count as
# the Receita Federal defines). A CNPJ's weights wrap after 9; a CPF's do not.
_CNPJ_WEIGHTS = tuple(2 + i % 8 for i in range(13))  # from the right
_CPF_WEIGHTS = tuple(range(2, 12))  # from the right


def _check_digit(body: str, weights: tuple[int, ...]) -> str:
    total = sum((ord(char) - 48) * weight for char, weight in zip(reversed(body), weights, strict=False))
    return "0" if total % 11 < 2 else str(11 - total % 11)


def cnpj_with_check_digits(body: str) -> str:
    """The 14-character CNPJ for a 12-character body (numeric or alphanumeric)."""
    body += _check_digit(body, _CNPJ_WEIGHTS)
    return body + _check_digit(body, _CNPJ_WEIGHTS)


def cpf_with_check_digits(body: str) -> str:
    """The 11-digit CPF for a 9-digit body."""
    body += _check_digit(body, _CPF_WEIGHTS)
    return body + _check_digit(body, _CPF_WEIGHTS)


def random_cnpj(rng: random.Random | None = None) -> str:
    """A valid numeric CNPJ with a random root and branch (`rng` for a seeded sequence)."""
    draw = (rng or random).randrange  # the module's generator: seeded by pytest-randomly in tests
    return cnpj_with_check_digits(f"{draw(10**7, 10**8)}{draw(1, 10000):04d}")


def random_cpf(rng: random.Random | None = None) -> str:
    """A valid CPF with a random body (never eleven equal digits)."""
    return cpf_with_check_digits(f"{(rng or random).randrange(10**7, 10**9):09d}")


def check_digit_sql(name: str = "pg_temp.omieshare_dv11") -> str:
    """The same rule as a PostgreSQL function `name(body text, cnpj boolean)`, for data
    generated in the server (INSERT … SELECT generate_series): built from the weights above,
    so the SQL and the Python cannot disagree (tests/test_brazil.py checks both)."""
    cnpj = ", ".join(map(str, _CNPJ_WEIGHTS))
    cpf = ", ".join(map(str, _CPF_WEIGHTS))
    return f"""
CREATE OR REPLACE FUNCTION {name}(body text, cnpj boolean) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    weights int[] := CASE WHEN cnpj THEN ARRAY[{cnpj}] ELSE ARRAY[{cpf}] END;
    s int := 0; n int := length(body); i int;
BEGIN
    FOR i IN 1..n LOOP
        s := s + (ascii(substr(body, n - i + 1, 1)) - 48) * weights[i];
    END LOOP;
    RETURN CASE WHEN s % 11 < 2 THEN '0' ELSE (11 - s % 11)::text END;
END $$;
"""


# --- product codes ----------------------------------------------------------------------


def _digits_only(value: str | None, *, label: str, code: str) -> str:
    digits = strip_mask(value)
    if digits and not (_DIGITS.fullmatch(digits) and digits.isascii()):
        raise ValidationError(f"{label} inválido: use apenas números.", code=code)
    return digits


def normalize_ncm(value: str | None) -> str:
    ncm = _digits_only(value, label="NCM", code="ncm_format")
    if len(ncm) != 8:
        raise ValidationError(
            "NCM inválido: informe os 8 dígitos da classificação fiscal (ex.: 8471.30.12).",
            code="ncm_format",
        )
    return ncm


def mask_ncm(ncm: str | None) -> str:
    ncm = ncm or ""
    return f"{ncm[:4]}.{ncm[4:6]}.{ncm[6:]}" if len(ncm) == 8 else ncm


def normalize_cest(value: str | None) -> str:
    """CEST is optional; when given it has 7 digits, shown as NN.NNN.NN."""
    cest = _digits_only(value, label="CEST", code="cest_format")
    if cest and len(cest) != 7:
        raise ValidationError(
            "CEST inválido: informe 7 dígitos no formato NN.NNN.NN (ex.: 21.053.00).",
            code="cest_format",
        )
    return cest


def mask_cest(cest: str | None) -> str:
    cest = cest or ""
    return f"{cest[:2]}.{cest[2:5]}.{cest[5:]}" if len(cest) == 7 else cest


def gtin_check_digit(body: str) -> int:
    """GS1 check digit for the digits before it: weights 3,1,3,1… from the right."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10


def normalize_ean(value: str | None) -> str:
    """EAN/GTIN of 8, 12, 13 or 14 digits with a valid check digit; empty is allowed."""
    ean = _digits_only(value, label="EAN", code="ean_format")
    if not ean:
        return ""
    if len(ean) not in (8, 12, 13, 14):
        raise ValidationError(
            "EAN inválido: o código de barras (GTIN) tem 8, 12, 13 ou 14 dígitos.",
            code="ean_format",
        )
    if gtin_check_digit(ean[:-1]) != int(ean[-1]):
        raise ValidationError(
            "EAN inválido: o dígito verificador não confere.", code="ean_check"
        )
    return ean


def gtin14(ean: str | None) -> str:
    """The GTIN-14 form of a normalised EAN, for comparisons: GS1 compares GTINs of 8, 12, 13
    and 14 digits right-aligned in 14, so 7891000315507 (EAN-13) and 07891000315507 are one
    product. What the user typed is what is stored and shown; only comparisons use this."""
    return ean.zfill(14) if ean else ""


# --- address and contact ----------------------------------------------------------------


def is_placeholder(digits: str) -> bool:
    """All zeros: what integrations send for "not known" ("00000000" for a CEP, "00" and
    "000000000" for a telephone). Omie takes and keeps them; no such CEP, DDD or number
    exists, so they are stored as empty (and the API answers them as they were sent)."""
    return bool(digits) and set(digits) == {"0"}


def normalize_cep(value: str | None) -> str:
    cep = _digits_only(value, label="CEP", code="cep_format")
    if is_placeholder(cep):
        return ""
    if cep and len(cep) != 8:
        raise ValidationError("CEP inválido: informe 8 dígitos (ex.: 01310-100).", code="cep_format")
    return cep


def mask_cep(cep: str | None) -> str:
    cep = cep or ""
    return f"{cep[:5]}-{cep[5:]}" if len(cep) == 8 else cep


def normalize_uf(value: str | None) -> str:
    uf = (value or "").strip().upper()
    if uf and uf not in UF_CODES:
        raise ValidationError(
            "UF inválida: use a sigla de um dos 27 estados (ex.: SP, RJ, DF).", code="uf"
        )
    return uf


def normalize_party_state(value: str | None) -> str:
    """A client's or supplier's UF: one of the 27 states, or EX for one abroad."""
    state = (value or "").strip().upper()
    if state and state not in UF_CODES and state != FOREIGN_STATE:
        raise ValidationError(
            "UF inválida: use a sigla de um dos 27 estados (ex.: SP, RJ, DF) ou EX para um "
            "cliente/fornecedor do exterior.",
            code="uf",
        )
    return state


def normalize_country_code(value: str | None) -> str:
    """The country's BACEN code, as Omie's codigo_pais: 4 digits (1058 = Brasil). A number
    sent without its leading zero (639 for 0639) is padded; empty stays empty."""
    code = strip_mask(value)
    if not code:
        return ""
    if not (_DIGITS.fullmatch(code) and code.isascii() and len(code) <= 4) or int(code) == 0:
        raise ValidationError(
            f"Código do país inválido: [{value}]. Use o código do país do Banco Central, com 4 "
            "dígitos (ex.: 1058 = Brasil, 2496 = Estados Unidos, 1600 = China).",
            code="country_code",
        )
    return code.zfill(4)


def normalize_ddd(value: str | None) -> str:
    ddd = _digits_only(value, label="DDD", code="ddd_format")
    if is_placeholder(ddd):
        return ""
    if len(ddd) == 3 and ddd[0] == "0":  # the long-distance prefix, as in 011
        ddd = ddd[1:]
    if ddd and (len(ddd) != 2 or ddd[0] == "0" or ddd[1] == "0"):
        raise ValidationError("DDD inválido: informe 2 dígitos (ex.: 11).", code="ddd_format")
    return ddd


def normalize_phone_number(value: str | None) -> str:
    number = _digits_only(value, label="Telefone", code="phone_format")
    if is_placeholder(number):
        return ""
    if number and len(number) not in (8, 9):
        raise ValidationError(
            "Telefone inválido: informe o número com 8 ou 9 dígitos, com ou sem o DDD (ex.: (21) 99999-8888).",
            code="phone_format",
        )
    return number


def split_phone(ddd: str | None, number: str | None) -> tuple[str, str]:
    """A telephone as typed → its stored DDD (2 digits) and number (8 or 9 digits).

    The number may carry the DDD, as users and integrations type it: "(21) 99999-8888",
    "21 99999-8888", "021 99999-8888", "+55 21 99999-8888" (Omie keeps telefone1_numero as
    text and takes them all). Then the DDD field may be empty or say the same DDD; another
    DDD is refused rather than one of the two silently dropped."""
    ddd = normalize_ddd(ddd)
    text = (number or "").strip().removeprefix("+")
    digits = _digits_only(text, label="Telefone", code="phone_format")
    if is_placeholder(digits):
        return ddd, ""
    if len(digits) in (12, 13) and digits.startswith("55"):  # Brazil's country code
        digits = digits[2:]
    elif len(digits) in (11, 12) and digits.startswith("0"):  # the long-distance prefix
        digits = digits[1:]
    if len(digits) not in (10, 11):
        return ddd, normalize_phone_number(digits)
    inside = normalize_ddd(digits[:2])
    if ddd and ddd != inside:
        raise ValidationError(
            f"O telefone {number} traz o DDD {inside}, mas o DDD informado é {ddd}: corrija um dos dois.",
            code="phone_ddd_mismatch",
        )
    return inside, digits[2:]


def mask_phone(ddd: str | None, number: str | None) -> str:
    number = number or ""
    if len(number) in (8, 9):
        number = f"{number[:-4]}-{number[-4:]}"
    return f"({ddd}) {number}" if ddd else number



# --- the other fiscal codes of Omie's records (issue 12) -------------------------------


def normalize_optional_cnpj(value: str | None) -> str:
    """A CNPJ that may be left empty (the manufacturer's, on a product)."""
    return normalize_cnpj(value) if strip_mask(value) else ""


def normalize_cnae(value: str | None) -> str:
    """A CNAE fiscal code: 7 digits, written bare (4751201) or masked (4751-2/01). Kept as
    typed, so what an integration sent is what it reads back."""
    text = (value or "").strip()
    digits = _digits_only(text, label="CNAE", code="cnae_format")
    if digits and len(digits) != 7:
        raise ValidationError(
            "CNAE inválido: informe os 7 dígitos do código (ex.: 4751-2/01 ou 4751201).", code="cnae_format"
        )
    return text


def normalize_ibge_city(value: str | None) -> str:
    """The IBGE code of a city: 7 digits, the first the state's region (1 to 5)."""
    code = _digits_only(value, label="Código IBGE da cidade", code="ibge_format")
    if code and (len(code) != 7 or code[0] not in "12345"):
        raise ValidationError(
            "Código IBGE da cidade inválido: informe os 7 dígitos do município (ex.: 3550308 = São Paulo).",
            code="ibge_format",
        )
    return code


def normalize_bank_code(value: str | None) -> str:
    """A bank's code in the Brazilian payment system (COMPE): up to 3 digits (341 = Itaú)."""
    code = _digits_only(value, label="Código do banco", code="bank_format")
    if len(code) > 3:
        raise ValidationError("Código do banco inválido: informe até 3 dígitos (ex.: 001, 341).", code="bank_format")
    return code


def normalize_cfop(value: str | None) -> str:
    """A CFOP: 4 digits, the first 1-3 or 5-7; stored as Omie shows it, 5.102."""
    cfop = _digits_only(value, label="CFOP", code="cfop_format")
    if not cfop:
        return ""
    if len(cfop) != 4 or cfop[0] not in "123567":
        raise ValidationError("CFOP inválido: informe 4 dígitos (ex.: 5.102 ou 6102).", code="cfop_format")
    return f"{cfop[0]}.{cfop[1:]}"


# The IBGE code of each state: the first two digits of its cities' codes (3550308 = SP).
UF_IBGE_CODES = {
    "RO": "11", "AC": "12", "AM": "13", "RR": "14", "PA": "15", "AP": "16", "TO": "17", "MA": "21", "PI": "22",
    "CE": "23", "RN": "24", "PB": "25", "PE": "26", "AL": "27", "SE": "28", "BA": "29", "MG": "31", "ES": "32",
    "RJ": "33", "SP": "35", "PR": "41", "SC": "42", "RS": "43", "MS": "50", "MT": "51", "GO": "52", "DF": "53",
}
