"""Incremental reads of Procore's per-project financial lists (commitments, change orders, invoices).

Procore lists these per project only, so a run costs one call per project and list it reads. To keep that
small a run reads only the projects synced to Xero (a tracking option): nothing of another project can be
exported, and what waits there (for a vendor, a commitment) or is refused (a negative invoice) still says
why as soon as its project is in Xero. Each project keeps
its own cursor: a scheduled run reads what changed there since its last read (`filters[updated_at]`),
a project read for the first time (just synced) is read whole, and the records a run still owes an
answer are read by id: links ready or exporting, and waiting ones whose missing prerequisite (vendor,
project, commitment, item) is in Xero now. Every project is read whole once a day and when a person presses
"Sync now": a change a window cannot see (a line edited without touching its parent) is never missed for
long. A project's cursor moves only when the run read and judged all of it; a record that could not be
read keeps its project's window open for the next run. A webhook's one-record run reads that record by id,
in its own project when its link remembers it.
"""

from __future__ import annotations

import inspect
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable

from django.db import transaction

from connector.models import Kind, Link, SyncCursor, SyncRecord, SyncRun

from .cursors import now, procore_window
from .explain import explain_exception
from .runs import run_log
from .stamps import stamped_times
from .stops import RUN_STOPS

FULL_EVERY = timedelta(hours=24)
ID_CHUNK = 100  # ids per `filters[id][]` read: keeps the URL short
COMMIT_EVERY = 50  # records judged per database commit
FULL, PROJECT = "procore-full", "procore-project:"  # cursor sources: the last whole read; one per project
State, Action = Link.State, SyncRecord.Action

def synced_projects(connection) -> list[str]:
    """Procore ids of the projects synced to Xero: the only ones whose financial records can be exported."""
    return sorted(Link.objects.filter(connection=connection, kind=Kind.PROJECT, state=State.SYNCED)
                  .exclude(xero_id="").exclude(procore_id="").values_list("procore_id", flat=True))


