"""Commitment change orders (packages) → lines appended to the commitment's Xero purchase order.

Only `approved` packages; the commitment must be synced first (else the record waits with a reason).
Xero deletes the lines an update leaves out and cannot change one line twice in one request, so: every
existing line is resent with its LineItemID, and the changes to one commitment line are summed into
one new line. New lines are tagged "[CO number]" in the description: after a lost answer the tag on the
PO shows the lines were already appended, so they are never appended twice.
"""

from __future__ import annotations

import uuid

from connector.models import Kind, Link, SyncRecord

from ..explain import explain_exception, explain_xero
from ..export import send_batch
from ..links import link_bind, link_fail, link_mark_exporting
from ..money import coded, total
from ..runs import run_log
from .commitments import CLOSED, admit, existing_line

KIND = Kind.CHANGE_ORDER
State, Action = Link.State, SyncRecord.Action


# -- mapper (pure) ---------------------------------------------------------------------------------
def tag(package: dict) -> str:
    return f"[{package.get('number') or package['id']}]"


def summed_changes(package: dict) -> list[dict]:
    """One entry per commitment line: {"line_id", "amount", "description"}, in first-seen order."""
    by_line: dict[str, dict] = {}
    for line in sorted(package.get("line_items") or [], key=lambda li: li.get("position") or 0):
        key = str(line.get("commitment_line_item_id") or f"new:{line.get('cost_code_id')}:"
                  f"{line.get('line_item_type_id') or (line.get('line_item_type') or {}).get('id')}")
        entry = by_line.setdefault(key, {"line_id": key, "amounts": [], "description": line.get("description")})
        entry["amounts"].append(line.get("extended_amount") or line.get("total_amount") or line.get("amount"))
    return [{"line_id": e["line_id"], "amount": total(e["amounts"]), "description": e["description"]}
            for e in by_line.values()]


def change_order_problem(package: dict, commitment_link: Link | None, changes: list[dict]) -> tuple[str, str] | None:
    if package.get("status") != "approved":
        return (f"Status is “{package.get('status')}”; only approved change orders are exported.",
                "Approve the change order in Procore.")
    if commitment_link is None or commitment_link.state != State.SYNCED or not commitment_link.xero_id:
        return ("Waiting: its commitment is not in Xero yet.",
                "Export the commitment first (accept it in the approval queue); this change order follows.")
    items = commitment_link.data.get("items") or {}
    for change in changes:
        if change["line_id"] not in items:
            return (f"“{change['description']}” is not on a line of the exported commitment.",
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
def run(ctx) -> None:
    commitments = {link.procore_id: link for link in Link.objects.filter(connection=ctx.connection,
                                                                          kind=Kind.COMMITMENT)}
    for project in ctx.procore.projects({"filters[by_status]": "All"}):
        for package in ctx.procore.change_order_packages(project["id"]):
            if ctx.record_id and str(package["id"]) != str(ctx.record_id):
                continue
            if package.get("status") != "approved" and not Link.objects.filter(
                    connection=ctx.connection, kind=KIND, procore_id=str(package["id"])).exists():
                continue  # not approved and never seen: nothing to say yet
            _one(ctx, package, commitments.get(str(package.get("contract_id"))))


def _one(ctx, package: dict, commitment_link: Link | None) -> None:
    label = f"{package.get('number') or package['id']} {package.get('title') or ''}".strip()
    changes = summed_changes(package)
    problem = change_order_problem(package, commitment_link, changes)
    link = admit(ctx, KIND, package["id"], label, problem, needs_approval=ctx.settings.approve_change_orders)
    if link is None or link.state == State.SYNCED or ctx.dry_run:
        return
    try:
        _append(ctx, link, package, changes, commitment_link)
    except Exception as exc:  # one record: log it, the run goes on
        message, hint = explain_exception(exc)
        run_log(ctx.run, Action.FAILED, link=link, message=message, hint=hint)


def _append(ctx, link: Link, package: dict, changes: list[dict], commitment_link: Link) -> None:
    po = ctx.xero.purchase_order(commitment_link.xero_id)
    mine = [li for li in (po.line_items or []) if (li.description or "").startswith(tag(package) + " ")]
    if mine and link.state == State.EXPORTING:  # an earlier answer was lost: the lines are there
        _bind(link, po, mine, changes, Action.LINKED, ctx.run,
              "Found on the purchase order after an interrupted export; not appended again.")
        return
    if po.status in CLOSED:
        link_fail(link, message=f"The purchase order is {po.status.lower()} in Xero; lines cannot be added.",
                  hint="Add the change to Xero by hand, or reopen the purchase order.")
        run_log(ctx.run, Action.FAILED, link=link, message=link.last_error, hint=link.hint)
        return
    settings = ctx.settings
    payload = {"PurchaseOrderID": str(po.purchase_order_id), "Contact": {"ContactID": str(po.contact.contact_id)},
               "LineItems": [existing_line(li) for li in (po.line_items or [])]
               + appended_lines(package, changes, commitment_link.data, account_code=settings.purchase_account_code,
                                tax_type=settings.tax_type)}
    key = link.idempotency_key if link.state == State.EXPORTING and link.idempotency_key else f"co-{uuid.uuid4()}"
    link_mark_exporting([link], key)
    results = send_batch(ctx.xero, "purchase_orders", [payload], key)
    if results is None:
        run_log(ctx.run, Action.FAILED, link=link,
                message="Xero did not answer; the change order is kept and will be checked on the next run.")
        return
    result = results[0]
    if not result.ok:
        message, hint = explain_xero(result.errors)
        link_fail(link, message=message, hint=hint)
        run_log(ctx.run, Action.FAILED, link=link, message=message, hint=hint)
        return
    before = {str(li.line_item_id) for li in (po.line_items or [])}
    new = [li for li in (result.record.line_items or []) if str(li.line_item_id) not in before]
    _bind(link, result.record, new, changes, Action.UPDATED, ctx.run,
          f"{len(new)} line(s) appended to purchase order {result.record.purchase_order_number}.")


def _bind(link, po, new_lines, changes, action, run, message) -> None:
    ids = [str(li.line_item_id) for li in new_lines]
    link_bind(link, xero_id=ids[0] if ids else "", reference=str(po.purchase_order_id),
              data={"po": str(po.purchase_order_id), "lines": {c["line_id"]: i for c, i in zip(changes, ids)}})
    run_log(run, action, link=link, xero_id=str(po.purchase_order_id), message=message)
