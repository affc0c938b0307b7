"""The money end to end on a real Celery worker, asserted on the sandboxes' data:
project accepted, vendor linked, commitment → PO, change order → appended lines, invoice → bill,
bill payment → payment issued, spend money → direct cost; the refusals say why."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
import requests
from django.utils import timezone

from connector.clients import procore_client_for, xero_client_for
from connector.models import ConnectionSettings, Kind, Link
from connector.services.approvals import approval_accept
from connector.services.project_settings import job_costs_enable
from connector.services.projects import project_send_to_queue
from connector.services.vendors import export_vendor, link_by_hand
from sync.tasks import sync_kind_task, sync_scope_task
from tests.workers import scope_to_end, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
State = Link.State
PO2, SC3, CO_PO2, BILL_PO2, NEGATIVE = 8600000, 8100001, 4400003, 3600007, 3600005


def rows(server, resource, tenant=None):
    found = requests.get(f"{server.url}/_sandbox/data/{resource}", timeout=10).json()
    return [r for r in found if tenant is None or r.get("_tenant") == tenant]


def run(connection, kind):
    return sync_kind_task.delay(connection.pk, kind, "manual").get(timeout=300)


def accept_all(connection, kind):
    waiting = list(Link.objects.filter(connection=connection, kind=kind, state=State.AWAITING_APPROVAL))
    approval_accept(links=waiting)  # queues the export on the worker
    assert wait_for(lambda: not Link.objects.filter(pk__in=[l.pk for l in waiting])
                    .exclude(state__in=[State.SYNCED, State.FAILED]).exists())
    return waiting


def link(connection, kind, procore_id):
    return Link.objects.get(connection=connection, kind=kind, procore_id=str(procore_id))


def money(value) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


def test_the_whole_chain(sandbox_settings, connection, celery_worker_process, procore_sandbox, xero_sandbox):
    tenant = connection.xero_tenant_id
    for server in (procore_sandbox, xero_sandbox):
        requests.post(f"{server.url}/_sandbox/faults", json={"rate_limits": False}, timeout=5)
    ConnectionSettings.objects.filter(connection=connection).update(
        purchase_account_code="500", po_status="AUTHORISED", bill_status="AUTHORISED", payments_cadence="hourly",
        payments_enabled_at=timezone.now() - timedelta(days=1))
    procore = procore_client_for(connection)
    contract = procore.commitment("purchase_order_contracts", next(
        c["project_id"] for c in rows(procore_sandbox, "purchase_order_contracts") if c["id"] == PO2), PO2)
    project_id = contract["project"]["id"] if contract.get("project") else contract["project_id"]
    sc3_project = next(c["project_id"] for c in rows(procore_sandbox, "work_order_contracts") if c["id"] == SC3)

    # Reference data, then the people: the projects go through the queue, the vendor is exported.
    scope_to_end(sync_scope_task.delay(connection.pk, "company", "manual"))
    for project in {project_id, sc3_project}:
        project_send_to_queue(connection, project)
    accept_all(connection, Kind.PROJECT)
    vendor = link(connection, Kind.VENDOR, contract["vendor"]["id"])
    same_name = Link.objects.filter(connection=connection, kind=Kind.VENDOR, procore_id="",
                                    label__iexact=vendor.label).first()
    if same_name:  # Xero already knows the company: link it (exporting would clash on the name)
        link_by_hand(connection, vendor, same_name)
    else:
        export_vendor([vendor])
        accept_all(connection, Kind.VENDOR)
    assert link(connection, Kind.PROJECT, project_id).state == State.SYNCED
    vendor = link(connection, Kind.VENDOR, contract["vendor"]["id"])
    assert vendor.state == State.SYNCED, vendor.last_error

    # Commitment → purchase order; a commitment whose vendor is not linked says so.
    run(connection, Kind.COMMITMENT)
    accept_all(connection, Kind.COMMITMENT)
    po_link = link(connection, Kind.COMMITMENT, PO2)
    refused = link(connection, Kind.COMMITMENT, SC3)
    assert refused.state == State.WAITING and "not linked to a Xero contact" in refused.last_error
    po = next(p for p in rows(xero_sandbox, "PurchaseOrders", tenant) if p["PurchaseOrderID"] == po_link.xero_id)
    contact = link(connection, Kind.VENDOR, contract["vendor"]["id"]).xero_id
    option = link(connection, Kind.PROJECT, project_id).xero_id
    sov = procore.commitment_line_items("purchase_order_contracts", project_id, PO2)
    assert po["Contact"]["ContactID"] == contact
    assert money(po["Total"]) == sum(money(line["amount"]) for line in sov)
    assert all(line["Tracking"][0]["TrackingOptionID"] == option for line in po["LineItems"])
    before = {line["LineItemID"] for line in po["LineItems"]}

    # An approved change order appends lines and keeps the old ones.
    requests.post(f"{procore_sandbox.url}/_sandbox/act/approve_change_order", data={"id": CO_PO2}, timeout=10)
    run(connection, Kind.CHANGE_ORDER)
    accept_all(connection, Kind.CHANGE_ORDER)
    po = next(p for p in rows(xero_sandbox, "PurchaseOrders", tenant) if p["PurchaseOrderID"] == po_link.xero_id)
    after = {line["LineItemID"] for line in po["LineItems"]}
    assert before < after and len(after) > len(before)

    # Invoice → bill with contact, tracking and the amount due; a negative invoice is refused.
    run(connection, Kind.INVOICE)
    accept_all(connection, Kind.INVOICE)
    bill_link = link(connection, Kind.INVOICE, BILL_PO2)
    bill = next(b for b in rows(xero_sandbox, "Invoices", tenant) if b["InvoiceID"] == bill_link.xero_id)
    requisition = next(r for r in rows(procore_sandbox, "requisitions") if r["id"] == BILL_PO2)
    assert bill["Type"] == "ACCPAY" and bill["Contact"]["ContactID"] == contact
    assert money(bill["AmountDue"]) == money(requisition["summary"]["current_payment_due"])
    assert all(line["Tracking"][0]["TrackingOptionID"] == option for line in bill["LineItems"])
    assert "egative invoices are not exported" in link(connection, Kind.INVOICE, NEGATIVE).last_error

    # A bill payment in Xero → a payment issued in Procore.
    paid = xero_client_for(connection).create_payment(bill_link.xero_id, "090", Decimal("1000.00"),
                                                      date=date.today(), reference="CHK 1042")
    run(connection, Kind.PAYMENT)
    issued = [p for p in rows(procore_sandbox, "contract_payments") if p.get("origin_id") == paid.payment_id]
    assert len(issued) == 1 and money(issued[0]["amount"]) == Decimal("1000.00")

    # Spend money coded to the project's option → a Procore direct cost.
    job_costs_enable(link(connection, Kind.PROJECT, project_id), True)
    item = Link.objects.filter(connection=connection, kind=Kind.COST_CODE, state=State.SYNCED).first().label
    category = next(c for c in rows(xero_sandbox, "TrackingCategories", tenant) if c["Name"] == "Job")
    token = xero_sandbox.state.auth.console_token()  # a bookkeeper in Xero (our app only reads spend)
    spend = {"Type": "SPEND", "Contact": {"ContactID": contact}, "BankAccount": {"Code": "090"},
             "LineAmountTypes": "NoTax", "Reference": "Crane 77", "Date": date.today().isoformat(),
             "LineItems": [{"Description": "Crane hire", "Quantity": 1, "UnitAmount": 777.77, "AccountCode": "520",
                            "ItemCode": item, "Tracking": [{"TrackingCategoryID": category["TrackingCategoryID"],
                                                            "TrackingOptionID": option}]}]}
    answer = requests.put(f"{xero_sandbox.url}/api.xro/2.0/BankTransactions", json={"BankTransactions": [spend]},
                          headers={"Authorization": f"Bearer {token}", "xero-tenant-id": tenant}, timeout=10)
    spend_id = answer.json()["BankTransactions"][0]["BankTransactionID"]
    run(connection, Kind.JOB_COST)
    costs = [c for c in rows(procore_sandbox, "direct_costs") if (c.get("origin_id") or "").startswith(spend_id)]
    assert len(costs) == 1
    assert money(procore.direct_cost(project_id, costs[0]["id"])["grand_total"]) == Decimal("777.77")

    # Everything again: nothing new anywhere.
    counts = {r: len(rows(xero_sandbox, r, tenant)) for r in ("PurchaseOrders", "Invoices")}
    for kind in (Kind.COMMITMENT, Kind.CHANGE_ORDER, Kind.INVOICE, Kind.PAYMENT, Kind.JOB_COST):
        run(connection, kind)
    assert counts == {r: len(rows(xero_sandbox, r, tenant)) for r in ("PurchaseOrders", "Invoices")}
    assert len([p for p in rows(procore_sandbox, "contract_payments") if p.get("origin_id") == paid.payment_id]) == 1
