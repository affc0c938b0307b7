"""Job costs batch writer: the direct costs of one project go to Procore's sync endpoints together.

Each document to write was first stored as an intent (link "exporting" with its copy); the writer sends the
project's headers (≤ 1000 per call) and then all their lines (≤ 1000 per call). The endpoints upsert by
origin_id, so a resend after a crash or a lost answer never makes a second direct cost, and a batch cut off
half way is finished from the stored copies on the next run. Procore answers per element: a refused one fails
only its document.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction

from connector.models import Link, LinkLine, SyncRecord
from connector.services.records import (
    fingerprint,
    lines_by_link,
    record_bind_all,
    record_fail,
    record_lines_set_all,
    record_moved_words,
)
from procore_client.client import SYNC_MAX
from procore_client.errors import ProcoreError, ProcoreNotFound

from ...explain import explain_exception
from ...money import cents
from ...runs import run_log
from .mapper import direct_cost_header, direct_cost_lines

State, Action = Link.State, SyncRecord.Action
REFUSED_HINT = "Check the project, its cost codes and the supplier's vendor in Procore, then sync again."


@dataclass
class Write:
    """One direct cost on its way to Procore, made when its project's batch is sent."""

    link_id: int
    project: Link
    header: dict
    rows: list[dict]
    total: Decimal
    written: str  # fingerprint of what is sent: an unchanged document is not sent again
    cost_id: int | None = None
    line_ids: dict[str, int] = field(default_factory=dict)  # line origin_id → Procore id, from the answer
    link: Link | None = None  # while the queue is sent

    @property
    def origin(self) -> str:
        return self.header["origin_id"]


def write_of(link_id: int, doc, project: Link, mapped: list, vendor_id) -> Write:
    project_id = int(project.procore_id)
    header = direct_cost_header(doc, project_id, int(vendor_id) if vendor_id else None)
    rows = direct_cost_lines(doc, mapped)
    total = sum((line.amount for line, _ in mapped), Decimal("0.00"))
    return Write(link_id, project, header, rows, total, fingerprint({"header": header, "lines": rows}))


