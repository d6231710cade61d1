"""Omie's listing parameters: pagina, registros_por_pagina, filtrar_por_data_de/ate."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from api.faults import INVALID_VALUE, NO_RECORDS, ApiFault

MAX_PER_PAGE = 500
DEFAULT_PER_PAGE = 50


def _positive_int(param: dict[str, Any], name: str, default: int) -> int:
    value = param.get(name, default)
    if value in (None, ""):
        return default
    try:
        number = int(str(value).strip())
    except ValueError:
        raise ApiFault(INVALID_VALUE, f"O campo {name} deve ser um número inteiro (recebido [{value}]).") from None
    if number < 1:
        raise ApiFault(INVALID_VALUE, f"O campo {name} deve ser maior que zero.")
    return number


def _date(param: dict[str, Any], name: str) -> datetime | None:
    value = param.get(name)
    if value in (None, ""):
        return None
    try:
        day = datetime.strptime(str(value).strip(), "%d/%m/%Y").date()
    except ValueError:
        raise ApiFault(INVALID_VALUE, f"Data inválida em {name}: [{value}]; use dd/mm/aaaa.") from None
    return timezone.make_aware(datetime.combine(day, time.min))


def filter_by_change_date(queryset: QuerySet, param: dict[str, Any]) -> QuerySet:
    """filtrar_por_data_de / filtrar_por_data_ate (dd/mm/yyyy, both days included)."""
    start = _date(param, "filtrar_por_data_de")
    end = _date(param, "filtrar_por_data_ate")
    if start:
        queryset = queryset.filter(updated_at__gte=start)
    if end:
        queryset = queryset.filter(updated_at__lt=end + timedelta(days=1))
    return queryset


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


def paginate(queryset: QuerySet, param: dict[str, Any]) -> Page:
    """One page in a stable order (by id). An empty page is Omie's fault 5113."""
    number = _positive_int(param, "pagina", 1)
    per_page = _positive_int(param, "registros_por_pagina", DEFAULT_PER_PAGE)
    if per_page > MAX_PER_PAGE:
        raise ApiFault(INVALID_VALUE, f"O campo registros_por_pagina aceita no máximo {MAX_PER_PAGE}.")
    total = queryset.count()
    offset = (number - 1) * per_page
    records = []
    if offset < total:
        # The page's ids first, from the (company, id) index alone; then only those rows with
        # their annotations and prefetches. Selecting whole annotated rows with OFFSET would
        # build every skipped row too (and, at 100k rows, the plan's cost turned on JIT).
        ids = list(queryset.order_by("pk").values_list("pk", flat=True)[offset : offset + per_page])
        records = list(queryset.filter(pk__in=ids).order_by("pk"))
    if not records:
        raise ApiFault(NO_RECORDS, f"Não existem registros para a página [{number}]!")
    return Page(number=number, per_page=per_page, total=total, records=records)
