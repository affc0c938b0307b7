"""Procore's hourly and 10-second windows roll: no stretch of that length ever answers more than the limit."""

from tests.procore_client.support import bearer, control
from tests.sandbox.procore.test_rules import V0, get


def calls(sandbox, headers, n):
    return [get(sandbox, f"{V0}/me", headers) for _ in range(n)]


def test_the_10_second_window_rolls_instead_of_resetting(sandbox):
    headers = bearer(sandbox)
    control(sandbox, "faults", {"rate_limits": True})
    control(sandbox, "settings", {"spike_limit": 3, "hourly_limit": 1000})
    assert calls(sandbox, headers, 1)[0].status_code == 200
    control(sandbox, "clock/advance", {"seconds": 9})
    assert [a.status_code for a in calls(sandbox, headers, 2)] == [200, 200]
    control(sandbox, "clock/advance", {"seconds": 1.5})  # a fixed window begun by the first call has reset here
    answers = calls(sandbox, headers, 2)
    assert [a.status_code for a in answers] == [200, 429]  # only the first call left the last 10 s
    assert 8 <= int(answers[1].headers["Retry-After"]) <= 9  # when the two calls made at 9 s leave the window
    assert answers[1].headers["X-Rate-Limit-Remaining"] == "0"


def test_the_hourly_window_rolls_too(sandbox):
    headers = bearer(sandbox)
    control(sandbox, "faults", {"rate_limits": True})
    control(sandbox, "settings", {"spike_limit": 100, "hourly_limit": 2})
    calls(sandbox, headers, 1)
    control(sandbox, "clock/advance", {"seconds": 3000})
    calls(sandbox, headers, 1)
    control(sandbox, "clock/advance", {"seconds": 700})
    assert [a.status_code for a in calls(sandbox, headers, 2)] == [200, 429]
    refused = calls(sandbox, headers, 1)[0]
    assert refused.headers["X-Rate-Limit-Limit"] == "2" and 2800 <= int(refused.headers["Retry-After"]) <= 2900


def test_headers_name_the_window_closest_to_its_limit_and_when_a_call_frees(sandbox):
    headers = bearer(sandbox)
    control(sandbox, "faults", {"rate_limits": True})
    first = calls(sandbox, headers, 1)[0]
    assert first.headers["X-Rate-Limit-Limit"] == "25" and first.headers["X-Rate-Limit-Remaining"] == "24"
    control(sandbox, "settings", {"hourly_limit": 4})
    later = calls(sandbox, headers, 2)[1]
    assert later.headers["X-Rate-Limit-Limit"] == "4" and later.headers["X-Rate-Limit-Remaining"] == "1"


def test_clock_speed_shortens_both_windows(sandbox):
    headers = bearer(sandbox)
    control(sandbox, "faults", {"rate_limits": True, "clock_speed": 10})
    control(sandbox, "settings", {"spike_limit": 2, "hourly_limit": 1000})
    refused = calls(sandbox, headers, 3)[2]
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "1"  # 10 s at 10× in real seconds
    control(sandbox, "settings", {"spike_limit": 1000, "hourly_limit": 3})
    control(sandbox, "clock/advance", {"seconds": 10})
    refused = calls(sandbox, headers, 2)[1]
    assert refused.status_code == 429 and 359 <= int(refused.headers["Retry-After"]) <= 360