class BatchWriter:
    """Queued link ids per Procore project (an ordered set), sent a project at a time."""

    def __init__(self, ctx, rebuild):
        self.ctx, self.rebuild = ctx, rebuild  # rebuild(link, project) → Write, from the link's stored copy
        self.queued: dict[int, dict[int, None]] = {}

    def queue(self, project_id: int, link_pk: int) -> None:
        self.queued.setdefault(project_id, {})[link_pk] = None  # read twice in one run: the link holds the newer copy

    def unqueue(self, link: Link) -> None:
        for queue in self.queued.values():
            queue.pop(link.pk, None)

    def flush(self, projects: dict[str, Link], full_only: bool = False) -> None:
        """Send the queued writes; `full_only`: only projects with a full header call waiting."""
        for project_id, queue in list(self.queued.items()):
            if not full_only or len(queue) >= SYNC_MAX:
                self._flush(project_id, projects[str(project_id)])

    def _flush(self, project_id: int, project: Link) -> None:
        """Headers first, then the lines of every direct cost Procore took (each carries its direct_cost_id).
        Chunked here rather than by the client, so a call that fails fails only its own documents."""
        links = Link.objects.in_bulk(list(self.queued.pop(project_id, {})))
        writes = [self.rebuild(link, project) for link in links.values() if link.state == State.EXPORTING]
        taken: dict[str, Write] = {}
        for chunk in chunks(writes, SYNC_MAX):
            taken.update(self._send_headers(project_id, chunk))
        owners = {row["origin_id"]: write for write in taken.values() for row in write.rows}
        rows = [{**row, "direct_cost_id": write.cost_id} for write in taken.values() for row in write.rows]
        for chunk in chunks(rows, SYNC_MAX):  # a document's lines may span two calls: it waits for both
            self._send_lines(project_id, chunk, owners, taken)
        before = lines_by_link([write.link.pk for write in taken.values()])
        with transaction.atomic():  # the answers kept in one commit; a crash before it leaves them to be resent
            done = [write for write in taken.values() if self._finish(project_id, write, before.get(write.link.pk, []))]
            self._bind(done)

    def _send_headers(self, project_id: int, writes: list[Write]) -> dict[str, Write]:
        """The writes Procore took, by origin_id, with their direct cost ids; the others are failed."""
        try:
            result = self.ctx.procore.sync_direct_costs(project_id, [write.header for write in writes])
        except ProcoreError as exc:
            self._cut_off(writes, exc)
            return {}
        ids = {entity.get("origin_id"): entity["id"] for entity in result.entities}
        errors = _by_origin(result.errors)
        taken = {}
        for write in writes:
            write.cost_id = ids.get(write.origin)
            if write.cost_id is None:
                self._refused(write, f"Procore refused the direct cost: {_fields(errors.get(write.origin, []))}")
            else:
                taken[write.origin] = write
        return taken

    def _send_lines(self, project_id: int, rows: list[dict], owners: dict[str, Write],
                    taken: dict[str, Write]) -> None:
        """Fails the documents of refused lines (or of the whole call); the others collect their line ids."""
        try:
            result = self.ctx.procore.sync_direct_cost_line_items(project_id, rows)
        except ProcoreError as exc:
            cut = {owners[row["origin_id"]].origin: owners[row["origin_id"]] for row in rows}
            self._cut_off([taken.pop(origin) for origin in cut if origin in taken], exc)
            return
        for entity in result.entities:
            if entity.get("origin_id") in owners:
                owners[entity["origin_id"]].line_ids[entity["origin_id"]] = entity["id"]
        refused: dict[str, list] = {}
        for error in result.errors:
            if error.get("origin_id") in owners:
                refused.setdefault(owners[error["origin_id"]].origin, []).append(error)
        for origin, errors in refused.items():
            if origin in taken:
                self._refused(taken.pop(origin), f"Procore refused a line of the direct cost: {_fields(errors)}")

    def _finish(self, project_id: int, write: Write, written_before: list[LinkLine]) -> bool:
        """Lines written before and gone from Xero since (re-coded, deleted) leave the direct cost (one call
        each: rare); then the document may be bound (True)."""
        unanswered = [row for row in write.rows if row["origin_id"] not in write.line_ids]
        if unanswered:  # neither taken nor refused by origin_id: never bind what Procore did not confirm
            self._refused(write, f"Procore did not confirm {len(unanswered)} line(s) of the direct cost.")
            return False
        try:
            for line in written_before:
                if line.xero_line_id not in write.line_ids and line.procore_line_id:
                    unsync_and_delete(
                        self.ctx, f"/rest/v1.0/projects/{project_id}/direct_costs/{write.cost_id}/line_items/"
                                  f"{line.procore_line_id}",
                        lambda line_id=int(line.procore_line_id): self.ctx.procore.sync_direct_cost_line_items(
                            project_id, [{"id": line_id, "origin_id": None}]))
        except ProcoreError as exc:
            self._cut_off([write], exc)
            return False
        return True

    def _bind(self, writes: list[Write]) -> None:
        """The documents Procore took, bound with their direct cost and line ids and logged: a batch at a time."""
        updates = {write.link.pk for write in writes if write.link.procore_id}  # before the binds give ids
        bound = {link.pk for link in record_bind_all(
            [(write.link, {"procore_id": str(write.cost_id), "fingerprint": write.written, "reference": write.origin})
             for write in writes], leaving=[State.EXPORTING])}
        record_lines_set_all([(write.link, [LinkLine(procore_line_id=str(write.line_ids[row["origin_id"]]),
                                                     xero_line_id=row["origin_id"],
                                                      amount=cents(row["amount"]), position=n)
                                            for n, row in enumerate(write.rows)])
                              for write in writes if write.link.pk in bound])
        for write in writes:
            link = write.link
            if link.pk not in bound:
                run_log(self.ctx.run, Action.SKIPPED, link=link, message=record_moved_words(link))
                continue
            run_log(self.ctx.run, Action.UPDATED if link.pk in updates else Action.CREATED, link=link,
                    procore_id=write.cost_id,
                    message=f"{len(write.rows)} line(s), {write.total} on “{write.project.label}”.")

    def _refused(self, write: Write, problem: str) -> None:
        """Procore said no to this element: it fails alone, and waits for a change in Xero or a person's retry."""
        record_fail(write.link, message=problem, hint=REFUSED_HINT, refused=write.written, leaving=[State.EXPORTING])
        run_log(self.ctx.run, Action.FAILED, link=write.link, message=problem, hint=REFUSED_HINT)

    def _cut_off(self, writes: list[Write], exc: ProcoreError) -> None:
        """The call failed as a whole: its documents stay EXPORTING, so the next run resends them."""
        text, hint = explain_exception(exc)
        for write in writes:
            run_log(self.ctx.run, Action.FAILED, link=write.link, message=text, hint=hint)


def unsync_and_delete(ctx, path: str, unsync) -> None:
    """Procore refuses to delete what carries an origin_id: clear it first (the ERP "unlink"), then delete.
    Both steps are safe to repeat; a record already gone counts as removed."""
    try:
        unsync()
        ctx.procore.delete(path)
    except ProcoreNotFound:
        pass


def chunks(items: list, size: int) -> list[list]:
    return [items[start:start + size] for start in range(0, len(items), size)]


def _by_origin(errors: list) -> dict[str, list]:
    """Sync errors echo the element sent: its origin_id says whose they are."""
    found: dict[str, list] = {}
    for error in errors:
        found.setdefault(error.get("origin_id"), []).append(error)
    return found


def _fields(errors: list) -> str:
    parts = []
    for error in errors:
        for name, messages in (error.get("errors") or {}).items():
            parts.append(f"{name} {', '.join(map(str, messages))}")
    return "; ".join(parts) or "no reason given"
