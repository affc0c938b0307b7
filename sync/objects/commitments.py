"""Commitments (work order and purchase order contracts) → Xero purchase orders.

Eligible: status `Approved`, vendor linked to a contact, project synced (a tracking option), every line
on a standard cost code and cost type whose item is in Xero. A record that is not eligible says why
(state failed, last_error + hint) and is checked again on the next run. Edits after the export update
the PO while Xero still allows it (not BILLED/DELETED); change-order lines on the PO are resent as they
are, with their LineItemIDs, so the update never deletes them. The link keeps, per commitment line, its
Xero LineItemID and item code (change orders and bills need them).

Only projects synced to Xero are read (sync.windows). The list view says enough to judge the header; a
commitment's lines cost a call each, so they are read only when it may be written: one waiting for the
approval queue is queued on its header, and its lines are read (and checked) once it is accepted.
"""

from __future__ import annotations

from collections.abc import Callable
from math import ceil
from typing import NamedTuple

from connector.models import Kind, Link, SyncRecord
from xero_client.errors import XeroNotFound

from ..explain import explain_exception
from ..export import Candidate, export
from ..links import fingerprint, link_fail, link_new, link_set_state, links_by_procore_id
from ..money import coded, quantity_and_unit
from ..runs import run_log, run_progress
from ..windows import Problem, Window, placed, remember, synced_projects

KIND = Kind.COMMITMENT
KINDS = ("work_order_contracts", "purchase_order_contracts")
State, Action = Link.State, SyncRecord.Action
CLOSED = ("BILLED", "DELETED")
XERO_PAGE = 1000


# -- mapper (pure) ---------------------------------------------------------------------------------
def reference(contract: dict) -> str:
    """Our key on the PO (Reference): names the Procore commitment, so a lost answer is found again."""
    return f"{contract.get('number') or ''} · Procore {contract['id']}".strip(" ·")


def line_item_key(line: dict) -> str | None:
    """The COST_CODE link id of a line: "standard cost code id:cost type id"."""
    standard = (line.get("cost_code") or {}).get("standard_cost_code_id")
    cost_type = (line.get("line_item_type") or {}).get("id") or line.get("line_item_type_id")
    return f"{standard}:{cost_type}" if standard and cost_type else None


def header_problem(contract: dict, *, contact_id: str | None, option_id: str | None) -> Problem | None:
    """What the list view alone shows is missing (no detail read needed to say so)."""
    if contract.get("status") != "Approved":
        return Problem(f"Status is “{contract.get('status')}”; only Approved commitments are exported.",
                       "Approve the commitment in Procore; it is exported on the next run.")
    if not contact_id:
        vendor = contract.get("vendor") or {}
        return Problem(f"{vendor.get('company') or 'The vendor'} is not linked to a Xero contact.",
                       "Export or link the vendor on the vendors screen, then sync again.",
                       ("vendor", str(vendor.get("id") or contract.get("vendor_id") or "")))
    if not option_id:
        project = str((contract.get("project") or {}).get("id") or contract.get("project_id") or "")
        return Problem("The project is not synced to Xero (no tracking option).",
                       "Send the project to Xero and accept it in the approval queue.", ("project", project))
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
            return Problem(f"The item for “{what}” ({(line.get('cost_code') or {}).get('full_code')}) is not in "
                           "Xero yet.", "Run the cost code sync (or fix the cost code's error there), then sync again.",
                           ("cost_code", key))
    return None


def commitment_problem(contract: dict, lines: list[dict], *, contact_id: str | None, option_id: str | None,
                       items: dict[str, str]) -> Problem | None:
    """Why the commitment cannot be exported (plain words, hint, what it waits for), or None.
    `items`: line key → item code."""
    return (header_problem(contract, contact_id=contact_id, option_id=option_id)
            or lines_problem(lines, items))


