"""Approved subcontractor invoices become bills once, to the cent; negative ones are refused and stay visible."""

from collections import Counter
from decimal import Decimal
from types import SimpleNamespace

import pytest
import requests

from connector.clients import procore_client_for
from connector.models import Kind, Link
from sync.objects.invoices import bill_lines, bill_payload, invoice_problem
from sync.services import sync_kind_run
from tests.sync.objects.test_commitments import (
    amount,
    export_accepted,
    faults,
    financial_prerequisites,
    sandbox_rows,
    set_settings,
)

State = Link.State
SYNCED_COMMITMENT = SimpleNamespace(state=State.SYNCED, xero_id="po")


def bills(xero_sandbox, connection):
    return [b for b in sandbox_rows(xero_sandbox, "Invoices", connection.xero_tenant_id)
            if b["Type"] == "ACCPAY" and "/invoices/" in (b.get("Url") or "")]


def edited_before_the_stamp(procore_sandbox, requisition_id: int, **fields):
    """Procore locks an invoice once it shows it is in Xero (its origin_id): an edit a person made before the
    stamp landed, written straight into the emulator."""
    from sandbox.procore.state import utc_iso

    state = procore_sandbox.state
    with state.lock:
        state.table("requisitions")[requisition_id].update(fields, updated_at=utc_iso())


# -- pure mapper -----------------------------------------------------------------------------------
REQUISITION = {
    "id": 5, "project_id": 2, "commitment_id": 3, "status": "approved", "invoice_number": "INV-7",
    "billing_date": "2026-03-31", "summary": {"current_payment_due": "276.91"},
    "items": [  # two SOV lines on one item code, one on another; 7.5 % retainage
        {"line_item_id": 11, "position": 1, "work_completed_this_period": "100.00",
         "work_completed_retainage_retained_this_period": "7.50", "description_of_work": "a"},
        {"line_item_id": 12, "position": 2, "work_completed_this_period": "33.33",
         "work_completed_retainage_retained_this_period": "2.50", "description_of_work": "b"},
        {"line_item_id": 13, "position": 3, "work_completed_this_period": "166.67",
         "work_completed_retainage_retained_this_period": "13.09", "description_of_work": "c"}]}
DATA = {"items": {"11": "01-100.L", "12": "01-100.L", "13": "02-200.M"}, "tracking": [{"TrackingOptionID": "o"}]}


def test_bill_lines_are_per_item_code_net_of_retainage_and_add_up_to_the_amount_due():
    lines = bill_lines(REQUISITION, DATA["items"], DATA["tracking"], account_code="500")
    assert [(l["ItemCode"], l["UnitAmount"]) for l in lines] == [("01-100.L", Decimal("123.33")),
                                                               ("02-200.M", Decimal("153.58"))]
    assert "less retainage 10.00" in lines[0]["Description"] and lines[0]["Tracking"] == DATA["tracking"]
    assert invoice_problem(REQUISITION, SYNCED_COMMITMENT, "contact", lines) is None
    payload = bill_payload(REQUISITION, lines, contact_id="c", status="AUTHORISED")
    assert (payload["Type"], payload["InvoiceNumber"], payload["DueDate"]) == ("ACCPAY", "INV-7", "2026-04-30")
    assert payload["Url"].endswith("/2/project/commitments/3/invoices/5")


def test_each_refusal_names_its_reason():
    lines = bill_lines(REQUISITION, DATA["items"], DATA["tracking"])
    negative = {**REQUISITION, "summary": {"current_payment_due": "-514.04"}}
    assert invoice_problem(negative, SYNCED_COMMITMENT, "c", lines)[0] == \
        "Negative invoices are not exported to Xero."
    assert "only approved" in invoice_problem({**REQUISITION, "status": "draft"}, SYNCED_COMMITMENT, "c", lines)[0]
    assert invoice_problem(REQUISITION, None, "c", lines)[0].startswith("Waiting")
    assert "add up to" in invoice_problem({**REQUISITION, "summary": {"current_payment_due": "1.00"}},
                                          SYNCED_COMMITMENT, "c", lines)[0]
    assert bill_lines(REQUISITION, {}, []) is None


# -- against the sandboxes -------------------------------------------------------------------------
@pytest.fixture
def prerequisites(connection, procore_sandbox, xero_sandbox):
    financial_prerequisites(connection, procore_sandbox, skip_vendors=())
    yield connection
    faults(procore_sandbox, rate_limits=True)


