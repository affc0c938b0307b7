"""XeroClient behaviour the engine relies on, against the running emulator (no mocks)."""

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from xero_python.accounting import Contact as SdkContact
from xero_python.accounting import Invoice, LineItem

from tests.sandbox.xero.helpers import CA_TENANT, US_TENANT, connect, control, oauth_for
from xero_client import (
    TokenSet,
    XeroAuthError,
    XeroClient,
    XeroConnectionError,
    XeroDayLimitReached,
    XeroForbidden,
    XeroNotFound,
    XeroRateLimited,
    XeroServerError,
    XeroValidationError,
)


class Pacer:
    def __init__(self):
        self.before, self.after = 0, []

    def before_request(self):
        self.before += 1

    def after_response(self, headers):
        self.after.append(headers)


class Connection:
    """What the connection layer does: hold tokens, refresh on demand."""

    def __init__(self, server, tenant=US_TENANT, scopes=None):
        self.oauth = oauth_for(server, scopes)
        self.tokens = [connect(server, tenant, scopes)]
        self.refreshes = 0

    def token(self):
        return self.tokens[-1]

    def on_unauthorized(self, _reason):
        self.refreshes += 1
        self.tokens.append(self.oauth.refresh(self.tokens[-1].refresh_token))


def make(server, connection=None, tenant=US_TENANT, **kwargs):
    connection = connection or Connection(server, tenant)
    return XeroClient(
        server.url,
        tenant,
        connection.token,
        on_unauthorized=connection.on_unauthorized,
        client_id="sandbox-xero-client",
        client_secret="sandbox-xero-secret",
        **kwargs,
    ), connection


def calls(server, key):
    return server.state.stats.calls[key]


def test_a_401_refreshes_once_and_retries(xero_sandbox):
    client, connection = make(xero_sandbox)
    control(xero_sandbox, "tokens/expire")
    assert client.organisation().name == "Summit Ridge Builders LLC"
    assert connection.refreshes == 1 and calls(xero_sandbox, "GET /api.xro/2.0/Organisation") == 2


def test_a_token_that_expired_locally_is_refreshed_by_us_not_by_the_sdk(xero_sandbox):
    client, connection = make(xero_sandbox)
    stale = connection.tokens[-1]
    connection.tokens[-1] = TokenSet(
        stale.access_token,
        stale.refresh_token,
        datetime.now(UTC) - timedelta(seconds=1),
        stale.scope,
    )
    before = calls(xero_sandbox, "POST /connect/token")
    client.organisation()
    assert connection.refreshes == 1
    assert calls(xero_sandbox, "POST /connect/token") == before + 1  # exactly our one refresh


def test_a_dead_connection_raises_auth_error_after_one_attempt(xero_sandbox):
    client, connection = make(xero_sandbox)
    control(xero_sandbox, "tokens/revoke")
    with pytest.raises(Exception) as raised:
        client.organisation()
    assert isinstance(raised.value, XeroAuthError)  # XeroInvalidGrant from the refresh is one too
    assert connection.refreshes == 1


def test_429_is_raised_at_once_without_hidden_sdk_retries(xero_sandbox):
    client, _ = make(xero_sandbox)
    control(xero_sandbox, "faults", {"force_429": 3})
    with pytest.raises(XeroRateLimited) as raised:
        client.accounts()
    assert raised.value.retry_after == 1 and raised.value.problem == "minute"
    assert calls(xero_sandbox, "GET /api.xro/2.0/Accounts") == 1  # urllib3's Retry would have made 3+


def test_the_day_limit_is_a_distinct_exception(xero_sandbox):
    client, _ = make(xero_sandbox)
    control(xero_sandbox, "limits", {"day_used": 5000})
    with pytest.raises(XeroDayLimitReached) as raised:
        client.accounts()
    assert raised.value.retry_after > 3600 and not isinstance(raised.value, XeroRateLimited)


def test_server_errors_and_lost_answers(xero_sandbox):
    client, _ = make(xero_sandbox)
    control(xero_sandbox, "faults", {"error_rate": 1.0})
    with pytest.raises(XeroServerError):
        client.accounts()
    assert calls(xero_sandbox, "GET /api.xro/2.0/Accounts") == 1
    control(xero_sandbox, "faults", {"error_rate": 0.0, "drop_after_commit_rate": 1.0})
    with pytest.raises(XeroConnectionError):
        client.write_batch("contacts", [{"Name": "Maybe Made LLC"}], "lost-1")
    control(xero_sandbox, "faults", {"drop_after_commit_rate": 0.0})
    [again] = client.write_batch("contacts", [{"Name": "Maybe Made LLC"}], "lost-1")
    assert again.ok and [c["Name"] for c in xero_sandbox.state.dump("Contacts")].count("Maybe Made LLC") == 1


