"""The watchdog that re-enqueues jobs and changes a lost enqueue or a killed worker left."""

from django.db import migrations


def create_schedule(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    Schedule.objects.update_or_create(
        name="omieshare-watchdog",
        defaults={"func": "sharing.tasks.watchdog", "schedule_type": "I", "minutes": 1, "repeats": -1},
    )


def delete_schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name="omieshare-watchdog").delete()


class Migration(migrations.Migration):
    dependencies = [("sharing", "0001_initial"), ("django_q", "0018_task_success_index")]

    operations = [migrations.RunPython(create_schedule, delete_schedule)]