@dataclass
class Window:
    connection: object
    kind: str
    until: datetime
    projects: list[str]  # what this run reads, in order
    since: dict[str, datetime | None]  # project → where its last complete read ended (None: never read)
    full: bool  # the daily (or "Sync now") whole read of every project
    record_id: str | None = None  # a webhook's one-record run: reads it by id, never moves a cursor
    narrowed: bool = False  # a one-record run or a preview: never moves a cursor
    held: set = field(default_factory=set)  # projects whose window stays open
    pending: dict = field(default_factory=dict)  # (project id, list) → {record ids}
    run: object = None  # where a record that cannot be judged is logged
    finished: set = field(default_factory=set)  # read by an earlier task of this run: their cursors stay
    done: list = field(default_factory=list)  # projects this task finished: a checkpoint moves their cursors
    current: str | None = None
    stamped: dict | None = None  # Procore id → updated_at of our own origin stamp (read when first needed)

    @classmethod
    def open(cls, ctx, kind: str, projects: list[str]) -> Window:
        until = now()
        cursors = {source: datetime.fromisoformat(value) for source, value in SyncCursor.objects.filter(
            connection=ctx.connection, kind=kind, source__startswith="procore").values_list("source", "value")
            if value}
        last_full = cursors.get(FULL)
        full = (last_full is None or until - last_full >= FULL_EVERY or ctx.run.trigger == SyncRun.Trigger.MANUAL)
        since = {str(p): cursors.get(PROJECT + str(p)) for p in projects}
        projects = [str(p) for p in projects]
        if ctx.record_id:
            remembered = (Link.objects.filter(connection=ctx.connection, kind=kind, procore_id=str(ctx.record_id))
                          .values_list("project_id", flat=True).first())
            if remembered in since:
                projects = [remembered]
        window = cls(ctx.connection, kind, until, projects, since, full, record_id=ctx.record_id,
                     narrowed=bool(ctx.record_id) or ctx.dry_run, run=ctx.run)
        # A run going on in a later task: the projects its earlier tasks finished are read since then only.
        resumed = ctx.run.tasks > 1
        if (not full or resumed) and not ctx.record_id:
            window.pending = owed(ctx.connection, kind)
            window.full = full or None in window.pending  # an owed record of unknown place: read everything
        if resumed:  # the projects an earlier task of this run finished: only what they still owe is read
            window.finished = {p for p in projects if since[p] and since[p] >= ctx.run.started_at}
        ctx.checkpoints.append(window.checkpoint)
        return window

    def query(self, project_id) -> dict:
        """The filters of one project's read: by id for a one-record run, else what changed since its cursor."""
        if self.record_id:
            return {"filters[id][]": [_id(self.record_id)]}
        since = None if self.full else self.since.get(str(project_id))
        span = procore_window(since, self.until)
        return {"filters[updated_at]": f"{span[0]}...{span[1]}"} if span else {}

    def read(self, list_fn, project_id, list_name: str = "") -> list[dict]:
        """One project's records for this run: `list_fn(query)` returns a list (all pages).

        With records owed an answer, one whole read (a project's list fits a page) costs fewer calls than the
        changes plus the owed ones by id; what it brings beyond those is dropped, as if never read."""
        if self.current is not None and self.current != str(project_id):
            self.done.append(self.current)  # a project is read, judged and exported before the next is read
        self.current = str(project_id)
        owed_ids = self.pending.get((str(project_id), list_name), set())
        records = {}
        if str(project_id) not in self.finished:
            query = self.query(project_id)
            if owed_ids and "filters[updated_at]" in query:
                start = datetime.fromisoformat(query["filters[updated_at]"].split("...")[0])
                return [r for r in list_fn({}) if str(r["id"]) in owed_ids or (_changed_since(r, start)
                                                                              and not self._ours(r))]
            records = {str(r["id"]): r for r in list_fn(query) if not self._ours(r)}
        missing = sorted(owed_ids - records.keys())
        for start in range(0, len(missing), ID_CHUNK):
            chunk = [_id(i) for i in missing[start:start + ID_CHUNK]]
            for record in list_fn({"filters[id][]": chunk}):
                records.setdefault(str(record["id"]), record)
        return list(records.values())

    def _ours(self, record: dict) -> bool:
        """Listed only because our origin stamp touched it (sync.stamps): not a change, in a run that reads
        changes; the daily and "Sync now" whole reads judge it anyway (also what a person changed within the
        same second as the stamp: Procore's times have whole seconds)."""
        if self.full or self.record_id:
            return False
        if self.stamped is None:
            self.stamped = stamped_times(self.connection, self.kind)
        return bool(record.get("updated_at")) and self.stamped.get(str(record.get("id"))) == record["updated_at"]

    def judge(self, project_id, records: list[dict], judge: Callable[[dict], object],
              label: Callable[[dict], str]) -> list:
        """What `judge` makes of each record read (falsy results dropped), the bookkeeping of COMMIT_EVERY
        records in one commit. A record that fails undoes only its own writes of that step, is logged with its
        reason, and keeps its project's window open.

        No remote call happens inside a transaction (it would hold SQLite's write lock through an HTTP call or
        a wait for the rate budget): a judge that must read more of a record (a commitment's lines) is a
        generator that yields the read — `lines = (yield lambda: client.read(...))` — and the batch's reads
        are made between its commits, then each judge goes on with its answer."""
        out = []
        if self.record_id:
            records = [record for record in records if str(record["id"]) == str(self.record_id)]
        for start in range(0, len(records), COMMIT_EVERY):
            steps = [(record, lambda record=record: _begin(judge, record))
                     for record in records[start:start + COMMIT_EVERY]]
            while steps:
                reads = []
                with transaction.atomic():
                    for record, advance in steps:
                        self._step(project_id, record, label, advance, out, reads)
                steps = []
                for record, generator, read in reads:  # outside any transaction
                    try:
                        answer = read()
                    except RUN_STOPS:
                        raise
                    except Exception as exc:  # one record: log it, the run goes on, the window stays open
                        generator.close()
                        self._failed(project_id, record, label, exc)
                        continue
                    steps.append((record, lambda g=generator, a=answer: _resume(g, a)))
        return out

    def _step(self, project_id, record, label, advance, out: list, reads: list) -> None:
        try:
            with transaction.atomic():
                result, read = advance()
        except RUN_STOPS:  # the budget, the time limit, our database: the run's business
            raise
        except Exception as exc:  # one record: log it, the run goes on, the window stays open
            self._failed(project_id, record, label, exc)
            return
        if read is not None:
            reads.append((record, *read))
        elif result:
            out.append(result)

    def _failed(self, project_id, record, label, exc) -> None:
        self.hold(project_id)
        message, hint = explain_exception(exc)
        run_log(self.run, Action.FAILED, label=label(record), procore_id=record["id"], message=message, hint=hint)

    def hold(self, project_id) -> None:
        """A record of this project could not be read or judged: the next run reads its window again."""
        self.held.add(str(project_id))

    def checkpoint(self) -> None:
        """The run stops before its end (rate budget, time limit): keep what the finished projects read.
        Records judged there but not sent yet are ready or exporting, so the next task reads them by id."""
        self._save(self.done, whole=False)

    def close(self) -> None:
        self._save(self.projects, whole=self.full)

    def _save(self, projects, *, whole: bool) -> None:
        if self.narrowed:
            return
        moment = self.until.isoformat()
        with transaction.atomic():
            for project_id in projects:
                if project_id not in self.held and project_id not in self.finished:
                    SyncCursor.objects.update_or_create(connection=self.connection, kind=self.kind,
                                                        source=PROJECT + project_id, defaults={"value": moment})
            if whole and not self.held:
                SyncCursor.objects.update_or_create(connection=self.connection, kind=self.kind, source=FULL,
                                                    defaults={"value": moment})


