"""Every "Sync now" on the connection's page does what it says, the first row (Cost code → Item) too."""

import pytest

from connector.models import Kind, SyncRun

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("kind", [Kind.COST_CODE, Kind.PAYMENT])
def test_sync_now_on_a_row_queues_that_kind(workspace, login, live_server, monkeypatch, kind):
    asked = []
    monkeypatch.setattr("connector.views.sync.run_request", lambda **kw: asked.append(kw))
    page = login("acc")
    page.goto(f"{live_server.url}/admin/connector/connection/{workspace['connection'].pk}/change/")
    page.locator("tr", has_text=Kind(kind).label).locator("button", has_text="Sync now").click()
    assert f"{Kind(kind).label}: sync queued." in page.inner_text("ul.messagelist")
    assert [{k: v for k, v in a.items() if k != "user"} for a in asked] == [
        {"connection_id": workspace["connection"].pk, "kind": kind, "trigger": SyncRun.Trigger.MANUAL}]
    assert asked[0]["user"].username == "acc"  # the audit log says who
