"""The shared budget keeps every process of one account inside the remote's limits, in every window.

Many processes draw from one store (Redis, or the SQLite file of the embedded default) on one controlled
clock that moves only when every process sleeps, to the earliest wake-up: hours of limits pass in seconds,
a call lasts exactly what it was meant to, and the outcome does not depend on the machine's speed. Each call is logged from its admission to its answer, as the store
counted them; the remote counts it somewhere in between, so a window is over its limit if more calls than
the limit *touch* it.
"""

import multiprocessing
import random
import uuid

import pytest
from django.conf import settings

from connector import pacing
from connector.pacing import Budget, BudgetExhausted, Pacer, Window
from connector.pacing_stores import LEASE_S, RedisStore, SQLiteStore

FORK = multiprocessing.get_context("fork")
START_MS = 1_000_000_000


class SharedClock(pacing.Clock):
    """One clock for every process: it moves only when someone sleeps (to the end of their sleep)."""

    def __init__(self, value):
        self.value = value

    def now(self):
        return self.value.value / 1000

    def sleep(self, seconds):
        start = self.value.value
        with self.value.get_lock():
            self.value.value = max(self.value.value, start + max(1, int(seconds * 1000)))


class VirtualClock(pacing.Clock):
    """Discrete-event time for N processes: time jumps to the earliest wake-up once all of them sleep."""

    RUNNING, DONE = -1, -2

    def __init__(self, value, wakes, condition, me):
        self.value, self.wakes, self.condition, self.me = value, wakes, condition, me

    def now(self):
        return self.value.value / 1000

    def sleep(self, seconds):
        with self.condition:
            self.wakes[self.me] = self.value.value + max(1, int(seconds * 1000))
            while self.value.value < self.wakes[self.me]:
                earliest = min(w for w in self.wakes if w >= 0)
                if all(w != self.RUNNING for w in self.wakes) and earliest > self.value.value:
                    self.value.value = earliest
                    self.condition.notify_all()
                if self.value.value < self.wakes[self.me]:
                    self.condition.wait(timeout=60)
            self.wakes[self.me] = self.RUNNING

    def done(self):
        with self.condition:
            self.wakes[self.me] = self.DONE
            self.condition.notify_all()


@pytest.fixture(params=["sqlite", pytest.param("redis", marks=pytest.mark.redis)])
def backend(request, tmp_path):
    """How a process opens the shared store: ("sqlite", path) or ("redis", url)."""
    if request.param == "redis":
        spec = ("redis", settings.REDIS_URL)
    else:
        spec = ("sqlite", str(tmp_path / "pacing.sqlite3"))
    opened = open_store(spec)
    opened.forget()
    if spec[0] == "sqlite":
        opened.close()  # the test's processes are forked from this one: no open SQLite handle goes with them
    return spec


def open_store(spec):
    return RedisStore(spec[1]) if spec[0] == "redis" else SQLiteStore(spec[1])


@pytest.fixture
def clock():
    value = FORK.Value("q", START_MS)
    old = pacing.use_clock(SharedClock(value))
    yield value
    pacing.use_clock(old)


def account(platform="xero"):
    return f"{platform}:{uuid.uuid4().hex[:12]}"


XERO = (Window("minute", 60, 60.0), Window("day", 5000, 86400.0))
PROCORE = (Window("10 seconds", 25, 10.0), Window("hour", 3600, 3600.0))
TIGHT = (Window("second", 4, 1.0), Window("minute", 30, 60.0))  # both windows bind within a few hundred calls


# -- many processes -----------------------------------------------------------------------------------------
def _hammer(spec, budget, clock_parts, me, calls, out):
    """One worker process: `calls` calls as fast as the budget allows, each lasting a random time."""
    clock = VirtualClock(*clock_parts, me)
    pacing.use_clock(clock)
    pacer, rng = Pacer(budget, max_wait_s=10**9, store_=open_store(spec)), random.Random(me)
    shortest = min(w.seconds for w in budget.windows)
    log = []
    try:
        for _ in range(calls):
            pacer.before_request()
            clock.sleep(rng.choice([0.0001, 0.001, 0.01, 0.05, 0.2]) * shortest)  # the call itself
            pacer.after_response({})
            log.append(pacer.last_call)
    finally:
        clock.done()
    out.put(log)


def run_processes(spec, budget, processes, calls):
    out = FORK.Queue()
    clock_parts = (FORK.Value("q", START_MS), FORK.Array("q", [VirtualClock.RUNNING] * processes),
                   FORK.Condition())
    workers = [FORK.Process(target=_hammer, args=(spec, budget, clock_parts, n, calls, out))
               for n in range(processes)]
    for worker in workers:
        worker.start()
    logs = [out.get(timeout=300) for _ in workers]
    for worker in workers:
        worker.join(timeout=30)
        assert worker.exitcode == 0
    return [call for log in logs for call in log]