@pytest.mark.django_db
def test_approved_invoices_become_bills_and_the_negative_one_is_refused(
        prerequisites, procore_sandbox, xero_sandbox, django_capture_on_commit_callbacks):
    connection = prerequisites
    set_settings(connection, bill_status="AUTHORISED")
    sync_kind_run(connection_id=connection.pk, kind=Kind.INVOICE)
    links = Link.objects.filter(connection=connection, kind=Kind.INVOICE)
    assert links.count() == 6 and all(l.state == State.WAITING and l.last_error.startswith("Waiting")
                                      for l in links.exclude(procore_id="3600005"))

    export_accepted(connection, Kind.COMMITMENT, django_capture_on_commit_callbacks)
    accepted = export_accepted(connection, Kind.INVOICE, django_capture_on_commit_callbacks)
    assert sorted(int(l.procore_id) for l in accepted) == [3600000, 3600001, 3600002, 3600006, 3600007]
    negative = links.get(procore_id="3600005")
    assert negative.state == State.FAILED and negative.last_error == "Negative invoices are not exported to Xero."
    assert not links.filter(procore_id__in=["3600003", "3600004"]).exists()  # draft, under review

    by_number = {b["InvoiceNumber"]: b for b in bills(xero_sandbox, connection)}
    assert sorted(by_number) == ["INV-100001", "INV-100002", "INV-100003", "INV-100007", "INV-100008"]
    bill = by_number["INV-100001"]
    requisition = next(r for r in sandbox_rows(procore_sandbox, "requisitions") if r["id"] == 3600000)
    link = links.get(procore_id="3600000")
    vendor = Link.objects.get(connection=connection, kind=Kind.VENDOR, procore_id=str(requisition["vendor_id"]))
    option = Link.objects.get(connection=connection, kind=Kind.PROJECT, procore_id="2800000").xero_id
    assert link.state == State.SYNCED and link.xero_id == bill["InvoiceID"]
    assert bill["Contact"]["ContactID"] == vendor.xero_id and bill["Status"] == "AUTHORISED"
    assert amount(bill["Total"]) == amount(bill["AmountDue"]) == Decimal(requisition["summary"]["current_payment_due"])
    assert Decimal(requisition["summary"]["total_retainage"]) > 0  # retainage really was held back
    commitment = Link.objects.get(connection=connection, kind=Kind.COMMITMENT, procore_id="8100000")
    assert [l["ItemCode"] for l in bill["LineItems"]] == \
        [commitment.lines.get(procore_line_id=str(i["line_item_id"])).item_code for i in requisition["items"]]
    assert all(l["Tracking"][0]["TrackingOptionID"] == option for l in bill["LineItems"])
    assert bill["Url"].endswith("/invoices/3600000")
    # Where its payments go in Procore, so the payment sync never reads the bill back.
    assert (link.project_id, link.parent_id) == ("2800000", str(requisition["commitment_id"]))
    assert (link.document_number, link.amount) == ("INV-100001", Decimal(requisition["summary"]["current_payment_due"]))
    stamped = next(r for r in sandbox_rows(procore_sandbox, "requisitions") if r["id"] == 3600000)
    assert (stamped["origin_id"], stamped["origin_data"]) == (bill["InvoiceID"], "Xero bill INV-100001")
    # Its backup is on the bill in Xero: the pay application Procore lists on the invoice.
    from connector.clients import xero_client_for

    files = xero_client_for(connection).invoice_attachments(bill["InvoiceID"])
    assert [f.file_name for f in files] == ["Pay Application INV-100001.pdf"]
    assert "“Pay Application INV-100001.pdf” attached to the bill in Xero." in link.records.values_list(
        "message", flat=True)

    again = sync_kind_run(connection_id=connection.pk, kind=Kind.INVOICE)
    assert (again.created, again.updated, again.failed) == (0, 0, 0)
    assert len(bills(xero_sandbox, connection)) == 5
    assert len(xero_client_for(connection).invoice_attachments(bill["InvoiceID"])) == 1  # attached once
    assert Link.objects.get(pk=negative.pk).state == State.FAILED  # stays visible


