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
        self.stdout.write("Periodic tasks are set up.")
