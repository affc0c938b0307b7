"""Supplier credit notes (ACCPAYCREDIT) allocated to bills, and files attached to bills, as Xero keeps them
(specs/xero/xero_accounting.yaml: /CreditNotes, /CreditNotes/{id}/Allocations, /Invoices/{id}/Attachments)."""

import json

import requests

from .helpers import control, take_violations

Q = "?summarizeErrors=false"


def _one(answer, key):
    assert answer.status_code == 200, answer.text
    return answer.json()[key][0]


def _errors(element) -> str:
    return " | ".join(v["Message"] for v in element.get("ValidationErrors") or [])


def _contacts(api):
    return [c["ContactID"] for c in api.get("/Contacts").json()["Contacts"][:2]]


def _line(amount):
    return {"Description": "Retainage credit", "Quantity": 1, "UnitAmount": amount, "AccountCode": "500"}


def _bill(api, contact, amount=100, status="AUTHORISED"):
    return _one(api.put("/Invoices" + Q, {"Invoices": [{"Type": "ACCPAY", "Contact": {"ContactID": contact},
                                                        "Status": status, "LineItems": [_line(amount)],
                                                        "InvoiceNumber": "SC-9"}]}), "Invoices")


def _credit(api, contact, amount=30, status="AUTHORISED", **extra):
    return _one(api.put("/CreditNotes" + Q, {"CreditNotes": [
        {"Type": "ACCPAYCREDIT", "Contact": {"ContactID": contact}, "Status": status,
         "LineItems": [_line(amount)], "CreditNoteNumber": "SC-9 credit", **extra}]}), "CreditNotes")


def _allocate(api, credit, bill, amount, **extra):
    return _one(api.put(f"/CreditNotes/{credit['CreditNoteID']}/Allocations" + Q, {"Allocations": [
        {"Invoice": {"InvoiceID": bill["InvoiceID"]}, "Amount": amount, "Date": "2026-02-01", **extra}]}),
        "Allocations")


# -- credit notes and allocations -------------------------------------------------------------------
def test_a_supplier_credit_allocated_to_a_bill_lowers_what_is_due(api):
    vendor, _ = _contacts(api)
    bill, credit = _bill(api, vendor, 100), _credit(api, vendor, 30)
    assert (credit["Type"], credit["Status"], credit["RemainingCredit"]) == ("ACCPAYCREDIT", "AUTHORISED", 30)
    allocation = _allocate(api, credit, bill, 25)
    assert allocation["Amount"] == 25 and allocation["Invoice"]["InvoiceID"] == bill["InvoiceID"]
    after = api.get(f"/Invoices/{bill['InvoiceID']}").json()["Invoices"][0]
    assert (after["AmountDue"], after["AmountCredited"], after["Status"]) == (75, 25, "AUTHORISED")
    assert after["CreditNotes"][0]["CreditNoteID"] == credit["CreditNoteID"]
    note = api.get(f"/CreditNotes/{credit['CreditNoteID']}").json()["CreditNotes"][0]
    assert (note["RemainingCredit"], note["Status"]) == (5, "AUTHORISED")
    assert "exceeds the remaining credit" in _errors(_allocate(api, credit, bill, 6))
    _allocate(api, credit, bill, 5)
    spent = api.get(f"/CreditNotes/{credit['CreditNoteID']}").json()["CreditNotes"][0]
    assert (spent["RemainingCredit"], spent["Status"]) == (0, "PAID")
    listed = api.get("/CreditNotes", params={"page": 1, "where": 'Type=="ACCPAYCREDIT"'}).json()
    assert [c["CreditNoteID"] for c in listed["CreditNotes"]] == [credit["CreditNoteID"]]


def test_allocations_need_approved_documents_of_one_contact_within_what_is_due(xero_sandbox, api):
    vendor, other = _contacts(api)
    bill = _bill(api, vendor, 20)
    draft = _credit(api, vendor, 10, status="DRAFT")
    assert "Only an approved (AUTHORISED) credit note" in _errors(_allocate(api, draft, bill, 5))
    credit = _credit(api, vendor, 50)
    assert "exceeds the amount due" in _errors(_allocate(api, credit, bill, 21))
    assert "same type and contact" in _errors(_allocate(api, credit, _bill(api, other, 20), 5))
    assert "approved (AUTHORISED) document" in _errors(_allocate(api, credit, _bill(api, vendor, 20, "DRAFT"), 5))
    assert "period lock date" in _errors(_allocate(api, credit, bill, 5, Date="2024-06-30"))
    assert _allocate(api, credit, bill, 20)["Amount"] == 20
    assert api.get(f"/Invoices/{bill['InvoiceID']}").json()["Invoices"][0]["Status"] == "PAID"
    voided = _one(api.post("/CreditNotes" + Q, {"CreditNotes": [
        {"CreditNoteID": credit["CreditNoteID"], "Status": "VOIDED"}]}), "CreditNotes")
    assert "cannot be voided" in _errors(voided)
    assert take_violations(xero_sandbox) == []


