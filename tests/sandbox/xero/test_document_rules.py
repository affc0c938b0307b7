"""Xero's per-record rules: each test fails if the emulator ignored the rule."""

from xero_client import DEFAULT_SCOPES

from .helpers import Api, connect, control, take_violations

Q = "?summarizeErrors=false"


def _one(answer, key):
    assert answer.status_code == 200, answer.text
    return answer.json()[key][0]


def test_item_code_is_at_most_30_and_name_at_most_50(xero_sandbox, api):
    long_code = _one(api.put("/Items" + Q, {"Items": [{"Code": "C" * 31, "Name": "ok"}]}), "Items")
    long_name = _one(api.put("/Items" + Q, {"Items": [{"Code": "OK-1", "Name": "N" * 51}]}), "Items")
    assert "30 characters" in long_code["ValidationErrors"][0]["Message"]
    assert "50 characters" in long_name["ValidationErrors"][0]["Message"]
    assert len(take_violations(xero_sandbox)) >= 2  # both requests also broke the published contract
    assert xero_sandbox.state.dump("Items") == []


def test_item_code_is_unique_and_post_by_code_updates(api):
    first = _one(api.put("/Items" + Q, {"Items": [{"Code": "03-100.L", "Name": "Concrete labor"}]}), "Items")
    dup = _one(api.put("/Items" + Q, {"Items": [{"Code": "03-100.L", "Name": "Again"}]}), "Items")
    assert "already exists" in dup["ValidationErrors"][0]["Message"]
    updated = _one(api.post("/Items" + Q, {"Items": [{"Code": "03-100.L", "Name": "Renamed"}]}), "Items")
    assert updated["ItemID"] == first["ItemID"] and updated["Name"] == "Renamed"


def test_contact_name_and_number_are_unique(api):
    name = api.get("/Contacts").json()["Contacts"][0]["Name"]
    same_name = _one(api.put("/Contacts" + Q, {"Contacts": [{"Name": name.swapcase()}]}), "Contacts")
    assert "must be unique" in same_name["ValidationErrors"][0]["Message"]
    _one(
        api.put("/Contacts" + Q, {"Contacts": [{"Name": "Numbered One", "ContactNumber": "PC-1"}]}),
        "Contacts",
    )
    same_number = _one(
        api.put("/Contacts" + Q, {"Contacts": [{"Name": "Numbered Two", "ContactNumber": "PC-1"}]}),
        "Contacts",
    )
    assert "contact number PC-1" in same_number["ValidationErrors"][0]["Message"]


def test_at_most_two_active_tracking_categories(api):
    categories = api.get("/TrackingCategories").json()["TrackingCategories"]
    assert sorted(c["Name"] for c in categories) == ["Job", "Region"]
    third = api.put("/TrackingCategories", {"Name": "Phase"})
    assert (
        third.status_code == 400
        and "2 active" in third.json()["Elements"][0]["ValidationErrors"][0]["Message"]
    )
    region = next(c for c in categories if c["Name"] == "Region")
    assert (
        api.post(f"/TrackingCategories/{region['TrackingCategoryID']}", {"Status": "ARCHIVED"}).status_code
        == 200
    )
    assert api.put("/TrackingCategories", {"Name": "Phase"}).status_code == 200
    assert "Region" in [
        c["Name"] for c in api.get("/TrackingCategories?includeArchived=true").json()["TrackingCategories"]
    ]


def test_active_options_per_category_are_capped_and_archiving_frees_a_slot(xero_sandbox, api):
    control(xero_sandbox, "faults", {"max_active_options": 3})
    job = next(c for c in api.get("/TrackingCategories").json()["TrackingCategories"] if c["Name"] == "Job")
    assert len(job["Options"]) == 2
    path = f"/TrackingCategories/{job['TrackingCategoryID']}/Options"
    third = _one(api.put(path, {"Name": "Project Three"}), "Options")
    refused = api.put(path, {"Name": "Project Four"})
    assert refused.status_code == 400 and "at most 3 active" in refused.text
    assert api.put(path, {"Name": "project three"}).status_code == 400  # names unique in a category
    assert api.post(f"{path}/{third['TrackingOptionID']}", {"Status": "ARCHIVED"}).status_code == 200
    assert api.put(path, {"Name": "Project Four"}).status_code == 200
    visible = next(
        c for c in api.get("/TrackingCategories").json()["TrackingCategories"] if c["Name"] == "Job"
    )
    archived = next(
        c
        for c in api.get("/TrackingCategories?includeArchived=true").json()["TrackingCategories"]
        if c["Name"] == "Job"
    )
    assert "Project Three" not in [o["Name"] for o in visible["Options"]]
    assert "Project Three" in [o["Name"] for o in archived["Options"]]


def _supplier(api):
    return api.get("/Contacts").json()["Contacts"][0]["ContactID"]


def _line(amount, description="Work"):
    return {"Description": description, "Quantity": 1, "UnitAmount": amount, "AccountCode": "500"}


