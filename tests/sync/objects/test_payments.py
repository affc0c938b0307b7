"""Bill payments on bills we exported become Procore payments issued on the invoice's commitment, once."""

import uuid
from collections import Counter
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import requests

from connector.clients import procore_client_for, xero_client_for
from connector.models import ConnectionSettings, Kind, Link
from sync.objects.invoices import target_from_url
from sync.services import sync_kind_run
from tests.sandboxes import calls, calls_reset, data, faults

State = Link.State


def sync(connection):
    return sync_kind_run(connection_id=connection.pk, kind=Kind.PAYMENT)


@pytest.fixture
def bill(connection, procore_sandbox, xero_sandbox):
    """An approved subcontractor invoice exported as an authorised bill of 1,000.10, payment sync on since 1 March."""
    faults(procore_sandbox, rate_limits=False)
    ConnectionSettings.objects.filter(connection=connection).update(
        payments_cadence="hourly", payments_enabled_at=datetime(2026, 3, 1, tzinfo=UTC))
    contract = next(c for c in data(procore_sandbox, "work_order_contracts") if c["status"] == "Approved")
    paid = {p["requisition_id"] for p in data(procore_sandbox, "contract_payments")}
    requisition = next((r for r in data(procore_sandbox, "requisitions", commitment_id=contract["id"])
                        if r["id"] not in paid), {"id": 990001})  # one Procore shows no payment for yet
    xero = xero_client_for(connection)
    contact = next(c for c in data(xero_sandbox, "Contacts", _tenant=connection.xero_tenant_id, ContactStatus="ACTIVE"))
    url = (f"https://app.procore.com/{contract['project_id']}/project/commitments/{contract['id']}"
           f"/invoices/{requisition['id']}")
    result = xero.write_batch("invoices", [{
        "Type": "ACCPAY", "Contact": {"ContactID": contact["ContactID"]}, "InvoiceNumber": "PAY-TEST-1",
        "Date": "2026-03-01", "DueDate": "2026-03-31", "Url": url, "LineAmountTypes": "NoTax", "Status": "AUTHORISED",
        "LineItems": [{"Description": "Progress billing", "Quantity": 1, "UnitAmount": 1000.10, "AccountCode": "500"}],
    }], f"bill-{uuid.uuid4()}")[0]
    assert result.ok, result.errors
    Link.objects.create(connection=connection, kind=Kind.INVOICE, procore_id=str(requisition["id"]),
                        xero_id=result.id, label="PAY-TEST-1", state=State.SYNCED, remote_total=Decimal("1000.10"))
    return {"id": result.id, "contract": contract, "requisition_id": requisition["id"], "xero": xero}


def pay(bill, amount, day, reference):
    return bill["xero"].create_payment(bill["id"], "090", amount, date=day, reference=reference,
                                       idempotency_key=f"pay-{uuid.uuid4()}").payment_id


def issued(procore_sandbox, bill):
    return [p for p in data(procore_sandbox, "contract_payments", contract_id=bill["contract"]["id"]) if p["origin_id"]]


# -- mapper ----------------------------------------------------------------------------------------
def test_the_bill_url_names_project_commitment_and_invoice():
    assert target_from_url("https://app.procore.com/28/project/commitments/31/invoices/77") == \
        {"project_id": 28, "contract_id": 31, "requisition_id": 77}
    assert target_from_url("https://example.com/bill") is None and target_from_url(None) is None


# -- behaviour -------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_partial_then_final_payment_are_issued_once_each_to_the_cent(connection, bill, procore_sandbox):
    first = pay(bill, "400.05", date(2026, 3, 5), "10417")
    run = sync(connection)
    [payment] = issued(procore_sandbox, bill)
    assert (payment["origin_id"], payment["amount"], payment["date"], payment["check_number"],
            payment["payment_method"], payment["requisition_id"], payment["invoice_number"]) == \
        (first, "400.05", "2026-03-05", "10417", "check", bill["requisition_id"], "PAY-TEST-1")
    assert run.created == 1
    # Seeded payments on bills we did not make stay in Xero.
    assert Link.objects.filter(connection=connection, kind=Kind.PAYMENT).count() == 1

    second = pay(bill, "600.05", date(2026, 3, 20), "10418")
    sync(connection)
    again = sync(connection)
    rows = issued(procore_sandbox, bill)
    assert sorted((p["origin_id"], p["amount"]) for p in rows) == sorted([(first, "400.05"), (second, "600.05")])
    assert (again.created, again.failed) == (0, 0)
    link = Link.objects.get(connection=connection, kind=Kind.PAYMENT, xero_id=second)
    assert link.state == State.SYNCED and link.procore_id == str(next(p["id"] for p in rows if p["origin_id"] == second))


