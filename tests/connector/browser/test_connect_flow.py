"""The company admin's first ten minutes, in a real browser against the sandboxes' consent pages."""

import pytest

from connector.models import AuditEntry, Connection, ConnectionSettings
from sandbox.datasets import PROCORE_COMPANIES, XERO_ORGANISATIONS
from tests.conftest import admin_login
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_admin_connects_procore_and_xero_and_changes_a_setting(browser_page, live_server, sandbox_settings):
    sandbox_settings.SITE_URL = live_server.url  # redirect URIs come from SITE_URL, not the browser's Host
    page = browser_page
    UserFactory(username="ada", is_superuser=True)  # who installed it; they become the connection's admin
    admin_login(page, live_server.url, "ada")

    page.goto(f"{live_server.url}/admin/connector/connection/")
    page.click("#connect-procore")
    assert page.url.startswith(sandbox_settings.PROCORE_LOGIN_URL)  # Procore's consent page
    page.click("button[value=allow]")

    page.check(f"input[value='{PROCORE_COMPANIES[0]['id']}']")
    page.click("#pick-continue")
    page.click("#connect-xero")
    assert page.url.startswith(sandbox_settings.XERO_LOGIN_URL)  # Xero's consent page with the picker
    page.select_option("select[name=tenant_id]", XERO_ORGANISATIONS[0]["tenantId"])
    page.click("button[value=allow]")

    assert "Connected: Summit Ridge Builders ⇄ Summit Ridge Builders LLC" in page.inner_text("ul.messagelist")
    body = page.inner_text("#content")
    assert "Active" in body and "US" in body and "Growing" in body
    page.screenshot(path="var/screenshot-connected.png", full_page=True)

    page.select_option("#id_settings-0-purchase_account_code", index=1)  # approved bills need an account
    page.select_option("#id_settings-0-bill_status", "AUTHORISED")
    page.click("input[name=_continue]")
    assert "was changed successfully" in page.inner_text("ul.messagelist")
    connection = Connection.objects.get()
    assert connection.status == Connection.Status.ACTIVE and connection.connected_at is not None
    assert ConnectionSettings.objects.get(connection=connection).bill_status == "AUTHORISED"
    assert connection.memberships.get().user.username == "ada"
    assert list(AuditEntry.objects.filter(connection=connection).values_list("action", flat=True)) == [
        "settings", "connect", "connect"]


def test_a_starter_plan_organisation_is_refused_with_a_reason(browser_page, live_server, sandbox_settings):
    sandbox_settings.SITE_URL = live_server.url
    page = browser_page
    UserFactory(username="ada", is_superuser=True)
    admin_login(page, live_server.url, "ada")
    page.goto(f"{live_server.url}/admin/connector/connection/")
    page.click("#connect-procore")
    page.click("button[value=allow]")
    page.click("#pick-continue")
    page.click("#connect-xero")
    page.select_option("select[name=tenant_id]", XERO_ORGANISATIONS[2]["tenantId"])  # US, STARTER
    page.click("button[value=allow]")
    assert "Early plan" in page.inner_text("ul.messagelist")
    assert Connection.objects.get().status == Connection.Status.PENDING


def test_a_viewer_sees_the_connection_but_cannot_change_it(browser_page, live_server, connection):
    page = browser_page
    UserFactory(username="vic", role="Viewer")
    admin_login(page, live_server.url, "vic")
    page.goto(f"{live_server.url}/admin/connector/connection/{connection.pk}/change/")
    assert "Summit Ridge Builders" in page.inner_text("#content")
    assert page.locator("#id_settings-0-bill_status").count() == 0  # read-only for viewers
    assert page.locator("input[name=_save]").count() == 0
    assert page.locator("#connect-procore").count() == 0
    assert page.locator(".object-tools a", has_text="Disconnect").count() == 0

    page.goto(f"{live_server.url}/admin/connector/connection/{connection.pk}/disconnect/")
    assert "403" in page.inner_text("h1")
    connection.refresh_from_db()
    assert connection.status == Connection.Status.ACTIVE
