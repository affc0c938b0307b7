"""The connector home: the admin's landing page, one panel per connection the person belongs to.

Superusers reach the stock list of every admin screen (Celery results, schedules…) from a link on it."""

from __future__ import annotations

import json
from urllib.parse import urlencode

from django.contrib import admin
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone

from ..models import Link
from ..record_urls import currency_of, money
from ..selectors import connections_for
from ..selectors_home import connection_home

_stock_index = admin.site.index


def records_url(**filters) -> str:
    return f"{reverse('admin:connector_link_changelist')}?{urlencode(filters)}"


def runs_url(**filters) -> str:
    return f"{reverse('admin:connector_syncrun_changelist')}?{urlencode(filters)}"


def since(moment) -> str:
    """“3 min ago”, “2 h ago”, in plain words."""
    if moment is None:
        return ""
    seconds = int((timezone.now() - moment).total_seconds())
    if seconds < 0:
        minutes = -seconds // 60
        return f"in {minutes} min" if minutes < 120 else f"in {minutes // 60} h"
    if seconds < 60:
        return "just now"
    if seconds < 90:
        return "a minute ago"
    if seconds < 2 * 3600:
        return f"{seconds // 60} min ago"
    if seconds < 2 * 86400:
        return f"{seconds // 3600} h ago"
    return f"{seconds // 86400} days ago"


def panel(home) -> dict:
    connection, currency = home.connection, currency_of(home.connection)
    rows = []
    for row in home.kinds:
        run = row.last_run
        base = {"connection__id__exact": connection.pk, "kind__exact": row.kind}
        rows.append({
            "label": row.label, "kind": row.kind,
            "awaiting": row.awaiting,
            "awaiting_total": money(row.awaiting_total, currency) if row.awaiting_total is not None else "",
            "awaiting_url": records_url(**base, state__exact=Link.State.AWAITING_APPROVAL),
            "failed": row.failed, "failed_url": records_url(**base, state__exact=Link.State.FAILED),
            "last_run": run and {"status": run.get_status_display(), "status_code": run.status,
                                 "when": since(run.finished_at or run.started_at),
                                 "url": reverse("admin:connector_syncrun_change", args=[run.pk])},
            "runs_url": runs_url(connection__id__exact=connection.pk, kind__exact=row.kind, preview="no"),
            "next_run": since(row.next_run_at) if row.next_run_at else "Not scheduled",
        })
    lag = since(home.webhook_oldest) if home.webhook_oldest else ""
    return {
        "connection": connection, "rows": rows,
        "awaiting_total": sum(r["awaiting"] for r in rows), "failed_total": sum(r["failed"] for r in rows),
        "room": [{"side": side, "left": f"{left:,}", "allowed": f"{allowed:,}", "window": window}
                 for side, (left, allowed, window) in home.room.items()],
        "webhook_waiting": home.webhook_waiting, "webhook_lag": lag,
        "webhook_last": since(home.webhook_last) if home.webhook_last else "",
        "webhooks_url": f"{reverse('admin:connector_webhookevent_changelist')}?"
                        + urlencode({"state__exact": "queued"}),
        "awaiting_url": records_url(connection__id__exact=connection.pk, state__exact=Link.State.AWAITING_APPROVAL),
        "failed_url": records_url(connection__id__exact=connection.pk, state__exact=Link.State.FAILED),
        "chart": json.dumps(home.chart), "runs_url": runs_url(connection__id__exact=connection.pk),
    }


def home_view(request, extra_context=None):
    if request.user.is_superuser and request.GET.get("all"):
        return _stock_index(request, extra_context)
    panels = [panel(connection_home(c)) for c in connections_for(request.user).exclude(status="disconnected")]
    context = {**admin.site.each_context(request), "title": "Connector home", "panels": panels,
               "is_superuser": request.user.is_superuser, **(extra_context or {})}
    return TemplateResponse(request, "admin/connector/home.html", context)


admin.site.index = home_view
