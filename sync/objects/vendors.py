"""Procore companies (directory vendors) ⇄ Xero contacts.

Every record of either side keeps one link: a Procore-only link (procore_id) or a Xero-only link
(xero_id) until someone links, exports or imports it; the link keeps a snapshot of each side for
matching and fingerprints, and `requested` the user's request (export / import). Nothing is created on
either side unless a user asked for it; a new contact needs an accountant's acceptance of the company as
it is when the connection asks for it (approve_companies), a change of it since sends it back to the queue.

Linked pairs follow one owner (ConnectionSettings.vendor_owner): `link.fingerprint` is the hash of
what the owner's record maps to on the other side, so an unchanged owner writes nothing; a pair linked by
hand has none yet, and the next run takes the owner as it is then as its starting point.

Reads are incremental: Xero contacts by If-Modified-Since, oldest change first, the cursor saved
per page; Procore vendors by filters[updated_at], the window's end and the last id done saved per
page so a crashed run finishes the same window. A webhook (record_id) reads one vendor only.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from django.db.models import Q

from connector.models import Kind, Link, SyncCursor, SyncRecord
from connector.services.approvals import needs_approval
from connector.services.records import (
    fingerprint,
    record_accepted_for,
    record_bind,
    record_fail,
    record_mark_exporting,
    record_moved_words,
    record_new,
    record_transition,
    record_update,
    records_by_procore_id,
)

from ..cursors import OVERLAP, cursor_get, cursor_set, now, procore_window
from ..explain import explain_exception
from ..export import Candidate, export, resolve_in_flight
from ..limits import contact_too_long
from ..runs import run_log, run_progress
from ..stops import RUN_STOPS

KIND = Kind.VENDOR
State, Action = Link.State, SyncRecord.Action
PROCORE_PENDING = "procore-pending"  # "<window end> <last vendor id done>" while a window is being read
XERO_PAGE_SIZE = 1000  # the largest page: the cursor still follows each page
CHUNK = 100


# -- mapper (pure) ---------------------------------------------------------------------------------
def vendor_snapshot(vendor: dict) -> dict:
    register = vendor.get("business_register") or {}
    return {
        "name": (vendor.get("name") or "").strip(),
        "email": vendor.get("email_address") or "",
        "tax_number": register.get("identifier") or "",
        "tax_type": register.get("type") or "",
        "address": vendor.get("address") or "", "city": vendor.get("city") or "",
        "region": vendor.get("state_code") or "", "zip": vendor.get("zip") or "",
        "country": vendor.get("country_code") or "",
        "active": bool(vendor.get("is_active", True)),
        "origin_id": vendor.get("origin_id") or "",
    }


def contact_snapshot(contact) -> dict:
    """From the SDK's Contact model."""
    updated = getattr(contact, "updated_date_utc", None)
    return {
        "name": (contact.name or "").strip(),
        "email": contact.email_address or "",
        "tax_number": contact.tax_number or "",
        "number": contact.contact_number or "",
        "status": str(contact.contact_status or "ACTIVE"),
        "updated": updated.isoformat() if isinstance(updated, datetime) else "",
    }


def contact_payload(snapshot: dict, vendor_id) -> dict:
    """Procore company → Xero contact. ContactNumber carries the Procore id: our key on Xero's side."""
    payload = {"Name": snapshot["name"], "ContactNumber": str(vendor_id)}
    if snapshot.get("email"):
        payload["EmailAddress"] = snapshot["email"]
    if snapshot.get("tax_number"):
        payload["TaxNumber"] = snapshot["tax_number"]  # never cut: checked by contact_too_long
    if snapshot.get("address") or snapshot.get("city"):
        payload["Addresses"] = [{
            "AddressType": "STREET", "AddressLine1": snapshot.get("address", ""),
            "City": snapshot.get("city", ""), "Region": snapshot.get("region", ""),
            "PostalCode": snapshot.get("zip", ""), "Country": snapshot.get("country", ""),
        }]
    return payload


def vendor_attrs(snapshot: dict, contact_id: str) -> dict:
    """Xero contact → Procore company; origin_id is the ContactID (our key on Procore's side)."""
    attrs = {"name": snapshot["name"], "origin_id": contact_id}
    if snapshot.get("email"):
        attrs["email_address"] = snapshot["email"]
    return attrs


