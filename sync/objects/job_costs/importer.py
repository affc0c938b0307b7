"""Job costs importer: follows each Xero spend document read, for every project that opted in."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from django.utils import timezone

from connector.models import Kind, Link, SyncRecord, SyncRun
from connector.services.records import (
    record_fail,
    record_new_all,
    record_transition,
    record_transition_all,
    record_update,
)
from procore_client.errors import ProcoreError

from ...explain import explain_exception
from ...runs import run_log
from ...spend import SpendDocument, SpendLine
from ...windows import COMMIT_EVERY
from .mapper import ProjectCodes, cost_origin, line_key, map_lines, unmapped_message
from .writer import BatchWriter, Write, chunks, unsync_and_delete, write_of

KIND = Kind.JOB_COST
State, Action = Link.State, SyncRecord.Action
RETRY_UNMAPPED_EVERY = timedelta(hours=24)


class Importer:
    def __init__(self, ctx, projects: dict[str, Link], mappings: dict[str, dict[str, str]], ours):
        """`projects`: option id → project link (job costs on); `mappings`: Procore project id → {Xero code:
        item code}; `ours(doc)`: whether a bill came from one of our subcontractor invoices."""
        self.ctx, self.projects, self.mappings, self.ours = ctx, projects, mappings, ours
        self.touched: set[int] = set()
        self.by_procore_id = {link.procore_id: link for link in projects.values()}
        self.writer = BatchWriter(ctx, self._rebuilt)
        self._types: list | None = None
        self._codes: dict[str, ProjectCodes | ProcoreError] = {}
        self.vendors = dict(Link.objects.filter(connection=ctx.connection, kind=Kind.VENDOR, state=State.SYNCED)
                            .exclude(xero_id="").exclude(procore_id="").values_list("xero_id", "procore_id"))
        # Xero document id → {link xero_id ("<document>:<project>") → link pk}: ids only, so it stays small;
        # the links themselves are fetched a page of documents at a time (prefetch).
        self.known: dict[str, dict[str, int]] = {}
        for xero_id, pk in Link.objects.filter(connection=ctx.connection, kind=KIND).exclude(xero_id="") \
                .values_list("xero_id", "pk"):
            self.known.setdefault(xero_id.split(":", 1)[0], {})[xero_id] = pk
        self.links: dict[int, Link] = {}
        # What a page decided, written together before anything of it is sent (_settle): links to make
        # (their row and what follows once made) and links to move to exporting (with their fields).
        self._new: list[tuple[dict, Callable[[Link, bool], None]]] = []
        self._moves: dict[int, tuple[Link, dict, int]] = {}

    def prefetch(self, documents: list[SpendDocument]) -> None:
        """The links of one page of documents, in one query instead of one per document."""
        self.links = Link.objects.in_bulk([pk for doc in documents for pk in self.known.get(doc.id, {}).values()])

    def _existing(self, doc: SpendDocument) -> dict[str, Link]:
        mine = self.known.get(doc.id, {})
        if any(pk not in self.links for pk in mine.values()):
            self.links.update(Link.objects.in_bulk(list(mine.values())))
        return {xero_id: self.links[pk] for xero_id, pk in mine.items() if pk in self.links}

    def mapping(self, project: Link) -> dict[str, str]:
        return self.mappings.get(project.procore_id, {})

    # -- one document ------------------------------------------------------------------------------
    def follow(self, doc: SpendDocument) -> None:
        if len(self._new) + len(self._moves) >= COMMIT_EVERY:
            self._settle()  # a page holds up to 1,000 documents: their copies are stored a few dozen at a time
        existing = self._existing(doc)
        ours = self.ours(doc)
        for option_id, project in self.projects.items():
            key = cost_origin(doc.id, project.procore_id)
            link = existing.get(key)
            lines = doc.lines_on(option_id) if doc.is_spend and not ours else []
            if not lines:
                if link is not None:
                    self.touched.add(link.pk)
                    self._remove(link, doc, ours=ours)
                continue
            if link is None:
                if self.ctx.dry_run:
                    run_log(self.ctx.run, Action.CREATED, label=doc.title, xero_id=doc.id,
                            message=f"Would be imported to “{project.label}” (preview).")
                    continue
                self._import(None, doc, project, lines, key=key)
                continue
            self.touched.add(link.pk)
            if link.xero_snapshot == doc.snapshot() and not self._worth_retrying(link, project):
                continue  # read again unchanged (the cursor's overlap) and still nothing to map it with
            self._import(link, doc, project, lines)

    def retry_waiting(self) -> None:
        """Documents that wait for a mapping, or whose write was cut off, join the batch from their stored copy
        (they did not change in Xero, or the read above would have brought the new version). Project by project,
        so each project's batch fills and goes while the others wait."""
        pks = [pk for pk in Link.objects.filter(connection=self.ctx.connection, kind=KIND,
                                                state__in=[State.FAILED, State.EXPORTING])
               .order_by("project_id", "pk").values_list("pk", flat=True) if pk not in self.touched]
        for chunk in chunks(pks, COMMIT_EVERY):  # each link carries its document's copy: a few dozen at a time
            found = Link.objects.in_bulk(chunk)
            for link in (found[pk] for pk in chunk if pk in found):  # no transaction: a retry may call Procore
                self._retry(link)
            self.flush(full_only=True)

    def remove_ours(self) -> None:
        """Direct costs imported from a bill that turned out to be ours (its invoice link was bound, or it names
        one of our subcontractor invoices) leave Procore again, even when the bill was not read this run."""
        self._settle()
        rows = Link.objects.filter(connection=self.ctx.connection, kind=KIND, xero_snapshot__source="bills") \
            .exclude(state=State.ARCHIVED).values_list("pk", "xero_id", "xero_snapshot__url")
        pks = [pk for pk, xero_id, url in rows if pk not in self.touched
               and self.ours.named(xero_id.split(":", 1)[0], url or "")]
        for link in Link.objects.filter(pk__in=pks):
            self._remove(link, SpendDocument.from_snapshot(link.xero_snapshot), ours=True)

    def flush(self, full_only: bool = False) -> None:
        self._settle()
        self.writer.flush(self.by_procore_id, full_only=full_only)

    def _settle(self) -> None:
        """The intents decided so far, stored: one INSERT for the new links and one guarded UPDATE for the
        moves, instead of a round trip (and, on SQLite, a commit) per document."""
        new, self._new = self._new, []
        if new:
            for (link, made), (_row, then) in zip(record_new_all(self.ctx.connection, KIND, [row for row, _ in new]),
                                                  new):
                self.known.setdefault(link.xero_id.split(":", 1)[0], {})[link.xero_id] = link.pk
                self.links[link.pk] = link
                self.touched.add(link.pk)
                then(link, made)
        moves, self._moves = list(self._moves.values()), {}
        if moves:
            moved = {link.pk for link in record_transition_all(
                [link for link, _, _ in moves], State.EXPORTING, leaving=sorted({link.state for link, _, _ in moves}),
                each={link.pk: fields for link, fields, _ in moves}, last_error="", hint="")}
            for link, _, project_id in moves:  # one moved meanwhile (a person's retry, say) is left as it is
                if link.pk in moved:
                    self.writer.queue(project_id, link.pk)

    def _retry(self, link: Link) -> None:
        project = self.by_procore_id.get(str(link.project_id))
        snapshot = link.xero_snapshot
        if project is None or not snapshot or not self._worth_retrying(link, project):
            return
        doc = SpendDocument.from_snapshot(snapshot)
        ours = self.ours(doc)
        lines = doc.lines_on(project.xero_id) if doc.is_spend and not ours else []
        if lines:
            self._import(link, doc, project, lines)
        else:  # a removal that failed last time
            self._remove(link, doc, ours=ours)

    def _worth_retrying(self, link: Link, project: Link) -> bool:
        """A document waiting for a mapping is tried again when its project's mapping now covers one of its
        lines, or once a day (a cost code may have been added in Procore); "Sync now" tries all of them."""
        unmapped = link.engine_data.get("unmapped")
        if link.state != State.FAILED or not unmapped:
            return True  # a write or removal that was cut off: always finish it (a refusal is checked later)
        mapping = self.mapping(project)
        return (self.ctx.run.trigger == SyncRun.Trigger.MANUAL
                or any(key in mapping for key in unmapped)
                or timezone.now() - link.updated_at >= RETRY_UNMAPPED_EVERY)

    def _import(self, link: Link | None, doc: SpendDocument, project: Link, lines: list[SpendLine],
                key: str = "") -> None:
        """Map the document; store the intent and queue it when Procore must get it (new, changed or cut off).
        A link seen for the first time is made once, in the state this decides."""
        ctx, project_id = self.ctx, int(project.procore_id)
        if link is not None:
            self.writer.unqueue(link)  # queued earlier in this run from an older copy: this copy decides
            self._moves.pop(link.pk, None)
        snapshot = doc.snapshot()
        try:
            codes = self._project_codes(project)
        except ProcoreError as exc:
            text, hint = explain_exception(exc)
            message = f"Could not read the project's cost codes: {text}"
            if link is not None and link.state == State.SYNCED and link.xero_snapshot == snapshot:
                run_log(ctx.run, Action.FAILED, link=link, message=message, hint=hint)  # in Procore as it is
            else:  # new or changed: keep the copy, or the next run (its cursor past it) would never see it
                self._wait(link, doc, project, [], message, hint, key=key)
            return
        mapped, missing = map_lines(lines, codes, self.mapping(project))
        if missing:
            self._wait(link, doc, project, sorted({line_key(line) for _, line in missing}),
                       *unmapped_message(doc, project, missing), key=key)
            return
        write = write_of(link.pk if link else 0, doc, project, mapped, self.vendors.get(doc.contact_id))
        if link is not None and link.state == State.SYNCED and link.fingerprint == write.written:
            return
        if link is not None and link.state == State.FAILED and link.refused_fingerprint == write.written:
            return  # Procore refused exactly this: a change in Xero or a person's retry sends it again
        if ctx.dry_run:
            run_log(ctx.run, Action.UPDATED if link and link.procore_id else Action.CREATED, link=link,
                    label=doc.title, message=f"Would be written to “{project.label}” (preview).")
            return
        # The intent, committed before any call of the batch: a batch cut off half way is resent from this copy.
        fields = {"xero_snapshot": snapshot, "project_id": str(project_id), "label": self._label(doc, project),
                  "amount": write.total, "document_number": doc.number[:255], "document_date": doc.date,
                  "vendor_name": doc.contact_name[:255], "project_name": project.label,
                  "engine_data": {"unmapped": []}}
        if link is None:  # made (and queued) with the page's other intents; one made meanwhile is left alone
            self._made(key, State.EXPORTING, fields,
                       lambda link, made: self.writer.queue(project_id, link.pk) if made else None)
        else:
            self._moves[link.pk] = (link, fields, project_id)

    def _made(self, key: str, state: str, fields: dict, then: Callable[[Link, bool], None], **extra) -> None:
        """A link to make with the page's others (_settle); `then(link, made)` once it is there."""
        self._new.append(({"xero_id": key, "state": state, **fields, **extra}, then))

    def _label(self, doc: SpendDocument, project: Link) -> str:
        return f"{doc.title} · {project.label}"[:255]

    def _rebuilt(self, link: Link, project: Link) -> Write:
        """The write again, from the copy the link stored when it was queued (mapped then, with this run's
        cost codes and mapping, so it maps the same now)."""
        doc = SpendDocument.from_snapshot(link.xero_snapshot)
        mapped, _ = map_lines(doc.lines_on(project.xero_id), self._project_codes(project), self.mapping(project))
        write = write_of(link.pk, doc, project, mapped, self.vendors.get(doc.contact_id))
        write.link = link
        return write

    def _wait(self, link: Link | None, doc: SpendDocument, project: Link, unmapped: list[str], message: str,
              hint: str, key: str = "") -> None:
        """The document waits, whole and visibly failed, with its latest copy stored for the retry (a change in
        Xero may leave the message as it was: the copy is compared too)."""
        if self.ctx.dry_run:
            run_log(self.ctx.run, Action.FAILED, link=link, label=doc.title, message=message, hint=hint)
            return
        fields = {"xero_snapshot": doc.snapshot(), "project_id": str(project.procore_id),
                  "engine_data": {"unmapped": unmapped}, "label": self._label(doc, project),
                  "document_number": doc.number[:255], "document_date": doc.date,
                  "vendor_name": doc.contact_name[:255], "project_name": project.label}
        if link is None:
            self._made(key, State.FAILED, fields, lambda link, _made: run_log(
                self.ctx.run, Action.FAILED, link=link, label=doc.title, message=message, hint=hint),
                last_error=message, hint=hint, attempts=1)
            return
        if link.state != State.FAILED or link.last_error != message or link.xero_snapshot != fields["xero_snapshot"]:
            record_update(link, **fields)
            record_fail(link, message=message, hint=hint, leaving=[link.state])
        else:
            Link.objects.filter(pk=link.pk).update(updated_at=timezone.now())  # tried again: not before tomorrow
        run_log(self.ctx.run, Action.FAILED, link=link, label=doc.title, message=message, hint=hint)

    # -- removal -------------------------------------------------------------------------------------
    def _remove(self, link: Link, doc: SpendDocument, *, ours: bool = False) -> None:
        self.writer.unqueue(link)  # queued earlier in this run from an older copy: this copy decides
        self._moves.pop(link.pk, None)
        if link.state == State.ARCHIVED:
            return
        if ours:
            why = (f"{doc.title} came from a Procore subcontractor invoice (it is already a commitment cost in "
                   "Procore)")
        elif not doc.is_spend:
            why = f"{doc.title} is {doc.status.lower()} in Xero"
        else:
            why = f"{doc.title} is no longer coded to this project"
        if self.ctx.dry_run:
            run_log(self.ctx.run, Action.DELETED, link=link, message=f"{why}: would be removed (preview).")
            return
        project_id = link.project_id
        if link.procore_id and project_id:
            cost_id = int(link.procore_id)
            try:
                unsync_and_delete(self.ctx, f"/rest/v1.1/projects/{project_id}/direct_costs/{cost_id}",
                                  lambda: self.ctx.procore.sync_direct_costs(
                                      int(project_id), [{"id": cost_id, "origin_id": None}]))
            except ProcoreError as exc:
                text, hint = explain_exception(exc)
                message = f"{why}, but removing its direct cost failed: {text}"
                record_update(link, xero_snapshot=doc.snapshot())  # retried from this copy next run
                record_fail(link, message=message, hint=hint, leaving=[link.state])
                run_log(self.ctx.run, Action.FAILED, link=link, message=message, hint=hint)
                return
            record_transition(link, State.ARCHIVED, leaving=[link.state], last_error="", hint="")
            run_log(self.ctx.run, Action.DELETED, link=link, message=f"{why}: the direct cost was removed.")
            return
        record_transition(link, State.ARCHIVED, leaving=[link.state], last_error="", hint="")  # never written
        run_log(self.ctx.run, Action.SKIPPED, link=link, message=f"{why}: nothing to import.")

    # -- Procore cost codes of a project ---------------------------------------------------------------
    def _project_codes(self, project: Link) -> ProjectCodes:
        """Item code ("01-100.L") → (cost code id, cost type id) for the project's cost codes, read once a run
        (a failed read too: its documents wait for the next run instead of each reading again)."""
        if project.procore_id not in self._codes:
            try:
                self._codes[project.procore_id] = self._read_codes(int(project.procore_id))
            except ProcoreError as exc:
                self._codes[project.procore_id] = exc
        codes = self._codes[project.procore_id]
        if isinstance(codes, ProcoreError):
            raise codes
        return codes

    def _read_codes(self, project_id: int) -> ProjectCodes:
        if self._types is None:
            self._types = self.ctx.procore.line_item_types()
        return ProjectCodes(self.ctx.procore.cost_codes(project_id), self._types)
