"""Signed CONTACT/INVOICE webhooks with the intent-to-receive handshake, delivered on flush."""

import base64
import hashlib
import hmac
import json

import pytest
from flask import Flask, request

from sandbox.core.server import ServerThread
from sandbox.xero import WEBHOOK_KEY

from .helpers import control

Q = "?summarizeErrors=false"


class Receiver:
    """A webhook endpoint as our connector must write it: verify the signature on the raw body."""

    def __init__(self, key=WEBHOOK_KEY, check=True):
        self.events, self.fail_next = [], 0
        app = Flask("receiver")

        @app.post("/hooks/xero/")
        def hook():
            body = request.get_data()
            expected = base64.b64encode(hmac.new(key.encode(), body, hashlib.sha256).digest()).decode()
            if check and not hmac.compare_digest(expected, request.headers.get("x-xero-signature", "")):
                return "", 401
            if self.fail_next:
                self.fail_next -= 1
                return "", 500
            self.events.extend(json.loads(body)["events"])
            return "", 200

        self.server = ServerThread(app).start()
        self.url = f"{self.server.url}/hooks/xero/"


@pytest.fixture
def receiver():
    made = Receiver()
    yield made
    made.server.stop()


def test_intent_to_receive_passes_only_for_a_verifying_receiver(xero_sandbox, receiver):
    assert control(xero_sandbox, "webhooks", {"url": receiver.url})["intent_to_receive"] == {
        "signed_status": 200,
        "badly_signed_status": 401,
        "passed": True,
    }
    lazy = Receiver(check=False)  # accepts anything: Xero refuses to enable it
    try:
        assert control(xero_sandbox, "webhooks", {"url": lazy.url})["intent_to_receive"]["passed"] is False
    finally:
        lazy.server.stop()


def test_contact_and_invoice_changes_are_delivered_signed(xero_sandbox, receiver, api):
    control(xero_sandbox, "webhooks", {"url": receiver.url})
    contact = api.put("/Contacts" + Q, {"Contacts": [{"Name": "Hooked Up LLC"}]}).json()["Contacts"][0]
    bill = api.get("/Invoices?Statuses=AUTHORISED").json()["Invoices"][0]
    api.put(
        "/Payments" + Q,
        {
            "Payments": [
                {"Invoice": {"InvoiceID": bill["InvoiceID"]}, "Account": {"Code": "090"}, "Amount": 1}
            ]
        },
    )
    assert control(xero_sandbox, "webhooks/flush")["delivered_batches"] == 1
    kinds = [(e["eventCategory"], e["eventType"], e["resourceId"]) for e in receiver.events]
    assert ("CONTACT", "CREATE", contact["ContactID"]) in kinds
    assert ("INVOICE", "UPDATE", bill["InvoiceID"]) in kinds
    event = receiver.events[0]
    assert event["tenantType"] == "ORGANISATION" and event["resourceUrl"].endswith(event["resourceId"])
    assert event["tenantId"] == xero_sandbox.state.tenant_ids()[0]


def test_failed_deliveries_are_retried(xero_sandbox, receiver, api):
    control(xero_sandbox, "webhooks", {"url": receiver.url})
    receiver.fail_next = 1
    api.put("/Contacts" + Q, {"Contacts": [{"Name": "Retry Me Inc"}]})
    assert control(xero_sandbox, "webhooks/flush")["pending_events"] == 1
    assert receiver.events == []
    flushed = control(xero_sandbox, "webhooks/flush")
    assert flushed["pending_events"] == 0 and [e["eventType"] for e in receiver.events] == ["CREATE"]
    assert [d["status"] for d in flushed["deliveries"]] == [500, 200]


def test_no_events_without_a_passed_handshake(xero_sandbox, api):
    api.put("/Contacts" + Q, {"Contacts": [{"Name": "Nobody Listens"}]})
    assert control(xero_sandbox, "webhooks", method="GET")["pending_events"] == 0