def owner_fingerprint(owner: str, link: Link) -> str:
    """Hash of what the owning side maps to on the other side (empty when a snapshot is missing)."""
    side = link.procore_snapshot if owner == "procore" else link.xero_snapshot
    if not side:
        return ""
    if owner == "procore":
        return fingerprint(contact_payload(side, link.procore_id))
    return fingerprint(vendor_attrs(side, link.xero_id))


def export_content(link: Link) -> str:
    """What accepting a company's export means: this contact is made in Xero."""
    return fingerprint(contact_payload(link.procore_snapshot, link.procore_id)) if link.procore_snapshot else ""


def contact_clash(payload: dict, names: dict[str, str], own_id: str = "") -> tuple[str, str] | None:
    """Xero contact names are unique among active contacts: say so before Xero does."""
    other = names.get(payload["Name"].casefold())
    if other and other != own_id:
        return (f"A Xero contact named “{payload['Name']}” already exists; Xero contact names are unique, "
                "so it was not created twice.",
                "Link this company to that contact on the Company matching page, or rename one of them.")
    return None


# -- the run ---------------------------------------------------------------------------------------
def run(ctx) -> None:
    owner = ctx.settings.vendor_owner or "procore"
    resolve_in_flight(ctx, KIND, lambda links: _contacts_by_number(ctx.xero, links), scope=~Q(procore_id=""))
    # Xero first: a Procore company carrying origin_id then finds its contact's link and joins it.
    changed_contacts = _read_xero(ctx)
    changed_vendors = _read_procore(ctx)
    if ctx.dry_run:
        _export(ctx, owner, changed_vendors)
        return
    _baseline(ctx, owner)
    if owner == "xero":
        _follow_xero(ctx, changed_contacts)
    _export(ctx, owner, changed_vendors)
    _import(ctx, owner)
    _stamp_origin(ctx)


# -- reading both sides ----------------------------------------------------------------------------
def _read_procore(ctx) -> dict[str, dict]:
    """Changed vendors since the cursor; each page is remembered so a crash resumes after it."""
    query: dict = {}
    pending = _pending_get(ctx.connection)
    until, after_id = pending or (now(), 0)
    if ctx.record_id:
        query["filters[id][]"] = [int(ctx.record_id) if str(ctx.record_id).isdigit() else ctx.record_id]
    else:
        window = procore_window(cursor_get(ctx.connection, KIND, "procore"), until)
        if window:
            query["filters[updated_at]"] = f"{window[0]}...{window[1]}"
    changed: dict[str, dict] = {}
    for page in ctx.procore.vendors(query, pages=True):
        ids = [v["id"] for v in page.items]
        skip = after_id if ids == sorted(ids) else 0  # resume by id only when pages come in id order
        fresh = [v for v in page.items if v["id"] > skip]
        run_progress(ctx.run, len(fresh))
        known = {} if ctx.dry_run else records_by_procore_id(ctx.connection, KIND, [v["id"] for v in fresh])
        for vendor in fresh:
            changed[str(vendor["id"])] = vendor
            if not ctx.dry_run:
                _keep_procore(ctx, vendor, known.get(str(vendor["id"])))
        if not ctx.dry_run and not ctx.record_id and ids:
            _pending_set(ctx.connection, until, max(ids))
    if not ctx.dry_run and not ctx.record_id:
        cursor_set(ctx.connection, KIND, "procore", until)
        SyncCursor.objects.filter(connection=ctx.connection, kind=KIND, source=PROCORE_PENDING).delete()
    return changed


def _read_xero(ctx) -> dict[str, object]:
    """Changed contacts, oldest change first; the cursor follows each page."""
    if ctx.record_id:
        return {}
    since = cursor_get(ctx.connection, KIND, "xero")
    changed = {}
    pages = ctx.xero.iter_pages("contacts", page_size=XERO_PAGE_SIZE, include_archived=True,
                                if_modified_since=since - OVERLAP if since else None,
                                order="UpdatedDateUTC ASC")
    for page in pages:
        run_progress(ctx.run, len(page.records))
        known = {} if ctx.dry_run else {link.xero_id: link for link in Link.objects.filter(
            connection=ctx.connection, kind=KIND, xero_id__in=[str(c.contact_id) for c in page.records])}
        for contact in page.records:
            changed[contact.contact_id] = contact
            if not ctx.dry_run:
                _keep_xero(ctx, contact, known.get(str(contact.contact_id)))
        stamps = [c.updated_date_utc for c in page.records if isinstance(c.updated_date_utc, datetime)]
        if stamps and not ctx.dry_run:
            cursor_set(ctx.connection, KIND, "xero", max(stamps))
    return changed


