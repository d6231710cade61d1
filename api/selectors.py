"""Reads of the API's own metadata (catalog records are read through catalog/selectors.py)."""

from __future__ import annotations

from collections.abc import Iterable

from api.models import ApiSpelling
from companies.models import Company


def spellings_of(*, company: Company, registry: str, local_ids: Iterable[int]) -> dict[int, dict[str, str]]:
    """{local id: the spellings its integration last sent} (api.models.ApiSpelling), in one
    query whatever the number of records."""
    rows = ApiSpelling.objects.filter(company=company, registry=registry, local_id__in=list(local_ids))
    return dict(rows.values_list("local_id", "values"))
