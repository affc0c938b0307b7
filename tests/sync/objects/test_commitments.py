"""Approved commitments become Xero purchase orders once, follow edits, and say why when they cannot."""

from collections import Counter
from decimal import Decimal

import pytest
import requests

from connector.clients import procore_client_for, xero_client_for
from connector.models import ConnectionSettings, Kind, Link, SyncRecord, SyncRun
from connector.services.approvals import approval_accept
from sync.objects.commitments import commitment_problem, po_payload
from sync.services import sync_kind_run
from sync.tracking import project_category
from tests.sandboxes import calls, calls_reset

State = Link.State
UNLINKED_VENDOR = 3100014  # the vendor of SC-0003 (commitment 8100001) is left without a Xero contact
SC1, SC3, SC8, PO2 = 8100000, 8100001, 8100004, 8600000


# -- pure mapper -----------------------------------------------------------------------------------
LINE = {"id": 1, "position": 1, "description": "Framing", "quantity": "3", "unit_cost": "33.3333",
        "amount": "100.00", "cost_code": {"standard_cost_code_id": 55, "full_code": "06-100"},
        "line_item_type": {"id": 77, "code": "L"}}
CONTRACT = {"id": 9, "number": "SC-9", "status": "Approved", "vendor": {"id": 3, "company": "Acme"}}


def test_each_unmet_condition_is_named():
    ok = {"contact_id": "c", "option_id": "o", "items": {"55:77": "06-100.L"}}
    assert commitment_problem(CONTRACT, [LINE], **ok) is None
    assert "only Approved" in commitment_problem({**CONTRACT, "status": "Draft"}, [LINE], **ok)[0]
    assert "Acme is not linked" in commitment_problem(CONTRACT, [LINE], **{**ok, "contact_id": None})[0]
    assert "project is not in Xero yet" in commitment_problem(CONTRACT, [LINE], **{**ok, "option_id": ""})[0]
    bare = {**LINE, "line_item_type": None}
    assert "standard cost code and cost type" in commitment_problem(CONTRACT, [bare], **ok)[0]
    assert "not in Xero yet" in commitment_problem(CONTRACT, [LINE], **{**ok, "items": {}})[0]
    long = commitment_problem({**CONTRACT, "number": "SC-" + "9" * 247}, [LINE], **ok)
    assert long[0].startswith("Not sent to Xero: the commitment's number has 250 characters") and "Shorten" in long[1]


def test_po_payload_is_exact_and_uses_the_contract_number():
    thirds = {**LINE, "id": 2, "quantity": "7", "unit_cost": "14.2857", "amount": "100.01"}
    payload = po_payload(CONTRACT, [LINE, thirds], contact_id="c", items={"55:77": "06-100.L"},
                         tracking=[{"TrackingOptionID": "o"}], status="AUTHORISED", use_number=True,
                         account_code="500")
    assert payload["PurchaseOrderNumber"] == "SC-9" and payload["Status"] == "AUTHORISED"
    first, second = payload["LineItems"]
    # 3 × 33.3333 rounds to 100.00 in Xero; 7 × 14.2857 would give 100.00, not 100.01: one unit instead.
    assert (first["Quantity"], first["UnitAmount"]) == (Decimal(3), Decimal("33.3333"))
    assert (second["Quantity"], second["UnitAmount"]) == (Decimal(1), Decimal("100.01"))
    assert first["ItemCode"] == "06-100.L" and first["AccountCode"] == "500"
    assert "PurchaseOrderNumber" not in po_payload(CONTRACT, [LINE], contact_id="c", items={"55:77": "x"},
                                                   tracking=[], status="DRAFT", use_number=False)


# -- against the sandboxes -------------------------------------------------------------------------
def sandbox_rows(server, resource, tenant=None):
    rows = requests.get(f"{server.url}/_sandbox/data/{resource}", timeout=10).json()
    return [r for r in rows if tenant is None or r.get("_tenant", tenant) == tenant]


def amount(value) -> Decimal:
    """The sandboxes' data views give JSON numbers; compare them as the decimals they print as."""
    return Decimal(str(value))


def faults(*servers, **values):
    for server in servers:
        requests.post(f"{server.url}/_sandbox/faults", json=values, timeout=10).raise_for_status()


def set_settings(connection, **values):
    ConnectionSettings.objects.update_or_create(connection=connection, defaults=values)


