from __future__ import annotations

from django.urls import path

from companies import views

app_name = "companies"
# Names are fixed: other apps link to them.
urlpatterns = [
    path("", views.home, name="home"),
    path("apps/", views.my_apps, name="my_apps"),
    path("apps/<int:company_id>/", views.summary, name="summary"),
    path("apps/<int:company_id>/grupo/", views.group, name="group"),
    path(
        "apps/<int:company_id>/unicidade/",
        views.unique_validation,
        name="unique_validation",
    ),
]