def _keep_procore(ctx, vendor: dict, link: Link | None) -> Link:
    """The vendor's link with its latest snapshot (`link`: its link as fetched with the page, or None)."""
    pid, snap = str(vendor["id"]), vendor_snapshot(vendor)
    if link is None and snap["origin_id"]:
        # It already carries a contact's id (an import whose answer was lost, or an earlier link):
        # join that contact's link rather than list the company as unlinked.
        link = Link.objects.filter(connection=ctx.connection, kind=KIND, xero_id=snap["origin_id"],
                                   procore_id="").first()
        if link is not None:
            record_update(link, procore_snapshot=snap)
            if record_bind(link, procore_id=pid, reference=pid, leaving=[link.state], requested=""):
                record_update(link, fingerprint=owner_fingerprint(ctx.settings.vendor_owner or "procore", link))
                run_log(ctx.run, Action.LINKED, link=link,
                        message="This Procore company already carries the contact's id (origin_id); linked.")
            return link
    content = fingerprint(contact_payload(snap, pid))
    if link is None:
        return record_new(ctx.connection, KIND, procore_id=pid, label=snap["name"], state=State.READY,
                          procore_snapshot=snap, content_fingerprint=content, vendor_name=snap["name"])[0]
    record_update(link, procore_snapshot=snap, label=snap["name"][:255], content_fingerprint=content,
                  vendor_name=snap["name"][:255])
    return link


def _keep_xero(ctx, contact, link: Link | None) -> Link:
    """The contact's link with its latest snapshot (`link`: its link as fetched with the page, or None)."""
    cid, snap = contact.contact_id, contact_snapshot(contact)
    if link is None and snap["number"]:
        # A contact we exported whose answer was lost: ContactNumber is the Procore id.
        mine = Link.objects.filter(connection=ctx.connection, kind=KIND, procore_id=snap["number"],
                                   xero_id="", state=State.EXPORTING).first()
        if mine is not None:
            record_update(mine, xero_snapshot=snap)
            if record_bind(mine, xero_id=cid, reference=snap["number"], leaving=[State.EXPORTING], requested=""):
                run_log(ctx.run, Action.LINKED, link=mine, message="Found in Xero after an interrupted export; linked.")
            return mine
    if link is None:
        return record_new(ctx.connection, KIND, xero_id=cid, label=snap["name"], state=State.READY,
                          xero_snapshot=snap, vendor_name=snap["name"])[0]
    record_update(link, xero_snapshot=snap, label=link.label if link.procore_id else snap["name"][:255])
    return link


def _baseline(ctx, owner: str) -> None:
    """Pairs linked by hand carry no fingerprint: the owner as it is now is the starting point (nothing is
    written for the link itself; later changes of the owner flow to the other side)."""
    for link in Link.objects.filter(connection=ctx.connection, kind=KIND, state=State.SYNCED, fingerprint="") \
            .exclude(procore_id="").exclude(xero_id=""):
        record_update(link, fingerprint=owner_fingerprint(owner, link))
    for link in Link.objects.filter(connection=ctx.connection, kind=KIND, content_fingerprint="", xero_id="") \
            .exclude(procore_id="").exclude(procore_snapshot={}):
        record_update(link, content_fingerprint=export_content(link))  # what an accountant may accept


def _pending_get(connection) -> tuple[datetime, int] | None:
    row = SyncCursor.objects.filter(connection=connection, kind=KIND, source=PROCORE_PENDING).first()
    if not row or not row.value:
        return None
    until, last_id = row.value.split()
    return datetime.fromisoformat(until), int(last_id)


def _pending_set(connection, until: datetime, last_id: int) -> None:
    SyncCursor.objects.update_or_create(connection=connection, kind=KIND, source=PROCORE_PENDING,
                                        defaults={"value": f"{until.isoformat()} {last_id}"})


