"""Xero job costs → Procore direct costs, for projects that opted in.

Spend coded to a synced project's tracking option (bills not made by us, spend money, posted manual
journals) becomes one direct cost per document and project, with one line per tracked Xero line. Each
line's cost code × cost type comes from its Item code ("01-100.L", as the cost code export writes it) or
from the project's mapping; a document with an unmapped line waits, whole, in a visible failed state
(totals in Procore never silently disagree with Xero) and is retried from its stored copy once its project's
mapping covers it (or daily, or on "Sync now").
A voided or deleted document, or one no longer coded to the project, is removed again.

Procore writes go through the sync endpoints, batched per project: each document to write is first stored
as an intent (link "exporting" with its copy), then the run sends the project's headers (≤ 1000 per call)
and then all their lines (≤ 1000 per call). The endpoints upsert by origin_id, so a resend after a crash
or a lost answer never makes a second direct cost, and a batch cut off half way is finished from the
stored copies on the next run. Procore answers per element: a refused one fails only its document.
origin_id = "<Xero document id>:<Procore project id>" (one document may be spread over several jobs;
origin_id is unique per company), each line "<Xero document id>:<line id or position>".
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from connector.models import Kind, Link, SyncRecord, SyncRun
from procore_client.client import SYNC_MAX
from procore_client.errors import ProcoreError, ProcoreNotFound

from ..cursors import cursor_get, cursor_set
from ..explain import explain_exception
from ..links import fingerprint, link_bind, link_fail, link_set_state
from ..runs import run_log, run_progress
from ..spend import SOURCES, SpendDocument, SpendLine, spend_pages
from ..windows import COMMIT_EVERY

KIND = Kind.JOB_COST
State, Action = Link.State, SyncRecord.Action
RETRY_UNMAPPED_EVERY = timedelta(hours=24)
COST_TYPES = {"bills": "invoice", "spend_money": "expense", "journals": "expense"}
REFUSED_HINT = "Check the project, its cost codes and the supplier's vendor in Procore, then sync again."


# -- mapper (pure) ---------------------------------------------------------------------------------
def line_key(line: SpendLine) -> str:
    """What the admin maps when a line has no usable Item code."""
    return line.item_code or f"account {line.account_code}"


def cost_origin(document_id: str, project_id) -> str:
    return f"{document_id}:{project_id}"


def direct_cost_header(doc: SpendDocument, project_id, vendor_id: int | None) -> dict:
    day = doc.date.isoformat() if doc.date else None
    header = {"origin_id": cost_origin(doc.id, project_id), "direct_cost_type": COST_TYPES[doc.source],
              "invoice_number": doc.number[:255] or doc.id[:8], "direct_cost_date": day, "received_date": day,
              "status": "approved", "description": f"{doc.title} (from Xero)"[:255]}
    if vendor_id:
        header["vendor_id"] = vendor_id
    return header


def direct_cost_lines(doc: SpendDocument, lines: list[tuple[SpendLine, tuple[int, int]]]) -> list[dict]:
    # The API takes JSON numbers; a 2-dp Decimal as a float prints back as the same digits (shortest repr).
    return [{"origin_id": f"{doc.id}:{line.key}", "cost_code_id": codes[0], "line_item_type_id": codes[1],
             "amount": float(line.amount), "quantity": 1, "unit_cost": float(line.amount),
             "description": line.description or doc.title}
            for line, codes in lines]


def map_lines(lines: list[SpendLine], codes, mapping: dict[str, str]) -> tuple[list, list]:
    """(line, (cost code id, cost type id)) for the lines a cost code covers — by their Item code, else by the
    project's mapping — and (position, line) for the others."""
    mapped, missing = [], []
    for n, line in enumerate(lines, start=1):
        code = line.item_code if line.item_code in codes else mapping.get(line_key(line))
        if code in codes:
            mapped.append((line, codes[code]))
        else:
            missing.append((n, line))
    return mapped, missing