def test_a_credit_note_follows_the_rules_of_a_bill(api):
    vendor, _ = _contacts(api)
    no_account = _one(api.put("/CreditNotes" + Q, {"CreditNotes": [
        {"Type": "ACCPAYCREDIT", "Contact": {"ContactID": vendor}, "Status": "AUTHORISED",
         "LineItems": [{"Description": "x", "Quantity": 1, "UnitAmount": 5}]}]}), "CreditNotes")
    assert _errors(no_account) == "Account code or ID must be specified"
    credit = _credit(api, vendor, 10)
    back = _one(api.post("/CreditNotes" + Q, {"CreditNotes": [
        {"CreditNoteID": credit["CreditNoteID"], "Status": "DRAFT"}]}), "CreditNotes")
    assert _errors(back) == "Credit Note not of valid status for modification"
    locked = _credit(api, vendor, 10, Date="2024-12-31")
    assert "period lock date, currently set at 31-Dec-2024" in _errors(locked)


def test_credit_notes_send_creditnote_webhooks_with_type_and_status(xero_sandbox, api):
    received = []
    from flask import Flask, request

    from sandbox.core.server import ServerThread
    from sandbox.xero.webhooks import sign

    app = Flask("receiver")

    @app.post("/hook")
    def hook():
        good = request.headers.get("x-xero-signature") == sign("sandbox-xero-webhook-key", request.get_data())
        received.append(json.loads(request.get_data()))
        return ("", 200) if good else ("", 401)

    with ServerThread(app) as server:
        assert control(xero_sandbox, "webhooks", {"url": f"{server.url}/hook"})["active"]
        received.clear()
        vendor, _ = _contacts(api)
        credit = _credit(api, vendor, 12, status="DRAFT")
        control(xero_sandbox, "webhooks/flush")
    events = [e for batch in received for e in batch["events"]]
    mine = [e for e in events if e["resourceId"] == credit["CreditNoteID"]]
    assert mine and mine[0]["eventCategory"] == "CREDITNOTE" and mine[0]["eventType"] == "CREATE"
    assert mine[0]["data"] == {"Type": "ACCPAYCREDIT", "Status": "DRAFT"}
    assert mine[0]["resourceUrl"].endswith(f"/CreditNotes/{credit['CreditNoteID']}")


# -- attachments ------------------------------------------------------------------------------------
PDF = b"%PDF-1.4\n% pay application\n%%EOF\n"


def _upload(api, bill, name, body=PDF, method="PUT"):
    return api.call(method, f"/Invoices/{bill['InvoiceID']}/Attachments/{name}", data=body,
                    headers={"Content-Type": "application/octet-stream"})


def test_a_bill_takes_the_pay_application_pdf_and_lists_it(api):
    vendor, _ = _contacts(api)
    bill = _bill(api, vendor)
    answer = _upload(api, bill, "Pay Application 7.pdf")
    assert answer.status_code == 200, answer.text
    attachment = answer.json()["Attachments"][0]
    assert (attachment["FileName"], attachment["MimeType"], attachment["ContentLength"]) == (
        "Pay Application 7.pdf", "application/pdf", len(PDF))
    listed = api.get(f"/Invoices/{bill['InvoiceID']}/Attachments").json()["Attachments"]
    assert [a["AttachmentID"] for a in listed] == [attachment["AttachmentID"]]
    content = api.get(f"/Invoices/{bill['InvoiceID']}/Attachments/{attachment['AttachmentID']}",
                      headers={"contentType": "application/pdf"})
    assert content.content == PDF
    again = _upload(api, bill, "Pay Application 7.pdf", PDF + b"v2", method="POST")  # same name: replaced
    assert again.json()["Attachments"][0]["AttachmentID"] == attachment["AttachmentID"]
    assert len(api.get(f"/Invoices/{bill['InvoiceID']}/Attachments").json()["Attachments"]) == 1
    assert api.get(f"/Invoices/{bill['InvoiceID']}").json()["Invoices"][0]["HasAttachments"] is True


def test_attachments_are_limited_in_number_size_and_type(xero_sandbox, api):
    vendor, _ = _contacts(api)
    bill = _bill(api, vendor)
    for n in range(10):
        assert _upload(api, bill, f"page {n}.pdf").status_code == 200
    eleventh = _upload(api, bill, "page 10.pdf")
    assert eleventh.status_code == 400 and "at most 10 attachments" in eleventh.text
    other = _bill(api, vendor)
    big = _upload(api, other, "scan.pdf", b"0" * (10 * 1024 * 1024 + 1))
    assert big.status_code == 400 and "larger than the maximum of 10 MB" in big.text
    script = _upload(api, other, "run.exe")
    assert script.status_code == 400 and "not supported" in script.text
    take_violations(xero_sandbox)


def test_attachments_need_the_attachments_scope(xero_sandbox):
    from xero_client import DEFAULT_SCOPES

    from .helpers import Api, connect

    api = Api(xero_sandbox, connect(xero_sandbox, scopes=[s for s in DEFAULT_SCOPES
                                                          if s != "accounting.attachments"]))
    vendor, _ = _contacts(api)
    answer = _upload(api, _bill(api, vendor), "a.pdf")
    assert answer.status_code == 403
    assert requests.get(f"{xero_sandbox.url}/_sandbox/contract", timeout=5).status_code == 200
