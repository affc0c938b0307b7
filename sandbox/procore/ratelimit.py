"""Procore's two rate-limit windows (hourly and a 10-second "spike" window), per app client.

Windows run on the state's clock (`clock_speed` makes an hour pass quickly). `X-Rate-Limit-Reset` is
reported in the caller's real epoch seconds and `Retry-After` in real seconds, so a client's sleeps are right
at any clock speed.
"""

from __future__ import annotations

import math
import time

HOUR = 3600.0


def _window(state, key: str, length: float, limit: int) -> dict:
    now = state.now()
    window = state.rate_windows.get(key)
    if window is None or now >= window["start"] + length:
        window = state.rate_windows[key] = {"start": now, "count": 0, "limit": limit, "length": length}
    window["limit"] = limit
    return window


def take(state, client_key: str) -> tuple[bool, dict]:
    """Count one call; return (allowed, headers)."""
    settings = state.settings
    with state.lock:
        windows = [
            _window(state, f"{client_key}:hour", HOUR, int(settings["hourly_limit"])),
            _window(
                state, f"{client_key}:spike", float(settings["spike_window_s"]), int(settings["spike_limit"])
            ),
        ]
        blocked = [w for w in windows if w["count"] >= w["limit"]]
        if not blocked:
            for w in windows:
                w["count"] += 1
        # Report the window closest to exhaustion (what Procore does); when blocked, the one that blocks.
        shown = max(blocked or windows, key=lambda w: (w["count"] / max(w["limit"], 1), w["length"]))
        now_virtual, speed = state.now(), state.clock.speed
        seconds_left = max(0.0, (shown["start"] + shown["length"] - now_virtual) / speed)
        headers = {
            "X-Rate-Limit-Limit": str(shown["limit"]),
            "X-Rate-Limit-Remaining": str(max(0, shown["limit"] - shown["count"])),
            "X-Rate-Limit-Reset": str(math.ceil(time.time() + seconds_left)),
        }
        if blocked:
            headers["Retry-After"] = str(max(1, math.ceil(seconds_left)))
            headers["_window"] = "hour" if shown["length"] == HOUR else "10 seconds"
        return not blocked, headers
