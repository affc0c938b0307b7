"""Company matching and older projects on the medium company: searched and paged, not one long page."""

import pytest

from bench.pages import MEDIUM, seed_matching
from connector.models import Kind, Link

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_admin_finds_one_company_among_the_medium_companys_and_links_it(workspace, login, live_server):
    connection = workspace["connection"]
    seed_matching(connection, procore=MEDIUM["procore_companies"], xero=MEDIUM["xero_contacts"],
                  suggested=MEDIUM["suggested"])
    page = login("ada")
    page.goto(f"{live_server.url}/admin/connector/connection/{connection.pk}/companies/")
    assert page.inner_text("#suggested") == "Suggested matches (478)"
    assert page.inner_text("#procore") == "Procore companies not linked (1412)"
    assert page.inner_text("#xero") == "Xero contacts not linked (971)"
    assert "Showing 1–50 of 1412 · page 1 of 29" in page.inner_text("#content")
    assert page.locator("#procore-companies tbody tr").count() == 50

    page.locator("#procore-companies + .paginator >> text=Next").click()
    assert "Showing 51–100 of 1412" in page.inner_text("#content")

    page.fill("#q", "pair 0042")
    page.click("#matching-search input[type=submit]")
    assert page.inner_text("#suggested") == "Suggested matches (1 of 478)"
    assert page.inner_text("#suggestions tbody") .count("Pair 0042 Builders Inc") == 2  # both sides
    assert page.inner_text("#procore") == "Procore companies not linked (1 of 1412)"
    page.click("#suggestions tbody input[type=submit]")
    assert "Linked “Pair 0042 Builders Inc” to the Xero contact" in page.inner_text("ul.messagelist")
    linked = Link.objects.get(connection=connection, kind=Kind.VENDOR, label="Pair 0042 Builders Inc")
    assert linked.procore_id and linked.xero_id
    assert page.inner_text("#suggested") == "Suggested matches (477)"
