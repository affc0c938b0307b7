"""Done-when: the xero-python SDK (through our client) tours the emulator end to end."""

from datetime import date

import pytest

from tests.sandbox.xero.helpers import consent, control, oauth_for
from xero_client import XeroClient, XeroRateLimited


def test_scripted_tour(xero_sandbox):
    # Connect by OAuth: consent page → code → tokens → the organisation just authorised.
    oauth = oauth_for(xero_sandbox)
    tokens = [oauth.exchange_code(consent(xero_sandbox)["code"])]
    tenant = oauth.connections(tokens[0].access_token, tokens[0].auth_event_id)[0]["tenantId"]

    def refresh(_reason):
        tokens.append(oauth.refresh(tokens[-1].refresh_token))

    client = XeroClient(
        xero_sandbox.url,
        tenant,
        lambda: tokens[-1],
        on_unauthorized=refresh,
        client_id=oauth.client_id,
        client_secret=oauth.client_secret,
    )

    # Read every resource.
    assert client.organisation().country_code.value == "US"
    assert [c.tenant_id for c in client.connections()] == [tenant]
    bank = next(a for a in client.accounts() if a.type.value == "BANK")
    assert {t.tax_type for t in client.tax_rates()} >= {"NONE", "INPUT"}
    assert client.items() == []
    job = next(c for c in client.tracking_categories() if c.name == "Job")
    reads = {
        kind: sum(len(p.records) for p in client.iter_pages(kind, page_size=10))
        for kind in (
            "contacts",
            "invoices",
            "purchase_orders",
            "payments",
            "bank_transactions",
            "manual_journals",
        )
    }
    assert reads["contacts"] == 19 and reads["invoices"] == 6 and reads["payments"] == 6
    assert client.batch_payments() == []

    # Write each kind.
    option = client.create_tracking_option(job.tracking_category_id, "Denver Library 001", "tour-option")
    track = [{"TrackingCategoryID": job.tracking_category_id, "TrackingOptionID": option.tracking_option_id}]
    [item] = client.write_batch(
        "items",
        [
            {
                "Code": "03-100.S",
                "Name": "Concrete subcontract",
                "IsSold": False,
                "PurchaseDetails": {"AccountCode": "500"},
            }
        ],
        "tour-items",
    )
    [contact] = client.write_batch(
        "contacts", [{"Name": "Tour Steel Erectors LLC", "ContactNumber": "PC-77"}], "tour-contacts"
    )
    line = {
        "Description": "Steel",
        "Quantity": 2,
        "UnitAmount": 1500,
        "ItemCode": "03-100.S",
        "AccountCode": "500",
        "Tracking": track,
    }
    [po] = client.write_batch(
        "purchase_orders",
        [
            {
                "Contact": {"ContactID": contact.id},
                "Date": date(2026, 1, 5),
                "LineItems": [line],
                "Status": "AUTHORISED",
                "LineAmountTypes": "NoTax",
            }
        ],
        "tour-po",
    )
    [bill] = client.write_batch(
        "invoices",
        [
            {
                "Type": "ACCPAY",
                "Contact": {"ContactID": contact.id},
                "InvoiceNumber": "REQ-1",
                "LineItems": [line],
                "Status": "AUTHORISED",
                "LineAmountTypes": "NoTax",
            }
        ],
        "tour-bill",
    )
    assert all(r.ok for r in (item, contact, po, bill)) and bill.record.total == 3000
    payment = client.create_payment(bill.id, bank.code, 1000, date(2026, 2, 1), "CHK 1", "tour-pay")
    assert client.invoices_by_ids([bill.id])[0].amount_due == 2000
    assert client.delete_payment(payment.payment_id).status == "DELETED"
    assert client.invoices_by_ids([bill.id])[0].amount_due == 3000

    # Hit a validation error: the element comes back with Xero's words, the batch does not raise.
    [duplicate] = client.write_batch("contacts", [{"Name": "tour steel erectors llc"}], "tour-dup")
    assert not duplicate.ok and "must be unique" in duplicate.errors[0]

    # Hit a 429 and recover after Retry-After.
    control(xero_sandbox, "faults", {"force_429": 1})
    with pytest.raises(XeroRateLimited) as limited:
        client.organisation()
    assert limited.value.problem == "minute" and limited.value.retry_after == 1
    assert client.organisation().name == "Summit Ridge Builders LLC"

    # Replay an idempotent write: same key, same answer, nothing duplicated.
    [again] = client.write_batch(
        "contacts", [{"Name": "Tour Steel Erectors LLC", "ContactNumber": "PC-77"}], "tour-contacts"
    )
    assert again.ok and again.id == contact.id
    assert [c["Name"] for c in xero_sandbox.state.dump("Contacts")].count("Tour Steel Erectors LLC") == 1