def test_forbidden_and_not_found(xero_sandbox):
    connection = Connection(xero_sandbox, scopes=["offline_access", "accounting.settings.read"])
    client, _ = make(xero_sandbox, connection)
    with pytest.raises(XeroForbidden):
        next(client.iter_pages("contacts"))
    full, _ = make(xero_sandbox)
    with pytest.raises(XeroNotFound):
        full.purchase_order(str(uuid.uuid4()))


def test_write_batch_returns_per_element_results_in_order(xero_sandbox):
    client, _ = make(xero_sandbox)
    existing = xero_sandbox.state.dump("Contacts")[0]["Name"]
    results = client.write_batch(
        "contacts", [{"Name": "First New"}, {"Name": existing}, {"Name": "Third New"}], "b-1"
    )
    assert [r.ok for r in results] == [True, False, True] and [r.index for r in results] == [0, 1, 2]
    assert results[0].id and results[1].id is None and "must be unique" in results[1].errors[0]
    with pytest.raises(ValueError):
        client.write_batch("contacts", [{"Name": f"C{i}"} for i in range(51)], "b-2")


def test_records_the_sdk_rejects_are_reported_and_the_rest_sent(xero_sandbox):
    client, _ = make(xero_sandbox)
    results = client.write_batch(
        "items", [{"Code": "C" * 31}, {"Code": "01-200.M", "Name": "Materials"}], "b-3"
    )
    assert not results[0].ok and "not sent" in results[0].errors[0] and results[1].ok
    assert [i["Code"] for i in xero_sandbox.state.dump("Items")] == ["01-200.M"]


def test_sdk_models_are_sent_without_read_only_defaults_and_money_quantised(xero_sandbox):
    client, _ = make(xero_sandbox)
    contact_id = xero_sandbox.state.dump("Contacts")[0]["ContactID"]
    bill = Invoice(
        type="ACCPAY",
        contact=SdkContact(contact_id=contact_id),
        status="DRAFT",
        line_items=[
            LineItem(
                description="Odd cents",
                quantity=Decimal(3),
                unit_amount=Decimal("10.005"),
                account_code="500",
            )
        ],
    )
    assert bill.has_attachments is False  # the SDK default that strict validators reject
    [result] = client.write_batch("invoices", [bill], "b-4")
    assert result.ok and result.record.line_items[0].unit_amount == Decimal("10.005")
    # The xero_sandbox fixture fails the test if HasAttachments reached the emulator.


def test_iter_pages_yields_each_page_and_honours_if_modified_since(xero_sandbox):
    client, _ = make(xero_sandbox)
    pages = list(client.iter_pages("contacts", page_size=7))
    assert [p.number for p in pages] == [1, 2, 3] and [len(p.records) for p in pages] == [7, 7, 5]
    assert pages[0].pagination.item_count == 19 and pages[-1].is_last
    since = datetime.now(UTC) - timedelta(seconds=5)
    client.write_batch("contacts", [{"Name": "Changed Recently"}], None)
    fresh = [c.name for p in client.iter_pages("contacts", if_modified_since=since) for c in p.records]
    assert fresh == ["Changed Recently"]
    paid = [
        i.status
        for p in client.iter_pages("invoices", statuses=["PAID"], where='Type=="ACCPAY"')
        for i in p.records
    ]
    assert paid and set(paid) == {"PAID"}  # a list, not 'P,A,I,D'


def test_tracking_options_lifecycle_with_archived_read_back(xero_sandbox):
    client, _ = make(xero_sandbox)
    job = next(c for c in client.tracking_categories() if c.name == "Job")
    option = client.create_tracking_option(job.tracking_category_id, "Boise Warehouse 002")
    client.archive_tracking_option(job.tracking_category_id, option.tracking_option_id)
    archived = next(c for c in client.tracking_categories(include_archived=True) if c.name == "Job")
    assert any(o.name == "Boise Warehouse 002" and o.status == "ARCHIVED" for o in archived.options)
    active = next(c for c in client.tracking_categories(include_archived=False) if c.name == "Job")
    assert all(o.name != "Boise Warehouse 002" for o in active.options)


