"""Purchase orders, bills (ACCPAY), spend money and manual journals: one element each (credit notes:
`credit_notes`). Status changes follow `statuses`, posting dates `locks`, field lengths `lengths`.

Callers hold `state.lock`; failures raise `Invalid` with Xero-style messages.
"""

from __future__ import annotations

from decimal import Decimal

from . import documents as docs
from . import lengths, locks, rules, statuses
from .documents import Invalid
from .formats import new_id, number
from .rules import existing_row

INVOICE_TYPES = {"ACCPAY", "ACCREC"}
STARTER_BILLS_PER_MONTH = (
    5  # US "Early" plan (Organisation.Class STARTER); 3rd-party figure, xero-api.md §3.6
)


# -- Purchase orders -------------------------------------------------------------------------------
def save_purchase_order(state, tenant, element, mode, app=None):
    row = existing_row(state, tenant, "PurchaseOrders", element, "PurchaseOrderID")
    status = statuses.new_status("PurchaseOrders", row, element)
    lengths.check("PurchaseOrders", element)
    amount_types = element.get("LineAmountTypes") or (row or {}).get("LineAmountTypes") or "Exclusive"
    contact = docs.contact_ref(state, tenant, element.get("Contact") or (row or {}).get("Contact"), rules)
    if "LineItems" in element or row is None:
        # Update semantics: lines sent without a known LineItemID are new; existing lines not sent are deleted.
        lines = docs.line_items(
            state, tenant, element.get("LineItems"), amount_types, (row or {}).get("LineItems"),
            side="PurchaseDetails",
        )
        if not lines:
            raise Invalid("A purchase order must have at least one line item")
    else:
        lines = row["LineItems"]
    created = row is None
    out = dict(
        row
        or {
            "PurchaseOrderID": new_id(),
            "HasAttachments": False,
            "SentToContact": False,
            "PurchaseOrderNumber": element.get("PurchaseOrderNumber")
            or f"PO-{len(state.rows('PurchaseOrders', tenant)) + 1:04d}",
        }
    )
    for key in (
        "PurchaseOrderNumber",
        "Reference",
        "DeliveryAddress",
        "AttentionTo",
        "Telephone",
        "DeliveryInstructions",
        "CurrencyCode",
    ):
        if element.get(key) is not None:
            out[key] = element[key]
    out.update(
        Contact=contact,
        LineItems=lines,
        LineAmountTypes=amount_types,
        Status=status,
        Date=docs.date_field(element.get("Date") or out.get("Date"), state.now()),
        CurrencyRate=Decimal(1),
        TotalDiscount=Decimal("0.00"),
        **docs.totals(lines, amount_types),
    )
    out.setdefault("CurrencyCode", _currency(state, tenant))
    for key in ("DeliveryDate", "ExpectedArrivalDate"):
        if element.get(key):
            out[key] = docs.date_field(element[key], state.now())
    return state.put("PurchaseOrders", tenant, out, created)


# -- Invoices (bills) ------------------------------------------------------------------------------
INVOICE_FIELDS = ("Contact", "Date", "DueDate", "InvoiceNumber", "Reference", "Url", "CurrencyCode",
                  "LineAmountTypes")


