"""Celery tasks of the connector app: thin, ids in, a service call out."""

import socket

from celery import shared_task


@shared_task(name="connector.heartbeat", ignore_result=False)
def heartbeat_task(source: str = "worker") -> str:
    """Record that a worker ran a task; beat schedules it every minute (see setup_periodic_tasks). Running it
    proves the worker alive too, so its entry stays fresh while it runs (not only the one of its start-up)."""
    from .services.heartbeat import heartbeat_record

    hostname = socket.gethostname()
    seen = heartbeat_record(source="worker", hostname=hostname)
    if source != "worker":
        seen = heartbeat_record(source=source, hostname=hostname)
    return seen.seen_at.isoformat()
