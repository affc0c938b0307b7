"""Seeded Xero data: deterministic, shaped for the demo and the benchmark, cheap to build."""

import time

from sandbox.datasets import XERO_ORGANISATIONS, vendor_names
from sandbox.xero import XeroState


def _data(state):
    return {name: state.dump(name) for name in sorted(state.tables)}


def test_same_seed_same_data_other_seed_other_data():
    one, two, other = XeroState("small", 7), XeroState("small", 7), XeroState("small", 8)
    assert _data(one) == _data(two)
    assert _data(one)["Contacts"] != _data(other)["Contacts"]


def test_small_reads_like_a_construction_company():
    state = XeroState("small", 1)
    tenant = state.tenant_ids()[0]
    contacts = [c["Name"] for c in state.rows("Contacts", tenant)]
    vendors = vendor_names("small", 1)
    exact = [c for c in contacts if c in vendors]
    loose = [
        c
        for c in contacts
        if c not in vendors
        and c.lower().replace(",", "").replace(".", "")
        in {v.lower().replace(",", "").replace(".", "").replace("&", "and") for v in vendors}
    ]
    assert exact and (loose or any(c.isupper() for c in contacts))  # matches by name, with variations
    accounts = state.rows("Accounts", tenant)
    assert any(a["Type"] == "BANK" for a in accounts) and any(a["Type"] == "DIRECTCOSTS" for a in accounts)
    assert {"NONE", "INPUT"} <= {t["TaxType"] for t in state.rows("TaxRates", tenant)}
    job = next(c for c in state.rows("TrackingCategories", tenant) if c["Name"] == "Job")
    assert len(job["Options"]) == 2
    bills = state.rows("Invoices", tenant)
    assert bills and all(b["Type"] == "ACCPAY" for b in bills)
    assert any(line["Tracking"] for b in bills for line in b["LineItems"])
    assert state.rows("BankTransactions", tenant) and state.rows("ManualJournals", tenant)
    assert state.rows("Payments", tenant)
    other = state.tenant_ids()[1]
    assert state.rows("Contacts", other) == [] and state.rows(
        "Accounts", other
    )  # data lives in the first org


def test_seeded_payments_match_their_bills():
    state = XeroState("small", 3)
    tenant = state.tenant_ids()[0]
    for bill in state.rows("Invoices", tenant):
        paid = sum(
            p["Amount"]
            for p in state.rows("Payments", tenant)
            if p["Invoice"]["InvoiceID"] == bill["InvoiceID"]
        )
        assert paid == bill["AmountPaid"] and bill["AmountDue"] == bill["Total"] - paid >= 0
        assert (bill["Status"] == "PAID") == (bill["AmountDue"] == 0)


def test_medium_has_the_benchmark_volumes_and_seeds_fast():
    started = time.monotonic()
    state = XeroState("medium", 1)
    assert time.monotonic() - started < 5
    tenant = state.tenant_ids()[0]
    spend = sum(len(state.rows(kind, tenant)) for kind in ("Invoices", "BankTransactions", "ManualJournals"))
    assert (len(state.rows("Contacts", tenant)), spend, len(state.rows("Payments", tenant))) == (
        1000,
        5000,
        10000,
    )


def test_empty_has_organisations_but_no_data():
    state = XeroState("empty", 1)
    assert len(state.organisations) == len(XERO_ORGANISATIONS) == 24
    assert state.counts()["Contacts"] == 0 and state.counts()["Invoices"] == 0


def test_saved_state_keeps_data_and_oauth_grants(tmp_path):
    from sandbox.xero import CLIENT_ID

    path = tmp_path / "sandbox-xero.json"
    first = XeroState("small", 1, persist_path=path)
    grant = first.auth.issue(CLIENT_ID, ["offline_access", "accounting.contacts"], "event", True)
    first.save()
    again = XeroState("empty", 1, persist_path=path)
    assert again.load()
    assert _data(again)["Contacts"] == _data(first)["Contacts"]
    assert again.auth.rotate(grant["refresh_token"], CLIENT_ID) is not None  # still connected after a restart
    assert isinstance(again.dump("Invoices")[0]["Total"], float)
