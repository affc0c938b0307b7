"""Subcontractor invoices (requisitions) → Xero bills (ACCPAY).

Eligible: status approved / approved_as_noted / pending_owner_approval, commitment synced, total not
negative (Xero has no negative bills; those are refused with a reason and stay visible). One line per
item code (cost code + cost type) with the project's tracking option; each line is the work of the
period less the retainage held, so the bill total is the invoice's "current payment due". InvoiceNumber
is not unique in Xero: our link is the guard, and a lost answer is found again by InvoiceNumber +
contact + the Url that names the Procore invoice.

Reads are incremental (sync.windows): a scheduled run lists what changed since the last one, plus the
invoices it still owes an answer, e.g. one that waited for its commitment or vendor, now in Xero.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings as django_settings

from connector.models import Kind, Link, SyncRecord

from ..export import BATCH, Candidate, export
from ..links import fingerprint, links_by_procore_id
from ..money import cents, coded, dec, total
from ..runs import run_log, run_progress
from ..windows import Problem, Window, synced_projects
from .commitments import admit

KIND = Kind.INVOICE
EXPORT_EVERY = 500  # bills held before they are sent (whole batches of 50): memory stays flat on big runs
EXPORTABLE = ("approved", "approved_as_noted", "pending_owner_approval")
State, Action = Link.State, SyncRecord.Action
DUE_DAYS = 30  # Procore has no due date on the list view; Xero needs one: billing date + 30 days


# -- mapper (pure) ---------------------------------------------------------------------------------
def amount_due(requisition: dict) -> object:
    return cents((requisition.get("summary") or {}).get("current_payment_due"))


def procore_url(requisition: dict) -> str:
    base = getattr(django_settings, "PROCORE_APP_URL", "https://app.procore.com").rstrip("/")
    return (f"{base}/{requisition['project_id']}/project/commitments/{requisition['commitment_id']}"
            f"/invoices/{requisition['id']}")


def invoice_problem(requisition: dict, commitment_link: Link | None, contact_id: str | None,
                    lines: list[dict] | None) -> Problem | None:
    """Why the invoice cannot be a bill now, or None; `wait_for` names the link whose sync ends the wait."""
    if requisition.get("status") not in EXPORTABLE:
        return Problem(f"Status is “{requisition.get('status')}”; only approved, approved as noted or pending "
                       "owner approval invoices are exported.", "Approve the invoice in Procore.")
    if amount_due(requisition) < 0:
        return Problem("Negative invoices are not exported to Xero.",
                       "Enter it in Xero as a supplier credit note, or correct the invoice in Procore.")
    if commitment_link is None or commitment_link.state != State.SYNCED or not commitment_link.xero_id:
        return Problem("Waiting: its commitment is not in Xero yet.",
                       "Export the commitment first (accept it in the approval queue); this invoice follows.",
                       ("commitment", str(requisition.get("commitment_id"))))
    if not contact_id:
        return Problem("The vendor is not linked to a Xero contact.", "Export or link the vendor, then sync again.",
                       ("vendor", str(requisition.get("vendor_id"))))
    if lines is None:
        return Problem("An invoice line is not on a line of the exported commitment.",
                       "Re-send the commitment (or its change order) to Xero first.")
    if total(li["UnitAmount"] for li in lines) != amount_due(requisition):
        return Problem(f"The lines add up to {total(li['UnitAmount'] for li in lines)}, but the amount due is "
                       f"{amount_due(requisition)}.", "Check the invoice's retainage and previous payments in Procore.")
    return None


def bill_lines(requisition: dict, commitment_data: dict, *, account_code: str = "",
               tax_type: str = "") -> list[dict] | None:
    """Per item code: work this period + stored materials, less retainage held (+ released). None when an
    item's commitment line is unknown."""
    items = commitment_data.get("items") or {}
    grouped: dict[str, dict] = {}
    for item in sorted(requisition.get("items") or [], key=lambda i: i.get("position") or 0):
        code = items.get(str(item.get("line_item_id")))
        if code is None:
            return None
        gross = dec(item.get("work_completed_this_period")) + dec(item.get("materials_presently_stored"))
        held = (dec(item.get("work_completed_retainage_retained_this_period"))
                + dec(item.get("materials_stored_retainage_retained_this_period"))
                - dec(item.get("work_completed_retainage_released_this_period"))
                - dec(item.get("materials_stored_retainage_released_this_period")))
        entry = grouped.setdefault(code, {"gross": dec(0), "held": dec(0), "what": []})
        entry["gross"] += gross
        entry["held"] += held
        entry["what"].append(item.get("description_of_work") or "")
    out = []
    for code, entry in grouped.items():
        what = ", ".join(w for w in entry["what"] if w)[:3000] or code
        held = f" less retainage {cents(entry['held'])}" if entry["held"] else ""
        line = {"Description": f"{what} — this period {cents(entry['gross'])}{held}", "Quantity": 1,
                "UnitAmount": cents(entry["gross"] - entry["held"]), "ItemCode": code,
                "Tracking": commitment_data.get("tracking") or []}
        coded(line, account_code, tax_type)
        out.append(line)
    return out


