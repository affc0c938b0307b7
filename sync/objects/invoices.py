"""Subcontractor invoices (requisitions) → Xero bills (ACCPAY).

Eligible: status approved / approved_as_noted / pending_owner_approval, commitment synced, total not
negative (Xero has no negative bills; those are refused with a reason and stay visible). One line per
item code (cost code + cost type) with the project's tracking option; each line is the work of the
period less the retainage held, so the bill total is the invoice's "current payment due". InvoiceNumber
is not unique in Xero: our link is the guard, and a lost answer is found again by InvoiceNumber +
contact + the Url that names the Procore invoice.

Reads are incremental (sync.windows): a scheduled run lists what changed since the last one, plus the
invoices it still owes an answer, e.g. one that waited for its commitment or vendor, now in Xero. The bill
number and contact sent are stored with the intent: a lost answer is found again even if the invoice number
is edited in Procore before the next run.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from django.conf import settings as django_settings

from connector.models import Kind, Link, LinkLine, SyncRecord
from connector.services.records import (
    record_lines_set_all,
    record_update,
    record_update_all,
    records_by_procore_id,
)

from ..admission import Content, Judged, Problem, admit
from ..backup import attach_keep, attach_pending
from ..export import EXPORT_EVERY, Candidate, export, resolve_in_flight, whole_batches, without_status
from ..ledger import Dating, dating, day_words
from ..money import cents, coded, dec, total
from ..runs import run_log, run_progress
from ..stamps import one_by_one, stamp_keep, stamps_send
from ..stops import sent_before_a_pause
from ..windows import Window, synced_projects
from .commitments import commitment_lines
from .credit_notes import TYPE as CREDIT_TYPE
from .credit_notes import allocate, credit_note_payload

KIND = Kind.INVOICE
EXPORTABLE = ("approved", "approved_as_noted", "pending_owner_approval")
State, Action = Link.State, SyncRecord.Action
DUE_DAYS = 30  # Procore has no due date on the list view; Xero needs one: billing date + 30 days
EDITABLE = ("", "DRAFT", "SUBMITTED")  # bill statuses Xero still lets an update change


# -- mapper (pure) ---------------------------------------------------------------------------------
def amount_due(requisition: dict) -> object:
    return cents((requisition.get("summary") or {}).get("current_payment_due"))


# The bill's Url, as procore_url writes it: …/{project}/project/commitments/{contract}/invoices/{requisition}
BILL_URL = re.compile(r"/(\d+)/project/commitments/(\d+)/invoices/(\d+)")


def target_from_url(url: str | None) -> dict | None:
    """The Procore project, commitment and invoice a bill of ours names (our marker on the bill)."""
    found = BILL_URL.search(url or "")
    if not found:
        return None
    project_id, contract_id, requisition_id = map(int, found.groups())
    return {"project_id": project_id, "contract_id": contract_id, "requisition_id": requisition_id}


def procore_url(requisition: dict) -> str:
    base = getattr(django_settings, "PROCORE_APP_URL", "https://app.procore.com").rstrip("/")
    return (f"{base}/{requisition['project_id']}/project/commitments/{requisition['commitment_id']}"
            f"/invoices/{requisition['id']}")


def invoice_problem(requisition: dict, commitment_link: Link | None, contact_id: str | None,
                    lines: list[dict] | None, *, credit_notes: bool = False) -> Problem | None:
    """Why the invoice cannot be a bill now, or None; `wait_for` names the link whose sync ends the wait."""
    if requisition.get("status") not in EXPORTABLE:
        return Problem(f"Status is “{requisition.get('status')}”; only approved, approved as noted or pending "
                       "owner approval invoices are exported.", "Approve the invoice in Procore.", quiet=True)
    if amount_due(requisition) < 0 and not credit_notes:
        return Problem("Negative invoices are not exported to Xero.",
                       "Enter it in Xero as a supplier credit note, or choose “Export negative invoices as "
                       "supplier credit notes” in the connection settings.")
    if commitment_link is None or commitment_link.state != State.SYNCED or not commitment_link.xero_id:
        return Problem("Waiting: its commitment is not in Xero yet.",
                       "Export the commitment first (accept it in the approval queue); this invoice follows.",
                       (Kind.COMMITMENT, str(requisition.get("commitment_id"))))
    if not contact_id:
        return Problem("Waiting: the vendor is not linked to a Xero contact.",
                       "Export or link the vendor on the Company matching page; this invoice follows.",
                       (Kind.VENDOR, str(requisition.get("vendor_id"))))
    if lines is None:
        return Problem("An invoice line is not on a line of the exported commitment.",
                       "Re-send the commitment (or its change order) to Xero first.")
    if total(li["UnitAmount"] for li in lines) != amount_due(requisition):
        return Problem(f"The lines add up to {total(li['UnitAmount'] for li in lines)}, but the amount due is "
                       f"{amount_due(requisition)}.", "Check the invoice's retainage and previous payments in Procore.")
    return None


def retention_of(requisition: dict):
    """Retainage held on this invoice (held this period less released)."""
    return cents(sum((dec(item.get("work_completed_retainage_retained_this_period"))
                      + dec(item.get("materials_stored_retainage_retained_this_period"))
                      - dec(item.get("work_completed_retainage_released_this_period"))
                      - dec(item.get("materials_stored_retainage_released_this_period"))
                      for item in requisition.get("items") or []), dec(0)))


def content_of(requisition: dict, *, project_name: str = "") -> Content:
    day = requisition.get("billing_date") or None
    return Content(number=str(requisition.get("invoice_number") or ""),
                   date=date.fromisoformat(day[:10]) if day else None, vendor=requisition.get("vendor_name") or "",
                   project=project_name, amount=amount_due(requisition), retention=retention_of(requisition),
                   extra={"commitment": str(requisition.get("commitment_id") or ""),
                          "vendor": str(requisition.get("vendor_id") or ""),
                          "items": sorted((str(i.get("line_item_id")), str(i.get("work_completed_this_period")),
                                           str(i.get("materials_presently_stored")))
                                          for i in requisition.get("items") or [])})


def bill_lines(requisition: dict, items: dict[str, str], tracking: list, *, account_code: str = "",
               tax_type: str = "") -> list[dict] | None:
    """Per item code: work this period + stored materials, less retainage held (+ released). `items`: the
    commitment's line id → item code. None when an item's commitment line is unknown."""
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
                "Tracking": tracking or []}
        coded(line, account_code, tax_type)
        out.append(line)
    return out


def billed_on(requisition: dict) -> date:
    return date.fromisoformat((requisition.get("billing_date") or (requisition.get("created_at") or "")[:10]
                               or date.today().isoformat())[:10])


def bill_payload(requisition: dict, lines: list[dict], *, contact_id: str, status: str, tax_type: str = "",
                 dated: Dating | None = None) -> dict:
    """`dated`: the date against Xero's lock dates; a bill moved to the first open day says its Procore date on
    its first line (a bill's Reference is its number in Xero: `Reference` itself is for sales invoices only)."""
    day = dated.date if dated else billed_on(requisition)
    due = requisition.get("payment_date") or (billed_on(requisition) + timedelta(days=DUE_DAYS)).isoformat()
    due = max(date.fromisoformat(due[:10]), day).isoformat()
    if dated and dated.moved_from and lines:
        lines = [{**lines[0], "Description": f"{dated.note()} {lines[0]['Description']}"[:4000]}, *lines[1:]]
    return {
        "Type": "ACCPAY",
        "Contact": {"ContactID": contact_id},
        "InvoiceNumber": requisition.get("invoice_number") or f"{requisition.get('contract_name')} #"
                                                              f"{requisition.get('number')}",
        "Date": day.isoformat(),
        "DueDate": due,
        "Url": procore_url(requisition),
        "LineAmountTypes": "Exclusive" if tax_type else "NoTax",
        "Status": status,
        "LineItems": lines,
    }


# -- exporter --------------------------------------------------------------------------------------
def run(ctx) -> None:
    resolve_in_flight(ctx, KIND, lambda links: _bills_by_what_was_sent(ctx.xero, links))
    # What a bill needs of its commitment (a company has thousands: not their snapshots), and the lines of
    # the commitments a project's invoices name, read with that project: memory follows a project, not the company.
    commitments = {link.procore_id: link for link in Link.objects.filter(
        connection=ctx.connection, kind=Kind.COMMITMENT).only("pk", "procore_id", "state", "xero_id", "engine_data")}
    vendors = {link.procore_id: link.xero_id for link in Link.objects.filter(
        connection=ctx.connection, kind=Kind.VENDOR, state=State.SYNCED).exclude(xero_id="")}
    projects = {link.procore_id: link.label for link in Link.objects.filter(
        connection=ctx.connection, kind=Kind.PROJECT, state=State.SYNCED)}
    window = Window.open(ctx, KIND, synced_projects(ctx.connection))
    candidates = []
    with sent_before_a_pause(lambda: _export(ctx, candidates)):
        for project_id in window.projects:
            requisitions = window.read(lambda q, p=int(project_id): ctx.procore.requisitions(p, query=q),
                                       project_id, "requisitions")
            if requisitions:
                run_progress(ctx.run, len(requisitions))
            known = records_by_procore_id(ctx.connection, KIND, [r["id"] for r in requisitions])
            lines = commitment_lines(sorted({c.pk for c in (commitments.get(str(r.get("commitment_id")))
                                                            for r in requisitions) if c and c.state == State.SYNCED}))
            candidates += window.judge(project_id, requisitions, lambda requisition, p=int(project_id): _candidate(
                ctx, p, requisition, commitments, lines, vendors, projects.get(str(p), ""),
                known.get(str(requisition["id"]))),
                label=lambda requisition: str(requisition.get("invoice_number") or ""))
            if len(candidates) >= EXPORT_EVERY:
                going, candidates = whole_batches(candidates)
                _export(ctx, going)
    _export(ctx, candidates)
    attach_pending(ctx, KIND, lambda link: ctx.procore.requisition_attachments(int(link.project_id),
                                                                               int(link.procore_id)))
    stamps_send(ctx, KIND, ("project_id",), one_by_one(lambda link, stamp: (
        ctx.procore.stamp_requisition(int(link.project_id), int(link.parent_id), int(link.procore_id), **stamp))))
    window.close()


def _export(ctx, candidates: list[Candidate]) -> None:
    """Bills first: a credit note goes onto a bill of its commitment that is in Xero."""
    bills = [c for c in candidates if not c.sent.get("credit")]
    credits = [c for c in candidates if c.sent.get("credit")]
    export(ctx.run, client=ctx.xero, kind="invoices", id_field="InvoiceID", candidates=bills,
           dry_run=ctx.dry_run, on_batch=lambda written: _read_back(ctx, written))
    if credits:
        export(ctx.run, client=ctx.xero, kind="credit_notes", id_field="CreditNoteID", candidates=credits,
               dry_run=ctx.dry_run, on_written=lambda c, note: _credit_read_back(ctx, c, note))


def _credit_read_back(ctx, candidate: Candidate, note) -> None:
    new = "Status" in candidate.payload
    data = {**candidate.link.engine_data, "credit_note": True}
    if new and getattr(note, "credit_note_id", None):  # Procore shows it is in Xero (sync.stamps)
        data = stamp_keep(data, {"origin_id": str(note.credit_note_id),
                                 "origin_data": f"Xero supplier credit note {note.credit_note_number or ''}".strip()})
    record_update(candidate.link, remote_status=str(note.status), remote_total=cents(note.total), engine_data=data)
    if new:
        allocate(ctx, candidate.link, note)


def _candidate(ctx, project_id, requisition: dict, commitments: dict, lines: dict, vendors: dict,
               project_name: str, existing: Link | None) -> Candidate | None:
    settings = ctx.settings
    commitment_link = commitments.get(str(requisition.get("commitment_id")))
    contact_id = vendors.get(str(requisition.get("vendor_id")))
    bill = bill_lines(requisition, lines.get(commitment_link.pk, {}) if commitment_link else {},
                      commitment_link.engine_data.get("tracking") if commitment_link else [],
                      account_code=settings.purchase_account_code, tax_type=settings.tax_type)
    label = f"{requisition.get('invoice_number') or requisition['id']} {requisition.get('vendor_name') or ''}".strip()
    content = content_of(requisition, project_name=project_name)
    # Xero takes no edit of an approved or paid bill: a change in Procore is said once, and the bill stays.
    frozen = existing is not None and existing.state == State.SYNCED and existing.remote_status not in EDITABLE
    credit = settings.negative_invoices_as_credit_notes and amount_due(requisition) < 0
    problem = invoice_problem(requisition, commitment_link, contact_id, bill,
                              credit_notes=settings.negative_invoices_as_credit_notes)
    if not problem and not (existing is not None and existing.xero_id) and "lock_dates" not in vars(ctx):
        # A new bill is dated against Xero's lock dates: read once per run, outside the judge's transaction
        # (sync.windows makes the read between its commits and hands the judge the answer).
        yield lambda: ctx.lock_dates
    dated = None if problem else _dating(ctx, requisition, existing, "credit note" if credit else "bill")
    problem = problem or (dated.problem if dated else None)
    item = Judged(procore_id=str(requisition["id"]), label=label, content=content, problem=problem,
                  needs_approval=settings.approve_invoices, project_id=str(project_id), source_list="requisitions",
                  parent_id=str(requisition.get("commitment_id") or ""), updates=not frozen)
    if frozen and content.fingerprint not in (existing.content_fingerprint, existing.refused_fingerprint):
        words = {"AUTHORISED": "approved"}.get(existing.remote_status, existing.remote_status.lower())
        record_update(existing, refused_fingerprint=content.fingerprint)
        run_log(ctx.run, Action.SKIPPED, link=existing,
                message=f"Changed in Procore, but the bill is {words} in Xero and cannot be updated.",
                hint="Change the bill in Xero by hand if needed (void it and enter it again).")
    link = admit(ctx, KIND, item, existing)
    if link is None or ctx.dry_run:
        return None
    payload = bill_payload(requisition, bill, contact_id=contact_id, status=settings.bill_status,
                           tax_type=settings.tax_type, dated=dated)
    if credit:  # a supplier credit note of the same amount (sync.objects.credit_notes)
        payload = {**credit_note_payload(payload), "Url": payload["Url"]}
    # The status setting applies to new bills only: an update never sends one (nor demotes an approved bill).
    sent = without_status(payload) if link.xero_id else payload
    if credit:
        sent = {k: v for k, v in sent.items() if k != "Url"}  # credit notes carry no Url
    # The bill's Url names the Procore invoice: our marker, and where its payments go (sync.objects.payments).
    number = payload.get("CreditNoteNumber") or payload["InvoiceNumber"]
    return Candidate(link, sent, reference=payload["Url"], label=label, needs_approval=item.needs_approval,
                     content=content.fingerprint, compared=without_status(payload),
                     sent={"number": number, "contact": payload["Contact"]["ContactID"], **_moved(dated),
                           **({"credit": True} if credit else _files(requisition, link))})


def _dating(ctx, requisition: dict, existing: Link | None, what: str = "bill") -> Dating:
    """A new bill is dated against Xero's lock dates (read once per run); a bill already in Xero keeps the date
    it was given there while its Procore date is unchanged (an update never sends it into a locked period)."""
    day = billed_on(requisition)
    sent = (existing.engine_data.get("sent") or {}) if existing is not None else {}
    if existing is not None and existing.xero_id:
        if sent.get("moved_from") == day.isoformat() and sent.get("date"):
            return Dating(date.fromisoformat(sent["date"]), moved_from=day)
        return Dating(day)
    settings = ctx.settings
    return dating(day, ctx.lock_dates, posted=settings.bill_status == settings.DocumentStatus.AUTHORISED,
                  first_open_day=settings.first_open_day_for_locked_bills, what=what)


def _files(requisition: dict, link: Link) -> dict:
    """The invoice's files (the list carries them), for a new bill only."""
    return {"files": requisition["attachments"]} if requisition.get("attachments") and not link.xero_id else {}


def _moved(dated: Dating | None) -> dict:
    return {"moved_from": dated.moved_from.isoformat(), "date": dated.date.isoformat()} if (
        dated and dated.moved_from) else {}


def _read_back(ctx, written: list[tuple[Candidate, object]]) -> None:
    """What Xero holds of each bill of a batch, kept in bulk. Small plans save approved bills beyond their cap
    as drafts: say so. A bill dated on the first open day says so on its record."""
    updates, lines_of = [], []
    for candidate, bill in written:
        new = "Status" in candidate.payload  # an update sends no status
        data = candidate.link.engine_data
        if new and getattr(bill, "invoice_id", None):  # Procore shows it is in Xero (sync.stamps); no origin_code
            data = stamp_keep(data, {"origin_id": str(bill.invoice_id),
                                     "origin_data": f"Xero bill {bill.invoice_number or ''}".strip()})
            if ctx.settings.attach_invoice_backup:  # its backup, onto the bill (sync.backup)
                data = attach_keep(data, candidate.sent.get("files") or [])
        updates.append((candidate.link, {"remote_status": str(bill.status), "remote_total": cents(bill.total),
                                         "engine_data": data}))
        # A bill has one line per item code (bill_lines): kept with what Xero holds, for the job cost report.
        lines = [li for li in (getattr(bill, "line_items", None) or []) if getattr(li, "item_code", None)]
        if lines:
            lines_of.append((candidate.link, [
                LinkLine(procore_line_id=f"item:{li.item_code}", xero_line_id=str(li.line_item_id or ""),
                         item_code=li.item_code, amount=cents(li.line_amount) if li.line_amount is not None else None,
                         position=n) for n, li in enumerate(lines)]))
    record_update_all(updates)
    record_lines_set_all(lines_of)
    for candidate, bill in written:
        new = "Status" in candidate.payload
        moved = candidate.sent.get("moved_from")
        if moved and new:
            run_log(ctx.run, Action.SKIPPED, link=candidate.link,
                    message=f"Dated {day_words(date.fromisoformat(candidate.sent['date']))} in Xero, the first "
                            f"open day after its lock date; the Procore date, {day_words(date.fromisoformat(moved))}, "
                            "is written on the bill.")
        status, wanted = str(bill.status), candidate.payload.get("Status")
        if wanted and status != wanted:
            run_log(ctx.run, Action.SKIPPED, link=candidate.link,
                    message=f"Xero saved the bill as {status}, not {wanted} (the organisation's plan limits "
                            "approved bills).", hint="Approve it in Xero, or upgrade the Xero plan.")


def _bills_by_what_was_sent(xero, links: list[Link]) -> dict[int, str]:
    """Interrupted creates: a bill with the number and contact we sent that carries our Url."""
    sent = {link.pk: link.engine_data.get("sent") or {} for link in links}
    found = _credit_notes_by_what_was_sent(xero, [link for link in links if sent[link.pk].get("credit")], sent)
    links = [link for link in links if not sent[link.pk].get("credit")]
    numbers = sorted({sent[link.pk]["number"] for link in links if sent[link.pk].get("number")})
    contacts = sorted({s["contact"] for s in sent.values() if s.get("contact")})
    by_url = {link.reference: link.pk for link in links if link.reference}
    if not numbers or not by_url:
        return found
    for page in xero.iter_pages("invoices", where='Type=="ACCPAY"', invoice_numbers=numbers, contact_i_ds=contacts):
        for bill in page.records:
            if bill.url in by_url and str(bill.status) not in ("DELETED", "VOIDED"):
                found[by_url[bill.url]] = str(bill.invoice_id)
    return found


def _credit_notes_by_what_was_sent(xero, links: list[Link], sent: dict) -> dict[int, str]:
    """Interrupted creates of credit notes: one with the number and contact sent (a credit note has no Url)."""
    wanted = {(sent[link.pk].get("number"), sent[link.pk].get("contact")): link.pk for link in links}
    found = {}
    if not wanted:
        return found
    for page in xero.iter_pages("credit_notes", where=f'Type=="{CREDIT_TYPE}"'):
        for note in page.records:
            key = (note.credit_note_number, str(getattr(note.contact, "contact_id", "")))
            if key in wanted and str(note.status) not in ("DELETED", "VOIDED"):
                found[wanted[key]] = str(note.credit_note_id)
    return found
