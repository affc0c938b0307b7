"""Negative subcontractor invoices → Xero supplier credit notes (ACCPAYCREDIT), when the connection says so.

Xero has no negative bills; a credit note is its own document (`/CreditNotes`, Xero's credit notes page).
Its lines are the invoice's lines with the sign turned (a credit of 514.04, not a bill of -514.04). Once
approved in Xero it is allocated to the latest approved bill of the same commitment (Xero's allocations
page: same contact, approved both, at most the amount due); a draft one, or one with no bill to go to, is
left for the accountant to allocate in Xero, and its record says so. Called by sync.objects.invoices.
"""

from __future__ import annotations

from datetime import date

from connector.models import Kind, Link, SyncRecord
from connector.services.records import record_update
from xero_client.errors import XeroError, XeroValidationError

from ..explain import explain_exception, explain_xero
from ..money import cents
from ..runs import run_log

TYPE = "ACCPAYCREDIT"
State, Action = Link.State, SyncRecord.Action


def credit_note_payload(bill: dict) -> dict:
    """A bill payload (sync.objects.invoices.bill_payload) turned into the credit note of the same amount."""
    lines = [{**line, "UnitAmount": cents(-line["UnitAmount"])} for line in bill["LineItems"]]
    out = {"Type": TYPE, "Contact": bill["Contact"], "CreditNoteNumber": bill["InvoiceNumber"],
           "Date": bill["Date"], "LineAmountTypes": bill["LineAmountTypes"], "Status": bill["Status"],
           "LineItems": lines}
    return out


def allocate(ctx, link: Link, credit_note) -> None:
    """The approved credit note onto the latest approved bill of its commitment, once."""
    number = getattr(credit_note, "credit_note_number", "") or ""
    if str(credit_note.status) != "AUTHORISED":
        run_log(ctx.run, Action.SKIPPED, link=link, message=f"Credit note {number} is a draft in Xero: allocate it to "
                "the commitment's bill there once it is approved.")
        return
    bill = (Link.objects.filter(connection=ctx.connection, kind=Kind.INVOICE, parent_id=link.parent_id,
                                state=State.SYNCED, remote_status="AUTHORISED").exclude(pk=link.pk)
            .exclude(xero_id="").exclude(engine_data__has_key="credit_note").order_by("-pk").first())
    if bill is None:
        run_log(ctx.run, Action.SKIPPED, link=link, message=f"Credit note {number} is in Xero, but its commitment "
                "has no approved bill there to allocate it to.", hint="Allocate it in Xero when there is one.")
        return
    amount = cents(credit_note.total)
    try:
        ctx.xero.allocate_credit_note(str(credit_note.credit_note_id), bill.xero_id, amount,
                                      getattr(credit_note, "date", None) or date.today(),
                                      idempotency_key=f"allocate-{link.pk}-{bill.pk}")
    except XeroError as exc:
        message, hint = (explain_xero(exc.messages) if isinstance(exc, XeroValidationError)
                         else explain_exception(exc))
        run_log(ctx.run, Action.FAILED, link=link, hint=hint or "Allocate it in Xero by hand.",
                message=f"Credit note {number} is in Xero but was not allocated to bill {bill.document_number}: "
                        f"{message}")
        return
    record_update(link, engine_data={**link.engine_data, "allocated_to": bill.xero_id})
    run_log(ctx.run, Action.SKIPPED, link=link,  # a note: the credit note's creation is the write counted
            message=f"Credit note {number} ({amount}) allocated to bill {bill.document_number} in Xero.")
