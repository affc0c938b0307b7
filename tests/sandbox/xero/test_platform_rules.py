"""Rules real Xero holds integrations to and an emulator could easily let slide: statuses, accounts, lock
dates, field lengths, paging, plans. Each test fails if the emulator accepted what Xero refuses."""

import pytest
import yaml

from sandbox.datasets import XERO_ORGANISATIONS
from sandbox.xero.contract import spec_path

from .helpers import Api, connect, control, take_violations

Q = "?summarizeErrors=false"


def _one(answer, key):
    assert answer.status_code == 200, answer.text
    return answer.json()[key][0]


def _errors(element) -> str:
    return " | ".join(v["Message"] for v in element.get("ValidationErrors") or [])


def _supplier(api):
    return api.get("/Contacts").json()["Contacts"][0]["ContactID"]


def _line(amount=100, **extra):
    return {"Description": "Work", "Quantity": 1, "UnitAmount": amount, "AccountCode": "500", **extra}


def _bill(api, status="DRAFT", lines=None, **extra):
    body = {"Type": "ACCPAY", "Contact": {"ContactID": _supplier(api)}, "Status": status,
            "LineItems": lines or [_line()], "InvoiceNumber": "SC-7", **extra}
    return _one(api.put("/Invoices" + Q, {"Invoices": [body]}), "Invoices")


def _update(api, bill, **fields):
    return _one(api.post("/Invoices" + Q, {"Invoices": [{"InvoiceID": bill["InvoiceID"], **fields}]}), "Invoices")


def _pay(api, bill, amount, **extra):
    return _one(api.put("/Payments" + Q, {"Payments": [
        {"Invoice": {"InvoiceID": bill["InvoiceID"]}, "Account": {"Code": "090"}, "Amount": amount, **extra}]}),
        "Payments")


# -- statuses (developer.xero.com invoices: update draft or submitted, delete draft, void approved) ---------
def test_an_approved_bill_is_never_sent_back_to_draft_or_submitted(api):
    bill = _bill(api, "AUTHORISED")
    for status in ("DRAFT", "SUBMITTED", "DELETED"):
        refused = _update(api, bill, Status=status)
        assert _errors(refused) == "Invoice not of valid status for modification", status
    assert api.get(f"/Invoices/{bill['InvoiceID']}").json()["Invoices"][0]["Status"] == "AUTHORISED"


def test_an_approved_bill_takes_no_edits_only_a_void(api):
    bill = _bill(api, "AUTHORISED")
    edited = _update(api, bill, LineItems=[_line(250)])
    assert _errors(edited) == "Invoice not of valid status for modification"
    renumbered = _update(api, bill, InvoiceNumber="SC-8")
    assert _errors(renumbered) == "Invoice not of valid status for modification"
    other = api.get("/Contacts").json()["Contacts"][1]["ContactID"]
    assert _errors(_update(api, bill, Contact={"ContactID": other})) == "Invoice not of valid status for modification"
    same = _update(api, bill, InvoiceNumber="SC-7", Status="AUTHORISED")  # nothing changes: accepted
    assert same["StatusAttributeString"] == "OK"
    voided = _update(api, bill, Status="VOIDED", LineItems=[_line()])  # the lines as they are: no edit
    assert voided["Status"] == "VOIDED"
    assert _errors(_update(api, bill, Status="AUTHORISED")) == "Invoice not of valid status for modification"


def test_a_draft_is_deleted_never_voided_and_a_submitted_bill_goes_forward(api):
    draft = _bill(api, "DRAFT")
    assert _errors(_update(api, draft, Status="VOIDED")) == "Invoice not of valid status for modification"
    assert _update(api, draft, Status="DELETED")["Status"] == "DELETED"
    submitted = _bill(api, "SUBMITTED")
    assert _errors(_update(api, submitted, Status="DRAFT")) == "Invoice not of valid status for modification"
    assert _update(api, submitted, LineItems=[_line(120)])["Total"] == 120  # still editable
    assert _update(api, submitted, Status="AUTHORISED")["Status"] == "AUTHORISED"
    created_void = _bill(api, "VOIDED")
    assert "cannot be set when a document is created" in _errors(created_void)


