"""Xero's limits on the state's (speedable) clock: per organisation 60 calls in any rolling 60 s, 5,000 in
any rolling 24 h (1,000 on the Starter tier), 5 in flight; per app 10,000 in any rolling 60 s.

`clock_speed` (POST /_sandbox/faults) shortens every window by that factor, /_sandbox/clock/advance moves
them on. Retry-After is given in wall-clock seconds, i.e. already divided by the clock speed, so a client
that honours it waits the right amount of real time. Refused calls are not counted.
"""

from __future__ import annotations

import math
from collections import defaultdict, deque

MINUTE_LIMIT = 60
DAY_LIMIT = 5000
STARTER_DAY_LIMIT = 1000
CONCURRENT_LIMIT = 5
APP_MINUTE_LIMIT = 10000


class RateLimited(Exception):
    def __init__(self, problem: str, retry_after: int) -> None:
        super().__init__(problem)
        self.problem, self.retry_after = problem, retry_after


class RateLimiter:
    def __init__(self, state) -> None:
        self.state = state
        self.clear()

    def clear(self) -> None:
        self.minute: dict[str, deque] = defaultdict(deque)
        self.day: dict[str, deque] = defaultdict(deque)
        self.app_minute: deque = deque()
        self.in_flight: dict[str, int] = defaultdict(int)

    def day_limit(self) -> int:
        return STARTER_DAY_LIMIT if self.state.faults.starter_tier else DAY_LIMIT

    def _wall(self, virtual_seconds: float) -> int:
        return max(1, math.ceil(virtual_seconds / max(self.state.clock.speed, 0.001)))

    def acquire(self, tenant: str) -> None:
        """Count one call (raises RateLimited instead when a limit is hit). Caller holds state.lock."""
        faults, now = self.state.faults, self.state.limit_now()
        if faults.force_429 > 0:
            faults.force_429 -= 1
            raise RateLimited(faults.force_429_problem, 86400 if faults.force_429_problem == "day" else 1)
        minute, day = self.minute[tenant], self.day[tenant]
        for window, span in ((minute, 60), (day, 86400), (self.app_minute, 60)):
            while window and window[0] <= now - span:
                window.popleft()
        if faults.rate_limits:
            if self.in_flight[tenant] >= CONCURRENT_LIMIT:
                raise RateLimited("concurrent", 1)
            if len(day) >= self.day_limit():
                raise RateLimited("day", self._wall(day[0] + 86400 - now))
            if len(minute) >= MINUTE_LIMIT:
                raise RateLimited("minute", self._wall(minute[0] + 60 - now))
            if len(self.app_minute) >= APP_MINUTE_LIMIT:
                raise RateLimited("appminute", self._wall(self.app_minute[0] + 60 - now))
        minute.append(now)
        day.append(now)
        self.app_minute.append(now)
        self.in_flight[tenant] += 1

    def release(self, tenant: str) -> None:
        with self.state.lock:
            self.in_flight[tenant] = max(0, self.in_flight[tenant] - 1)

    def headers(self, tenant: str) -> dict[str, str]:
        return {
            "X-MinLimit-Remaining": str(max(0, MINUTE_LIMIT - len(self.minute[tenant]))),
            "X-DayLimit-Remaining": str(max(0, self.day_limit() - len(self.day[tenant]))),
            "X-AppMinLimit-Remaining": str(max(0, APP_MINUTE_LIMIT - len(self.app_minute))),
        }

    def preload(self, tenant: str, minute_used: int | None = None, day_used: int | None = None) -> None:
        """Pretend calls were already made now (tests reach the day limit without 5,000 calls)."""
        now = self.state.limit_now()
        if minute_used is not None:
            self.minute[tenant] = deque([now] * minute_used)
        if day_used is not None:
            self.day[tenant] = deque([now] * day_used)