def awkward_commitment(connection, procore_sandbox):
    """A new approved subcontract of 12 lines in thirds, 7.5 % retainage, and its first invoice."""
    procore = procore_client_for(connection)
    template = procore.commitment("work_order_contracts", 2800000, 8100000)["line_items"][0]
    contract = procore.create_commitment("work_order_contracts", 2800000, {
        "vendor_id": 3100000, "title": "Awkward amounts", "number": "SC-THIRDS", "retainage_percent": "7.5"})
    for n in range(12):
        unit = (Decimal(1000 + n) / 3).quantize(Decimal("0.0001"))
        procore.create_commitment_line_item("work_order_contracts", 2800000, contract["id"], {
            "description": f"Third {n}", "quantity": "3", "unit_cost": str(unit),
            "amount": str((Decimal(1000 + n)).quantize(Decimal("0.01")) if n % 2 else (3 * unit).quantize(
                Decimal("0.01"))),
            "cost_code_id": template["cost_code"]["id"], "line_item_type_id": template["line_item_type"]["id"]})
    procore.update_commitment("work_order_contracts", 2800000, contract["id"], {"status": "Approved"})
    lines = procore.commitment("work_order_contracts", 2800000, contract["id"])["line_items"]
    requisition = procore.create_requisition(2800000, contract["id"], {"invoice_number": "INV-THIRDS",
                                                                       "billing_date": "2026-03-31"})
    items = {i["line_item_id"]: i for i in procore.requisition(2800000, requisition["id"])["items"]}
    progress = [{"id": items[l["id"]]["id"], "item_type": items[l["id"]]["item_type"], "line_item_id": l["id"],
                 "work_completed_this_period": str(
        (Decimal(l["amount"]) / 3).quantize(Decimal("0.01")))} for l in lines]
    procore.update_requisition(2800000, contract["id"], requisition["id"], {"status": "approved", "items": progress})
    return contract["id"], requisition["id"]


@pytest.mark.django_db
def test_awkward_amounts_match_to_the_cent_on_both_sides(prerequisites, procore_sandbox, xero_sandbox):
    connection = prerequisites
    set_settings(connection, approve_commitments=False, approve_invoices=False)
    contract_id, requisition_id = awkward_commitment(connection, procore_sandbox)
    sync_kind_run(connection_id=connection.pk, kind=Kind.COMMITMENT)
    run = sync_kind_run(connection_id=connection.pk, kind=Kind.INVOICE)
    assert run.failed == 1  # only the negative invoice

    contract = procore_client_for(connection).commitment("work_order_contracts", 2800000, contract_id)
    po = next(p for p in sandbox_rows(xero_sandbox, "PurchaseOrders", connection.xero_tenant_id)
              if p.get("PurchaseOrderNumber") == "SC-THIRDS")
    assert len(po["LineItems"]) == 12
    assert [amount(l["LineAmount"]) for l in po["LineItems"]] == [Decimal(l["amount"]) for l in contract["line_items"]]
    assert amount(po["Total"]) == Decimal(contract["grand_total"])

    requisition = next(r for r in sandbox_rows(procore_sandbox, "requisitions") if r["id"] == requisition_id)
    bill = next(b for b in bills(xero_sandbox, connection) if b["InvoiceNumber"] == "INV-THIRDS")
    due = Decimal(requisition["summary"]["current_payment_due"])
    assert due != Decimal(requisition["summary"]["total_completed_and_stored_to_date"])  # retainage held
    assert amount(bill["Total"]) == due and amount(bill["SubTotal"]) == due
    assert sum(amount(l["LineAmount"]) for l in bill["LineItems"]) == due
    # What the job cost report sums per cost code: the PO's and the bill's lines, with their amounts.
    po_link = Link.objects.get(connection=connection, kind=Kind.COMMITMENT, procore_id=str(contract_id))
    assert sum(line.amount for line in po_link.lines.all()) == Decimal(contract["grand_total"])
    bill_link = Link.objects.get(connection=connection, kind=Kind.INVOICE, procore_id=str(requisition_id))
    assert {(l.item_code, l.amount) for l in bill_link.lines.all()} == {
        (l["ItemCode"], amount(l["LineAmount"])) for l in bill["LineItems"]}


