"""Webhooks: hooks + triggers, v2 payloads with destination_headers, at-least-once retries, duplicates."""

import time

import pytest
import requests

from tests.procore_client.support import COMPANY_ID, Receiver, bearer, control, data

V0 = "/rest/v1.0"


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.stop()


def hook_on(server, receiver, resource="Projects", event="create", headers=None, version="v2"):
    auth = bearer(server)
    hook = requests.post(
        f"{server.url}{V0}/webhooks/hooks",
        headers=auth,
        timeout=10,
        json={
            "company_id": COMPANY_ID,
            "hook": {
                "api_version": version,
                "namespace": "xero-connector",
                "destination_url": receiver.url,
                "destination_headers": {"Authorization": "Bearer hook-secret-98765"},
            },
        },
    )
    assert hook.status_code == 201
    trigger = requests.post(
        f"{server.url}{V0}/webhooks/hooks/{hook.json()['id']}/triggers",
        headers=auth,
        timeout=10,
        json={"company_id": COMPANY_ID, "trigger": {"resource_name": resource, "event_type": event}},
    )
    assert trigger.status_code == 201 and trigger.json()["event_type"] == event.upper()
    return hook.json(), auth


def create_project(server, auth, name="Hooked Project"):
    answer = requests.post(
        f"{server.url}{V0}/projects",
        headers=auth,
        timeout=10,
        json={"company_id": COMPANY_ID, "project": {"name": name}},
    )
    assert answer.status_code == 201
    return answer.json()


def test_event_is_delivered_with_destination_headers(sandbox, receiver):
    hook, auth = hook_on(sandbox, receiver)
    assert hook["destination_headers"]["Authorization"].endswith("98765")
    assert "hook-secret" not in hook["destination_headers"]["Authorization"], "stored secret is masked"
    project = create_project(sandbox, auth)
    assert receiver.received == [], "nothing is sent before the pump runs"
    assert control(sandbox, "webhooks/flush")["delivered"] == 1
    [got] = receiver.received
    assert got["headers"]["Authorization"] == "Bearer hook-secret-98765"
    event = got["json"]
    assert {
        k: event[k] for k in ("resource_name", "resource_id", "event_type", "company_id", "api_version")
    } == {
        "resource_name": "Projects",
        "resource_id": project["id"],
        "event_type": "create",
        "company_id": COMPANY_ID,
        "api_version": "v2.0",
    }
    assert event["id"] and len(event["ulid"]) == 26 and event["timestamp"].endswith("Z")
    deliveries = requests.get(
        f"{sandbox.url}{V0}/webhooks/hooks/{hook['id']}/deliveries",
        headers=auth,
        params={"company_id": COMPANY_ID},
        timeout=10,
    ).json()
    assert [d["outcome"] for d in deliveries] == ["ok"] and deliveries[0]["response_status"] == 204


def test_failed_delivery_is_retried_with_backoff_until_it_succeeds(sandbox, receiver):
    _, auth = hook_on(sandbox, receiver)
    receiver.fail_next = 2
    create_project(sandbox, auth)
    assert control(sandbox, "webhooks/flush")["delivered"] == 0
    assert control(sandbox, "webhooks/flush") == {"delivered": 0, "pending": 1}, "backoff: not due yet"
    control(sandbox, "clock/advance", {"seconds": 1})
    assert control(sandbox, "webhooks/flush")["delivered"] == 0
    control(sandbox, "clock/advance", {"seconds": 1})
    assert control(sandbox, "webhooks/flush")["delivered"] == 0, "the second retry waits 2 s"
    control(sandbox, "clock/advance", {"seconds": 1})
    assert control(sandbox, "webhooks/flush") == {"delivered": 1, "pending": 0}
    assert len(receiver.received) == 3 and len({r["json"]["id"] for r in receiver.received}) == 1
    outcomes = [d["outcome"] for d in data(sandbox, "webhook_deliveries")]
    assert outcomes == ["retried", "retried", "ok"]


