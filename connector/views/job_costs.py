"""The job cost report (per project, per cost code × cost type), its chart and CSV, and the reconciliation of
Procore and Xero with the action that fixes each difference. Reads local tables only."""

from __future__ import annotations

import json

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse

from ..models import Connection
from ..record_urls import currency_of, money
from ..selectors import connections_for, member_can
from ..selectors_job_costs import COLUMNS, job_cost_report, reconciliation, report_csv
from .paging import page_of

PROJECTS_PER_PAGE = 20


def _connection(request) -> Connection:
    mine = connections_for(request.user, "view_link").exclude(status=Connection.Status.DISCONNECTED)
    wanted = request.GET.get("connection")
    connection = get_object_or_404(mine, pk=wanted) if wanted else mine.first()
    if connection is None:
        raise PermissionDenied
    return connection


def report(request):
    connection = _connection(request)
    currency = currency_of(connection)
    projects = job_cost_report(connection, request.GET.get("project") or None)
    page = page_of(request, projects, "page", PROJECTS_PER_PAGE)
    rows = [{
        "id": p.project_id, "name": p.name,
        "figures": [money(v, currency) for v in p.totals.values()],
        "variance": p.totals.variance,
        "cost_codes": [{"code": code, "committed": money(amounts["committed"], currency),
                        "billed": money(amounts["billed"], currency),
                        "left": money(amounts["committed"] - amounts["billed"], currency)}
                       for code, amounts in sorted(p.cost_codes.items())],
        "chart": json.dumps({"labels": [label for _, label in COLUMNS[:6]],
                             "values": [float(v) for v in p.totals.values()[:6]], "currency": currency}),
    } for p in page["items"]]
    differences_page = page_of(request, reconciliation(connection), "dp")
    can_decide = member_can(request.user, connection, "approve_exports")
    can_run = member_can(request.user, connection, "run_sync")
    differences = [{
        "label": d.link.label, "kind": d.link.get_kind_display(), "problem": d.problem, "fix": d.fix,
        "action": d.action if (d.action not in ("resend", "sync") or can_run) and (d.action != "accept" or can_decide)
        else "open",
        "sync_url": reverse("admin:connector_connection_sync", args=[connection.pk, d.link.kind]),
        "record_url": reverse("admin:connector_link_change", args=[d.link.pk]),
        "decide_url": reverse("admin:connector_link_decide", args=[d.link.pk]),
    } for d in differences_page["items"]]
    return TemplateResponse(request, "admin/connector/job_costs/report.html", {
        **admin.site.each_context(request), "title": "Job cost report", "subtitle": str(connection),
        "connection": connection, "connections": connections_for(request.user, "view_link"),
        "columns": [label for _, label in COLUMNS], "rows": rows, "page": page, "currency": currency,
        "project": request.GET.get("project", ""), "differences": differences, "differences_page": differences_page,
        "csv_url": f"{reverse('job_costs_csv')}?connection={connection.pk}",
    })


def report_download(request):
    connection = _connection(request)
    body = report_csv(job_cost_report(connection, request.GET.get("project") or None), currency_of(connection))
    answer = HttpResponse(body, content_type="text/csv; charset=utf-8")
    answer["Content-Disposition"] = f'attachment; filename="job-costs-{connection.procore_company_id}.csv"'
    return answer
