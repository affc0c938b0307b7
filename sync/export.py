"""Writing records to Xero exactly once, in batches, with a per-record outcome.

The protocol:
1. before a run judges anything, the links it left `exporting` (a crash, a lost answer) are resolved:
   looked up on Xero by what was sent — the reference and our marker stored with the intent, not
   today's data — and bound if found, released to be judged again if not (`resolve_in_flight`);
2. each batch of ≤ 50 gets an Idempotency-Key and its references stored on its links (state
   `exporting`, committed) before the call; a record someone moved meanwhile (rejected, say) is left
   out of the batch and the log says why;
3. a server error or lost answer resends the same batch with the same key (Xero replays it);
4. every element's answer is bound or failed on its own; a refused record keeps the content Xero
   refused and is not sent again until that content changes or a person retries it.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction

from connector.models import Link, SyncRecord
from connector.services.records import (
    fingerprint,
    record_accepted_for,
    record_bind,
    record_bind_all,
    record_fail,
    record_mark_exporting,
    record_moved_words,
    record_transition,
)
from xero_client.errors import XeroConnectionError, XeroServerError

from .explain import explain_exception, explain_xero
from .runs import run_log
from .stops import RUN_STOPS

logger = logging.getLogger(__name__)
Action, State = SyncRecord.Action, Link.State
BATCH = 50
RESENDS = 3
EXPORT_EVERY = 500  # records a run holds before it sends them (whole batches): memory stays flat on big runs


def whole_batches(held: list) -> tuple[list, list]:
    """(what to send now, what to keep): whole batches only, as a part batch would cost a call of its own."""
    whole = len(held) - len(held) % BATCH
    return held[:whole], held[whole:]


@dataclass
class Candidate:
    link: Link
    payload: dict  # Xero JSON (PascalCase), without the remote id
    reference: str  # what the record is found again by on the Xero side: item code, PO reference, bill URL…
    label: str = ""
    sent: dict = field(default_factory=dict)  # what else a lookup after a lost answer needs (bill number…)
    needs_approval: bool = False  # its kind needs an accountant's acceptance of `content`
    content: str = ""  # the content fingerprint the record was admitted with
    compared: dict | None = None  # what a change is judged on, when it is not all of the payload sent

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.payload if self.compared is None else self.compared)

    @property
    def refusal(self) -> str:
        """What a refusal is remembered by: the content when the record has one, else what was sent."""
        return self.content or self.fingerprint


@dataclass
class Outcome:
    created: int = 0
    updated: int = 0
    linked: int = 0
    failed: int = 0
    written: list = field(default_factory=list)  # (candidate, Xero record) of every element Xero took


def without_status(payload: dict) -> dict:
    """What a document is compared on: all but its status, which the connection's setting gives new documents
    only (an existing one keeps the status it has in Xero, and is never demoted)."""
    return {k: v for k, v in payload.items() if k != "Status"}


def export(run, *, client, kind: str, id_field: str, candidates: list[Candidate], dry_run: bool = False,
           on_written: Callable[[Candidate, object], None] | None = None,
           on_batch: Callable[[list], None] | None = None) -> Outcome:
    """Create or update `candidates` on Xero. `on_written(candidate, record)` follows each element Xero took;
    `on_batch([(candidate, record), …])` each batch's, in the same commit (bookkeeping kept in bulk)."""
    outcome = Outcome()
    todo = [c for c in candidates if _due(c)]
    if dry_run:
        for c in todo:
            action = Action.UPDATED if c.link.xero_id else Action.CREATED
            run_log(run, action, link=c.link, label=c.label, message=f"Would be {action} in Xero (preview).")
        return outcome
    for start in range(0, len(todo), BATCH):
        batch = _gate(run, todo[start:start + BATCH])
        key = f"{kind}-{uuid.uuid4()}"
        taken = {link.pk for link in record_mark_exporting(
            [c.link for c in batch], key, references={c.link.pk: c.reference for c in batch},
            sent={c.link.pk: c.sent for c in batch if c.sent})}
        for c in batch:
            if c.link.pk not in taken:
                run_log(run, Action.SKIPPED, link=c.link, label=c.label, message=record_moved_words(c.link))
        batch = [c for c in batch if c.link.pk in taken]
        if not batch:
            continue
        records = [{**c.payload, **({id_field: c.link.xero_id} if c.link.xero_id else {})} for c in batch]
        results = send_batch(client, kind, records, key)
        if results is None:
            for c in batch:
                run_log(run, Action.FAILED, link=c.link, label=c.label,
                        message="Xero did not answer; the record is kept and will be checked on the next run.")
            outcome.failed += len(batch)
            continue
        # The answers of a batch, kept in one commit: a crash before it leaves the batch `exporting` under its
        # key, which the next run resolves; one commit per record was most of a large export's time on SQLite.
        with transaction.atomic():
            before = len(outcome.written)
            _answered(run, batch, results, outcome, on_written)
            if on_batch is not None and len(outcome.written) > before:
                on_batch(outcome.written[before:])
    return outcome


