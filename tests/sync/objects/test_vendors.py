"""Procore companies ⇄ Xero contacts: nothing is created unasked, exports and imports happen once,
linked pairs follow their owner, a name clash is explained, and faults never make a duplicate."""

import uuid
from collections import Counter

import pytest
import requests

from connector.clients import procore_client_for, xero_client_for
from connector.models import ConnectionSettings, Kind, Link, SyncRecord
from connector.services.approvals import approval_accept
from connector.services.vendors import export_vendor, import_contact, link_suggested_all
from sync.cursors import cursor_get
from sync.objects import vendors
from sync.objects.vendors import contact_clash, contact_payload, vendor_attrs, vendor_snapshot
from sync.services import sync_kind_run
from tests.committed import committed

State = Link.State


@pytest.fixture(autouse=True)
def own_cache(settings):
    """Run locks live in the cache; the file cache is shared by every test process on the machine, so
    two suites syncing "connection 1" at once would skip each other's runs. Keep ours private."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                   "LOCATION": f"vendors-{uuid.uuid4()}"}}


# -- mapper ----------------------------------------------------------------------------------------
def test_a_company_becomes_a_contact_numbered_with_its_procore_id():
    snap = vendor_snapshot({"id": 3100007, "name": " Apex Steel ", "email_address": "ap@apex.example",
                            "business_register": {"type": "EIN", "identifier": "12-3456789"},
                            "address": "1 Main St", "city": "Boise", "state_code": "ID", "zip": "83702",
                            "country_code": "US", "is_active": True})
    payload = contact_payload(snap, 3100007)
    assert payload["Name"] == "Apex Steel" and payload["ContactNumber"] == "3100007"
    assert payload["EmailAddress"] == "ap@apex.example" and payload["TaxNumber"] == "12-3456789"
    assert payload["Addresses"][0]["City"] == "Boise"


def test_a_contact_becomes_a_company_whose_origin_id_is_the_contact_id():
    attrs = vendor_attrs({"name": "Valley Fuel #9", "email": ""}, "c-1")
    assert attrs == {"name": "Valley Fuel #9", "origin_id": "c-1"}


def test_a_name_taken_by_another_contact_is_a_clash_but_its_own_name_is_not():
    names = {"westside roofing": "c-1"}
    message, hint = contact_clash({"Name": "WESTSIDE Roofing"}, names)
    assert "already exists" in message and "unique" in message and "matching page" in hint
    assert contact_clash({"Name": "Westside Roofing"}, names, own_id="c-1") is None


# -- helpers ---------------------------------------------------------------------------------------
def contacts(xero_sandbox, connection):
    rows = requests.get(f"{xero_sandbox.url}/_sandbox/data/Contacts", timeout=10).json()
    return [c for c in rows if c.get("_tenant", connection.xero_tenant_id) == connection.xero_tenant_id]


def procore_vendors(procore_sandbox):
    return requests.get(f"{procore_sandbox.url}/_sandbox/data/vendors", timeout=10).json()


def sync(connection):
    return sync_kind_run(connection_id=connection.pk, kind=Kind.VENDOR)


def links(connection, **filters):
    return Link.objects.filter(connection=connection, kind=Kind.VENDOR, **filters)


def procore_link(connection, name):
    return links(connection).get(label=name, xero_id="")


def xero_link(connection, name):
    return links(connection).get(label=name, procore_id="")


def set_settings(connection, **values):
    ConnectionSettings.objects.update_or_create(connection=connection, defaults=values)


# -- behaviour -------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_a_first_sync_writes_nothing_and_lists_every_record_once(connection, procore_sandbox, xero_sandbox):
    contacts_before, vendors_before = contacts(xero_sandbox, connection), procore_vendors(procore_sandbox)
    run = sync(connection)
    assert (run.created, run.updated, run.failed) == (0, 0, 0)
    assert contacts(xero_sandbox, connection) == contacts_before
    assert procore_vendors(procore_sandbox) == vendors_before
    assert links(connection).exclude(procore_id="").count() == len(vendors_before)
    assert links(connection).exclude(xero_id="").count() == len(contacts_before)
    assert not links(connection).exclude(procore_id="").exclude(xero_id="").exists()  # nothing linked unasked

    quiet = sync(connection)  # incremental: only what changed since the cursors (plus a few seconds' overlap)
    assert quiet.total < 5 and (quiet.created, quiet.updated) == (0, 0)


@pytest.mark.django_db
def test_a_preview_says_what_would_be_exported_and_writes_nothing(connection, xero_sandbox):
    set_settings(connection, approve_companies=False)
    sync(connection)
    link = procore_link(connection, "Apex Steel")
    export_vendor([link])
    before = contacts(xero_sandbox, connection)
    preview = sync_kind_run(connection_id=connection.pk, kind=Kind.VENDOR, dry_run=True)
    assert preview.records.get(link=link).message == "Would be created in Xero (preview)."
    assert contacts(xero_sandbox, connection) == before and Link.objects.get(pk=link.pk).state == State.READY


@pytest.mark.django_db
def test_link_all_suggested_links_the_seeded_pairs_and_records_the_contact_id_in_procore(
        connection, procore_sandbox, xero_sandbox):
    sync(connection)
    contacts_before = contacts(xero_sandbox, connection)
    with committed():
        outcome = link_suggested_all(connection)

    linked = links(connection, state=State.SYNCED).exclude(procore_id="").exclude(xero_id="")
    assert len(outcome.done) == linked.count() == 10 and not outcome.refused
    delta = linked.get(label="Delta Steel Inc.")
    assert delta.decisions.get(verdict="linked").reason.startswith("same name once punctuation")
    by_id = {v["id"]: v for v in procore_vendors(procore_sandbox)}
    assert all(by_id[int(l.procore_id)]["origin_id"] == l.xero_id for l in linked)
    assert contacts(xero_sandbox, connection) == contacts_before  # linking renames nothing in Xero

    again = sync(connection)
    assert (again.created, again.updated, again.failed) == (0, 0, 0)


@pytest.mark.django_db
def test_exports_create_exactly_the_asked_contacts_and_a_second_run_writes_nothing(
        connection, procore_sandbox, xero_sandbox):
    set_settings(connection, approve_companies=False)
    sync(connection)
    with committed():
        link_suggested_all(connection)
    asked = list(links(connection, xero_id="", state=State.READY).exclude(procore_id="")
                 .filter(label__in=["Apex Steel", "Summit Glazing Ltd", "Westside Paving Corp."]))
    before = contacts(xero_sandbox, connection)
    with committed():
        export_vendor(asked)

    known = {b["ContactID"] for b in before}
    created = [c for c in contacts(xero_sandbox, connection) if c["ContactID"] not in known]
    assert sorted((c["Name"], c["ContactNumber"]) for c in created) == sorted((l.label, l.procore_id)
                                                                             for l in asked)
    for link in asked:
        link.refresh_from_db()
        assert link.state == State.SYNCED and link.xero_id in {c["ContactID"] for c in created}
    by_id = {v["id"]: v for v in procore_vendors(procore_sandbox)}
    assert {by_id[int(l.procore_id)]["origin_id"] for l in asked} == {c["ContactID"] for c in created}

    snapshot = (contacts(xero_sandbox, connection), procore_vendors(procore_sandbox))
    again = sync(connection)
    assert (again.created, again.updated, again.linked, again.failed) == (0, 0, 0, 0)
    assert (contacts(xero_sandbox, connection), procore_vendors(procore_sandbox)) == snapshot


@pytest.mark.django_db
def test_an_export_whose_answer_was_lost_is_found_by_contact_number_not_sent_again(connection, xero_sandbox):
    set_settings(connection, approve_companies=False)
    sync(connection)
    link = procore_link(connection, "Apex Steel")
    export_vendor([link])
    # Xero made the contact, but the answer never came back: the link is still "exporting".
    xero_client_for(connection).write_batch(
        "contacts", [{"Name": "Apex Steel", "ContactNumber": link.procore_id}], None)
    Link.objects.filter(pk=link.pk).update(state=State.EXPORTING, idempotency_key="contacts-lost")

    run = sync(connection)
    link.refresh_from_db()
    made = [c for c in contacts(xero_sandbox, connection) if c.get("ContactNumber") == link.procore_id]
    assert len(made) == 1 and link.xero_id == made[0]["ContactID"] and link.state == State.SYNCED
    assert run.created == 0 and run.linked == 1  # (the engine may then confirm it with one update)


@pytest.mark.django_db
def test_exports_wait_for_approval_when_the_connection_asks_for_it(connection, xero_sandbox,
                                                                   django_capture_on_commit_callbacks):
    sync(connection)
    link = procore_link(connection, "Apex Steel")
    with committed():
        export_vendor([link])
    link.refresh_from_db()
    assert link.state == State.AWAITING_APPROVAL
    assert not [c for c in contacts(xero_sandbox, connection) if c["Name"] == "Apex Steel"]

    with django_capture_on_commit_callbacks(execute=True):
        approval_accept(links=[link])  # queues the vendor sync (eager in tests)
    link.refresh_from_db()
    assert link.state == State.SYNCED
    apex = [c["ContactID"] for c in contacts(xero_sandbox, connection) if c["Name"] == "Apex Steel"]
    assert apex == [link.xero_id]


@pytest.mark.django_db
def test_a_name_clash_is_a_failed_link_with_its_reason_and_the_rest_still_exports(connection, xero_sandbox):
    set_settings(connection, approve_companies=False)
    sync(connection)
    clash, fine = procore_link(connection, "Westside Roofing"), procore_link(connection, "Apex Steel")
    export_vendor([clash, fine])
    run = sync(connection)

    clash.refresh_from_db(), fine.refresh_from_db()
    assert clash.state == State.FAILED and "Westside Roofing" in clash.last_error
    assert "unique" in clash.last_error and "matching page" in clash.hint
    logged = run.records.get(link=clash, action=SyncRecord.Action.FAILED)
    assert "already exists" in logged.message and logged.hint
    assert fine.state == State.SYNCED and run.created == 1 and run.status == "partial"
    assert [c["Name"] for c in contacts(xero_sandbox, connection)].count("Westside Roofing") == 1

    again = sync(connection)  # the same clash is not logged again and again
    assert again.failed == 0


@pytest.mark.django_db
def test_a_clash_only_xero_notices_is_still_one_failed_record_in_plain_words(connection, xero_sandbox,
                                                                             monkeypatch):
    set_settings(connection, approve_companies=False)
    sync(connection)
    # The contact appeared in Xero after we read it (a race): only Xero's own check can refuse it.
    monkeypatch.setattr(vendors, "_contact_names", lambda ctx: {})
    clash, fine = procore_link(connection, "Westside Roofing"), procore_link(connection, "Apex Steel")
    export_vendor([clash, fine])
    run = sync(connection)

    clash.refresh_from_db(), fine.refresh_from_db()
    assert clash.state == State.FAILED and "already assigned to another contact" in clash.last_error
    assert clash.last_error.startswith("Xero already has a record with this name") and clash.hint
    assert fine.state == State.SYNCED and (run.created, run.failed) == (1, 1)
    assert [c["Name"] for c in contacts(xero_sandbox, connection)].count("Westside Roofing") == 1


@pytest.mark.django_db
def test_import_adds_a_procore_company_once_with_origin_id(connection, procore_sandbox, xero_sandbox):
    sync(connection)
    link = xero_link(connection, "Valley Fuel #9")
    with committed():
        import_contact([link])
    link.refresh_from_db()
    made = [v for v in procore_vendors(procore_sandbox) if v["origin_id"] == link.xero_id]
    assert [(v["name"], str(v["id"])) for v in made] == [("Valley Fuel #9", link.procore_id)]
    assert link.state == State.SYNCED

    again = sync(connection)
    assert (again.created, again.updated, again.failed) == (0, 0, 0)
    assert len([v for v in procore_vendors(procore_sandbox) if v["origin_id"] == link.xero_id]) == 1


@pytest.mark.django_db
def test_an_import_whose_answer_was_lost_is_linked_not_created_again(connection, procore_sandbox):
    sync(connection)
    link = xero_link(connection, "Titan Hardware #8")
    import_contact([link])
    # The company was created, but the answer never came back: the link is still "exporting".
    procore_client_for(connection).sync_vendors([{"name": "Titan Hardware #8", "origin_id": link.xero_id}])
    Link.objects.filter(pk=link.pk).update(state=State.EXPORTING)

    run = sync(connection)
    link.refresh_from_db()
    made = [v for v in procore_vendors(procore_sandbox) if v["origin_id"] == link.xero_id]
    assert len(made) == 1 and link.procore_id == str(made[0]["id"]) and link.state == State.SYNCED
    assert run.created == 0 and run.linked == 1


@pytest.mark.django_db
def test_procore_owns_linked_companies_by_default(connection, procore_sandbox, xero_sandbox):
    sync(connection)
    with committed():
        link_suggested_all(connection)
    link = links(connection).get(label="Westside Roofing")
    procore_client_for(connection).update_vendor(int(link.procore_id),
                                                 {"name": "Westside Roofing & Sheet Metal"})
    xero = xero_client_for(connection)
    xero.write_batch("contacts", [{"ContactID": link.xero_id, "EmailAddress": "new@westside.example"}], None)

    run = sync(connection)
    contact = next(c for c in contacts(xero_sandbox, connection) if c["ContactID"] == link.xero_id)
    vendor = next(v for v in procore_vendors(procore_sandbox) if str(v["id"]) == link.procore_id)
    assert contact["Name"] == "Westside Roofing & Sheet Metal" and run.updated == 1
    assert vendor["email_address"] != "new@westside.example"  # Xero's edit does not flow back


@pytest.mark.django_db
def test_a_webhook_for_one_company_updates_its_contact_and_leaves_the_cursors(connection, xero_sandbox):
    sync(connection)
    with committed():
        link_suggested_all(connection)
    link = links(connection).get(label="Redwood Electric Group")
    before = [cursor_get(connection, Kind.VENDOR, source) for source in ("procore", "xero")]
    procore_client_for(connection).update_vendor(int(link.procore_id),
                                                 {"name": "Redwood Electric Group Inc."})

    run = sync_kind_run(connection_id=connection.pk, kind=Kind.VENDOR, trigger="webhook",
                        record_id=link.procore_id)
    contact = next(c for c in contacts(xero_sandbox, connection) if c["ContactID"] == link.xero_id)
    assert contact["Name"] == "Redwood Electric Group Inc." and run.updated == 1 and run.total == 1
    assert [cursor_get(connection, Kind.VENDOR, source) for source in ("procore", "xero")] == before


@pytest.mark.django_db
def test_with_xero_as_owner_contact_changes_flow_to_procore(connection, procore_sandbox, xero_sandbox):
    set_settings(connection, vendor_owner="xero")
    sync(connection)
    with committed():
        link_suggested_all(connection)
    link = links(connection).get(label="Delta Steel Inc.")
    xero_client_for(connection).write_batch(
        "contacts", [{"ContactID": link.xero_id, "Name": "Delta Steel Incorporated"}], None)
    procore_client_for(connection).update_vendor(
        int(link.procore_id), {"name": "Delta Steel Inc.", "email_address": "x@delta.example"})

    run = sync(connection)
    vendor = next(v for v in procore_vendors(procore_sandbox) if str(v["id"]) == link.procore_id)
    contact = next(c for c in contacts(xero_sandbox, connection) if c["ContactID"] == link.xero_id)
    assert vendor["name"] == "Delta Steel Incorporated" and run.updated == 1
    assert contact.get("EmailAddress") != "x@delta.example"
    assert sync(connection).updated == 0


@pytest.mark.django_db
def test_the_contact_cursor_advances_per_page_so_a_crash_resumes(connection, xero_sandbox, monkeypatch):
    monkeypatch.setattr(vendors, "XERO_PAGE_SIZE", 5)
    keep, seen = vendors._keep_xero, []

    def crash_on_the_second_page(ctx, contact, link):
        if len(seen) == 7:
            raise RuntimeError("worker killed")
        seen.append(contact.contact_id)
        return keep(ctx, contact, link)

    monkeypatch.setattr(vendors, "_keep_xero", crash_on_the_second_page)
    assert sync(connection).status == "failed"
    everyone = sorted(contacts(xero_sandbox, connection), key=lambda c: c["_updated"])
    cursor = cursor_get(connection, Kind.VENDOR, "xero")
    assert cursor.timestamp() == everyone[4]["_updated"]  # the end of the first page of five

    resumed = []
    monkeypatch.setattr(vendors, "_keep_xero", lambda ctx, c, link: resumed.append(c) or keep(ctx, c, link))
    assert sync(connection).status == "succeeded"
    assert links(connection).exclude(xero_id="").count() == len(everyone)
    assert len(everyone) - 5 <= len(resumed) < len(everyone)  # it went on from the cursor, not from the start


@pytest.mark.django_db
def test_a_crash_while_reading_procore_resumes_after_the_last_page_done(connection, procore_sandbox,
                                                                         monkeypatch):
    from procore_client.client import ProcoreClient

    pages_of = ProcoreClient.iter_pages
    monkeypatch.setattr(ProcoreClient, "iter_pages",
                        lambda self, path, params=None, per_page=0: pages_of(self, path, params, per_page=10))
    keep, done = vendors._keep_procore, []

    def crash_on_the_second_page(ctx, vendor, link):
        if len(done) == 15:
            raise RuntimeError("worker killed")
        done.append(vendor["id"])
        return keep(ctx, vendor, link)

    monkeypatch.setattr(vendors, "_keep_procore", crash_on_the_second_page)
    assert sync(connection).status == "failed"
    assert cursor_get(connection, Kind.VENDOR, "procore") is None  # the window is not finished…

    resumed = []
    monkeypatch.setattr(vendors, "_keep_procore", lambda ctx, v, link: resumed.append(v["id"]) or keep(ctx, v, link))
    assert sync(connection).status == "succeeded"
    everyone = sorted(v["id"] for v in procore_vendors(procore_sandbox))
    assert resumed == everyone[10:]  # …and the rerun starts after the first page of ten
    assert links(connection).exclude(procore_id="").count() == len(everyone)
    assert cursor_get(connection, Kind.VENDOR, "procore") is not None


@pytest.mark.django_db
def test_under_faults_repeated_runs_converge_with_no_duplicate_contact(connection, procore_sandbox,
                                                                      xero_sandbox, monkeypatch):
    monkeypatch.setattr("sync.export.BATCH", 4)  # several batches, so faults hit batch boundaries too
    set_settings(connection, approve_companies=False)
    sync(connection)
    with committed():
        link_suggested_all(connection)
    asked = list(links(connection, xero_id="", state=State.READY).exclude(procore_id=""))
    asked = [l for l in asked if l.procore_snapshot["active"]]
    assert len(asked) >= 15
    export_vendor(asked)
    faults = {"drop_after_commit_rate": 0.3, "error_rate": 0.2, "seed": 7}
    for server in (xero_sandbox, procore_sandbox):
        requests.post(f"{server.url}/_sandbox/faults", json=faults, timeout=10).raise_for_status()

    for _ in range(25):
        sync(connection)
        unsettled = links(connection, pk__in=[l.pk for l in asked]).exclude(state=State.SYNCED)
        if not unsettled.exists():
            break
    stats = requests.get(f"{xero_sandbox.url}/_sandbox/stats", timeout=10).json()
    for server in (xero_sandbox, procore_sandbox):
        requests.post(f"{server.url}/_sandbox/faults", json={"drop_after_commit_rate": 0, "error_rate": 0},
                      timeout=10).raise_for_status()

    assert not unsettled.exists(), [(l.label, l.state, l.last_error) for l in unsettled]
    rows = contacts(xero_sandbox, connection)
    numbers = Counter(c.get("ContactNumber") for c in rows if c.get("ContactNumber"))
    assert all(numbers[l.procore_id] == 1 for l in asked)
    assert not [n for n, count in Counter(c["Name"].casefold() for c in rows).items() if count > 1]
    by_number = {c.get("ContactNumber"): c["ContactID"] for c in rows}
    assert all(Link.objects.get(pk=l.pk).xero_id == by_number[l.procore_id] for l in asked)
    assert stats["drops_injected"] and stats["errors_injected"]  # the faults really fired


def test_over_long_contact_fields_are_said_in_words_never_cut():
    from sync.limits import contact_too_long

    payload = contact_payload({"name": "N" * 300, "tax_number": "9" * 60}, 1)
    message, hint = contact_too_long(payload)
    assert message == ("Not sent to Xero: The company name has 300 characters (Xero takes at most 255); the tax "
                       "number has 60 characters (Xero takes at most 50).")
    assert payload["TaxNumber"] == "9" * 60 and "directory" in hint  # nothing cut behind anyone's back
    assert contact_too_long(contact_payload({"name": "Apex Steel"}, 1)) is None


def test_the_sdks_own_length_check_is_said_in_words():
    from sync.explain import explain_xero

    message, hint = explain_xero(["not sent: Invalid value for `name`, length must be less than or equal to `255`"])
    assert message == "The name is longer than the 255 characters Xero takes; it was not sent."
    assert "Invalid value" not in message and "`" not in message and hint


@pytest.mark.django_db
def test_a_300_character_company_name_is_refused_in_plain_words_and_the_rest_exports(connection, xero_sandbox):
    set_settings(connection, approve_companies=False)
    sync(connection)
    long, fine = procore_link(connection, "Westside Roofing"), procore_link(connection, "Apex Steel")
    name = "Westside Roofing and General Contracting of the Greater Treasure Valley " * 5
    name = name[:300]
    Link.objects.filter(pk=long.pk).update(procore_snapshot={**long.procore_snapshot, "name": name})
    export_vendor([long, fine])
    run = sync(connection)

    long.refresh_from_db(), fine.refresh_from_db()
    assert long.state == State.FAILED and long.last_error == (
        "Not sent to Xero: The company name has 300 characters (Xero takes at most 255).")
    assert "Shorten it" in long.hint and "Invalid value" not in run.records.get(link=long).message
    assert fine.state == State.SYNCED and (run.created, run.failed) == (1, 1)
    assert not [c for c in contacts(xero_sandbox, connection) if c["Name"].startswith(name[:200])]
