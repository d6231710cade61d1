"""Omie's listing parameters: paging, the date/hour window, description patterns, unknown keys."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from api.faults import INVALID_VALUE, NO_RECORDS, UNKNOWN_TAG, ApiFault
from api.translate import flag, whole_number

# A bigger page is answered with 500 records, without a fault: Omie caps the page size
# silently (a public integration's tests record ListarOS answering 100 OS a page when 500 were
# asked, with total_de_paginas counted on the capped size), and integrations ask ListarClientes
# for 1000 or 10000 a page and read the answer as any other.
MAX_PER_PAGE = 500
DEFAULT_PER_PAGE = 50


def _positive_int(param: dict[str, Any], name: str, default: int) -> int:
    value = param.get(name, default)
    if value in (None, ""):
        return default
    try:
        number = whole_number(value)
    except ValueError:
        raise ApiFault(INVALID_VALUE, f"O campo {name} deve ser um número inteiro (recebido [{value}]).") from None
    if number < 1:
        raise ApiFault(INVALID_VALUE, f"O campo {name} deve ser maior que zero.")
    return number


def _day(param: dict[str, Any], name: str) -> date | None:
    value = param.get(name)
    if value in (None, ""):
        return None
    try:
        return datetime.strptime(str(value).strip(), "%d/%m/%Y").date()
    except ValueError:
        raise ApiFault(INVALID_VALUE, f"Data inválida em {name}: [{value}]; use dd/mm/aaaa.") from None


def _hour(param: dict[str, Any], name: str, day_name: str, day: date | None) -> time | None:
    value = param.get(name)
    if value in (None, ""):
        return None
    if day is None:
        raise ApiFault(INVALID_VALUE, f"O campo {name} vale junto com {day_name}: informe também a data.")
    for pattern in ("%H:%M:%S", "%H:%M"):
        try:
            return datetime.strptime(str(value).strip(), pattern).time()
        except ValueError:
            continue
    raise ApiFault(INVALID_VALUE, f"Hora inválida em {name}: [{value}]; use hh:mm:ss.")


def date_window(param: dict[str, Any]) -> tuple[datetime | None, datetime | None]:
    """[start, end) from filtrar_por_data_de/ate (dd/mm/aaaa, both days included) and
    filtrar_por_hora_de/ate (hh:mm:ss, the second of hora_ate included). None = unbounded."""
    first_day = _day(param, "filtrar_por_data_de")
    last_day = _day(param, "filtrar_por_data_ate")
    first_hour = _hour(param, "filtrar_por_hora_de", "filtrar_por_data_de", first_day)
    last_hour = _hour(param, "filtrar_por_hora_ate", "filtrar_por_data_ate", last_day)
    start = end = None
    if first_day:
        start = timezone.make_aware(datetime.combine(first_day, first_hour or time.min))
    # The calendar's last day (31/12/9999, a common "no limit") has no day after it: it is
    # no upper bound, rather than an OverflowError.
    if last_day and last_day < date.max:
        if last_hour:
            end = timezone.make_aware(datetime.combine(last_day, last_hour)) + timedelta(seconds=1)
        else:
            end = timezone.make_aware(datetime.combine(last_day + timedelta(days=1), time.min))
    return start, end


def filter_by_date_window(queryset: QuerySet, param: dict[str, Any]) -> QuerySet:
    """The date/hour window, on the last change by default. filtrar_apenas_inclusao "S":
    records created in the window; filtrar_apenas_alteracao "S": records changed in the
    window after their creation (version > 1: every write bumps the version). Both "S" is
    the same as neither."""
    only_created = flag(param.get("filtrar_apenas_inclusao"), "filtrar_apenas_inclusao")
    only_changed = flag(param.get("filtrar_apenas_alteracao"), "filtrar_apenas_alteracao")
    field = "updated_at"
    if only_created and not only_changed:
        field = "created_at"
    elif only_changed and not only_created:
        queryset = queryset.filter(version__gt=1)
    start, end = date_window(param)
    if start:
        queryset = queryset.filter(**{f"{field}__gte": start})
    if end:
        queryset = queryset.filter(**{f"{field}__lt": end})
    return queryset


def text_pattern_filter(field: str, value: Any) -> Q:
    """Omie's % rule for description filters: "Caneta%" starts with, "%azul" ends with,
    "%x%" (or no % at all) contains; case-insensitive."""
    text = str(value).strip()
    starts, ends = text.endswith("%"), text.startswith("%")
    text = text.strip("%")
    if starts and not ends:
        return Q(**{f"{field}__istartswith": text})
    if ends and not starts:
        return Q(**{f"{field}__iendswith": text})
    return Q(**{f"{field}__icontains": text})


def known_keys(given: dict[str, Any], known: Iterable[str], type_name: str) -> dict[str, Any]:
    """`given` with each key in Omie's spelling: Omie matches tag names whatever their case
    ("PAGINA" is pagina), as api.omie_schema does for writes. A key outside `known` is
    Omie's fault 5001, in its wording: a list filter we do not implement must not be
    dropped silently (the whole list would come back as if it matched)."""
    spelling = {name.lower(): name for name in known}
    result = {}
    for name, value in given.items():
        known_name = spelling.get(str(name).lower())
        if known_name is None:
            raise ApiFault(
                UNKNOWN_TAG, f"Tag [{str(name).upper()}] não faz parte da estrutura do tipo complexo [{type_name}]!"
            )
        result[known_name] = value
    return result


@dataclass(frozen=True)
class Page:
    number: int
    per_page: int
    total: int
    records: list

    @property
    def total_pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    def envelope(self, list_name: str, items: list[dict]) -> dict[str, Any]:
        return {
            "pagina": self.number,
            "total_de_paginas": self.total_pages,
            "registros": len(items),
            "total_de_registros": self.total,
            list_name: items,
        }


def _descending(param: dict[str, Any]) -> bool:
    """ordem_decrescente "S", or ordem_descrescente "S": Omie's schema still carries its old
    misspelling (marked DEPRECATED in its generated clients), and integrations send it."""
    return any(
        param.get(name) not in (None, "") and flag(param[name], name)
        for name in ("ordem_decrescente", "ordem_descrescente")
    )


def _ordering(param: dict[str, Any], orderings: dict[str, str]) -> list[str]:
    """ordenar_por (one of `orderings`, Omie's names → our fields) and the descending flag;
    the id breaks ties, so paging stays stable. Default: by id, as Omie's code."""
    name = str(param.get("ordenar_por") or "CODIGO").strip().upper()
    if name not in orderings:
        raise ApiFault(
            INVALID_VALUE,
            f"Valor inválido em ordenar_por: [{param.get('ordenar_por')}]; use {', '.join(sorted(orderings))}.",
        )
    sign = "-" if _descending(param) else ""
    fields = [orderings[name]] if orderings[name] != "pk" else []
    return [f"{sign}{field}" for field in [*fields, "pk"]]


def paginate(queryset: QuerySet, param: dict[str, Any], orderings: dict[str, str]) -> Page:
    """One page in a stable order (by id unless ordenar_por says otherwise). An empty page
    is Omie's fault 5113."""
    number = _positive_int(param, "pagina", 1)
    per_page = min(_positive_int(param, "registros_por_pagina", DEFAULT_PER_PAGE), MAX_PER_PAGE)
    order = _ordering(param, orderings)
    total = queryset.count()
    offset = (number - 1) * per_page
    records = []
    if offset < total:
        # The page's ids first, from the (company, id) index alone; then only those rows with
        # their annotations and prefetches. Selecting whole annotated rows with OFFSET would
        # build every skipped row too (and, at 100k rows, the plan's cost turned on JIT).
        ids = list(queryset.order_by(*order).values_list("pk", flat=True)[offset : offset + per_page])
        records = list(queryset.filter(pk__in=ids).order_by(*order))
    if not records:
        raise ApiFault(NO_RECORDS, f"Não existem registros para a página [{number}]!")
    return Page(number=number, per_page=per_page, total=total, records=records)
