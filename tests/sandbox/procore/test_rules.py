"""The platform rules that bite real integrations, each checked over real HTTP against the emulator."""

import re

import requests

from tests.procore_client.support import COMPANY_ID, OTHER_COMPANY_ID, bearer, control, data

V0 = "/rest/v1.0"


def get(server, path, headers, **params):
    return requests.get(f"{server.url}{path}", headers=headers, params=params, timeout=10)


def patch(server, path, headers, body, **params):
    return requests.patch(f"{server.url}{path}", headers=headers, json=body, params=params, timeout=10)


def first_project(server):
    return next(p for p in data(server, "projects") if p["active"])


# -- Procore-Company-Id ------------------------------------------------------------------------------------
def test_company_header_is_required(sandbox):
    headers = bearer(sandbox)
    del headers["Procore-Company-Id"]
    answer = get(sandbox, f"{V0}/projects", headers, company_id=COMPANY_ID)
    assert answer.status_code == 400
    assert answer.json()["errors"].startswith("Missing Procore-Company-Id header!")


def test_company_header_needed_on_me_with_client_credentials_only(sandbox):
    headers = bearer(sandbox)  # client_credentials (DMSA)
    del headers["Procore-Company-Id"]
    assert get(sandbox, f"{V0}/me", headers).status_code == 400
    assert get(sandbox, f"{V0}/me", bearer(sandbox)).status_code == 200


def test_company_must_be_one_the_app_reaches(sandbox):
    headers = {**bearer(sandbox), "Procore-Company-Id": "999"}
    answer = get(sandbox, f"{V0}/vendors", headers, company_id=999)
    assert answer.status_code == 403 and "not connected" in answer.json()["errors"]


def test_other_company_sees_none_of_the_first_companys_projects(sandbox):
    headers = {**bearer(sandbox), "Procore-Company-Id": str(OTHER_COMPANY_ID)}
    answer = get(sandbox, f"{V0}/projects", headers, company_id=OTHER_COMPANY_ID)
    assert answer.status_code == 200 and answer.json() == []
    project = first_project(sandbox)
    assert (
        get(sandbox, f"{V0}/projects/{project['id']}", headers, company_id=OTHER_COMPANY_ID).status_code
        == 404
    )


# -- paging --------------------------------------------------------------------------------------------------
def test_paging_headers_and_links(sandbox):
    headers = bearer(sandbox)
    first = get(sandbox, f"{V0}/vendors", headers, company_id=COMPANY_ID, per_page=7)
    assert first.headers["Total"] == "30" and first.headers["Per-Page"] == "7"
    links = first.links
    assert set(links) == {"next", "last"} and "page=5" in links["last"]["url"]
    last = requests.get(links["last"]["url"], headers=headers, timeout=10)
    assert set(last.links) == {"first", "prev"} and len(last.json()) == 2
    seen, url = [], f"{sandbox.url}{V0}/vendors?company_id={COMPANY_ID}&per_page=7"
    while url:
        page = requests.get(url, headers=headers, timeout=10)
        seen += [v["id"] for v in page.json()]
        url = page.links.get("next", {}).get("url")
    assert len(seen) == len(set(seen)) == 30


def test_per_page_is_clamped_to_the_maximum(sandbox):
    control(sandbox, "settings", {"max_per_page": 10})
    answer = get(sandbox, f"{V0}/vendors", bearer(sandbox), company_id=COMPANY_ID, per_page=5000)
    assert answer.headers["Per-Page"] == "10" and len(answer.json()) == 10


def test_an_endpoint_may_ignore_per_page_and_says_what_it_served(sandbox):
    # Procore documents per_page without promising it (plan_your_app/pagination): Per-Page and Link tell.
    control(sandbox, "settings", {"page_size": 4})
    first = get(sandbox, f"{V0}/vendors", bearer(sandbox), company_id=COMPANY_ID, per_page=1000)
    assert len(first.json()) == 4 and first.headers["Per-Page"] == "4" and first.headers["Total"] == "30"
    assert "page=8" in first.links["last"]["url"] and "page=2" in first.links["next"]["url"]
    control(sandbox, "settings", {"link_headers": False, "total_headers": False})
    bare = get(sandbox, f"{V0}/vendors", bearer(sandbox), company_id=COMPANY_ID, per_page=1000)
    assert len(bare.json()) == 4 and not {"Link", "Total", "Per-Page"} & set(bare.headers)