def unmapped_message(doc: SpendDocument, project: Link, missing: list[tuple[int, SpendLine]]) -> tuple[str, str]:
    first = missing[0][1]
    which = ", ".join(f"line {n} (“{line.description or 'no description'}”, {line_key(line)}, "
                      f"{line.amount})" for n, line in missing)
    message = (f"{doc.title} has {len(missing)} line(s) coded to “{project.label}” without a cost code: {which}. "
               "Nothing of this document was imported yet.")
    hint = ("In Xero, set the line's item to the cost code and cost type (Item code like “01-100.L”); or select "
            "this record in Records, type the cost code and cost type (like “01-100.L”) and run “Job costs: map "
            f"unmapped lines”, which maps “{line_key(first)}” for this project. The next job cost sync imports it.")
    return message, hint


# -- the run ---------------------------------------------------------------------------------------
def run(ctx) -> None:
    projects = _enabled_projects(ctx)
    if not projects:
        return
    ours = set(Link.objects.filter(connection=ctx.connection, kind=Kind.INVOICE).exclude(xero_id="")
               .values_list("xero_id", flat=True))
    importer = _Importer(ctx, projects)
    for source in SOURCES:
        since = cursor_get(ctx.connection, KIND, source)
        for documents in spend_pages(ctx.xero, source, since):
            run_progress(ctx.run, len(documents))
            importer.prefetch(documents)
            # Our own bills (from subcontractor invoices) are already commitment costs in Procore.
            mine = [doc for doc in documents if not (source == "bills" and doc.id in ours)]
            # Intents committed a few dozen at a time (some reads happen meanwhile: keep the lock short), all
            # before any of them is sent: a full project batch goes after the page.
            for chunk in _chunks(mine, COMMIT_EVERY):
                with transaction.atomic():
                    for doc in chunk:
                        importer.follow(doc)
            importer.flush(full_only=True)
            changed = [d.updated for d in documents if d.updated]
            if changed and not ctx.dry_run:
                cursor_set(ctx.connection, KIND, source, max(changed))
            documents, importer.links = None, {}  # this page goes before the next one is read (the peak)
    importer.retry_waiting()
    importer.flush()


def _enabled_projects(ctx) -> dict[str, Link]:
    links = Link.objects.filter(connection=ctx.connection, kind=Kind.PROJECT, state=State.SYNCED) \
        .exclude(xero_id="").exclude(procore_id="")
    return {link.xero_id: link for link in links if link.data.get("job_costs_enabled")}


@dataclass
class _Write:
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


