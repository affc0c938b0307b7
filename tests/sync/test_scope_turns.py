"""A scheduled scope with SYNC_SCOPE_KIND_PER_TASK: one kind per worker task, the next kind queued at the back,
so many connections on one deployment take turns instead of one holding a worker for its whole scope."""

import pytest

from connector.models import Kind, SyncRun
from sync import tasks
from tests.sync.test_resume import projects_spend_the_budget_once


@pytest.fixture
def queued(monkeypatch):
    """The broker: what the task queued, in order, without running it."""
    sent = []

    class Sent:
        id = "next-task"

    def apply_async(args, kwargs=None, eta=None):
        sent.append((args, kwargs or {}, eta))
        return Sent()

    monkeypatch.setattr(tasks.sync_scope_task, "apply_async", apply_async)
    return sent


@pytest.mark.django_db
def test_each_kind_of_a_scope_is_its_own_task_queued_behind_the_others(connection, procore_sandbox, xero_sandbox,
                                                                      settings, queued):
    settings.SYNC_SCOPE_KIND_PER_TASK = True
    first = tasks.sync_scope_task(connection.pk, "company", "schedule")
    assert set(first) == {Kind.COST_CODE, "next", "then"} and first["then"] == "next-task"
    assert SyncRun.objects.filter(connection=connection).values_list("kind", flat=True).get() == Kind.COST_CODE
    args, kwargs, eta = queued.pop(0)
    assert kwargs == {"resume_kind": Kind.PROJECT} and eta is None  # at once, at the back of the queue
    second = tasks.sync_scope_task(*args, **kwargs)
    assert Kind.PROJECT in second and Kind.COST_CODE not in second and queued[0][1] == {"resume_kind": Kind.VENDOR}
    args, kwargs, _ = queued.pop(0)
    third = tasks.sync_scope_task(*args, **kwargs)
    assert Kind.VENDOR in third and "next" not in third and "then" not in third and not queued
    kinds = SyncRun.objects.filter(connection=connection).values_list("kind", flat=True)
    assert sorted(kinds) == sorted([Kind.COST_CODE, Kind.PROJECT, Kind.VENDOR])


@pytest.mark.django_db
def test_without_it_one_task_runs_the_whole_scope(connection, procore_sandbox, xero_sandbox, settings, queued):
    settings.SYNC_SCOPE_KIND_PER_TASK = False
    result = tasks.sync_scope_task(connection.pk, "company", "schedule")
    assert set(result) == {Kind.COST_CODE, Kind.PROJECT, Kind.VENDOR} and not queued


@pytest.mark.django_db
def test_a_kind_that_pauses_goes_on_in_its_own_run_and_then_hands_over_to_the_next(
        connection, procore_sandbox, xero_sandbox, settings, queued, monkeypatch):

    settings.SYNC_SCOPE_KIND_PER_TASK = True
    projects_spend_the_budget_once(monkeypatch, connection)
    tasks.sync_scope_task(connection.pk, "company", "schedule", resume_kind=Kind.PROJECT)
    args, kwargs, eta = queued.pop(0)
    assert kwargs["resume_kind"] == Kind.PROJECT and kwargs["run_id"] and eta is not None  # when the budget allows
    resumed = tasks.sync_scope_task(*args, **kwargs)
    assert resumed[Kind.PROJECT] == "succeeded" and queued[0][1] == {"resume_kind": Kind.VENDOR}
    assert SyncRun.objects.get(connection=connection, kind=Kind.PROJECT).tasks == 2
