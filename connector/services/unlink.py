"""Unlink a Procore company from the Xero contact it was linked to (a wrong match, say).

The link splits in two, as if the pair had never been matched: the Procore company is an unlinked Procore
record again (nobody has asked to export it, so no run makes a contact of it until a person links or exports
it) and the contact an unlinked Xero record, as the vendor import lists them. Nothing is deleted on either
side. The vendor sync binds a Procore company to the contact whose ContactID its `origin_id` carries, so an
origin_id the link stamped is cleared in Procore first; if Procore cannot be told, nothing changes.

Documents already in Xero under the contact (purchase orders, bills) stay there as they are; the person is
told which. One being written at this moment refuses the unlink: where it lands is only known once the
sync has finished. A vendor run is never in between (its lock is held): it could stamp the id back.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q

from ..clients import WEB_WAIT_S, procore_client_for
from ..locks import LockUnavailable, hold, run_lock_name
from ..models import AuditEntry, Decision, Kind, Link
from .approvals import decision_record
from .audit import audit_record
from .records import record_new, record_transition, record_update
from .vendors import VendorActionError

State = Link.State
UNLINKABLE = [State.SYNCED, State.FAILED, State.READY]  # linked and not being written
DOCUMENTS_SHOWN = 10
RUN_WAIT_S = 5  # how long a person waits for a vendor run to let go before being told to try later
RUN_LOCK_TTL_S = 60  # a web worker killed mid-unlink blocks the runs no longer than this


@dataclass
class Unlinked:
    procore: Link  # the Procore company, unlinked
    xero: Link  # the Xero contact, unlinked
    documents: list[Link] = field(default_factory=list)  # already in Xero under the contact: left as they are

    @property
    def warning(self) -> str:
        if not self.documents:
            return ""
        one = len(self.documents) == 1
        return (f"{_names(self.documents)} {'is' if one else 'are'} already in Xero under “{_contact_name(self.xero)}” "
                f"and {'stays there as it is' if one else 'stay there as they are'}.")


def unlink_vendor(connection, link: Link, user=None, *, procore=None) -> Unlinked:
    """Split a vendor link; `procore`: the Procore client (one bound to the connection by default)."""
    link = _linked(connection, link)
    contact_id = link.xero_id
    documents = _documents(connection, contact_id)
    busy = [d for d in documents if d.state == State.EXPORTING]
    if busy:
        raise VendorActionError(f"{_names(busy)} {'is' if len(busy) == 1 else 'are'} being written to Xero under "
                                f"this contact right now; unlink “{link.label}” after the sync.")
    # No vendor run in between: one that read the pair before would stamp the contact's id back after the clear.
    try:
        with hold(run_lock_name(connection.pk, Kind.VENDOR), ttl=RUN_LOCK_TTL_S, wait=RUN_WAIT_S):
            _clear_origin(procore or procore_client_for(connection, max_wait_s=WEB_WAIT_S), link)
            return _split(connection, link, user, documents)
    except LockUnavailable:
        raise VendorActionError(f"The company sync of this connection is running right now; unlink “{link.label}” "
                                "once it has finished (usually a minute or two).") from None


def _split(connection, link: Link, user, documents: list[Link]) -> Unlinked:
    contact_id = link.xero_id
    with transaction.atomic():
        Link.objects.select_for_update().filter(pk=link.pk).first()
        before, contact = link.state, link.xero_snapshot or {}
        # A person's transition: it wins over a run in flight, whose later writes to this pair then miss.
        if not record_transition(link, State.READY, leaving=UNLINKABLE, person=True, xero_id="", xero_snapshot={},
                                 fingerprint="", reference=link.procore_id, requested="", last_error="", hint="",
                                 refused_fingerprint="", synced_at=None, idempotency_key=""):
            raise VendorActionError(f"“{link.label}” is being written right now; try again after the sync.")
        name = contact.get("name") or contact_id
        xero, _ = record_new(connection, Kind.VENDOR, xero_id=contact_id, label=name, state=State.READY,
                             xero_snapshot=contact, vendor_name=name[:255])
        reason = f"Was linked to the Xero contact “{name}”."
        decision_record(link, Decision.Verdict.UNLINKED, user, state_before=before, reason=reason,
                        unlinked_from=contact_id)
        decision_record(xero, Decision.Verdict.UNLINKED, user, state_before=before, unlinked_from=link.procore_id,
                        reason=f"Was linked to the Procore company “{link.label}”.")
        done = Unlinked(procore=link, xero=xero, documents=[d for d in documents if d.xero_id])
        audit_record(user=user, action=AuditEntry.Action.UNLINK, connection=connection, links=[link, xero],
                     summary=f"Unlinked the Procore company “{link.label}” ({link.procore_id}) from the Xero "
                             f"contact “{name}”. {done.warning}".strip())
        return done


def _linked(connection, link: Link) -> Link:
    fresh = Link.objects.filter(pk=link.pk, connection=connection, kind=Kind.VENDOR).first()
    if fresh is None:
        raise VendorActionError("That company is not one of this connection's; reload the page.")
    name = f"“{fresh.label or fresh.procore_id or fresh.xero_id}”"
    if not (fresh.procore_id and fresh.xero_id):
        raise VendorActionError(f"{name} is not linked; there is nothing to unlink.")
    if fresh.state == State.EXPORTING:
        raise VendorActionError(f"{name} is being written right now; try again after the sync.")
    if fresh.state not in UNLINKABLE:
        raise VendorActionError(f"{name} is {fresh.get_state_display().lower()}; it cannot be unlinked now.")
    return fresh


def _documents(connection, contact_id: str) -> list[Link]:
    """Purchase orders and bills written (or being written) under this contact, as the engine recorded them."""
    under = (Q(kind=Kind.COMMITMENT, engine_data__contact_id=contact_id)
             | Q(kind=Kind.INVOICE, engine_data__sent__contact=contact_id))
    return list(Link.objects.filter(under, connection=connection).order_by("kind", "label"))


def _clear_origin(procore, link: Link) -> None:
    """Procore binds by origin_id: the company must stop carrying the contact's id, or the next run (an import of
    the contact, a lost answer looked up) would find the pair again. Only our own stamp is cleared."""
    try:
        vendors = procore.vendors({"filters[id][]": [int(link.procore_id)]})  # gone from Procore: nothing to clear
        if not any(str(v.get("origin_id") or "") == link.xero_id for v in vendors):
            return
        result = procore.sync_vendors([{"id": int(link.procore_id), "origin_id": None}])
    except Exception as exc:  # whatever went wrong, nothing has changed yet: say so and stop
        raise VendorActionError(f"Procore could not be reached to unlink “{link.label}” ({_why(exc)}); nothing "
                                "was changed. Try again in a few minutes.") from exc
    if not any(str(e.get("id")) == link.procore_id and not e.get("origin_id") for e in result.entities):
        raise VendorActionError(f"Procore did not let the company “{link.label}” forget the Xero contact's id; "
                                "nothing was changed. Check the company in the Procore directory, then try again.")
    # As Procore holds it now: were the split refused after all, the next run stamps the id again.
    record_update(link, procore_snapshot={**(link.procore_snapshot or {}), "origin_id": ""})


def _why(exc: Exception) -> str:
    status = getattr(exc, "status", None)
    return f"it answered {status}" if status else "it did not answer"


def _names(documents: list[Link]) -> str:
    words = {Kind.COMMITMENT: "purchase order", Kind.INVOICE: "bill"}
    shown = [f"the {words.get(d.kind, 'document')} “{d.document_number or d.label}”" for d in documents]
    more = len(shown) - DOCUMENTS_SHOWN
    text = ", ".join(shown[:DOCUMENTS_SHOWN]) + (f" and {more} more" if more > 0 else "")
    return text[:1].upper() + text[1:]


def _contact_name(link: Link) -> str:
    return (link.xero_snapshot or {}).get("name") or link.label