def test_pacer_sees_every_call_with_rate_limit_headers(xero_sandbox):
    pacer = Pacer()
    client, _ = make(xero_sandbox, pacer=pacer)
    client.accounts()
    client.tax_rates()
    assert pacer.before == 2 and [h["X-MinLimit-Remaining"] for h in pacer.after] == ["59", "58"]
    control(xero_sandbox, "faults", {"force_429": 1})
    with pytest.raises(XeroRateLimited):
        client.accounts()
    assert pacer.after[-1]["X-Rate-Limit-Problem"] == "minute"


def test_two_clients_keep_their_own_tokens_and_tenants(xero_sandbox):
    us, _ = make(xero_sandbox)
    ca, _ = make(xero_sandbox, tenant=CA_TENANT)
    assert us.organisation().country_code.value == "US"
    assert ca.organisation().country_code.value == "CA"  # the Configuration singleton did not leak
    assert us.organisation().country_code.value == "US"


def test_batch_payments_and_a_reused_idempotency_key(xero_sandbox):
    client, _ = make(xero_sandbox)
    bills = [i for p in client.iter_pages("invoices", statuses=["AUTHORISED"]) for i in p.records][:2]
    [batch] = client.write_batch(
        "batch_payments",
        [
            {
                "Account": {"Code": "090"},
                "Date": "2026-03-01",
                "Reference": "Pay run 7",
                "Payments": [
                    {"Invoice": {"InvoiceID": b.invoice_id}, "Amount": Decimal("10.00")} for b in bills
                ],
            }
        ],
        "bp-1",
    )
    assert batch.ok and batch.record.total_amount == 20
    assert [b.batch_payment_id for b in client.batch_payments()] == [batch.id]
    payments = [
        p
        for page in client.iter_pages("payments", where=f'BatchPaymentID==guid("{batch.id}")')
        for p in page.records
    ]
    assert len(payments) == 2
    with pytest.raises(XeroValidationError) as raised:
        client.write_batch("contacts", [{"Name": "Not The Same Body"}], "bp-1")
    assert "different request" in str(raised.value)


def test_token_getter_may_return_a_plain_dict(xero_sandbox):
    connection = Connection(xero_sandbox)
    token = connection.token()
    client = XeroClient(
        xero_sandbox.url,
        US_TENANT,
        lambda: {"access_token": token.access_token, "expires_at": token.expires_at, "scope": token.scope},
    )
    assert client.organisation().name == "Summit Ridge Builders LLC"


# -- paging follows pagination.pageCount, never the length of a page ----------------------------------
def test_a_proxy_serving_ten_per_page_still_reads_every_contact(xero_sandbox):
    client, _ = make(xero_sandbox)
    for start in (0, 11):  # 19 seeded (and active) + 22 = 41 contacts
        client.write_batch("contacts", [{"Name": f"Paged Supplier {n}"} for n in range(start, min(start + 11, 22))],
                           None)
    control(xero_sandbox, "faults", {"page_size": 10})
    xero_sandbox.state.stats.calls.clear()
    pages = list(client.iter_pages("contacts"))  # asks for 1,000 per page
    assert sum(len(p.records) for p in pages) == 41 and len({c.contact_id for p in pages for c in p.records}) == 41
    assert [len(p.records) for p in pages] == [10, 10, 10, 10, 1] and pages[-1].is_last
    assert calls(xero_sandbox, "GET /api.xro/2.0/Contacts") == 5  # no extra read past pageCount


def test_without_a_page_count_the_list_ends_on_an_empty_page():
    from xero_client import Page

    assert not Page(3, ["a"], pagination=None).is_last
    assert Page(4, [], pagination=None).is_last


# -- organisations: plans newer than the SDK, lock dates -------------------------------------------------
def test_a_plan_the_sdk_does_not_know_is_read_not_a_crash(xero_sandbox):
    from connector.selectors import xero_as_dict
    from tests.sandbox.xero.helpers import take_violations

    client, _ = make(xero_sandbox)
    control(xero_sandbox, "organisation", {"Class": "ULTIMATE_PLUS_2030", "Edition": "ENTERPRISE"})
    org = client.organisation()
    assert org.name == "Summit Ridge Builders LLC" and org.country_code.value == "US"
    shown = xero_as_dict(org)
    assert (shown["Class"], shown["Edition"], shown["CountryCode"]) == ("ULTIMATE_PLUS_2030", "ENTERPRISE", "US")
    assert take_violations(xero_sandbox)  # what the published contract does not know yet