@pytest.mark.django_db
def test_under_faults_repeated_runs_never_make_a_second_bill(prerequisites, procore_sandbox, xero_sandbox,
                                                             monkeypatch):
    connection = prerequisites
    monkeypatch.setattr("sync.export.BATCH", 1)
    set_settings(connection, approve_commitments=False, approve_invoices=False)
    sync_kind_run(connection_id=connection.pk, kind=Kind.COMMITMENT)
    faults(xero_sandbox, drop_after_commit_rate=0.5, error_rate=0.3, seed=3)
    invoices = Link.objects.filter(connection=connection, kind=Kind.INVOICE)
    for _ in range(20):
        sync_kind_run(connection_id=connection.pk, kind=Kind.INVOICE)
        if invoices.filter(state=State.SYNCED).count() == 5:
            break
    stats = requests.get(f"{xero_sandbox.url}/_sandbox/stats", timeout=10).json()
    faults(xero_sandbox, drop_after_commit_rate=0, error_rate=0)
    assert invoices.filter(state=State.SYNCED).count() == 5
    urls = Counter(b["Url"] for b in bills(xero_sandbox, connection))
    assert len(urls) == 5 and set(urls.values()) == {1}
    assert {b["InvoiceID"] for b in bills(xero_sandbox, connection)} == \
        set(invoices.filter(state=State.SYNCED).values_list("xero_id", flat=True))
    assert stats["drops_injected"] and stats["errors_injected"]  # the faults really fired


@pytest.mark.django_db
def test_a_bill_xero_kept_as_draft_is_reported(connection):
    from connector.models import SyncRun
    from sync.export import Candidate
    from sync.objects.invoices import _read_back
    from sync.runs import run_finish, run_start

    run = run_start(connection=connection, kind=Kind.INVOICE, direction=SyncRun.Direction.EXPORT, trigger="manual")
    link = Link.objects.create(connection=connection, kind=Kind.INVOICE, procore_id="1", state=State.SYNCED)
    candidate = Candidate(link, {"Status": "AUTHORISED"}, reference="u")
    _read_back(SimpleNamespace(run=run), [(candidate, SimpleNamespace(status="DRAFT", total=Decimal("10.00")))])
    run_finish(run)
    record = run.records.get(link=link)
    assert "saved the bill as DRAFT, not AUTHORISED" in record.message and record.hint
    assert Link.objects.get(pk=link.pk).remote_status == "DRAFT"


@pytest.mark.django_db
def test_a_run_that_dies_while_keeping_xero_answers_makes_no_second_bill(prerequisites, xero_sandbox, monkeypatch):
    """Xero took the batch; the run dies half-way through recording the answers. None of the batch is
    recorded (it stays "exporting" under its key), and the next run finds the bills instead of sending them."""
    import sync.objects.invoices as invoices_module

    connection = prerequisites
    set_settings(connection, approve_commitments=False, approve_invoices=False)
    sync_kind_run(connection_id=connection.pk, kind=Kind.COMMITMENT)
    kept, real_read_back = [], invoices_module._read_back

    def dies_while_keeping(ctx, written):
        kept.append(written)
        raise SystemError("worker lost mid-batch")

    monkeypatch.setattr(invoices_module, "_read_back", dies_while_keeping)
    try:
        sync_kind_run(connection_id=connection.pk, kind=Kind.INVOICE)
    except SystemError:
        pass
    invoices = Link.objects.filter(connection=connection, kind=Kind.INVOICE)
    assert len(bills(xero_sandbox, connection)) == 5 and len(kept[0]) == 5
    assert invoices.filter(state=State.EXPORTING).count() == 5, "the batch is recorded whole or not at all"
    assert not invoices.filter(state=State.SYNCED).exists()

    monkeypatch.setattr(invoices_module, "_read_back", real_read_back)
    sync_kind_run(connection_id=connection.pk, kind=Kind.INVOICE)
    assert invoices.filter(state=State.SYNCED).count() == 5
    urls = Counter(b["Url"] for b in bills(xero_sandbox, connection))
    assert len(urls) == 5 and set(urls.values()) == {1}


@pytest.mark.django_db
def test_bills_go_in_whole_batches_however_they_fall_across_projects(prerequisites, xero_sandbox, monkeypatch):
    from tests.sandboxes import calls, calls_reset

    connection = prerequisites
    monkeypatch.setattr("sync.export.BATCH", 2)
    monkeypatch.setattr("sync.objects.invoices.EXPORT_EVERY", 1)  # send after every project read
    set_settings(connection, approve_commitments=False, approve_invoices=False)
    sync_kind_run(connection_id=connection.pk, kind=Kind.COMMITMENT)
    calls_reset(xero_sandbox)
    sync_kind_run(connection_id=connection.pk, kind=Kind.INVOICE)
    assert len(bills(xero_sandbox, connection)) == 5
    assert calls(xero_sandbox)["POST /api.xro/2.0/Invoices"] == 3, "5 bills in batches of 2: three calls"


