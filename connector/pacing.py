"""Exact pacing of API calls per Xero organisation and per Procore company, shared by every process.

Every client `connector.clients` builds gets a `Pacer`; all pacers of one account (web, workers, beat) draw
from one store: Redis when REDIS_URL is set, else a SQLite file under VAR_DIR (one host, `make run`).
Per account the store keeps a log of calls:

- A call is *in flight* from its admission until its answer, then it is logged at the time the answer came
  back. The remote counts a call when it arrives, somewhere between the two, so counting each call from its
  admission until its answer + the window keeps the remote's rolling window under the limit whatever the
  latency.
- A call is admitted only if, in every window, the calls in flight plus those answered within the window
  are fewer than the limit, and (Xero) fewer than N are in flight. Check and insert are one atomic step:
  a Lua script in Redis, an IMMEDIATE transaction in SQLite.
- In-flight calls hold a lease: a worker killed mid-call frees its place when the lease ends, and the call
  stays counted in the windows from then on.
- Every answer's remaining-calls headers are compared with the log. When the remote has counted calls the
  log does not know (Redis flushed or restarted, another client of the same account), the difference is
  logged as calls made now (or, for a window whose shorter window was reported too, just before that
  one). Until the first answer after a flush, one call at a time.
- A Retry-After (429, 503) stops every worker of the account for that long.

Time: the limiter asks `clock()` (one place; tests and benchmarks install their own). The default lets the
store tell the time (Redis TIME, else this host's clock), so every process agrees. `RATE_CLOCK_SPEED`
shortens every window by that factor, to pair with the sandboxes' `clock_speed` knob in a benchmark.
"""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass

from django.conf import settings

from .pacing_stores import store

LIMIT_WORDS = {"day": "daily call limit", "hour": "hourly call limit", "minute": "per-minute call limit",
               "10 seconds": "10-second call limit", "concurrent": "limit of calls at once"}


class BudgetExhausted(Exception):
    """No capacity within the wait allowed; retry the task later (`retry_after` seconds)."""

    def __init__(self, name: str, retry_after: float, window: str):
        self.name, self.retry_after, self.window = name, retry_after, window
        self.platform = name.split(":", 1)[0]
        limit = LIMIT_WORDS.get(window, "call limit")
        super().__init__(f"{self.platform.capitalize()}'s {limit} is used up for now; "
                         f"the sync can go on in about {max(1, round(retry_after))} s.")


@dataclass(frozen=True)
class Window:
    label: str  # "minute", "day", "10 seconds", "hour": what BudgetExhausted and the headers name
    calls: int
    seconds: float


@dataclass(frozen=True)
class Budget:
    name: str  # "xero:<tenant id>" or "procore:<company id>"
    windows: tuple[Window, ...]
    concurrency: int = 0  # 0: no limit on calls in flight

    def __post_init__(self):
        object.__setattr__(self, "windows", tuple(sorted(self.windows, key=lambda w: w.seconds)))

    def remaining(self, headers) -> dict[str, int]:
        """What the remote says is left, per window label (nothing when it does not say)."""
        headers = _lower(headers)
        if self.name.startswith("xero:"):
            return _xero_remaining(headers)
        return _procore_remaining(headers, self.windows)


def _lower(headers) -> dict:
    return {str(name).lower(): value for name, value in (headers or {}).items()}


def _int(value) -> int | None:
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return None


def _xero_remaining(headers) -> dict[str, int]:
    # The app-wide minute limit is spent by every organisation; for ours it caps the same rolling minute.
    minute = [v for v in (_int(headers.get("x-minlimit-remaining")), _int(headers.get("x-appminlimit-remaining")))
              if v is not None]
    found = {"minute": min(minute)} if minute else {}
    day = _int(headers.get("x-daylimit-remaining"))
    if day is not None:
        found["day"] = day
    return found


def _procore_remaining(headers, windows) -> dict[str, int]:
    # Procore reports the window closest to exhaustion: tell which by its limit, else by when it resets.
    limit, left = _int(headers.get("x-rate-limit-limit")), _int(headers.get("x-rate-limit-remaining"))
    if limit is None or left is None:
        return {}
    by_limit = [w for w in windows if w.calls == limit]
    if by_limit:
        return {by_limit[0].label: left}
    shortest = min(windows, key=lambda w: w.seconds)
    reset = _int(headers.get("x-rate-limit-reset"))
    soon = reset is not None and reset - time.time() <= shortest.seconds + 1
    return {(shortest if soon else max(windows, key=lambda w: w.seconds)).label: left}


