"""Two runs of one kind for one connection never overlap (each worker has its own database session)."""

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
