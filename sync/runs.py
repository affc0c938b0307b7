"""A sync run and its per-record log: what accountants read."""

from __future__ import annotations

from collections import Counter
from contextlib import contextmanager

from django.conf import settings
from django.db.models import Count, F
from django.utils import timezone

from connector.locks import Lease, LockUnavailable, run_lock_name
from connector.models import Link, SyncRecord, SyncRun

Action = SyncRecord.Action
COUNTERS = {Action.CREATED: "created", Action.UPDATED: "updated", Action.LINKED: "linked",
            Action.SKIPPED: "skipped", Action.FAILED: "failed", Action.DELETED: "updated"}
LOG_EVERY = 100


class RunInProgress(Exception):
    """Another run of this kind for this connection holds the lock."""


@contextmanager
def run_lock(connection_id: int, kind: str, ttl_s: float | None = None):
    """Never two runs of one kind for one connection at once.

    A lock of `connector.locks` (an owner token in Redis, else a row of the lock table), with a short expiry
    renewed while the run works: only its holder frees it, and a worker killed mid-run frees it within
    RUN_LOCK_TTL_S seconds, so the next run (or the sweeper) takes the work up.
    """
    try:
        lease = Lease(run_lock_name(connection_id, kind), ttl_s or settings.RUN_LOCK_TTL_S)
    except LockUnavailable:
        raise RunInProgress(f"a {kind} sync is already running for connection {connection_id}") from None
    try:
        yield
    finally:
        lease.end()


def run_start(*, connection, kind: str, direction: str, trigger: str, dry_run: bool = False) -> SyncRun:
    return SyncRun.objects.create(connection=connection, kind=kind, direction=direction, trigger=trigger,
                                  dry_run=dry_run, heartbeat_at=timezone.now())


def run_pause(run: SyncRun, *, resume_at, why: str) -> SyncRun:
    """Paused, not finished: its log and counts so far are kept; the same row goes on at `resume_at`."""
    run_log_flush(run)
    at = timezone.localtime(resume_at).strftime("%H:%M")
    run.status, run.resume_at = SyncRun.Status.PAUSED, resume_at
    run.message = f"Paused — continues at {at}. {why}."
    run.save(update_fields=["status", "resume_at", "message"])
    return run


def run_continue(run_id: int) -> SyncRun | None:
    """Take a paused run up again (None: it is not paused any more, another task took it up)."""
    if not SyncRun.objects.filter(pk=run_id, status=SyncRun.Status.PAUSED).update(
            status=SyncRun.Status.RUNNING, resume_at=None, tasks=F("tasks") + 1, heartbeat_at=timezone.now()):
        return None
    return SyncRun.objects.get(pk=run_id)


def run_log(run: SyncRun, action: str, *, link: Link | None = None, label: str = "", procore_id="", xero_id="",
            message: str = "", hint: str = "") -> SyncRecord:
    """One line of the run's log. Lines are written LOG_EVERY at a time (and when the run ends), with the
    run's counters: the admin follows a run as it goes, and a record costs no write of its own. The links
    carry each record's state and reason, so a worker killed mid-run loses at most a few log lines."""
    record = SyncRecord(
        run=run, link=link if link is not None and link.pk else None, action=action,
        label=(label or (link.label if link else ""))[:255],
        procore_id=str(procore_id or (link.procore_id if link else "")),
        xero_id=str(xero_id or (link.xero_id if link else "")), message=message, hint=hint,
    )
    buffer = run.__dict__.setdefault("_log", [])
    buffer.append(record)
    if len(buffer) >= LOG_EVERY:
        run_log_flush(run)
    return record


def run_log_flush(run: SyncRun) -> None:
    records = run.__dict__.pop("_log", None)
    if not records:
        return
    linked = {r.link_id for r in records if r.link_id}
    alive = set(Link.objects.filter(pk__in=linked).values_list("pk", flat=True)) if linked else set()
    for record in records:
        if record.link_id and record.link_id not in alive:  # removed meanwhile (e.g. merged into another)
            record.link = None
    SyncRecord.objects.bulk_create(records)
    counts = Counter(COUNTERS[r.action] for r in records)
    SyncRun.objects.filter(pk=run.pk).update(heartbeat_at=timezone.now(),
                                             **{name: F(name) + n for name, n in counts.items()})


def run_progress(run: SyncRun, selected: int) -> None:
    SyncRun.objects.filter(pk=run.pk).update(total=F("total") + selected, heartbeat_at=timezone.now())


def run_finish(run: SyncRun, *, status: str | None = None, message: str = "") -> SyncRun:
    run_log_flush(run)
    run.refresh_from_db()
    counted = Counter()
    for action, n in SyncRecord.objects.filter(run=run).values_list("action").annotate(n=Count("id")):
        counted[COUNTERS[action]] += n
    for name in set(COUNTERS.values()):
        setattr(run, name, counted[name])
    if status is None:
        status = SyncRun.Status.PARTIAL if run.failed else SyncRun.Status.SUCCEEDED
    run.status, run.message, run.finished_at = status, message, timezone.now()
    run.save(update_fields=["status", "message", "finished_at", *sorted(set(COUNTERS.values()))])
    return run
