"""Celery entry points of the engine: ids in, one service call, retry policy here."""

import logging

from celery import shared_task

logger = logging.getLogger(__name__)


@shared_task(name="sync.run_scope", acks_late=True)
def sync_scope_task(connection_id: int, scope: str, trigger: str = "schedule") -> dict:
    from .services import sync_scope_run

    return sync_scope_run(connection_id=connection_id, scope=scope, trigger=trigger)


@shared_task(name="sync.webhook_event", acks_late=True)
def webhook_event_task(event_id: int) -> str:
    from .services import webhook_event_process

    return webhook_event_process(event_id=event_id)
