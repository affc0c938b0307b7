"""The audit log: every action a person takes, written by the service that does it (never edited)."""

from __future__ import annotations

from ..models import AuditEntry

RECORDS_SHOWN = 20


def audit_record(*, user, action: str, summary: str, connection=None, links=()) -> AuditEntry | None:
    """What a person did; nothing when no person did it (the engine, a schedule, a management command)."""
    if not getattr(user, "pk", None):
        return None
    links = list(links)
    labels = [str(getattr(link, "label", "") or getattr(link, "pk", "")) for link in links]
    shown = ", ".join(labels[:RECORDS_SHOWN]) + (f" and {len(labels) - RECORDS_SHOWN} more"
                                                 if len(labels) > RECORDS_SHOWN else "")
    return AuditEntry.objects.create(
        connection=connection if connection is not None else (links[0].connection if links else None),
        user=user, username=user.get_username(),
        action=action, summary=summary[:500], record_count=len(links), records=shown)


def audit_links(*, user, action: str, verb: str, links, detail: str = "") -> list[AuditEntry]:
    """One entry per connection for what a person did to records ("Accepted 3 records")."""
    by_connection: dict[int, list] = {}
    for link in links:
        by_connection.setdefault(link.connection_id, []).append(link)
    entries = []
    for group in by_connection.values():
        plural = "s" if len(group) != 1 else ""
        entry = audit_record(user=user, action=action, links=group, summary=f"{verb} {len(group)} record{plural}{detail}.")
        if entry is not None:
            entries.append(entry)
    return entries