def save_invoice(state, tenant, element, mode, app=None):
    row = existing_row(state, tenant, "Invoices", element, "InvoiceID")
    kind = element.get("Type") or (row or {}).get("Type")
    if kind not in INVOICE_TYPES:
        # Credit notes are their own resource (/CreditNotes), not an invoice type.
        raise Invalid("Invoice Type must be specified (ACCPAY or ACCREC); credit notes go to CreditNotes")
    lengths.check("Invoices", element)
    status = statuses.new_status("Invoices", row, element)
    if row is not None:
        statuses.refuse_edits_of_approved("Invoices", row, element, INVOICE_FIELDS)
        statuses.refuse_void_with_money("Invoices", row, status)
    amount_types = element.get("LineAmountTypes") or (row or {}).get("LineAmountTypes") or "Exclusive"
    contact = docs.contact_ref(state, tenant, element.get("Contact") or (row or {}).get("Contact"), rules)
    if "LineItems" in element or row is None:
        lines = docs.line_items(
            state, tenant, element.get("LineItems"), amount_types, (row or {}).get("LineItems"),
            side="PurchaseDetails" if kind == "ACCPAY" else "SalesDetails",
            account_required=status == "AUTHORISED",
        )
    else:
        lines = row["LineItems"]
        if status == "AUTHORISED" and row["Status"] != "AUTHORISED" and any(not li.get("AccountCode") for li in lines):
            raise Invalid("Account code or ID must be specified")
    total = docs.totals(lines, amount_types)
    if total["Total"] < 0:
        raise Invalid("The document total cannot be negative. Use a credit note (ACCPAYCREDIT) instead.")
    when = docs.date_ts(element.get("Date") or (row or {}).get("Date"), state.now())
    if status in ("AUTHORISED", "VOIDED") and (row is None or row["Status"] != status):
        locks.check_open(state, tenant, when)  # approving or voiding posts to the ledger on that date
    created = row is None
    warnings = []
    if kind == "ACCPAY" and status == "AUTHORISED" and _over_plan_bill_limit(state, tenant, row):
        status = "DRAFT"  # small plans keep approving bills beyond the cap as drafts, with a warning
        warnings.append(
            {
                "Message": f"Your plan allows {STARTER_BILLS_PER_MONTH} approved bills a month; "
                "this bill was saved as a draft"
            }
        )
    out = dict(
        row
        or {
            "InvoiceID": new_id(),
            "HasAttachments": False,
            "IsDiscounted": False,
            "HasErrors": False,
            "Payments": [],
            "CreditNotes": [],
            "Prepayments": [],
            "Overpayments": [],
            "AmountPaid": Decimal("0.00"),
            "AmountCredited": Decimal("0.00"),
            "SentToContact": False,
            "_app": app,
        }
    )
    for key in ("InvoiceNumber", "Reference", "Url", "CurrencyCode"):
        if element.get(key) is not None:
            out[key] = element[key]
    out.update(
        Type=kind,
        Contact=contact,
        LineItems=lines,
        LineAmountTypes=amount_types,
        Status=status,
        Date=docs.date_field(element.get("Date") or out.get("Date"), state.now()),
        CurrencyRate=Decimal(1),
        TotalDiscount=Decimal("0.00"),
        **total,
    )
    out["DueDate"] = docs.date_field(
        element.get("DueDate") or out.get("DueDate") or element.get("Date"), state.now()
    )
    out.setdefault("CurrencyCode", _currency(state, tenant))
    out["AmountDue"] = total["Total"] - number(out["AmountPaid"])
    if status == "AUTHORISED" and "_authorised_at" not in out:
        out["_authorised_at"] = state.now()
    saved = state.put("Invoices", tenant, out, created)
    if warnings:
        saved = dict(saved, Warnings=warnings)  # shown in this answer only
    if kind.startswith("ACCPAY") and created:
        _mark_contact(state, tenant, contact["ContactID"], "IsSupplier")
    return saved


def _over_plan_bill_limit(state, tenant, row) -> bool:
    org = state.organisation(tenant)
    if not org or org["Class"] != "STARTER" or (row is not None and row["Status"] == "AUTHORISED"):
        return False
    month_start = state.now() - 30 * 86400
    approved = [
        b
        for b in state.rows("Invoices", tenant)
        if b["Type"] == "ACCPAY" and b.get("_authorised_at", 0) > month_start
    ]
    return len(approved) >= STARTER_BILLS_PER_MONTH


def _mark_contact(state, tenant, contact_id, flag):
    contact = state.get("Contacts", tenant, contact_id)
    if contact is not None and not contact.get(flag):
        contact[flag] = True  # Xero sets it silently: no UpdatedDateUTC bump, no webhook


def _currency(state, tenant):
    org = state.organisation(tenant)
    return org["BaseCurrency"] if org else "USD"