def _begin(judge, record):
    """(result, None) when the judge is done; (None, (generator, read)) when it waits for a remote read."""
    result = judge(record)
    return _resume(result, None) if inspect.isgenerator(result) else (result, None)


def _resume(generator, answer):
    try:
        read = generator.send(answer)
    except StopIteration as done:
        return done.value, None
    return None, (generator, read)


def _changed_since(record: dict, start: datetime) -> bool:
    """What `filters[updated_at]=start...` would have listed (a record without a time: listed)."""
    try:
        return datetime.fromisoformat(record["updated_at"]) >= start
    except (KeyError, TypeError, ValueError):
        return True


def _id(value):
    value = str(value)
    return int(value) if value.isdigit() else value


def owed(connection, kind: str) -> dict:
    """(project id, list) → ids of the records a run must read again even though Procore did not change them:
    ready and exporting ones, and waiting ones whose prerequisite (vendor, project, commitment, item) is in
    Xero now."""
    links = list(Link.objects.filter(connection=connection, kind=kind,
                                     state__in=(State.READY, State.EXPORTING, State.WAITING))
                 .values_list("procore_id", "state", "project_id", "source_list", "waiting_for_kind",
                              "waiting_for_id"))
    needed = {wait_kind for _id, state, _p, _l, wait_kind, _w in links if state == State.WAITING and wait_kind}
    met = {wait_kind: set(Link.objects.filter(connection=connection, kind=wait_kind, state=State.SYNCED)
                          .exclude(xero_id="").values_list("procore_id", flat=True))
           for wait_kind in needed}
    out = defaultdict(set)
    for procore_id, state, project_id, list_name, wait_kind, wait_id in links:
        if state == State.WAITING and (not wait_kind or wait_id not in met.get(wait_kind, set())):
            continue  # still waiting (a change of the record itself shows in its window)
        if not project_id:
            out[None] = set()  # recorded before windows existed: only a full read finds it
            continue
        out[(project_id, list_name)].add(procore_id)
    return out
