"""Injected faults on the Xero API: server errors and the write that succeeds but never answers."""

from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from .helpers import control


def test_error_rate_answers_5xx_without_doing_anything(xero_sandbox, api):
    control(xero_sandbox, "faults", {"error_rate": 1.0})
    answer = api.put("/Contacts?summarizeErrors=false", {"Contacts": [{"Name": "Never Made"}]})
    assert answer.status_code in (500, 503)
    assert "Never Made" not in [c["Name"] for c in xero_sandbox.state.dump("Contacts")]


def test_drop_after_commit_then_idempotent_retry_does_not_duplicate(xero_sandbox, api):
    control(xero_sandbox, "faults", {"drop_after_commit_rate": 1.0})
    body = {"Contacts": [{"Name": "Lost Answer LLC"}]}
    with pytest.raises(requests.ConnectionError):
        api.put("/Contacts?summarizeErrors=false", body, headers={"Idempotency-Key": "drop-1"})
    assert [c["Name"] for c in xero_sandbox.state.dump("Contacts")].count("Lost Answer LLC") == 1
    control(xero_sandbox, "faults", {"drop_after_commit_rate": 0.0})
    retry = api.put("/Contacts?summarizeErrors=false", body, headers={"Idempotency-Key": "drop-1"})
    assert retry.status_code == 200 and retry.json()["Contacts"][0]["StatusAttributeString"] == "OK"
    assert [c["Name"] for c in xero_sandbox.state.dump("Contacts")].count("Lost Answer LLC") == 1


def test_stats_count_calls_per_endpoint(xero_sandbox, api):
    api.get("/Contacts")
    api.get("/Contacts")
    stats = control(xero_sandbox, "stats", method="GET")
    assert stats["calls"]["GET /api.xro/2.0/Contacts"] == 2 and stats["records"]["Contacts"] == 20


def test_hold_keeps_calls_unanswered_until_it_is_set_off(xero_sandbox, api):
    control(xero_sandbox, "faults", {"hold": True})
    with ThreadPoolExecutor(1) as pool:
        answer = pool.submit(api.get, "/Contacts")
        while not control(xero_sandbox, "stats", method="GET")["held"]:
            assert not answer.done()  # the barrier: no answer while the call is held
        assert not answer.done()
        control(xero_sandbox, "faults", {"hold": False})
        assert answer.result(timeout=30).status_code == 200
