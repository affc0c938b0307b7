"""The approval queue: what accountants decide before anything reaches Xero.

A decision is a person's transition (it always wins over a run in flight) and a Decision row: who, when,
what, why, and the content decided on. An accepted record reaches Xero only while its content is the one
accepted: an edit in Procore before it is exported (or after, for an update) sends it back to the queue.
Re-send never skips the queue: a record of a kind that needs approval goes back to it unless its current
content was accepted. Each decision asks for a follow-up run of its kind once committed.
"""

from __future__ import annotations

from django.db import transaction

from ..models import AuditEntry, ConnectionSettings, Decision, Kind, Link
from .audit import audit_links
from .records import record_accepted_for, record_transition
from .run_requests import run_request

State = Link.State
Verdict = Decision.Verdict
REASON_MAX = 1000
# Which setting asks for an accountant's acceptance, per kind (projects always do).
APPROVAL_SETTINGS = {Kind.COMMITMENT: "approve_commitments", Kind.CHANGE_ORDER: "approve_change_orders",
                     Kind.INVOICE: "approve_invoices", Kind.VENDOR: "approve_companies"}


class ApprovalError(Exception):
    """A decision that cannot be taken as asked; the message says why in plain words."""


def needs_approval(settings: ConnectionSettings, kind: str) -> bool:
    if kind == Kind.PROJECT:
        return True
    field = APPROVAL_SETTINGS.get(kind)
    return bool(field and getattr(settings, field))


def decided_on(link: Link) -> str:
    """What a person saw of the record, in words (kept with the decision)."""
    parts = [link.document_number or link.label, link.vendor_name, link.project_name]
    if link.amount is not None:
        parts.append(f"{link.amount:,.2f}")
    if link.document_date:
        parts.append(link.document_date.isoformat())
    return " · ".join(p for p in parts if p)[:500]


def decision_record(link: Link, verdict: str, user, *, state_before: str, reason: str = "",
                    unlinked_from: str = "") -> Decision:
    return Decision.objects.create(
        connection_id=link.connection_id, link=link, kind=link.kind, label=link.label[:255], verdict=verdict,
        user=user if getattr(user, "pk", None) else None, username=getattr(user, "username", "") or "",
        reason=reason, unlinked_from=unlinked_from, state_before=state_before, state_after=link.state,
        content_fingerprint=link.content_fingerprint, decided_on=decided_on(link), amount=link.amount)


def _locked(links, states) -> list[Link]:
    return list(Link.objects.select_for_update().filter(pk__in=[link.pk for link in links], state__in=states)
                .order_by("pk"))


def approval_accept(*, links, user=None) -> list[Link]:
    """Accepted records become ready to export, for the content they have now; their export is queued. A record
    the engine has not read from Procore yet (just sent to the queue) cannot be accepted until it has."""
    accepted = []
    with transaction.atomic():
        for link in _locked(links, [State.AWAITING_APPROVAL]):
            if not link.content_fingerprint:
                continue
            if record_transition(link, State.READY, leaving=[State.AWAITING_APPROVAL], person=True,
                                 approved_fingerprint=link.content_fingerprint, rejected_reason="",
                                 refused_fingerprint=""):
                decision_record(link, Verdict.ACCEPTED, user, state_before=State.AWAITING_APPROVAL)
                accepted.append(link)
        _follow_up(accepted)
        audit_links(user=user, action=AuditEntry.Action.ACCEPT, verb="Accepted", links=accepted)
    return accepted


def approval_reject(*, links, reason: str, user=None) -> list[Link]:
    """Rejected records keep the reason, stay visible, are never exported, and can be re-sent. A record
    being written to Xero at this moment cannot be rejected any more (it is in Xero a moment later)."""
    reason = (reason or "").strip()
    if not reason:
        raise ApprovalError("Say why the record is rejected; the reason is shown to the project team.")
    if len(reason) > REASON_MAX:
        raise ApprovalError(f"Keep the reason under {REASON_MAX} characters (it has {len(reason)}).")
    rejected = []
    with transaction.atomic():
        for link in _locked(links, [State.AWAITING_APPROVAL, State.READY, State.WAITING, State.FAILED]):
            before = link.state
            if record_transition(link, State.REJECTED, leaving=[before], person=True, rejected_reason=reason,
                                 approved_fingerprint="", refused_fingerprint=link.content_fingerprint):
                decision_record(link, Verdict.REJECTED, user, state_before=before, reason=reason)
                rejected.append(link)
        audit_links(user=user, action=AuditEntry.Action.REJECT, verb="Rejected", links=rejected,
                    detail=f": {reason}")
    return rejected


def approval_resend(*, links, user=None) -> list[Link]:
    """Rejected records go back to the queue; failed ones are tried again — through the queue when their kind
    needs approval and their current content was not accepted."""
    resent = []
    with transaction.atomic():
        for link in _locked(links, [State.REJECTED, State.FAILED]):
            before = link.state
            settings = ConnectionSettings.objects.get_or_create(connection_id=link.connection_id)[0]
            if before == State.REJECTED or (needs_approval(settings, link.kind)
                                            and not record_accepted_for(link, link.content_fingerprint)):
                to = State.AWAITING_APPROVAL
            else:
                to = State.READY
            if record_transition(link, to, leaving=[before], person=True, rejected_reason="",
                                 refused_fingerprint="", last_error="", hint=""):
                decision_record(link, Verdict.RESENT, user, state_before=before)
                resent.append(link)
        _follow_up([link for link in resent if link.state == State.READY])
        audit_links(user=user, action=AuditEntry.Action.RESEND, verb="Re-sent", links=resent)
    return resent


def approval_counts(connection) -> dict[str, int]:
    from django.db.models import Count

    rows = (Link.objects.filter(connection=connection, state=State.AWAITING_APPROVAL)
            .values_list("kind").annotate(n=Count("id")))
    return dict(rows)


def _follow_up(links: list[Link]) -> None:
    """A follow-up run per kind: it re-reads the records just decided on, not the whole company."""
    for connection_id, kind in sorted({(link.connection_id, link.kind) for link in links}):
        run_request(connection_id=connection_id, kind=kind, trigger="retry")