def test_purchase_order_update_deletes_lines_sent_without_their_id(api):
    po = _one(
        api.put(
            "/PurchaseOrders" + Q,
            {
                "PurchaseOrders": [
                    {
                        "Contact": {"ContactID": _supplier(api)},
                        "LineItems": [_line(100, "A"), _line(200, "B")],
                        "Status": "AUTHORISED",
                    }
                ]
            },
        ),
        "PurchaseOrders",
    )
    a, b = po["LineItems"]
    kept = _one(
        api.post(
            "/PurchaseOrders" + Q,
            {
                "PurchaseOrders": [
                    {
                        "PurchaseOrderID": po["PurchaseOrderID"],
                        "LineItems": [{"LineItemID": a["LineItemID"], **_line(100, "A")}, _line(50, "CO-1")],
                    }
                ]
            },
        ),
        "PurchaseOrders",
    )
    ids = [line["LineItemID"] for line in kept["LineItems"]]
    assert a["LineItemID"] in ids and b["LineItemID"] not in ids and len(ids) == 2
    assert kept["Total"] == 150


def test_bills_cannot_be_negative(api):
    bill = _one(
        api.put(
            "/Invoices" + Q,
            {
                "Invoices": [
                    {
                        "Type": "ACCPAY",
                        "Contact": {"ContactID": _supplier(api)},
                        "LineItems": [_line(-10)],
                        "Status": "AUTHORISED",
                    }
                ]
            },
        ),
        "Invoices",
    )
    assert "cannot be negative" in bill["ValidationErrors"][0]["Message"]
    credit = _one(
        api.put(
            "/CreditNotes" + Q,
            {
                "CreditNotes": [
                    {
                        "Type": "ACCPAYCREDIT",
                        "Contact": {"ContactID": _supplier(api)},
                        "LineItems": [_line(10)],
                    }
                ]
            },
        ),
        "CreditNotes",
    )
    assert credit["StatusAttributeString"] == "OK"  # a supplier credit is a credit note, not a bill
    as_bill = _one(
        api.put("/Invoices" + Q, {"Invoices": [{"Type": "ACCPAYCREDIT", "Contact": {"ContactID": _supplier(api)},
                                                "LineItems": [_line(10)]}]}),
        "Invoices",
    )
    assert "credit notes go to CreditNotes" in as_bill["ValidationErrors"][0]["Message"]


def _bill(api, status, amount=100):
    return _one(
        api.put(
            "/Invoices" + Q,
            {
                "Invoices": [
                    {
                        "Type": "ACCPAY",
                        "Contact": {"ContactID": _supplier(api)},
                        "LineItems": [_line(amount)],
                        "Status": status,
                        "InvoiceNumber": "SC-1",
                    }
                ]
            },
        ),
        "Invoices",
    )


def _pay(api, bill, amount):
    return _one(
        api.put(
            "/Payments" + Q,
            {
                "Payments": [
                    {
                        "Invoice": {"InvoiceID": bill["InvoiceID"]},
                        "Account": {"Code": "090"},
                        "Amount": amount,
                    }
                ]
            },
        ),
        "Payments",
    )


def test_payments_only_on_authorised_bills_and_not_above_amount_due(api):
    draft = _bill(api, "DRAFT")
    assert "Authorised" in _pay(api, draft, 10)["ValidationErrors"][0]["Message"]
    bill = _bill(api, "AUTHORISED", 100)
    assert "exceeds the amount outstanding" in _pay(api, bill, 100.01)["ValidationErrors"][0]["Message"]
    assert _pay(api, bill, 60)["StatusAttributeString"] == "OK"
    assert "exceeds" in _pay(api, bill, 41)["ValidationErrors"][0]["Message"]
    paid = _pay(api, bill, 40)
    assert paid["PaymentType"] == "ACCPAYPAYMENT"
    after = api.get(f"/Invoices/{bill['InvoiceID']}").json()["Invoices"][0]
    assert after["Status"] == "PAID" and after["AmountDue"] == 0 and len(after["Payments"]) == 2


def test_deleting_a_payment_reverses_it(api):
    bill = _bill(api, "AUTHORISED", 80)
    payment = _pay(api, bill, 80)
    assert api.get(f"/Invoices/{bill['InvoiceID']}").json()["Invoices"][0]["Status"] == "PAID"
    edit = api.post(
        "/Payments" + Q,
        {
            "PaymentID": payment["PaymentID"],
            "Invoice": {"InvoiceID": bill["InvoiceID"]},
            "Account": {"Code": "090"},
            "Amount": 1,
        },
    )
    assert "cannot be edited" in edit.text
    deleted = _one(api.post(f"/Payments/{payment['PaymentID']}", {"Status": "DELETED"}), "Payments")
    assert deleted["Status"] == "DELETED"
    after = api.get(f"/Invoices/{bill['InvoiceID']}").json()["Invoices"][0]
    assert after["Status"] == "AUTHORISED" and after["AmountDue"] == 80 and after["Payments"] == []
    assert api.post(f"/Payments/{payment['PaymentID']}", {"Status": "DELETED"}).status_code == 400


