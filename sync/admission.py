"""The gate every judged Procore record passes: where it stands now and whether it may be written.

A record is eligible or not (a Problem says why, and what it waits for); an eligible record of a kind that
needs approval may be written only while its current content is the one an accountant accepted. Every move is
a guarded transition (connector.services.records): a record a person moved while the run was going is left
as it is, and the run's log says so. The rules, per state the record is in:

- none yet: drafts are nobody's business; a waiting or refused one is kept with its reason; an eligible one
  enters the approval queue (or is ready, when its kind needs no approval);
- waiting / failed by our checks: moves on by itself once the problem is gone;
- failed because Xero or Procore refused it: waits for a change of its content or a person's retry;
- awaiting approval: stays until a person decides (ready at once if approval was switched off);
- ready: written, unless its content changed since it was accepted (back to the queue, saying so);
- rejected: stays rejected; a change of its content in Procore puts it back in the queue;
- synced: updated when its content changed — after a new acceptance when its kind needs approval;
- exporting: resolved before judging (found and bound, or released), never judged while in flight.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import NamedTuple

from connector.models import Link, SyncRecord
from connector.services.records import (
    fingerprint,
    record_accepted_for,
    record_fail,
    record_moved_words,
    record_new,
    record_transition,
    record_update,
    record_wait,
)

from .runs import run_log

State, Action = Link.State, SyncRecord.Action


class Problem(NamedTuple):
    """Why a record cannot be exported yet, in plain words, and what ends the wait (when a link does)."""

    message: str
    hint: str
    wait_for: tuple[str, str] | None = None  # (Kind of the link that releases it, its Procore id)
    quiet: bool = False  # a draft: nothing to tell the accountant until it is approved in Procore


@dataclass
class Content:
    """What an accountant decides on, as read from Procore. The fingerprint covers the number, date and amount
    and `extra`: the ids the Xero document depends on (vendor, project), not names shown beside them, so a
    vendor renamed in Procore does not send every record of theirs back to the queue."""

    number: str = ""
    date: date | None = None
    vendor: str = ""
    project: str = ""
    amount: Decimal | None = None
    retention: Decimal | None = None
    retainage_percent: Decimal | None = None
    extra: dict = field(default_factory=dict)

    @property
    def fingerprint(self) -> str:
        return fingerprint({"number": self.number, "date": self.date, "amount": self.amount, "extra": self.extra})

    def fields(self) -> dict:
        return {"document_number": self.number[:255], "document_date": self.date, "vendor_name": self.vendor[:255],
                "project_name": self.project[:255], "amount": self.amount, "retention": self.retention,
                "retainage_percent": self.retainage_percent}


@dataclass
class Judged:
    procore_id: str
    label: str
    content: Content
    problem: Problem | None
    needs_approval: bool
    project_id: str = ""
    source_list: str = ""
    parent_id: str = ""
    updates: bool = True  # False: once in Xero, later edits are not replayed (an appended change order)


def admit(ctx, kind: str, item: Judged, link: Link | None) -> Link | None:
    """Decide where one record stands; returns its link when it may be written now (created or updated)."""
    fp = item.content.fingerprint
    fields = {"label": item.label[:255], "content_fingerprint": fp, "project_id": str(item.project_id or ""),
              "source_list": item.source_list, "parent_id": str(item.parent_id or ""), **item.content.fields()}
    if ctx.dry_run:
        return _preview(ctx, item, link)
    if link is None:
        link = _first(ctx, kind, item, fields)
        return link if link is not None and link.state == State.READY else None
    record_update(link, **fields)
    return _next(ctx, item, link, fp)


def _first(ctx, kind: str, item: Judged, fields: dict) -> Link | None:
    problem = item.problem
    if problem and problem.quiet:
        return None
    if problem and problem.wait_for:
        state = State.WAITING
        fields.update(last_error=problem.message, hint=problem.hint, waiting_for_kind=problem.wait_for[0],
                      waiting_for_id=str(problem.wait_for[1]))
    elif problem:
        state = State.FAILED
        fields.update(last_error=problem.message, hint=problem.hint, attempts=1)
    else:
        state = State.AWAITING_APPROVAL if item.needs_approval else State.READY
    link, made = record_new(ctx.connection, kind, procore_id=item.procore_id, state=state, **fields)
    if not made:  # someone made it meanwhile: judge that one
        record_update(link, **{k: v for k, v in fields.items() if k in ("label", "content_fingerprint")})
        return link if _next(ctx, item, link, item.content.fingerprint) else None
    if problem:
        _log_problem(ctx, link, problem)
    elif state == State.AWAITING_APPROVAL:
        run_log(ctx.run, Action.SKIPPED, link=link, message="Eligible: waiting for an accountant to accept it.")
    return link


def _next(ctx, item: Judged, link: Link, fp: str) -> Link | None:
    state, problem = link.state, item.problem
    if state in (State.ARCHIVED, State.EXPORTING):
        return None
    accepted = not item.needs_approval or record_accepted_for(link, fp)
    if state == State.SYNCED:
        if problem or not item.updates:
            return None  # e.g. back to Draft in Procore: the Xero document stays as it was
        if not accepted:
            _move(ctx, link, State.AWAITING_APPROVAL, "Changed in Procore since it was exported: accept the new "
                                                      "version to update it in Xero.")
            return None
        return link
    if problem:
        if state == State.REJECTED:
            return None
        if problem.wait_for:
            if (state, link.waiting_for_kind, link.waiting_for_id, link.last_error) == (
                    State.WAITING, problem.wait_for[0], str(problem.wait_for[1]), problem.message):
                return None
            if record_wait(link, message=problem.message, hint=problem.hint, waiting_for=problem.wait_for,
                           leaving=[state]):
                _log_problem(ctx, link, problem)
            else:
                run_log(ctx.run, Action.SKIPPED, link=link, message=record_moved_words(link))
            return None
        if state == State.FAILED and link.last_error == problem.message:
            return None
        if record_fail(link, message=problem.message, hint=problem.hint, leaving=[state]):
            _log_problem(ctx, link, problem)
        else:
            run_log(ctx.run, Action.SKIPPED, link=link, message=record_moved_words(link))
        return None
    if state == State.REJECTED:
        if link.refused_fingerprint and link.refused_fingerprint != fp:
            _move(ctx, link, State.AWAITING_APPROVAL, "Changed in Procore after it was rejected: back in the "
                                                      "approval queue.", rejected_reason="")
        return None
    if state == State.FAILED and link.refused_fingerprint == fp:
        return None  # the other system refused this very content: a change of it or a person's retry
    target = State.READY if accepted else State.AWAITING_APPROVAL
    if state in (State.WAITING, State.FAILED):
        message = "" if target == State.READY else "Eligible: waiting for an accountant to accept it."
        if not _move(ctx, link, target, message, last_error="", hint="", waiting_for_kind="", waiting_for_id="",
                     refused_fingerprint=""):
            return None
        return link if target == State.READY else None
    if state == State.AWAITING_APPROVAL:
        if target == State.READY and _move(ctx, link, State.READY, ""):  # approval was switched off
            return link
        return None
    if state == State.READY and target == State.AWAITING_APPROVAL:
        _move(ctx, link, State.AWAITING_APPROVAL, "Changed in Procore after it was accepted: back in the "
                                                  "approval queue.")
        return None
    return link


def _move(ctx, link: Link, to: str, message: str, **fields) -> bool:
    """A guarded move of the run's; a record someone moved meanwhile is left alone and the log says why."""
    if record_transition(link, to, leaving=[link.state], **fields):
        if message:
            run_log(ctx.run, Action.SKIPPED, link=link, message=message)
        return True
    run_log(ctx.run, Action.SKIPPED, link=link, message=record_moved_words(link))
    return False


