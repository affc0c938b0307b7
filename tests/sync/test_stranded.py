"""Stranded work goes on by itself: a run whose worker died, a paused run whose continuation was lost; and a
second beat started by mistake sends nothing."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from connector.locks import Lease
from connector.models import Kind, SyncRun
from sync.tasks import sweep_task
from tests.sandboxes import data

Status = SyncRun.Status


def cut_off_run(connection, **fields) -> SyncRun:
    """A run as a SIGKILLed worker leaves it: "running", its heartbeat old, nobody holding its lock."""
    old = timezone.now() - timedelta(minutes=10)
    run = SyncRun.objects.create(connection=connection, kind=Kind.COST_CODE, direction=SyncRun.Direction.EXPORT,
                                 trigger=SyncRun.Trigger.SCHEDULE, heartbeat_at=old, **fields)
    SyncRun.objects.filter(pk=run.pk).update(started_at=old)
    return run


@pytest.mark.django_db
def test_a_run_whose_worker_died_is_continued_by_the_sweeper_and_ends_done(connection, xero_sandbox):
    run = cut_off_run(connection)
    assert sweep_task() == [run.pk]  # tasks run in-process here: the continuation has run already
    run.refresh_from_db()
    assert run.status in (Status.SUCCEEDED, Status.PARTIAL) and run.tasks == 2 and run.created > 0
    assert SyncRun.objects.filter(connection=connection).count() == 1  # one run, not a new one
    assert data(xero_sandbox, "Items") and sweep_task() == []


@pytest.mark.django_db
def test_a_run_whose_worker_lives_is_left_alone(connection, settings):
    run = cut_off_run(connection)
    lease = Lease(f"sync-run:{connection.pk}:{Kind.COST_CODE}", ttl=60)  # a worker still holds it
    try:
        assert sweep_task() == []
    finally:
        lease.end()
    run.refresh_from_db()
    assert run.status == Status.RUNNING


@pytest.mark.django_db
def test_a_paused_run_whose_continuation_was_lost_is_queued_again(connection, xero_sandbox):
    run = cut_off_run(connection, status=Status.PAUSED, resume_at=timezone.now() - timedelta(minutes=30))
    assert sweep_task() == [run.pk]
    run.refresh_from_db()
    assert run.status in (Status.SUCCEEDED, Status.PARTIAL) and run.tasks == 2
    on_time = cut_off_run(connection, status=Status.PAUSED, resume_at=timezone.now() + timedelta(minutes=5))
    assert sweep_task() == [] and SyncRun.objects.get(pk=on_time.pk).status == Status.PAUSED


@pytest.mark.django_db
def test_the_sweeper_is_scheduled_every_two_minutes():
    call_command("setup_periodic_tasks", stdout=open("/dev/null", "w"))
    sweeper = PeriodicTask.objects.get(task="sync.sweep")
    assert sweeper.enabled and (sweeper.interval.every, sweeper.interval.period) == (2, "minutes")


@pytest.mark.django_db
def test_a_second_beat_waits_as_a_standby_until_the_first_is_gone(monkeypatch):
    import importlib

    celery_app = importlib.import_module("settings.celery_app")  # the module (the package exports the app)
    first = Lease("celery-beat", ttl=60)  # the beat that runs
    waited = []

    def standby(seconds):  # the second beat polls: the first one stops meanwhile
        waited.append(seconds)
        first.end()

    monkeypatch.setattr(celery_app, "_beat_lease", None)
    monkeypatch.setattr("time.sleep", standby)
    celery_app.single_beat()
    assert waited == [celery_app.STANDBY_POLL_S] and celery_app._beat_lease is not None
    celery_app._beat_lease.end()


@pytest.mark.django_db(transaction=True)
def test_a_beat_whose_lock_another_beat_took_stops(settings):
    import threading

    from connector import locks
    from connector.models import Lock

    stopped = threading.Event()
    lease = Lease("celery-beat", ttl=0.3, on_lost=stopped.set)
    try:  # it lapsed and the standby took it
        if settings.REDIS_URL:
            locks._redis(settings.REDIS_URL).set("lock:celery-beat", "the standby's token")
        else:
            Lock.objects.filter(name="celery-beat").update(owner="the standby")
        assert stopped.wait(timeout=10)
    finally:
        lease.end()
        if settings.REDIS_URL:
            locks._redis(settings.REDIS_URL).delete("lock:celery-beat")