@pytest.mark.django_db
def test_a_lost_answer_then_an_edited_invoice_number_never_makes_a_second_bill(prerequisites, procore_sandbox,
                                                                               xero_sandbox):
    connection = prerequisites
    set_settings(connection, approve_commitments=False, approve_invoices=False)
    sync_kind_run(connection_id=connection.pk, kind=Kind.COMMITMENT)
    faults(xero_sandbox, drop_after_commit_rate=1.0)  # Xero makes the bills, every answer is lost
    sync_kind_run(connection_id=connection.pk, kind=Kind.INVOICE)
    faults(xero_sandbox, drop_after_commit_rate=0)
    link = Link.objects.get(connection=connection, kind=Kind.INVOICE, procore_id="3600000")
    assert link.state == State.EXPORTING and link.engine_data["sent"]["number"] == "INV-100001"

    requisition = next(r for r in sandbox_rows(procore_sandbox, "requisitions") if r["id"] == 3600000)
    procore_client_for(connection).update_requisition(2800000, requisition["commitment_id"], 3600000,
                                                      {"invoice_number": "INV-100001-A"})
    sync_kind_run(connection_id=connection.pk, kind=Kind.INVOICE)
    mine = [b for b in bills(xero_sandbox, connection) if b["Url"].endswith("/invoices/3600000")]
    assert len(mine) == 1, "found by the number and contact sent, not by today's number"
    link.refresh_from_db()
    assert (link.state, link.xero_id) == (State.SYNCED, mine[0]["InvoiceID"])
    assert mine[0]["InvoiceNumber"] == "INV-100001-A"  # the draft bill follows the new number
    assert len(bills(xero_sandbox, connection)) == 5


@pytest.mark.django_db
def test_the_bill_status_setting_applies_to_new_bills_and_never_demotes_one(prerequisites, procore_sandbox,
                                                                            xero_sandbox):
    from tests.sandboxes import calls, calls_reset

    connection = prerequisites
    set_settings(connection, approve_commitments=False, approve_invoices=False, bill_status="AUTHORISED")
    sync_kind_run(connection_id=connection.pk, kind=Kind.COMMITMENT)
    assert sync_kind_run(connection_id=connection.pk, kind=Kind.INVOICE).created == 5
    assert {b["Status"] for b in bills(xero_sandbox, connection)} == {"AUTHORISED"}

    set_settings(connection, bill_status="DRAFT")  # the accountant goes back to draft bills
    calls_reset(xero_sandbox)
    run = sync_kind_run(connection_id=connection.pk, kind=Kind.INVOICE)
    assert (run.created, run.updated, run.failed) == (0, 0, 0)
    assert "POST /api.xro/2.0/Invoices" not in calls(xero_sandbox)  # nothing re-sent, nothing demoted
    assert {b["Status"] for b in bills(xero_sandbox, connection)} == {"AUTHORISED"}

    # Changed in Procore after Xero approved it: said once, the bill left as Xero keeps it.
    link = Link.objects.get(connection=connection, kind=Kind.INVOICE, procore_id="3600000")
    edited_before_the_stamp(procore_sandbox, 3600000, invoice_number="INV-100001-A")
    run = sync_kind_run(connection_id=connection.pk, kind=Kind.INVOICE)
    assert (run.updated, run.failed) == (0, 0)
    assert "approved in Xero and cannot be updated" in run.records.get(link=link).message
    assert sync_kind_run(connection_id=connection.pk, kind=Kind.INVOICE).records.filter(link=link).count() == 0
    bill = next(b for b in bills(xero_sandbox, connection) if b["InvoiceID"] == link.xero_id)
    assert (bill["InvoiceNumber"], bill["Status"]) == ("INV-100001", "AUTHORISED")