# -- filters -------------------------------------------------------------------------------------------------
def test_updated_at_range_filter(sandbox):
    headers = bearer(sandbox)
    requests.post(
        f"{sandbox.url}{V0}/vendors",
        headers=headers,
        timeout=10,
        json={"company_id": COMPANY_ID, "vendor": {"name": "Fresh Vendor Co."}},
    )
    recent = get(
        sandbox,
        f"{V0}/vendors",
        headers,
        company_id=COMPANY_ID,
        **{"filters[updated_at]": "2026-06-01T00:00:00Z...2099-01-01T00:00:00Z"},
    ).json()
    assert [v["name"] for v in recent] == ["Fresh Vendor Co."]
    older = get(
        sandbox,
        f"{V0}/vendors",
        headers,
        company_id=COMPANY_ID,
        **{"filters[updated_at]": "2020-01-01...2026-05-31"},
    ).json()
    assert len(older) == 30
    bad = get(
        sandbox, f"{V0}/vendors", headers, company_id=COMPANY_ID, **{"filters[updated_at]": "yesterday"}
    )
    assert bad.status_code == 400


def test_id_origin_and_status_filters(sandbox):
    headers = bearer(sandbox)
    vendors = data(sandbox, "vendors")
    wanted = [vendors[3]["id"], vendors[7]["id"]]
    by_id = get(sandbox, f"{V0}/vendors", headers, company_id=COMPANY_ID, **{"filters[id][]": wanted}).json()
    assert sorted(v["id"] for v in by_id) == sorted(wanted)
    patch(
        sandbox,
        f"{V0}/vendors/sync",
        headers,
        {"company_id": COMPANY_ID, "updates": [{"id": wanted[0], "origin_id": "xero-42"}]},
    )
    by_origin = get(
        sandbox, f"{V0}/vendors", headers, company_id=COMPANY_ID, **{"filters[origin_id]": "xero-42"}
    )
    assert [v["id"] for v in by_origin.json()] == [wanted[0]]
    project = first_project(sandbox)
    approved = get(
        sandbox,
        f"{V0}/work_order_contracts",
        headers,
        project_id=project["id"],
        **{"filters[status]": "Approved"},
    ).json()
    every = get(sandbox, f"{V0}/work_order_contracts", headers, project_id=project["id"]).json()
    assert approved and all(c["status"] == "Approved" for c in approved) and len(every) > len(approved)


# -- sync actions --------------------------------------------------------------------------------------------
def test_sync_upserts_by_id_and_origin_id_with_per_item_errors(sandbox):
    headers = bearer(sandbox)
    vendor = data(sandbox, "vendors")[0]
    body = {
        "company_id": COMPANY_ID,
        "updates": [
            {"origin_id": "xero-c-1", "name": "Created By Sync LLC"},
            {"id": vendor["id"], "city": "Tulsa"},
            {"id": 1, "name": "Nobody"},
            {"origin_id": "xero-c-2", "name": ""},
        ],
    }
    answer = patch(sandbox, f"{V0}/vendors/sync", headers, body)
    assert answer.status_code == 200
    result = answer.json()
    assert [e["name"] for e in result["entities"]] == ["Created By Sync LLC", vendor["name"]]
    assert result["errors"][0]["errors"] == {"id": ["Entity with this ID not found"]}
    assert result["errors"][1]["errors"] == {"name": ["can't be blank"]}
    again = patch(
        sandbox,
        f"{V0}/vendors/sync",
        headers,
        {"company_id": COMPANY_ID, "updates": [{"origin_id": "xero-c-1", "name": "Renamed By Sync LLC"}]},
    ).json()
    assert again["entities"][0]["id"] == result["entities"][0]["id"]  # upsert, not a duplicate
    assert sum(1 for v in data(sandbox, "vendors") if v["origin_id"] == "xero-c-1") == 1


def test_origin_id_is_unique_per_company_and_type(sandbox):
    headers = bearer(sandbox)
    vendors = data(sandbox, "vendors")
    patch(
        sandbox,
        f"{V0}/vendors/sync",
        headers,
        {"company_id": COMPANY_ID, "updates": [{"id": vendors[0]["id"], "origin_id": "dup"}]},
    )
    clash = patch(
        sandbox,
        f"{V0}/vendors/sync",
        headers,
        {"company_id": COMPANY_ID, "updates": [{"id": vendors[1]["id"], "origin_id": "dup"}]},
    ).json()
    assert clash["errors"][0]["errors"] == {"origin_id": ["has already been taken"]}
    project = patch(
        sandbox,
        f"{V0}/projects/sync",
        headers,
        {"company_id": COMPANY_ID, "updates": [{"id": first_project(sandbox)["id"], "origin_id": "dup"}]},
    ).json()
    assert project["entities"], "another type may use the same origin_id"
    other = {**headers, "Procore-Company-Id": str(OTHER_COMPANY_ID)}
    elsewhere = patch(
        sandbox,
        f"{V0}/vendors/sync",
        other,
        {"company_id": OTHER_COMPANY_ID, "updates": [{"origin_id": "dup", "name": "Same Id Other Company"}]},
    ).json()
    assert elsewhere["entities"] and not elsewhere["errors"]