@pytest.mark.django_db
def test_a_bill_we_exported_knows_its_commitment_so_its_payment_costs_no_bill_read(connection, bill, procore_sandbox,
                                                                                  xero_sandbox):
    Link.objects.filter(connection=connection, kind=Kind.INVOICE, xero_id=bill["id"]).update(
        project_id=str(bill["contract"]["project_id"]), parent_id=str(bill["contract"]["id"]))
    paid = pay(bill, "1000.10", date(2026, 3, 5), "10420")
    calls_reset(xero_sandbox)
    assert sync(connection).created == 1
    assert [p["origin_id"] for p in issued(procore_sandbox, bill)] == [paid]
    assert "GET /api.xro/2.0/Invoices" not in calls(xero_sandbox)  # the invoice export remembered where it goes


@pytest.mark.django_db
def test_payments_dated_before_payment_sync_was_switched_on_are_left_out(connection, bill, procore_sandbox):
    pay(bill, "100.00", date(2026, 2, 27), "10400")
    run = sync(connection)
    assert not issued(procore_sandbox, bill)
    assert "1 payment(s) dated before payment sync was switched on (2026-03-01)" in \
        run.records.get(action="skipped").message


@pytest.mark.django_db
def test_a_reversed_payment_is_removed_and_a_refusal_waits_visibly_until_it_is_gone(connection, bill,
                                                                                   procore_sandbox):
    payment_id = pay(bill, "250.00", date(2026, 3, 6), "10420")
    sync(connection)
    [payment] = issued(procore_sandbox, bill)
    bill["xero"].delete_payment(payment_id, idempotency_key=f"del-{uuid.uuid4()}")

    sync(connection)
    # The sandbox, as Procore documents for contract payments, refuses to delete one that carries an origin_id.
    link = Link.objects.get(connection=connection, kind=Kind.PAYMENT, xero_id=payment_id)
    assert issued(procore_sandbox, bill) == [payment]
    assert link.state == State.FAILED and "250.00 on bill PAY-TEST-1 was deleted (reversed) in Xero" in link.last_error
    assert "Unlink it in Procore" in link.hint

    with procore_sandbox.state.lock:  # a Procore admin unlinks and deletes it by hand
        del procore_sandbox.state.table("contract_payments")[payment["id"]]
    run = sync(connection)  # the reversal is retried from its stored copy; gone counts as removed
    link.refresh_from_db()
    assert link.state == State.ARCHIVED and run.records.get(link=link).action == "deleted"
    assert not issued(procore_sandbox, bill) and sync(connection).created == 0


@pytest.mark.django_db
def test_canadian_organisations_show_why_payments_do_not_sync(connection, bill, procore_sandbox):
    pay(bill, "100.00", date(2026, 3, 5), "10401")
    connection.xero_country = "CA"
    connection.save(update_fields=["xero_country"])
    run = sync(connection)
    assert not issued(procore_sandbox, bill)
    assert "US Xero organisations only" in run.records.get(action="skipped").message


@pytest.mark.django_db
def test_lost_answers_and_server_errors_never_issue_a_payment_twice(connection, bill, procore_sandbox,
                                                                    xero_sandbox):
    amounts = ["100.01", "200.02", "150.50", "49.99"]
    ids = [pay(bill, a, date(2026, 3, 10 + n), f"1050{n}") for n, a in enumerate(amounts)]
    for server in (procore_sandbox, xero_sandbox):
        faults(server, drop_after_commit_rate=0.5, error_rate=0.2, seed=7)
    links = Link.objects.filter(connection=connection, kind=Kind.PAYMENT, xero_id__in=ids)
    for _ in range(15):
        sync(connection)
        if links.filter(state=State.SYNCED).count() == len(ids):
            break
    stats = [requests.get(f"{s.url}/_sandbox/stats", timeout=10).json() for s in (procore_sandbox, xero_sandbox)]
    for server in (procore_sandbox, xero_sandbox):
        faults(server, drop_after_commit_rate=0, error_rate=0)
    sync(connection)

    assert links.filter(state=State.SYNCED).count() == len(ids)
    rows = issued(procore_sandbox, bill)
    assert Counter(p["origin_id"] for p in rows) == Counter(ids)
    assert {p["origin_id"]: p["amount"] for p in rows} == dict(zip(ids, amounts))
    assert any(s["drops_injected"] for s in stats) and any(s["errors_injected"] for s in stats)


