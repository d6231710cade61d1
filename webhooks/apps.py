from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = "Webhooks"

    def ready(self) -> None:
        # Catalog never imports webhooks: every catalog write reaches us through its hooks,
        # the per-record ones (pages, API, admin, commands, sharing's apply) and the
        # set-based ones (activation, the engine's batched apply).
        from catalog import hooks
        from webhooks.services import on_bulk_write, on_catalog_write

        hooks.register_write_listener(on_catalog_write)
        hooks.register_bulk_write_listener(on_bulk_write)

        # The webhooks queue's qcluster (Q_QUEUE=webhooks) runs the webhooks' watchdog itself.
        from django_q.signals import post_spawn

        from webhooks.tasks import claim_watchdog

        post_spawn.connect(claim_watchdog, dispatch_uid="webhooks-claim-watchdog")
