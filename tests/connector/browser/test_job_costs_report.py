"""The project team's job cost report: figures per project and cost code, a chart, a CSV, and what differs."""

import csv
import io
from decimal import Decimal

import pytest

from connector.models import Kind, Link, LinkLine
from tests.factories import LinkFactory

from .conftest import invoice

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
State = Link.State


def seed(connection):
    LinkFactory(connection=connection, kind=Kind.PROJECT, procore_id="2800000", label="26-201 Tulsa Library",
                state=State.SYNCED, xero_id="opt-1")
    po = LinkFactory(connection=connection, kind=Kind.COMMITMENT, project_id="2800000", label="SC-001 Acme Concrete",
                     amount=Decimal("50000.00"), state=State.SYNCED, xero_id="po-1")
    LinkLine.objects.create(link=po, procore_line_id="l1", item_code="03-300.M", amount=Decimal("30000.00"))
    LinkLine.objects.create(link=po, procore_line_id="l2", item_code="03-300.L", amount=Decimal("20000.00"))
    co = LinkFactory(connection=connection, kind=Kind.CHANGE_ORDER, project_id="2800000", label="CO-1",
                     amount=Decimal("5000.00"), state=State.SYNCED, xero_id="co-1")
    LinkLine.objects.create(link=co, procore_line_id="appended-0", item_code="03-300.M", amount=Decimal("5000.00"))
    bill = invoice(connection, "INV-0042", "Acme Concrete", "12500.00", state=State.SYNCED, xero_id="bill-1",
                   remote_total=Decimal("12500.00"), remote_status="AUTHORISED", lines=0)
    LinkLine.objects.create(link=bill, procore_line_id="item:03-300.M", item_code="03-300.M",
                            amount=Decimal("12500.00"))
    invoice(connection, "INV-0043", "Acme Concrete", "8000.00", state=State.SYNCED, xero_id="bill-2",
            remote_total=Decimal("7500.00"), remote_status="AUTHORISED", lines=0)
    invoice(connection, "INV-0044", "Acme Concrete", "990.00", state=State.FAILED, lines=0,
            hint="Pick another purchase account, then re-send.")
    LinkFactory(connection=connection, kind=Kind.PAYMENT, project_id="2800000", label="Payment 1",
                amount=Decimal("12500.00"), state=State.SYNCED, xero_id="pay-1")
    LinkFactory(connection=connection, kind=Kind.JOB_COST, project_id="2800000", label="Spend: crane hire",
                amount=Decimal("1200.00"), state=State.SYNCED, xero_id="spend-1")


def test_report_chart_and_csv(workspace, login, live_server):
    connection = workspace["connection"]
    seed(connection)
    page = login("acc")
    page.click("#job-costs-link")
    section = page.locator("section", has_text="26-201 Tulsa Library")
    figures = section.locator(".jc-figures").inner_text()
    assert "committed (procore)" in figures.lower() and "invoiced not billed" in figures.lower()
    for words in ("USD 55,000.00", "USD 21,490.00", "USD 12,500.00", "USD 20,000.00",
                  "USD 1,200.00", "USD 1,490.00", "USD 33,510.00"):
        assert words in figures, words
    section.locator("summary").click()
    codes = section.locator(".jc-codes").inner_text()
    assert "03-300.M\tUSD 35,000.00\tUSD 12,500.00\tUSD 22,500.00" in codes
    assert "03-300.L\tUSD 20,000.00\tUSD 0.00\tUSD 20,000.00" in codes
    assert page.evaluate("() => Chart.getChart(document.querySelector('canvas[data-figures]')).data.datasets[0]"
                         ".data") == [55000.0, 21490.0, 12500.0, 20000.0, 12500.0, 1200.0]

    differences = page.inner_text("#differences")
    assert "Amounts differ: 8,000.00 in Procore, 7,500.00 in Xero." in differences
    assert "In Procore, not in Xero: its export failed." in differences

    with page.expect_download() as download:
        page.click("#jc-csv")
    rows = list(csv.DictReader(io.StringIO(open(download.value.path()).read())))
    total = next(r for r in rows if r["Cost code and type"] == "All")
    assert (total["Project"], total["Committed (Procore)"], total["Billed (Xero)"], total["Currency"]) == (
        "26-201 Tulsa Library", "55000.00", "20000.00", "USD")
    assert {r["Cost code and type"]: (r["Committed (Procore)"], r["Billed (Xero)"]) for r in rows} == {
        "All": ("55000.00", "20000.00"), "03-300.L": ("20000.00", "0.00"), "03-300.M": ("35000.00", "12500.00")}

    page.locator("#differences tr", has_text="INV-0044").locator("button").click()
    assert "INV-0044 Acme Concrete: Re-sent." in page.inner_text("ul.messagelist")
    page.goto(f"{live_server.url}/job-costs/")
    page.locator("#differences tr", has_text="INV-0043").locator("button").click()
    assert "Subcontractor invoice → Bill: sync queued." in page.inner_text("ul.messagelist")
    page.goto(f"{live_server.url}/job-costs/")
    waiting = page.locator("#differences tr", has_text="INV-0044").inner_text()
    assert "waiting for an accountant's approval" in waiting and "Review and accept" in waiting