def bill_payload(requisition: dict, lines: list[dict], *, contact_id: str, status: str, tax_type: str = "") -> dict:
    billed = requisition.get("billing_date") or (requisition.get("created_at") or "")[:10] or date.today().isoformat()
    due = requisition.get("payment_date") or (date.fromisoformat(billed) + timedelta(days=DUE_DAYS)).isoformat()
    return {
        "Type": "ACCPAY",
        "Contact": {"ContactID": contact_id},
        "InvoiceNumber": requisition.get("invoice_number") or f"{requisition.get('contract_name')} #"
                                                              f"{requisition.get('number')}",
        "Date": billed,
        "DueDate": due,
        "Url": procore_url(requisition),
        "LineAmountTypes": "Exclusive" if tax_type else "NoTax",
        "Status": status,
        "LineItems": lines,
    }


# -- exporter --------------------------------------------------------------------------------------
def run(ctx) -> None:
    commitments = {link.procore_id: link for link in Link.objects.filter(connection=ctx.connection,
                                                                          kind=Kind.COMMITMENT)}
    vendors = {link.procore_id: link.xero_id for link in Link.objects.filter(
        connection=ctx.connection, kind=Kind.VENDOR, state=State.SYNCED).exclude(xero_id="")}
    window = Window.open(ctx, KIND, synced_projects(ctx.connection))
    candidates = []
    for project_id in window.projects:
        requisitions = window.read(lambda q, p=int(project_id): ctx.procore.requisitions(p, query=q), project_id,
                                   "requisitions")
        if requisitions:
            run_progress(ctx.run, len(requisitions))
        known = links_by_procore_id(ctx.connection, KIND, [requisition["id"] for requisition in requisitions])
        candidates += window.judge(project_id, requisitions, lambda requisition, p=int(project_id): _candidate(
            ctx, p, requisition, commitments, vendors, known.get(str(requisition["id"]))),
            label=lambda requisition: str(requisition.get("invoice_number") or ""))
        if len(candidates) >= EXPORT_EVERY:  # whole batches only: a part batch would cost a call of its own
            whole = len(candidates) - len(candidates) % BATCH
            _export(ctx, candidates[:whole])
            candidates = candidates[whole:]
    _export(ctx, candidates)
    window.close()


def _export(ctx, candidates: list[Candidate]) -> None:
    export(ctx.run, client=ctx.xero, kind="invoices", id_field="InvoiceID", candidates=candidates,
           find_existing=lambda refs: _bills_by_url(ctx.xero, candidates, refs), dry_run=ctx.dry_run,
           on_written=lambda c, bill: _read_back(ctx, c, bill))


