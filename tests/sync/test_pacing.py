"""The shared rate budget keeps every worker of one organisation inside Xero's limits."""

import threading

import pytest
import requests
from django.core.cache import cache

from connector.models import Connection, Kind, SyncRun
from sync.pacing import BudgetExhausted, SharedBudget, Window
from sync.services import sync_kind_run


class FakeClock:
    def __init__(self):
        self.now = 1_000_000.0
        self.slept = 0.0

    def time(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds
        self.slept += seconds


@pytest.fixture
def clock():
    cache.clear()
    return FakeClock()


def budget(name, clock, **kwargs):
    return SharedBudget(name, [Window(60, 60.0)], sleep=clock.sleep, now=clock.time, **kwargs)


def test_sixty_calls_a_minute_then_the_next_waits(clock):
    workers = [budget("xero:t1", clock) for _ in range(3)]  # three workers, one budget
    for n in range(60):
        assert workers[n % 3].before_request() == 0.0
    assert workers[0].before_request() > 0  # the 61st call waited for the window to slide
    assert clock.slept > 0


def test_a_budget_that_cannot_refill_in_time_says_so(clock):
    worker = budget("xero:t2", clock, max_wait_s=1)
    for _ in range(60):
        worker.before_request()
    with pytest.raises(BudgetExhausted):
        worker.before_request()


@pytest.mark.redis  # slots need an atomic add: Redis (the file cache of `make run` is one worker's)
def test_at_most_five_calls_in_flight(clock):
    worker = budget("xero:t3", clock, slots=5, max_wait_s=0.2)
    held = []

    def call():
        try:
            worker.before_request()
            held.append(True)
        except BudgetExhausted:
            held.append(False)

    threads = [threading.Thread(target=call) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(held) == [False] + [True] * 5
    worker.after_response({})  # one call done (this thread held none: releases nothing)


def test_a_429_makes_every_worker_of_the_organisation_wait(clock):
    told, neighbour = budget("xero:t4", clock), budget("xero:t4", clock)
    assert told.on_rate_limited(30) is True
    clock.now -= 30  # the neighbour asks while the back-off is still on
    assert neighbour.before_request() >= 29


@pytest.mark.django_db
def test_the_daily_limit_parks_the_connection_and_the_admin_says_so(connection, xero_sandbox, client):
    requests.post(f"{xero_sandbox.url}/_sandbox/faults", json={"force_429": 1, "force_429_problem": "day"},
                  timeout=5).raise_for_status()
    run = sync_kind_run(connection_id=connection.pk, kind=Kind.COST_CODE)
    connection.refresh_from_db()
    assert run.status == SyncRun.Status.PARKED and connection.parked_until is not None
    assert "daily API limit" in connection.parked_reason
    assert sync_kind_run(connection_id=connection.pk, kind=Kind.COST_CODE) is None  # parked: no call made

    from tests.factories import UserFactory

    client.force_login(UserFactory(role="Accountant"))
    page = client.get(f"/admin/connector/connection/{connection.pk}/change/").content.decode()
    assert "Paused until" in page and "daily API limit" in page
    assert Connection.objects.get(pk=connection.pk).status == Connection.Status.ACTIVE


@pytest.mark.django_db
def test_a_minute_429_is_waited_out_and_the_run_finishes(connection, xero_sandbox):
    requests.post(f"{xero_sandbox.url}/_sandbox/faults", json={"force_429": 2, "force_429_problem": "minute"},
                  timeout=5).raise_for_status()
    run = sync_kind_run(connection_id=connection.pk, kind=Kind.COST_CODE)
    assert run.status == SyncRun.Status.PARTIAL and run.created > 0  # partial: the 3 over-long codes
    assert requests.get(f"{xero_sandbox.url}/_sandbox/stats", timeout=5).json()["throttled"] == 2