def test_a_failing_hook_holds_later_events_back_in_order(sandbox, receiver):
    _, auth = hook_on(sandbox, receiver)
    receiver.fail_next = 1
    first, second = create_project(sandbox, auth, "First"), create_project(sandbox, auth, "Second")
    control(sandbox, "webhooks/flush")
    assert [r["json"]["resource_id"] for r in receiver.received] == [first["id"]]
    control(sandbox, "webhooks/flush", {"force": True})
    assert [r["json"]["resource_id"] for r in receiver.received] == [first["id"], first["id"], second["id"]]


def test_duplicate_fault_delivers_an_event_twice(sandbox, receiver):
    _, auth = hook_on(sandbox, receiver)
    control(sandbox, "faults", {"duplicate_webhook_rate": 1.0})
    create_project(sandbox, auth)
    control(sandbox, "webhooks/flush")
    assert len(receiver.received) == 2 and receiver.received[0]["json"] == receiver.received[1]["json"]


def test_only_triggered_resources_and_events_are_sent(sandbox, receiver):
    _, auth = hook_on(sandbox, receiver, resource="Work Order Contracts", event="update")
    create_project(sandbox, auth)
    contract = next(c for c in data(sandbox, "work_order_contracts") if c["status"] == "Draft")
    answer = requests.post(
        f"{sandbox.url}/_sandbox/act/approve_commitment", json={"id": contract["id"]}, timeout=10
    )
    assert answer.status_code == 200 and answer.json()["status"] == "Approved"
    control(sandbox, "webhooks/flush")
    assert [
        (r["json"]["resource_name"], r["json"]["event_type"], r["json"]["resource_id"])
        for r in receiver.received
    ] == [("Work Order Contracts", "update", contract["id"])]
    assert receiver.received[0]["json"]["project_id"] == contract["project_id"]


def test_background_pump_delivers_without_a_flush(sandbox, receiver):
    _, auth = hook_on(sandbox, receiver)
    control(sandbox, "settings", {"webhook_autodeliver": True})
    create_project(sandbox, auth)
    for _ in range(50):  # polls the pump's outcome; no timing is asserted
        if receiver.received:
            break
        time.sleep(0.1)
    assert len(receiver.received) == 1


def test_events_failing_for_12_hours_are_discarded(sandbox, receiver):
    _, auth = hook_on(sandbox, receiver)
    receiver.fail_next = 10_000
    create_project(sandbox, auth)
    control(sandbox, "webhooks/flush")
    control(sandbox, "clock/advance", {"seconds": 12 * 3600})
    assert control(sandbox, "webhooks/flush") == {"delivered": 0, "pending": 0}
    assert [e["status"] for e in data(sandbox, "webhook_queue")] == ["discarded"]
    control(sandbox, "clock/advance", {"seconds": 3600})
    control(sandbox, "webhooks/flush", {"force": True})
    assert len(receiver.received) == 2, "a discarded event is not sent again"


def test_project_hook_only_hears_its_project(sandbox, receiver):
    auth = bearer(sandbox)
    contracts = data(sandbox, "work_order_contracts")
    mine = contracts[0]
    other = next(c for c in contracts if c["project_id"] != mine["project_id"])
    hook = requests.post(
        f"{sandbox.url}{V0}/webhooks/hooks",
        headers=auth,
        timeout=10,
        json={
            "project_id": mine["project_id"],
            "hook": {"api_version": "v2", "destination_url": receiver.url},
        },
    ).json()
    assert hook["owned_by_project_id"] == mine["project_id"] and hook["owned_by_company_id"] == COMPANY_ID
    requests.post(
        f"{sandbox.url}{V0}/webhooks/hooks/{hook['id']}/triggers",
        headers=auth,
        timeout=10,
        json={
            "project_id": mine["project_id"],
            "trigger": {"resource_name": "Work Order Contracts", "event_type": "update"},
        },
    )
    for contract in (mine, other):
        answer = requests.patch(
            f"{sandbox.url}{V0}/work_order_contracts/{contract['id']}",
            headers=auth,
            timeout=10,
            json={"project_id": contract["project_id"], "work_order_contract": {"description": "touched"}},
        )
        assert answer.status_code == 200
    control(sandbox, "webhooks/flush")
    assert [r["json"]["resource_id"] for r in receiver.received] == [mine["id"]]


