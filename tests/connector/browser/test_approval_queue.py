"""An accountant works the approval queue in a real browser; a real worker exports what was accepted."""

import pytest
import requests

from connector.clients import procore_client_for
from connector.models import Kind, Link
from sync.services import sync_kind_run
from tests.conftest import admin_login
from tests.factories import UserFactory
from tests.workers import wait_for

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.django_db(transaction=True)]



def test_accountant_rejects_one_project_accepts_another_and_sees_it_synced(
        sandbox_settings, connection, celery_worker_process, live_server, browser_page, xero_sandbox):
    procore = procore_client_for(connection)
    keep = procore.create_project({"name": "Tulsa Library", "project_number": "26-201"})
    drop = procore.create_project({"name": "Test project, do not use", "project_number": "26-202"})
    sync_kind_run(connection_id=connection.pk, kind=Kind.PROJECT)
    UserFactory(username="acc", role="Accountant")

    page = browser_page
    admin_login(page, live_server.url, "acc")
    queue = f"{live_server.url}/admin/connector/link/?kind__exact=project&state__exact=awaiting_approval"
    page.goto(queue)
    assert "26-201 Tulsa Library" in page.inner_text("#result_list")

    page.check(f"input[name=_selected_action][value='{Link.objects.get(procore_id=str(drop['id'])).pk}']")
    page.select_option("select[name=action]", "reject")
    page.click("button[name=index]")
    page.fill("#reason", "Internal test project")
    page.click("#confirm-reject")
    assert "Rejected 1" in page.inner_text("ul.messagelist")

    page.goto(queue)
    page.check(f"input[name=_selected_action][value='{Link.objects.get(procore_id=str(keep['id'])).pk}']")
    page.select_option("select[name=action]", "accept")
    page.click("button[name=index]")
    assert "Accepted 1" in page.inner_text("ul.messagelist")

    accepted = Link.objects.get(procore_id=str(keep["id"]), kind=Kind.PROJECT)
    assert wait_for(lambda: Link.objects.get(pk=accepted.pk).state == Link.State.SYNCED), "the worker did not export"
    accepted.refresh_from_db()

    page.goto(f"{live_server.url}/admin/connector/link/?kind__exact=project&state__exact=synced")
    assert "26-201 Tulsa Library" in page.inner_text("#result_list")
    page.goto(f"{live_server.url}/admin/connector/link/?kind__exact=project&state__exact=rejected")
    assert "Internal test project" in page.inner_text("#result_list")
    page.screenshot(path="var/screenshot-queue.png", full_page=True)

    categories = requests.get(f"{xero_sandbox.url}/_sandbox/data/TrackingCategories", timeout=10).json()
    options = [o for c in categories if c["Name"] == "Job" for o in c["Options"]]
    assert [o["TrackingOptionID"] for o in options if o["Name"] == "26-201 Tulsa Library"] == [accepted.xero_id]
    assert not [o for o in options if o["Name"].startswith("26-202")]
