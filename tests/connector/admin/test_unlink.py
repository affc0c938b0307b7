"""Unlink on the Company matching page, checked end to end on the sandboxes: a wrong match is split, the next
vendor run neither exports the company nor binds it again, and the company can then be linked to the right
contact."""

import uuid

import pytest
import requests
from django.urls import reverse

from connector.models import AuditEntry, ConnectionSettings, Decision, Kind, Link
from sync.services import sync_kind_run
from tests.factories import ConnectionFactory, LinkFactory, UserFactory

State = Link.State


@pytest.fixture(autouse=True)
def own_cache(settings):
    """Run locks live in the cache; keep ours private (the file cache is shared by every test process)."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                   "LOCATION": f"unlink-{uuid.uuid4()}"}}


def vendor_run(connection):
    sync_kind_run(connection_id=connection.pk, kind=Kind.VENDOR)


@pytest.fixture
def wrong_match(connection):
    """Apex Steel linked by mistake to the contact Valley Fuel #9, and a vendor run that stamped the Procore
    company with the contact's id; the export of new companies needs no approval (the riskiest setting)."""
    ConnectionSettings.objects.filter(connection=connection).update(approve_companies=False)
    vendor_run(connection)
    apex = Link.objects.get(connection=connection, kind=Kind.VENDOR, label="Apex Steel")
    fuel = Link.objects.get(connection=connection, kind=Kind.VENDOR, label="Valley Fuel #9")
    accountant = UserFactory(username="ann", role="Accountant", role__on=[connection])
    from connector.services.vendors import link_by_hand

    link_by_hand(connection, apex, fuel, accountant)
    vendor_run(connection)
    apex.refresh_from_db()
    assert apex.state == State.SYNCED and apex.procore_snapshot["origin_id"] == fuel.xero_id
    return apex, fuel.xero_id, accountant


def page_of(connection):
    return reverse("admin:connector_connection_companies", args=[connection.pk])


def procore_vendor(procore_sandbox, vendor_id):
    rows = requests.get(f"{procore_sandbox.url}/_sandbox/data/vendors", timeout=10).json()
    return next(v for v in rows if str(v["id"]) == str(vendor_id))


def contact_names(xero_sandbox):
    return [c["Name"] for c in requests.get(f"{xero_sandbox.url}/_sandbox/data/Contacts", timeout=10).json()]


@pytest.mark.django_db
def test_unlink_frees_both_records_and_the_next_run_neither_exports_nor_binds_again(
        client, connection, wrong_match, procore_sandbox, xero_sandbox):
    apex, contact_id, accountant = wrong_match
    client.force_login(accountant)
    response = client.post(page_of(connection), {"action": "unlink", "linked": apex.pk}, follow=True)
    html = response.content.decode()
    assert "Unlinked “Apex Steel” from the Xero contact “Valley Fuel #9”" in html
    assert not procore_vendor(procore_sandbox, apex.procore_id)["origin_id"]  # Procore forgot the contact

    vendor_run(connection)
    apex.refresh_from_db()
    contact = Link.objects.get(connection=connection, kind=Kind.VENDOR, xero_id=contact_id)
    assert (apex.xero_id, apex.state, apex.requested) == ("", State.READY, "")
    assert contact.procore_id == "" and contact.state == State.READY
    assert contact_names(xero_sandbox).count("Apex Steel") == 0  # not exported as a new contact
    html = client.get(page_of(connection)).content.decode()
    procore_list, xero_list = html.split('id="procore-companies"')[1], html.split('id="xero-contacts"')[1]
    assert "Apex Steel" in procore_list.split("</table>")[0]
    assert "Valley Fuel #9" in xero_list.split("</table>")[0]

    # …and the person links it to the right contact.
    summit = Link.objects.get(connection=connection, kind=Kind.VENDOR, label="Summit Insurance #10")
    client.post(page_of(connection), {"action": "link", "procore": apex.pk, "xero": summit.pk})
    vendor_run(connection)
    apex.refresh_from_db()
    assert apex.state == State.SYNCED and apex.xero_id == summit.xero_id
    assert procore_vendor(procore_sandbox, apex.procore_id)["origin_id"] == summit.xero_id


@pytest.mark.django_db
def test_the_unlink_is_audited_and_in_the_records_history(client, connection, wrong_match):
    apex, contact_id, accountant = wrong_match
    client.force_login(accountant)
    client.post(page_of(connection), {"action": "unlink", "linked": apex.pk})
    entry = AuditEntry.objects.get(action=AuditEntry.Action.UNLINK)
    assert entry.username == "ann" and entry.connection == connection
    assert "Unlinked the Procore company “Apex Steel”" in entry.summary and "Valley Fuel #9" in entry.summary
    words = [d.in_words for d in Decision.objects.filter(link=apex, verdict=Decision.Verdict.UNLINKED)]
    assert len(words) == 1 and words[0].startswith("Unlinked by ann")
    assert "Was linked to the Xero contact “Valley Fuel #9”." in words[0]
    contact = Link.objects.get(connection=connection, kind=Kind.VENDOR, xero_id=contact_id)
    assert contact.decisions.get().verdict == Decision.Verdict.UNLINKED
    record_page = client.get(f"/admin/connector/link/{apex.pk}/change/").content.decode()
    assert "Unlinked by ann" in record_page and "Was linked to the Xero contact “Valley Fuel #9”." in record_page


