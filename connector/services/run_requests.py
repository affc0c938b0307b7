"""Asking the engine for work from a person's action or a webhook: sent once the change is committed."""

from __future__ import annotations

from django.db import transaction

from ..models import AuditEntry, Connection, Kind, Link, WebhookEvent
from ..signals import sync_wanted, webhook_recorded


def run_request(*, connection_id: int, kind: str, trigger: str, record_id: str | None = None,
                dry_run: bool = False, user=None) -> None:
    """A run of `kind` (or a preview, `dry_run`) once the current transaction is committed; audited when a
    person (`user`) asked for it."""
    if getattr(user, "pk", None):
        from .audit import audit_record

        audit_record(user=user, connection=Connection.objects.get(pk=connection_id),
                     action=AuditEntry.Action.PREVIEW if dry_run else AuditEntry.Action.SYNC_NOW,
                     summary=f"{'Preview' if dry_run else 'Sync now'}: {Kind(kind).label}.")
    transaction.on_commit(lambda: sync_wanted.send(sender=Link, connection_id=connection_id, kind=kind,
                                                   trigger=trigger, record_id=record_id, dry_run=dry_run))


def webhook_event_request(*, event_id: int) -> None:
    transaction.on_commit(lambda: webhook_recorded.send(sender=WebhookEvent, event_id=event_id))
