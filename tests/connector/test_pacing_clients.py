"""Every client the product builds draws from its account's shared budget, so the real sandboxes never
have to refuse a call, even right after the budgets' store was flushed."""

import re
from pathlib import Path

import pytest
import requests

from connector.clients import procore_client_for, xero_client_for
from connector.pacing import BudgetExhausted, Pacer, pacing_forget
from procore_client.pacing import HeaderPacer
from tests.sandboxes import faults

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def throttled(server) -> int:
    return requests.get(f"{server.url}/_sandbox/stats", timeout=5).json()["throttled"]


def test_every_client_from_the_factories_is_paced(connection, settings):
    procore, xero = procore_client_for(connection), xero_client_for(connection)
    assert isinstance(procore.pacer, Pacer) and procore.pacer.budget.name == f"procore:{connection.procore_company_id}"
    assert isinstance(xero.pacer, Pacer) and xero.pacer.budget.name == f"xero:{connection.xero_tenant_id}"
    assert xero.pacer.budget.concurrency == 5
    settings.RATE_BUDGETS_ENABLED = False  # the benchmark counts calls instead
    assert xero_client_for(connection).pacer is None
    assert isinstance(procore_client_for(connection).pacer, HeaderPacer)


def test_no_product_code_builds_a_client_past_the_factories():
    built = re.compile(r"\b(ProcoreClient|XeroClient)\(")
    offenders = [str(path.relative_to(ROOT)) for package in ("connector", "sync", "settings", "bench")
                 for path in (ROOT / package).rglob("*.py")
                 if built.search(path.read_text()) and path != ROOT / "connector" / "clients.py"]
    assert offenders == []


def test_after_a_flush_xero_is_not_overspent(connection, xero_sandbox):
    client = xero_client_for(connection, max_wait_s=0.5)
    client.organisation()
    pacing_forget()  # Redis restarted; Xero still counts, and another client spent more meanwhile
    requests.post(f"{xero_sandbox.url}/_sandbox/limits", json={"tenant_id": connection.xero_tenant_id,
                                                               "minute_used": 58}, timeout=5).raise_for_status()
    client.organisation()  # its answer says one call is left this minute
    client.organisation()
    with pytest.raises(BudgetExhausted) as waited:
        client.organisation()
    assert waited.value.window == "minute"
    assert throttled(xero_sandbox) == 0


def test_after_a_flush_procore_is_not_overspent(connection, procore_sandbox):
    faults(procore_sandbox, rate_limits=True)
    client = procore_client_for(connection, max_wait_s=0.5)
    for _ in range(20):
        client.get("/rest/v1.0/me")
    pacing_forget()
    after = 0
    with pytest.raises(BudgetExhausted) as waited:
        while after < 25:
            client.get("/rest/v1.0/me")
            after += 1
    assert 1 <= after <= 5  # what was left of Procore's 25 per 10 s, learnt from the first answer's headers
    assert waited.value.window == "10 seconds"
    assert throttled(procore_sandbox) == 0


def test_a_429_seen_by_one_client_holds_back_the_others(connection, xero_sandbox):
    requests.post(f"{xero_sandbox.url}/_sandbox/faults", json={"force_429": 1, "force_429_problem": "minute"},
                  timeout=5).raise_for_status()
    xero_client_for(connection).organisation()  # waited Retry-After (1 s), then went through
    other = xero_client_for(connection, max_wait_s=0)
    other.organisation()  # the wait is over: nothing holds it back now
    assert throttled(xero_sandbox) == 1