# -- Bank transactions and manual journals ---------------------------------------------------------
def save_bank_transaction(state, tenant, element, mode, app=None):
    row = existing_row(state, tenant, "BankTransactions", element, "BankTransactionID")
    kind = element.get("Type") or (row or {}).get("Type")
    if kind not in ("SPEND", "RECEIVE"):
        raise Invalid("Type must be SPEND or RECEIVE")
    bank = docs.find_account(state, tenant, element.get("BankAccount") or (row or {}).get("BankAccount"))
    if bank is None or bank["Type"] != "BANK":
        raise Invalid("A valid BankAccount (a BANK account) must be specified")
    lengths.check("BankTransactions", element)
    # Spend and receive money post to the ledger as they are saved: an account on every line, an open date.
    locks.check_open(state, tenant, docs.date_ts(element.get("Date") or (row or {}).get("Date"), state.now()))
    amount_types = element.get("LineAmountTypes") or "Exclusive"
    contact = docs.contact_ref(state, tenant, element.get("Contact") or (row or {}).get("Contact"), rules)
    lines = docs.line_items(
        state, tenant, element.get("LineItems"), amount_types, (row or {}).get("LineItems"),
        side="PurchaseDetails" if kind == "SPEND" else "SalesDetails", account_required=True,
    )
    if not lines:
        raise Invalid("At least one line item is required")
    created = row is None
    out = dict(row or {"BankTransactionID": new_id(), "HasAttachments": False, "IsReconciled": False})
    out.update(
        Type=kind,
        Contact=contact,
        LineItems=lines,
        LineAmountTypes=amount_types,
        BankAccount={"AccountID": bank["AccountID"], "Code": bank["Code"], "Name": bank["Name"]},
        Status=element.get("Status") or out.get("Status") or "AUTHORISED",
        Reference=element.get("Reference") or out.get("Reference") or "",
        CurrencyCode=_currency(state, tenant),
        Date=docs.date_field(element.get("Date") or out.get("Date"), state.now()),
        **docs.totals(lines, amount_types),
    )
    return state.put("BankTransactions", tenant, out, created)


def save_manual_journal(state, tenant, element, mode, app=None):
    row = existing_row(state, tenant, "ManualJournals", element, "ManualJournalID")
    narration = element.get("Narration") or (row or {}).get("Narration")
    if not narration:
        raise Invalid("Narration must be specified")
    lines = []
    accounts = {a["Code"] for a in state.rows("Accounts", tenant)}
    for line in element.get("JournalLines") or (row or {}).get("JournalLines") or []:
        if line.get("AccountCode") not in accounts:
            raise Invalid(f"Account code '{line.get('AccountCode')}' is not a valid code")
        tracking = docs.tracking(state, tenant, line.get("Tracking"))
        lines.append(
            {
                "LineAmount": number(line.get("LineAmount")).quantize(Decimal("0.01")),
                "AccountCode": line["AccountCode"],
                "Description": line.get("Description") or "",
                "TaxType": line.get("TaxType") or "NONE",
                "TaxAmount": Decimal("0.00"),
                "IsBlank": False,
                "Tracking": tracking,
            }
        )
    if len(lines) < 2:
        raise Invalid("A manual journal needs at least two lines")
    if sum(line["LineAmount"] for line in lines) != 0:
        raise Invalid("The total debits must equal the total credits")
    status = element.get("Status") or (row or {}).get("Status") or "DRAFT"
    if status == "POSTED" or (row or {}).get("Status") == "POSTED":  # a posted journal is in the ledger
        locks.check_open(state, tenant, docs.date_ts(element.get("Date") or (row or {}).get("Date"), state.now()))
    created = row is None
    out = dict(row or {"ManualJournalID": new_id(), "HasAttachments": False, "ShowOnCashBasisReports": True})
    out.update(
        Narration=narration,
        JournalLines=lines,
        LineAmountTypes=element.get("LineAmountTypes") or "NoTax",
        Status=status,
        Date=docs.date_field(element.get("Date") or out.get("Date"), state.now()),
    )
    return state.put("ManualJournals", tenant, out, created)