# -- payload versions as Procore documents them today (plan_your_app/webhooks) --------------------------
def test_a_v4_hook_receives_string_ids_and_a_reason(sandbox, receiver):
    hook, auth = hook_on(sandbox, receiver, version="v4.0")
    project = create_project(sandbox, auth)
    control(sandbox, "webhooks/flush")
    [got] = receiver.received
    event = got["json"]
    assert set(event) == {"id", "timestamp", "reason", "company_id", "project_id", "user_id", "resource_type",
                          "resource_id"}
    assert (event["reason"], event["resource_type"]) == ("create", "Projects")
    assert (event["resource_id"], event["company_id"]) == (str(project["id"]), str(COMPANY_ID))
    assert len(event["id"]) == 26 and event["id"].isalnum()  # the id is the event's ULID
    deliveries = requests.get(f"{sandbox.url}{V0}/webhooks/hooks/{hook['id']}/deliveries", headers=auth,
                              params={"company_id": COMPANY_ID}, timeout=10).json()
    assert deliveries[0]["event"]["ulid"] == event["id"]  # the v1.0 deliveries list shows the same event


def test_a_v3_hook_names_the_direct_cost_of_a_line(sandbox, receiver):
    _, auth = hook_on(sandbox, receiver, resource="Direct Cost Line Items", event="update", version="v3")
    line = data(sandbox, "direct_cost_line_items")[0]
    answer = requests.patch(
        f"{sandbox.url}{V0}/projects/{line['project_id']}/direct_costs/line_items/sync", headers=auth,
        json={"updates": [{"id": line["id"], "description": "touched"}]}, timeout=10)
    assert answer.status_code == 200 and not answer.json()["errors"]
    control(sandbox, "webhooks/flush")
    event = receiver.received[0]["json"]
    assert event["api_version"] == "v3.0"
    assert event["related_resources"] == [{"id": line["direct_cost_id"], "name": "Direct Costs"}]


def test_vendor_changes_come_as_company_vendors_events_never_project_vendors_updates(sandbox, receiver):
    _, auth = hook_on(sandbox, receiver, resource="Company Vendors", event="update")
    vendor = data(sandbox, "vendors")[0]
    requests.patch(f"{sandbox.url}{V0}/vendors/sync", headers=auth, timeout=10, json={
        "company_id": COMPANY_ID, "updates": [{"id": vendor["id"], "email_address": "ap@new.example"}]})
    control(sandbox, "webhooks/flush")
    [got] = receiver.received
    assert (got["json"]["resource_name"], got["json"]["resource_id"]) == ("Company Vendors", vendor["id"])
    assert got["json"]["project_id"] is None  # a company-level event
    hooks = requests.get(f"{sandbox.url}{V0}/webhooks/hooks", headers=auth, params={"company_id": COMPANY_ID},
                         timeout=10).json()
    refused = requests.post(f"{sandbox.url}{V0}/webhooks/hooks/{hooks[0]['id']}/triggers", headers=auth,
                            timeout=10, json={"company_id": COMPANY_ID, "api_version": "v2", "trigger": {
                                "resource_name": "Project Vendors", "event_type": "update"}})
    assert refused.status_code == 422 and "2026-06-30" in refused.json()["errors"]["event_type"][0]
    created = requests.post(f"{sandbox.url}{V0}/webhooks/hooks/{hooks[0]['id']}/triggers", headers=auth,
                            timeout=10, json={"company_id": COMPANY_ID, "api_version": "v2", "trigger": {
                                "resource_name": "Project Vendors", "event_type": "create"}})
    assert created.status_code == 201
    resources = requests.get(f"{sandbox.url}{V0}/webhooks/resources", headers=auth,
                             params={"project_id": vendor and data(sandbox, "projects")[0]["id"]}, timeout=10)
    project_vendors = next(r for r in resources.json() if r["tools"] == "Project Vendors")
    assert project_vendors["except"] == ["update"] and project_vendors["update"] is None
