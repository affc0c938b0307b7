"""Reads of the connector app."""

from datetime import timedelta

from django.utils import timezone

from .models import WorkerHeartbeat


def heartbeat_status(*, stale_after: timedelta = timedelta(minutes=3)) -> dict[str, bool]:
    """Whether a worker and the beat schedule were seen recently."""
    cutoff = timezone.now() - stale_after
    recent = WorkerHeartbeat.objects.filter(seen_at__gte=cutoff)
    return {source: recent.filter(source=source).exists() for source in WorkerHeartbeat.Source.values}
