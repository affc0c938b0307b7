"""The /_sandbox/ console: a page a person can use, whose forms act through the real API surface."""

import requests

from tests.procore_client.support import control, data


def test_console_page_lists_clients_records_and_forms(sandbox):
    page = requests.get(f"{sandbox.url}/_sandbox/", timeout=10)
    assert page.status_code == 200 and "text/html" in page.headers["Content-Type"]
    assert "sandbox-procore-client" in page.text and "sandbox-procore-secret" in page.text
    assert 'action="/_sandbox/act/create_project"' in page.text and "Approve commitment" in page.text


def test_console_form_creates_a_project_through_the_api(sandbox):
    control(sandbox, "stats/reset")
    answer = requests.post(
        f"{sandbox.url}/_sandbox/act/create_project",
        data={"name": "Console Clinic"},
        allow_redirects=False,
        timeout=10,
    )
    assert answer.status_code == 303 and answer.headers["Location"].endswith("/_sandbox/")
    assert any(p["name"] == "Console Clinic" for p in data(sandbox, "projects"))
    calls = requests.get(f"{sandbox.url}/_sandbox/stats", timeout=10).json()["calls"]
    assert calls.get("POST /rest/v1.0/projects") == 1, "the console used the public API"


def test_approver_actions_change_status_and_obey_the_rules(sandbox):
    invoice = next(q for q in data(sandbox, "requisitions") if q["status"] == "draft")
    answer = requests.post(
        f"{sandbox.url}/_sandbox/act/approve_invoice", json={"id": invoice["id"]}, timeout=10
    )
    assert answer.status_code == 200 and answer.json()["status"] == "approved"
    package = next(p for p in data(sandbox, "change_order_packages") if p["status"] == "pending")
    answer = requests.post(
        f"{sandbox.url}/_sandbox/act/approve_change_order", json={"id": package["id"]}, timeout=10
    )
    assert answer.json()["status"] == "approved"
    draft = next(c for c in data(sandbox, "work_order_contracts") if c["status"] == "Draft")
    bad = requests.post(f"{sandbox.url}/_sandbox/act/nope", json={}, timeout=10)
    assert bad.status_code == 404
    approved = requests.post(
        f"{sandbox.url}/_sandbox/act/approve_commitment", json={"id": draft["id"]}, timeout=10
    )
    assert approved.json()["executed"] is True