class _Importer:
    def __init__(self, ctx, projects: dict[str, Link]):
        self.ctx, self.projects = ctx, projects
        self.touched: set[int] = set()
        # Procore project id → the pks of its links to send (an ordered set): ids only, however many documents
        # a day brings; each write is rebuilt from its link's stored copy when its project's batch is sent.
        self.queued: dict[int, dict[int, None]] = {}
        self.by_procore_id = {link.procore_id: link for link in projects.values()}
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

    def prefetch(self, documents: list[SpendDocument]) -> None:
        """The links of one page of documents, in one query instead of one per document."""
        self.links = Link.objects.in_bulk([pk for doc in documents for pk in self.known.get(doc.id, {}).values()])

    def _existing(self, doc: SpendDocument) -> dict[str, Link]:
        mine = self.known.get(doc.id, {})
        if any(pk not in self.links for pk in mine.values()):
            self.links.update(Link.objects.in_bulk(list(mine.values())))
        return {xero_id: self.links[pk] for xero_id, pk in mine.items() if pk in self.links}

    # -- one document ------------------------------------------------------------------------------
    def follow(self, doc: SpendDocument) -> None:
        existing = self._existing(doc)
        for option_id, project in self.projects.items():
            key = cost_origin(doc.id, project.procore_id)
            link = existing.get(key)
            lines = doc.lines_on(option_id) if doc.is_spend else []
            if not lines:
                if link is not None:
                    self.touched.add(link.pk)
                    self._remove(link, doc)
                continue
            if link is None:
                if self.ctx.dry_run:
                    run_log(self.ctx.run, Action.CREATED, label=doc.title, xero_id=doc.id,
                            message=f"Would be imported to “{project.label}” (preview).")
                    continue
                # Made in memory: stored once, in the state _import decides (waiting or on its way).
                link = Link(connection=self.ctx.connection, kind=KIND, xero_id=key,
                            label=f"{doc.title} · {project.label}"[:255])
                self._import(link, doc, project, lines)
                if link.pk:
                    self.known.setdefault(doc.id, {})[key] = link.pk
                    self.links[link.pk] = link
                    self.touched.add(link.pk)
                continue
            self.touched.add(link.pk)
            if link.data.get("document") == doc.snapshot() and not self._worth_retrying(link, project):
                continue  # read again unchanged (the cursor's overlap) and still nothing to map it with
            self._import(link, doc, project, lines)

    def retry_waiting(self) -> None:
        """Documents that wait for a mapping, or whose write was cut off, join the batch from their stored copy
        (they did not change in Xero, or the read above would have brought the new version)."""
        pks = [pk for pk in Link.objects.filter(connection=self.ctx.connection, kind=KIND,
                                                state__in=[State.FAILED, State.EXPORTING])
               .order_by("pk").values_list("pk", flat=True) if pk not in self.touched]
        for chunk in _chunks(pks, COMMIT_EVERY):  # each link carries its document's copy: a few dozen at a time
            found = Link.objects.in_bulk(chunk)
            with transaction.atomic():
                for link in (found[pk] for pk in chunk if pk in found):
                    self._retry(link)
            self.flush(full_only=True)

    def _retry(self, link: Link) -> None:
        project = self.by_procore_id.get(str(link.data.get("project_id")))
        snapshot = link.data.get("document")
        if project is None or not snapshot or not self._worth_retrying(link, project):
            return
        doc = SpendDocument.from_snapshot(snapshot)
        lines = doc.lines_on(project.xero_id) if doc.is_spend else []
        if lines:
            self._import(link, doc, project, lines)
        else:  # a removal that failed last time
            self._remove(link, doc)

    def _worth_retrying(self, link: Link, project: Link) -> bool:
        """A document waiting for a mapping is tried again when its project's mapping now covers one of its
        lines, or once a day (a cost code may have been added in Procore); "Sync now" tries all of them."""
        if link.state != State.FAILED or not link.data.get("unmapped"):
            return True  # a write or removal that was cut off: always finish it
        mapping = project.data.get("job_cost_map", {})
        return (self.ctx.run.trigger == SyncRun.Trigger.MANUAL
                or any(key in mapping for key in link.data["unmapped"])
                or timezone.now() - link.updated_at >= RETRY_UNMAPPED_EVERY)

    def _import(self, link: Link, doc: SpendDocument, project: Link, lines: list[SpendLine]) -> None:
        """Map the document; store the intent and queue it when Procore must get it (new, changed or cut off)."""
        ctx, project_id = self.ctx, int(project.procore_id)
        self._unqueue(link)  # queued earlier in this run from an older copy: this copy decides
        data = {"project_id": project_id, "document": doc.snapshot()}
        try:
            codes = self._project_codes(project)
        except ProcoreError as exc:
            text, hint = explain_exception(exc)
            message = f"Could not read the project's cost codes: {text}"
            if link.state == State.SYNCED and link.data.get("document") == data["document"]:
                run_log(ctx.run, Action.FAILED, link=link, message=message, hint=hint)  # in Procore as it is
            else:  # new or changed: keep the copy, or the next run (its cursor past it) would never see it
                self._wait(link, {**data, "unmapped": []}, message, hint)
            return
        mapped, missing = map_lines(lines, codes, project.data.get("job_cost_map", {}))
        data["unmapped"] = sorted({line_key(line) for _, line in missing})
        if missing:
            self._wait(link, data, *unmapped_message(doc, project, missing))
            return
        write = self._write(link.pk, doc, project, mapped)
        if link.state == State.SYNCED and link.fingerprint == write.written:
            return
        if ctx.dry_run:
            run_log(ctx.run, Action.UPDATED if link.procore_id else Action.CREATED, link=link,
                    message=f"Would be written to “{project.label}” (preview).")
            return
        # The intent, committed before any call of the batch: a batch cut off half way is resent from this copy.
        link_set_state(link, State.EXPORTING, data={**link.data, **data})
        self._queue(project_id, link.pk)

    def _write(self, link_id: int, doc: SpendDocument, project: Link, mapped: list) -> _Write:
        project_id = int(project.procore_id)
        vendor = self.vendors.get(doc.contact_id)
        header = direct_cost_header(doc, project_id, int(vendor) if vendor else None)
        rows = direct_cost_lines(doc, mapped)
        total = sum((line.amount for line, _ in mapped), Decimal("0.00"))
        return _Write(link_id, project, header, rows, total, fingerprint({"header": header, "lines": rows}))

    def _rebuilt(self, link: Link, project: Link) -> _Write:
        """The write again, from the copy the link stored when it was queued (mapped then, with this run's
        cost codes and mapping, so it maps the same now)."""
        doc = SpendDocument.from_snapshot(link.data["document"])
        mapped, _ = map_lines(doc.lines_on(project.xero_id), self._project_codes(project),
                              project.data.get("job_cost_map", {}))
        write = self._write(link.pk, doc, project, mapped)
        write.link = link
        return write

    def _wait(self, link: Link, data: dict, message: str, hint: str) -> None:
        """The document waits, whole and visibly failed, with its latest copy stored for the retry (a change in
        Xero may leave the message as it was: the copy is compared too)."""
        fresh = {**link.data, **data}
        if not self.ctx.dry_run and (link.state != State.FAILED or link.last_error != message or link.data != fresh):
            link_fail(link, message=message, hint=hint, data=fresh)
        elif not self.ctx.dry_run:
            Link.objects.filter(pk=link.pk).update(updated_at=timezone.now())  # tried again: not before tomorrow
        run_log(self.ctx.run, Action.FAILED, link=link, message=message, hint=hint)

    # -- batched writes, per project -------------------------------------------------------------------
    def _queue(self, project_id: int, link_pk: int) -> None:
        self.queued.setdefault(project_id, {})[link_pk] = None  # read twice in one run: the link holds the newer copy

    def _unqueue(self, link: Link) -> None:
        for queue in self.queued.values():
            queue.pop(link.pk, None)

    def flush(self, full_only: bool = False) -> None:
        """Send the queued writes; `full_only`: only projects with a full header call waiting."""
        for project_id, queue in list(self.queued.items()):
            if not full_only or len(queue) >= SYNC_MAX:
                self._flush(project_id)

    def _flush(self, project_id: int) -> None:
        """Headers first, then the lines of every direct cost Procore took (each carries its direct_cost_id).
        Chunked here rather than by the client, so a call that fails fails only its own documents."""
        links = Link.objects.in_bulk(list(self.queued.pop(project_id, {})))
        project = self.by_procore_id[str(project_id)]
        writes = [self._rebuilt(link, project) for link in links.values()]
        taken: dict[str, _Write] = {}
        for chunk in _chunks(writes, SYNC_MAX):
            taken.update(self._send_headers(project_id, chunk))
        owners = {row["origin_id"]: write for write in taken.values() for row in write.rows}
        rows = [{**row, "direct_cost_id": write.cost_id} for write in taken.values() for row in write.rows]
        for chunk in _chunks(rows, SYNC_MAX):  # a document's lines may span two calls: it waits for both
            self._send_lines(project_id, chunk, owners, taken)
        with transaction.atomic():  # the answers kept in one commit; a crash before it leaves them to be resent
            for write in taken.values():
                self._finish(project_id, write)

    def _send_headers(self, project_id: int, writes: list[_Write]) -> dict[str, _Write]:
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

    def _send_lines(self, project_id: int, rows: list[dict], owners: dict[str, _Write],
                    taken: dict[str, _Write]) -> None:
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

    def _finish(self, project_id: int, write: _Write) -> None:
        """Lines written before and gone from Xero since (re-coded, deleted) leave the direct cost (one call
        each: rare); then the document is bound and logged."""
        link = write.link
        unanswered = [row for row in write.rows if row["origin_id"] not in write.line_ids]
        if unanswered:  # neither taken nor refused by origin_id: never bind what Procore did not confirm
            self._refused(write, f"Procore did not confirm {len(unanswered)} line(s) of the direct cost.")
            return
        try:
            for origin, line_id in (link.data.get("lines") or {}).items():
                if origin not in write.line_ids and line_id:
                    self._unsync_and_delete(
                        f"/rest/v1.0/projects/{project_id}/direct_costs/{write.cost_id}/line_items/{line_id}",
                        lambda line_id=line_id: self.ctx.procore.sync_direct_cost_line_items(
                            project_id, [{"id": line_id, "origin_id": None}]))
        except ProcoreError as exc:
            self._cut_off([write], exc)
            return
        action = Action.UPDATED if link.procore_id else Action.CREATED
        link_bind(link, procore_id=str(write.cost_id), fingerprint_value=write.written, reference=write.origin,
                  data={"lines": {row["origin_id"]: write.line_ids[row["origin_id"]] for row in write.rows}})
        run_log(self.ctx.run, action, link=link, procore_id=write.cost_id,
                message=f"{len(write.rows)} line(s), {write.total} on “{write.project.label}”.")

    def _refused(self, write: _Write, problem: str) -> None:
        """Procore said no to this element: it fails alone, retried on every run until it goes through."""
        link_fail(write.link, message=problem, hint=REFUSED_HINT)
        run_log(self.ctx.run, Action.FAILED, link=write.link, message=problem, hint=REFUSED_HINT)

    def _cut_off(self, writes: list[_Write], exc: ProcoreError) -> None:
        """The call failed as a whole: its documents stay EXPORTING, so the next run resends them."""
        text, hint = explain_exception(exc)
        for write in writes:
            run_log(self.ctx.run, Action.FAILED, link=write.link, message=text, hint=hint)

    # -- removal -------------------------------------------------------------------------------------
    def _remove(self, link: Link, doc: SpendDocument) -> None:
        self._unqueue(link)  # queued earlier in this run from an older copy: this copy decides
        if link.state == State.ARCHIVED:
            return
        why = (f"{doc.title} is {doc.status.lower()} in Xero" if not doc.is_spend
               else f"{doc.title} is no longer coded to this project")
        if self.ctx.dry_run:
            run_log(self.ctx.run, Action.DELETED, link=link, message=f"{why}: would be removed (preview).")
            return
        project_id = link.data.get("project_id")
        if link.procore_id and project_id:
            cost_id = int(link.procore_id)
            try:
                self._unsync_and_delete(f"/rest/v1.1/projects/{project_id}/direct_costs/{cost_id}",
                                        lambda: self.ctx.procore.sync_direct_costs(
                                            project_id, [{"id": cost_id, "origin_id": None}]))
            except ProcoreError as exc:
                text, hint = explain_exception(exc)
                message = f"{why}, but removing its direct cost failed: {text}"
                link.data = {**link.data, "document": doc.snapshot()}  # retried from this copy next run
                link.save(update_fields=["data", "updated_at"])
                link_fail(link, message=message, hint=hint)
                run_log(self.ctx.run, Action.FAILED, link=link, message=message, hint=hint)
                return
            link_set_state(link, State.ARCHIVED, last_error="", hint="")
            run_log(self.ctx.run, Action.DELETED, link=link, message=f"{why}: the direct cost was removed.")
            return
        link_set_state(link, State.ARCHIVED, last_error="", hint="")  # never written: nothing to remove
        run_log(self.ctx.run, Action.SKIPPED, link=link, message=f"{why}: no longer waiting for a mapping.")

    def _unsync_and_delete(self, path: str, unsync) -> None:
        """Procore refuses to delete what carries an origin_id: clear it first (the ERP "unlink"), then delete.
        Both steps are safe to repeat; a record already gone counts as removed."""
        try:
            unsync()
            self.ctx.procore.delete(path)
        except ProcoreNotFound:
            pass

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


