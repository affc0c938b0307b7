"""Procore's two rate-limit windows (hourly and a 10-second "spike" window), per app client and company, rolling.

Procore documents an hourly and a 10-second window without saying whether they roll or reset on a boundary;
we emulate the stricter reading: a call is refused when the last 3,600 s (or 10 s) already hold the limit,
so no stretch of that length ever sees more. Every call that reaches the API counts, whatever its answer
(Procore: failed calls count too), except the refused ones.

Windows run on the state's clock: `clock_speed` (POST /_sandbox/faults) shortens both windows by that
factor and /_sandbox/clock/advance moves them on. `X-Rate-Limit-Reset` is in real epoch seconds and
`Retry-After` in real seconds, so a client's sleeps are right at any clock speed.
"""

from __future__ import annotations

import math
import time
from collections import deque

HOUR = 3600.0


def _window(state, key: str, length: float, limit: int, now: float) -> dict:
    window = state.rate_windows.setdefault(key, {"calls": deque()})
    window["limit"], window["length"] = limit, length
    calls = window["calls"]
    while calls and calls[0] <= now - length:  # (now - length, now] is the window
        calls.popleft()
    return window


def take(state, client_key: str) -> tuple[bool, dict]:
    """Count one call; return (allowed, headers)."""
    settings = state.settings
    with state.lock:
        now = state.now()
        windows = [
            _window(state, f"{client_key}:hour", HOUR, int(settings["hourly_limit"]), now),
            _window(state, f"{client_key}:spike", float(settings["spike_window_s"]), int(settings["spike_limit"]),
                    now),
        ]
        blocked = [w for w in windows if len(w["calls"]) >= w["limit"]]
        if not blocked:
            for w in windows:
                w["calls"].append(now)
        # Report the window closest to exhaustion (what Procore does); when blocked, the one that blocks.
        shown = max(blocked or windows, key=lambda w: (len(w["calls"]) / max(w["limit"], 1), w["length"]))
        calls, speed = shown["calls"], state.clock.speed
        # When the oldest call leaves the window, i.e. when one more call is allowed.
        seconds_left = max(0.0, (calls[0] + shown["length"] - now) / speed) if calls else 0.0
        headers = {
            "X-Rate-Limit-Limit": str(shown["limit"]),
            "X-Rate-Limit-Remaining": str(max(0, shown["limit"] - len(calls))),
            "X-Rate-Limit-Reset": str(math.ceil(time.time() + seconds_left)),
        }
        if blocked:
            headers["Retry-After"] = str(max(1, math.ceil(seconds_left)))
            headers["_window"] = "an hour" if shown["length"] == HOUR else f"{shown['length']:g} seconds"
        return not blocked, headers
