"""Freshness after day one (the production profile): a steady stream of changes on both sides, made through
the sandboxes' own APIs, each timed until the other sandbox shows it — never the connector's tables.

Kinds in turn, one change every EVERY_S: a vendor edited and an invoice approved in Procore, a bill paid and
a contact edited in Xero. Webhooks on (the Procore sandbox posts to the web app; the Xero sandbox to the
endpoint the developer portal would name), the connection's default schedules on the sped-up clock. The
invoice approval queue is off for the stream: its time would be a person's, not the connector's.
"""

from __future__ import annotations

import itertools
import os
import random
import time
import uuid
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from . import production, stack
from .remote import Sandbox

# Two project cadences at ×20 (360 s each): the bills the stream's first invoices become get paid in it too.
STREAM_S = float(os.environ.get("FRESHNESS_STREAM_S", 750))
EVERY_S = 10.0
POLL_S = 1.0
SLACK_S = 60.0  # after the stream, the slowest goal plus this for the last changes to arrive


@dataclass
class Change:
    kind: str
    made: float  # time.monotonic() right after the API call that made it returned
    seen_if: object  # (procore tables, xero tables) → bool
    seen_s: float | None = None


@dataclass
class Kind:
    name: str
    webhook: str | None  # the event that announces it, or None: a schedule's run meets it
    scope: str = ""  # the schedule that reads it
    candidates: list = field(default_factory=list)
    picked: set = field(default_factory=set)  # records changed already (bills paid)
    refused: list = field(default_factory=list)  # changes the platform refused (why, for the report)
    not_copied: str = ""  # why the connector leaves this change where it is, by design


def _kinds(connection, r: random.Random) -> dict[str, Kind]:
    """Vendors to edit are the linked pairs; invoices are written on the commitments in Xero; the bills to
    pay are looked up when one is paid (the stream's own approved invoices become bills meanwhile)."""
    from connector.models import ConnectionSettings, Link
    from connector.models import Kind as K

    synced = Link.objects.filter(connection=connection, state=Link.State.SYNCED).exclude(xero_id="")
    vendors = list(synced.filter(kind=K.VENDOR).exclude(procore_id="").values_list("procore_id", "xero_id"))
    r.shuffle(vendors)
    commitments = [(int(link.project_id), int(link.procore_id)) for link in synced.filter(kind=K.COMMITMENT)
                   .exclude(procore_id="").exclude(project_id="").order_by("pk")]
    owner = ConnectionSettings.objects.get(connection=connection).vendor_owner or "procore"
    return {
        "Procore vendor edited": Kind("Procore vendor edited", "Company Vendors", "company", vendors),
        "Procore invoice approved": Kind("Procore invoice approved", None, "project", commitments * 100),
        "Xero bill paid": Kind("Xero bill paid", "INVOICE", "payments", [None] * 1000),
        "Xero contact edited": Kind("Xero contact edited", "CONTACT", "company", list(reversed(vendors)), not_copied=(
            "" if owner == "xero" else "the vendor owner is Procore (the default): a Xero edit is not copied")),
    }


def _vendor_edited(kind, pc, xc, sides, n, item):
    vendor_id, contact_id = item
    email = f"fresh{n}+{vendor_id}@example.com"
    pc.update_vendor(int(vendor_id), {"email_address": email})
    return lambda p, x: any(c["ContactID"] == contact_id and c.get("EmailAddress") == email for c in x["Contacts"])


def _contact_edited(kind, pc, xc, sides, n, item):
    vendor_id, contact_id = item
    email = f"fresh{n}+{contact_id[:8]}@example.com"
    xc.write_batch("contacts", [{"ContactID": contact_id, "EmailAddress": email}], idempotency_key=None)
    return lambda p, x: any(str(v["id"]) == vendor_id and v.get("email_address") == email for v in p["vendors"])


def _invoice_approved(kind, pc, xc, sides, n, item):
    """A subcontractor's invoice on a commitment in Xero (1% of each line this period), then approved."""
    project_id, commitment_id = item
    requisition = pc.create_requisition(project_id, commitment_id, {"invoice_number": f"FRESH-{n}",
                                                                    "billing_date": date.today().isoformat()})
    items = pc.requisition(project_id, requisition["id"])["items"]
    progress = [{"id": i["id"], "item_type": i["item_type"], "line_item_id": i["line_item_id"],
                 "work_completed_this_period": str((Decimal(i["scheduled_value"]) / 100).quantize(Decimal("0.01")))}
                for i in items]
    pc.update_requisition(project_id, commitment_id, requisition["id"], {"status": "approved", "items": progress})
    tail = f"/invoices/{requisition['id']}"
    return lambda p, x: any((b.get("Url") or "").rstrip("/").endswith(tail) for b in x["Invoices"])


def _bill_paid(kind, pc, xc, sides, n, item):
    """A bookkeeper approves one of our unpaid bills and pays it in full. Not a bill whose Procore invoice
    already shows a payment (entered by hand in the dataset): the connector's money guard refuses to pay it
    twice (sync.objects.payments), so it would never show."""
    from sync.objects.invoices import target_from_url

    procore, xero = sides
    paid = {row.get("requisition_id") for row in procore.data("contract_payments")}
    bills = [b for b in xero.data("Invoices") if (b.get("AmountDue") or 0) > 0
             and b["Status"] in ("DRAFT", "SUBMITTED", "AUTHORISED") and b["InvoiceID"] not in kind.picked
             and (target_from_url(b.get("Url")) or {}).get("requisition_id") not in paid | {None}]
    if not bills:
        return None
    bill = bills[0]
    kind.picked.add(bill["InvoiceID"])
    if bill["Status"] != "AUTHORISED":
        xc.write_batch("invoices", [{"InvoiceID": bill["InvoiceID"], "Status": "AUTHORISED"}], idempotency_key=None)
    payment = xc.create_payment(bill["InvoiceID"], "090", bill.get("AmountDue") or bill["Total"],
                                reference="Freshness", idempotency_key=f"fresh-{uuid.uuid4().hex}")
    payment_id = str(payment.payment_id)
    return lambda p, x: any(row.get("origin_id") == payment_id for row in p["contract_payments"])


