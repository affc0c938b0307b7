"""Commitments (work order and purchase order contracts) → Xero purchase orders.

Eligible: status `Approved`, vendor linked to a contact, project synced (a tracking option), every line
on a standard cost code and cost type whose item is in Xero; then accepted in the approval queue when the
connection asks for it (sync.admission). A record that is not eligible says why and what it waits for.
Edits after the export update the PO while Xero still allows it (not BILLED/DELETED), under the PO's
lock (connector.locks): every writer of a purchase order — commitment edits, change orders — holds it
while it reads the PO's lines and writes them back, so neither drops the other's lines. Change-order lines
on the PO are resent as they are, with their LineItemIDs, so the update never deletes them. Each
commitment line's Xero LineItemID and item code are kept (LinkLine): change orders and bills need them.

Only projects synced to Xero are read (sync.windows). The list view says enough to judge the header; a
commitment's lines cost a call each, so they are read only when it may be written: one waiting for the
approval queue is queued on its header, and its lines are read (and checked) once it is accepted.
"""

from __future__ import annotations

import re
from datetime import date
from math import ceil
from typing import NamedTuple

from connector.locks import LockUnavailable, document_lock_name, hold
from connector.models import Kind, Link, LinkLine, SyncRecord
from connector.services.records import (
    fingerprint,
    lines_by_link,
    record_bind,
    record_fail,
    record_lines_set_all,
    record_update,
    record_update_all,
    record_wait,
    records_by_procore_id,
)
from xero_client.errors import XeroNotFound

from ..admission import Content, Judged, Problem, admit
from ..explain import explain_exception
from ..export import BATCH, EXPORT_EVERY, Candidate, export, resolve_in_flight, whole_batches, without_status
from ..limits import DESCRIPTION, NUMBER, shortened
from ..money import cents, coded, dec, quantity_and_unit
from ..runs import run_log, run_progress
from ..stamps import KEY as STAMP
from ..stamps import stamp_keep, stamps_send, sync_refusals
from ..stops import RUN_STOPS, sent_before_a_pause
from ..windows import Window, synced_projects

KIND = Kind.COMMITMENT
KINDS = ("work_order_contracts", "purchase_order_contracts")
State, Action = Link.State, SyncRecord.Action
CLOSED = ("BILLED", "DELETED")
XERO_PAGE = 1000
LOCK_TTL_S, LOCK_WAIT_S = 600, 120


# -- mapper (pure) ---------------------------------------------------------------------------------
def marker(contract_id) -> str:
    """Ours on every PO we make: names the Procore commitment, whatever its number becomes."""
    return f"Procore {contract_id}"


def reference(contract: dict) -> str:
    """Our key on the PO (Reference): the number people search for, and our marker."""
    return f"{contract.get('number') or ''} · {marker(contract['id'])}".strip(" ·")


def line_item_key(line: dict) -> str | None:
    """The COST_CODE link id of a line: "standard cost code id:cost type id"."""
    standard = (line.get("cost_code") or {}).get("standard_cost_code_id")
    cost_type = (line.get("line_item_type") or {}).get("id") or line.get("line_item_type_id")
    return f"{standard}:{cost_type}" if standard and cost_type else None


def header_problem(contract: dict, *, contact_id: str | None, option_id: str | None) -> Problem | None:
    """What the list view alone shows is missing (no detail read needed to say so)."""
    if contract.get("status") != "Approved":
        return Problem(f"Status is “{contract.get('status')}”; only Approved commitments are exported.",
                       "Approve the commitment in Procore; it is exported on the next run.", quiet=True)
    if not contact_id:
        vendor = contract.get("vendor") or {}
        return Problem(f"Waiting: {vendor.get('company') or 'the vendor'} is not linked to a Xero contact.",
                       "Export or link the vendor on the Company matching page; this commitment follows.",
                       (Kind.VENDOR, str(vendor.get("id") or contract.get("vendor_id") or "")))
    if not option_id:
        project = str((contract.get("project") or {}).get("id") or contract.get("project_id") or "")
        return Problem("Waiting: the project is not in Xero yet (no tracking option).",
                       "Send the project to Xero and accept it in the approval queue; this commitment follows.",
                       (Kind.PROJECT, project))
    if len(reference(contract)) > NUMBER:  # the number plus our marker is the PO's Reference (sync.limits)
        return Problem(f"Not sent to Xero: the commitment's number has {len(contract.get('number') or '')} "
                       f"characters; with the connector's marker it is longer than the {NUMBER} Xero takes for a "
                       "purchase order's reference.", "Shorten the number in Procore, then sync again.")
    return None


