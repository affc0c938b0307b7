"""Company matching: what the page shows (selector) and what its buttons do (services).

Every action only changes links (and records the person's decision); the vendor sync does the remote
writes, so a button and a schedule go through the same exactly-once engine. After an action the sync is
asked for once the change is committed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from ..matching import Party, Suggestion, suggest
from ..models import AuditEntry, ConnectionSettings, Decision, Kind, Link
from .approvals import decision_record
from .audit import audit_links
from .records import record_transition
from .run_requests import run_request

KIND = Kind.VENDOR
State, Verdict = Link.State, Decision.Verdict
OPEN = [State.READY, State.FAILED, State.REJECTED]  # unlinked and not on its way anywhere


class VendorActionError(Exception):
    """A request that cannot be done as asked; the message says why in plain words."""


@dataclass
class Outcome:
    done: list[Link] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # one sentence per record left as it was


@dataclass
class MatchingBoard:
    suggestions: list[Suggestion]
    procore: list[Link]  # unlinked Procore companies
    xero: list[Link]  # unlinked Xero contacts


# -- selector --------------------------------------------------------------------------------------
def unlinked_companies(connection) -> tuple[list[Link], list[Link]]:
    links = Link.objects.filter(connection=connection, kind=KIND).exclude(state=State.ARCHIVED)
    procore = [l for l in links.filter(xero_id="").exclude(procore_id="") if l.procore_snapshot.get("active", True)]
    xero = [l for l in links.filter(procore_id="").exclude(xero_id="")
            if l.xero_snapshot.get("status", "ACTIVE") == "ACTIVE"]
    by_name = lambda l: (l.label.casefold(), l.pk)  # noqa: E731
    return sorted(procore, key=by_name), sorted(xero, key=by_name)


def linked_companies(connection) -> list[Link]:
    """Procore companies linked to a Xero contact (what Unlink offers)."""
    return list(Link.objects.filter(connection=connection, kind=KIND).exclude(procore_id="").exclude(xero_id="")
                .exclude(state=State.ARCHIVED).order_by("label", "pk"))


def matching_board(connection) -> MatchingBoard:
    procore, xero = unlinked_companies(connection)
    suggestions = suggest([_party(l, l.procore_snapshot) for l in procore if l.state in OPEN],
                          [_party(l, l.xero_snapshot) for l in xero if l.state in OPEN])
    split = _unlinked_pairs(connection)
    if split:  # a pair a person unlinked is a wrong match: never suggested (nor linked by "all") again
        ids = {l.pk: l.procore_id or l.xero_id for l in procore + xero}
        suggestions = [s for s in suggestions if (ids[int(s.procore.id)], ids[int(s.xero.id)]) not in split]
    return MatchingBoard(suggestions=suggestions, procore=procore, xero=xero)


def _unlinked_pairs(connection) -> set[tuple[str, str]]:
    """(Procore id, ContactID) of the pairs people unlinked, from the decisions on the Procore side."""
    return set(Decision.objects.filter(connection=connection, kind=KIND, verdict=Verdict.UNLINKED)
               .exclude(link__procore_id="").exclude(unlinked_from="")
               .values_list("link__procore_id", "unlinked_from"))


def _party(link: Link, snap: dict) -> Party:
    return Party(id=str(link.pk), name=snap.get("name") or link.label, email=snap.get("email") or "",
                 tax_number=snap.get("tax_number") or "")


# -- services --------------------------------------------------------------------------------------
def link_suggested_all(connection, user=None) -> Outcome:
    outcome = Outcome()
    for suggestion in matching_board(connection).suggestions:
        procore = Link.objects.get(pk=int(suggestion.procore.id))
        xero = Link.objects.get(pk=int(suggestion.xero.id))
        try:
            outcome.done.append(_link(connection, procore, xero, user, rule=suggestion.rule.label))
        except VendorActionError as exc:  # changed since the page was drawn: say so, link the rest
            outcome.refused.append(str(exc))
    audit_links(user=user, action=AuditEntry.Action.LINK, verb="Linked (as suggested)", links=outcome.done)
    _sync_after(connection, outcome.done)
    return outcome


def link_by_hand(connection, procore_vendor_link: Link, xero_contact_link: Link, user=None) -> Link:
    link = _link(connection, procore_vendor_link, xero_contact_link, user, rule="linked by hand")
    audit_links(user=user, action=AuditEntry.Action.LINK, verb="Linked by hand", links=[link])
    _sync_after(connection, [link])
    return link


def export_vendor(links, user=None) -> Outcome:
    """Procore companies → Xero contacts; through the approval queue when the connection asks for it."""
    return _ask(links, user, side="procore", requested=Link.Requested.EXPORT, verdict=Verdict.EXPORT_ASKED)


def import_contact(links, user=None) -> Outcome:
    """Xero contacts → new Procore companies (origin_id = ContactID)."""
    return _ask(links, user, side="xero", requested=Link.Requested.IMPORT, verdict=Verdict.IMPORT_ASKED)


def _ask(links, user, *, side: str, requested: str, verdict: str) -> Outcome:
    outcome = Outcome()
    with transaction.atomic():
        for link in _fresh(links):
            problem = _unlinked_problem(link, side=side)
            if problem:
                outcome.refused.append(problem)
                continue
            approve = requested == Link.Requested.EXPORT and ConnectionSettings.objects.get_or_create(
                connection=link.connection)[0].approve_companies
            before = link.state
            if record_transition(link, State.AWAITING_APPROVAL if approve else State.READY, leaving=OPEN,
                                 person=True, requested=requested, last_error="", hint="", rejected_reason="",
                                 refused_fingerprint=""):
                decision_record(link, verdict, user, state_before=before)
                outcome.done.append(link)
            else:
                outcome.refused.append(f"“{link.label}” changed meanwhile; reload the page.")
        for link in outcome.done:
            if link.state == State.READY:
                run_request(connection_id=link.connection_id, kind=KIND, trigger="manual")
                break
        audit_links(user=user, action=AuditEntry.Action.EXPORT if requested == Link.Requested.EXPORT
                    else AuditEntry.Action.IMPORT, verb="Asked to export" if requested == Link.Requested.EXPORT
                    else "Asked to import", links=outcome.done)
    return outcome


def archive(links, user=None) -> Outcome:
    """Hide records nobody wants linked (the junk); nothing changes in Procore or Xero."""
    outcome = Outcome()
    with transaction.atomic():
        for link in _fresh(links):
            if link.procore_id and link.xero_id:
                outcome.refused.append(f"“{link.label}” is linked; only unlinked records are archived.")
                continue
            before = link.state
            if record_transition(link, State.ARCHIVED, leaving=OPEN + [State.AWAITING_APPROVAL], person=True,
                                 requested=""):
                decision_record(link, Verdict.ARCHIVED, user, state_before=before)
                outcome.done.append(link)
            else:
                outcome.refused.append(f"“{link.label}” is being written right now; archive it after the sync.")
        audit_links(user=user, action=AuditEntry.Action.ARCHIVE, verb="Archived", links=outcome.done)
    return outcome


# -- helpers ---------------------------------------------------------------------------------------
def _link(connection, procore: Link, xero: Link, user, *, rule: str) -> Link:
    """Merge a Procore-only link and a Xero-only link into one, nothing written remotely yet: the vendor sync
    takes the owning side as it is now as the starting point (an empty fingerprint says so)."""
    with transaction.atomic():
        locked = {l.pk: l for l in Link.objects.select_for_update().filter(pk__in=[procore.pk, xero.pk])}
        procore, xero = locked.get(procore.pk), locked.get(xero.pk)
        if procore is None or xero is None:
            raise VendorActionError("One of the two records no longer exists; reload the page.")
        for link in (procore, xero):
            if link.connection_id != connection.pk or link.kind != KIND:
                raise VendorActionError(f"“{link.label}” is not a company of this connection.")
        problem = _unlinked_problem(procore, side="procore") or _unlinked_problem(xero, side="xero")
        if problem:
            raise VendorActionError(problem)
        contact_id, contact = xero.xero_id, xero.xero_snapshot
        xero.delete()  # its xero_id moves to the Procore link (one link per record on both sides)
        before = procore.state
        record_transition(procore, State.SYNCED, leaving=[before], person=True, xero_id=contact_id,
                          reference=procore.procore_id, xero_snapshot=contact, requested="", fingerprint="",
                          last_error="", hint="", rejected_reason="", synced_at=timezone.now())
        decision_record(procore, Verdict.LINKED, user, state_before=before, reason=rule)
    return procore


def _unlinked_problem(link: Link, *, side: str) -> str | None:
    name = f"“{link.label or link.procore_id or link.xero_id}”"
    if link.procore_id and link.xero_id:
        return f"{name} is already linked (Procore {link.procore_id} ⇄ Xero {link.xero_id}); unlink it first."
    if side == "procore" and not link.procore_id:
        return f"{name} is a Xero contact; pick a Procore company on this side."
    if side == "xero" and not link.xero_id:
        return f"{name} is a Procore company; pick a Xero contact on this side."
    if link.state == State.EXPORTING:
        return f"{name} is being written right now; try again after the sync."
    if link.state == State.AWAITING_APPROVAL:
        return f"{name} is waiting for approval to be exported; accept or reject it first."
    if link.state == State.ARCHIVED:
        return f"{name} is archived."
    if side == "xero" and link.xero_snapshot.get("status", "ACTIVE") != "ACTIVE":
        return f"{name} is archived in Xero; restore it there first."
    return None


def _fresh(links) -> list[Link]:
    return list(Link.objects.filter(pk__in=[l.pk for l in links], kind=KIND).select_related("connection"))


def _sync_after(connection, links: list[Link]) -> None:
    """The vendor sync does the writes: asked for once the change is committed."""
    if links:
        run_request(connection_id=connection.pk, kind=KIND, trigger="manual")
