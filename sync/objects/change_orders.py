"""Commitment change orders (packages) → lines appended to the commitment's Xero purchase order.

Only `approved` packages; the commitment must be synced first (else the record waits for it). Procore lists
packages without their lines (the show answer carries them, naming a cost code and cost type, not the
commitment line): a package's lines are read once, when it may be written, and each change goes to the
commitment line with that cost code × cost type. Xero deletes the lines an update leaves out and cannot change
one line twice in one request, so: every existing line is resent with its LineItemID, and the changes to one
commitment line are summed into one new line. New lines
are tagged "[CO number]" in the description, and the tag sent is stored with the intent: after a lost answer
the tag on the PO shows the lines were already appended, so they are never appended twice — even if the
package was renumbered since.

Every writer of a purchase order holds its lock (connector.locks) while it reads the PO's lines and writes
them back: a commitment edit and a change order of the same PO never drop each other's lines. A run reads
the packages that changed (sync.windows), then writes each PO once however many of its packages are due,
50 POs per call with one stored Idempotency-Key. A package appended once is final: later edits of it in
Procore are not replayed on the PO.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from typing import NamedTuple

from connector.locks import LockUnavailable, document_lock_name, hold
from connector.models import Kind, Link, LinkLine, SyncRecord
from connector.services.records import (
    record_bind,
    record_fail,
    record_lines_set,
    record_mark_exporting,
    record_moved_words,
    record_transition,
    records_by_procore_id,
)
from xero_client.errors import XeroValidationError

from ..admission import Content, Judged, Problem, admit
from ..explain import explain_exception, explain_xero
from ..export import BATCH, send_batch
from ..limits import DESCRIPTION, shortened
from ..money import cents, coded, total
from ..runs import run_log, run_progress
from ..stamps import one_by_one, stamp_keep, stamps_send
from ..stops import RUN_STOPS, sent_before_a_pause
from ..windows import Window, synced_projects
from .commitments import (
    CLOSED,
    LOCK_TTL_S,
    LOCK_WAIT_S,
    commitment_lines,
    existing_line,
    line_item_key,
    purchase_orders_now,
)

KIND = Kind.CHANGE_ORDER
State, Action = Link.State, SyncRecord.Action


# -- mapper (pure) ---------------------------------------------------------------------------------
def tag(package: dict) -> str:
    return f"[{package.get('number') or package['id']}]"


def tagged(lines, mark: str) -> list:
    """The PO lines a package appended under `mark` (Xero line models), in order."""
    return [li for li in lines or [] if (li.description or "") == mark or (li.description or "").startswith(mark + " ")]


def commitment_line(line: dict, commitment_items: dict[str, str], cost_items: dict[str, str]) -> str:
    """The commitment line a change line modifies: the first with the same item (cost code × cost type);
    "new:<key>" when the commitment has none. `commitment_items`: the commitment's line id → item code, in
    line order; `cost_items`: cost code link id ("standard id:type id") → item code."""
    key = line_item_key(line)
    code = cost_items.get(key) if key else None
    return next((line_id for line_id, item in commitment_items.items() if code is not None and item == code),
                f"new:{key}")


def summed_changes(line_items: list[dict], line_of) -> list[dict]:
    """One entry per commitment line (`line_of(package line)` → its id): {"line_id", "amount",
    "description"}, in first-seen order."""
    by_line: dict[str, dict] = {}
    for line in sorted(line_items or [], key=lambda li: li.get("position") or 0):
        key = str(line_of(line))
        entry = by_line.setdefault(key, {"line_id": key, "amounts": [], "description": line.get("description")})
        entry["amounts"].append(line.get("extended_amount") or line.get("total_amount") or line.get("amount"))
    return [{"line_id": e["line_id"], "amount": total(e["amounts"]), "description": e["description"]}
            for e in by_line.values()]


def header_problem(package: dict, commitment_link: Link | None) -> Problem | None:
    if package.get("status") != "approved":
        return Problem(f"Status is “{package.get('status')}”; only approved change orders are exported.",
                       "Approve the change order in Procore.", quiet=True)
    if commitment_link is None or commitment_link.state != State.SYNCED or not commitment_link.xero_id:
        return Problem("Waiting: its commitment is not in Xero yet.",
                       "Export the commitment first (accept it in the approval queue); this change order follows.",
                       wait_for=(Kind.COMMITMENT, str(package.get("contract_id"))))
    return None


def changes_problem(changes: list[dict], items: dict[str, str]) -> Problem | None:
    for change in changes:
        if change["line_id"] not in items:
            return Problem(f"“{change['description']}” is not on a line of the exported commitment.",
                           "Tie each change to an existing commitment line (cost code and cost type).")
    return None


def change_order_problem(package: dict, commitment_link: Link | None, changes: list[dict],
                         items: dict[str, str] | None = None) -> Problem | None:
    return header_problem(package, commitment_link) or changes_problem(changes, items or {})


def content_of(package: dict, *, project_name: str = "") -> Content:
    amount = package.get("grand_total")
    return Content(number=str(package.get("number") or ""), project=project_name,
                   amount=cents(amount) if amount not in (None, "") else None,
                   extra={"contract": str(package.get("contract_id") or ""), "title": package.get("title") or ""})


def appended_lines(package: dict, changes: list[dict], items: dict[str, str], tracking: list, *,
                   account_code: str = "", tax_type: str = "") -> list[dict]:
    out = []
    for change in changes:
        line = {"Description": shortened(f"{tag(package)} {change['description'] or package.get('title') or ''}"
                                         .strip(), DESCRIPTION),
                "Quantity": 1, "UnitAmount": change["amount"], "ItemCode": items[change["line_id"]],
                "Tracking": tracking or []}
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
    items: dict  # the commitment's line id → item code


class Update(NamedTuple):
    """One PO write: its current lines plus the lines of every package due on it."""

    po: object
    due: list[Due]
    payload: dict


def run(ctx) -> None:
    # What a package needs of its commitment (a company has thousands): whether and where it is in Xero.
    commitments = {link.procore_id: link for link in Link.objects.filter(
        connection=ctx.connection, kind=Kind.COMMITMENT).only("pk", "procore_id", "state", "xero_id", "engine_data")}
    _resolve_in_flight(ctx, commitments)
    window = Window.open(ctx, KIND, synced_projects(ctx.connection))
    projects = {link.procore_id: link.label for link in Link.objects.filter(
        connection=ctx.connection, kind=Kind.PROJECT, state=State.SYNCED)}
    cost_items = {link.procore_id: link.reference or link.label for link in Link.objects.filter(
        connection=ctx.connection, kind=Kind.COST_CODE, state=State.SYNCED).exclude(xero_id="")}
    items = {}
    due = []

    def send():
        by_po = defaultdict(list)
        for one in due:
            by_po[one.commitment.xero_id].append(one)
        if by_po:
            _write_pos(ctx, by_po, window)

    with sent_before_a_pause(send):
        for project_id in window.projects:
            packages = window.read(lambda q, p=int(project_id): ctx.procore.change_order_packages(p, query=q),
                                   project_id, "packages")
            if packages:
                run_progress(ctx.run, len(packages))
            known = records_by_procore_id(ctx.connection, KIND, [package["id"] for package in packages])
            due += window.judge(project_id, packages, lambda package, p=int(project_id): _judge(
                ctx, p, package, commitments.get(str(package.get("contract_id"))), known.get(str(package["id"])),
                projects.get(str(p), ""), items, cost_items),
                label=lambda package: str(package.get("number") or ""))
    send()
    stamps_send(ctx, KIND, ("project_id",), one_by_one(lambda link, stamp: (
        ctx.procore.stamp_change_order_package(int(link.project_id), int(link.procore_id), **stamp))))
    window.close()


def _judge(ctx, project_id, package: dict, commitment: Link | None, existing: Link | None, project_name: str,
           items: dict, cost_items: dict) -> Due | None:
    label = f"{package.get('number') or package['id']} {package.get('title') or ''}".strip()
    item = Judged(procore_id=str(package["id"]), label=label, content=content_of(package, project_name=project_name),
                  problem=header_problem(package, commitment), needs_approval=ctx.settings.approve_change_orders,
                  project_id=str(project_id), source_list="packages", parent_id=str(package.get("contract_id") or ""),
                  updates=False)
    link = admit(ctx, KIND, item, existing)
    if link is None or link.state == State.SYNCED or ctx.dry_run:
        return None
    if commitment.pk not in items:
        items[commitment.pk] = commitment_lines([commitment.pk]).get(commitment.pk, {})
    # Procore lists packages without their lines: the package's own page has them (one call, only now).
    lines = (yield lambda: ctx.procore.change_order_package(project_id, package["id"], package.get("contract_id"))
             ).get("line_items") or []
    changes = summed_changes(lines, lambda line: commitment_line(line, items[commitment.pk], cost_items))
    problem = changes_problem(changes, items[commitment.pk])
    if problem:
        if record_fail(link, message=problem.message, hint=problem.hint, leaving=[link.state]):
            run_log(ctx.run, Action.FAILED, link=link, message=problem.message, hint=problem.hint)
        return None
    return Due(link, package, changes, commitment, items[commitment.pk])


def _write_pos(ctx, groups: dict[str, list[Due]], window) -> None:
    """The due POs under their locks: read as Xero has them now (together: a page of all POs when that is
    fewer calls), appended to, written 50 a call."""
    names = [document_lock_name(ctx.connection, "purchase_order", po_id) for po_id in groups]
    try:
        with hold(names, ttl=LOCK_TTL_S, wait=LOCK_WAIT_S):
            updates = _updates(ctx, groups)
            for start in range(0, len(updates), BATCH):
                _write(ctx, updates[start:start + BATCH])
    except LockUnavailable:
        for group in groups.values():
            for one in group:
                window.hold(one.link.project_id)
                run_log(ctx.run, Action.SKIPPED, link=one.link,
                        message="Its purchase order is being changed by another sync right now; this change "
                                "order is appended on the next run.")


def _updates(ctx, groups: dict[str, list[Due]]) -> list[Update]:
    """Bind the packages an interrupted run already appended; one update per PO for the others."""
    pos = purchase_orders_now(ctx, list(groups))
    settings, updates = ctx.settings, []
    for po_id, group in groups.items():
        po = pos[po_id]
        if isinstance(po, Exception):
            _log_failed(ctx.run, group, *explain_exception(po))
            continue
        pending = []
        for one in group:
            sent = one.link.reference if one.link.state == State.EXPORTING and one.link.reference else tag(one.package)
            mine = tagged(po.line_items, sent)
            if mine and one.link.state == State.EXPORTING:  # an earlier answer was lost: the lines are there
                _bind(ctx.run, one.link, po, mine, one.changes, Action.LINKED,
                      "Found on the purchase order after an interrupted export; not appended again.")
            elif po.status in CLOSED:
                _fail(ctx.run, [one], f"The purchase order is {po.status.lower()} in Xero; lines cannot be added.",
                      "Add the change to Xero by hand, or reopen the purchase order.")
            else:
                pending.append(one)
        if pending:
            lines = [existing_line(li) for li in po.line_items or []]
            for one in pending:
                lines += appended_lines(one.package, one.changes, one.items,
                                        one.commitment.engine_data.get("tracking") or [],
                                        account_code=settings.purchase_account_code, tax_type=settings.tax_type)
            updates.append(Update(po, pending, {"PurchaseOrderID": str(po.purchase_order_id),
                                                "Contact": {"ContactID": str(po.contact.contact_id)},
                                                "LineItems": lines}))
    return updates


def _write(ctx, batch: list[Update]) -> None:
    """One Xero call for ≤ 50 POs; the key and each package's tag are stored on the links first, so a lost
    answer is found again."""
    dues = [one for update in batch for one in update.due]
    key = _key(ctx, [one.link for one in dues])
    taken = {link.pk for link in record_mark_exporting(
        [one.link for one in dues], key, references={one.link.pk: tag(one.package) for one in dues},
        sent={one.link.pk: {"po": str(update.po.purchase_order_id)} for update in batch for one in update.due},
        again=True)}  # the POs were just read under their locks: a package still exporting is not on its PO
    for one in dues:
        if one.link.pk not in taken:  # moved meanwhile (rejected, say): its PO is written without it
            run_log(ctx.run, Action.SKIPPED, link=one.link, message=record_moved_words(one.link))
    batch = [_without(update, taken) for update in batch]
    batch = [update for update in batch if update.due]
    if not batch:
        return
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
            mine = tagged(new, tag(one.package))
            _bind(ctx.run, one.link, result.record, mine, one.changes, Action.UPDATED,
                  f"{len(mine)} line(s) appended to purchase order {result.record.purchase_order_number}.")


def _without(update: Update, taken: set) -> Update:
    """The PO write without the lines of packages that did not take the intent."""
    kept = [one for one in update.due if one.link.pk in taken]
    if len(kept) == len(update.due):
        return update
    dropped = {tag(one.package) for one in update.due if one.link.pk not in taken}
    lines = [li for li in update.payload["LineItems"]
             if li.get("LineItemID") or not any(li["Description"].startswith(mark) for mark in dropped)]
    return Update(update.po, kept, {**update.payload, "LineItems": lines})


def _key(ctx, links: list[Link]) -> str:
    """The stored key when this is exactly the batch whose answer was lost (Xero replays it, never applies
    it twice); otherwise a new one (Xero refuses a key reused for a different request)."""
    key = links[0].idempotency_key if links else ""
    if key and all(link.state == State.EXPORTING and link.idempotency_key == key for link in links):
        same = set(Link.objects.filter(connection=ctx.connection, kind=KIND, idempotency_key=key)
                   .values_list("pk", flat=True))
        if same == {link.pk for link in links}:
            return key
    return f"co-{uuid.uuid4()}"


def _resolve_in_flight(ctx, commitments: dict[str, Link]) -> None:
    """Packages left `exporting` that this run may not judge again (no longer approved, say): bound when their
    tag is on the PO, released to be judged again when it is not."""
    if ctx.dry_run:
        return
    links = list(Link.objects.filter(connection=ctx.connection, kind=KIND, state=State.EXPORTING))
    if not links:
        return
    po_ids = {link.pk: (link.engine_data.get("sent") or {}).get("po")
              or getattr(commitments.get(link.parent_id), "xero_id", "") for link in links}
    try:
        pos = purchase_orders_now(ctx, sorted({po_id for po_id in po_ids.values() if po_id}))
    except RUN_STOPS:  # the budget, the time limit, our database: the run's business
        raise
    except Exception as exc:  # noqa: BLE001 - cannot look now: they stay exporting, the next run looks again
        _log_failed(ctx.run, [Due(link, {}, [], None, {}) for link in links], *explain_exception(exc))
        return
    for link in links:
        po = pos.get(po_ids[link.pk])
        mine = tagged(po.line_items, link.reference) if po is not None and not isinstance(po, Exception) else []
        if mine:
            changes = [{"line_id": f"appended-{n}"} for n in range(len(mine))]
            _bind(ctx.run, link, po, mine, changes, Action.LINKED,
                  "Found on the purchase order after an interrupted export; not appended again.")
        elif record_transition(link, State.READY, leaving=[State.EXPORTING]):
            run_log(ctx.run, Action.SKIPPED, link=link,
                    message="An interrupted export never reached Xero; the change order is judged again.")


def _line_amount(line):
    """A Xero PO line's amount as written (the report sums it per item code)."""
    amount = getattr(line, "line_amount", None)
    if amount is None and getattr(line, "unit_amount", None) is not None:
        amount = (line.quantity or 1) * line.unit_amount
    return cents(amount) if amount is not None else None


