from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "catalog"
    verbose_name = "Cadastros"

    def ready(self) -> None:
        # The `accentless` lookup of the catalog's name searches, for every text field.
        from omieshare.lib import search  # noqa: F401
