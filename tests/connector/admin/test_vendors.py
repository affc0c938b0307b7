"""The Company matching page: what each role sees and what each button does, checked on the sandboxes."""

import uuid

import pytest
import requests
from django.urls import reverse

from connector.models import ConnectionSettings, Kind, Link
from sync.services import sync_kind_run
from tests.factories import UserFactory

State = Link.State


@pytest.fixture(autouse=True)
def own_cache(settings):
    """Run locks live in the cache; the file cache is shared by every test process on the machine, so
    two suites syncing "connection 1" at once would skip each other's runs. Keep ours private."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                   "LOCATION": f"vendors-{uuid.uuid4()}"}}


@pytest.fixture
def page(connection):
    sync_kind_run(connection_id=connection.pk, kind=Kind.VENDOR)  # lists both sides, writes nothing
    return reverse("admin:connector_connection_companies", args=[connection.pk])


def as_user(client, role=None):
    client.force_login(UserFactory(role=role) if role else UserFactory())
    return client


def vendor_link(connection, name):
    return Link.objects.get(connection=connection, kind=Kind.VENDOR, label=name)


def contacts(xero_sandbox):
    return requests.get(f"{xero_sandbox.url}/_sandbox/data/Contacts", timeout=10).json()


@pytest.mark.django_db
def test_a_viewer_sees_suggestions_with_their_rule_but_no_buttons(client, page):
    response = as_user(client, "Viewer").get(page)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Suggested matches (10)" in html and "DELTA FRAMING LLC" in html
    assert "same name once punctuation" in html and "same name (ignoring case)" in html
    assert "Link all suggested" not in html and "Export to Xero" not in html
    assert "Valley Fuel #9" in html and "Metro Hardware #7" not in html  # archived in Xero: not offered
    assert as_user(client, "Viewer").post(page, {"action": "link_suggested"}).status_code == 403


@pytest.mark.django_db
def test_staff_without_a_role_cannot_open_the_page(client, page):
    assert as_user(client).get(page).status_code == 404  # not their connection: not found


@pytest.mark.django_db
def test_link_all_suggested_empties_the_suggestions(client, connection, page):
    response = as_user(client, "Accountant").post(page, {"action": "link_suggested"}, follow=True)
    html = response.content.decode()
    assert "Linked: 10." in html and "Suggested matches (0)" in html
    link = vendor_link(connection, "Acme Plumbing Inc.")
    assert link.state == State.SYNCED and link.xero_snapshot["name"] == "ACME PLUMBING INC."


@pytest.mark.django_db
def test_link_by_hand_and_a_second_link_of_the_same_company_is_refused(client, connection, page):
    apex, fuel = vendor_link(connection, "Apex Steel"), vendor_link(connection, "Valley Fuel #9")
    client = as_user(client, "Accountant")
    client.post(page, {"action": "link", "procore": apex.pk, "xero": fuel.pk})
    apex.refresh_from_db()
    assert apex.xero_id == fuel.xero_id and apex.state == State.SYNCED
    assert not Link.objects.filter(pk=fuel.pk).exists()  # one link per record on both sides

    other = vendor_link(connection, "Summit Insurance #10")
    response = client.post(page, {"action": "link", "procore": apex.pk, "xero": other.pk}, follow=True)
    assert "is already linked" in response.content.decode()
    assert Link.objects.get(pk=other.pk).procore_id == ""


@pytest.mark.django_db
def test_export_waits_for_approval_by_default(client, connection, page, xero_sandbox):
    apex = vendor_link(connection, "Apex Steel")
    response = as_user(client, "Accountant").post(page, {"action": "export", "procore_ids": [apex.pk]},
                                                  follow=True)
    assert "Waiting for approval in the queue: 1." in response.content.decode()
    assert Link.objects.get(pk=apex.pk).state == State.AWAITING_APPROVAL
    assert "Apex Steel" not in {c["Name"] for c in contacts(xero_sandbox)}


@pytest.mark.django_db
def test_export_without_approval_creates_the_contact(client, connection, page, xero_sandbox,
                                                     django_capture_on_commit_callbacks):
    ConnectionSettings.objects.filter(connection=connection).update(approve_companies=False)
    apex = vendor_link(connection, "Apex Steel")
    with django_capture_on_commit_callbacks(execute=True):  # the queued vendor sync (eager in tests)
        as_user(client, "Accountant").post(page, {"action": "export", "procore_ids": [apex.pk]})
    apex.refresh_from_db()
    assert apex.state == State.SYNCED
    made = [(c["ContactID"], c["ContactNumber"]) for c in contacts(xero_sandbox) if c["Name"] == "Apex Steel"]
    assert made == [(apex.xero_id, apex.procore_id)]


@pytest.mark.django_db
def test_import_and_archive_take_contacts_off_the_list(client, connection, page, procore_sandbox,
                                                       django_capture_on_commit_callbacks):
    fuel, junk = vendor_link(connection, "Valley Fuel #9"), vendor_link(connection, "Keystone Insurance #2")
    client = as_user(client, "Accountant")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(page, {"action": "import", "xero_ids": [fuel.pk]})
    client.post(page, {"action": "archive", "xero_ids": [junk.pk]})

    html = client.get(page).content.decode()
    unlinked = html.split('id="procore"')[1]  # the lists of records not linked (the imported one is linked now)
    assert "Valley Fuel #9" not in unlinked and "Keystone Insurance #2" not in html
    assert Link.objects.get(pk=junk.pk).state == State.ARCHIVED
    vendors = requests.get(f"{procore_sandbox.url}/_sandbox/data/vendors", timeout=10).json()
    assert [v["name"] for v in vendors if v["origin_id"] == fuel.xero_id] == ["Valley Fuel #9"]
