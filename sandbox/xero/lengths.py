"""Field lengths Xero refuses beyond: maxLength in specs/xero/xero_accounting.yaml, the 50 characters Xero's
tracking page gives option names, and 255 for references and numbers the spec leaves open (README)."""

from __future__ import annotations

from .documents import Invalid

LIMITS = {
    "Items": {"Code": 30, "Name": 50, "Description": 4000, "PurchaseDescription": 4000},
    "Contacts": {"Name": 255, "ContactNumber": 50, "AccountNumber": 50, "FirstName": 255, "LastName": 255,
                 "EmailAddress": 255, "TaxNumber": 50, "CompanyNumber": 50},
    "TrackingCategories": {"Name": 100},
    "Options": {"Name": 50},
    "Invoices": {"InvoiceNumber": 255, "Reference": 255},
    "CreditNotes": {"CreditNoteNumber": 255, "Reference": 255},
    "PurchaseOrders": {"PurchaseOrderNumber": 255, "Reference": 255, "AttentionTo": 255,
                       "DeliveryInstructions": 500},
    "BankTransactions": {"Reference": 255},
    "Payments": {"Reference": 255},
    "LineItems": {"Description": 4000},
}
LABELS = {  # how Xero names the field in its message
    ("Items", "Code"): "Code", ("Items", "Name"): "Name", ("Contacts", "Name"): "contact name",
    ("Options", "Name"): "tracking option name", ("TrackingCategories", "Name"): "tracking category name",
    ("LineItems", "Description"): "line item description",
}


def check(kind: str, element: dict) -> None:
    """Raise Invalid naming every over-long field of one element (and of its lines)."""
    messages = [
        f"The {LABELS.get((kind, field), field)} must not be more than {limit} characters long"
        for field, limit in LIMITS.get(kind, {}).items()
        if isinstance(element.get(field), str) and len(element[field]) > limit
    ]
    for line in element.get("LineItems") or []:
        if isinstance(line, dict) and len(str(line.get("Description") or "")) > LIMITS["LineItems"]["Description"]:
            messages.append("The line item description must not be more than 4000 characters long")
            break
    if messages:
        raise Invalid(*messages)
