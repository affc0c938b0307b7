"""procore-endpoints.json as a contract: violations are recorded (and fail the test that caused them)."""

import requests

from sandbox.procore import contract
from tests.procore_client.support import COMPANY_ID, bearer


def take_violations(server):
    found, server.state.contract_violations[:] = list(server.state.contract_violations), []
    return found


def test_a_deliberate_violation_is_caught(sandbox):
    headers = bearer(sandbox)
    requests.get(
        f"{sandbox.url}/rest/v1.0/vendors",
        headers=headers,
        timeout=10,
        params={"company_id": COMPANY_ID, "filters[colour]": "red"},
    )
    requests.post(
        f"{sandbox.url}/rest/v1.0/vendors",
        headers=headers,
        timeout=10,
        json={"company_id": COMPANY_ID, "vendor": {"name": "X", "nickname": "x"}},
    )
    requests.get(f"{sandbox.url}/rest/v1.0/work_order_contracts", headers=headers, timeout=10)
    found = take_violations(sandbox)
    assert any("undocumented query parameter 'filters[colour]'" in v for v in found)
    assert any("'nickname' was unexpected" in v for v in found)
    assert any("missing required query parameter 'project_id'" in v for v in found)


def test_unknown_operations_and_wrong_types_are_violations():
    assert contract.check_request("GET", "/rest/v1.0/budgets", {}, None)[0].endswith(
        "no such operation in procore-endpoints.json"
    )
    from werkzeug.datastructures import MultiDict

    problems = contract.check_request(
        "PATCH",
        "/rest/v1.0/vendors/sync",
        MultiDict(),
        {"company_id": "not-a-number", "updates": [{"name": "A"}]},
    )
    assert any("company_id" in p and "integer" in p for p in problems)
    either = contract.check_request("GET", "/rest/v1.0/line_item_types", MultiDict({"project_id": "5"}), None)
    assert either == [], "the spec's 'either company_id or project_id' is honoured"


def test_responses_are_checked_for_documented_fields_and_types():
    good = {"id": 1, "name": "N", "code": "L", "base_type": "labor", "origin_id": None, "origin_data": None}
    assert contract.check_response("GET", "/rest/v1.0/line_item_types", [good]) == []
    missing = contract.check_response("GET", "/rest/v1.0/line_item_types", [{"id": 1}])
    assert any("documented field 'name' missing" in p for p in missing)
    wrong = contract.check_response("GET", "/rest/v1.0/projects/1", {"total_value": 12.5})
    assert any("'total_value' should be string" in p for p in wrong)


def test_every_served_list_answer_matches_the_spec(sandbox):
    """Read every list the emulator serves for the seeded company; the fixture fails on any violation."""
    headers = bearer(sandbox)
    project = requests.get(
        f"{sandbox.url}/rest/v1.0/projects", headers=headers, params={"company_id": COMPANY_ID}, timeout=10
    ).json()[0]
    pid = project["id"]
    contract_id = requests.get(
        f"{sandbox.url}/rest/v1.0/work_order_contracts",
        headers=headers,
        timeout=10,
        params={"project_id": pid},
    ).json()[0]["id"]
    paths = [
        (f"/rest/v1.0/projects/{pid}", {"company_id": COMPANY_ID}),
        ("/rest/v1.0/standard_cost_code_lists", {"company_id": COMPANY_ID}),
        ("/rest/v1.0/line_item_types", {"company_id": COMPANY_ID}),
        ("/rest/v1.0/cost_codes", {"project_id": pid}),
        (f"/rest/v1.0/work_order_contracts/{contract_id}", {"project_id": pid}),
        (f"/rest/v1.0/work_order_contracts/{contract_id}/line_items", {"project_id": pid}),
        ("/rest/v1.0/change_order_packages", {"project_id": pid}),
        (f"/rest/v1.0/projects/{pid}/commitment_change_orders", {}),
        ("/rest/v1.0/requisitions", {"project_id": pid}),
        ("/rest/v1.1/requisitions", {"project_id": pid, "view": "extended"}),
        ("/rest/v1.0/contract_payments", {"project_id": pid, "contract_id": contract_id}),
        (f"/rest/v1.0/projects/{pid}/direct_costs", {}),
        (f"/rest/v1.0/projects/{pid}/direct_costs/line_items", {}),
    ]
    for path, params in paths:
        answer = requests.get(f"{sandbox.url}{path}", headers=headers, params=params, timeout=10)
        assert answer.status_code == 200, (path, answer.text)
    assert sandbox.state.contract_violations == []


def test_list_answers_carry_only_the_fields_the_contract_lists(sandbox):
    headers = bearer(sandbox)
    package = next(iter(sandbox.state.table("change_order_packages").values()))
    listed = requests.get(f"{sandbox.url}/rest/v1.0/change_order_packages", headers=headers, timeout=10,
                          params={"project_id": package["project_id"]}).json()
    documented = set(contract.documented_fields("GET", "/rest/v1.0/change_order_packages")["items"]["properties"])
    assert listed and all(set(p) <= documented for p in listed) and "line_items" not in documented
    shown = requests.get(f"{sandbox.url}/rest/v1.0/change_order_packages/{package['id']}", headers=headers,
                         timeout=10, params={"project_id": package["project_id"]}).json()
    assert shown["line_items"]  # detail-only fields come with the show answer
    po = next(iter(sandbox.state.table("purchase_order_contracts").values()))
    [order] = [c for c in requests.get(f"{sandbox.url}/rest/v1.0/purchase_order_contracts", headers=headers,
                                       timeout=10, params={"project_id": po["project_id"]}).json()
               if c["id"] == po["id"]]
    assert "vendor_id" not in order and set(order["vendor"]) == {"id", "company"}
    assert take_violations(sandbox) == []
    # A list item with a field the contract does not list is reported.
    extra = contract.check_response("GET", "/rest/v1.0/change_order_packages", [{**listed[0], "line_items": []}])
    assert any("'line_items' is not in the contract" in v for v in extra)
