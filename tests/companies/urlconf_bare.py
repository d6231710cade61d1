"""A URLconf with the companies pages and sign-in only: neither catalog nor sharing pages.
Lets tests check that the companies pages stand alone, whatever else is merged."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import include, path

urlpatterns = [
    path("entrar/", auth_views.LoginView.as_view(), name="login"),
    path("sair/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include("companies.urls")),
]