# -- time ----------------------------------------------------------------------------------------------
class Clock:
    """The limiter's time source. `now()` returns epoch seconds, or None to let the store tell the time."""

    def now(self) -> float | None:
        return None

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


_clock: Clock = Clock()


def clock() -> Clock:
    return _clock


def use_clock(new: Clock | None) -> Clock:
    """Install a clock for every pacer of this process (None: back to the default); returns the old one."""
    global _clock
    old, _clock = _clock, new or Clock()
    return old


# -- the pacer the clients call ------------------------------------------------------------------------
class Pacer:
    """`before_request()` waits for a place (or raises BudgetExhausted), `after_response(headers)` logs the
    answer and learns from its headers, `on_rate_limited(seconds)` makes every worker of the account wait."""

    def __init__(self, budget: Budget, max_wait_s: float | None = None, store_=None):
        self.budget = budget
        self.max_wait_s = settings.RATE_BUDGET_MAX_WAIT_S if max_wait_s is None else max_wait_s
        self._store = store_
        self._held = threading.local()  # the call this thread has in flight (a client makes one at a time)

    @property
    def store(self):
        return self._store or store()

    def _now_ms(self) -> int:
        now = clock().now()
        return -1 if now is None else int(now * 1000)

    def before_request(self) -> float:
        if getattr(self._held, "call", None):  # the previous call ended without an answer (an exception)
            self.after_response({})
        call_id, waited = uuid.uuid4().hex, 0.0
        while True:
            wait_ms, label, now = self.store.admit(self.budget, call_id, self._now_ms())
            if wait_ms <= 0:
                break
            wait = wait_ms / 1000
            if waited + wait > self.max_wait_s:
                raise BudgetExhausted(self.budget.name, wait, label)
            clock().sleep(wait)
            waited += wait
        self._held.call, self._held.admitted = call_id, now
        return waited

    def after_response(self, headers) -> None:
        headers = _lower(headers)
        call_id, self._held.call = getattr(self._held, "call", None), None
        answered = self.store.complete(self.budget, call_id, self._now_ms(), self.budget.remaining(headers))
        if call_id:
            self.last_call = (self._held.admitted, answered)  # ms, as the store counted them (tests read it)
        try:
            retry_after = float(headers.get("retry-after") or 0)
        except ValueError:  # an HTTP date: the client's own wait handles it
            retry_after = 0
        if retry_after > 0:
            problem = str(headers.get("x-rate-limit-problem") or "rate limit").lower()
            self.store.block(self.budget, self._now_ms(), retry_after, problem)

    def on_rate_limited(self, retry_after: float) -> bool:
        """A minute/concurrent 429: every worker of this account waits; True if this one may wait too."""
        self.store.block(self.budget, self._now_ms(), retry_after, "minute")
        return retry_after <= self.max_wait_s


# -- the budgets -----------------------------------------------------------------------------------------
def _scaled(*windows: Window) -> tuple[Window, ...]:
    speed = max(float(settings.RATE_CLOCK_SPEED), 0.001)
    return tuple(Window(w.label, w.calls, w.seconds / speed) for w in windows)


def xero_budget(tenant_id: str) -> Budget:
    return Budget(f"xero:{tenant_id}", _scaled(Window("minute", settings.XERO_CALLS_PER_MINUTE, 60.0),
                                              Window("day", settings.XERO_CALLS_PER_DAY, 86400.0)),
                  concurrency=settings.XERO_CONCURRENT_CALLS)


def procore_budget(company_id: int | None) -> Budget:
    return Budget(f"procore:{company_id or 'unscoped'}",
                  _scaled(Window("10 seconds", settings.PROCORE_CALLS_PER_10S, 10.0),
                          Window("hour", settings.PROCORE_CALLS_PER_HOUR, 3600.0)))


def xero_pacer(tenant_id: str, max_wait_s: float | None = None) -> Pacer | None:
    if not settings.RATE_BUDGETS_ENABLED or not tenant_id:
        return None
    return Pacer(xero_budget(tenant_id), max_wait_s=max_wait_s)


def procore_pacer(company_id: int | None, max_wait_s: float | None = None) -> Pacer | None:
    if not settings.RATE_BUDGETS_ENABLED:
        return None
    return Pacer(procore_budget(company_id), max_wait_s=max_wait_s)


def room_left(budget: Budget) -> dict[str, tuple[int, int]]:
    """Per window label, (calls left, calls allowed) as the shared budget counts them now."""
    counted = store()
    return {w.label: (max(0, w.calls - counted.used(budget, w.seconds)), w.calls) for w in budget.windows}


def pacing_forget() -> None:
    """Forget every account's calls, as a Redis flush would (tests; the headers re-seed what is left)."""
    store().forget()
