"""The accountant works the approval queue: sees the money, opens a record, accepts one and rejects another."""

import pytest

from connector.models import Decision, Kind, Link

from .conftest import invoice

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_queue_shows_the_money_and_the_record_page_decides(workspace, login, live_server):
    connection = workspace["connection"]
    concrete = invoice(connection, "INV-0042", "Acme Concrete", "12500.00", retention="1250.00")
    steel = invoice(connection, "INV-0043", "Bolt Steel", "8300.50")
    page = login("acc")

    page.goto(f"{live_server.url}/admin/connector/link/?kind__exact={Kind.INVOICE}&state__exact=awaiting_approval")
    queue = page.inner_text("#result_list")
    for words in ("INV-0042", "Acme Concrete", "26-201 Tulsa Library", "USD 12,500.00", "USD 1,250.00 (10 %)",
                  "USD 8,300.50", "Awaiting approval", "Procore"):
        assert words in queue, words
    assert "Xero" not in queue  # not in Xero yet: no link there

    page.click("text=INV-0042")
    summary = page.inner_text("#record-summary")
    assert "Amount: USD 12,500.00" in summary and "Retention held: USD 1,250.00" in summary
    lines = page.inner_text("#record-lines")
    assert "03-300.M0\tUSD 6,250.00" in lines and "03-300.M1\tUSD 6,250.00" in lines
    assert "No decision yet." in summary
    page.click("#accept")
    assert "INV-0042 Acme Concrete: Accepted; its export to Xero is queued." in page.inner_text("ul.messagelist")
    assert page.inner_text("#record-state") == "Ready to export"
    assert "Accepted by acc on" in page.inner_text("#record-decisions")
    assert "INV-0042 · Acme Concrete · 26-201 Tulsa Library · 12,500.00" in page.inner_text("#record-decisions")

    page.goto(f"{live_server.url}/admin/connector/link/{steel.pk}/change/")
    page.click("#reject")  # no reason: refused in words
    assert "Say why the record is rejected" in page.inner_text("ul.messagelist")
    page.fill("#reason", "Billed twice: see INV-0039")
    page.click("#reject")
    assert "Rejected." in page.inner_text("ul.messagelist")
    assert "Rejected — reason: Billed twice: see INV-0039" in page.inner_text("#record-summary").replace("\n", " ")
    assert "Reason: Billed twice: see INV-0039" in page.inner_text("#record-decisions")
    page.click("#resend")
    assert page.inner_text("#record-state") == "Awaiting approval"

    concrete.refresh_from_db(), steel.refresh_from_db()
    assert (concrete.state, steel.state) == (Link.State.READY, Link.State.AWAITING_APPROVAL)
    assert list(Decision.objects.filter(link=steel).values_list("verdict", flat=True).order_by("id")) == [
        "rejected", "resent"]


def test_accept_all_across_pages(workspace, login, live_server):
    connection = workspace["connection"]
    for n in range(105):  # more than one page of 100
        invoice(connection, f"INV-{n:04d}", "Acme Concrete", "100.00", lines=0)
    page = login("acc")
    page.goto(f"{live_server.url}/admin/connector/link/?kind__exact={Kind.INVOICE}&state__exact=awaiting_approval")
    assert "105 records" in page.inner_text("#changelist-form")
    page.check("#action-toggle")
    page.click("text=Select all 105 records")
    page.select_option("select[name=action]", "accept")
    page.click("button[name=index]")
    assert "Accepted 105; their export is queued." in page.inner_text("ul.messagelist")
    assert not Link.objects.filter(state=Link.State.AWAITING_APPROVAL).exists()


def test_someone_without_a_role_on_the_connection_cannot_decide(workspace, login, live_server):
    from connector.models import Membership

    link = invoice(workspace["connection"], "INV-0042", "Acme Concrete", "12500.00")
    Membership.objects.filter(user=workspace["acc"]).update(role=Membership.Role.VIEWER)
    page = login("acc")
    page.goto(f"{live_server.url}/admin/connector/link/{link.pk}/change/")
    assert "Amount: USD 12,500.00" in page.inner_text("#record-summary")
    assert page.locator("#accept").count() == 0 and page.locator("#reject").count() == 0
