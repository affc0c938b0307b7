"""`--tenants N`: N equal companies in Procore and N organisations in Xero, each its own data and its own limits."""

import pytest
import requests

from sandbox import runner
from sandbox.datasets import tenant_companies, tenant_organisations
from tests.procore_client.support import bearer, control
from tests.sandbox.procore.test_rules import V0, get
from tests.sandbox.xero.helpers import Api, connect

TENANTS = 3


@pytest.fixture
def servers():
    procore = runner.start(runner.build_procore, size="small", tenants=TENANTS)
    xero = runner.start(runner.build_xero, size="small", tenants=TENANTS)
    control(procore, "settings", {"webhook_autodeliver": False})
    yield procore, xero
    procore.stop()
    xero.stop()


def company_headers(procore, company_id):
    return {**bearer(procore), "Procore-Company-Id": str(company_id)}


def test_each_procore_company_holds_the_same_dataset_under_ids_of_its_own(servers):
    procore, _ = servers
    companies = tenant_companies(TENANTS)
    listed = get(procore, f"{V0}/companies", company_headers(procore, companies[0]["id"])).json()
    assert {c["id"] for c in companies} <= {c["id"] for c in listed}
    assert len({c["name"] for c in companies}) == TENANTS
    seen = {}
    for company in companies:
        headers = company_headers(procore, company["id"])
        projects = get(procore, f"{V0}/projects", headers, company_id=company["id"]).json()
        vendors = get(procore, f"{V0}/vendors", headers, company_id=company["id"], per_page=1000).json()
        assert {p["company"]["name"] for p in projects} == {company["name"]}
        seen[company["id"]] = ({p["id"] for p in projects}, {v["id"] for v in vendors},
                               sorted(v["name"] for v in vendors))
    ids = [s[0] | s[1] for s in seen.values()]
    assert sum(len(i) for i in ids) == len(set().union(*ids))  # no record shared between companies
    assert len({tuple(s[2]) for s in seen.values()}) == 1 and seen[companies[0]["id"]][2]  # same vendors


def test_procore_limits_are_counted_per_company(servers):
    procore, _ = servers
    first, second = (c["id"] for c in tenant_companies(2))
    control(procore, "faults", {"rate_limits": True})
    control(procore, "settings", {"spike_limit": 3, "hourly_limit": 1000})
    answers = [get(procore, f"{V0}/projects", company_headers(procore, first), company_id=first).status_code
               for _ in range(4)]
    other = get(procore, f"{V0}/projects", company_headers(procore, second), company_id=second)
    assert answers == [200, 200, 200, 429] and other.status_code == 200
    stats = requests.get(f"{procore.url}/_sandbox/stats", timeout=10).json()
    assert stats["tenant_throttled"] == {str(first): 1} and stats["tenant_calls"][str(second)] == 1


def test_each_xero_organisation_holds_the_same_dataset_and_its_own_limits(servers):
    _, xero = servers
    orgs = tenant_organisations(TENANTS)
    assert len({o["Name"] for o in orgs}) == TENANTS
    assert {(o["Class"], o["CountryCode"], o["BaseCurrency"]) for o in orgs} == {("STANDARD", "US", "USD")}
    apis = [Api(xero, connect(xero, org["tenantId"]), org["tenantId"]) for org in orgs]
    contacts = [a.get("/Contacts").json()["Contacts"] for a in apis]
    assert len({len(c) for c in contacts}) == 1 and contacts[0]
    assert len({c["ContactID"] for rows in contacts for c in rows}) == TENANTS * len(contacts[0])
    assert len({tuple(sorted(c["Name"] for c in rows)) for rows in contacts}) == 1
    xero.state.limits.preload(orgs[0]["tenantId"].lower(), minute_used=60)  # the first organisation's minute spent
    assert apis[0].get("/Contacts").status_code == 429
    assert apis[1].get("/Contacts").status_code == 200
    stats = requests.get(f"{xero.url}/_sandbox/stats", timeout=10).json()
    assert stats["tenant_throttled"] == {orgs[0]["tenantId"].lower(): 1}


def test_one_tenant_by_default_and_a_reset_keeps_the_count(servers):
    procore, xero = servers
    alone = runner.start(runner.build_procore, size="small")
    try:
        assert {v["company_id"] for v in alone.state.table("vendors").values()} == {tenant_companies(1)[0]["id"]}
    finally:
        alone.stop()
    answer = control(xero, "reset", {"size": "small", "seed": 2})
    assert answer["tenants"] == TENANTS
    assert len({r["_tenant"] for r in xero.state.table("Contacts").values()}) == TENANTS
