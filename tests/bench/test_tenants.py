"""Many companies on one deployment: the report says how long each tenant took, what it spent and whether
any waited on the others (slowest / fastest) or was refused by a platform (a 429)."""

import json
import subprocess
import sys

import pytest

from bench import stack, tenants


def _row(company_id, completion_s, procore_429=0, xero_429=0):
    return {"connection": company_id - 4270000, "company_id": company_id, "tenant_id": f"t-{company_id}",
            "completion_s": completion_s, "rounds": 5, "decided": 3, "runs": 35, "tasks": 35, "written": 80,
            "procore_calls": 126, "xero_calls": 46, "procore_429": procore_429, "xero_429": xero_429}


def _raw(day_one, normal_day=None, throttled=None):
    return {"tenants": len(day_one), "size": "small", "seed": 1, "speed": 10, "cpus": 2,
            "workers": "2 prefork workers of 2 processes", "kind_per_task": True, "ran_at": "today",
            "throttled": throttled or {"procore": 0, "xero": 0}, "changed": {},
            "phases": {"day_one": {"wall_s": 50.0, "tenants": day_one},
                       "normal_day": {"wall_s": 10.0, "tenants": normal_day or day_one}}}


def test_fairness_is_the_slowest_tenant_over_the_fastest():
    assert tenants.fairness([40.0, 44.0, 50.0]) == 1.25
    assert tenants.fairness([]) is None and tenants.fairness([0.0, 3.0]) is None


def test_equal_tenants_done_close_together_without_a_429_meet_the_goal():
    result = tenants.summarise(_raw([_row(4270001, 44.0), _row(4270002, 47.0)]))

    assert result["phases"]["day_one"]["fairness"] == 1.07 and tenants.passed(result)
    table = tenants.markdown(result)
    assert "fairness (slowest / fastest) **1.07** (goal ≤ 1.5), 429s **0**" in table
    assert "| 4270002 | 47.0 | 5 | 35 | 35 | 80 | 126 | 46 | 0 |" in table and "Goal met" in table


def test_a_starved_tenant_or_a_429_fails_the_run():
    starved = tenants.summarise(_raw([_row(4270001, 10.0), _row(4270002, 20.0)]))
    refused = tenants.summarise(_raw([_row(4270001, 44.0, xero_429=1), _row(4270002, 45.0)]))

    assert starved["phases"]["day_one"]["fairness"] == 2.0 and not tenants.passed(starved)
    assert refused["phases"]["day_one"]["throttled"] == 1 and not tenants.passed(refused)
    assert "Goal **not met**" in tenants.markdown(starved)


def test_calls_are_charged_to_each_tenant_by_its_company_and_its_organisation():
    """The sandboxes count per Procore-Company-Id and per xero-tenant-id (lower case)."""
    tenant = tenants.Tenant(connection_id=1, company_id=4270002, tenant_id="ABC")
    before = {"procore": {"4270002": 10}, "procore_429": {}, "xero": {"abc": 5}, "xero_429": {}}
    after = {"procore": {"4270002": 30, "4270001": 99}, "procore_429": {"4270001": 2}, "xero": {"abc": 9},
             "xero_429": {"abc": 1}}

    assert tenants.spent(tenant, before, after) == {"procore_calls": 20, "xero_calls": 4, "procore_429": 0,
                                                    "xero_429": 1}


@pytest.mark.e2e
@pytest.mark.postgres
@pytest.mark.redis
def test_two_tenants_on_small_finish_together_without_a_429(tmp_path):
    """The whole benchmark on its tiniest setting (about a minute): PostgreSQL and redis-server needed (CI)."""
    done = subprocess.run([sys.executable, "-m", "bench.tenants", "--tenants", "2", "--size", "small",
                           "--out", str(tmp_path)], cwd=stack.ROOT, capture_output=True, text=True, timeout=600)
    assert (tmp_path / "tenants-small.json").exists(), done.stdout[-2000:] + done.stderr[-2000:]
    result = json.loads((tmp_path / "tenants-small.json").read_text())
    for phase in result["phases"].values():
        assert [r["procore_429"] + r["xero_429"] for r in phase["tenants"]] == [0, 0]
        assert phase["fairness"] <= tenants.FAIRNESS_GOAL
        assert len({r["written"] for r in phase["tenants"]}) == 1  # equal companies, equal work
    assert result["phases"]["day_one"]["tenants"][0]["written"] > 0
