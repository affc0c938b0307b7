"""Default pacer: read X-Rate-Limit-* and slow down before the wall instead of hitting 429.

The engine can plug its shared per-company budget in instead: any object with `before_request()` and
`after_response(headers)` will do.
"""

from __future__ import annotations

import threading
import time


class HeaderPacer:
    def __init__(
        self, max_sleep_s: float = 60.0, reserve_ratio: float = 0.1, sleep=time.sleep, now=time.time
    ):
        self.max_sleep_s, self.reserve_ratio = max_sleep_s, reserve_ratio
        self._sleep, self._now = sleep, now
        self._lock = threading.Lock()
        self.limit = self.remaining = self.reset = None

    def before_request(self) -> float:
        """Sleep if the window is nearly spent: spread what is left until the reset. Returns the delay."""
        with self._lock:
            if self.remaining is None or self.reset is None or self.limit is None:
                return 0.0
            left = max(0.0, self.reset - self._now())
            reserve = max(1, int(self.limit * self.reserve_ratio))
            if self.remaining > reserve or left == 0:
                self.remaining -= 1
                return 0.0
            delay = left if self.remaining <= 0 else left / (self.remaining + 1)
            delay = min(delay, self.max_sleep_s)
            self.remaining -= 1
        self._sleep(delay)
        return delay

    def after_response(self, headers) -> None:
        try:
            limit = int(headers["X-Rate-Limit-Limit"])
            remaining = int(headers["X-Rate-Limit-Remaining"])
            reset = float(headers["X-Rate-Limit-Reset"])
        except (KeyError, TypeError, ValueError):
            return
        with self._lock:
            self.limit, self.remaining, self.reset = limit, remaining, reset