@pytest.mark.django_db
def test_a_draft_bill_changed_in_procore_is_updated_and_stays_a_draft(prerequisites, procore_sandbox, xero_sandbox):
    connection = prerequisites
    set_settings(connection, approve_commitments=False, approve_invoices=False, bill_status="DRAFT")
    sync_kind_run(connection_id=connection.pk, kind=Kind.COMMITMENT)
    sync_kind_run(connection_id=connection.pk, kind=Kind.INVOICE)
    set_settings(connection, bill_status="AUTHORISED")  # for new bills from now on
    link = Link.objects.get(connection=connection, kind=Kind.INVOICE, procore_id="3600000")
    edited_before_the_stamp(procore_sandbox, 3600000, invoice_number="INV-100001-A")
    run = sync_kind_run(connection_id=connection.pk, kind=Kind.INVOICE)
    assert (run.updated, run.failed) == (1, 0)
    bill = next(b for b in bills(xero_sandbox, connection) if b["InvoiceID"] == link.xero_id)
    assert (bill["InvoiceNumber"], bill["Status"]) == ("INV-100001-A", "DRAFT")
    assert sync_kind_run(connection_id=connection.pk, kind=Kind.INVOICE).updated == 0


@pytest.mark.django_db
def test_a_bill_dated_in_a_locked_period_waits_then_takes_the_first_open_day(prerequisites, procore_sandbox,
                                                                            xero_sandbox):
    from datetime import date, timedelta

    from tests.sandbox.xero.helpers import control
    from tests.sandboxes import calls, calls_reset

    connection = prerequisites
    set_settings(connection, approve_commitments=False, approve_invoices=False, bill_status="AUTHORISED")
    sync_kind_run(connection_id=connection.pk, kind=Kind.COMMITMENT)
    exported = (3600000, 3600001, 3600002, 3600006, 3600007)
    billed = {r["id"]: date.fromisoformat(r["billing_date"]) for r in sandbox_rows(procore_sandbox, "requisitions")
              if r["id"] in exported}
    first = min(billed, key=billed.get)
    lock = billed[first]  # the accountant closed the books up to the earliest invoice's day
    control(xero_sandbox, "organisation", {"tenant_id": connection.xero_tenant_id, "PeriodLockDate": lock.isoformat()})
    locked = {i for i, day in billed.items() if day <= lock}

    run = sync_kind_run(connection_id=connection.pk, kind=Kind.INVOICE)
    assert (run.created, run.failed) == (len(exported) - len(locked), len(locked) + 1)  # + the negative one
    link = Link.objects.get(connection=connection, kind=Kind.INVOICE, procore_id=str(first))
    words = f"{lock.day} {lock:%b %Y}"
    assert link.state == State.FAILED and link.last_error == (
        f"Waiting: the bill is dated {words}, in a period closed in Xero (the period lock date is {words}). "
        "Xero takes no approved bill dated on or before it.")
    assert "move the lock date in Xero" in link.hint and "first open day" in link.hint
    calls_reset(xero_sandbox)
    again = sync_kind_run(connection_id=connection.pk, kind=Kind.INVOICE)  # checked before writing: never sent
    assert (again.created, again.failed) == (0, 0) and "POST /api.xro/2.0/Invoices" not in calls(xero_sandbox)

    set_settings(connection, first_open_day_for_locked_bills=True)
    run = sync_kind_run(connection_id=connection.pk, kind=Kind.INVOICE)
    assert (run.created, run.failed) == (len(locked), 0)
    link.refresh_from_db()
    bill = next(b for b in bills(xero_sandbox, connection) if b["InvoiceID"] == link.xero_id)
    assert bill["Status"] == "AUTHORISED" and bill["InvoiceNumber"] == link.document_number
    from datetime import datetime, timezone
    moved = datetime.fromtimestamp(int(bill["Date"][6:19]) / 1000, tz=timezone.utc).date()  # /Date(ms+0000)/
    assert moved == lock + timedelta(days=1)
    assert bill["LineItems"][0]["Description"].startswith(f"Dated {words} in Procore; Xero's books are locked up "
                                                          f"to {words}.")
    assert "the first open day after its lock date" in " ".join(run.records.filter(link=link)
                                                                .values_list("message", flat=True))
    assert sync_kind_run(connection_id=connection.pk, kind=Kind.INVOICE).updated == 0  # the date stays put


