from django.contrib import admin
from django.utils import timezone

from omieshare.supervision.identity import describe_broker
from omieshare.supervision.models import Heartbeat


@admin.register(Heartbeat)
class HeartbeatAdmin(admin.ModelAdmin):
    """Read only: which web servers and workers run, since when, and what they use."""

    list_display = ["role", "host", "pid", "broker_words", "queue", "key_fingerprint", "started_at", "seen_at",
                    "seconds_ago"]
    list_filter = ["role", "host"]
    ordering = ["-seen_at"]

    @admin.display(description="broker")
    def broker_words(self, row: Heartbeat) -> str:
        return describe_broker(row.broker)

    @admin.display(description="visto há (s)")
    def seconds_ago(self, row: Heartbeat) -> int:
        return int((timezone.now() - row.seen_at).total_seconds())

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
