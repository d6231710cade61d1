from __future__ import annotations

from django.urls import path

from webhooks import views

app_name = "webhooks"
urlpatterns = [
    path("apps/<int:company_id>/webhooks/", views.endpoint_list, name="list"),
    path("apps/<int:company_id>/webhooks/<int:endpoint_id>/", views.endpoint_detail, name="detail"),
    path("apps/<int:company_id>/webhooks/<int:endpoint_id>/testar/", views.endpoint_ping, name="ping"),
    path("apps/<int:company_id>/webhooks/<int:endpoint_id>/reenviar/", views.endpoint_redeliver, name="redeliver"),
    path("apps/<int:company_id>/webhooks/<int:endpoint_id>/segredo/", views.endpoint_secret, name="secret"),
    path("apps/<int:company_id>/webhooks/<int:endpoint_id>/excluir/", views.endpoint_delete, name="delete"),
]
