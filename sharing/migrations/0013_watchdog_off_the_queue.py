"""The watchdog no longer runs as a django-q2 schedule, whose task waited in the queue
behind the backlog it is there to repair: the worker holding the watchdog lock runs it
from its sweeper thread (sharing/leases.py)."""

from django.db import migrations


def delete_schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name="omieshare-watchdog").delete()


def create_schedule(apps, schema_editor):
    from importlib import import_module

    import_module("sharing.migrations.0002_watchdog_schedule").create_schedule(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [("sharing", "0012_apply_lag_buckets"), ("django_q", "0018_task_success_index")]

    operations = [migrations.RunPython(delete_schedule, create_schedule)]