def test_sync_refuses_more_than_1000_items(sandbox):
    updates = [{"origin_id": f"o-{n}", "name": f"V {n}"} for n in range(1001)]
    answer = patch(
        sandbox, f"{V0}/vendors/sync", bearer(sandbox), {"company_id": COMPANY_ID, "updates": updates}
    )
    assert answer.status_code == 413
    assert len(data(sandbox, "vendors")) == 30


def test_sync_refuses_a_body_too_large_with_413_and_writes_nothing(sandbox):
    # "Some endpoints answer 413 Payload Too Large" (Procore, tutorials/using_sync_actions): by size too.
    control(sandbox, "settings", {"sync_max_bytes": 2000})
    updates = [{"origin_id": f"big-{n}", "name": f"V {n}", "notes": "x" * 300} for n in range(10)]
    answer = patch(
        sandbox, f"{V0}/vendors/sync", bearer(sandbox), {"company_id": COMPANY_ID, "updates": updates}
    )
    assert answer.status_code == 413 and "Payload Too Large" in answer.json()["errors"]
    assert len(data(sandbox, "vendors")) == 30
    small = patch(
        sandbox, f"{V0}/vendors/sync", bearer(sandbox), {"company_id": COMPANY_ID, "updates": updates[:2]}
    )
    assert small.status_code == 200 and len(small.json()["entities"]) == 2


# -- records with origin_id are locked ----------------------------------------------------------------------
def test_synced_records_refuse_edits_and_deletes(sandbox):
    headers = bearer(sandbox)
    cost = data(sandbox, "direct_costs")[0]
    path = f"/rest/v1.1/projects/{cost['project_id']}/direct_costs"
    assert (
        patch(
            sandbox, f"{path}/{cost['id']}", headers, {"direct_cost": {"description": "before"}}
        ).status_code
        == 200
    )
    patch(
        sandbox,
        f"{V0}/projects/{cost['project_id']}/direct_costs/sync",
        headers,
        {"updates": [{"id": cost["id"], "origin_id": "xero-bill-9"}]},
    )
    locked = patch(sandbox, f"{path}/{cost['id']}", headers, {"direct_cost": {"description": "after"}})
    assert locked.status_code == 422 and "synced with ERP" in locked.json()["errors"]["base"][0]
    gone = requests.delete(f"{sandbox.url}{path}/{cost['id']}", headers=headers, timeout=10)
    assert gone.status_code == 422
    assert next(c for c in data(sandbox, "direct_costs") if c["id"] == cost["id"])["description"] == "before"


# -- money as strings ----------------------------------------------------------------------------------------
def test_money_is_served_as_strings(sandbox):
    headers = bearer(sandbox)
    contract = next(c for c in data(sandbox, "work_order_contracts") if c["status"] == "Approved")
    shown = get(
        sandbox, f"{V0}/work_order_contracts/{contract['id']}", headers, project_id=contract["project_id"]
    ).json()
    money = [
        shown[k] for k in ("grand_total", "revised_contract", "approved_change_orders", "total_payments")
    ]
    money += [li["amount"] for li in shown["line_items"]]
    assert all(isinstance(m, str) and re.fullmatch(r"-?\d+\.\d{2}", m) for m in money), money
    total = sum(float(li["amount"]) for li in shown["line_items"])
    assert float(shown["grand_total"]) == round(total, 2)


