"""The scripted tour: connect by OAuth, read every resource, write each kind, a validation error, a 429."""

import re

import pytest
import requests

from procore_client import ProcoreClient, ProcoreValidationError, filters
from tests.procore_client.support import COMPANY_ID, control, data, oauth


class BlindPacer:
    def before_request(self):
        pass

    def after_response(self, headers):
        pass


REDIRECT = "http://127.0.0.1:8000/oauth/procore/callback/"


def connect(server):
    """Authorization-code flow as a person does it: consent page, Allow, callback with code and state."""
    flow = oauth(server, REDIRECT)
    page = requests.get(flow.authorize_url("xyz"), timeout=10)
    assert page.status_code == 200 and "Summit Ridge Builders" in page.text and 'value="allow"' in page.text
    form = dict(re.findall(r'name="(\w+)" value="([^"]*)"', page.text))
    answer = requests.post(
        f"{server.url}/oauth/authorize", data={**form, "decision": "allow"}, allow_redirects=False, timeout=10
    )
    assert answer.status_code == 302 and answer.headers["Location"].startswith(REDIRECT)
    code = re.search(r"code=([^&]+)", answer.headers["Location"]).group(1)
    assert "state=xyz" in answer.headers["Location"]
    return flow, flow.exchange_code(code)


def test_scripted_tour(sandbox):
    flow, tokens = connect(sandbox)
    box = {"tokens": tokens}

    def renew(rejected):
        box["tokens"] = flow.refresh(box["tokens"].refresh_token)
        return box["tokens"].access_token

    client = ProcoreClient(sandbox.url, COMPANY_ID, lambda: box["tokens"].access_token, renew)

    # read every resource
    assert {c["id"] for c in client.companies()} >= {COMPANY_ID}
    assert client.me()["login"]
    projects = client.projects()
    project = next(p for p in projects if p["active"])
    assert client.project(project["id"])["name"] == project["name"]
    assert len(client.vendors()) == 30
    lists = client.standard_cost_code_lists()
    erp_list = next(lst for lst in lists if lst["is_erp_list"])
    assert client.standard_cost_codes(erp_list["id"])
    assert {lt["code"] for lt in client.line_item_types()} == {"L", "M", "E"}
    assert client.cost_codes(project["id"])
    wocs = client.commitments("work_order_contracts", project["id"])
    pocs = [c for p in projects for c in client.commitments("purchase_order_contracts", p["id"])]
    contract = client.commitment("work_order_contracts", project["id"], wocs[0]["id"])
    assert isinstance(contract["grand_total"], str) and contract["line_items"]
    assert client.commitment_line_items("work_order_contracts", project["id"], wocs[0]["id"])
    assert pocs and all(c["vendor"]["id"] for c in pocs)
    packages = client.change_order_packages(project["id"])
    ccos = client.commitment_change_orders(project["id"])
    assert {c["status"] for c in ccos} <= {"approved", "pending"} and len(packages) == len(ccos)
    invoices = client.requisitions(project["id"])
    assert invoices and "items" in invoices[0] and invoices[0]["summary"]["total_retainage"]
    approved = next(c for c in wocs if c["status"] == "Approved")
    client.contract_payments(project["id"], approved["id"])
    costs = client.direct_costs(project["id"])
    assert client.direct_cost(project["id"], costs[0]["id"])["line_items"]
    assert client.direct_cost_line_items(project["id"])

    # write each kind
    new_project = client.create_project({"name": "Tour Test Clinic", "project_number": "T-001"})
    client.update_project(new_project["id"], {"description": "Created by the tour"})
    vendor = client.create_vendor({"name": "Tour Plumbing LLC", "email_address": "ap@tour.example"})
    client.update_vendor(vendor["id"], {"name": vendor["name"], "city": "Boise"})  # the spec requires name
    synced = client.sync_vendors([{"origin_id": "xero-contact-1", "name": "Tour Electric Inc."}])
    assert synced.ok and synced.entities[0]["origin_id"] == "xero-contact-1"
    client.sync_standard_cost_codes(
        erp_list["id"], [{"code": "777", "name": "Tour code", "origin_id": "xero-item-1"}]
    )
    client.sync_line_item_types(
        [{"name": "Permits", "csv_import_code": "P", "base_type": "other", "origin_id": "xero-type-P"}]
    )
    codes = client.sync_cost_codes(
        project["id"], [{"code": "888", "name": "Tour cost code", "origin_id": "cc-888"}]
    )
    woc = client.create_commitment(
        "work_order_contracts",
        project["id"],
        {"vendor_id": vendor["id"], "title": "Tour subcontract", "status": "Draft"},
    )
    line = client.create_commitment_line_item(
        "work_order_contracts",
        project["id"],
        woc["id"],
        {"amount": "1500.00", "cost_code_id": codes.entities[0]["id"], "description": "Rough-in"},
    )
    client.sync_commitment_line_items(
        "work_order_contracts",
        project["id"],
        woc["id"],
        [{"origin_id": "po-line-1", "amount": "250.00", "description": "Fixtures"}],
    )
    client.update_commitment("work_order_contracts", project["id"], woc["id"], {"status": "Approved"})
    package = client.create_change_order_package(
        project["id"], woc["id"], {"title": "CO 1", "status": "pending"}
    )
    client.update_change_order_package(project["id"], package["id"], {"status": "approved"})
    invoice = client.create_requisition(project["id"], woc["id"], {"invoice_number": "TOUR-1"})
    item = next(i for i in invoice["items"] if i["line_item_id"] == line["id"])
    client.update_requisition(
        project["id"],
        woc["id"],
        invoice["id"],
        {
            "status": "approved",
            "items": [
                {"id": item["id"], "item_type": "contract_item", "work_completed_this_period": "750.00"}
            ],
        },
    )
    shown = client.requisition(project["id"], invoice["id"])
    assert shown["summary"]["current_payment_due"] == "750.00"  # no retainage on this new subcontract
    client.create_contract_payment(
        project["id"], woc["id"], {"amount": "750.00", "date": "2026-11-01", "requisition_id": invoice["id"]}
    )
    cost = client.create_direct_cost(
        project["id"],
        {
            "direct_cost_type": "invoice",
            "invoice_number": "X-1",
            "vendor_id": vendor["id"],
            "line_items": [{"wbs_code_id": 1, "manual_amount": "42.00"}],
        },
    )
    client.sync_direct_costs(project["id"], [{"id": cost["id"], "origin_id": "xero-bill-1"}])
    hook = client.create_hook("http://127.0.0.1:9/events", {"Authorization": "Bearer secret-12345"}, "tour")
    client.create_trigger(hook["id"], "Projects", "create")
    assert client.triggers(hook["id"])[0]["event_type"] == "CREATE"

    # a validation error, in plain words with the offending field
    with pytest.raises(ProcoreValidationError) as err:
        client.create_vendor({"name": ""})
    assert err.value.status == 422 and err.value.fields == {"name": ["can't be blank"]}

    # a 429, waited out, then the same call succeeds
    control(sandbox, "faults", {"rate_limits": True, "clock_speed": 20})
    control(sandbox, "settings", {"spike_limit": 2})
    client.pacer = BlindPacer()  # no pacing, so the wall is actually hit
    found = [client.vendors(filters(origin_id="xero-contact-1")) for _ in range(4)]
    assert all(len(f) == 1 for f in found)
    stats = requests.get(f"{sandbox.url}/_sandbox/stats", timeout=5).json()
    assert stats["throttled"] >= 1
    assert any(v["name"] == "Tour Electric Inc." for v in data(sandbox, "vendors"))
