"""Every action a person takes is in the audit log: who, when, what, on which records; the log is read-only,
filterable and (tests/connector/admin/test_scoping.py) exported as CSV per connection.

Connect and re-authorise go through the sandboxes' consent pages, as a person does them."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.utils import timezone

from connector.models import AuditEntry, ConnectionSettings, Kind, Link, Membership
from connector.services.connections import connection_mark_needs_reauthorisation
from tests.connector.views.test_oauth_flow import follow_consent
from tests.factories import LinkFactory, UserFactory

pytestmark = pytest.mark.django_db
Action = AuditEntry.Action
State = Link.State


@pytest.fixture
def people(connection):
    return {role: UserFactory(username=role, role=role, role__on=[connection]) for role in Membership.Role.values}


def entries(action):
    return list(AuditEntry.objects.filter(action=action))


def act_on_links(client, name, links, **extra):
    return client.post("/admin/connector/link/", {"action": name, ACTION_CHECKBOX_NAME: [l.pk for l in links],
                                                  "index": 0, **extra})


def test_every_action_of_the_list_leaves_an_entry_saying_who_what_and_which_records(
        client, connection, people, monkeypatch):
    from connector import settings_form

    accountant, admin = people["accountant"], people["company_admin"]
    client.force_login(accountant)
    base = f"/admin/connector/connection/{connection.pk}"
    client.post(f"{base}/sync/{Kind.COMMITMENT}/")
    client.post(f"{base}/preview/{Kind.VENDOR}/")

    waiting = [LinkFactory(connection=connection, state=State.AWAITING_APPROVAL, content_fingerprint="v1",
                           label=f"PO-{n}") for n in range(3)]
    act_on_links(client, "accept", waiting[:2])
    act_on_links(client, "reject", waiting[2:], confirm="yes", reason="Wrong vendor")
    act_on_links(client, "resend", waiting[2:])

    procore = LinkFactory(connection=connection, kind=Kind.VENDOR, state=State.READY, label="Delta Framing")
    xero = LinkFactory(connection=connection, kind=Kind.VENDOR, state=State.READY, procore_id="", xero_id="c-1",
                       label="DELTA FRAMING LLC")
    junk = LinkFactory(connection=connection, kind=Kind.VENDOR, state=State.READY, label="Test vendor")
    client.post(f"{base}/companies/", {"action": "link", "procore": [procore.pk], "xero": [xero.pk]})
    client.post(f"{base}/companies/", {"action": "archive", "procore_ids": [junk.pk]})

    monkeypatch.setattr(settings_form, "xero_reference_data", lambda connection: {
        "tracking_categories": [], "accounts": [], "tax_rates": [], "error": None})
    current = ConnectionSettings.objects.get(connection=connection)
    client.force_login(admin)
    response = client.post(f"{base}/change/", {
        "settings-TOTAL_FORMS": 1, "settings-INITIAL_FORMS": 1, "settings-MIN_NUM_FORMS": 0,
        "settings-MAX_NUM_FORMS": 1, "settings-0-id": current.pk, "settings-0-connection": connection.pk,
        **{f"settings-0-{f}": getattr(current, f) for f in ("tracking_category_id", "purchase_account_code",
                                                           "tax_type", "po_status", "bill_status", "vendor_owner",
                                                           "project_cadence", "payments_cadence")},
        **{f"settings-0-{f}": "on" for f in ("approve_commitments", "approve_change_orders", "approve_invoices",
                                             "approve_companies", "use_contract_number_as_po_number")
           if getattr(current, f)},
        "settings-0-company_cadence": "daily", "settings-0-bill_status": "SUBMITTED", "_save": "Save"})
    assert response.status_code == 302, response.content.decode()[:3000]
    client.post(f"{base}/disconnect/")

    said = {entry.action: entry for entry in AuditEntry.objects.all()}
    assert entries(Action.SYNC_NOW)[0].summary == f"Sync now: {Kind.COMMITMENT.label}."
    assert entries(Action.PREVIEW)[0].summary == f"Preview: {Kind.VENDOR.label}."
    accepted = said[Action.ACCEPT]
    assert (accepted.username, accepted.record_count, accepted.records) == ("accountant", 2, "PO-0, PO-1")
    assert said[Action.REJECT].summary == "Rejected 1 record: Wrong vendor." and said[Action.REJECT].records == "PO-2"
    assert said[Action.RESEND].records == "PO-2"
    assert said[Action.LINK].records == "Delta Framing" and said[Action.ARCHIVE].records == "Test vendor"
    assert said[Action.SETTINGS].username == "company_admin"
    assert "Bill status" in said[Action.SETTINGS].summary or "bill status" in said[Action.SETTINGS].summary.lower()
    assert said[Action.DISCONNECT].username == "company_admin"
    assert {e.connection_id for e in AuditEntry.objects.all()} == {connection.pk}
    assert all(e.at and e.user for e in AuditEntry.objects.all())


def test_connect_and_reauthorise_are_in_the_log(client, sandbox_settings, connection):
    ada = UserFactory(username="ada", is_superuser=True)
    client.force_login(ada)
    follow_consent(client, client.get("/admin/connector/connection/connect/procore/"))
    assert AuditEntry.objects.filter(action=Action.CONNECT, username="ada").exists()

    connection_mark_needs_reauthorisation(connection=connection, reason="Procore refused the refresh token.")
    follow_consent(client, client.get(f"/admin/connector/connection/{connection.pk}/reconnect/procore/"))
    entry = AuditEntry.objects.get(action=Action.REAUTHORISE)
    assert (entry.username, entry.connection) == ("ada", connection)


def test_the_log_is_never_editable_not_even_by_a_superuser(admin_client, connection):
    entry = AuditEntry.objects.create(connection=connection, action=Action.SYNC_NOW, summary="Sync now.")
    assert admin_client.get(f"/admin/connector/auditentry/{entry.pk}/change/").status_code == 200
    assert admin_client.post(f"/admin/connector/auditentry/{entry.pk}/change/",
                             {"summary": "nothing"}).status_code == 403
    assert admin_client.post(f"/admin/connector/auditentry/{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    assert admin_client.get("/admin/connector/auditentry/add/").status_code == 403
    entry.refresh_from_db()
    assert entry.summary == "Sync now."


def test_the_log_filters_by_connection_person_action_and_date(client, connection, people):
    client.force_login(people["viewer"])
    AuditEntry.objects.create(connection=connection, user=people["accountant"], username="accountant",
                              action=Action.ACCEPT, summary="Accepted 1 record.")
    AuditEntry.objects.create(connection=connection, user=people["company_admin"], username="company_admin",
                              action=Action.SETTINGS, summary="Changed the settings.")
    page = client.get("/admin/connector/auditentry/", {"username": "accountant", "action__exact": "accept",
                                                       "connection__id__exact": connection.pk,
                                                       "at__year": timezone.now().year})
    assert page.status_code == 200
    assert [e.summary for e in page.context["cl"].result_list] == ["Accepted 1 record."]
    assert [e.summary for e in client.get("/admin/connector/auditentry/", {"username": "company_admin"})
            .context["cl"].result_list] == ["Changed the settings."]


def test_job_cost_choices_and_archiving_an_option_are_in_the_log(client, connection, people):
    project = LinkFactory(connection=connection, kind=Kind.PROJECT, state=State.SYNCED, xero_id="opt-1",
                          label="26-201 Tulsa Library")
    option = LinkFactory(connection=connection, kind=Kind.PROJECT, state=State.READY, procore_id="", xero_id="opt-2",
                         label="Old job")
    client.force_login(people["accountant"])
    act_on_links(client, "job_costs_on", [project])
    act_on_links(client, "archive_options", [option])
    assert AuditEntry.objects.get(action=Action.JOB_COSTS).summary == (
        "Job cost import switched on for 1 record.")
    assert AuditEntry.objects.get(action=Action.ARCHIVE).records == "Old job"