MAKERS = {"Procore vendor edited": _vendor_edited, "Xero contact edited": _contact_edited,
          "Procore invoice approved": _invoice_approved, "Xero bill paid": _bill_paid}


def _make(kind: Kind, pc, xc, sides: tuple[Sandbox, Sandbox], n: int):
    """Make the next change of `kind`; returns its check, or None when no candidate is left."""
    while kind.candidates:
        try:
            check = MAKERS[kind.name](kind, pc, xc, sides, n, kind.candidates.pop())
        except Exception as exc:  # refused (Procore: not approved, say): the next candidate
            kind.refused.append(str(exc)[:200])
            continue
        return check  # None: nothing to change yet (no unpaid bill of ours): the next kind's turn
    return None


TABLES = {"Procore vendor edited": ("xero", "Contacts"), "Xero contact edited": ("procore", "vendors"),
          "Procore invoice approved": ("xero", "Invoices"), "Xero bill paid": ("procore", "contract_payments")}


def _poll(pending: list[Change], procore: Sandbox, xero: Sandbox) -> None:
    wanted = {TABLES[c.kind] for c in pending if c.seen_s is None}
    tables = {"procore": {}, "xero": {}}
    for side, name in wanted:
        tables[side][name] = (procore if side == "procore" else xero).data(name)
    now = time.monotonic()
    for change in pending:
        if change.seen_s is None and TABLES[change.kind] in wanted and change.seen_if(tables["procore"], tables["xero"]):
            change.seen_s = round(now - change.made, 2)


def _why(connection, kind: Kind) -> str:
    """For a kind not all seen, the connector's side of it: what became of the webhook events that announced
    it, or what its runs said of the records they could not write."""
    from collections import Counter

    from connector.models import SyncRecord, WebhookEvent

    if kind.webhook:
        events = Counter(WebhookEvent.objects.filter(connection=connection, resource_name__iexact=kind.webhook)
                         .values_list("state", flat=True))
        return ("webhook events " + ", ".join(f"{state} {n}" for state, n in sorted(events.items()))
                if events else "no webhook event arrived")
    failed = SyncRecord.objects.filter(run__connection=connection, run__kind=KINDS_RUN[kind.name],
                                       action=SyncRecord.Action.FAILED).order_by("-pk").first()
    return f"last refused: {failed.message[:160]}" if failed else ""


KINDS_RUN = {"Procore invoice approved": "invoice"}


def stream(connection, procore: Sandbox, xero: Sandbox, site_url: str, seed: int = 1,
           stream_s: float = STREAM_S) -> dict:
    from connector.clients import procore_client_for, xero_client_for
    from connector.models import ConnectionSettings

    ConnectionSettings.objects.filter(connection=connection).update(approve_invoices=False)
    procore.settings(webhook_autodeliver=True)
    xero.webhooks(f"{site_url}/webhooks/xero/")
    every = production.schedules(connection, on=True)
    pc, xc = procore_client_for(connection), xero_client_for(connection)
    kinds = _kinds(connection, random.Random(seed))
    changes: list[Change] = []
    started = time.monotonic()
    turn = itertools.cycle(kinds.values())
    n, next_at = 0, started
    while time.monotonic() - started < stream_s:
        if time.monotonic() >= next_at:
            for kind in itertools.islice(turn, len(kinds)):  # the next kind with a candidate left
                check = _make(kind, pc, xc, (procore, xero), n)
                if check is not None:
                    changes.append(Change(kind.name, time.monotonic(), check))
                    n += 1
                    break
            next_at += EVERY_S
        _poll(changes, procore, xero)
        time.sleep(POLL_S)
    goal = {k.name: 60.0 if k.webhook else every.get(k.scope, 0) for k in kinds.values() if not k.not_copied}
    while any(c.seen_s is None and c.kind in goal and time.monotonic() < c.made + goal[c.kind] + SLACK_S
              for c in changes):  # the last changes get their goal and a little more to arrive
        _poll(changes, procore, xero)
        time.sleep(POLL_S)
    ended = time.monotonic()
    out = {}
    for kind in kinds.values():
        mine = [c for c in changes if c.kind == kind.name]
        seconds = [c.seen_s for c in mine if c.seen_s is not None]
        out[kind.name] = {"webhook": kind.webhook, "scope": kind.scope, "changes": len(mine), "seconds": seconds,
                          "cadence_s": every.get(kind.scope), "not_copied": kind.not_copied,
                          "waited_s": round(min((ended - c.made for c in mine if c.seen_s is None),
                                                default=ended - started), 1),
                          "why": _why(connection, kind) if len(seconds) < len(mine) and not kind.not_copied else "",
                          "refused": kind.refused[:3]}
    return {"stream_s": stream_s, "every_s": EVERY_S, "clock_speed": stack.CLOCK_SPEED,
            "cadences": ", ".join(f"{scope} every {s:.0f} s" for scope, s in every.items()),
            "approval_queue": "invoices off for the stream", "kinds": out}
