from django.apps import AppConfig


class SupervisionConfig(AppConfig):
    """How the web and worker machines see each other: the workers' heartbeats, the startup
    check that web and workers agree on the broker and on SECRET_KEY, the readiness endpoint
    and the `qcluster` whose processes stop together (see deploy/README.md)."""

    name = "omieshare.supervision"
    label = "supervision"
    verbose_name = "Supervisão dos workers"

    def ready(self) -> None:
        from django.core import checks
        from django_q.signals import post_spawn

        from omieshare.supervision import checks as supervision_checks
        from omieshare.supervision import logs
        from omieshare.supervision.heartbeat import start_heartbeat
        from omieshare.supervision.processes import worker_obeys_sigterm

        logs.install()
        post_spawn.connect(worker_obeys_sigterm, dispatch_uid="supervision-worker-sigterm")
        post_spawn.connect(start_heartbeat, dispatch_uid="supervision-heartbeat")
        checks.register(supervision_checks.broker_agreement, checks.Tags.database)