# -- Xero owns linked companies: contact changes → Procore -----------------------------------------
def _follow_xero(ctx, changed_contacts: dict) -> None:
    """Compared on the stored snapshot, so a change read by a run that then crashed is not missed."""
    # READY: a linked pair sent back by Retry.
    links = Link.objects.filter(connection=ctx.connection, kind=KIND,
                                state__in=[State.SYNCED, State.FAILED, State.READY])
    todo = []
    for link in links.exclude(procore_id="").exclude(xero_id=""):
        if not link.xero_snapshot or (link.state == State.FAILED and link.xero_id not in changed_contacts):
            continue  # a failed one is retried when its contact changes (or on Retry), not every run
        attrs = vendor_attrs(link.xero_snapshot, link.xero_id)
        if fingerprint(attrs) != link.fingerprint or link.state == State.READY:
            todo.append((link, {"id": int(link.procore_id), **attrs}))
    _procore_write(ctx, todo, Action.UPDATED, "Updated in Procore from the Xero contact.")


def _procore_write(ctx, todo: list[tuple[Link, dict]], action: str, message: str) -> None:
    """One sync call per chunk (repeatable: every item has an id or an origin_id); per-item outcome."""
    for start in range(0, len(todo), CHUNK):
        chunk = todo[start:start + CHUNK]
        try:
            result = ctx.procore.sync_vendors([item for _, item in chunk])
        except RUN_STOPS:
            raise
        except Exception as exc:  # the call failed as a whole: links keep their state, the run goes on
            text, hint = explain_exception(exc)
            for link, _ in chunk:
                run_log(ctx.run, Action.FAILED, link=link, message=text, hint=hint)
            continue
        by_origin = {str(e.get("origin_id")): e for e in result.entities}
        errors = {str(e.get("origin_id") or e.get("id")): e.get("errors") for e in result.errors}
        for link, item in chunk:
            entity = by_origin.get(str(item.get("origin_id")))
            if entity is None:
                problem = (errors.get(str(item.get("origin_id"))) or errors.get(str(item.get("id")))
                           or "no answer")
                hint = "Correct the contact in Xero (or the company in Procore), then retry."
                message = f"Procore refused the company: {problem}"
                record_fail(link, message=message, hint=hint, refused=fingerprint(item))
                run_log(ctx.run, Action.FAILED, link=link, message=message, hint=hint)
                continue
            record_update(link, procore_snapshot=vendor_snapshot(entity))
            if record_bind(link, procore_id=str(entity["id"]), reference=str(entity["id"]),
                           leaving=[State.EXPORTING, State.READY, State.SYNCED, State.FAILED], requested=""):
                record_update(link, fingerprint=owner_fingerprint(ctx.settings.vendor_owner or "procore", link))
                run_log(ctx.run, action, link=link, message=message)
            else:
                run_log(ctx.run, Action.SKIPPED, link=link, message=link.last_error or record_moved_words(link))


# -- export: Procore companies → Xero contacts -----------------------------------------------------
def _export(ctx, owner: str, changed_vendors: dict[str, dict]) -> None:
    """Asked exports (accepted, when the connection asks for it), and (Procore owning) linked companies whose
    snapshot no longer matches the contact."""
    links = Link.objects.filter(connection=ctx.connection, kind=KIND).exclude(procore_id="")
    approve = needs_approval(ctx.settings, KIND)
    candidates, names = [], None
    for link in links.filter(state__in=[State.READY, State.SYNCED, State.FAILED]):
        fresh = changed_vendors.get(link.procore_id)
        snap = vendor_snapshot(fresh) if fresh else link.procore_snapshot
        if not snap:
            continue
        # A failed record is retried when it changes (or on Retry), not every run.
        if link.state == State.FAILED and fresh is None:
            continue
        if not link.xero_id and link.requested != Link.Requested.EXPORT:
            continue  # nobody asked for this company in Xero
        if link.xero_id and owner != "procore":
            continue  # linked, and Xero owns the details
        payload = contact_payload(snap, link.procore_id)
        if link.xero_id and link.state == State.SYNCED and fingerprint(payload) == link.fingerprint:
            continue
        new = not link.xero_id
        content = fingerprint(payload) if new else ""
        if new and approve and not record_accepted_for(link, content) and not ctx.dry_run:
            if link.state == State.READY and record_transition(link, State.AWAITING_APPROVAL, leaving=[State.READY]):
                run_log(ctx.run, Action.SKIPPED, link=link, message="Changed in Procore after it was accepted: back "
                                                                    "in the approval queue.")
            continue
        names = _contact_names(ctx) if names is None else names
        clash = contact_too_long(payload) or contact_clash(payload, names, link.xero_id)
        if clash:
            if not ctx.dry_run and (link.state != State.FAILED or link.last_error != clash[0]):
                record_fail(link, message=clash[0], hint=clash[1])
                run_log(ctx.run, Action.FAILED, link=link, message=clash[0], hint=clash[1])
            continue
        candidates.append(Candidate(link, payload, reference=link.procore_id, label=payload["Name"],
                                    needs_approval=new and approve, content=content))

    def written(candidate, record):
        link = candidate.link
        if record is not None:
            record_update(link, xero_snapshot=contact_snapshot(record), requested="")
        record_update(link, fingerprint=owner_fingerprint(owner, link) or link.fingerprint)

    if candidates:
        export(ctx.run, client=ctx.xero, kind="contacts", id_field="ContactID", candidates=candidates,
               dry_run=ctx.dry_run, on_written=written)


