from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from omieshare.metrics import metrics_view

admin.site.site_header = "omieshare — suporte"
admin.site.site_title = "omieshare"

urlpatterns = [
    path("entrar/", auth_views.LoginView.as_view(), name="login"),
    path("sair/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    # Prometheus (README, "Métricas e logs"); allowed networks or a bearer token only.
    path("metrics", metrics_view, name="metrics"),
    # Load balancers and supervisors: /health/ready and /health/live (deploy/README.md).
    path("", include("omieshare.supervision.urls")),
    # Pages that do not link the icon (the admin's) make browsers ask for /favicon.ico.
    path("favicon.ico", RedirectView.as_view(url=static("favicon.svg"), permanent=True)),
    path("", include("companies.urls")),
    path("", include("catalog.urls")),
    path("", include("sharing.urls")),
    path("", include("api.urls")),
    path("", include("webhooks.urls")),
]
