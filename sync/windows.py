"""Incremental reads of Procore's per-project financial lists (commitments, change orders, invoices).

Procore lists these per project only, so a run costs at least one call per project and list; to keep it at
that, a run reads what changed since the last run (`filters[updated_at]`) plus the records it still owes an
answer: links ready or exporting, and waiting ones whose missing prerequisite (vendor, project, commitment,
item) is in Xero now. A read is full on the first run, once a day, and when a person presses "Sync now": a
change a window cannot see (a line edited without touching its parent) is never missed for long. The cursor moves only when the run read everything it meant
to; a record that could not be read keeps the window open for the next run.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import NamedTuple

from connector.models import Kind, Link, SyncRun

from .cursors import cursor_get, cursor_set, now, procore_window

FULL_EVERY = timedelta(hours=24)
ID_CHUNK = 100  # ids per `filters[id][]` read: keeps the URL short
State = Link.State

# What a waiting record waits for → the kind of link that, once synced to Xero, ends the wait.
PREREQUISITES = {"vendor": Kind.VENDOR, "project": Kind.PROJECT, "commitment": Kind.COMMITMENT,
                 "cost_code": Kind.COST_CODE}


class Problem(NamedTuple):
    """Why a record cannot be exported yet, in plain words, and what ends the wait (when a link does)."""

    message: str
    hint: str
    wait_for: tuple[str, str] | None = None  # ("vendor" | "project" | "commitment" | "cost_code", procore id)


@dataclass
class Window:
    connection: object
    kind: str
    until: datetime
    since: datetime | None
    full: bool
    narrowed: bool = False  # a webhook's one-record run: reads as usual, never moves the cursor
    held: bool = False
    pending: dict = field(default_factory=dict)  # (project id, list) → {record ids}

    @classmethod
    def open(cls, ctx, kind: str) -> Window:
        until = now()
        since = cursor_get(ctx.connection, kind, "procore")
        last_full = cursor_get(ctx.connection, kind, "procore-full")
        full = (since is None or last_full is None or until - last_full >= FULL_EVERY
                or ctx.run.trigger == SyncRun.Trigger.MANUAL)
        window = cls(ctx.connection, kind, until, since, full, narrowed=bool(ctx.record_id) or ctx.dry_run)
        if not full:
            window.pending = owed(ctx.connection, kind)
            window.full = None in window.pending  # an owed record of unknown place: read everything
        return window

    def query(self) -> dict:
        """The filters of the changed-records read."""
        span = None if self.full else procore_window(self.since, self.until)
        return {"filters[updated_at]": f"{span[0]}...{span[1]}"} if span else {}

    def read(self, list_fn, project_id, list_name: str = "") -> list[dict]:
        """One project's records for this run: `list_fn(query)` returns a list (all pages)."""
        records = {str(r["id"]): r for r in list_fn(self.query())}
        owed_ids = sorted(self.pending.get((str(project_id), list_name), set()) - records.keys())
        for start in range(0, len(owed_ids), ID_CHUNK):
            chunk = [int(i) if i.isdigit() else i for i in owed_ids[start:start + ID_CHUNK]]
            for record in list_fn({"filters[id][]": chunk}):
                records.setdefault(str(record["id"]), record)
        return list(records.values())

    def hold(self) -> None:
        """A record could not be read or judged: the next run reads this window again."""
        self.held = True

    def close(self) -> None:
        if self.held or self.narrowed:
            return
        cursor_set(self.connection, self.kind, "procore", self.until)
        if self.full:
            cursor_set(self.connection, self.kind, "procore-full", self.until)


def remember(link: Link, *, project_id, list_name: str = "", wait_for: tuple[str, str] | None = None) -> None:
    """Where to read a record again (its project and list) and what it waits for; stored on its link."""
    data = {**link.data, "project": str(project_id), "list": list_name}
    if wait_for:
        data["wait_for"] = list(wait_for)
    else:
        data.pop("wait_for", None)
    if data != link.data:
        link.data = data
        link.save(update_fields=["data"])


def owed(connection, kind: str) -> dict:
    """(project id, list) → ids of the records a run must read again even though Procore did not change them."""
    links = list(Link.objects.filter(connection=connection, kind=kind,
                                     state__in=(State.READY, State.EXPORTING, State.FAILED))
                 .values_list("procore_id", "state", "data"))
    needed = {PREREQUISITES.get((data or {}).get("wait_for", [""])[0]) for _id, state, data in links
              if state == State.FAILED and (data or {}).get("waiting")}
    met = {kind_: set(Link.objects.filter(connection=connection, kind=kind_, state=State.SYNCED)
                      .exclude(xero_id="").values_list("procore_id", flat=True))
           for kind_ in needed if kind_}
    out = defaultdict(set)
    for procore_id, state, data in links:
        data = data or {}
        if state == State.FAILED:
            prerequisite = data.get("wait_for")
            if not data.get("waiting") or not prerequisite:
                continue  # refused by Xero (a person retries it) or waits for a change in Procore itself
            if str(prerequisite[1]) not in met.get(PREREQUISITES.get(prerequisite[0], ""), set()):
                continue
        if "project" not in data:
            out[None] = set()  # recorded before windows existed: only a full read finds it
            continue
        out[(data["project"], data.get("list", ""))].add(procore_id)
    return out