def test_a_part_paid_bill_can_be_neither_edited_nor_voided(api):
    bill = _bill(api, "AUTHORISED")
    _pay(api, bill, 40)
    paid_message = "This document cannot be edited as it has a payment or credit note allocated to it."
    assert _errors(_update(api, bill, LineItems=[_line(500)])) == paid_message
    assert "cannot be voided" in _errors(_update(api, bill, Status="VOIDED"))
    _pay(api, bill, 60)
    assert _errors(_update(api, bill, Status="VOIDED")) == paid_message  # PAID: final


def test_purchase_orders_move_forward_only(api):
    def po(status):
        body = {"Contact": {"ContactID": _supplier(api)}, "LineItems": [_line()], "Status": status}
        return _one(api.put("/PurchaseOrders" + Q, {"PurchaseOrders": [body]}), "PurchaseOrders")

    def update(order, **fields):
        return _one(api.post("/PurchaseOrders" + Q, {"PurchaseOrders": [
            {"PurchaseOrderID": order["PurchaseOrderID"], **fields}]}), "PurchaseOrders")

    approved = po("AUTHORISED")
    assert _errors(update(approved, Status="DRAFT")) == "Purchase Order not of valid status for modification"
    assert _errors(update(approved, Status="DELETED")) == "Purchase Order not of valid status for modification"
    grown = update(approved, LineItems=[{"LineItemID": approved["LineItems"][0]["LineItemID"], **_line()},
                                        _line(50)])
    assert grown["Status"] == "AUTHORISED" and grown["Total"] == 150  # an approved PO still takes lines
    assert _errors(update(po("DRAFT"), Status="BILLED")) == "Purchase Order not of valid status for modification"
    billed = update(approved, Status="BILLED")
    assert billed["Status"] == "BILLED"
    assert _errors(update(billed, LineItems=[_line(1)])) == "Purchase Order not of valid status for modification"


# -- an account on every line of an approved bill -------------------------------------------------------
def test_an_approved_bill_needs_an_account_on_every_line(api):
    item = _one(api.put("/Items" + Q, {"Items": [{"Code": "03-100.L", "Name": "Concrete labor"}]}), "Items")
    costed = _one(api.put("/Items" + Q, {"Items": [{"Code": "03-200.M", "Name": "Concrete",
                                                    "PurchaseDetails": {"AccountCode": "510"}}]}), "Items")
    no_account = {"Description": "Pour", "Quantity": 1, "UnitAmount": 10, "ItemCode": item["Code"]}
    refused = _bill(api, "AUTHORISED", [no_account])
    assert _errors(refused) == "Account code or ID must be specified"
    draft = _bill(api, "DRAFT", [no_account])  # a draft may wait for its account
    assert draft["StatusAttributeString"] == "OK" and "AccountCode" not in draft["LineItems"][0]
    assert _errors(_update(api, draft, Status="AUTHORISED")) == "Account code or ID must be specified"
    from_item = _bill(api, "AUTHORISED", [{**no_account, "ItemCode": costed["Code"]}])
    assert from_item["Status"] == "AUTHORISED" and from_item["LineItems"][0]["AccountCode"] == "510"
    on_line = _bill(api, "AUTHORISED", [{**no_account, "AccountCode": "500"}])
    assert on_line["Status"] == "AUTHORISED"


