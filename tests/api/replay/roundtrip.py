"""What an integration checks after a write: everything it sent comes back from Consultar
(and Listar) under the same name, with the value it sent.

`differences(sent, read)` walks the payload sent and lists every key that is missing from the
record read back, or whose value differs, allowing only the equivalences Omie itself has:

- documents, NCM and CEST compare by their digits (Omie answers CNPJ/CPF and NCM with the
  mask whatever was sent);
- e-mail and UF compare without case;
- a number sent as text and read as a number (or the other way round) compares by value;
- the placeholder phones integrations send ("00", "000000000") may come back empty;
- tags compare by name, sent as strings or as {"tag": …} objects;
- a list compares item by item (every item sent is found in the list read);
- the action flags pesquisar_cep / separar_endereco are instructions, not data.

Everything else is compared as sent: a CEP sent "01310-100" must come back "01310-100", a
masked phone masked, a lowercase code lowercase, unidade "un" as "un" (issue 12 §5).
"""

from __future__ import annotations

import json
import re
from decimal import Decimal, InvalidOperation
from typing import Any

# Instructions to Omie's write ("fill the address from the CEP", "split the number out of
# the street"), not values of the record: nothing to read back.
WRITE_ONLY = {"pesquisar_cep", "separar_endereco", "entSepararEndereco"}
SAME_DIGITS = {"cnpj_cpf", "ncm", "cest", "id_cest", "doc_titular", "entCnpjCpf", "cnpj_fabricante"}
ANY_CASE = {"email", "email_fatura", "estado", "entEstado"}
PLACEHOLDER_PHONES = {"0", "00", "000", "00000000", "000000000", "0000-0000", "00000-0000"}
_DIGITS = re.compile(r"\D")


def differences(sent: Any, read: Any, path: str = "") -> list[str]:
    """Every way `read` fails to hold what was `sent`; empty when nothing was dropped."""
    if isinstance(sent, dict):
        if not isinstance(read, dict):
            return [f"{path or 'record'}: sent an object, read {read!r}"]
        found = []
        for key, value in sent.items():
            if key in WRITE_ONLY:
                continue
            where = f"{path}.{key}" if path else key
            if key not in read:
                found.append(f"{where}: DROPPED (sent {value!r})")
            elif key == "tags":
                found += _tag_differences(value, read[key], where)
            else:
                found += differences(value, read[key], where)
        return found
    if isinstance(sent, list):
        if not isinstance(read, list):
            return [f"{path}: sent a list, read {read!r}"]
        return [
            f"{path}[]: item {item!r} not read back (read {read!r})"
            for item in sent
            if not any(not differences(item, candidate, path) for candidate in read)
        ]
    if _equivalent(path.rsplit(".", 1)[-1], sent, read):
        return []
    return [f"{path}: sent {sent!r}, read {read!r}"]


def assert_nothing_dropped(sent: dict, read: dict, what: str) -> None:
    found = differences(sent, read)
    assert not found, f"{what}: not read back as sent:\n  " + "\n  ".join(found)


def _tag_names(value: Any) -> set[str] | None:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        return None
    names = set()
    for item in value:
        name = item.get("tag") if isinstance(item, dict) else item
        if not isinstance(name, str):
            return None
        names.add(name.strip().casefold())
    return names


def _tag_differences(sent: Any, read: Any, path: str) -> list[str]:
    sent_names, read_names = _tag_names(sent), _tag_names(read)
    if read_names is None or not isinstance(read, list):
        return [f"{path}: read {read!r}, expected a list of {{\"tag\": …}}"]
    missing = sorted((sent_names or set()) - read_names)
    return [f"{path}: tag {name!r} not read back (read {read!r})" for name in missing]


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    try:
        return Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None


def _equivalent(field: str, sent: Any, read: Any) -> bool:
    if sent == read:
        return True
    if isinstance(read, dict | list) or read is None:
        return False
    if field in SAME_DIGITS:
        return _DIGITS.sub("", str(sent)) == _DIGITS.sub("", str(read))
    if field in ANY_CASE:
        return str(sent).strip().casefold() == str(read).strip().casefold()
    if field.startswith(("telefone", "fax")) and str(sent) in PLACEHOLDER_PHONES:
        return read in ("", sent)
    # A number sent as text ("289.90") read as a number (289.9), or the other way round.
    # Only across types: two texts must match as written ("0045821" is not "45821").
    if isinstance(sent, int | float) != isinstance(read, int | float):
        sent_number, read_number = _number(sent), _number(read)
        return sent_number is not None and sent_number == read_number
    return False


def fault(body: dict) -> tuple[int, str] | None:
    """(code, text) of an Omie fault answer, or None for a normal answer."""
    code = str(body.get("faultcode") or "")
    if not code:
        return None
    number = code.rsplit("-", 1)[-1]
    return (int(number) if number.isdigit() else -1), str(body.get("faultstring", ""))


def ok(response, what: str) -> dict:
    """The JSON of a successful answer; a fault fails the test with Omie's own text."""
    body = response.json()
    problem = fault(body)
    assert problem is None and response.status_code == 200, (
        f"{what}: expected success, got HTTP {response.status_code} "
        f"{json.dumps(body, ensure_ascii=False)[:600]}"
    )
    return body