def po_lines(lines: list[dict], *, items: dict[str, str], tracking: list[dict], account_code: str = "",
             tax_type: str = "", line_ids: dict[str, str] | None = None) -> list[dict]:
    out = []
    for line in sorted(lines, key=lambda li: li.get("position") or 0):
        quantity, unit = quantity_and_unit(line.get("quantity"), line.get("unit_cost"), line.get("amount"))
        mapped = {"Description": (line.get("description") or "").strip() or items[line_item_key(line)],
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


# -- gate shared by the three financial exports -----------------------------------------------------
LOOK_UP = object()  # admit's `link` when the caller did not look the record's link up already


def admit(ctx, kind: str, procore_id, label: str, problem: Problem | tuple | None, *,
          needs_approval: bool, project_id=None, list_name: str = "", link=LOOK_UP) -> Link | None:
    """Decide where one record stands; returns its link when it may be written now (or updated).
    With `project_id`, the link remembers where the record is listed and what it waits for (sync.windows).
    `link`: the record's link (or None: it has none) when the caller fetched it with its list."""
    if link is LOOK_UP:
        link = Link.objects.filter(connection=ctx.connection, kind=kind, procore_id=str(procore_id)).first()
    wait_for = getattr(problem, "wait_for", None) if problem else None

    def place(data: dict) -> dict:
        if project_id is None or ctx.dry_run:
            return data
        return placed(data, project_id=project_id, list_name=list_name, wait_for=wait_for)

    link, may_write = _admit(ctx, kind, procore_id, label, problem, link, place, needs_approval=needs_approval)
    if link is not None and project_id is not None and not ctx.dry_run:
        remember(link, project_id=project_id, list_name=list_name, wait_for=wait_for)  # a write only if changed
    return link if may_write else None


def _admit(ctx, kind, procore_id, label, problem, link, place, *, needs_approval) -> tuple[Link | None, bool]:
    """(the link as it stands now, whether it may be written). Each change is one write of the link."""
    if link is not None and (link.state == State.SYNCED or (link.state == State.EXPORTING and not problem)):
        return link, True
    if link is not None and link.state in (State.ARCHIVED, State.REJECTED, State.EXPORTING,
                                           State.AWAITING_APPROVAL):
        return link, False
    if link is not None and link.state == State.FAILED and not link.data.get("waiting"):
        return link, False  # Xero refused it: a person retries it (never a blind retry of a 4xx)
    if problem:
        if link is None and (ctx.dry_run or problem[0].startswith("Status is")):
            return link, False  # drafts are not the accountant's business until approved in Procore
        if link is None:
            link = link_new(ctx.connection, kind, procore_id=procore_id, label=label, state=State.FAILED, attempts=1,
                            last_error=problem[0], hint=problem[1], data=place({"waiting": True}))
            run_log(ctx.run, Action.FAILED, link=link, message=problem[0], hint=problem[1])
        elif link.state != State.FAILED or link.last_error != problem[0]:
            link_fail(link, message=problem[0], hint=problem[1], data=place({**link.data, "waiting": True}))
            run_log(ctx.run, Action.FAILED, link=link, message=problem[0], hint=problem[1])
        return link, False
    if ctx.dry_run:
        run_log(ctx.run, Action.SKIPPED, label=label, procore_id=procore_id, message="Eligible (preview).")
        return link, link is not None and link.state == State.READY
    accepted = link is not None and link.data.get("decision") == "accepted"
    state = State.AWAITING_APPROVAL if needs_approval and not accepted else State.READY
    if link is not None and link.state == State.READY:
        return link, True
    if link is None:
        link = link_new(ctx.connection, kind, procore_id=procore_id, label=label, state=state, data=place({}))
    elif link.state == State.FAILED:
        data = place({k: v for k, v in link.data.items() if k != "waiting"})
        link_set_state(link, state, last_error="", hint="", data=data)
    if state == State.AWAITING_APPROVAL:
        run_log(ctx.run, Action.SKIPPED, link=link, message="Eligible: waiting for an accountant to accept it.")
        return link, False
    return link, True


# -- exporter --------------------------------------------------------------------------------------
def run(ctx) -> None:
    links = _prerequisites(ctx)
    window = Window.open(ctx, KIND, synced_projects(ctx.connection))
    candidates, edits = [], []
    for project_id in window.projects:
        for kind in KINDS:
            contracts = window.read(lambda q, k=kind, p=int(project_id): ctx.procore.commitments(k, p, q),
                                    project_id, kind)
            if contracts:
                run_progress(ctx.run, len(contracts))
            known = links_by_procore_id(ctx.connection, KIND, [contract["id"] for contract in contracts])
            judged = window.judge(project_id, contracts, lambda contract, k=kind, p=int(project_id): _candidate(
                ctx, k, p, contract, links, known.get(str(contract["id"]))),
                label=lambda contract: contract.get("number") or "")
            edits += [c for c in judged if isinstance(c, _Deferred)]
            candidates += [c for c in judged if not isinstance(c, _Deferred)]
    candidates += _finish_edits(ctx, edits, window)
    export(ctx.run, client=ctx.xero, kind="purchase_orders", id_field="PurchaseOrderID", candidates=candidates,
           find_existing=lambda refs: _pos_by_reference(ctx.xero, refs), dry_run=ctx.dry_run,
           on_written=_remember_lines)
    window.close()


def _finish_edits(ctx, edits: list[_Deferred], window) -> list[Candidate]:
    out = []
    pos = purchase_orders_now(ctx, [edit.po_id for edit in edits]) if edits else {}
    for edit in edits:
        po = pos[edit.po_id]
        try:
            if isinstance(po, Exception):
                raise po
            candidate = edit.finish(po)
        except Exception as exc:  # one record: log it, the run goes on, the window stays open
            window.hold(edit.link.data.get("project"))
            message, hint = explain_exception(exc)
            run_log(ctx.run, Action.FAILED, link=edit.link, message=message, hint=hint)
            continue
        if candidate:
            out.append(candidate)
    return out


def _prerequisites(ctx) -> dict:
    by_kind = {}
    for kind in (Kind.VENDOR, Kind.PROJECT, Kind.COST_CODE):
        rows = Link.objects.filter(connection=ctx.connection, kind=kind, state=State.SYNCED).exclude(xero_id="")
        by_kind[kind] = {link.procore_id: link for link in rows}
    by_kind["items"] = {key: link.reference or link.label for key, link in by_kind[Kind.COST_CODE].items()}
    return by_kind


def _candidate(ctx, kind: str, project_id, contract: dict, links: dict, existing: Link | None) -> Candidate | None:
    label = f"{contract.get('number') or contract['id']} {contract.get('title') or ''}".strip()
    approved = contract.get("status") == "Approved"
    if not approved and existing is None:
        return None  # a draft: nothing to say until someone approves it in Procore
    vendor_id = str((contract.get("vendor") or {}).get("id") or contract.get("vendor_id") or "")
    contact = links[Kind.VENDOR].get(vendor_id)
    project_link = links[Kind.PROJECT].get(str(project_id))
    problem = header_problem({"project_id": project_id, **contract}, contact_id=contact and contact.xero_id,
                             option_id=project_link and project_link.xero_id)
    if problem is None and not ctx.dry_run and not _writable(ctx, existing):
        # Queued (or kept) for the accountant: its lines are read once, when it may be written.
        admit(ctx, KIND, contract["id"], label, None, needs_approval=ctx.settings.approve_commitments,
              project_id=project_id, list_name=kind, link=existing)
        return None
    lines = []
    if problem is None:  # only now are its lines worth a call
        lines = ctx.procore.commitment(kind, project_id, contract["id"]).get("line_items") or []
        problem = lines_problem(lines, links["items"])
    if existing is not None and existing.state == State.SYNCED:
        if problem:  # e.g. the status went back to Draft: the PO stays as it was
            return None
        return _update(ctx, existing, contract, lines, contact, project_link, links, label)
    link = admit(ctx, KIND, contract["id"], label, problem, needs_approval=ctx.settings.approve_commitments,
                 project_id=project_id, list_name=kind, link=existing)
    if link is None:
        return None
    payload = _payload(ctx, contract, lines, contact, project_link, links)
    return _with_data(Candidate(link, payload, reference=reference(contract), label=label), lines, links, kind)


def _writable(ctx, link: Link | None) -> bool:
    """Whether an eligible commitment would be written in this run (else its lines need no read yet)."""
    if link is not None and link.state in (State.SYNCED, State.READY, State.EXPORTING):
        return True
    if link is not None and (link.state != State.FAILED or not link.data.get("waiting")):
        return False  # awaiting approval, rejected, archived, or refused by Xero (a person retries it)
    return not ctx.settings.approve_commitments or (link is not None and link.data.get("decision") == "accepted")


def _payload(ctx, contract, lines, contact, project_link, links, line_ids=None) -> dict:
    settings = ctx.settings
    return po_payload(contract, lines, contact_id=contact.xero_id, items=links["items"],
                      tracking=tracking_for(settings, project_link), status=settings.po_status,
                      use_number=settings.use_contract_number_as_po_number,
                      account_code=settings.purchase_account_code, tax_type=settings.tax_type, line_ids=line_ids)


def _with_data(candidate: Candidate, lines, links, kind) -> Candidate:
    candidate.data = {"kind": kind, "line_order": [str(li["id"]) for li in
                                                   sorted(lines, key=lambda li: li.get("position") or 0)],
                      "items": {str(li["id"]): links["items"][line_item_key(li)] for li in lines},
                      "tracking": candidate.payload["LineItems"][0]["Tracking"],
                      "contact_id": candidate.payload["Contact"]["ContactID"]}
    return candidate


class _Update(Candidate):
    """An update whose fingerprint is the commitment's own part: change-order lines never count as edits."""

    own: str = ""

    @property
    def fingerprint(self) -> str:
        return self.own


class _Deferred(NamedTuple):
    """An edit that needs the PO as Xero has it now; the POs of a run are read together."""

    link: Link
    po_id: str
    finish: Callable


def _update(ctx, link, contract, lines, contact, project_link, links, label) -> _Deferred | None:
    own = _payload(ctx, contract, lines, contact, project_link, links)
    if fingerprint(own) == link.fingerprint or ctx.dry_run:
        return None
    return _Deferred(link, link.xero_id, lambda po: _updated(ctx, po, link, own, contract, lines, contact, project_link,
                                                        links, label))


def _updated(ctx, po, link, own, contract, lines, contact, project_link, links, label) -> Candidate | None:
    if po.status in CLOSED:
        if link.data.get("refused") != fingerprint(own):
            link.data["refused"] = fingerprint(own)
            link.save(update_fields=["data"])
            run_log(ctx.run, Action.SKIPPED, link=link,
                    message=f"Changed in Procore, but the purchase order is {po.status.lower()} in Xero and "
                            "cannot be updated.", hint="Change the purchase order in Xero by hand if needed.")
        return None
    line_ids = link.data.get("lines") or {}
    payload = _payload(ctx, contract, lines, contact, project_link, links, line_ids=line_ids)
    own_ids = set(line_ids.values())
    payload["LineItems"] += [existing_line(li) for li in (po.line_items or []) if str(li.line_item_id) not in own_ids]
    if po.status != "DRAFT":
        payload.pop("Status", None)  # never move an approved PO back to draft
    candidate = _Update(link, payload, reference=link.reference or reference(contract), label=label)
    candidate.own = fingerprint(own)
    return _with_data(candidate, lines, links, link.data.get("kind"))


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


def _remember_lines(candidate: Candidate, po) -> None:
    """Keep each commitment line's LineItemID (Xero answers the lines in the order sent)."""
    link = candidate.link
    returned = [str(li.line_item_id) for li in (po.line_items or [])]
    order = candidate.data["line_order"]
    link.data = {**link.data, "lines": dict(zip(order, returned)), "po_status": str(po.status)}
    link.data.pop("refused", None)
    if isinstance(candidate, _Update):
        link.fingerprint = candidate.own
    link.save(update_fields=["data", "fingerprint"])


def _pos_by_reference(xero, references: list[str]) -> dict[str, str]:
    wanted, found = set(references), {}
    for page in xero.iter_pages("purchase_orders"):
        for po in page.records:
            if po.reference in wanted and po.status != "DELETED":
                found[po.reference] = str(po.purchase_order_id)
    return found
