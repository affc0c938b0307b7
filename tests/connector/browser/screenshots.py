"""The README's pictures: `make screenshots` (pytest on this file; it is not collected with the suite).

Seeds a small company the way the browser tests do, opens the home, the approval queue, a record and the job
cost report in Debian's Chromium, and writes docs/screenshots/*.png."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from connector.models import Kind, Link, SyncRecord, SyncRun

from .conftest import invoice
from .test_job_costs_report import seed as seed_job_costs

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
OUT = Path(__file__).resolve().parents[3] / "docs" / "screenshots"


def seed(connection):
    seed_job_costs(connection)
    first = invoice(connection, "INV-0051", "Acme Concrete", "12500.00", retention="1250.00")
    for number, vendor, amount in (("INV-0052", "Bolt Steel Erectors", "8300.50"),
                                   ("INV-0053", "Cobalt Electric", "4120.00"),
                                   ("INV-0054", "Delta Drywall", "15780.25")):
        invoice(connection, number, vendor, amount)
    for day in reversed(range(14)):  # oldest first, as runs happen
        run = SyncRun.objects.create(connection=connection, kind=Kind.INVOICE, direction="export", trigger="schedule",
                                     status=SyncRun.Status.PARTIAL if day % 4 == 0 else SyncRun.Status.SUCCEEDED,
                                     finished_at=timezone.now() - timedelta(days=day))
        rows = [SyncRecord(run=run, action="failed" if n == 0 and day % 4 == 0 else "created", label=f"INV-{n}")
                for n in range(3 + (day * 7) % 11)]
        SyncRecord.objects.bulk_create(rows)
        SyncRecord.objects.filter(run=run).update(created_at=timezone.now() - timedelta(days=day))
    return first


def test_take_the_readme_screenshots(workspace, login, live_server):
    OUT.mkdir(parents=True, exist_ok=True)
    record = seed(workspace["connection"])
    page = login("acc")
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(f"{live_server.url}/admin/")
    page.screenshot(path=str(OUT / "home.png"), full_page=True)
    page.goto(f"{live_server.url}/admin/connector/link/?kind__exact=invoice&state__exact={Link.State.AWAITING_APPROVAL}")
    page.screenshot(path=str(OUT / "queue.png"), full_page=True)
    page.goto(f"{live_server.url}/admin/connector/link/{record.pk}/change/")
    page.locator("#record-summary").screenshot(path=str(OUT / "record.png"))
    page.goto(f"{live_server.url}/job-costs/")
    page.click("summary")
    page.screenshot(path=str(OUT / "job-costs.png"), full_page=True)