def financial_prerequisites(connection, procore_sandbox, *, skip_vendors=(UNLINKED_VENDOR,)):
    """Items, linked vendors (real Xero contacts) and synced projects (real tracking options)."""
    from types import SimpleNamespace

    faults(procore_sandbox, rate_limits=False)  # many reads; the pacing is tested elsewhere
    set_settings(connection, purchase_account_code="500")
    assert sync_kind_run(connection_id=connection.pk, kind=Kind.COST_CODE).created
    xero, procore = xero_client_for(connection), procore_client_for(connection)
    vendors = {v["id"]: v for v in procore.vendors()}
    wanted = sorted({c["vendor_id"] for t in ("work_order_contracts", "purchase_order_contracts")
                     for c in sandbox_rows(procore_sandbox, t)} - set(skip_vendors))
    results = xero.write_batch("contacts", [{"Name": f"{vendors[v]['name']} (test)"} for v in wanted], None)
    for vendor_id, result in zip(wanted, results):
        Link.objects.create(connection=connection, kind=Kind.VENDOR, procore_id=str(vendor_id), xero_id=result.id,
                            label=vendors[vendor_id]["name"], state=State.SYNCED)
    settings = ConnectionSettings.objects.get(connection=connection)
    category = project_category(SimpleNamespace(settings=settings, xero=xero, dry_run=False))
    for project in procore.projects({"filters[by_status]": "All"}):
        name = f"{project['project_number']} {project['name']}"[:50]
        option = xero.create_tracking_option(category.tracking_category_id, name)
        Link.objects.create(connection=connection, kind=Kind.PROJECT, procore_id=str(project["id"]),
                            xero_id=option.tracking_option_id, label=name, state=State.SYNCED)


def export_accepted(connection, kind, django_capture_on_commit_callbacks):
    sync_kind_run(connection_id=connection.pk, kind=kind)
    waiting = list(Link.objects.filter(connection=connection, kind=kind, state=State.AWAITING_APPROVAL))
    with django_capture_on_commit_callbacks(execute=True):
        approval_accept(links=waiting)  # queues the export (tasks run eagerly in tests)
    return waiting


def line_ids(link) -> dict:
    """Commitment line id → the Xero LineItemID it became."""
    return {line.procore_line_id: line.xero_line_id for line in link.lines.all()}


def purchase_orders(xero_sandbox, connection):
    return [po for po in sandbox_rows(xero_sandbox, "PurchaseOrders", connection.xero_tenant_id)
            if "Procore" in (po.get("Reference") or "")]


@pytest.fixture
def prerequisites(connection, procore_sandbox, xero_sandbox):
    financial_prerequisites(connection, procore_sandbox)
    yield connection
    faults(procore_sandbox, rate_limits=True)


