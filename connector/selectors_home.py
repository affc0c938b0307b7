"""What the connector home shows per connection: what waits for a person, what failed, when each kind ran and
runs next, the rate-limit room left, webhook lag, and the last 14 days. Reads local tables only (plus the
shared rate budget), so the page never waits on Procore or Xero."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, Max, Min, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from .models import Connection, Kind, Link, SyncRecord, SyncRun, WebhookEvent
from .pacing import procore_budget, room_left, xero_budget

State = Link.State
# Which scheduled sync covers each kind (the beat schedules are per scope: connector/services/schedules.py).
KIND_SCOPES = {Kind.COST_CODE: "company", Kind.PROJECT: "company", Kind.VENDOR: "company",
               Kind.COMMITMENT: "project", Kind.CHANGE_ORDER: "project", Kind.INVOICE: "project",
               Kind.JOB_COST: "project", Kind.PAYMENT: "payments"}
DONE_ACTIONS = (SyncRecord.Action.CREATED, SyncRecord.Action.UPDATED, SyncRecord.Action.LINKED)
CHART_DAYS = 14


@dataclass
class KindRow:
    kind: str
    label: str
    awaiting: int = 0
    awaiting_total: Decimal | None = None
    failed: int = 0
    last_run: SyncRun | None = None
    next_run_at: object = None


@dataclass
class ConnectionHome:
    connection: Connection
    kinds: list[KindRow] = field(default_factory=list)
    room: dict = field(default_factory=dict)
    webhook_waiting: int = 0
    webhook_oldest: object = None
    webhook_last: object = None
    chart: dict = field(default_factory=dict)


def next_runs(connection: Connection) -> dict[str, object]:
    """When each scope's schedule runs next (None: not scheduled)."""
    from django_celery_beat.models import PeriodicTask

    from .services.schedules import schedule_name

    found = {}
    for scope in ("company", "project", "payments"):
        task = PeriodicTask.objects.filter(name=schedule_name(connection, scope), enabled=True).first()
        if task is None or task.interval is None:
            found[scope] = None
            continue
        every = timedelta(**{task.interval.period: task.interval.every})
        found[scope] = (task.last_run_at or task.date_changed or timezone.now()) + every
    return found


def room_left_today(connection: Connection) -> dict[str, tuple[int, int, str]]:
    """(left, allowed, window in words) per side; empty when the budgets are switched off."""
    if not settings.RATE_BUDGETS_ENABLED:
        return {}
    room = {}
    try:
        if connection.xero_tenant_id:
            left, allowed = room_left(xero_budget(connection.xero_tenant_id))["day"]
            room["Xero"] = (left, allowed, "today")
        left, allowed = room_left(procore_budget(connection.procore_company_id))["hour"]
        room["Procore"] = (left, allowed, "this hour")
    except Exception:  # the budget store is down: the page still shows the rest
        return {}
    return room


def daily_chart(connection: Connection, *, days: int = CHART_DAYS) -> dict:
    today = timezone.localdate()
    start = today - timedelta(days=days - 1)
    rows = (SyncRecord.objects.filter(run__connection=connection, run__dry_run=False,
                                      created_at__date__gte=start)
            .annotate(day=TruncDate("created_at")).values("day")
            .annotate(done=Count("id", filter=Q(action__in=DONE_ACTIONS)),
                      failed=Count("id", filter=Q(action=SyncRecord.Action.FAILED))))
    by_day = {row["day"]: row for row in rows}
    labels, dates, done, failed = [], [], [], []
    for offset in range(days):
        day = start + timedelta(days=offset)
        labels.append(day.strftime("%-d %b"))
        dates.append(day.isoformat())
        done.append(by_day.get(day, {}).get("done", 0))
        failed.append(by_day.get(day, {}).get("failed", 0))
    return {"labels": labels, "dates": dates, "synced": done, "failed": failed}


def connection_home(connection: Connection) -> ConnectionHome:
    links = Link.objects.filter(connection=connection)
    awaiting = {r["kind"]: r for r in links.filter(state=State.AWAITING_APPROVAL).values("kind")
                .annotate(n=Count("id"), total=Sum("amount"))}
    failed = dict(links.filter(state=State.FAILED).values_list("kind").annotate(n=Count("id")))
    latest = (SyncRun.objects.filter(connection=connection, dry_run=False).values("kind")
              .annotate(last=Max("id")))
    runs = SyncRun.objects.in_bulk([row["last"] for row in latest])
    last_by_kind = {run.kind: run for run in runs.values()}
    upcoming = next_runs(connection)
    home = ConnectionHome(connection=connection)
    for kind, label in Kind.choices:
        row = KindRow(kind=kind, label=label, failed=failed.get(kind, 0), last_run=last_by_kind.get(kind),
                      next_run_at=upcoming.get(KIND_SCOPES.get(kind)))
        if kind in awaiting:
            row.awaiting, row.awaiting_total = awaiting[kind]["n"], awaiting[kind]["total"]
        home.kinds.append(row)
    events = WebhookEvent.objects.filter(connection=connection)
    waiting = events.filter(state=WebhookEvent.State.QUEUED).aggregate(n=Count("id"), oldest=Min("received_at"))
    home.webhook_waiting, home.webhook_oldest = waiting["n"], waiting["oldest"]
    home.webhook_last = events.aggregate(last=Max("received_at"))["last"]
    home.room = room_left_today(connection)
    home.chart = daily_chart(connection)
    return home