def _contact_names(ctx) -> dict[str, str]:
    """Active contact names (casefolded) → ContactID, from what the links know of Xero."""
    names = {}
    for xero_id, snap in Link.objects.filter(connection=ctx.connection, kind=KIND).exclude(xero_id="") \
            .values_list("xero_id", "xero_snapshot"):
        snap = snap or {}
        if snap.get("status", "ACTIVE") == "ACTIVE" and snap.get("name"):
            names[snap["name"].casefold()] = xero_id
    return names


def _contacts_by_number(xero, links: list[Link]) -> dict[int, str]:
    """Interrupted exports: our contact carries the Procore id as its ContactNumber."""
    by_number = {link.procore_id: link.pk for link in links}
    numbers, found = sorted(by_number), {}
    for start in range(0, len(numbers), 20):
        where = " OR ".join(f'ContactNumber=="{r}"' for r in numbers[start:start + 20])
        for page in xero.iter_pages("contacts", where=where, include_archived=True):
            found.update({by_number[c.contact_number]: c.contact_id for c in page.records
                          if c.contact_number in by_number})
    return found


# -- import: Xero contacts → Procore companies -----------------------------------------------------
def _import(ctx, owner: str) -> None:
    asked = [l for l in Link.objects.filter(connection=ctx.connection, kind=KIND, procore_id="",
                                            state__in=[State.READY, State.EXPORTING]).exclude(xero_id="")
             if l.requested == Link.Requested.IMPORT and l.xero_snapshot]
    if not asked:
        return
    unsure = [l for l in asked if l.state == State.EXPORTING]
    for link in unsure:  # an earlier answer was lost: Procore may have it under origin_id already
        existing = ctx.procore.vendors({"filters[origin_id]": link.xero_id})
        if existing:
            record_update(link, procore_snapshot=vendor_snapshot(existing[0]))
            if record_bind(link, procore_id=str(existing[0]["id"]), reference=str(existing[0]["id"]),
                           leaving=[State.EXPORTING], requested=""):
                record_update(link, fingerprint=owner_fingerprint(owner, link))
                run_log(ctx.run, Action.LINKED, link=link,
                        message="Found in Procore after an interrupted import; linked, not created again.")
    # again: the unsure ones were just looked up in Procore by origin_id, and are not there
    todo = record_mark_exporting([l for l in asked if not l.procore_id], f"vendors-{uuid.uuid4()}", again=True)
    if todo:
        _procore_write(ctx, [(l, vendor_attrs(l.xero_snapshot, l.xero_id)) for l in todo], Action.CREATED,
                       "Added to the Procore company directory.")


def _stamp_origin(ctx) -> None:
    """Procore companies linked to a contact carry origin_id = ContactID (ERP convention, and our key)."""
    todo = []
    for link in Link.objects.filter(connection=ctx.connection, kind=KIND, state=State.SYNCED).exclude(
            procore_id="").exclude(xero_id=""):
        snap = link.procore_snapshot or {}
        if snap and snap.get("origin_id") != link.xero_id:
            todo.append((link, {"id": int(link.procore_id), "origin_id": link.xero_id}))
    if not todo:
        return
    try:
        result = ctx.procore.sync_vendors([item for _, item in todo])
    except RUN_STOPS:
        raise
    except Exception as exc:  # retried on the next run: the link already holds both ids
        text, hint = explain_exception(exc)
        run_log(ctx.run, Action.SKIPPED, message=f"Could not record the Xero ids in Procore yet: {text}",
                hint=hint)
        return
    stamped = {str(e["id"]): e for e in result.entities}
    for link, _ in todo:
        if link.procore_id in stamped:
            record_update(link, procore_snapshot=vendor_snapshot(stamped[link.procore_id]))
