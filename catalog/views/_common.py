"""Small helpers shared by the catalog views."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers


def wants_fragment(request: HttpRequest) -> bool:
    """An htmx request for part of the page (a history restore needs the whole page)."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.history_restore_request


def render_list(request: HttpRequest, template: str, context: dict[str, Any]) -> HttpResponse:
    """The whole list page, or only its results table for search-as-you-type."""
    name = f"{template}#results" if wants_fragment(request) else template
    response = render(request, name, context)
    # The same URL answers with a page or a fragment: caches must tell them apart.
    patch_vary_headers(response, ["HX-Request"])
    return response
