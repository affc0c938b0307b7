"""Which status changes Xero allows, and what may still change on a document once it is approved.

Xero's invoice page: "create … update draft or submitted … delete draft … void approved" bills; an
approved document is not edited (its amounts change only by voiding it and entering a new one), a paid or
part-paid one not even voided. Purchase orders are not posted to the ledger: an approved one may still be
edited and marked billed, never sent back to draft. Where Xero's documentation is silent (submitted back to
draft, deleting an approved purchase order) the stricter rule is kept (README).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from .documents import Invalid
from .formats import parse_date

CREATE = {"DRAFT", "SUBMITTED", "AUTHORISED"}
MOVES = {
    "Invoices": {
        "DRAFT": {"DRAFT", "SUBMITTED", "AUTHORISED", "DELETED"},
        "SUBMITTED": {"SUBMITTED", "AUTHORISED", "DELETED"},
        "AUTHORISED": {"AUTHORISED", "VOIDED"},
        "PAID": {"PAID"},
        "VOIDED": {"VOIDED"},
        "DELETED": {"DELETED"},
    },
    "PurchaseOrders": {
        "DRAFT": {"DRAFT", "SUBMITTED", "AUTHORISED", "DELETED"},
        "SUBMITTED": {"SUBMITTED", "AUTHORISED", "DELETED"},
        "AUTHORISED": {"AUTHORISED", "BILLED"},
        "BILLED": {"BILLED"},
        "DELETED": {"DELETED"},
    },
}
MOVES["CreditNotes"] = MOVES["Invoices"]
LABEL = {"Invoices": "Invoice", "CreditNotes": "Credit Note", "PurchaseOrders": "Purchase Order"}
PAID_MESSAGE = "This document cannot be edited as it has a payment or credit note allocated to it."


def new_status(kind: str, row: dict | None, element: dict) -> str:
    """The status the element asks for, checked against where the document stands (Xero's wording)."""
    wanted = element.get("Status") or (row or {}).get("Status") or "DRAFT"
    if row is None:
        if wanted not in CREATE:
            raise Invalid(f"{LABEL[kind]} status {wanted} cannot be set when a document is created; "
                          "create it as DRAFT, SUBMITTED or AUTHORISED")
        return wanted
    current = row["Status"]
    if wanted not in MOVES[kind].get(current, set()) or current in ("VOIDED", "DELETED", "BILLED"):
        if kind != "PurchaseOrders" and current == "PAID":
            raise Invalid(PAID_MESSAGE)
        raise Invalid(f"{LABEL[kind]} not of valid status for modification")
    return wanted


def refuse_edits_of_approved(kind: str, row: dict, element: dict, editable: tuple[str, ...]) -> None:
    """An approved (or paid) bill or credit note only takes a void: no new lines, amounts or dates."""
    if row["Status"] not in ("AUTHORISED", "PAID"):
        return
    changed = [k for k in editable if k in element and not _same(k, element[k], row.get(k))]
    if ("LineItems" in element and not _same_lines(element["LineItems"], row.get("LineItems") or [])) or changed:
        paid = row.get("AmountPaid") or row.get("AmountCredited") or row["Status"] == "PAID"
        raise Invalid(PAID_MESSAGE if paid else f"{LABEL[kind]} not of valid status for modification")


def refuse_void_with_money(kind: str, row: dict, status: str) -> None:
    if status == "VOIDED" and row["Status"] != "VOIDED" and (
        row.get("AmountPaid") or row.get("AmountCredited") or row.get("Payments") or row.get("Allocations")
    ):
        raise Invalid(f"This {LABEL[kind].lower()} cannot be voided as it has a payment or credit note "
                      "allocated to it; remove them first")


def _same(key: str, sent, stored) -> bool:
    if key == "Contact":
        sent, stored = sent or {}, stored or {}
        if sent.get("ContactID"):
            return str(sent["ContactID"]).lower() == str(stored.get("ContactID", "")).lower()
        return not sent.get("Name") or str(sent["Name"]).lower() == str(stored.get("Name", "")).lower()
    if key in ("Date", "DueDate"):
        return parse_date(sent) is not None and parse_date(sent) == parse_date(stored)
    return sent == stored


LINE_FIELDS = ("Description", "Quantity", "UnitAmount", "LineAmount", "ItemCode", "AccountCode", "TaxType")


def _same_lines(sent, stored: list[dict]) -> bool:
    """A resend of the lines as they are (same order, same values) is not an edit."""
    if not isinstance(sent, list) or len(sent) != len(stored):
        return False
    for line, kept in zip(sent, stored):
        if not isinstance(line, dict):
            return False
        if line.get("LineItemID") and str(line["LineItemID"]).lower() != str(kept["LineItemID"]).lower():
            return False
        for key in LINE_FIELDS:
            if key in line and not _equal(line[key], kept.get(key)):
                return False
        sent_options = {str(t.get("TrackingOptionID") or t.get("Option") or "").lower() for t in line.get("Tracking") or []}
        kept_options = {str(t.get("TrackingOptionID")).lower() for t in kept.get("Tracking") or []} | {
            str(t.get("Option")).lower() for t in kept.get("Tracking") or []}
        if not sent_options <= kept_options:
            return False
    return True


def _equal(sent, stored) -> bool:
    try:
        return Decimal(str(sent)) == Decimal(str(stored))
    except (InvalidOperation, ValueError):
        return str(sent) == str(stored)