def test_lock_dates_are_read_from_the_organisation(xero_sandbox):
    from datetime import date

    client, _ = make(xero_sandbox)
    locks = client.lock_dates()
    assert (locks.period, locks.end_of_year) == (date(2024, 12, 31), date(2023, 12, 31))
    assert locks.closed_until() == date(2024, 12, 31)
    control(xero_sandbox, "organisation", {"PeriodLockDate": None, "EndOfYearLockDate": None})
    assert client.lock_dates().closed_until() is None


# -- what the connector will need: files on bills, supplier credit notes ---------------------------------
def _approved_bill(client, amount="100.00"):
    contact = client.iter_pages("contacts").__next__().records[0]
    result = client.write_batch("invoices", [{
        "Type": "ACCPAY", "Contact": {"ContactID": str(contact.contact_id)}, "Status": "AUTHORISED",
        "InvoiceNumber": "SC-0001 #3", "LineItems": [{"Description": "Work", "Quantity": 1, "UnitAmount": amount,
                                                     "AccountCode": "500"}]}], None)[0]
    assert result.ok, result.errors
    return result.record, contact


def test_the_pay_application_is_attached_to_its_bill(xero_sandbox):
    client, _ = make(xero_sandbox)
    bill, _ = _approved_bill(client)
    pdf = b"%PDF-1.4\n% pay application 3\n%%EOF\n"
    attachment = client.upload_invoice_attachment(str(bill.invoice_id), "Pay Application 3.pdf", pdf,
                                                  idempotency_key=f"att-{uuid.uuid4()}")
    assert (attachment.file_name, attachment.mime_type, attachment.content_length) == (
        "Pay Application 3.pdf", "application/pdf", len(pdf))
    assert [a.file_name for a in client.invoice_attachments(str(bill.invoice_id))] == ["Pay Application 3.pdf"]
    with pytest.raises(XeroValidationError, match="not supported"):
        client.upload_invoice_attachment(str(bill.invoice_id), "macro.exe", b"MZ")


def test_a_supplier_credit_note_is_created_and_allocated_to_the_bill(xero_sandbox):
    from datetime import date

    client, _ = make(xero_sandbox)
    bill, contact = _approved_bill(client)
    [credit] = client.write_batch("credit_notes", [{
        "Type": "ACCPAYCREDIT", "Contact": {"ContactID": str(contact.contact_id)}, "Status": "AUTHORISED",
        "CreditNoteNumber": "SC-0001 #4 (credit)", "Date": "2026-02-01",
        "LineItems": [{"Description": "Back charge", "Quantity": 1, "UnitAmount": "40.00", "AccountCode": "500"}]}],
        f"cn-{uuid.uuid4()}")
    assert credit.ok and str(credit.record.type) == "ACCPAYCREDIT"
    allocation = client.allocate_credit_note(str(credit.id), str(bill.invoice_id), Decimal("40"), date(2026, 2, 1))
    assert allocation.amount == Decimal("40")
    [after] = client.invoices_by_ids([str(bill.invoice_id)])
    assert after.amount_due == Decimal("60") and after.amount_credited == Decimal("40")
    with pytest.raises(XeroValidationError, match="remaining credit"):
        client.allocate_credit_note(str(credit.id), str(bill.invoice_id), Decimal("1"), date(2026, 2, 1))
    notes = [n for p in client.iter_pages("credit_notes") for n in p.records]
    assert [str(n.status) for n in notes] == ["PAID"]


def test_a_lean_read_gives_the_same_fields_without_the_whole_bill(xero_sandbox):
    client, _ = make(xero_sandbox)
    only = {"PaymentID": True, "Date": True, "Amount": True, "UpdatedDateUTC": True,
            "Invoice": {"InvoiceID": True, "InvoiceNumber": True}}
    full = [p for page in client.iter_pages("payments", page_size=3) for p in page.records]
    lean_pages = list(client.iter_pages("payments", page_size=3, only=only))
    lean = [p for page in lean_pages for p in page.records]
    assert full and lean_pages[-1].is_last and len(lean) == len(full)

    def seen(p):
        return (p.payment_id, p.date, p.amount, p.updated_date_utc, p.invoice.invoice_id, p.invoice.invoice_number)

    assert [seen(p) for p in lean] == [seen(p) for p in full]  # parsed as the SDK parses them: dates, decimals
    assert full[0].invoice.contact is not None and lean[0].invoice.contact is None  # the bill's rest not built
