"""Stranded work: runs whose worker died, and paused runs whose continuation never came.

A worker killed mid-run leaves its run "running"; its lock expires RUN_LOCK_TTL_S later (nobody renews it)
and its heartbeat stops moving. The sweeper (beat, every few minutes) takes such a run's lock — proof that no
worker holds it — marks it interrupted, and hands it back to be continued like a paused run. A paused run
still waiting SWEEP_LATE_S after its time lost its queued continuation (the embedded broker drops a task
its worker had fetched; a Redis restart can lose one): it is handed back too. A continuation delivered twice
takes the run up once (`run_continue`).
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from connector.models import SyncRun

from .runs import RunInProgress, run_lock

Status = SyncRun.Status


def sweep_stranded() -> list[SyncRun]:
    """The runs to continue now: each is paused with `resume_at` now or earlier."""
    now = timezone.now()
    stale = now - timedelta(seconds=settings.RUN_LOCK_TTL_S)
    again = []
    quiet = SyncRun.objects.filter(status=Status.RUNNING).filter(
        Q(heartbeat_at__lt=stale) | Q(heartbeat_at__isnull=True, started_at__lt=stale))
    for run in quiet:
        try:
            with run_lock(run.connection_id, run.kind):
                interrupted = SyncRun.objects.filter(pk=run.pk, status=Status.RUNNING).update(
                    status=Status.PAUSED, resume_at=now,
                    message=f"Interrupted (its worker stopped) — continues at {timezone.localtime(now):%H:%M}.")
        except RunInProgress:  # its worker is alive (a long wait for the rate budget, say)
            continue
        if interrupted:
            again.append(run.pk)
    late = now - timedelta(seconds=settings.SWEEP_LATE_S)
    again += SyncRun.objects.filter(status=Status.PAUSED, resume_at__lt=late).values_list("pk", flat=True)
    return list(SyncRun.objects.filter(pk__in=again))
