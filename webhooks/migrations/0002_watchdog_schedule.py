"""The webhooks' watchdog: retries whose time came, and enqueues lost after commit."""

from django.db import migrations


def create_schedule(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    Schedule.objects.update_or_create(
        name="omieshare-webhooks",
        defaults={"func": "webhooks.tasks.watchdog", "schedule_type": "I", "minutes": 1, "repeats": -1},
    )


def delete_schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name="omieshare-webhooks").delete()


class Migration(migrations.Migration):
    dependencies = [("webhooks", "0001_initial"), ("django_q", "0018_task_success_index")]

    operations = [migrations.RunPython(create_schedule, delete_schedule)]
