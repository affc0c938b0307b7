"""Xero job costs → Procore direct costs, for projects that opted in.

Spend coded to a synced project's tracking option (bills not made by us, spend money, posted manual
journals) becomes one direct cost per document and project, with one line per tracked Xero line. Each
line's cost code × cost type comes from its Item code ("01-100.L", as the cost code export writes it) or
from the project's mapping; a document with an unmapped line waits, whole, in a visible failed state
(totals in Procore never silently disagree with Xero) and is retried from its stored copy once its project's
mapping covers it (or daily, or on "Sync now").
A voided or deleted document, or one no longer coded to the project, is removed again.

Procore writes go through the sync endpoints, which upsert by origin_id, so a repeated run or a lost
answer never makes a second direct cost. origin_id = "<Xero document id>:<Procore project id>" (one
document may be spread over several jobs; origin_id is unique per company), each line
"<Xero document id>:<line id or position>".
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from connector.models import Kind, Link, SyncRecord, SyncRun
from procore_client.errors import ProcoreError, ProcoreNotFound

from ..cursors import cursor_get, cursor_set
from ..explain import explain_exception
from ..links import fingerprint, link_bind, link_fail, link_for_xero, link_set_state
from ..runs import run_log, run_progress
from ..spend import SOURCES, SpendDocument, SpendLine, spend_pages
from .cost_codes import item_code

KIND = Kind.JOB_COST
State, Action = Link.State, SyncRecord.Action
RETRY_UNMAPPED_EVERY = timedelta(hours=24)
COST_TYPES = {"bills": "invoice", "spend_money": "expense", "journals": "expense"}


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
            for doc in documents:
                if source == "bills" and doc.id in ours:
                    continue  # our own bills from subcontractor invoices: already commitment costs in Procore
                importer.follow(doc)
            changed = [d.updated for d in documents if d.updated]
            if changed and not ctx.dry_run:
                cursor_set(ctx.connection, KIND, source, max(changed))
    importer.retry_waiting()


def _enabled_projects(ctx) -> dict[str, Link]:
    links = Link.objects.filter(connection=ctx.connection, kind=Kind.PROJECT, state=State.SYNCED) \
        .exclude(xero_id="").exclude(procore_id="")
    return {link.xero_id: link for link in links if link.data.get("job_costs_enabled")}


class _Importer:
    def __init__(self, ctx, projects: dict[str, Link]):
        self.ctx, self.projects = ctx, projects
        self.touched: set[int] = set()
        self._types: list | None = None
        self._codes: dict[str, dict] = {}
        self.vendors = dict(Link.objects.filter(connection=ctx.connection, kind=Kind.VENDOR, state=State.SYNCED)
                            .exclude(xero_id="").exclude(procore_id="").values_list("xero_id", "procore_id"))

    # -- one document ------------------------------------------------------------------------------
    def follow(self, doc: SpendDocument) -> None:
        existing = {link.xero_id: link for link in Link.objects.filter(
            connection=self.ctx.connection, kind=KIND, xero_id__startswith=f"{doc.id}:")}
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
                link = link_for_xero(self.ctx.connection, KIND, key, label=f"{doc.title} · {project.label}")
            self.touched.add(link.pk)
            if link.data.get("document") == doc.snapshot() and not self._worth_retrying(link, project):
                continue  # read again unchanged (the cursor's overlap) and still nothing to map it with
            self._import(link, doc, project, lines)

    def retry_waiting(self) -> None:
        """Documents that wait for a mapping, or whose write was cut off, are retried from their stored copy
        (they did not change in Xero, or the read above would have brought the new version)."""
        waiting = Link.objects.filter(connection=self.ctx.connection, kind=KIND,
                                      state__in=[State.FAILED, State.EXPORTING]).exclude(pk__in=self.touched)
        by_project = {link.procore_id: link for link in self.projects.values()}
        for link in waiting:
            project = by_project.get(str(link.data.get("project_id")))
            snapshot = link.data.get("document")
            if project is None or not snapshot:
                continue
            if not self._worth_retrying(link, project):
                continue
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
        ctx, project_id = self.ctx, int(project.procore_id)
        try:
            codes = self._project_codes(project)
        except ProcoreError as exc:
            text, hint = explain_exception(exc)
            run_log(ctx.run, Action.FAILED, link=link, message=f"Could not read the project's cost codes: {text}",
                    hint=hint)
            return
        mapping = project.data.get("job_cost_map", {})
        mapped, missing = [], []
        for n, line in enumerate(lines, start=1):
            code = line.item_code if line.item_code in codes else mapping.get(line_key(line))
            if code in codes:
                mapped.append((line, codes[code]))
            else:
                missing.append((n, line))
        data = {"project_id": project_id, "document": doc.snapshot(),
                "unmapped": sorted({line_key(line) for _, line in missing})}
        if missing:
            message, hint = unmapped_message(doc, project, missing)
            if not ctx.dry_run and (link.state != State.FAILED or link.last_error != message):
                link.data = {**link.data, **data}
                link.save(update_fields=["data", "updated_at"])
                link_fail(link, message=message, hint=hint)
            elif not ctx.dry_run:
                Link.objects.filter(pk=link.pk).update(updated_at=timezone.now())  # tried again: not before tomorrow
            run_log(ctx.run, Action.FAILED, link=link, message=message, hint=hint)
            return
        vendor = self.vendors.get(doc.contact_id)
        header = direct_cost_header(doc, project_id, int(vendor) if vendor else None)
        rows = direct_cost_lines(doc, mapped)
        written = fingerprint({"header": header, "lines": rows})
        if link.state == State.SYNCED and link.fingerprint == written:
            return
        if ctx.dry_run:
            run_log(ctx.run, Action.UPDATED if link.procore_id else Action.CREATED, link=link,
                    message=f"Would be written to “{project.label}” (preview).")
            return
        # The intent, committed: a write cut off half way is retried from this copy on the next run.
        link_set_state(link, State.EXPORTING, data={**link.data, **data})
        try:
            cost_id, problem = self._write(project_id, link, header, rows)
        except ProcoreError as exc:
            text, hint = explain_exception(exc)
            run_log(ctx.run, Action.FAILED, link=link, message=text, hint=hint)
            return
        if problem:
            link_fail(link, message=problem, hint="Check the project and its cost codes in Procore, then sync again.")
            run_log(ctx.run, Action.FAILED, link=link, message=problem)
            return
        action = Action.UPDATED if link.procore_id else Action.CREATED
        total = sum((line.amount for line, _ in mapped), Decimal("0.00"))
        link_bind(link, procore_id=str(cost_id), fingerprint_value=written, reference=header["origin_id"],
                  data={"lines": {row["origin_id"]: row["_id"] for row in rows if "_id" in row}})
        run_log(ctx.run, action, link=link, procore_id=cost_id,
                message=f"{len(rows)} line(s), {total} on “{project.label}”.")

    def _write(self, project_id: int, link: Link, header: dict, rows: list[dict]) -> tuple[int | None, str]:
        procore = self.ctx.procore
        result = procore.sync_direct_costs(project_id, [header])
        if result.errors or not result.entities:
            return None, f"Procore refused the direct cost: {_fields(result.errors)}"
        cost_id = result.entities[0]["id"]
        result = procore.sync_direct_cost_line_items(project_id, [{**row, "direct_cost_id": cost_id} for row in rows])
        if result.errors:
            return cost_id, f"Procore refused a line of the direct cost: {_fields(result.errors)}"
        written = {entity["origin_id"]: entity["id"] for entity in result.entities}
        for row in rows:
            row["_id"] = written.get(row["origin_id"])
        # Lines written before and gone from Xero since (re-coded, deleted) leave the direct cost.
        for origin, line_id in (link.data.get("lines") or {}).items():
            if origin not in written and line_id:
                self._unsync_and_delete(f"/rest/v1.0/projects/{project_id}/direct_costs/{cost_id}/line_items/{line_id}",
                                        lambda: procore.sync_direct_cost_line_items(
                                            project_id, [{"id": line_id, "origin_id": None}]))
        return cost_id, ""

    # -- removal -------------------------------------------------------------------------------------
    def _remove(self, link: Link, doc: SpendDocument) -> None:
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
    def _project_codes(self, project: Link) -> dict[str, tuple[int, int]]:
        """Item code ("01-100.L") → (cost code id, cost type id) for the project's cost codes."""
        if project.procore_id not in self._codes:
            if self._types is None:
                self._types = self.ctx.procore.line_item_types()
            types = {t["id"]: t for t in self._types}
            codes = {}
            for cost_code in self.ctx.procore.cost_codes(int(project.procore_id)):
                for type_id in cost_code.get("line_item_type_ids") or list(types):
                    if type_id in types:
                        codes[item_code(cost_code, types[type_id])] = (cost_code["id"], type_id)
            self._codes[project.procore_id] = codes
        return self._codes[project.procore_id]


def _fields(errors: list) -> str:
    parts = []
    for error in errors:
        for name, messages in (error.get("errors") or {}).items():
            parts.append(f"{name} {', '.join(map(str, messages))}")
    return "; ".join(parts) or "no reason given"
