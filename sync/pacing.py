"""One rate budget per Xero organisation and per Procore company, shared by every worker.

Counts live in the cache (Redis in production) so all processes draw from the same budget:
- windows: calls per rolling window, estimated from two fixed buckets (the usual sliding-window
  approximation), e.g. Xero 60 per 60 s, Procore 25 per 10 s and 3,600 per hour;
- slots: at most N calls in flight (Xero allows 5 per organisation); each slot expires on its own,
  so a worker killed mid-call cannot leak one.
Waiting happens here, before the call, so the remote limit is rarely hit; when it is anyway, the
clients honour Retry-After and the engine parks the connection for the daily limit.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache


class BudgetExhausted(Exception):
    """No capacity within the wait allowed; retry the task later."""

    def __init__(self, name: str, retry_after: float):
        super().__init__(f"rate budget {name} exhausted; retry in {retry_after:.0f}s")
        self.retry_after = retry_after


@dataclass(frozen=True)
class Window:
    calls: int
    seconds: float


class SharedBudget:
    def __init__(self, name: str, windows: list[Window], slots: int | None = None, max_wait_s: float = 120.0,
                 slot_ttl_s: int = 120, sleep=time.sleep, now=time.time):
        self.name, self.windows, self.slots = name, windows, slots
        self.max_wait_s, self.slot_ttl_s = max_wait_s, slot_ttl_s
        self._sleep, self._now = sleep, now
        self._held = threading.local()

    # -- the pacer interface the clients call ------------------------------------------------------
    def before_request(self) -> float:
        waited = 0.0
        blocked_until = cache.get(f"budget:{self.name}:blocked-until")
        if blocked_until and blocked_until > self._now():  # a neighbour was told to back off
            waited = self._wait(blocked_until - self._now(), waited)
        while True:
            delay = self._take_window()
            if delay == 0.0:
                break
            waited = self._wait(delay, waited)
        if self.slots:
            while not self._take_slot():
                waited = self._wait(0.05, waited)
        return waited

    def on_rate_limited(self, retry_after: float) -> bool:
        """The remote said 429 (minute/concurrent): every worker of this account waits Retry-After."""
        if retry_after > self.max_wait_s:
            return False
        until = self._now() + retry_after
        cache.set(f"budget:{self.name}:blocked-until", until, int(retry_after) + 1)
        self._sleep(retry_after)
        return True

    def after_response(self, headers) -> None:
        slot = getattr(self._held, "slot", None)
        if slot is not None:
            cache.delete(slot)
            self._held.slot = None
        day_left = (headers or {}).get("X-DayLimit-Remaining")
        if day_left is not None:
            cache.set(f"budget:{self.name}:day-remaining", day_left, 24 * 3600)

    # -- internals -----------------------------------------------------------------------------------
    def _wait(self, delay: float, waited: float) -> float:
        if waited + delay > self.max_wait_s:
            raise BudgetExhausted(self.name, delay)
        self._sleep(delay)
        return waited + delay

    def _take_window(self) -> float:
        """Count this call in every window, or undo and return how long to wait."""
        now = self._now()
        taken = []
        for window in self.windows:
            bucket = int(now // window.seconds)
            key = f"budget:{self.name}:{window.seconds}:{bucket}"
            cache.add(key, 0, int(window.seconds * 2) + 1)
            try:
                current = cache.incr(key)
            except ValueError:  # expired between add and incr
                cache.set(key, 1, int(window.seconds * 2) + 1)
                current = 1
            taken.append(key)
            previous = cache.get(f"budget:{self.name}:{window.seconds}:{bucket - 1}", 0)
            elapsed = (now % window.seconds) / window.seconds
            if previous * (1 - elapsed) + current > window.calls:
                for undo in taken:
                    cache.decr(undo)
                # The estimate falls as the previous bucket ages out; wait a slice of the window.
                return max(0.05, min(window.seconds / max(window.calls, 1), window.seconds * (1 - elapsed)))
        return 0.0

    def _take_slot(self) -> bool:
        for index in range(self.slots):
            key = f"budget:{self.name}:slot:{index}"
            if cache.add(key, 1, self.slot_ttl_s):
                self._held.slot = key
                return True
        return False


def day_remaining(name: str) -> str | None:
    return cache.get(f"budget:{name}:day-remaining")


def xero_budget(tenant_id: str) -> SharedBudget | None:
    if not settings.RATE_BUDGETS_ENABLED:
        return None
    return SharedBudget(f"xero:{tenant_id}", [Window(settings.XERO_CALLS_PER_MINUTE, 60.0)],
                        slots=settings.XERO_CONCURRENT_CALLS)


def procore_budget(company_id: int) -> SharedBudget | None:
    if not settings.RATE_BUDGETS_ENABLED:
        return None
    return SharedBudget(f"procore:{company_id}", [Window(settings.PROCORE_CALLS_PER_10S, 10.0),
                                                  Window(settings.PROCORE_CALLS_PER_HOUR, 3600.0)])