@pytest.mark.django_db
def test_accepted_commitments_become_purchase_orders_and_the_unlinked_vendor_is_refused(
        prerequisites, procore_sandbox, xero_sandbox, django_capture_on_commit_callbacks):
    connection = prerequisites
    set_settings(connection, po_status="AUTHORISED")
    first = sync_kind_run(connection_id=connection.pk, kind=Kind.COMMITMENT)
    assert first.status == "succeeded", first.message  # waiting for a vendor is not failing
    links = Link.objects.filter(connection=connection, kind=Kind.COMMITMENT)
    assert sorted(int(l.procore_id) for l in links.filter(state=State.AWAITING_APPROVAL)) == [SC1, SC8, PO2]
    refused = links.get(procore_id=str(SC3))
    assert refused.state == State.WAITING and "is not linked to a Xero contact" in refused.last_error
    assert (refused.waiting_for_kind, refused.waiting_for_id) == (Kind.VENDOR, str(UNLINKED_VENDOR))
    assert refused.hint and not links.filter(procore_id="8100002").exists()  # drafts are not listed
    assert purchase_orders(xero_sandbox, connection) == []  # nothing before an accountant accepts

    export_accepted(connection, Kind.COMMITMENT, django_capture_on_commit_callbacks)
    pos = {po["PurchaseOrderNumber"]: po for po in purchase_orders(xero_sandbox, connection)}
    assert sorted(pos) == ["PO-0002", "SC-0001", "SC-0008"]
    po = pos["SC-0001"]
    link = links.get(procore_id=str(SC1))
    assert link.state == State.SYNCED and link.xero_id == po["PurchaseOrderID"] and po["Status"] == "AUTHORISED"
    contract = procore_client_for(connection).commitment("work_order_contracts", 2800000, SC1)
    assert amount(po["Total"]) == Decimal(contract["grand_total"])
    vendor_link = Link.objects.get(connection=connection, kind=Kind.VENDOR, procore_id=str(contract["vendor"]["id"]))
    option = Link.objects.get(connection=connection, kind=Kind.PROJECT, procore_id="2800000").xero_id
    assert po["Contact"]["ContactID"] == vendor_link.xero_id
    for sent, line in zip(po["LineItems"], contract["line_items"]):
        assert amount(sent["LineAmount"]) == Decimal(line["amount"])
        assert sent["ItemCode"] == f"{line['cost_code']['full_code']}.{line['line_item_type']['code']}"
        assert sent["AccountCode"] == "500" and sent["Tracking"][0]["TrackingOptionID"] == option
    assert line_ids(link) == {str(l["id"]): s["LineItemID"] for l, s in zip(contract["line_items"],
                                                                             po["LineItems"])}
    # Procore shows it is in Xero: origin_id = the PO's id, origin_code/origin_data its number.
    stamped = next(c for c in sandbox_rows(procore_sandbox, "work_order_contracts") if c["id"] == SC1)
    assert (stamped["origin_id"], stamped["origin_code"], stamped["origin_data"]) == (
        po["PurchaseOrderID"], "SC-0001", "Xero purchase order SC-0001")

    calls_reset(procore_sandbox)
    again = sync_kind_run(connection_id=connection.pk, kind=Kind.COMMITMENT)
    assert (again.created, again.updated, again.failed) == (0, 0, 0)
    assert not [c for c in calls(procore_sandbox) if c.startswith("PATCH")]  # each stamped once
    assert len(purchase_orders(xero_sandbox, connection)) == 3

    # Once its vendor is linked, the waiting commitment moves on by itself, to the approval queue.
    contact = xero_client_for(connection).write_batch("contacts", [{"Name": "Late vendor (test)"}], None)[0]
    Link.objects.create(connection=connection, kind=Kind.VENDOR, procore_id=str(UNLINKED_VENDOR),
                        xero_id=contact.id, state=State.SYNCED)
    sync_kind_run(connection_id=connection.pk, kind=Kind.COMMITMENT)
    refused.refresh_from_db()
    assert (refused.state, refused.last_error) == (State.AWAITING_APPROVAL, "")


@pytest.mark.django_db
def test_an_edit_updates_the_po_keeping_line_ids_until_it_is_billed(
        prerequisites, procore_sandbox, xero_sandbox, django_capture_on_commit_callbacks):
    connection = prerequisites
    export_accepted(connection, Kind.COMMITMENT, django_capture_on_commit_callbacks)
    link = Link.objects.get(connection=connection, kind=Kind.COMMITMENT, procore_id=str(SC1))
    procore = procore_client_for(connection)
    line = procore.commitment("work_order_contracts", 2800000, SC1)["line_items"][0]
    procore.sync_commitment_line_items("work_order_contracts", 2800000, SC1,
                                       [{"id": line["id"], "amount": "1000.10", "quantity": "1",
                                         "unit_cost": "1000.10"}])
    run = sync_kind_run(connection_id=connection.pk, kind=Kind.COMMITMENT)
    link.refresh_from_db()
    assert run.updated == 0 and link.state == State.AWAITING_APPROVAL, "an edit of an accepted PO is accepted again"
    assert "Changed in Procore since it was exported" in run.records.get(link=link).message
    with django_capture_on_commit_callbacks(execute=True):
        approval_accept(links=[link])  # the follow-up run updates the PO
    run = SyncRun.objects.filter(connection=connection, kind=Kind.COMMITMENT).first()
    assert run.updated == 1
    po = next(p for p in purchase_orders(xero_sandbox, connection) if p["PurchaseOrderID"] == link.xero_id)
    assert po["LineItems"][0]["LineItemID"] == line_ids(link)[str(line["id"])]  # same line, not recreated
    assert amount(po["LineItems"][0]["LineAmount"]) == Decimal("1000.10")

    xero = xero_client_for(connection)
    for status in ("AUTHORISED", "BILLED"):  # a person approves the PO in Xero, then marks it billed
        assert xero.write_batch("purchase_orders", [{"PurchaseOrderID": link.xero_id, "Status": status}], None)[0].ok
    procore.sync_commitment_line_items("work_order_contracts", 2800000, SC1,
                                       [{"id": line["id"], "amount": "2000.00", "quantity": "1",
                                         "unit_cost": "2000.00"}])
    sync_kind_run(connection_id=connection.pk, kind=Kind.COMMITMENT)
    with django_capture_on_commit_callbacks(execute=True):
        approval_accept(links=[link])
    run = SyncRun.objects.filter(connection=connection, kind=Kind.COMMITMENT).first()
    record = run.records.get(link=link)
    assert run.updated == 0 and "billed in Xero and cannot be updated" in record.message
    po = next(p for p in purchase_orders(xero_sandbox, connection) if p["PurchaseOrderID"] == link.xero_id)
    assert amount(po["LineItems"][0]["LineAmount"]) == Decimal("1000.10")


