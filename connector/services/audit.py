"""The audit log: every action a person takes, written by the service that does it (never edited)."""

from __future__ import annotations

from ..models import AuditEntry

RECORDS_SHOWN = 20


def audit_record(*, user, action: str, summary: str, connection=None, links=()) -> AuditEntry:
    links = list(links)
    labels = [str(getattr(link, "label", "") or getattr(link, "pk", "")) for link in links]
    shown = ", ".join(labels[:RECORDS_SHOWN]) + (f" and {len(labels) - RECORDS_SHOWN} more"
                                                 if len(labels) > RECORDS_SHOWN else "")
    return AuditEntry.objects.create(
        connection=connection if connection is not None else (links[0].connection if links else None),
        user=user if getattr(user, "pk", None) else None, username=getattr(user, "username", "") or "",
        action=action, summary=summary[:500], record_count=len(links), records=shown)
