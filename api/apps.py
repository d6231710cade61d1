from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = "API compatível com o Omie"

    def ready(self) -> None:
        # Integrations may stream the envelope with Transfer-Encoding: chunked; gunicorn
        # decodes it, Django's development server (runserver, test live server) needs this.
        from omieshare.lib.chunked import install_in_development_server

        install_in_development_server()