@pytest.mark.django_db
def test_without_approval_setting_eligible_commitments_export_on_the_first_run(prerequisites, xero_sandbox):
    connection = prerequisites
    set_settings(connection, approve_commitments=False, use_contract_number_as_po_number=False)
    run = sync_kind_run(connection_id=connection.pk, kind=Kind.COMMITMENT)
    assert run.created == 3 and run.records.filter(action=SyncRecord.Action.SKIPPED,
                                                   message__contains="not linked").count() == 1
    numbers = [po["PurchaseOrderNumber"] for po in purchase_orders(xero_sandbox, connection)]
    assert not {"SC-0001", "SC-0008"} & set(numbers) and len(numbers) == 3  # Xero numbered them


@pytest.mark.django_db
def test_under_faults_repeated_runs_never_make_a_second_po(prerequisites, procore_sandbox, xero_sandbox,
                                                           monkeypatch):
    connection = prerequisites
    monkeypatch.setattr("sync.export.BATCH", 1)  # one write per PO, so the faults hit each of them
    set_settings(connection, approve_commitments=False)
    faults(xero_sandbox, drop_after_commit_rate=0.5, error_rate=0.3, seed=3)
    for _ in range(15):
        sync_kind_run(connection_id=connection.pk, kind=Kind.COMMITMENT)
        if Link.objects.filter(connection=connection, kind=Kind.COMMITMENT, state=State.SYNCED).count() == 3:
            break
    stats = requests.get(f"{xero_sandbox.url}/_sandbox/stats", timeout=10).json()
    faults(xero_sandbox, drop_after_commit_rate=0, error_rate=0)
    synced = Link.objects.filter(connection=connection, kind=Kind.COMMITMENT, state=State.SYNCED)
    assert synced.count() == 3
    references = Counter(po["Reference"] for po in purchase_orders(xero_sandbox, connection))
    assert set(references.values()) == {1} and len(references) == 3
    assert {po["PurchaseOrderID"] for po in purchase_orders(xero_sandbox, connection)} == \
        set(synced.values_list("xero_id", flat=True))
    assert stats["drops_injected"] or stats["errors_injected"]


@pytest.mark.django_db
def test_a_lost_answer_then_an_edited_number_never_makes_a_second_po(prerequisites, procore_sandbox, xero_sandbox):
    connection = prerequisites
    set_settings(connection, approve_commitments=False)
    faults(xero_sandbox, drop_after_commit_rate=1.0)  # Xero makes the POs, every answer is lost
    sync_kind_run(connection_id=connection.pk, kind=Kind.COMMITMENT)
    faults(xero_sandbox, drop_after_commit_rate=0)
    link = Link.objects.get(connection=connection, kind=Kind.COMMITMENT, procore_id=str(SC1))
    assert (link.state, link.xero_id, link.reference) == (State.EXPORTING, "", "SC-0001 · Procore 8100000")

    # Before the next run, the project team renumbers the contract in Procore.
    procore_client_for(connection).update_commitment("work_order_contracts", 2800000, SC1, {"number": "SC-0001-R"})
    run = sync_kind_run(connection_id=connection.pk, kind=Kind.COMMITMENT)
    ours = [po for po in purchase_orders(xero_sandbox, connection) if po["Reference"].endswith("Procore 8100000")]
    assert len(ours) == 1, "found by what was sent, not by today's number"
    link.refresh_from_db()
    assert (link.state, link.xero_id) == (State.SYNCED, ours[0]["PurchaseOrderID"])
    assert run.records.filter(link=link, action="linked").exists()
    assert ours[0]["PurchaseOrderNumber"] == "SC-0001-R"  # and then updated to the new number
    assert len(purchase_orders(xero_sandbox, connection)) == 3