def _due(c: Candidate) -> bool:
    link = c.link
    if link.state == State.EXPORTING:
        return False  # its batch was cut off (a pause mid-call): the next task looks it up, never resends it
    if link.state == State.FAILED and link.refused_fingerprint == c.refusal:
        return False  # Xero refused exactly this: a change or a person's retry sends it again
    return link.xero_id == "" or c.fingerprint != link.fingerprint or link.state != State.SYNCED


def _gate(run, batch: list[Candidate]) -> list[Candidate]:
    """The last check before Xero: a record of a kind that needs approval goes only with an acceptance of the
    content it was admitted with (every path — schedule, Sync now, webhook, re-send — comes through here)."""
    out = []
    for c in batch:
        if c.needs_approval and not record_accepted_for(c.link, c.content):
            run_log(run, Action.SKIPPED, link=c.link, label=c.label,
                    message="Not sent: its current content has not been accepted in the approval queue.")
            continue
        out.append(c)
    return out


def _answered(run, batch: list[Candidate], results, outcome: Outcome, on_written) -> None:
    updates = {c.link.pk for c in batch if c.link.xero_id}  # before the binds give the creates their ids
    took = [(c, result) for c, result in zip(batch, results) if result.ok]
    bound = {link.pk for link in record_bind_all(
        [(c.link, {"xero_id": result.id, "fingerprint": c.fingerprint, "reference": c.reference})
         for c, result in took], leaving=[State.EXPORTING])}
    for c, result in zip(batch, results):
        was_update = c.link.pk in updates
        if result.ok:
            if c.link.pk not in bound:
                run_log(run, Action.FAILED, link=c.link, label=c.label, message=c.link.last_error or
                        record_moved_words(c.link), hint=c.link.hint)
                continue
            outcome.written.append((c, result.record))
            if on_written:
                on_written(c, result.record)
            run_log(run, Action.UPDATED if was_update else Action.CREATED, link=c.link, label=c.label,
                    xero_id=result.id)
            outcome.updated += was_update
            outcome.created += not was_update
        else:
            message, hint = explain_xero(result.errors)
            # An update Xero refused leaves the document as it was in Xero: the link stays bound to it.
            record_fail(c.link, message=message, hint=hint, refused=c.refusal, leaving=[State.EXPORTING])
            run_log(run, Action.FAILED, link=c.link, label=c.label, message=message, hint=hint)
            outcome.failed += 1


def send_batch(client, kind: str, records: list[dict], key: str):
    """The same batch with the same key until Xero answers; None when it never did (links stay exporting)."""
    for attempt in range(RESENDS):
        try:
            return client.write_batch(kind, records, idempotency_key=key)
        except (XeroServerError, XeroConnectionError) as exc:
            logger.info("Xero %s batch attempt %s failed (%s); resending with the same key", kind, attempt + 1,
                        type(exc).__name__)
    return None


def resolve_in_flight(ctx, kind: str, find: Callable[[list[Link]], dict[int, str]], scope=None) -> None:
    """Links a run left `exporting`: a create is looked up on Xero by what was sent (`find` → {link pk: Xero
    id}) and bound, or released to be judged again when Xero has nothing — even if the record has become
    ineligible since; an update in flight is released to `synced` (an unchanged fingerprint resends it).
    `scope`: a Q narrowing which links are Xero writes (a kind may also write to Procore)."""
    if ctx.dry_run:
        return
    links = Link.objects.filter(connection=ctx.connection, kind=kind, state=State.EXPORTING)
    links = list(links.filter(scope) if scope is not None else links)
    if not links:
        return
    creates = [link for link in links if not link.xero_id]
    try:
        found = find(creates) if creates else {}
    except RUN_STOPS:
        raise
    except Exception as exc:  # noqa: BLE001 - cannot look now: they stay exporting, the next run looks again
        message, hint = explain_exception(exc)
        for link in creates:
            run_log(ctx.run, Action.FAILED, link=link, message=f"Could not check Xero for an interrupted "
                                                              f"export: {message}", hint=hint)
        creates, links = [], [link for link in links if link.xero_id]
    with transaction.atomic():
        for link in creates:
            if link.pk in found:
                if record_bind(link, xero_id=found[link.pk], leaving=[State.EXPORTING]):
                    run_log(ctx.run, Action.LINKED, link=link,
                            message="Found in Xero after an interrupted export; linked, not created again.")
            elif record_transition(link, State.READY, leaving=[State.EXPORTING]):
                run_log(ctx.run, Action.SKIPPED, link=link,
                        message="An interrupted export never reached Xero; the record is judged again.")
        for link in links:
            if link.xero_id:
                record_transition(link, State.SYNCED, leaving=[State.EXPORTING])


def fail_all(run, candidates: list[Candidate], exc: Exception) -> None:
    message, hint = explain_exception(exc)
    for c in candidates:
        run_log(run, Action.FAILED, link=c.link, label=c.label, message=message, hint=hint)