@pytest.mark.django_db
def test_a_purchase_order_in_xero_under_the_contact_stays_and_the_person_is_told(client, connection, wrong_match):
    apex, contact_id, accountant = wrong_match
    LinkFactory(connection=connection, kind=Kind.COMMITMENT, label="PO-7 Steel", document_number="PO-7",
                xero_id=str(uuid.uuid4()), state=State.SYNCED, engine_data={"contact_id": contact_id})
    client.force_login(accountant)
    html = client.post(page_of(connection), {"action": "unlink", "linked": apex.pk}, follow=True).content.decode()
    assert "The purchase order “PO-7” is already in Xero under “Valley Fuel #9” and stays there as it is." in html
    assert Link.objects.get(pk=apex.pk).xero_id == ""


@pytest.mark.django_db
def test_a_bill_being_written_under_the_contact_refuses_the_unlink(client, connection, wrong_match):
    apex, contact_id, accountant = wrong_match
    LinkFactory(connection=connection, kind=Kind.INVOICE, label="INV-3 Apex", document_number="INV-3",
                state=State.EXPORTING, engine_data={"sent": {"contact": contact_id}})
    client.force_login(accountant)
    html = client.post(page_of(connection), {"action": "unlink", "linked": apex.pk}, follow=True).content.decode()
    assert "The bill “INV-3” is being written to Xero under this contact right now" in html
    apex.refresh_from_db()
    assert apex.xero_id == contact_id and apex.state == State.SYNCED
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.UNLINK).exists()


@pytest.mark.django_db
def test_a_viewer_is_refused_and_another_companys_link_is_not_found(client, connection, wrong_match):
    apex, contact_id, _ = wrong_match
    viewer = UserFactory(username="vic", role="Viewer", role__on=[connection])
    client.force_login(viewer)
    assert "Unlink a wrong match" not in client.get(page_of(connection)).content.decode()
    assert client.post(page_of(connection), {"action": "unlink", "linked": apex.pk}).status_code == 403

    other = ConnectionFactory()
    theirs = LinkFactory(connection=other, kind=Kind.VENDOR, procore_id="77", xero_id="x-77", state=State.SYNCED)
    client.force_login(UserFactory(username="own", role="Accountant", role__on=[connection]))
    assert client.post(page_of(other), {"action": "unlink", "linked": theirs.pk}).status_code == 404
    response = client.post(page_of(connection), {"action": "unlink", "linked": theirs.pk}, follow=True)
    assert "Pick one linked company to unlink." in response.content.decode()
    assert Link.objects.get(pk=theirs.pk).xero_id == "x-77" and Link.objects.get(pk=apex.pk).xero_id == contact_id


@pytest.mark.django_db
def test_the_freed_contact_imported_on_purpose_makes_a_new_company_and_leaves_the_old_one(
        client, connection, wrong_match, procore_sandbox, django_capture_on_commit_callbacks):
    apex, contact_id, accountant = wrong_match
    client.force_login(accountant)
    client.post(page_of(connection), {"action": "unlink", "linked": apex.pk})
    contact = Link.objects.get(connection=connection, kind=Kind.VENDOR, xero_id=contact_id)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(page_of(connection), {"action": "import", "xero_ids": [contact.pk]})
    contact.refresh_from_db()
    assert contact.state == State.SYNCED and contact.procore_id not in ("", apex.procore_id)
    assert procore_vendor(procore_sandbox, apex.procore_id)["name"] == "Apex Steel"  # not taken over
    assert procore_vendor(procore_sandbox, contact.procore_id)["origin_id"] == contact_id


@pytest.mark.django_db
def test_unlink_is_also_an_action_on_the_records_list(client, connection, wrong_match, procore_sandbox):
    apex, contact_id, accountant = wrong_match
    post = {"action": "unlink_companies", "_selected_action": [apex.pk]}
    client.force_login(UserFactory(username="vic", role="Viewer", role__on=[connection]))
    client.post("/admin/connector/link/", post)
    assert Link.objects.get(pk=apex.pk).xero_id == contact_id  # a viewer has no such action

    client.force_login(accountant)
    html = client.post("/admin/connector/link/", post, follow=True).content.decode()
    assert "Unlinked 1: each company and contact is listed on Company matching as not linked" in html
    assert Link.objects.get(pk=apex.pk).xero_id == ""
    assert not procore_vendor(procore_sandbox, apex.procore_id)["origin_id"]
