"""Procore's origin rules on the records the connector writes to Xero: commitments, change order packages
and subcontractor invoices carry `origin_id` (unique per company and resource), `origin_code` where the
contract has it, and `origin_data`; once synced they are locked as Procore locks them (tutorial_financial_tools)."""

import requests

from tests.procore_client.support import bearer, data

V0, V1 = "/rest/v1.0", "/rest/v1.1"


def patch(server, path, body, **params):
    return requests.patch(f"{server.url}{path}", headers=bearer(server), json=body, params=params, timeout=10)


def get(server, path, **params):
    return requests.get(f"{server.url}{path}", headers=bearer(server), params=params, timeout=10)


def approved(server, table):
    return [c for c in data(server, table) if c["status"] == "Approved"]


def test_a_commitment_takes_origin_id_code_and_data_through_sync(sandbox):
    first, second = approved(sandbox, "work_order_contracts")[:2]
    stamp = {"id": first["id"], "origin_id": "po-guid-1", "origin_code": "PO-0001", "origin_data": "Xero PO"}
    answer = patch(sandbox, f"{V0}/work_order_contracts/sync",
                   {"project_id": first["project_id"], "updates": [stamp]}).json()
    assert not answer["errors"] and answer["entities"][0]["origin_code"] == "PO-0001"
    listed = get(sandbox, f"{V0}/work_order_contracts", project_id=first["project_id"],
                 **{"filters[origin_id]": "po-guid-1"}).json()
    assert [(c["id"], c["origin_code"], c["origin_data"]) for c in listed] == [(first["id"], "PO-0001", "Xero PO")]
    # Unique per company and resource: another work order contract may not take it…
    taken = patch(sandbox, f"{V0}/work_order_contracts/sync", {"project_id": second["project_id"], "updates": [
        {"id": second["id"], "origin_id": "po-guid-1"}]}).json()
    assert taken["errors"][0]["errors"] == {"origin_id": ["has already been taken"]}
    # …a purchase order contract (another resource) may.
    po = approved(sandbox, "purchase_order_contracts")[0]
    other = patch(sandbox, f"{V0}/purchase_order_contracts/sync", {"project_id": po["project_id"], "updates": [
        {"id": po["id"], "origin_id": "po-guid-1", "origin_code": "PO-0002"}]}).json()
    assert not other["errors"] and other["entities"][0]["origin_id"] == "po-guid-1"


def test_a_change_order_package_takes_origin_fields_then_is_locked(sandbox):
    packages = [p for p in data(sandbox, "change_order_packages") if p["status"] == "approved"]
    first, second = packages[0], next(p for p in packages if p["project_id"] != packages[0]["project_id"])
    path = f"{V0}/change_order_packages/{first['id']}"
    stamp = {"origin_id": "po-guid-7:co", "origin_code": "PO-0007", "origin_data": "lines appended"}
    answer = patch(sandbox, path, {"project_id": first["project_id"], "change_order": stamp})
    assert answer.status_code == 200 and answer.json()["origin_code"] == "PO-0007"
    listed = get(sandbox, f"{V0}/change_order_packages", project_id=first["project_id"]).json()
    assert next(p for p in listed if p["id"] == first["id"])["origin_data"] == "lines appended"
    taken = patch(sandbox, f"{V0}/change_order_packages/{second['id']}",  # unique in the company
                  {"project_id": second["project_id"], "change_order": {"origin_id": "po-guid-7:co"}})
    assert taken.status_code == 422 and taken.json()["errors"] == {"origin_id": ["has already been taken"]}
    locked = patch(sandbox, path, {"project_id": first["project_id"], "change_order": {"title": "Renamed"}})
    assert locked.status_code == 422 and "synced with ERP" in locked.json()["errors"]["base"][0]


def test_a_subcontractor_invoice_takes_origin_id_and_data_then_is_immutable(sandbox):
    invoices = [q for q in data(sandbox, "requisitions") if q["status"] == "approved"]
    first, second = invoices[0], invoices[1]
    path = f"{V1}/requisitions/{first['id']}"
    body = {"project_id": first["project_id"], "commitment_id": first["commitment_id"],
            "requisition": {"origin_id": "bill-guid-1", "origin_data": "Xero bill INV-10001"}}
    answer = patch(sandbox, path, body)
    assert answer.status_code == 200
    assert (answer.json()["origin_id"], answer.json()["origin_data"]) == ("bill-guid-1", "Xero bill INV-10001")
    assert "origin_code" not in answer.json()  # the invoice has no origin_code in Procore's contract
    listed = get(sandbox, f"{V1}/requisitions", project_id=first["project_id"],
                 **{"filters[origin_id]": "bill-guid-1"}).json()
    assert [q["id"] for q in listed] == [first["id"]]
    taken = patch(sandbox, f"{V1}/requisitions/{second['id']}",
                  {"project_id": second["project_id"], "commitment_id": second["commitment_id"],
                   "requisition": {"origin_id": "bill-guid-1"}})
    assert taken.status_code == 422 and taken.json()["errors"] == {"origin_id": ["has already been taken"]}
    locked = patch(sandbox, path, {**body, "requisition": {"invoice_number": "CHANGED"}})
    assert locked.status_code == 422
    assert locked.json()["errors"]["base"] == ["The requisition is not editable because it has been synced with ERP"]


# -- the pay application travels with the invoice (the contract's requisition `attachments`) ---------------
def test_a_subcontractor_invoice_lists_its_pay_application_at_a_signed_link(sandbox):
    invoice = next(q for q in data(sandbox, "requisitions") if q["status"] == "approved")
    shown = get(sandbox, f"{V1}/requisitions/{invoice['id']}", project_id=invoice["project_id"]).json()
    [attachment] = shown["attachments"]
    assert set(attachment) == {"id", "filename", "content_type", "url"}
    assert attachment["filename"] == f"Pay Application {invoice['invoice_number']}.pdf"
    listed = get(sandbox, f"{V1}/requisitions", project_id=invoice["project_id"], view="items").json()
    assert next(q for q in listed if q["id"] == invoice["id"])["attachments"] == [attachment]
    file = requests.get(attachment["url"], timeout=10)  # no bearer token: the link itself is the key
    assert file.status_code == 200 and file.headers["Content-Type"] == "application/pdf"
    assert file.content.startswith(b"%PDF-") and invoice["invoice_number"].encode() in file.content
    forged = requests.get(attachment["url"].split("?")[0] + "?sig=0", timeout=10)
    assert forged.status_code == 403
    draft = next(q for q in data(sandbox, "requisitions") if q["status"] == "draft")
    assert get(sandbox, f"{V1}/requisitions/{draft['id']}", project_id=draft["project_id"]).json()["attachments"] == []