def _log_problem(ctx, link: Link, problem: Problem) -> None:
    # Waiting is not failing: it moves on by itself; a refusal needs a change in Procore.
    action = Action.SKIPPED if problem.wait_for else Action.FAILED
    run_log(ctx.run, action, link=link, message=problem.message, hint=problem.hint)


def _preview(ctx, item: Judged, link: Link | None) -> None:
    """A dry run says what would happen and writes nothing but its log."""
    problem = item.problem
    if problem:
        if not problem.quiet:
            run_log(ctx.run, Action.SKIPPED, label=item.label, procore_id=item.procore_id,
                    message=f"Would not be exported yet: {problem.message} (preview)", hint=problem.hint)
        return None
    state = link.state if link else None
    if state in (State.ARCHIVED, State.REJECTED, State.EXPORTING):
        return None
    accepted = not item.needs_approval or (link is not None and record_accepted_for(link, item.content.fingerprint))
    if not accepted:
        run_log(ctx.run, Action.SKIPPED, label=item.label, procore_id=item.procore_id,
                message="Would wait for an accountant to accept it (preview).")
    elif state != State.SYNCED:
        run_log(ctx.run, Action.CREATED, label=item.label, procore_id=item.procore_id,
                message="Would be exported to Xero (preview).")
    return None