@pytest.mark.django_db
def test_a_negative_invoice_becomes_a_supplier_credit_note_allocated_to_its_commitments_bill(
        prerequisites, procore_sandbox, xero_sandbox):
    connection = prerequisites
    set_settings(connection, approve_commitments=False, approve_invoices=False, bill_status="AUTHORISED",
                 negative_invoices_as_credit_notes=True)
    sync_kind_run(connection_id=connection.pk, kind=Kind.COMMITMENT)
    run = sync_kind_run(connection_id=connection.pk, kind=Kind.INVOICE)
    assert (run.created, run.failed) == (6, 0)
    link = Link.objects.get(connection=connection, kind=Kind.INVOICE, procore_id="3600005")
    sibling = Link.objects.get(connection=connection, kind=Kind.INVOICE, procore_id="3600001")  # same commitment
    [note] = [n for n in sandbox_rows(xero_sandbox, "CreditNotes", connection.xero_tenant_id)
              if n["CreditNoteID"] == link.xero_id]
    # All of it went onto the bill: Xero marks a credit note with nothing left PAID.
    assert (note["Type"], note["Status"], amount(note["Total"])) == ("ACCPAYCREDIT", "PAID", Decimal("514.04"))
    assert note["CreditNoteNumber"] == link.document_number and amount(note["RemainingCredit"]) == 0
    bill = next(b for b in bills(xero_sandbox, connection) if b["InvoiceID"] == sibling.xero_id)
    assert amount(bill["AmountDue"]) == amount(bill["Total"]) - Decimal("514.04")
    said = " ".join(link.records.values_list("message", flat=True))
    assert f"allocated to bill {sibling.document_number} in Xero" in said
    stamped = next(r for r in sandbox_rows(procore_sandbox, "requisitions") if r["id"] == 3600005)
    assert stamped["origin_id"] == note["CreditNoteID"]  # Procore shows it is in Xero

    again = sync_kind_run(connection_id=connection.pk, kind=Kind.INVOICE)
    assert (again.created, again.updated, again.failed) == (0, 0, 0)
    assert [n["CreditNoteNumber"] for n in sandbox_rows(xero_sandbox, "CreditNotes", connection.xero_tenant_id)
            if n["Type"] == "ACCPAYCREDIT"].count(note["CreditNoteNumber"]) == 1  # made once


@pytest.mark.django_db
def test_backup_files_wait_for_a_later_day_when_xeros_daily_calls_run_low_and_can_be_switched_off(
        prerequisites, xero_sandbox, settings):
    from connector.clients import xero_client_for

    connection = prerequisites
    set_settings(connection, approve_commitments=False, approve_invoices=False)
    sync_kind_run(connection_id=connection.pk, kind=Kind.COMMITMENT)
    settings.XERO_CALLS_PER_DAY, settings.XERO_DAY_SHARE_KEPT_FROM_FILES = 1000, 0.999  # every call counts
    run = sync_kind_run(connection_id=connection.pk, kind=Kind.INVOICE)
    made = bills(xero_sandbox, connection)
    assert len(made) == 5 and run.created == 5
    xero = xero_client_for(connection)
    assert not any(xero.invoice_attachments(b["InvoiceID"]) for b in made)
    assert run.records.filter(message__startswith="The files of 5 bill(s) wait for a later day").exists(), \
        [m for m in run.records.values_list("message", flat=True) if m]

    settings.XERO_DAY_SHARE_KEPT_FROM_FILES = 0.4  # the next day: room again
    sync_kind_run(connection_id=connection.pk, kind=Kind.INVOICE)
    assert sum(len(xero.invoice_attachments(b["InvoiceID"])) for b in made) == 5
    assert len(bills(xero_sandbox, connection)) == 5


@pytest.mark.django_db
def test_a_connection_without_backup_makes_its_bills_without_files(prerequisites, xero_sandbox):
    from connector.clients import xero_client_for

    connection = prerequisites
    set_settings(connection, approve_commitments=False, approve_invoices=False, attach_invoice_backup=False)
    sync_kind_run(connection_id=connection.pk, kind=Kind.COMMITMENT)
    sync_kind_run(connection_id=connection.pk, kind=Kind.INVOICE)
    made, xero = bills(xero_sandbox, connection), xero_client_for(connection)
    assert len(made) == 5 and not any(xero.invoice_attachments(b["InvoiceID"]) for b in made)
    assert not Link.objects.filter(connection=connection, kind=Kind.INVOICE, engine_data__has_key="attach").exists()