def lines_problem(lines: list[dict], items: dict[str, str]) -> Problem | None:
    if not lines:
        return Problem("The commitment has no lines.", "Add schedule of values lines in Procore.")
    for line in lines:
        key = line_item_key(line)
        what = line.get("description") or f"line {line.get('position')}"
        if key is None:
            return Problem(f"“{what}” is not on a standard cost code and cost type.",
                           "Use a cost code from the company's standard list and a cost type on every line.")
        if key not in items:
            return Problem(f"Waiting: the item for “{what}” ({(line.get('cost_code') or {}).get('full_code')}) is "
                           "not in Xero yet.", "Run the cost code sync (or fix the cost code's error there); this "
                           "commitment follows.", (Kind.COST_CODE, key))
    return None


def commitment_problem(contract: dict, lines: list[dict], *, contact_id: str | None, option_id: str | None,
                       items: dict[str, str]) -> Problem | None:
    """Why the commitment cannot be exported (plain words, hint, what it waits for), or None.
    `items`: line key → item code."""
    return (header_problem(contract, contact_id=contact_id, option_id=option_id)
            or lines_problem(lines, items))


def content_of(contract: dict, *, project_name: str = "") -> Content:
    vendor = contract.get("vendor") or {}
    day = contract.get("contract_date") or None
    return Content(number=str(contract.get("number") or ""), date=date.fromisoformat(day[:10]) if day else None,
                   vendor=vendor.get("company") or vendor.get("name") or "", project=project_name,
                   amount=cents(contract["grand_total"]) if contract.get("grand_total") not in (None, "") else None,
                   retainage_percent=dec(contract["retainage_percent"]) if contract.get("retainage_percent")
                   not in (None, "") else None,
                   extra={"vendor": str(vendor.get("id") or contract.get("vendor_id") or ""),
                          "project": str((contract.get("project") or {}).get("id") or contract.get("project_id")
                                         or "")})


def po_lines(lines: list[dict], *, items: dict[str, str], tracking: list[dict], account_code: str = "",
             tax_type: str = "", line_ids: dict[str, str] | None = None) -> list[dict]:
    out = []
    for line in sorted(lines, key=lambda li: li.get("position") or 0):
        quantity, unit = quantity_and_unit(line.get("quantity"), line.get("unit_cost"), line.get("amount"))
        mapped = {"Description": shortened((line.get("description") or "").strip() or items[line_item_key(line)],
                                           DESCRIPTION),
                  "Quantity": quantity, "UnitAmount": unit, "ItemCode": items[line_item_key(line)],
                  "Tracking": tracking}
        coded(mapped, account_code, tax_type)
        if line_ids and str(line["id"]) in line_ids:
            mapped["LineItemID"] = line_ids[str(line["id"])]
        out.append(mapped)
    return out


def po_payload(contract: dict, lines: list[dict], *, contact_id: str, items: dict[str, str], tracking: list[dict],
               status: str, use_number: bool, account_code: str = "", tax_type: str = "",
               line_ids: dict[str, str] | None = None) -> dict:
    payload = {
        "Contact": {"ContactID": contact_id},
        "Reference": reference(contract),
        "LineAmountTypes": "Exclusive" if tax_type else "NoTax",
        "Status": status,
        "LineItems": po_lines(lines, items=items, tracking=tracking, account_code=account_code, tax_type=tax_type,
                              line_ids=line_ids),
    }
    if use_number and contract.get("number"):
        payload["PurchaseOrderNumber"] = contract["number"]
    if contract.get("contract_date"):
        payload["Date"] = contract["contract_date"]
    return payload


def tracking_for(settings, project_link: Link) -> list[dict]:
    return [{"TrackingCategoryID": settings.tracking_category_id, "TrackingOptionID": project_link.xero_id,
             "Name": settings.tracking_category_name, "Option": project_link.label}]


def existing_line(line) -> dict:
    """A line read from Xero, resent unchanged (with its LineItemID, so Xero keeps it)."""
    out = {"LineItemID": str(line.line_item_id), "Description": line.description, "Quantity": line.quantity,
           "UnitAmount": line.unit_amount}
    for attr, key in (("item_code", "ItemCode"), ("account_code", "AccountCode"), ("tax_type", "TaxType")):
        if getattr(line, attr, None):
            out[key] = getattr(line, attr)
    tracking = [{"TrackingCategoryID": str(t.tracking_category_id), "TrackingOptionID": str(t.tracking_option_id),
                 "Name": t.name, "Option": t.option} for t in (line.tracking or [])]
    if tracking:
        out["Tracking"] = tracking
    return out