@pytest.mark.django_db
def test_a_payment_on_a_bill_that_cannot_be_traced_to_a_commitment_waits_visibly(connection, bill, procore_sandbox,
                                                                                 xero_sandbox):
    seeded = next(b for b in data(xero_sandbox, "Invoices", _tenant=connection.xero_tenant_id, Status="AUTHORISED")
                  if b["AmountDue"] and float(b["AmountDue"]) > 1 and not b.get("Url"))
    Link.objects.create(connection=connection, kind=Kind.INVOICE, procore_id="990002", xero_id=seeded["InvoiceID"],
                        state=State.SYNCED)
    payment_id = bill["xero"].create_payment(seeded["InvoiceID"], "090", "1.00", date=date(2026, 3, 7),
                                             reference="10499").payment_id
    before = data(procore_sandbox, "contract_payments")
    sync(connection)
    link = Link.objects.get(connection=connection, kind=Kind.PAYMENT, xero_id=payment_id)
    assert link.state == State.FAILED and f"bill {seeded['InvoiceNumber']} cannot be placed" in link.last_error
    assert data(procore_sandbox, "contract_payments") == before


def by_hand(connection, bill, amount, day, cheque):
    """A payment someone records in Procore themselves (no origin_id)."""
    return procore_client_for(connection).create_contract_payment(
        bill["contract"]["project_id"], bill["contract"]["id"],
        {"amount": amount, "date": day, "check_number": cheque, "requisition_id": bill["requisition_id"],
         "invoice_number": "PAY-TEST-1", "payment_method": "check"})


@pytest.mark.django_db
def test_a_xero_payment_procore_already_shows_is_refused_and_the_rest_of_the_invoice_still_syncs(
        connection, bill, procore_sandbox):
    # Someone recorded the cheque in Procore by hand; the bookkeeper then records the same cheque in Xero.
    manual = by_hand(connection, bill, "600.00", "2026-03-05", "10417")
    payment_id = pay(bill, "600.00", date(2026, 3, 5), "10417")
    run = sync(connection)
    assert issued(procore_sandbox, bill) == [], "no second payment of the same money"
    link = Link.objects.get(connection=connection, kind=Kind.PAYMENT, xero_id=payment_id)
    assert link.state == State.FAILED and "already shows a payment of 600.00 on 2026-03-05" in link.last_error
    assert "delete the one entered by hand" in link.hint and run.failed == 1
    assert sync(connection).failed == 0, "said once: not retried every run while nothing changed"

    rest = pay(bill, "400.10", date(2026, 3, 9), "10431")  # the balance: 600.00 + 400.10 is the invoice
    sync(connection)
    assert [p["origin_id"] for p in issued(procore_sandbox, bill)] == [rest]
    assert {p["id"] for p in data(procore_sandbox, "contract_payments", requisition_id=bill["requisition_id"])
            if not p["origin_id"]} == {manual["id"]}


@pytest.mark.django_db
def test_a_xero_payment_that_would_overpay_the_invoice_in_procore_is_refused(connection, bill, procore_sandbox):
    by_hand(connection, bill, "700.00", "2026-03-01", "9001")
    payment_id = pay(bill, "600.00", date(2026, 3, 5), "10417")
    sync(connection)
    link = Link.objects.get(connection=connection, kind=Kind.PAYMENT, xero_id=payment_id)
    assert link.state == State.FAILED and issued(procore_sandbox, bill) == []
    assert ("Procore already shows 700.00 paid on invoice PAY-TEST-1 of 1000.10; this payment of 600.00 would take "
            "it over, to 1300.00.") in link.last_error
