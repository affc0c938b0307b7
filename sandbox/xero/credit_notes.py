"""Credit notes (ACCPAYCREDIT supplier credits, ACCRECCREDIT) and their allocation to bills.

A credit note has the statuses and rules of a bill (`statuses`, `locks`, an account on every approved line).
Allocating part of an approved credit note to an approved bill of the same contact lowers the bill's amount
due and the note's remaining credit; either becomes PAID at zero (Xero's credit notes and allocations pages).
Callers hold `state.lock`.
"""

from __future__ import annotations

from decimal import Decimal

from . import documents as docs
from . import lengths, locks, rules, statuses
from .documents import Invalid
from .formats import money, msdate, new_id, number
from .rules import existing_row

TYPES = {"ACCPAYCREDIT": ("ACCPAY", "PurchaseDetails"), "ACCRECCREDIT": ("ACCREC", "SalesDetails")}
FIELDS = ("Contact", "Date", "DueDate", "CreditNoteNumber", "Reference", "CurrencyCode", "LineAmountTypes")


def save_credit_note(state, tenant, element, mode, app=None):
    row = existing_row(state, tenant, "CreditNotes", element, "CreditNoteID")
    kind = element.get("Type") or (row or {}).get("Type")
    if kind not in TYPES:
        raise Invalid("Credit note Type must be ACCPAYCREDIT or ACCRECCREDIT")
    lengths.check("CreditNotes", element)
    status = statuses.new_status("CreditNotes", row, element)
    if row is not None:
        statuses.refuse_edits_of_approved("CreditNotes", row, element, FIELDS)
        statuses.refuse_void_with_money("CreditNotes", row, status)
    amount_types = element.get("LineAmountTypes") or (row or {}).get("LineAmountTypes") or "Exclusive"
    contact = docs.contact_ref(state, tenant, element.get("Contact") or (row or {}).get("Contact"), rules)
    if "LineItems" in element or row is None:
        lines = docs.line_items(
            state, tenant, element.get("LineItems"), amount_types, (row or {}).get("LineItems"),
            side=TYPES[kind][1], account_required=status == "AUTHORISED",
        )
        if not lines:
            raise Invalid("A credit note must have at least one line item")
    else:
        lines = row["LineItems"]
    total = docs.totals(lines, amount_types)
    if total["Total"] <= 0:
        raise Invalid("The credit note total must be greater than zero")
    when = docs.date_ts(element.get("Date") or (row or {}).get("Date"), state.now())
    if status in ("AUTHORISED", "VOIDED") and (row is None or row["Status"] != status):
        locks.check_open(state, tenant, when)
    created = row is None
    out = dict(row or {
        "CreditNoteID": new_id(),
        "CreditNoteNumber": element.get("CreditNoteNumber")
        or (f"CN-{len(state.rows('CreditNotes', tenant)) + 1:04d}" if kind == "ACCRECCREDIT" else ""),
        "Allocations": [],
        "Payments": [],
        "HasAttachments": False,
        "HasErrors": False,
        "SentToContact": False,
        "_app": app,
    })
    for key in ("CreditNoteNumber", "Reference", "CurrencyCode"):
        if element.get(key) is not None:
            out[key] = element[key]
    allocated = sum((number(a["Amount"]) for a in out["Allocations"]), Decimal("0.00"))
    out.update(
        Type=kind,
        Contact=contact,
        LineItems=lines,
        LineAmountTypes=amount_types,
        Status=status,
        Date=msdate(when),
        CurrencyRate=Decimal(1),
        RemainingCredit=total["Total"] - allocated,
        **total,
    )
    if element.get("DueDate") or out.get("DueDate"):
        out["DueDate"] = docs.date_field(element.get("DueDate") or out.get("DueDate"), when)
    out.setdefault("CurrencyCode", (state.organisation(tenant) or {}).get("BaseCurrency", "USD"))
    return state.put("CreditNotes", tenant, out, created, data={"Type": kind, "Status": status})


def allocate(state, tenant, credit_note_id: str, element: dict) -> dict:
    """One allocation {Invoice: {InvoiceID}, Amount, Date} of an approved credit note to an approved bill."""
    note = state.get("CreditNotes", tenant, credit_note_id)
    if note is None:
        raise Invalid(f"CreditNoteID {credit_note_id} could not be found")
    if note["Status"] != "AUTHORISED":
        raise Invalid("Only an approved (AUTHORISED) credit note with remaining credit can be allocated")
    ref = element.get("Invoice") or {}
    invoice = state.get("Invoices", tenant, ref.get("InvoiceID")) if ref.get("InvoiceID") else None
    if invoice is None:
        raise Invalid("Invoice could not be found; specify a valid InvoiceID")
    if invoice["Type"] != TYPES[note["Type"]][0] or invoice["Contact"]["ContactID"] != note["Contact"]["ContactID"]:
        raise Invalid("A credit note can only be allocated to a document of the same type and contact")
    if invoice["Status"] != "AUTHORISED":
        raise Invalid("Credit can only be allocated to an approved (AUTHORISED) document with an amount due")
    try:
        amount = money(element.get("Amount"))
    except ValueError as exc:
        raise Invalid(str(exc))
    if amount <= 0:
        raise Invalid("The allocated amount must be greater than zero")
    if amount > number(note["RemainingCredit"]):
        raise Invalid("The allocated amount exceeds the remaining credit on this credit note")
    if amount > number(invoice["AmountDue"]):
        raise Invalid("The allocated amount exceeds the amount due on the document")
    when = docs.date_ts(element.get("Date"), state.now())
    locks.check_open(state, tenant, when)
    allocation = {"AllocationID": new_id(), "Amount": amount, "Date": msdate(when), "IsDeleted": False,
                  "Invoice": {"InvoiceID": invoice["InvoiceID"], "InvoiceNumber": invoice.get("InvoiceNumber", "")}}
    note = dict(note, Allocations=list(note["Allocations"]) + [allocation])
    note["RemainingCredit"] = number(note["RemainingCredit"]) - amount
    if note["RemainingCredit"] == 0:
        note.update(Status="PAID", FullyPaidOnDate=msdate(when))
    state.put("CreditNotes", tenant, note, False, data={"Type": note["Type"], "Status": note["Status"]})
    bill = dict(invoice)
    bill["AmountCredited"] = number(bill.get("AmountCredited")) + amount
    bill["AmountDue"] = number(bill["AmountDue"]) - amount
    bill["CreditNotes"] = list(bill.get("CreditNotes") or []) + [{
        "CreditNoteID": note["CreditNoteID"], "CreditNoteNumber": note.get("CreditNoteNumber", ""),
        "Total": note["Total"], "AppliedAmount": amount, "Date": allocation["Date"],
    }]
    if bill["AmountDue"] == 0:
        bill.update(Status="PAID", FullyPaidOnDate=msdate(when))
    state.put("Invoices", tenant, bill, False)
    return dict(allocation, CreditNote={"CreditNoteID": note["CreditNoteID"]})
