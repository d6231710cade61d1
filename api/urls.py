from __future__ import annotations

from django.urls import path, re_path

from api import views

app_name = "api"
urlpatterns = [
    # Omie's paths, with and without the trailing slash.
    re_path(r"^api/v1/geral/clientes/?$", views.clientes, name="clientes"),
    re_path(r"^api/v1/geral/produtos/?$", views.produtos, name="produtos"),
    path("apps/<int:company_id>/api/chave/", views.credentials_issue, name="credentials_issue"),
]
