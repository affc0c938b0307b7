"""Day one on a real `celery worker --concurrency=3`, every kind at once, against both sandboxes with their
rate limits on: the shared budgets keep all three processes (and this one) inside Xero's and Procore's
windows, so neither sandbox ever answers 429.

The limits are the real ones on clocks sped up SPEED times (the sandboxes' `clock_speed`, the connector's
RATE_CLOCK_SPEED), so Xero's minute passes in 30 s and Procore's 10 s in 5.
"""

import pytest
import requests

from connector.models import SyncRun
from connector.pacing import pacing_forget
from sandbox.procore import ratelimit
from sandbox.xero.limits import CONCURRENT_LIMIT, DAY_LIMIT, MINUTE_LIMIT
from sync.services import available_kinds
from sync.tasks import sync_kind_task
from tests.sandboxes import faults
from tests.workers import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
SPEED = 2  # Procore's 10 s window lasts 5 s: the small company's day one fills it, even on a busy machine
PASSES = 3


@pytest.fixture
def sped_up(sandbox_settings, connection, procore_sandbox, xero_sandbox):
    """Both sandboxes' limits on at SPEED, the connector's windows shortened to match (before the worker starts)."""
    faults(procore_sandbox, xero_sandbox, rate_limits=True, clock_speed=SPEED)
    sandbox_settings.RATE_BUDGETS_ENABLED, sandbox_settings.RATE_CLOCK_SPEED = True, SPEED
    pacing_forget()  # the calls logged on the old clock: the sandboxes' headers tell what they still count
    return connection


@pytest.fixture
def arrivals(sped_up, procore_sandbox, xero_sandbox, monkeypatch):
    """Every call each sandbox let through, stamped on its own (sped-up) clock; Xero's with the calls in flight."""
    seen = {"procore": [], "xero": []}
    take, limits = ratelimit.take, xero_sandbox.state.limits
    acquire = limits.acquire

    def counted_take(state, client_key):
        allowed, headers = take(state, client_key)
        if allowed:
            seen["procore"].append(state.now())
        return allowed, headers

    def counted_acquire(tenant):
        acquire(tenant)
        seen["xero"].append((limits.state.limit_now(), limits.in_flight[tenant]))

    monkeypatch.setattr(ratelimit, "take", counted_take)
    monkeypatch.setattr(limits, "acquire", counted_acquire)
    return seen


def most_in_a_window(stamps, seconds):
    """The most calls in any (t - seconds, t]: how the sandboxes count."""
    stamps, most, first = sorted(stamps), 0, 0
    for last, stamp in enumerate(stamps):
        while stamps[first] <= stamp - seconds:
            first += 1
        most = max(most, last - first + 1)
    return most


def throttled(server) -> int:
    return requests.get(f"{server.url}/_sandbox/stats", timeout=10).json()["throttled"]


@pytest.mark.parametrize("celery_worker_process", [3], indirect=True)
def test_day_one_on_three_processes_gets_no_429(sped_up, arrivals, celery_worker_process, procore_sandbox,
                                                xero_sandbox, capsys):
    from bench.phases import decide

    connection = sped_up
    for _ in range(PASSES):  # every kind at once, then what the accountant decides (which queues exports)
        results = [sync_kind_task.delay(connection.pk, kind, "manual") for kind in available_kinds()]
        for result in results:
            result.get(timeout=600)
        decide(connection)
    assert wait_for(lambda: not SyncRun.objects.filter(connection=connection,
                                                       status=SyncRun.Status.RUNNING).exists(), timeout=600)

    xero = [stamp for stamp, _ in arrivals["xero"]]
    measured = {
        "procore calls": len(arrivals["procore"]), "xero calls": len(xero),
        "procore most in 10 s": most_in_a_window(arrivals["procore"], 10),
        "procore most in an hour": most_in_a_window(arrivals["procore"], 3600),
        "xero most in 60 s": most_in_a_window(xero, 60), "xero most in a day": most_in_a_window(xero, 86400),
        "xero most in flight": max((flying for _, flying in arrivals["xero"]), default=0),
        "429s": throttled(procore_sandbox) + throttled(xero_sandbox),
    }
    with capsys.disabled():
        print(f"\nrate limits at {SPEED}x, worker --concurrency=3: {measured}")
    assert measured["429s"] == 0
    paused = SyncRun.objects.filter(connection=connection, message__icontains="rate limit")
    assert not paused.exists(), [r.message for r in paused]  # nor did a run give up waiting
    assert measured["procore most in 10 s"] <= 25 and measured["procore most in an hour"] <= 3600
    assert measured["xero most in 60 s"] <= MINUTE_LIMIT and measured["xero most in a day"] <= DAY_LIMIT
    assert measured["xero most in flight"] <= CONCURRENT_LIMIT
    assert measured["procore most in 10 s"] == 25, "the run never reached Procore's limit: it proves nothing"