def test_batch_payments_create_payments_that_carry_the_batch_id(api):
    one, two = _bill(api, "AUTHORISED", 30), _bill(api, "AUTHORISED", 70)
    batch = _one(
        api.put(
            "/BatchPayments" + Q,
            {
                "BatchPayments": [
                    {
                        "Account": {"Code": "090"},
                        "Date": "2026-01-15",
                        "Reference": "Run 1",
                        "Payments": [
                            {"Invoice": {"InvoiceID": one["InvoiceID"]}, "Amount": 30},
                            {"Invoice": {"InvoiceID": two["InvoiceID"]}, "Amount": 20},
                        ],
                    }
                ]
            },
        ),
        "BatchPayments",
    )
    assert batch["TotalAmount"] == 50 and batch["Type"] == "PAYBATCH"
    payments = api.get(
        "/Payments", params={"where": f'BatchPaymentID==guid("{batch["BatchPaymentID"]}")'}
    ).json()
    assert sorted(p["Amount"] for p in payments["Payments"]) == [20, 30]
    assert api.get("/BatchPayments").json()["BatchPayments"][0]["BatchPaymentID"] == batch["BatchPaymentID"]


def test_spend_money_and_manual_journals_with_tracking(xero_sandbox):
    scopes = DEFAULT_SCOPES + ["accounting.banktransactions", "accounting.manualjournals"]
    api = Api(xero_sandbox, connect(xero_sandbox, scopes=scopes))
    job = next(c for c in api.get("/TrackingCategories").json()["TrackingCategories"] if c["Name"] == "Job")
    tracking = [{"Name": "Job", "Option": job["Options"][0]["Name"]}]
    spend = _one(
        api.put(
            "/BankTransactions" + Q,
            {
                "BankTransactions": [
                    {
                        "Type": "SPEND",
                        "Contact": {"ContactID": _supplier(api)},
                        "BankAccount": {"Code": "090"},
                        "LineItems": [{**_line(25), "Tracking": tracking}],
                    }
                ]
            },
        ),
        "BankTransactions",
    )
    assert spend["LineItems"][0]["Tracking"][0]["TrackingOptionID"] == job["Options"][0]["TrackingOptionID"]
    unbalanced = _one(
        api.put(
            "/ManualJournals" + Q,
            {
                "ManualJournals": [
                    {
                        "Narration": "x",
                        "JournalLines": [
                            {"LineAmount": 10, "AccountCode": "500"},
                            {"LineAmount": -9, "AccountCode": "820"},
                        ],
                    }
                ]
            },
        ),
        "ManualJournals",
    )
    assert "debits must equal" in unbalanced["ValidationErrors"][0]["Message"]
    archived = api.put(
        "/BankTransactions" + Q,
        {
            "BankTransactions": [
                {
                    "Type": "SPEND",
                    "Contact": {"ContactID": _supplier(api)},
                    "BankAccount": {"Code": "090"},
                    "LineItems": [{**_line(25), "Tracking": [{"Name": "Job", "Option": "No Such Job"}]}],
                }
            ]
        },
    )
    assert (
        "not active or does not exist"
        in archived.json()["BankTransactions"][0]["ValidationErrors"][0]["Message"]
    )


def test_unit_amounts_are_rounded_to_2_dp_unless_unitdp_4(api):
    contact = _supplier(api)
    body = {
        "Invoices": [
            {
                "Type": "ACCPAY",
                "Contact": {"ContactID": contact},
                "LineItems": [
                    {"Description": "Bolts", "Quantity": 3, "UnitAmount": 1.2345, "AccountCode": "510"}
                ],
            }
        ]
    }
    rounded = _one(api.put("/Invoices" + Q, body), "Invoices")["LineItems"][0]
    precise = _one(api.put("/Invoices" + Q + "&unitdp=4", body), "Invoices")["LineItems"][0]
    assert (rounded["UnitAmount"], rounded["LineAmount"]) == (1.23, 3.69)
    assert (precise["UnitAmount"], precise["LineAmount"]) == (1.2345, 3.70)


def test_starter_plan_saves_bills_beyond_the_monthly_cap_as_drafts(xero_sandbox):
    tenant = xero_sandbox.state.organisations[2]["tenantId"]
    api = Api(xero_sandbox, connect(xero_sandbox, tenant), tenant)
    bill = {
        "Type": "ACCPAY",
        "Contact": {"Name": "Handy Supplies"},
        "Status": "AUTHORISED",
        "LineItems": [_line(10)],
    }
    statuses = [_one(api.put("/Invoices" + Q, {"Invoices": [bill]}), "Invoices") for _ in range(6)]
    assert [b["Status"] for b in statuses] == ["AUTHORISED"] * 5 + ["DRAFT"]
    assert "saved as a draft" in statuses[-1]["Warnings"][0]["Message"]
    us_bills = [_bill(Api(xero_sandbox, connect(xero_sandbox)), "AUTHORISED") for _ in range(6)]
    assert {b["Status"] for b in us_bills} == {"AUTHORISED"}
