"""Company matching: what the admin page shows (selector) and what its buttons do (services).

Every action only changes links; the vendor sync does the remote writes, so a button and a schedule
go through the same exactly-once engine. After an action the sync is queued on commit (or run
inline when asked, as the shell and tests do).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from connector.models import ConnectionSettings, Kind, Link

from .links import link_set_state
from .matching import Party, Suggestion, suggest
from .objects.vendors import owner_fingerprint

KIND = Kind.VENDOR
State = Link.State
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
    procore = [l for l in links.filter(xero_id="").exclude(procore_id="")
               if (l.data.get("procore") or {}).get("active", True)]
    xero = [l for l in links.filter(procore_id="").exclude(xero_id="")
            if (l.data.get("xero") or {}).get("status", "ACTIVE") == "ACTIVE"]
    by_name = lambda l: (l.label.casefold(), l.pk)  # noqa: E731
    return sorted(procore, key=by_name), sorted(xero, key=by_name)


def matching_board(connection) -> MatchingBoard:
    procore, xero = unlinked_companies(connection)
    return MatchingBoard(suggestions=suggest([_party(l, "procore") for l in procore if l.state in OPEN],
                                             [_party(l, "xero") for l in xero if l.state in OPEN]),
                         procore=procore, xero=xero)


def _party(link: Link, side: str) -> Party:
    snap = link.data.get(side) or {}
    return Party(id=str(link.pk), name=snap.get("name") or link.label, email=snap.get("email") or "",
                 tax_number=snap.get("tax_number") or "")


# -- services --------------------------------------------------------------------------------------
def link_suggested_all(connection, user=None, *, run_inline: bool = False) -> Outcome:
    outcome = Outcome()
    for suggestion in matching_board(connection).suggestions:
        procore = Link.objects.get(pk=int(suggestion.procore.id))
        xero = Link.objects.get(pk=int(suggestion.xero.id))
        try:
            outcome.done.append(_link(connection, procore, xero, user, rule=suggestion.rule.label))
        except VendorActionError as exc:  # changed since the page was drawn: say so, link the rest
            outcome.refused.append(str(exc))
    _sync_after(connection, outcome.done, run_inline)
    return outcome


def link_by_hand(connection, procore_vendor_link: Link, xero_contact_link: Link, user=None, *,
                 run_inline: bool = False) -> Link:
    link = _link(connection, procore_vendor_link, xero_contact_link, user, rule="linked by hand")
    _sync_after(connection, [link], run_inline)
    return link


def export_vendor(links, user=None, *, run_inline: bool = False) -> Outcome:
    """Procore companies → Xero contacts; through the approval queue when the connection asks for it."""
    outcome = Outcome()
    for link in _fresh(links):
        problem = _unlinked_problem(link, side="procore")
        if problem:
            outcome.refused.append(problem)
            continue
        approve = ConnectionSettings.objects.get_or_create(connection=link.connection)[0].approve_companies
        link.data = {**link.data, "action": "export", **_who(user, "export")}
        link_set_state(link, State.AWAITING_APPROVAL if approve else State.READY, data=link.data,
                       last_error="", hint="", rejected_reason="")
        outcome.done.append(link)
    _sync_after(None, [l for l in outcome.done if l.state == State.READY], run_inline)
    return outcome


def import_contact(links, user=None, *, run_inline: bool = False) -> Outcome:
    """Xero contacts → new Procore companies (origin_id = ContactID)."""
    outcome = Outcome()
    for link in _fresh(links):
        problem = _unlinked_problem(link, side="xero")
        if problem:
            outcome.refused.append(problem)
            continue
        link.data = {**link.data, "action": "import", **_who(user, "import")}
        link_set_state(link, State.READY, data=link.data, last_error="", hint="")
        outcome.done.append(link)
    _sync_after(None, outcome.done, run_inline)
    return outcome


def archive(links, user=None) -> Outcome:
    """Hide records nobody wants linked (the junk); nothing changes in Procore or Xero."""
    outcome = Outcome()
    for link in _fresh(links):
        if link.procore_id and link.xero_id:
            outcome.refused.append(f"“{link.label}” is linked; only unlinked records are archived.")
        elif link.state == State.EXPORTING:
            outcome.refused.append(f"“{link.label}” is being written right now; archive it after the sync.")
        else:
            link.data = {**link.data, **_who(user, "archive")}
            link.data.pop("action", None)
            link_set_state(link, State.ARCHIVED, data=link.data)
            outcome.done.append(link)
    return outcome


# -- helpers ---------------------------------------------------------------------------------------
def _link(connection, procore: Link, xero: Link, user, *, rule: str) -> Link:
    """Merge a Procore-only link and a Xero-only link into one, nothing written remotely yet."""
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
        contact_id, contact = xero.xero_id, xero.data.get("xero") or {}
        xero.delete()  # its xero_id moves to the Procore link (one link per record on both sides)
        procore.xero_id, procore.reference = contact_id, procore.procore_id
        data = {**procore.data, "xero": contact, "linked_by": getattr(user, "username", "") or "",
                "linked_at": timezone.now().isoformat(), "linked_rule": rule}
        data.pop("action", None)
        procore.data = data
        owner = ConnectionSettings.objects.get_or_create(connection=connection)[0].vendor_owner or "procore"
        # Linking writes nothing: only later changes of the owning side flow to the other.
        procore.fingerprint = owner_fingerprint(owner, procore)
        procore.state, procore.last_error, procore.hint, procore.rejected_reason = State.SYNCED, "", "", ""
        procore.synced_at = timezone.now()
        procore.save()
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
    if side == "xero" and (link.data.get("xero") or {}).get("status", "ACTIVE") != "ACTIVE":
        return f"{name} is archived in Xero; restore it there first."
    return None


def _fresh(links) -> list[Link]:
    return list(Link.objects.filter(pk__in=[l.pk for l in links], kind=KIND).select_related("connection"))


def _who(user, action: str) -> dict:
    return {f"{action}_by": getattr(user, "username", "") or "", f"{action}_at": timezone.now().isoformat()}


def _sync_after(connection, links: list[Link], run_inline: bool) -> None:
    """The vendor sync does the writes: run it now (shell, tests) or queue it once the change is committed."""
    connection_ids = {connection.pk} if connection is not None and links else {l.connection_id for l in links}
    for connection_id in sorted(connection_ids):
        if run_inline:
            from .services import sync_kind_run

            sync_kind_run(connection_id=connection_id, kind=KIND)
        else:
            from .tasks import sync_kind_task

            transaction.on_commit(lambda c=connection_id: sync_kind_task.delay(c, KIND, "manual"))
