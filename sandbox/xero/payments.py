"""Payments on bills (only AUTHORISED, never above the amount due), their reversal, batch payments."""

from __future__ import annotations

from decimal import Decimal

from . import documents as docs
from . import lengths, locks
from .documents import Invalid
from .formats import new_id, number

PAYMENT_TYPES = {
    "ACCPAY": "ACCPAYPAYMENT",
    "ACCREC": "ACCRECPAYMENT",
    "ACCPAYCREDIT": "APCREDITPAYMENT",
    "ACCRECCREDIT": "ARCREDITPAYMENT",
}


# -- Payments --------------------------------------------------------------------------------------
def save_payment(state, tenant, element, mode, app=None, batch_id=None, batch_account=None, batch_date=None):
    if element.get("PaymentID") and state.get("Payments", tenant, element["PaymentID"]):
        raise Invalid("Payments cannot be edited; delete (reverse) the payment and create a new one")
    ref = element.get("Invoice") or {}
    invoice = None
    if ref.get("InvoiceID"):
        invoice = state.get("Invoices", tenant, ref["InvoiceID"])
    elif ref.get("InvoiceNumber") or element.get("InvoiceNumber"):
        wanted = ref.get("InvoiceNumber") or element.get("InvoiceNumber")
        invoice = next((i for i in state.rows("Invoices", tenant) if i.get("InvoiceNumber") == wanted), None)
    if invoice is None:
        raise Invalid("Invoice could not be found; specify a valid InvoiceID or InvoiceNumber")
    account = docs.find_account(state, tenant, element.get("Account") or batch_account)
    if account is None:
        raise Invalid("Account could not be found; specify a valid AccountID or Code")
    if account["Type"] != "BANK" and not account.get("EnablePaymentsToAccount"):
        raise Invalid("Account type is invalid for making a payment to/from")
    if invoice["Status"] != "AUTHORISED":
        raise Invalid("Payment can only be made against Authorised documents")
    try:
        amount = number(element.get("Amount"))
    except ValueError as exc:
        raise Invalid(str(exc))
    if amount <= 0:
        raise Invalid("Payment amount must be greater than zero")
    if amount > number(invoice["AmountDue"]):
        raise Invalid("Payment amount exceeds the amount outstanding on this document")
    lengths.check("Payments", element)
    locks.check_open(state, tenant, docs.date_ts(element.get("Date") or batch_date, state.now()))
    when = docs.date_field(element.get("Date") or batch_date, state.now())
    payment = {
        "PaymentID": new_id(),
        "Date": when,
        "Amount": amount,
        "BankAmount": amount,
        "CurrencyRate": Decimal(1),
        "Reference": element.get("Reference") or "",
        "IsReconciled": bool(element.get("IsReconciled", False)),
        "Status": "AUTHORISED",
        "PaymentType": PAYMENT_TYPES[invoice["Type"]],
        "HasAccount": True,
        "HasValidationErrors": False,
        "Account": {"AccountID": account["AccountID"], "Code": account["Code"]},
        "Invoice": {
            "InvoiceID": invoice["InvoiceID"],
            "InvoiceNumber": invoice.get("InvoiceNumber", ""),
            "Type": invoice["Type"],
            "Contact": dict(invoice["Contact"]),
        },
    }
    if batch_id:
        payment["BatchPaymentID"] = batch_id
    state.put("Payments", tenant, payment, True)
    bill = dict(invoice)
    bill["AmountPaid"] = number(bill["AmountPaid"]) + amount
    bill["AmountDue"] = number(bill["AmountDue"]) - amount
    bill["Payments"] = list(bill["Payments"]) + [
        {
            "PaymentID": payment["PaymentID"],
            "Date": when,
            "Amount": amount,
            "Reference": payment["Reference"],
            "CurrencyRate": Decimal(1),
            "HasAccount": True,
            "HasValidationErrors": False,
        }
    ]
    if bill["AmountDue"] == 0:
        bill.update(Status="PAID", FullyPaidOnDate=when)
    state.put("Invoices", tenant, bill, False)
    return payment


def delete_payment(state, tenant, payment_id):
    payment = state.get("Payments", tenant, payment_id)
    if payment is None:
        raise Invalid(f"Payment {payment_id} could not be found")
    if payment["Status"] == "DELETED":
        raise Invalid("This payment has already been deleted")
    locks.check_open(state, tenant, docs.date_ts(payment["Date"], state.now()))  # reversing posts on its date
    payment = dict(payment, Status="DELETED")
    state.put("Payments", tenant, payment, False)
    invoice = state.get("Invoices", tenant, payment["Invoice"]["InvoiceID"])
    if invoice is not None:
        bill = dict(invoice)
        amount = number(payment["Amount"])
        bill["AmountPaid"] = number(bill["AmountPaid"]) - amount
        bill["AmountDue"] = number(bill["AmountDue"]) + amount
        bill["Payments"] = [p for p in bill["Payments"] if p["PaymentID"] != payment["PaymentID"]]
        if bill["Status"] == "PAID":
            bill["Status"] = "AUTHORISED"
            bill.pop("FullyPaidOnDate", None)
        state.put("Invoices", tenant, bill, False)
    return payment


def save_batch_payment(state, tenant, element, mode, app=None):
    payments = element.get("Payments") or []
    if not payments:
        raise Invalid("A batch payment needs at least one payment")
    account = docs.find_account(state, tenant, element.get("Account"))
    if account is None:
        raise Invalid("Account could not be found; specify a valid AccountID or Code")
    locks.check_open(state, tenant, docs.date_ts(element.get("Date"), state.now()))
    # All or nothing: check every payment before creating any.
    for p in payments:
        ref = (p.get("Invoice") or {}).get("InvoiceID")
        invoice = state.get("Invoices", tenant, ref) if ref else None
        if (
            invoice is None
            or invoice["Status"] != "AUTHORISED"
            or number(p.get("Amount")) > number(invoice["AmountDue"])
        ):
            raise Invalid(
                f"Payment to invoice {ref} is not possible (not found, not authorised or above the amount due)"
            )
    batch_id = new_id()
    made = [
        save_payment(state, tenant, p, "PUT", app, batch_id, element.get("Account"), element.get("Date"))
        for p in payments
    ]
    row = {
        "BatchPaymentID": batch_id,
        "Account": {"AccountID": account["AccountID"], "Code": account["Code"]},
        "Reference": element.get("Reference") or "",
        "Date": made[0]["Date"],
        "Type": "PAYBATCH",
        "Status": "AUTHORISED",
        "IsReconciled": False,
        "TotalAmount": sum((number(p["Amount"]) for p in made), Decimal("0.00")),
        "Payments": [
            {
                "PaymentID": p["PaymentID"],
                "Amount": p["Amount"],
                "Invoice": {"InvoiceID": p["Invoice"]["InvoiceID"]},
            }
            for p in made
        ],
    }
    return state.put("BatchPayments", tenant, row, True)
