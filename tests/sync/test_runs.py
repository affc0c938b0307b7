"""Runs: two runs of one kind for one connection never overlap (each worker has its own database session),
and the per-record log is written in groups with counts that end exact."""

import threading

import pytest
from django.db import connections

from sync.runs import RunInProgress, run_lock


def try_lock_elsewhere(connection_id, kind) -> bool:
    """Whether another worker (thread, own database session) could take the lock now."""
    outcome = {}

    def worker():
        try:
            with run_lock(connection_id, kind):
                outcome["got"] = True
        except RunInProgress:
            outcome["got"] = False
        finally:
            connections.close_all()

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    return outcome["got"]


@pytest.mark.django_db(transaction=True)
def test_a_second_run_of_the_same_kind_waits_its_turn():
    with run_lock(1, "project"):
        assert not try_lock_elsewhere(1, "project")
        assert try_lock_elsewhere(1, "cost_code") and try_lock_elsewhere(2, "project")
    assert try_lock_elsewhere(1, "project")  # released afterwards


@pytest.mark.django_db
def test_a_run_cut_off_by_a_killed_worker_is_closed_by_the_next_one(connection):
    from connector.models import Kind, SyncRun
    from sync.services import sync_kind_run

    stale = SyncRun.objects.create(connection=connection, kind=Kind.PROJECT, direction="export", trigger="schedule")
    sync_kind_run(connection_id=connection.pk, kind=Kind.PROJECT)
    stale.refresh_from_db()
    assert stale.status == SyncRun.Status.FAILED and "Interrupted" in stale.message


@pytest.mark.django_db
def test_the_log_is_written_in_groups_and_the_counts_end_exact(connection):
    from connector.models import Link, SyncRecord, SyncRun
    from sync.runs import LOG_EVERY, run_finish, run_log, run_start

    run = run_start(connection=connection, kind="vendor", direction=SyncRun.Direction.EXPORT, trigger="manual")
    gone = Link.objects.create(connection=connection, kind="vendor", procore_id="1", label="Merged away")
    run_log(run, SyncRecord.Action.LINKED, link=gone, message="Linked.")
    gone.delete()  # merged into another link before the log was written: the line stays, without its link
    for n in range(LOG_EVERY):
        run_log(run, SyncRecord.Action.CREATED if n % 2 else SyncRecord.Action.FAILED, label=f"R{n}", message="…")
    assert SyncRecord.objects.filter(run=run).count() == LOG_EVERY  # one group written as the run goes
    assert SyncRun.objects.get(pk=run.pk).failed == LOG_EVERY // 2  # and the live counters with it

    run_log(run, SyncRecord.Action.UPDATED, label="last")
    run = run_finish(run)
    assert (run.created, run.failed, run.linked, run.updated) == (LOG_EVERY // 2, LOG_EVERY // 2, 1, 1)
    assert run.records.get(label="Merged away").link is None and run.status == SyncRun.Status.PARTIAL
