"""Commitment change orders (packages) → lines appended to the commitment's Xero purchase order.

Only `approved` packages; the commitment must be synced first (else the record waits with a reason).
Procore lists packages without their lines (the show answer carries them, naming a cost code and cost type,
not the commitment line): a package's lines are read once, when it may be written, and each change goes
to the commitment line with that cost code × cost type.
Xero deletes the lines an update leaves out and cannot change one line twice in one request, so: every
existing line is resent with its LineItemID, and the changes to one commitment line are summed into
one new line. New lines are tagged "[CO number]" in the description: after a lost answer the tag on the
PO shows the lines were already appended, so they are never appended twice.

A run reads the packages that changed (sync.windows), then writes each PO once however many of its
packages are due, 50 POs per call with one stored Idempotency-Key: the Xero calls are the PO reads (by id,
or the pages of all POs when that is fewer) plus one write per 50 POs. A Xero read error stops the run
before anything is written; an element Xero refuses fails only the packages of that PO.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from typing import NamedTuple

from connector.models import Kind, Link, SyncRecord
from xero_client.errors import XeroValidationError

from ..explain import explain_exception, explain_xero
from ..export import BATCH, send_batch
from ..links import link_bind, link_fail, link_mark_exporting, links_by_procore_id
from ..money import coded, total
from ..runs import run_log, run_progress
from ..windows import Problem, Window, synced_projects
from .commitments import CLOSED, admit, existing_line, line_item_key, purchase_orders_now

KIND = Kind.CHANGE_ORDER
State, Action = Link.State, SyncRecord.Action


# -- mapper (pure) ---------------------------------------------------------------------------------
def tag(package: dict) -> str:
    return f"[{package.get('number') or package['id']}]"


def tagged(lines, package: dict) -> list:
    """The PO lines this package appended (Xero line models), in order."""
    mark = tag(package)
    return [li for li in lines or [] if (li.description or "") == mark
            or (li.description or "").startswith(mark + " ")]


def commitment_line(line: dict, commitment_data: dict, items: dict[str, str]) -> str:
    """The commitment line a change line modifies: the first with the same item (cost code × cost type);
    "new:<key>" when the commitment has none. `items`: cost code link id → item code."""
    key = line_item_key(line)
    code = items.get(key) if key else None
    lines = commitment_data.get("items") or {}
    for line_id in commitment_data.get("line_order") or list(lines):
        if code is not None and lines.get(line_id) == code:
            return line_id
    return f"new:{key}"


def summed_changes(package: dict, line_of) -> list[dict]:
    """One entry per commitment line (`line_of(package line)` → its id): {"line_id", "amount",
    "description"}, in first-seen order."""
    by_line: dict[str, dict] = {}
    for line in sorted(package.get("line_items") or [], key=lambda li: li.get("position") or 0):
        key = str(line_of(line))
        entry = by_line.setdefault(key, {"line_id": key, "amounts": [], "description": line.get("description")})
        entry["amounts"].append(line.get("extended_amount") or line.get("total_amount") or line.get("amount"))
    return [{"line_id": e["line_id"], "amount": total(e["amounts"]), "description": e["description"]}
            for e in by_line.values()]


def change_order_problem(package: dict, commitment_link: Link | None, changes: list[dict]) -> Problem | None:
    if package.get("status") != "approved":
        return Problem(f"Status is “{package.get('status')}”; only approved change orders are exported.",
                       "Approve the change order in Procore.")
    if commitment_link is None or commitment_link.state != State.SYNCED or not commitment_link.xero_id:
        return Problem("Waiting: its commitment is not in Xero yet.",
                       "Export the commitment first (accept it in the approval queue); this change order follows.",
                       wait_for=("commitment", str(package.get("contract_id"))))
    items = commitment_link.data.get("items") or {}
    for change in changes:
        if change["line_id"] not in items:
            return Problem(f"“{change['description']}” is not on a line of the exported commitment.",
                           "Tie each change to an existing commitment line (cost code and cost type).")
    return None


def appended_lines(package: dict, changes: list[dict], commitment_data: dict, *, account_code: str = "",
                   tax_type: str = "") -> list[dict]:
    out = []
    for change in changes:
        line = {"Description": f"{tag(package)} {change['description'] or package.get('title') or ''}".strip(),
                "Quantity": 1, "UnitAmount": change["amount"],
                "ItemCode": commitment_data["items"][change["line_id"]],
                "Tracking": commitment_data.get("tracking") or []}
        coded(line, account_code, tax_type)
        out.append(line)
    return out


# -- exporter --------------------------------------------------------------------------------------
class Due(NamedTuple):
    """A change order whose lines may be appended in this run."""

    link: Link
    package: dict
    changes: list[dict]
    commitment: Link


class Update(NamedTuple):
    """One PO write: its current lines plus the lines of every package due on it."""

    po: object
    due: list[Due]
    payload: dict


def run(ctx) -> None:
    commitments = {link.procore_id: link for link in Link.objects.filter(connection=ctx.connection,
                                                                          kind=Kind.COMMITMENT)}
    items = {link.procore_id: link.reference or link.label for link in Link.objects.filter(
        connection=ctx.connection, kind=Kind.COST_CODE, state=State.SYNCED).exclude(xero_id="")}
    window = Window.open(ctx, KIND, synced_projects(ctx.connection))
    due = []
    for project_id in window.projects:
        packages = window.read(lambda q, p=int(project_id): ctx.procore.change_order_packages(p, query=q),
                               project_id, "packages")
        if packages:
            run_progress(ctx.run, len(packages))
        known = links_by_procore_id(ctx.connection, KIND, [package["id"] for package in packages])
        due += window.judge(project_id, packages, lambda package, p=int(project_id): _judge(
            ctx, p, package, commitments.get(str(package.get("contract_id"))), known.get(str(package["id"])),
            items),
            label=lambda package: str(package.get("number") or ""))
    if due:
        updates = _updates(ctx, due)
        for start in range(0, len(updates), BATCH):
            _write(ctx, updates[start:start + BATCH])
    window.close()


def _judge(ctx, project_id, package: dict, commitment: Link | None, existing: Link | None,
           items: dict[str, str]) -> Due | None:
    label = f"{package.get('number') or package['id']} {package.get('title') or ''}".strip()
    problem = change_order_problem(package, commitment, [])
    queued = problem is None and not ctx.dry_run and not _writable(ctx, existing)
    if queued or (existing is not None and existing.state == State.SYNCED):
        # Queued for the accountant, or already on the PO: its lines are not worth a call now.
        admit(ctx, KIND, package["id"], label, problem, needs_approval=ctx.settings.approve_change_orders,
              project_id=project_id, list_name="packages", link=existing)
        return None
    changes = []
    if problem is None:
        lines = ctx.procore.change_order_package(project_id, package["id"]).get("line_items") or []
        changes = summed_changes({**package, "line_items": lines},
                                 lambda line: commitment_line(line, commitment.data, items))
        problem = change_order_problem(package, commitment, changes)
    link = admit(ctx, KIND, package["id"], label, problem, needs_approval=ctx.settings.approve_change_orders,
                 project_id=project_id, list_name="packages", link=existing)
    if link is None or link.state == State.SYNCED or ctx.dry_run:
        return None
    return Due(link, package, changes, commitment)


def _writable(ctx, link: Link | None) -> bool:
    """Whether an eligible package would be written in this run (else its lines need no read yet)."""
    if link is not None and link.state in (State.READY, State.EXPORTING):
        return True
    if link is not None and (link.state != State.FAILED or not link.data.get("waiting")):
        return False  # awaiting approval, rejected, archived, or refused by Xero (a person retries it)
    return not ctx.settings.approve_change_orders or (link is not None and link.data.get("decision") == "accepted")


def _updates(ctx, due: list[Due]) -> list[Update]:
    """Group the due packages by PO; bind the ones an interrupted run already appended; one update per PO."""
    by_po = defaultdict(list)
    for one in due:
        by_po[one.commitment.xero_id].append(one)
    pos = purchase_orders_now(ctx, list(by_po))
    settings, updates = ctx.settings, []
    for po_id, group in by_po.items():
        po = pos[po_id]
        if isinstance(po, Exception):
            _log_failed(ctx.run, group, *explain_exception(po))
            continue
        pending = []
        for one in group:
            mine = tagged(po.line_items, one.package)
            if mine and one.link.state == State.EXPORTING:  # an earlier answer was lost: the lines are there
                _bind(ctx.run, one, po, mine, Action.LINKED,
                      "Found on the purchase order after an interrupted export; not appended again.")
            elif po.status in CLOSED:
                _fail(ctx.run, [one], f"The purchase order is {po.status.lower()} in Xero; lines cannot be added.",
                      "Add the change to Xero by hand, or reopen the purchase order.")
            else:
                pending.append(one)
        if pending:
            lines = [existing_line(li) for li in po.line_items or []]
            for one in pending:
                lines += appended_lines(one.package, one.changes, one.commitment.data,
                                        account_code=settings.purchase_account_code, tax_type=settings.tax_type)
            updates.append(Update(po, pending, {"PurchaseOrderID": str(po.purchase_order_id),
                                                "Contact": {"ContactID": str(po.contact.contact_id)},
                                                "LineItems": lines}))
    return updates


def _write(ctx, batch: list[Update]) -> None:
    """One Xero call for ≤ 50 POs; the key is stored on the links first, so a lost answer is found again."""
    links = [one.link for update in batch for one in update.due]
    key = _key(ctx, links)
    link_mark_exporting(links, key)
    try:
        results = send_batch(ctx.xero, "purchase_orders", [update.payload for update in batch], key)
    except XeroValidationError as exc:  # refused as a whole (a 4xx is never retried blindly: a person does)
        for update in batch:
            _fail(ctx.run, update.due, *explain_xero(exc.messages))
        return
    if results is None:
        for update in batch:
            _log_failed(ctx.run, update.due,
                        "Xero did not answer; the change order is kept and will be checked on the next run.", "")
        return
    for update, result in zip(batch, results):
        if not result.ok:
            _fail(ctx.run, update.due, *explain_xero(result.errors))
            continue
        before = {str(li.line_item_id) for li in update.po.line_items or []}
        new = [li for li in result.record.line_items or [] if str(li.line_item_id) not in before]
        for one in update.due:
            mine = tagged(new, one.package)
            _bind(ctx.run, one, result.record, mine, Action.UPDATED,
                  f"{len(mine)} line(s) appended to purchase order {result.record.purchase_order_number}.")


def _key(ctx, links: list[Link]) -> str:
    """The stored key when this is exactly the batch whose answer was lost (Xero replays it, never applies
    it twice); otherwise a new one (Xero refuses a key reused for a different request)."""
    key = links[0].idempotency_key
    if key and all(link.state == State.EXPORTING and link.idempotency_key == key for link in links):
        same = set(Link.objects.filter(connection=ctx.connection, kind=KIND, idempotency_key=key)
                   .values_list("pk", flat=True))
        if same == {link.pk for link in links}:
            return key
    return f"co-{uuid.uuid4()}"


def _bind(run, one: Due, po, new_lines, action, message) -> None:
    ids = [str(li.line_item_id) for li in new_lines]
    link_bind(one.link, xero_id=ids[0] if ids else "", reference=str(po.purchase_order_id),
              data={"po": str(po.purchase_order_id), "lines": {c["line_id"]: i for c, i in zip(one.changes, ids)}})
    run_log(run, action, link=one.link, xero_id=str(po.purchase_order_id), message=message)


def _fail(run, due: list[Due], message: str, hint: str) -> None:
    """Xero refused it: the link fails (a person retries it)."""
    for one in due:
        link_fail(one.link, message=message, hint=hint)
    _log_failed(run, due, message, hint)


def _log_failed(run, due: list[Due], message: str, hint: str) -> None:
    for one in due:
        run_log(run, Action.FAILED, link=one.link, message=message, hint=hint)