def _candidate(ctx, project_id, requisition: dict, commitments: dict, vendors: dict,
               existing: Link | None) -> Candidate | None:
    settings = ctx.settings
    commitment_link = commitments.get(str(requisition.get("commitment_id")))
    contact_id = vendors.get(str(requisition.get("vendor_id")))
    lines = bill_lines(requisition, commitment_link.data if commitment_link else {},
                       account_code=settings.purchase_account_code, tax_type=settings.tax_type)
    label = f"{requisition.get('invoice_number') or requisition['id']} {requisition.get('vendor_name') or ''}".strip()
    problem = invoice_problem(requisition, commitment_link, contact_id, lines)
    link = admit(ctx, KIND, requisition["id"], label, problem, needs_approval=settings.approve_invoices,
                 project_id=project_id, list_name="requisitions", link=existing)
    if link is None or problem:
        return None
    payload = bill_payload(requisition, lines, contact_id=contact_id, status=settings.bill_status,
                           tax_type=settings.tax_type)
    # Where the bill's payments go in Procore (sync.objects.payments): known here, never read back from Xero.
    data = {"requested_status": settings.bill_status, "project_id": project_id,
            "commitment_id": requisition.get("commitment_id")}
    if link.xero_id:
        return _update(ctx, link, payload, data, label)
    return Candidate(link, payload, reference=payload["Url"], label=label, data=data)


class _Update(Candidate):
    """An exported bill again: compared on the payload as first sent (its status included), sent without a
    status — the status setting applies to new bills, and Xero moves a bill forward only, never back."""

    own: str = ""

    @property
    def fingerprint(self) -> str:
        return self.own


def _update(ctx, link: Link, payload: dict, data: dict, label: str) -> Candidate | None:
    payload["Status"] = data["requested_status"] = link.data.get("requested_status") or payload["Status"]
    own = fingerprint(payload)
    if link.state == State.SYNCED and own != link.fingerprint and link.data.get("status") not in (
            None, "DRAFT", "SUBMITTED"):
        if link.data.get("refused") != own:  # said once per change, not on every run
            link.data = {**link.data, "refused": own}
            link.save(update_fields=["data"])
            words = {"AUTHORISED": "approved"}.get(link.data["status"], link.data["status"].lower())
            run_log(ctx.run, Action.SKIPPED, link=link,
                    message=f"Changed in Procore, but the bill is {words} in Xero and cannot be updated.",
                    hint="Change the bill in Xero by hand if needed (void it and enter it again).")
        return None
    update = _Update(link, {k: v for k, v in payload.items() if k != "Status"}, reference=payload["Url"],
                     label=label, data=data)
    update.own = own
    return update


def _read_back(ctx, candidate: Candidate, bill) -> None:
    """Small plans save approved bills beyond their cap as drafts: say so, keep what Xero holds."""
    status = str(bill.status)
    link = candidate.link
    link.data = {k: v for k, v in {**link.data, "status": status, "total": str(bill.total)}.items()
                 if k != "refused"}
    link.save(update_fields=["data"])
    wanted = candidate.payload.get("Status")
    if wanted and status != wanted:
        run_log(ctx.run, Action.SKIPPED, link=link,
                message=f"Xero saved the bill as {status}, not {wanted} (the organisation's plan limits "
                        "approved bills).", hint="Approve it in Xero, or upgrade the Xero plan.")


def _bills_by_url(xero, candidates: list[Candidate], references: list[str]) -> dict[str, str]:
    wanted = [c for c in candidates if c.reference in set(references)]
    numbers = sorted({c.payload["InvoiceNumber"] for c in wanted})
    contacts = sorted({c.payload["Contact"]["ContactID"] for c in wanted})
    found = {}
    for page in xero.iter_pages("invoices", where='Type=="ACCPAY"', invoice_numbers=numbers, contact_i_ds=contacts):
        for bill in page.records:
            if bill.url in references and str(bill.status) not in ("DELETED", "VOIDED"):
                found[bill.url] = str(bill.invoice_id)
    return found