# -- exporter --------------------------------------------------------------------------------------
class _Lined(Candidate):
    """A PO write with the commitment lines it carries, in the order sent (Xero answers them in that order)."""

    lines: list[LinkLine] = []
    keep: dict = {}  # engine bookkeeping kept once written (the tracking and contact change orders reuse)


class _Update(_Lined):
    """An update whose fingerprint is the commitment's own part: change-order lines never count as edits."""

    own: str = ""

    @property
    def fingerprint(self) -> str:
        return self.own


class _Edit(NamedTuple):
    """An edit of a PO in Xero: finished under the PO's lock, with the PO as Xero has it then."""

    link: Link
    contract: dict
    lines: list[dict]
    own: dict  # the commitment's own payload (its lines with their LineItemIDs)
    own_fingerprint: str  # of the same without the ids: what the PO was last written from
    items: dict  # line key → item code, as the payload was built
    label: str


def run(ctx) -> None:
    resolve_in_flight(ctx, KIND, lambda links: _pos_by_reference(ctx.xero, links))
    prereq = _prerequisites(ctx)
    window = Window.open(ctx, KIND, synced_projects(ctx.connection))
    creates, edits = [], []

    def send(whole_only: bool = False):
        """What is held so far; `whole_only`: whole batches only (a part batch would cost a call of its own)."""
        nonlocal creates, edits
        split = whole_batches if whole_only else (lambda held: (held, []))
        going, creates = split(creates)
        export(ctx.run, client=ctx.xero, kind="purchase_orders", id_field="PurchaseOrderID", candidates=going,
               dry_run=ctx.dry_run, on_batch=_remember_lines)
        going, edits = split(edits)
        for start in range(0, len(going), BATCH):
            _export_edits(ctx, going[start:start + BATCH], window)

    with sent_before_a_pause(send):
        for project_id in window.projects:
            for kind in KINDS:
                contracts = window.read(lambda q, k=kind, p=int(project_id): ctx.procore.commitments(k, p, q),
                                        project_id, kind)
                if contracts:
                    run_progress(ctx.run, len(contracts))
                known = records_by_procore_id(ctx.connection, KIND, [contract["id"] for contract in contracts])
                judged = window.judge(project_id, contracts, lambda contract, k=kind, p=int(project_id): _judge(
                    ctx, k, p, contract, prereq, known.get(str(contract["id"]))),
                    label=lambda contract: contract.get("number") or "")
                edits += [c for c in judged if isinstance(c, _Edit)]
                creates += [c for c in judged if not isinstance(c, _Edit)]
            if len(creates) + len(edits) >= EXPORT_EVERY:
                send(whole_only=True)
    send()
    stamps_send(ctx, KIND, ("source_list", "project_id"), lambda key, links: sync_refusals(
        ctx.procore.stamp_commitments(key[0], int(key[1]), [link.engine_data[STAMP] for link in links]), links))
    window.close()


def _prerequisites(ctx) -> dict:
    by_kind = {}
    for kind in (Kind.VENDOR, Kind.PROJECT, Kind.COST_CODE):
        rows = Link.objects.filter(connection=ctx.connection, kind=kind, state=State.SYNCED).exclude(xero_id="")
        # Their ids and names only (a company has thousands of codes and vendors: not their snapshots).
        by_kind[kind] = {link.procore_id: link for link in rows.only("pk", "procore_id", "xero_id", "label",
                                                                     "reference")}
    by_kind["items"] = {key: link.reference or link.label for key, link in by_kind[Kind.COST_CODE].items()}
    return by_kind