# -- lock dates -----------------------------------------------------------------------------------------
def test_nothing_is_posted_on_or_before_a_lock_date(xero_sandbox, api):
    control(xero_sandbox, "organisation", {"PeriodLockDate": "2026-03-31", "EndOfYearLockDate": "2025-12-31"})
    org = api.get("/Organisation").json()["Organisations"][0]
    assert org["PeriodLockDate"].startswith("/Date(1774915200000") and org["EndOfYearLockDate"]
    period = "The document date cannot be before the period lock date, currently set at 31-Mar-2026"
    locked = _bill(api, "AUTHORISED", Date="2026-03-31")
    assert _errors(locked) == period
    both = _bill(api, "AUTHORISED", Date="2025-12-31")
    assert _errors(both) == period + " | " + (
        "The document date cannot be before the end of year lock date, currently set at 31-Dec-2025")
    draft = _bill(api, "DRAFT", Date="2026-03-15")  # drafts post nothing: Xero keeps them
    assert draft["Status"] == "DRAFT"
    assert _errors(_update(api, draft, Status="AUTHORISED")) == period
    open_bill = _bill(api, "AUTHORISED", Date="2026-04-01")
    assert open_bill["Status"] == "AUTHORISED"
    assert _errors(_pay(api, open_bill, 10, Date="2026-03-20")) == period
    payment = _pay(api, open_bill, 10, Date="2026-04-02")
    unpaid = _bill(api, "AUTHORISED", Date="2026-04-05")
    control(xero_sandbox, "organisation", {"PeriodLockDate": "2026-04-30"})  # the adviser closes April
    reversed_ = api.post(f"/Payments/{payment['PaymentID']}", {"Status": "DELETED"})
    assert reversed_.status_code == 400 and "period lock date, currently set at 30-Apr-2026" in reversed_.text
    assert _errors(_update(api, unpaid, Status="VOIDED")).startswith("The document date cannot be before")


def test_spend_money_and_posted_journals_respect_lock_dates(xero_sandbox):
    from xero_client import DEFAULT_SCOPES

    scopes = DEFAULT_SCOPES + ["accounting.banktransactions", "accounting.manualjournals"]
    api = Api(xero_sandbox, connect(xero_sandbox, scopes=scopes))
    spend = {"Type": "SPEND", "Contact": {"ContactID": _supplier(api)}, "BankAccount": {"Code": "090"},
             "LineItems": [_line(25)], "Date": "2024-12-31"}
    refused = _one(api.put("/BankTransactions" + Q, {"BankTransactions": [spend]}), "BankTransactions")
    assert "period lock date, currently set at 31-Dec-2024" in _errors(refused)
    no_account = _one(api.put("/BankTransactions" + Q, {"BankTransactions": [
        {**spend, "Date": "2025-02-01", "LineItems": [{"Description": "x", "Quantity": 1, "UnitAmount": 5}]}]}),
        "BankTransactions")
    assert _errors(no_account) == "Account code or ID must be specified"
    journal = {"Narration": "Accrual", "Date": "2024-11-30", "JournalLines": [
        {"LineAmount": 10, "AccountCode": "500"}, {"LineAmount": -10, "AccountCode": "820"}]}
    draft = _one(api.put("/ManualJournals" + Q, {"ManualJournals": [journal]}), "ManualJournals")
    assert draft["Status"] == "DRAFT"
    posted = _one(api.put("/ManualJournals" + Q, {"ManualJournals": [{**journal, "Status": "POSTED"}]}),
                  "ManualJournals")
    assert "lock date" in _errors(posted)


def test_the_seeded_organisations_lock_before_every_seeded_document(xero_sandbox, api):
    org = api.get("/Organisation").json()["Organisations"][0]
    assert org["PeriodLockDate"] and org["EndOfYearLockDate"]
    assert take_violations(xero_sandbox) == []
    dates = [b["Date"] for b in api.get("/Invoices?page=1").json()["Invoices"]]
    lock = int(org["PeriodLockDate"][6:19])
    assert dates and all(int(d[6:19]) > lock for d in dates)


