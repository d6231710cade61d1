from django.apps import AppConfig


class DevtoolsConfig(AppConfig):
    """No models, no URLs: only management commands (the benchmarks and seed_demo)."""

    name = "devtools"
    verbose_name = "Ferramentas de desenvolvimento"