def most_calls_touching_a_window(calls, seconds):
    """The most calls whose [admitted, answered] overlaps one closed window of `seconds` (any position)."""
    span = int(seconds * 1000)
    events = sorted([(admitted, 0) for admitted, _ in calls] + [(answered + span, 1) for _, answered in calls])
    most = current = 0
    for _, ends in events:  # at equal times a start is counted before an end: the window is closed
        current += -1 if ends else 1
        most = max(most, current)
    return most


def most_admitted_in_a_window(calls, seconds):
    """The most admissions in any closed window of `seconds` (what a log of admitted calls shows)."""
    stamps, span, most, first = sorted(a for a, _ in calls), int(seconds * 1000), 0, 0
    for last, stamp in enumerate(stamps):
        while stamps[first] < stamp - span:
            first += 1
        most = max(most, last - first + 1)
    return most


def most_in_flight(calls):
    events = sorted([(admitted, 1) for admitted, _ in calls] + [(answered, 0) for _, answered in calls])
    most = current = 0
    for _, starts in events:  # an answer at the instant of an admission has freed its place
        current += 1 if starts else -1
        most = max(most, current)
    return most


@pytest.mark.parametrize("windows, concurrency, processes, calls", [
    (XERO, 5, 6, 60),
    (PROCORE, 0, 6, 40),
    (TIGHT, 3, 6, 40),
], ids=["xero", "procore", "two-binding-windows"])
def test_many_processes_never_put_more_than_the_limit_in_any_window(backend, windows, concurrency, processes,
                                                                    calls):
    budget = Budget(account(), windows, concurrency=concurrency)
    log = run_processes(backend, budget, processes, calls)

    assert len(log) == processes * calls
    for window in windows:
        touching = most_calls_touching_a_window(log, window.seconds)
        assert most_admitted_in_a_window(log, window.seconds) <= touching <= window.calls, window
        if window.calls <= len(log) // 2:  # a window the demand saturates is filled to the limit, not less
            assert touching == window.calls, window
    if concurrency:
        assert most_in_flight(log) <= concurrency


def test_at_most_n_calls_in_flight_across_processes(backend, clock):
    """Five calls held by one process: a sixth elsewhere waits; it goes once one of the five is answered."""
    budget = Budget(account(), XERO, concurrency=5)
    held, answer_one, answered = FORK.Event(), FORK.Event(), FORK.Event()
    holder = FORK.Process(target=_hold_five, args=(backend, budget, clock, held, answer_one, answered))
    holder.start()
    try:
        assert held.wait(60)
        sixth = Pacer(budget, max_wait_s=1, store_=open_store(backend))
        with pytest.raises(BudgetExhausted) as refused:
            sixth.before_request()
        assert refused.value.window == "concurrent"
        answer_one.set()
        assert answered.wait(60)
        sixth.before_request()  # a place is free
        sixth.after_response({})
    finally:
        answer_one.set()
        holder.join(timeout=30)
    assert holder.exitcode == 0


def _hold_five(spec, budget, value, held, answer_one, answered):
    pacing.use_clock(SharedClock(value))
    store = open_store(spec)
    pacers = [Pacer(budget, max_wait_s=60, store_=store) for _ in range(5)]
    pacers[0].before_request()
    pacers[0].after_response({})  # the first answer seeds the budget; then five at once
    for pacer in pacers:
        pacer.before_request()
    held.set()
    answer_one.wait(60)
    pacers[0].after_response({})
    answered.set()


# -- what the remote says ---------------------------------------------------------------------------------
def make_pacer(backend, budget, max_wait_s=1000):
    return Pacer(budget, max_wait_s=max_wait_s, store_=open_store(backend))


def test_after_a_flush_the_headers_say_what_was_already_spent(backend, clock):
    budget = Budget(account(), XERO, concurrency=5)
    before = make_pacer(backend, budget)
    for _ in range(3):
        before.before_request()
        before.after_response({"X-MinLimit-Remaining": "57", "X-DayLimit-Remaining": "4990"})
    open_store(backend).forget()  # Redis restarted: the log is empty, Xero still counts

    first, second = make_pacer(backend, budget, max_wait_s=0.5), make_pacer(backend, budget, max_wait_s=0.5)
    first.before_request()  # one call at a time until an answer tells what is left
    with pytest.raises(BudgetExhausted) as waiting:
        second.before_request()
    assert waiting.value.window == "first answer"
    first.after_response({"X-MinLimit-Remaining": "2", "X-DayLimit-Remaining": "3000",
                          "X-AppMinLimit-Remaining": "9000"})
    for _ in range(2):
        second.before_request()
        second.after_response({})
    with pytest.raises(BudgetExhausted) as spent:
        second.before_request()
    assert spent.value.window == "minute" and 59 <= spent.value.retry_after <= 60.1

    patient = make_pacer(backend, budget)
    assert 59 <= patient.before_request() <= 60.1  # waits the minute out instead of calling
    patient.after_response({})


