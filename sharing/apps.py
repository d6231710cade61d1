from django.apps import AppConfig


class SharingConfig(AppConfig):
    name = "sharing"
    verbose_name = "Compartilhamento de cadastros"

    def ready(self) -> None:
        # Catalog never imports sharing; sharing plugs into catalog's write path here.
        from catalog import hooks
        from sharing.propagation import keep_deleted, on_catalog_write, suggest_product_code
        from sharing.selectors import create_status, record_statuses, record_sync

        hooks.register_write_listener(on_catalog_write)
        # Every deleted record, shared or not, is kept as a Snapshot support can restore.
        hooks.register_deletion_keeper(keep_deleted)
        hooks.register_code_suggester(suggest_product_code)
        hooks.register_record_status_provider(record_statuses)
        hooks.register_create_status_provider(create_status)
        hooks.register_record_sync_provider(record_sync)

        # A company in a share keeps its CNPJ and group, whichever path saves it.
        from companies.hooks import register_identity_guard
        from sharing.selectors import identity_locked_reason

        register_identity_guard(identity_locked_reason)

        # Each worker process watches for jobs whose worker died (django-q2's scheduler is
        # too coarse for that: a minute at best).
        from django_q.signals import post_spawn

        from sharing.leases import start_sweeper

        post_spawn.connect(start_sweeper, dispatch_uid="sharing-lease-sweeper")

        # At INFO, each worker process says which broker it reached (README, "Métricas e logs").
        from omieshare.lib.broker import log_worker_ready

        post_spawn.connect(log_worker_ready, dispatch_uid="omieshare-log-worker-broker")
