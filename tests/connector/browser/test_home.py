"""The connector home: what waits, what failed, when each kind ran; from a failing kind to its fix and retry."""

from datetime import timedelta

import pytest
from django.utils import timezone

from connector.models import ConnectionSettings, Kind, Link, SyncRecord, SyncRun

from .conftest import invoice

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_home_to_failing_kind_to_record_fix_and_retry(workspace, login, live_server):
    connection = workspace["connection"]
    ConnectionSettings.objects.filter(connection=connection).update(approve_invoices=False)
    invoice(connection, "INV-0042", "Acme Concrete", "12500.00")
    invoice(connection, "INV-0043", "Bolt Steel", "8300.50")
    broken = invoice(connection, "INV-0044", "Cobalt Electric", "990.00", state=Link.State.FAILED,
                     last_error="Xero refused the bill: the account code 5000 is archived.",
                     hint="Pick another purchase account in the connection's settings, then re-send.")
    run = SyncRun.objects.create(connection=connection, kind=Kind.INVOICE, direction="export", trigger="schedule",
                                 status=SyncRun.Status.PARTIAL, finished_at=timezone.now() - timedelta(minutes=5),
                                 created=3, failed=1, total=4)
    for action in ("created", "created", "created", "failed"):
        SyncRecord.objects.create(run=run, action=action, label="INV", link=broken if action == "failed" else None)

    page = login("acc")
    assert page.url.rstrip("/").endswith("/admin")  # the landing page is the home
    panel = page.inner_text(f"#connection-{connection.pk}")
    assert "Summit Ridge Builders" in panel and "awaiting approval" in panel
    row = page.locator(f"#kinds-{connection.pk} tr", has_text="Subcontractor invoice → Bill").inner_text()
    assert "2 waiting · USD 20,800.50" in row and "1 failed" in row and "Finished with failures, 5 min ago" in row
    assert "Celery" not in page.inner_text("#content")
    assert page.locator("canvas#chart-%d" % connection.pk).count() == 1
    page.wait_for_function("() => typeof Chart === 'function'")  # the vendored chart library loaded

    page.click("text=1 failed")
    assert "INV-0044" in page.inner_text("#result_list") and "INV-0042" not in page.inner_text("#result_list")
    page.click("text=INV-0044")
    summary = page.inner_text("#record-summary")
    assert "the account code 5000 is archived" in summary and "Pick another purchase account" in summary

    # The fix is made where the hint says; then the accountant re-sends the record.
    page.click("#resend")
    assert "INV-0044 Cobalt Electric: Re-sent." in page.inner_text("ul.messagelist")
    assert page.inner_text("#record-state") == "Ready to export"
    page.goto(f"{live_server.url}/admin/")
    row = page.locator(f"#kinds-{connection.pk} tr", has_text="Subcontractor invoice → Bill").inner_text()
    assert "None" in row and "failed" not in row.replace("Finished with failures", "")


def test_a_person_sees_only_their_connections(workspace, login, live_server):
    from tests.factories import ConnectionFactory

    other = ConnectionFactory(procore_company_name="Someone Else Builders")
    invoice(other, "INV-9", "Hidden Vendor", "1.00")
    page = login("acc")
    assert "Summit Ridge Builders" in page.inner_text("#content")
    assert "Someone Else Builders" not in page.inner_text("#content")


def test_a_days_bar_opens_that_days_runs(workspace, login, live_server):
    connection = workspace["connection"]
    run = SyncRun.objects.create(connection=connection, kind=Kind.INVOICE, direction="export", trigger="schedule",
                                 status=SyncRun.Status.SUCCEEDED, finished_at=timezone.now(), created=4, total=4)
    SyncRecord.objects.bulk_create([SyncRecord(run=run, action="created", label=f"INV-{n}") for n in range(4)])
    page = login("acc")
    canvas = page.locator(f"#chart-{connection.pk}")
    page.wait_for_function("(id) => window.Chart && Chart.getChart(document.getElementById(id))",
                           arg=f"chart-{connection.pk}")
    bar = page.evaluate("(id) => { const b = Chart.getChart(document.getElementById(id)).getDatasetMeta(0).data[13];"
                        " return {x: b.x, y: (b.y + b.base) / 2}; }", f"chart-{connection.pk}")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    page.mouse.click(box["x"] + bar["x"], box["y"] + bar["y"])
    page.wait_for_url("**/admin/connector/syncrun/**")
    assert "1 sync run" in page.inner_text("#changelist-form") and "Succeeded" in page.inner_text("#result_list")
