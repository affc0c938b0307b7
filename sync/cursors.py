"""Incremental windows: what changed since the last run, remembered per connection, kind and source."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from connector.models import SyncCursor

# Re-read a little of the previous window: clocks differ and a record saved while we read it must not slip.
OVERLAP = timedelta(seconds=5)


def cursor_get(connection, kind: str, source: str) -> datetime | None:
    cursor = SyncCursor.objects.filter(connection=connection, kind=kind, source=source).first()
    return datetime.fromisoformat(cursor.value) if cursor and cursor.value else None


def cursor_set(connection, kind: str, source: str, moment: datetime) -> None:
    SyncCursor.objects.update_or_create(connection=connection, kind=kind, source=source,
                                        defaults={"value": moment.isoformat()})


def procore_window(since: datetime | None, until: datetime) -> tuple[str, str] | None:
    """The `filters[updated_at]` range; None for a first, full read."""
    if since is None:
        return None
    return (_z(since - OVERLAP), _z(until))


def _z(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def now() -> datetime:
    return datetime.now(timezone.utc)
