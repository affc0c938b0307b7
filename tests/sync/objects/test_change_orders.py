"""Approved change orders append summed lines to the commitment's PO and keep the old LineItemIDs."""

from collections import Counter
from decimal import Decimal

import pytest
import requests

from connector.clients import procore_client_for
from connector.models import Kind, Link
from sync.objects.change_orders import change_order_problem, summed_changes
from sync.services import sync_kind_run
from tests.sync.objects.test_commitments import (
    SC1,
    amount,
    export_accepted,
    faults,
    financial_prerequisites,
    purchase_orders,
    set_settings,
)

State = Link.State


def test_several_changes_to_one_commitment_line_are_summed_into_one():
    package = {"id": 1, "number": "CO1", "line_items": [
        {"position": 1, "commitment_line_item_id": 7, "extended_amount": "100.10", "description": "a"},
        {"position": 2, "commitment_line_item_id": 8, "extended_amount": "5.00", "description": "b"},
        {"position": 3, "commitment_line_item_id": 7, "extended_amount": "-33.33", "description": "c"}]}
    assert summed_changes(package) == [{"line_id": "7", "amount": Decimal("66.77"), "description": "a"},
                                       {"line_id": "8", "amount": Decimal("5.00"), "description": "b"}]


def test_a_change_order_waits_for_its_commitment():
    package = {"id": 1, "status": "approved"}
    message, hint = change_order_problem(package, None, [])
    assert message.startswith("Waiting") and "commitment" in hint
    assert "only approved" in change_order_problem({**package, "status": "pending"}, None, [])[0]


@pytest.fixture
def commitments_synced(connection, procore_sandbox, xero_sandbox, django_capture_on_commit_callbacks):
    financial_prerequisites(connection, procore_sandbox, skip_vendors=())
    yield connection
    faults(procore_sandbox, rate_limits=True)


def po_of(xero_sandbox, connection, link):
    return next(p for p in purchase_orders(xero_sandbox, connection) if p["PurchaseOrderID"] == link.xero_id)


@pytest.mark.django_db
def test_change_order_waits_then_appends_lines_keeping_line_ids(
        commitments_synced, procore_sandbox, xero_sandbox, django_capture_on_commit_callbacks):
    connection = commitments_synced
    run = sync_kind_run(connection_id=connection.pk, kind=Kind.CHANGE_ORDER)
    waiting = Link.objects.filter(connection=connection, kind=Kind.CHANGE_ORDER)
    assert sorted(int(l.procore_id) for l in waiting) == [4400000, 4400001, 4400002]  # the pending one: not listed
    assert all(l.state == State.FAILED and l.last_error.startswith("Waiting") for l in waiting)
    assert run.failed == 3

    export_accepted(connection, Kind.COMMITMENT, django_capture_on_commit_callbacks)
    commitment = Link.objects.get(connection=connection, kind=Kind.COMMITMENT, procore_id=str(SC1))
    before = po_of(xero_sandbox, connection, commitment)
    export_accepted(connection, Kind.CHANGE_ORDER, django_capture_on_commit_callbacks)

    link = Link.objects.get(connection=connection, kind=Kind.CHANGE_ORDER, procore_id="4400000")
    after = po_of(xero_sandbox, connection, commitment)
    assert link.state == State.SYNCED
    assert [l["LineItemID"] for l in after["LineItems"][: len(before["LineItems"])]] == \
        [l["LineItemID"] for l in before["LineItems"]]  # every old line kept, none recreated
    new = after["LineItems"][len(before["LineItems"]):]
    assert len(new) == 1 and new[0]["Description"].startswith("[SC-0001-CO01]")
    assert amount(new[0]["LineAmount"]) == Decimal("2800.00")
    assert new[0]["ItemCode"] == before["LineItems"][0]["ItemCode"]  # the changed commitment line's item
    assert new[0]["Tracking"] == before["LineItems"][0]["Tracking"]
    assert amount(after["Total"]) == amount(before["Total"]) + Decimal("2800.00")
    assert link.data["lines"] == {"9000000": new[0]["LineItemID"]}

    again = sync_kind_run(connection_id=connection.pk, kind=Kind.CHANGE_ORDER)
    assert (again.created, again.updated, again.failed) == (0, 0, 0)
    assert len(po_of(xero_sandbox, connection, commitment)["LineItems"]) == len(after["LineItems"])

    # A later edit of the commitment itself keeps the change-order line on the PO.
    procore = procore_client_for(connection)
    line = procore.commitment("work_order_contracts", 2800000, SC1)["line_items"][1]
    procore.sync_commitment_line_items("work_order_contracts", 2800000, SC1,
                                       [{"id": line["id"], "description": "Masonry testing, revised"}])
    assert sync_kind_run(connection_id=connection.pk, kind=Kind.COMMITMENT).updated == 1
    edited = po_of(xero_sandbox, connection, commitment)
    assert [l["LineItemID"] for l in edited["LineItems"]] == [l["LineItemID"] for l in after["LineItems"]]
    assert edited["LineItems"][1]["Description"] == "Masonry testing, revised"


@pytest.mark.django_db
def test_under_faults_change_order_lines_are_appended_once(
        commitments_synced, procore_sandbox, xero_sandbox, django_capture_on_commit_callbacks):
    connection = commitments_synced
    set_settings(connection, approve_commitments=False, approve_change_orders=False)
    sync_kind_run(connection_id=connection.pk, kind=Kind.COMMITMENT)
    faults(xero_sandbox, drop_after_commit_rate=0.5, error_rate=0.3, seed=3)
    for _ in range(15):
        sync_kind_run(connection_id=connection.pk, kind=Kind.CHANGE_ORDER)
        if Link.objects.filter(connection=connection, kind=Kind.CHANGE_ORDER, state=State.SYNCED).count() == 3:
            break
    stats = requests.get(f"{xero_sandbox.url}/_sandbox/stats", timeout=10).json()
    faults(xero_sandbox, drop_after_commit_rate=0, error_rate=0)
    assert Link.objects.filter(connection=connection, kind=Kind.CHANGE_ORDER, state=State.SYNCED).count() == 3
    tags = Counter(l["Description"].split("]")[0] for po in purchase_orders(xero_sandbox, connection)
                   for l in po["LineItems"] if l["Description"].startswith("["))
    # 4400001 changes two commitment lines: two lines; the others one each; never twice.
    assert tags == {"[SC-0001-CO01": 1, "[SC-0003-CO02": 2, "[SC-0008-CO03": 1}
    assert stats["drops_injected"] or stats["errors_injected"]
