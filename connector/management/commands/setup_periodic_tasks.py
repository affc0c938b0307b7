"""Declare the fixed beat schedules in code (HackSoft's setup_periodic_tasks), idempotently.

Per-connection sync cadences are written by the connection settings, not here.
"""

from django.core.management.base import BaseCommand
from django.db import transaction
from django_celery_beat.models import IntervalSchedule, PeriodicTask


class Command(BaseCommand):
    help = "Create or update the connector's built-in periodic tasks."

    @transaction.atomic
    def handle(self, *args, **options):
        every_minute, _ = IntervalSchedule.objects.get_or_create(every=1, period=IntervalSchedule.MINUTES)
        PeriodicTask.objects.update_or_create(
            name="Worker heartbeat",
            defaults={
                "task": "connector.heartbeat",
                "interval": every_minute,
                "kwargs": '{"source": "beat"}',
                "enabled": True,
                "description": "Proves that beat schedules and a worker runs (Admin → Worker heartbeats).",
            },
        )
        every_two_minutes, _ = IntervalSchedule.objects.get_or_create(every=2, period=IntervalSchedule.MINUTES)
        PeriodicTask.objects.update_or_create(
            name="Stranded runs",
            defaults={
                "task": "sync.sweep",
                "interval": every_two_minutes,
                "kwargs": "{}",
                "enabled": True,
                "description": "Continues runs whose worker stopped mid-run, and paused runs whose continuation "
                               "was lost.",
            },
        )
        self.stdout.write("Periodic tasks are set up.")