def _judge(ctx, kind: str, project_id, contract: dict, prereq: dict, existing: Link | None):
    label = f"{contract.get('number') or contract['id']} {contract.get('title') or ''}".strip()
    if contract.get("status") != "Approved" and existing is None:
        return None  # a draft: nothing to say until someone approves it in Procore
    vendor_id = str((contract.get("vendor") or {}).get("id") or contract.get("vendor_id") or "")
    contact = prereq[Kind.VENDOR].get(vendor_id)
    project_link = prereq[Kind.PROJECT].get(str(project_id))
    problem = header_problem({"project_id": project_id, **contract}, contact_id=contact and contact.xero_id,
                             option_id=project_link and project_link.xero_id)
    content = content_of({"project_id": project_id, **contract},
                         project_name=project_link.label if project_link else "")
    item = Judged(procore_id=str(contract["id"]), label=label, content=content, problem=problem,
                  needs_approval=ctx.settings.approve_commitments, project_id=str(project_id), source_list=kind)
    link = admit(ctx, KIND, item, existing)
    if link is None or ctx.dry_run:
        return None
    # Only now are its lines worth a call: it may be written in this run. Read between commits (Window.judge).
    lines = (yield lambda: ctx.procore.commitment(kind, project_id, contract["id"])).get("line_items") or []
    problem = lines_problem(lines, prereq["items"])
    if problem:
        if link.state == State.SYNCED:
            return None  # the PO stays as it was
        moved = (record_wait(link, message=problem.message, hint=problem.hint, waiting_for=problem.wait_for,
                             leaving=[link.state]) if problem.wait_for
                 else record_fail(link, message=problem.message, hint=problem.hint, leaving=[link.state]))
        if moved:
            run_log(ctx.run, Action.SKIPPED if problem.wait_for else Action.FAILED, link=link,
                    message=problem.message, hint=problem.hint)
        return None
    payload = _payload(ctx, contract, lines, contact, project_link, prereq)
    if link.xero_id:
        compared = fingerprint(without_status(payload))
        if link.refused_fingerprint == compared and link.state == State.SYNCED:
            return None  # Xero cannot take this edit (the PO is billed): said once, not tried every run
        if compared == link.fingerprint:
            if link.state == State.READY and record_bind(link, leaving=[State.READY]):
                run_log(ctx.run, Action.SKIPPED, link=link, message="Accepted; the purchase order in Xero "
                                                                    "already says this.")
            return None
        own = _payload(ctx, contract, lines, contact, project_link, prereq,
                       line_ids={line.procore_line_id: line.xero_line_id
                                 for line in lines_by_link([link.pk]).get(link.pk, [])})
        return _Edit(link, contract, lines, without_status(own), compared, prereq["items"], label)
    candidate = _Lined(link, payload, reference=reference(contract), label=label,
                       needs_approval=item.needs_approval, content=content.fingerprint,
                       compared=without_status(payload))
    return _with_lines(candidate, lines, prereq)


def _export_edits(ctx, edits: list[_Edit], window) -> None:
    """Edits of POs in Xero, under each PO's lock while its lines are read and written back."""
    names = [document_lock_name(ctx.connection, "purchase_order", edit.link.xero_id) for edit in edits]
    try:
        with hold(names, ttl=LOCK_TTL_S, wait=LOCK_WAIT_S):
            pos = purchase_orders_now(ctx, [edit.link.xero_id for edit in edits])
            candidates = []
            for edit in edits:
                try:
                    po = pos[edit.link.xero_id]
                    if isinstance(po, Exception):
                        raise po
                    candidate = _updated(ctx, po, edit)
                except RUN_STOPS:
                    raise
                except Exception as exc:  # one record: log it, the run goes on, the window stays open
                    window.hold(edit.link.project_id)
                    message, hint = explain_exception(exc)
                    run_log(ctx.run, Action.FAILED, link=edit.link, message=message, hint=hint)
                    continue
                if candidate:
                    candidates.append(candidate)
            export(ctx.run, client=ctx.xero, kind="purchase_orders", id_field="PurchaseOrderID",
                   candidates=candidates, on_batch=_remember_lines)
    except LockUnavailable:
        for edit in edits:
            window.hold(edit.link.project_id)
            run_log(ctx.run, Action.SKIPPED, link=edit.link,
                    message="Its purchase order is being changed by another sync right now; this edit is sent "
                            "on the next run.")


def _updated(ctx, po, edit: _Edit) -> Candidate | None:
    link = edit.link
    if po.status in CLOSED:
        if link.refused_fingerprint != edit.own_fingerprint:
            record_update(link, refused_fingerprint=edit.own_fingerprint, remote_status=str(po.status))
            run_log(ctx.run, Action.SKIPPED, link=link,
                    message=f"Changed in Procore, but the purchase order is {po.status.lower()} in Xero and "
                            "cannot be updated.", hint="Change the purchase order in Xero by hand if needed.")
        if link.state == State.READY:
            record_bind(link, leaving=[State.READY])
        return None
    # An update keeps the PO's status in Xero (the setting is for new POs): never moved back to draft.
    payload = dict(edit.own, LineItems=list(edit.own["LineItems"]))
    own_ids = {li.get("LineItemID") for li in edit.own["LineItems"] if li.get("LineItemID")}
    payload["LineItems"] += [existing_line(li) for li in (po.line_items or []) if str(li.line_item_id) not in own_ids]
    candidate = _Update(link, payload, reference=link.reference or reference(edit.contract), label=edit.label,
                        needs_approval=ctx.settings.approve_commitments, content=link.content_fingerprint)
    candidate.own = edit.own_fingerprint
    return _with_lines(candidate, edit.lines, {"items": edit.items})


