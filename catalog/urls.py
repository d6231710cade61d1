"""Per-company catalog pages. Names are fixed: other pages link to them."""

from __future__ import annotations

from django.urls import path, register_converter

from catalog.registries import REGISTRIES
from catalog.views import attachments, lookups, parties, products


class RegistryConverter:
    """The two registries a record (and so an attachment) belongs to."""

    regex = "|".join(REGISTRIES)

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(RegistryConverter, "registry")

app_name = "catalog"
urlpatterns = [
    # Clientes e fornecedores
    path("apps/<int:company_id>/clientes/", parties.party_list, name="party_list"),
    path("apps/<int:company_id>/clientes/novo/", parties.party_create, name="party_create"),
    path("apps/<int:company_id>/clientes/<int:party_id>/", parties.party_detail, name="party_detail"),
    path("apps/<int:company_id>/clientes/<int:party_id>/editar/", parties.party_edit, name="party_edit"),
    path("apps/<int:company_id>/clientes/<int:party_id>/excluir/", parties.party_delete, name="party_delete"),
    # Produtos
    path("apps/<int:company_id>/produtos/", products.product_list, name="product_list"),
    path("apps/<int:company_id>/produtos/novo/", products.product_create, name="product_create"),
    path(
        "apps/<int:company_id>/produtos/fornecedores/",
        products.supplier_options,
        name="supplier_options",
    ),
    path("apps/<int:company_id>/produtos/<int:product_id>/", products.product_detail, name="product_detail"),
    path(
        "apps/<int:company_id>/produtos/<int:product_id>/editar/", products.product_edit, name="product_edit"
    ),
    path(
        "apps/<int:company_id>/produtos/<int:product_id>/excluir/",
        products.product_delete,
        name="product_delete",
    ),
    # Imagens e anexos
    path(
        "apps/<int:company_id>/anexos/<registry:registry>/<int:record_id>/",
        attachments.attachment_add,
        name="attachment_add",
    ),
    path(
        "apps/<int:company_id>/anexos/<int:attachment_id>/",
        attachments.attachment_download,
        name="attachment_download",
    ),
    path(
        "apps/<int:company_id>/anexos/<int:attachment_id>/remover/",
        attachments.attachment_remove,
        name="attachment_remove",
    ),
    # Vendedores e famílias
    path("apps/<int:company_id>/vendedores/", lookups.salesperson_list, name="salesperson_list"),
    path("apps/<int:company_id>/familias/", lookups.family_list, name="family_list"),
]
