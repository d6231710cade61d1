"""A URLconf with stand-ins for the catalog pages and the sharing wizard, so tests can
check that the companies pages link to them once they exist."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import include, path


def _stub(request: HttpRequest, company_id: int) -> HttpResponse:
    return HttpResponse("stub")


catalog_patterns = (
    [
        path("apps/<int:company_id>/clientes/", _stub, name="party_list"),
        path("apps/<int:company_id>/produtos/", _stub, name="product_list"),
    ],
    "catalog",
)
sharing_patterns = (
    [path("apps/<int:company_id>/compartilhamento/", _stub, name="wizard")],
    "sharing",
)

urlpatterns = [
    path("", include("tests.companies.urlconf_bare")),
    path("", include(catalog_patterns)),
    path("", include(sharing_patterns)),
]