def _payload(ctx, contract, lines, contact, project_link, prereq, line_ids=None) -> dict:
    settings = ctx.settings
    return po_payload(contract, lines, contact_id=contact.xero_id, items=prereq["items"],
                      tracking=tracking_for(settings, project_link), status=settings.po_status,
                      use_number=settings.use_contract_number_as_po_number,
                      account_code=settings.purchase_account_code, tax_type=settings.tax_type, line_ids=line_ids)


def _with_lines(candidate: _Lined, lines, prereq) -> _Lined:
    ordered = sorted(lines, key=lambda li: li.get("position") or 0)
    candidate.lines = [LinkLine(procore_line_id=str(li["id"]), item_code=prereq["items"][line_item_key(li)],
                                amount=cents(li["amount"]) if li.get("amount") not in (None, "") else None,
                                position=n) for n, li in enumerate(ordered)]
    candidate.keep = {"tracking": candidate.payload["LineItems"][0]["Tracking"],
                      "contact_id": candidate.payload["Contact"]["ContactID"]}
    return candidate


def purchase_orders_now(ctx, ids: list[str]) -> dict:
    """PO id → the PO as Xero has it now (or the exception reading it). One by one while that costs fewer
    calls than the pages of all our POs (about one per synced commitment), else page by page."""
    found, wanted = {}, set(ids)
    ours = Link.objects.filter(connection=ctx.connection, kind=KIND, state=State.SYNCED).count()
    if len(wanted) > max(1, ceil(ours / XERO_PAGE)):
        for page in ctx.xero.iter_pages("purchase_orders", page_size=XERO_PAGE):
            found.update({str(po.purchase_order_id): po for po in page.records
                          if str(po.purchase_order_id) in wanted})
            if len(found) == len(wanted):
                break
    for po_id in sorted(wanted - found.keys()):  # few wanted, or not listed (e.g. deleted): by id
        try:
            found[po_id] = ctx.xero.purchase_order(po_id)
        except XeroNotFound as exc:  # its records fail this run; the others go on
            found[po_id] = exc
    return found


def _remember_lines(written: list[tuple[_Lined, object]]) -> None:
    """Keep each commitment line's LineItemID (Xero answers the lines in the order sent), the tracking and
    contact change orders reuse, and the PO's status: a batch of POs at a time. A new PO is stamped in
    Procore so it shows the commitment is in Xero (sync.stamps)."""
    updates = []
    for candidate, po in written:
        returned = [str(li.line_item_id) for li in (po.line_items or [])]
        for line, line_id in zip(candidate.lines, returned):
            line.xero_line_id = line_id
        link = candidate.link
        data = {**link.engine_data, **candidate.keep}
        if not isinstance(candidate, _Update):
            number = po.purchase_order_number or ""
            data = stamp_keep(data, {"id": int(link.procore_id), "origin_id": str(po.purchase_order_id),
                                     "origin_code": number, "origin_data": f"Xero purchase order {number}".strip()})
        updates.append((link, {"remote_status": str(po.status), "refused_fingerprint": "", "engine_data": data}))
    record_lines_set_all([(candidate.link, candidate.lines) for candidate, _po in written])
    record_update_all(updates)


def commitment_lines(link_ids) -> dict[int, dict[str, str]]:
    """Commitment link pk → {commitment line id: item code}: what change orders and bills are built on."""
    return {pk: {line.procore_line_id: line.item_code for line in lines}
            for pk, lines in lines_by_link(link_ids).items()}


MARKED = re.compile(r"(?:^|\s)Procore (\d+)$")


def _pos_by_reference(xero, links: list[Link]) -> dict[int, str]:
    """Interrupted creates: a PO carrying the reference we sent, or our marker of the commitment (its number
    may have been edited in Procore since)."""
    by_reference = {link.reference: link.pk for link in links if link.reference}
    by_commitment = {link.procore_id: link.pk for link in links}
    found = {}
    for page in xero.iter_pages("purchase_orders"):
        for po in page.records:
            if po.status == "DELETED":
                continue
            mark = MARKED.search(po.reference or "")
            pk = by_reference.get(po.reference) or (by_commitment.get(mark.group(1)) if mark else None)
            if pk is not None:
                found[pk] = str(po.purchase_order_id)
    return found