def _bind(run, link: Link, po, new_lines, changes: list[dict], action, message) -> None:
    ids = [str(li.line_item_id) for li in new_lines]
    data = {**link.engine_data, "po": str(po.purchase_order_id)}
    if ids:  # Procore shows the package is in Xero: its first line's id (unique), the PO's number (sync.stamps)
        number = po.purchase_order_number or ""
        data = stamp_keep(data, {"origin_id": ids[0], "origin_code": number,
                                 "origin_data": f"Lines added to Xero purchase order {number}".strip()})
    if record_bind(link, xero_id=ids[0] if ids else "", leaving=[State.EXPORTING], engine_data=data):
        record_lines_set(link, [LinkLine(procore_line_id=c["line_id"], xero_line_id=str(li.line_item_id),
                                         item_code=li.item_code or "", amount=_line_amount(li), position=n)
                                for n, (c, li) in enumerate(zip(changes, new_lines))])
        run_log(run, action, link=link, xero_id=str(po.purchase_order_id), message=message)
    else:
        run_log(run, Action.SKIPPED, link=link, message=record_moved_words(link))


def _fail(run, due: list[Due], message: str, hint: str) -> None:
    """Xero refused it: the link fails with the content refused (a change or a person's retry sends it again)."""
    for one in due:
        record_fail(one.link, message=message, hint=hint, refused=one.link.content_fingerprint,
                    leaving=[State.EXPORTING, State.READY])
    _log_failed(run, due, message, hint)


def _log_failed(run, due: list[Due], message: str, hint: str) -> None:
    for one in due:
        run_log(run, Action.FAILED, link=one.link, message=message, hint=hint)