# -- field lengths (maxLength in specs/xero/xero_accounting.yaml) ------------------------------------------
@pytest.mark.parametrize(("path", "key", "element", "words"), [
    ("/Contacts", "Contacts", {"Name": "N" * 256}, "contact name must not be more than 255"),
    ("/Contacts", "Contacts", {"Name": "Short", "ContactNumber": "9" * 51}, "ContactNumber must not be more than 50"),
    ("/Items", "Items", {"Code": "C" * 31}, "Code must not be more than 30"),
    ("/Items", "Items", {"Code": "OK-2", "Name": "N" * 51}, "Name must not be more than 50"),
])
def test_over_long_fields_are_refused_naming_the_limit(xero_sandbox, api, path, key, element, words):
    refused = _one(api.put(path + Q, {key: [element]}), key)
    assert words in _errors(refused)
    assert take_violations(xero_sandbox)  # the request broke the published contract as well


def test_over_long_references_numbers_and_option_names_are_refused(xero_sandbox, api):
    bill = _bill(api, "DRAFT", InvoiceNumber="I" * 256)
    assert "InvoiceNumber must not be more than 255" in _errors(bill)
    po = _one(api.put("/PurchaseOrders" + Q, {"PurchaseOrders": [
        {"Contact": {"ContactID": _supplier(api)}, "LineItems": [_line()], "Reference": "R" * 256}]}),
        "PurchaseOrders")
    assert "Reference must not be more than 255" in _errors(po)
    take_violations(xero_sandbox)
    job = next(c for c in api.get("/TrackingCategories").json()["TrackingCategories"] if c["Name"] == "Job")
    option = api.put(f"/TrackingCategories/{job['TrackingCategoryID']}/Options", {"Name": "O" * 51})
    assert option.status_code == 400 and "tracking option name must not be more than 50" in option.text
    assert take_violations(xero_sandbox) == []  # within the spec's 100: Xero's own page says 50


# -- paging: what Xero serves, not what was asked -------------------------------------------------------
def test_page_size_is_what_xero_serves_and_page_count_says_how_many(xero_sandbox, api):
    control(xero_sandbox, "faults", {"page_size": 3})
    first = api.get("/Contacts?page=1&pageSize=1000").json()
    total = first["pagination"]["itemCount"]
    assert len(first["Contacts"]) == 3 and first["pagination"]["pageSize"] == 3
    assert first["pagination"]["pageCount"] == -(-total // 3)
    last = api.get(f"/Contacts?page={first['pagination']['pageCount']}&pageSize=1000").json()
    assert 0 < len(last["Contacts"]) <= 3
    beyond = api.get(f"/Contacts?page={first['pagination']['pageCount'] + 1}").json()
    assert beyond["Contacts"] == []


# -- organisations: every plan of the current enum, both editions ---------------------------------------
def test_every_organisation_class_and_edition_can_be_connected(xero_sandbox):
    spec = yaml.safe_load(spec_path().read_text())
    classes = set(spec["components"]["schemas"]["Organisation"]["properties"]["Class"]["enum"])
    editions = set(spec["components"]["schemas"]["Organisation"]["properties"]["Edition"]["enum"])
    assert {o["Class"] for o in XERO_ORGANISATIONS} == classes
    assert {o.get("Edition", "BUSINESS") for o in XERO_ORGANISATIONS} == editions
    for org in (o for o in XERO_ORGANISATIONS if o["Class"] in ("IGNITE", "ULTRA", "LEDGER", "DEMO")):
        tenant = org["tenantId"]
        served = Api(xero_sandbox, connect(xero_sandbox, tenant), tenant).get("/Organisation").json()
        shown = served["Organisations"][0]
        assert (shown["Class"], shown["CountryCode"]) == (org["Class"], org["CountryCode"])
        assert shown["Edition"] == org.get("Edition", "BUSINESS")
        assert shown["IsDemoCompany"] == (org["Class"] == "DEMO")


def test_a_plan_newer_than_the_published_enum_is_served_as_is(xero_sandbox, api):
    control(xero_sandbox, "organisation", {"Class": "ULTIMATE_PLUS_2030"})
    assert api.get("/Organisation").json()["Organisations"][0]["Class"] == "ULTIMATE_PLUS_2030"
    assert any("Class" in v for v in take_violations(xero_sandbox))  # the spec does not know it (yet)