def test_the_app_wide_minute_counts_too(backend, clock):
    pacer = make_pacer(backend, Budget(account(), XERO, concurrency=5), max_wait_s=0.5)
    pacer.before_request()
    pacer.after_response({"X-MinLimit-Remaining": "58", "X-AppMinLimit-Remaining": "0"})
    with pytest.raises(BudgetExhausted):
        pacer.before_request()


def test_headers_count_whatever_their_case_and_without_a_call_of_ours(backend, clock):
    """HTTP header names are case-insensitive; answers to calls made elsewhere teach the budget too."""
    pacer = make_pacer(backend, Budget(account(), XERO, concurrency=5), max_wait_s=0.5)
    pacer.after_response({"x-minlimit-remaining": "1"})
    pacer.after_response({"X-MINLIMIT-REMAINING": "0"})
    with pytest.raises(BudgetExhausted) as spent:
        pacer.before_request()
    assert spent.value.window == "minute"


def test_the_day_reported_spent_stops_calls_for_the_day(backend, clock):
    pacer = make_pacer(backend, Budget(account(), XERO, concurrency=5), max_wait_s=120)
    pacer.before_request()
    pacer.after_response({"X-MinLimit-Remaining": "59", "X-DayLimit-Remaining": "0"})
    with pytest.raises(BudgetExhausted) as spent:
        pacer.before_request()
    assert spent.value.window == "day" and spent.value.retry_after > 86000
    assert "daily call limit" in str(spent.value)


def test_procore_headers_seed_the_window_they_name(backend, clock):
    pacer = make_pacer(backend, Budget(account("procore"), PROCORE), max_wait_s=0.5)
    pacer.before_request()
    pacer.after_response({"X-Rate-Limit-Limit": "25", "X-Rate-Limit-Remaining": "1", "X-Rate-Limit-Reset": "0"})
    pacer.before_request()
    pacer.after_response({})
    with pytest.raises(BudgetExhausted) as spent:
        pacer.before_request()
    assert spent.value.window == "10 seconds"
    hourly = make_pacer(backend, Budget(account("procore"), PROCORE), max_wait_s=0.5)
    hourly.before_request()
    hourly.after_response({"X-Rate-Limit-Limit": "3600", "X-Rate-Limit-Remaining": "0"})
    with pytest.raises(BudgetExhausted) as spent:
        hourly.before_request()
    assert spent.value.window == "hour" and spent.value.retry_after > 3500


def test_a_429_makes_every_worker_of_the_account_wait(backend, clock):
    budget = Budget(account(), XERO, concurrency=5)
    told, neighbour = make_pacer(backend, budget), make_pacer(backend, budget)
    told.before_request()
    told.after_response({"Retry-After": "30", "X-Rate-Limit-Problem": "minute"})
    assert told.on_rate_limited(30) is True
    assert 29.9 <= neighbour.before_request() <= 30.1
    procore = Budget(account("procore"), PROCORE)
    told, neighbour = make_pacer(backend, procore), make_pacer(backend, procore, max_wait_s=5)
    told.before_request()
    told.after_response({"Retry-After": "7", "X-Rate-Limit-Limit": "25", "X-Rate-Limit-Remaining": "0"})
    with pytest.raises(BudgetExhausted):
        neighbour.before_request()  # 7 s is more than this one may wait


def test_a_call_that_never_got_its_answer_ends_with_the_next(backend, clock):
    """An exception between request and answer leaves no place taken once the client calls again."""
    budget = Budget(account(), XERO, concurrency=1)
    pacer = make_pacer(backend, budget, max_wait_s=0.5)
    pacer.before_request()
    pacer.after_response({})
    pacer.before_request()  # …and the connection broke: no after_response
    pacer.before_request()  # concurrency 1: would wait forever if the first were still in flight
    pacer.after_response({})


def test_a_worker_killed_mid_call_frees_its_place_when_the_lease_ends(backend, clock):
    budget = Budget(account(), XERO, concurrency=1)
    dead = make_pacer(backend, budget)
    dead.before_request()
    dead.after_response({})
    dead.before_request()  # never answered: the process died
    alive = make_pacer(backend, budget, max_wait_s=LEASE_S + 1)
    assert LEASE_S - 1 <= alive.before_request() <= LEASE_S + 1


# -- configuration ------------------------------------------------------------------------------------------
def test_budgets_follow_the_settings(settings):
    settings.XERO_CALLS_PER_DAY, settings.RATE_CLOCK_SPEED = 1000, 10
    budget = pacing.xero_budget("t-1")
    assert [(w.label, w.calls, w.seconds) for w in budget.windows] == [("minute", 60, 6.0), ("day", 1000, 8640.0)]
    assert budget.concurrency == 5
    procore = pacing.procore_budget(42)
    assert procore.name == "procore:42" and [w.calls for w in procore.windows] == [25, 3600]
    settings.RATE_BUDGETS_ENABLED = False
    assert pacing.xero_pacer("t-1") is None and pacing.procore_pacer(42) is None