# -- rate limits ---------------------------------------------------------------------------------------------
def test_spike_window_answers_429_then_resets(sandbox):
    headers = bearer(sandbox)
    control(sandbox, "faults", {"rate_limits": True})
    control(sandbox, "settings", {"spike_limit": 3})
    answers = [get(sandbox, f"{V0}/me", headers) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert [a.headers["X-Rate-Limit-Remaining"] for a in answers[:3]] == ["2", "1", "0"]
    limited = answers[3]
    assert limited.headers["X-Rate-Limit-Limit"] == "3" and int(limited.headers["Retry-After"]) >= 1
    assert int(limited.headers["X-Rate-Limit-Reset"]) > 0
    assert "surpassed the max number of requests" in limited.json()["errors"]
    control(sandbox, "clock/advance", {"seconds": 10})  # past the 10-second window
    assert get(sandbox, f"{V0}/me", headers).status_code == 200
    assert requests.get(f"{sandbox.url}/_sandbox/stats", timeout=5).json()["throttled"] == 1


def test_hourly_window_is_enforced_too(sandbox):
    headers = bearer(sandbox)
    control(sandbox, "faults", {"rate_limits": True})
    control(sandbox, "settings", {"hourly_limit": 2, "spike_limit": 100})
    codes = [get(sandbox, f"{V0}/me", headers).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    control(sandbox, "clock/advance", {"seconds": 60})
    assert get(sandbox, f"{V0}/me", headers).status_code == 429, "a minute is not an hour"
    control(sandbox, "clock/advance", {"seconds": 3600})
    assert get(sandbox, f"{V0}/me", headers).status_code == 200


def test_rate_limits_can_be_switched_off(sandbox):
    headers = bearer(sandbox)
    control(sandbox, "settings", {"spike_limit": 1})
    assert all(get(sandbox, f"{V0}/me", headers).status_code == 200 for _ in range(3))


def test_synced_commitment_keeps_vendor_title_status_and_retainage(sandbox):
    headers = bearer(sandbox)
    contract = next(c for c in data(sandbox, "work_order_contracts") if c["status"] == "Approved")
    path, pid = f"{V0}/work_order_contracts", contract["project_id"]
    patch(
        sandbox,
        f"{path}/sync",
        headers,
        {"project_id": pid, "updates": [{"id": contract["id"], "origin_id": "PO-7"}]},
    )
    refused = patch(
        sandbox,
        f"{path}/{contract['id']}",
        headers,
        {"project_id": pid, "work_order_contract": {"title": "Renamed", "status": "Void"}},
    )
    assert refused.status_code == 422 and set(refused.json()["errors"]) == {"title", "status"}
    allowed = patch(
        sandbox,
        f"{path}/{contract['id']}",
        headers,
        {"project_id": pid, "work_order_contract": {"description": "Updated scope note"}},
    )
    assert allowed.status_code == 200 and allowed.json()["description"] == "Updated scope note"


def test_erp_project_cost_codes_only_through_sync(sandbox):
    headers = bearer(sandbox)
    project = first_project(sandbox)
    body = {"project_id": project["id"], "cost_code": {"code": "500", "name": "New code"}}
    assert (
        requests.post(f"{sandbox.url}{V0}/cost_codes", headers=headers, json=body, timeout=10).status_code
        == 201
    )
    patch(
        sandbox,
        f"{V0}/projects/sync",
        headers,
        {"company_id": COMPANY_ID, "updates": [{"id": project["id"], "origin_id": "job-1"}]},
    )
    refused = requests.post(f"{sandbox.url}{V0}/cost_codes", headers=headers, json=body, timeout=10)
    assert refused.status_code == 422 and "cost_codes/sync" in refused.json()["errors"]["base"][0]
    synced = patch(
        sandbox,
        f"{V0}/cost_codes/sync",
        headers,
        {"updates": [{"code": "501", "name": "Via sync"}]},
        project_id=project["id"],
    )
    assert synced.status_code == 200 and synced.json()["entities"][0]["code"] == "501"


def test_line_item_types_need_a_company_or_a_project(sandbox):
    # "You must supply either a company_id or project_id" (the contract's RestV10LineItemTypesGet).
    headers = bearer(sandbox)
    bare = get(sandbox, f"{V0}/line_item_types", headers)
    assert bare.status_code == 400 and bare.json()["errors"] == "company_id is missing"
    assert sandbox.state.contract_violations == [
        "RestV10LineItemTypesGet (GET /rest/v1.0/line_item_types): needs one of ['company_id', 'project_id']"]
    sandbox.state.contract_violations.clear()  # the request broke the contract on purpose
    by_company = get(sandbox, f"{V0}/line_item_types", headers, company_id=COMPANY_ID).json()
    by_project = get(sandbox, f"{V0}/line_item_types", headers, project_id=first_project(sandbox)["id"]).json()
    assert by_company == by_project and {t["code"] for t in by_company} == {"L", "M", "E"}
    assert sorted(by_company[0]) == ["base_type", "code", "id", "name", "origin_data", "origin_id"]


def test_names_numbers_and_origin_ids_stop_at_255_characters(sandbox):
    headers = bearer(sandbox)
    answer = patch(sandbox, f"{V0}/vendors/sync", headers, {"company_id": COMPANY_ID, "updates": [
        {"origin_id": "x" * 256, "name": "Long Origin Co."}, {"origin_id": "ok-1", "name": "N" * 256},
        {"origin_id": "ok-2", "name": "Fits Co.", "notes": "n" * 2000}]}).json()
    assert [e["errors"] for e in answer["errors"]] == [
        {"origin_id": ["is too long (maximum is 255 characters)"]},
        {"name": ["is too long (maximum is 255 characters)"]}]
    assert [e["name"] for e in answer["entities"]] == ["Fits Co."]  # free text is not limited
