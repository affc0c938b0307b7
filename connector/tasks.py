"""Celery tasks of the connector app: thin, ids in, a service call out."""

import socket

from celery import shared_task


@shared_task(name="connector.heartbeat", ignore_result=False)
def heartbeat_task(source: str = "worker") -> str:
    """Record that a worker ran a task; beat schedules it every minute (see setup_periodic_tasks)."""
    from .services.heartbeat import heartbeat_record

    beat = heartbeat_record(source=source, hostname=socket.gethostname())
    return beat.seen_at.isoformat()
