"""Writing records to Xero exactly once, in batches, with a per-record outcome.

The protocol (DESIGN.md "Nothing is lost, nothing is duplicated"):
1. links left in `exporting` by an earlier crash or lost answer are looked up on Xero by our
   reference first, and bound if found — so a lost answer never becomes a second record;
2. each batch of ≤ 50 gets an Idempotency-Key stored on its links (state `exporting`, committed)
   before the call;
3. a server error or lost answer resends the same batch with the same key (Xero replays it);
4. every element's answer is bound or logged as failed on its own; the rest of the run goes on.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from typing import Callable

from django.db import transaction

from connector.models import Link, SyncRecord
from xero_client.errors import XeroConnectionError, XeroServerError

from .explain import explain_exception, explain_xero
from .links import fingerprint, link_bind, link_fail, link_mark_exporting
from .runs import run_log

logger = logging.getLogger(__name__)
Action = SyncRecord.Action
BATCH = 50
RESENDS = 3


@dataclass
class Candidate:
    link: Link
    payload: dict  # Xero JSON (PascalCase), without the remote id
    reference: str  # our key on the Xero side: item code, ContactNumber, PO number…
    label: str = ""
    data: dict = field(default_factory=dict)  # kept on the link once written

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.payload)


@dataclass
class Outcome:
    created: int = 0
    updated: int = 0
    linked: int = 0
    failed: int = 0


def export(run, *, client, kind: str, id_field: str, candidates: list[Candidate],
           find_existing: Callable[[list[str]], dict[str, str]], dry_run: bool = False,
           on_written: Callable[[Candidate, object], None] | None = None) -> Outcome:
    """Create or update `candidates` on Xero. `find_existing(references)` → {reference: xero id}."""
    outcome = Outcome()
    todo = [c for c in candidates if c.link.xero_id == "" or c.fingerprint != c.link.fingerprint
            or c.link.state != Link.State.SYNCED]
    if dry_run:
        for c in todo:
            action = Action.UPDATED if c.link.xero_id else Action.CREATED
            run_log(run, action, link=c.link, label=c.label, message=f"Would be {action} in Xero (preview).")
        return outcome

    # 1. recover lost answers before creating anything
    unsure = [c for c in todo if not c.link.xero_id and c.link.state == Link.State.EXPORTING]
    if unsure:
        found = find_existing([c.reference for c in unsure])
        with transaction.atomic():  # bookkeeping after the answer: one commit for the lot
            _recovered(run, unsure, found, outcome)
        todo = [c for c in todo if c.link.xero_id == "" or c.link.state != Link.State.SYNCED
                or c.fingerprint != c.link.fingerprint]

    # 2-4. batches
    for start in range(0, len(todo), BATCH):
        batch = todo[start:start + BATCH]
        key = f"{kind}-{uuid.uuid4()}"
        link_mark_exporting([c.link for c in batch], key)
        records = [{**c.payload, **({id_field: c.link.xero_id} if c.link.xero_id else {})} for c in batch]
        results = send_batch(client, kind, records, key)
        if results is None:
            for c in batch:
                message, hint = "Xero did not answer; the record is kept and will be checked on the next run.", ""
                run_log(run, Action.FAILED, link=c.link, label=c.label, message=message, hint=hint)
            outcome.failed += len(batch)
            continue
        # The answers of a batch, kept in one commit: a crash before it leaves the batch `exporting` under its
        # key, which step 1 resolves; one commit per record was most of a large export's time on SQLite.
        with transaction.atomic():
            _answered(run, batch, results, outcome, on_written)
    return outcome


def _recovered(run, unsure: list[Candidate], found: dict[str, str], outcome: Outcome) -> None:
    for c in unsure:
        if c.reference in found:
            link_bind(c.link, xero_id=found[c.reference], reference=c.reference, data=c.data or None)
            run_log(run, Action.LINKED, link=c.link, label=c.label,
                    message="Found in Xero after an interrupted export; linked, not created again.")
            outcome.linked += 1


def _answered(run, batch: list[Candidate], results, outcome: Outcome, on_written) -> None:
    for c, result in zip(batch, results):
        was_update = bool(c.link.xero_id)
        if result.ok:
            link_bind(c.link, xero_id=result.id, fingerprint_value=c.fingerprint, reference=c.reference,
                      data=c.data or None)
            if on_written:
                on_written(c, result.record)
            run_log(run, Action.UPDATED if was_update else Action.CREATED, link=c.link, label=c.label,
                    xero_id=result.id)
            outcome.updated += was_update
            outcome.created += not was_update
        else:
            message, hint = explain_xero(result.errors)
            link_fail(c.link, message=message, hint=hint)
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


def fail_all(run, candidates: list[Candidate], exc: Exception) -> None:
    message, hint = explain_exception(exc)
    for c in candidates:
        run_log(run, Action.FAILED, link=c.link, label=c.label, message=message, hint=hint)
