"""The /_sandbox/ console: readable, and its forms act as a Xero user through the API."""

import requests

from .helpers import take_violations


def test_console_page_shows_state_and_forms(xero_sandbox):
    page = requests.get(f"{xero_sandbox.url}/_sandbox/", timeout=5)
    assert page.status_code == 200 and "Xero sandbox" in page.text
    for needle in (
        "Summit Ridge Builders LLC",
        "sandbox-xero-client",
        'action="/_sandbox/console/faults"',
        "action='/_sandbox/console/pay'",
        "Bills awaiting payment",
    ):
        assert needle in page.text


def test_paying_a_bill_in_the_console_goes_through_the_api(xero_sandbox):
    state = xero_sandbox.state
    bill = next(b for b in state.dump("Invoices") if b["Status"] == "AUTHORISED")
    answer = requests.post(
        f"{xero_sandbox.url}/_sandbox/console/pay",
        data={"invoice_id": bill["InvoiceID"], "amount": str(bill["AmountDue"])},
        allow_redirects=False,
        timeout=5,
    )
    assert answer.status_code == 302
    after = next(b for b in state.dump("Invoices") if b["InvoiceID"] == bill["InvoiceID"])
    assert after["Status"] == "PAID"
    assert state.stats.calls["PUT /api.xro/2.0/Payments"] == 1
    too_much = requests.post(
        f"{xero_sandbox.url}/_sandbox/console/pay",
        data={"invoice_id": bill["InvoiceID"], "amount": "1"},
        timeout=5,
    )
    assert too_much.status_code == 400 and "Authorised" in too_much.text
    assert take_violations(xero_sandbox) == []


def test_reversing_a_payment_and_renaming_a_contact_in_the_console(xero_sandbox):
    state = xero_sandbox.state
    payment = next(p for p in state.dump("Payments") if p["Status"] == "AUTHORISED")
    requests.post(f"{xero_sandbox.url}/_sandbox/console/payments/{payment['PaymentID']}/delete", timeout=5)
    assert (
        next(p for p in state.dump("Payments") if p["PaymentID"] == payment["PaymentID"])["Status"]
        == "DELETED"
    )
    contact = state.dump("Contacts")[0]
    requests.post(
        f"{xero_sandbox.url}/_sandbox/console/contacts",
        data={"contact_id": contact["ContactID"], "name": "Renamed In Xero Ltd"},
        timeout=5,
    )
    assert (
        next(c for c in state.dump("Contacts") if c["ContactID"] == contact["ContactID"])["Name"]
        == "Renamed In Xero Ltd"
    )


def test_console_reset_and_faults_forms(xero_sandbox):
    requests.post(
        f"{xero_sandbox.url}/_sandbox/console/faults",
        data={"error_rate": "0.5", "latency_ms": "0", "clock_speed": "10", "rate_limits": "on"},
        timeout=5,
    )
    assert xero_sandbox.state.faults.error_rate == 0.5 and xero_sandbox.state.clock.speed == 10
    requests.post(
        f"{xero_sandbox.url}/_sandbox/console/reset", data={"size": "empty", "seed": "2"}, timeout=5
    )
    assert xero_sandbox.state.size == "empty" and xero_sandbox.state.counts()["Contacts"] == 0
