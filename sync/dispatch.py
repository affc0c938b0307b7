"""The engine's answer to what the connector asks for (connector.signals): a task in the queue."""

from __future__ import annotations


def on_sync_wanted(sender, *, connection_id: int, kind: str, trigger: str, record_id=None, dry_run=False, **_):
    from .tasks import sync_kind_task

    sync_kind_task.delay(connection_id, kind, trigger, record_id, dry_run)


def on_webhook_recorded(sender, *, event_id: int, **_):
    from .tasks import webhook_event_task

    webhook_event_task.delay(event_id)