class ProjectCodes:
    """Item code ("01-100.L") → (cost code id, cost type id) for one project, without a key per pair: a
    project's codes times the cost types, kept for every project of a run, was most of a big day's memory."""

    def __init__(self, cost_codes: list[dict], types: list[dict]):
        self.types = {t["code"]: t["id"] for t in types}
        known = set(self.types.values())
        # full code → (its id, the cost types it allows, None for all); codes are shared between projects
        self.codes = {sys.intern(str(c.get("full_code") or c["code"])):
                      (c["id"], frozenset(c["line_item_type_ids"]) & known if c.get("line_item_type_ids") else None)
                      for c in cost_codes}

    def get(self, code: str) -> tuple[int, int] | None:
        for type_code, type_id in self.types.items():  # a handful; a full code may itself hold a dot
            if code.endswith(f".{type_code}"):
                found = self.codes.get(code[:-len(type_code) - 1])
                if found and (found[1] is None or type_id in found[1]):
                    return found[0], type_id
        return None

    def __contains__(self, code) -> bool:
        return isinstance(code, str) and self.get(code) is not None

    def __getitem__(self, code: str) -> tuple[int, int]:
        found = self.get(code)
        if found is None:
            raise KeyError(code)
        return found


def _chunks(items: list, size: int) -> list[list]:
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
