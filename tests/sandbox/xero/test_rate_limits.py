"""60/min, 5,000/day (1,000 on the Starter tier), 5 in flight — per organisation, with Xero's headers."""

import threading

import requests

from sandbox.xero.limits import APP_MINUTE_LIMIT

from .helpers import CA_TENANT, Api, connect, control


def test_minute_limit_with_headers_retry_after_and_recovery(xero_sandbox, api):
    first = api.get("/Organisation")
    assert first.headers["X-MinLimit-Remaining"] == "59"
    assert first.headers["X-DayLimit-Remaining"] == "4999"
    assert int(first.headers["X-AppMinLimit-Remaining"]) > 0
    for _ in range(59):
        last = api.get("/Organisation")
    assert last.status_code == 200 and last.headers["X-MinLimit-Remaining"] == "0"
    refused = api.get("/Organisation")
    assert refused.status_code == 429
    assert (
        refused.headers["X-Rate-Limit-Problem"] == "minute" and 1 <= int(refused.headers["Retry-After"]) <= 60
    )
    other_org = Api(xero_sandbox, connect(xero_sandbox, CA_TENANT), CA_TENANT)
    assert other_org.get("/Organisation").status_code == 200  # limits are per organisation
    control(xero_sandbox, "clock/advance", {"seconds": 60})
    assert api.get("/Organisation").status_code == 200
    assert control(xero_sandbox, "stats", method="GET")["throttled"] == 1


def test_clock_speed_shortens_retry_after(xero_sandbox, api):
    control(xero_sandbox, "faults", {"clock_speed": 60})
    control(xero_sandbox, "limits", {"minute_used": 60})
    refused = api.get("/Organisation")
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "1"


def test_day_limit(xero_sandbox, api):
    control(xero_sandbox, "limits", {"day_used": 4999})
    assert api.get("/Organisation").headers["X-DayLimit-Remaining"] == "0"
    refused = api.get("/Organisation")
    assert refused.status_code == 429 and refused.headers["X-Rate-Limit-Problem"] == "day"
    assert int(refused.headers["Retry-After"]) > 3600


def test_starter_tier_has_1000_calls_a_day(xero_sandbox, api):
    control(xero_sandbox, "faults", {"starter_tier": True})
    control(xero_sandbox, "limits", {"day_used": 999})
    assert api.get("/Organisation").status_code == 200
    assert api.get("/Organisation").headers["X-Rate-Limit-Problem"] == "day"


def test_rate_limits_can_be_switched_off(xero_sandbox, api):
    control(xero_sandbox, "faults", {"rate_limits": False})
    control(xero_sandbox, "limits", {"minute_used": 60, "day_used": 5000})
    assert api.get("/Organisation").status_code == 200


def test_forced_429_burst(xero_sandbox, api):
    control(xero_sandbox, "faults", {"force_429": 2, "force_429_problem": "day"})
    statuses = [api.get("/Organisation") for _ in range(3)]
    assert [r.status_code for r in statuses] == [429, 429, 200]
    assert statuses[0].headers["X-Rate-Limit-Problem"] == "day"


def test_at_most_five_calls_in_flight(xero_sandbox, api):
    control(xero_sandbox, "faults", {"latency_ms": 1000})
    barrier, results = threading.Barrier(8), []

    def call():
        barrier.wait()
        results.append(api.get("/Organisation"))

    threads = [threading.Thread(target=call) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    refused = [r for r in results if r.status_code == 429]
    assert sum(r.status_code == 200 for r in results) <= 5 and refused
    assert {r.headers["X-Rate-Limit-Problem"] for r in refused} == {"concurrent"}
    control(xero_sandbox, "faults", {"latency_ms": 0})
    assert requests.get(f"{api.base}/Organisation", headers=api.headers, timeout=5).status_code == 200


def test_the_minute_rolls_instead_of_resetting(xero_sandbox, api):
    assert all(api.get("/Organisation").status_code == 200 for _ in range(30))
    control(xero_sandbox, "clock/advance", {"seconds": 30})
    assert all(api.get("/Organisation").status_code == 200 for _ in range(30))
    assert api.get("/Organisation").status_code == 429
    control(xero_sandbox, "clock/advance", {"seconds": 30.5})  # the first 30 left the last 60 s, not the others
    assert all(api.get("/Organisation").status_code == 200 for _ in range(30))
    refused = api.get("/Organisation")
    assert refused.status_code == 429 and refused.headers["X-Rate-Limit-Problem"] == "minute"
    assert 25 <= int(refused.headers["Retry-After"]) <= 30  # when the second 30 leave (less the calls' own time)


def test_the_app_wide_minute_is_enforced(xero_sandbox, api):
    limits = xero_sandbox.state.limits
    with xero_sandbox.state.lock:  # 10,000 calls of other organisations in the last minute
        limits.app_minute.extend([xero_sandbox.state.limit_now()] * APP_MINUTE_LIMIT)
    refused = api.get("/Organisation")
    assert refused.status_code == 429 and refused.headers["X-Rate-Limit-Problem"] == "appminute"
    control(xero_sandbox, "clock/advance", {"seconds": 60})
    assert api.get("/Organisation").status_code == 200
