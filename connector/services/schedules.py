"""Per-connection sync cadences, written to django-celery-beat's periodic tasks (what beat runs).

The connection's settings are the one source: saving them on the connection's page (company admins) rewrites
its tasks here, and beat's own admin (superusers only) cannot change or delete them (connector/admin/connection.py).
"""

from __future__ import annotations

import json

from django_celery_beat.models import IntervalSchedule, PeriodicTask

from ..models import Connection, ConnectionSettings

Cadence = ConnectionSettings.Cadence
CADENCE_HOURS = {Cadence.HOURLY: 1, Cadence.TWO_HOURS: 2, Cadence.FOUR_HOURS: 4, Cadence.DAILY: 24}

# scope → (settings field, what it covers)
SCOPES = {
    "company": ("company_cadence", "cost codes, vendors and contacts, tracking options"),
    "project": ("project_cadence", "commitments, change orders, subcontractor invoices, job costs"),
    "payments": ("payments_cadence", "bill payments → payments issued"),
}
SYNC_TASK = "sync.run_scope"


def schedule_name(connection: Connection, scope: str) -> str:
    return f"Connection #{connection.pk} · {scope}-level sync"


def schedules_sync(*, connection: Connection) -> list[PeriodicTask]:
    """Create or update one periodic task per scope; disabled unless the connection is active."""
    connection_settings = ConnectionSettings.objects.get_or_create(connection=connection)[0]
    tasks = []
    for scope, (field, covers) in SCOPES.items():
        cadence = getattr(connection_settings, field)
        enabled = connection.is_active and cadence != Cadence.NEVER
        if scope == "payments" and not connection.bill_payments_supported:
            enabled = False
        interval, _ = IntervalSchedule.objects.get_or_create(
            every=CADENCE_HOURS.get(cadence, 24), period=IntervalSchedule.HOURS
        )
        task, _ = PeriodicTask.objects.update_or_create(
            name=schedule_name(connection, scope),
            defaults={
                "task": SYNC_TASK,
                "interval": interval,
                "kwargs": json.dumps({"connection_id": connection.pk, "scope": scope, "trigger": "schedule"}),
                "enabled": enabled,
                "description": f"Syncs {covers} for {connection}. Cadence: {Cadence(cadence).label}.",
            },
        )
        tasks.append(task)
    return tasks


def schedules_of(connection: Connection) -> list[dict]:
    """What beat runs for this connection, in words, for its page (beat's own screens are for superusers)."""
    tasks = {t.name: t for t in PeriodicTask.objects.filter(name__in=[schedule_name(connection, s) for s in SCOPES])}
    connection_settings = ConnectionSettings.objects.filter(connection=connection).first()
    out = []
    for scope, (field, covers) in SCOPES.items():
        task = tasks.get(schedule_name(connection, scope))
        out.append({"scope": scope.title(), "covers": covers, "on": bool(task and task.enabled),
                    "cadence": Cadence(getattr(connection_settings, field)).label if connection_settings else "",
                    "last_run_at": task.last_run_at if task else None})
    return out
