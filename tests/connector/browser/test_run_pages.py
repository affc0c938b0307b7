"""Run pages that scale: a paged, filtered log headed in words, counts that include records still failed,
previews marked as previews, and a running run's progress followed without a reload."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from connector.models import Kind, Link, SyncRecord, SyncRun

from .conftest import invoice

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _run(connection, **fields):
    fields.setdefault("trigger", SyncRun.Trigger.SCHEDULE)
    return SyncRun.objects.create(connection=connection, kind=Kind.INVOICE, direction="export", **fields)


def test_a_rerun_that_fails_nothing_new_still_shows_what_is_failed_and_the_log_is_paged(workspace, login,
                                                                                         live_server):
    connection = workspace["connection"]
    for n in range(12):
        invoice(connection, f"INV-9{n:02d}", "Acme Concrete", "10.00", state=Link.State.FAILED, lines=0,
                last_error="Xero refused the bill.")
    run = _run(connection, status=SyncRun.Status.SUCCEEDED, finished_at=timezone.now(), updated=118, failed=0,
               skipped=2, total=120)
    SyncRecord.objects.bulk_create([SyncRecord(run=run, action="updated", label=f"INV-{n:04d} Acme Concrete")
                                    for n in range(118)] + [
        SyncRecord(run=run, action="skipped", label="INV-7777 Bolt Steel", message="Not approved in Procore.",
                   hint="Approve the invoice in Procore.") for _ in range(2)])
    page = login("acc")

    page.goto(f"{live_server.url}/admin/connector/syncrun/")
    row = page.inner_text("#result_list tbody tr")
    assert "Succeeded" in row and "12" in row  # the kind's 12 failed records show beside this run's 0
    page.click("#result_list tbody tr th a, #result_list tbody tr td a >> nth=0")
    assert "12 records of this kind still failed" in page.inner_text("#run-still-failed")
    log = page.inner_text("#run-log")
    assert "Updated: INV-0000 Acme Concrete" in log and "SyncRecord object" not in log
    assert "Page 1 of 3 (120 records)" in log and "Updated: INV-0050" not in log
    page.click("#log-pages >> text=Next")
    assert "Updated: INV-0050 Acme Concrete" in page.inner_text("#run-log")
    page.click("#log-filters >> text=Skipped (2)")
    log = page.inner_text("#run-log")
    assert "Skipped: INV-7777 Bolt Steel" in log and "Approve the invoice in Procore." in log
    assert "Updated:" not in log and "Page 1 of 1 (2 records)" in log
    page.click("#run-still-failed a")
    assert "12 records" in page.inner_text("#changelist-form")


def test_a_preview_is_marked_as_a_preview(workspace, login, live_server):
    run = _run(workspace["connection"], trigger=SyncRun.Trigger.MANUAL, dry_run=True,
               status=SyncRun.Status.PARTIAL, finished_at=timezone.now(), created=3, total=3)
    SyncRecord.objects.create(run=run, action="created", label="INV-0042 Acme Concrete")
    page = login("acc")
    page.goto(f"{live_server.url}/admin/connector/syncrun/")
    row = page.inner_text("#result_list tbody tr")
    assert "Preview (nothing written): would create 3" in row
    assert "Finished with failures" not in row
    page.goto(f"{live_server.url}/admin/connector/syncrun/{run.pk}/change/")
    assert "This is a preview: nothing was written" in page.inner_text("#preview-note")
    assert "Would create: INV-0042 Acme Concrete" in page.inner_text("#run-log")


def test_a_running_run_shows_its_progress_without_a_reload(workspace, login, live_server):
    run = _run(workspace["connection"], total=40, updated=5)
    page = login("acc")
    page.goto(f"{live_server.url}/admin/connector/syncrun/{run.pk}/change/")
    expect(page.locator("#run-done")).to_have_text("5 of 40 records done")
    page.evaluate("() => { window.notReloaded = true; }")
    SyncRun.objects.filter(pk=run.pk).update(updated=31)
    expect(page.locator("#run-done")).to_have_text("31 of 40 records done", timeout=15000)
    SyncRun.objects.filter(pk=run.pk).update(updated=40, status=SyncRun.Status.SUCCEEDED, finished_at=timezone.now())
    expect(page.locator("#run-status")).to_have_text("Succeeded", timeout=15000)
    assert page.evaluate("() => window.notReloaded") is True
