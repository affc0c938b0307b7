"""Approved change orders append summed lines to the commitment's PO and keep the old LineItemIDs."""

from collections import Counter
from decimal import Decimal

import pytest
import requests

from connector.clients import procore_client_for, xero_client_for
from connector.models import Kind, Link, LinkLine, SyncRun
from sync.objects.change_orders import change_order_problem, summed_changes
from sync.services import sync_kind_run
from tests.sandboxes import calls, calls_reset
from tests.sync.objects.test_commitments import (
    SC1,
    SC3,
    amount,
    export_accepted,
    faults,
    financial_prerequisites,
    line_ids,
    purchase_orders,
    sandbox_rows,
    set_settings,
)

State = Link.State
CO_PO2 = 4400003  # the pending change order, on PO-0002


def test_several_changes_to_one_commitment_line_are_summed_into_one():
    package = {"id": 1, "number": "CO1", "line_items": [
        {"position": 1, "commitment_line_item_id": 7, "extended_amount": "100.10", "description": "a"},
        {"position": 2, "commitment_line_item_id": 8, "extended_amount": "5.00", "description": "b"},
        {"position": 3, "commitment_line_item_id": 7, "extended_amount": "-33.33", "description": "c"}]}
    assert summed_changes(package["line_items"], lambda line: line["commitment_line_item_id"]) == [
        {"line_id": "7", "amount": Decimal("66.77"), "description": "a"},
                                       {"line_id": "8", "amount": Decimal("5.00"), "description": "b"}]


def test_a_change_order_waits_for_its_commitment():
    package = {"id": 1, "status": "approved", "contract_id": 7}
    problem = change_order_problem(package, None, [])
    assert problem.message.startswith("Waiting") and "commitment" in problem.hint
    assert problem.wait_for == ("commitment", "7")  # a scheduled run reads it again once commitment 7 is in Xero
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
    assert all(l.state == State.WAITING and l.last_error.startswith("Waiting") for l in waiting)
    assert run.failed == 0, "waiting for the commitment is not failing"

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
    assert line_ids(link) == {"9000000": new[0]["LineItemID"]}
    package = next(p for p in sandbox_rows(procore_sandbox, "change_order_packages") if p["id"] == 4400000)
    assert (package["origin_id"], package["origin_code"], package["origin_data"]) == (
        new[0]["LineItemID"], "SC-0001", "Lines added to Xero purchase order SC-0001")  # Procore shows it

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


# -- Xero calls: one write per PO however many packages, ≤ 50 POs per call --------------------------
SC8 = 8100004


@pytest.fixture
def exported(commitments_synced, xero_sandbox):
    """The four approved commitments are POs in Xero; change orders go without an approval queue."""
    connection = commitments_synced
    set_settings(connection, approve_commitments=False, approve_change_orders=False)
    assert sync_kind_run(connection_id=connection.pk, kind=Kind.COMMITMENT).created == 4
    return connection


def approved_package(procore_sandbox, contract_id, number, value, line=0, *, like=None) -> int:
    """A Procore user adds and approves a change order on one line of the commitment (or, for a commitment
    made up by the test, of the commitment `like`). Written in the sandbox's tables: the public API takes
    neither a package's number nor its lines on create."""
    from sandbox.procore.state import utc_iso

    state = procore_sandbox.state
    like = like or contract_id
    with state.lock:
        packages = state.table("change_order_packages")
        seen = next(p for p in packages.values() if p["contract_id"] == like)
        lines = sorted((li for li in state.table("commitment_line_items").values() if li["holder_id"] == like),
                       key=lambda li: li["position"])
        package_id = state.next_id("change_order_packages")
        packages[package_id] = {**seen, "id": package_id, "contract_id": contract_id, "number": number,
                                "title": f"Change {number}", "status": "approved", "grand_total": value,
                                "updated_at": utc_iso(),
                                "line_items": [{**seen["line_items"][0], "id": state.next_id("commitment_line_items"),
                                                "description": f"Change {number}", "extended_amount": value,
                                                "total_amount": value, "unit_cost": value,
                                                # Procore names the changed line by cost code × cost type
                                                "cost_code_id": lines[line]["cost_code_id"],
                                                "line_item_type_id": lines[line]["line_item_type_id"],
                                                "commitment_line_item_id": lines[line]["id"]}]}
    return package_id


def po_calls(server) -> tuple[int, int]:
    """(reads, writes) of purchase orders since the last reset."""
    found = calls(server)
    reads = sum(n for rule, n in found.items() if rule.startswith("GET") and "PurchaseOrders" in rule)
    return reads, found.get("POST /api.xro/2.0/PurchaseOrders", 0)


def co_link(connection, procore_id):
    return Link.objects.get(connection=connection, kind=Kind.CHANGE_ORDER, procore_id=str(procore_id))


def tag_counts(xero_sandbox, connection) -> Counter:
    return Counter(l["Description"].split("]")[0] + "]" for po in purchase_orders(xero_sandbox, connection)
                   for l in po["LineItems"] if l["Description"].startswith("["))


@pytest.mark.django_db
def test_two_packages_on_one_po_are_appended_in_one_write_keeping_the_old_line_ids(
        exported, procore_sandbox, xero_sandbox):
    connection = exported
    commitment = Link.objects.get(connection=connection, kind=Kind.COMMITMENT, procore_id=str(SC1))
    before = po_of(xero_sandbox, connection, commitment)
    second = approved_package(procore_sandbox, SC1, "SC-0001-CO90", "250.00", line=1)

    calls_reset(xero_sandbox)
    run = sync_kind_run(connection_id=connection.pk, kind=Kind.CHANGE_ORDER)
    # 4 packages on 3 POs: one page of all POs, one write (the package-by-package export made 4 + 4).
    assert po_calls(xero_sandbox) == (1, 1)
    assert (run.updated, run.failed, run.total) == (4, 0, 5)  # total: every package read, the pending one too

    after = po_of(xero_sandbox, connection, commitment)
    old = len(before["LineItems"])
    assert [l["LineItemID"] for l in after["LineItems"][:old]] == [l["LineItemID"] for l in before["LineItems"]]
    new = after["LineItems"][old:]
    assert [l["Description"].split("]")[0] + "]" for l in new] == ["[SC-0001-CO01]", "[SC-0001-CO90]"]
    assert amount(new[1]["LineAmount"]) == Decimal("250.00")
    lines = list(line_ids(commitment))
    assert line_ids(co_link(connection, 4400000)) == {lines[0]: new[0]["LineItemID"]}
    assert line_ids(co_link(connection, second)) == {lines[1]: new[1]["LineItemID"]}
    assert tag_counts(xero_sandbox, connection) == {"[SC-0001-CO01]": 1, "[SC-0001-CO90]": 1,
                                                    "[SC-0003-CO02]": 2, "[SC-0008-CO03]": 1}


@pytest.mark.django_db
def test_many_pos_are_read_in_one_page_and_written_fifty_per_call(exported, procore_sandbox, xero_sandbox):
    connection = exported
    sc1 = Link.objects.get(connection=connection, kind=Kind.COMMITMENT, procore_id=str(SC1))
    template = po_of(xero_sandbox, connection, sc1)
    lines = [{k: l[k] for k in ("Description", "Quantity", "UnitAmount", "ItemCode", "AccountCode", "Tracking")}
             for l in template["LineItems"]]
    # 56 more commitments in Xero, like SC-0001, each with two change orders: 3 + 56 = 59 POs to append to.
    xero, extra = xero_client_for(connection), 56
    for start in (0, 50):
        written = xero.write_batch("purchase_orders", [
            {"Contact": {"ContactID": template["Contact"]["ContactID"]}, "Reference": f"X-{n} · Procore {9900000 + n}",
             "LineItems": lines} for n in range(start, min(start + 50, extra))], None)
        for n, result in zip(range(start, extra), written):
            link = Link.objects.create(connection=connection, kind=Kind.COMMITMENT, procore_id=str(9900000 + n),
                                       xero_id=result.id, state=State.SYNCED, engine_data=sc1.engine_data)
            LinkLine.objects.bulk_create([LinkLine(link=link, procore_line_id=line.procore_line_id,
                                                   item_code=line.item_code, position=line.position)
                                          for line in sc1.lines.all()])
            for line in (0, 1):
                approved_package(procore_sandbox, 9900000 + n, f"X-{n}-CO{line}", "10.00", line, like=SC1)

    calls_reset(xero_sandbox)
    run = sync_kind_run(connection_id=connection.pk, kind=Kind.CHANGE_ORDER)
    assert (run.updated, run.failed) == (3 + 2 * extra, 0)
    assert po_calls(xero_sandbox) == (1, 2)  # one page of all POs; ceil(59 / 50) writes (was 115 + 115)
    links = Link.objects.filter(connection=connection, kind=Kind.CHANGE_ORDER)
    assert len({l.idempotency_key for l in links}) == 2  # one stored key per write
    assert all(tag_counts(xero_sandbox, connection)[f"[X-{n}-CO{line}]"] == 1
               for n in range(extra) for line in (0, 1))


@pytest.mark.django_db
def test_a_scheduled_run_with_nothing_changed_reads_only_the_package_lists(
        exported, procore_sandbox, xero_sandbox):
    connection = exported
    sync_kind_run(connection_id=connection.pk, kind=Kind.CHANGE_ORDER)
    projects = Link.objects.filter(connection=connection, kind=Kind.PROJECT, state=State.SYNCED).count()

    calls_reset(procore_sandbox, xero_sandbox)
    run = sync_kind_run(connection_id=connection.pk, kind=Kind.CHANGE_ORDER, trigger=SyncRun.Trigger.SCHEDULE)
    assert (run.created, run.updated, run.failed) == (0, 0, 0)
    assert calls(xero_sandbox) == {}
    # One read per project in Xero; the projects list itself is not read.
    assert calls(procore_sandbox) == {"GET /rest/v1.0/change_order_packages": projects}

    # One package approved since: only it is read (total 1); its PO is read by id (cheaper than a page of all
    # POs) and written once.
    requests.post(f"{procore_sandbox.url}/_sandbox/act/approve_change_order", data={"id": CO_PO2},
                  timeout=10).raise_for_status()
    calls_reset(xero_sandbox)
    run = sync_kind_run(connection_id=connection.pk, kind=Kind.CHANGE_ORDER, trigger=SyncRun.Trigger.SCHEDULE)
    assert (run.total, run.updated) == (1, 1) and co_link(connection, CO_PO2).state == State.SYNCED
    assert calls(xero_sandbox) == {"GET /api.xro/2.0/PurchaseOrders/<record_id>": 1,
                                   "POST /api.xro/2.0/PurchaseOrders": 1}


@pytest.mark.django_db
def test_a_lost_answer_never_appends_twice(exported, procore_sandbox, xero_sandbox):
    connection = exported
    faults(xero_sandbox, drop_after_commit_rate=1.0)  # every write applied, then the connection is cut
    calls_reset(xero_sandbox)
    lost = sync_kind_run(connection_id=connection.pk, kind=Kind.CHANGE_ORDER)
    faults(xero_sandbox, drop_after_commit_rate=0)
    assert po_calls(xero_sandbox)[1] == 3  # resent with the same key: Xero replayed, applied once
    assert lost.failed == 3 and {l.state for l in Link.objects.filter(
        connection=connection, kind=Kind.CHANGE_ORDER)} == {State.EXPORTING}
    once = {"[SC-0001-CO01]": 1, "[SC-0003-CO02]": 2, "[SC-0008-CO03]": 1}
    assert tag_counts(xero_sandbox, connection) == once

    calls_reset(xero_sandbox)
    found = sync_kind_run(connection_id=connection.pk, kind=Kind.CHANGE_ORDER)
    assert (found.linked, found.updated, found.failed) == (3, 0, 0)
    assert po_calls(xero_sandbox) == (1, 0)  # found by their tags on the POs, not written again
    assert tag_counts(xero_sandbox, connection) == once
    link = co_link(connection, 4400001)
    assert link.state == State.SYNCED and link.lines.count() == 2


@pytest.mark.django_db
def test_a_batch_that_never_reached_xero_is_found_missing_and_sent_once(exported, procore_sandbox, xero_sandbox,
                                                                        monkeypatch):
    from sync.objects import change_orders

    connection = exported
    with monkeypatch.context() as patched:
        patched.setattr(change_orders, "send_batch", lambda *args: None)  # no answer, nothing applied
        sync_kind_run(connection_id=connection.pk, kind=Kind.CHANGE_ORDER)
    keys = {l.idempotency_key for l in Link.objects.filter(connection=connection, kind=Kind.CHANGE_ORDER)}
    assert len(keys) == 1 and tag_counts(xero_sandbox, connection) == {}

    again = sync_kind_run(connection_id=connection.pk, kind=Kind.CHANGE_ORDER)
    assert again.updated == 3
    assert again.records.filter(message__contains="never reached Xero").count() == 3  # looked for by their tags
    links = Link.objects.filter(connection=connection, kind=Kind.CHANGE_ORDER)
    assert {l.state for l in links} == {State.SYNCED}
    assert tag_counts(xero_sandbox, connection) == {"[SC-0001-CO01]": 1, "[SC-0003-CO02]": 2,
                                                    "[SC-0008-CO03]": 1}


@pytest.mark.django_db
def test_a_refused_or_billed_po_fails_only_its_own_packages(exported, procore_sandbox, xero_sandbox):
    connection = exported
    sc3 = Link.objects.get(connection=connection, kind=Kind.COMMITMENT, procore_id=str(SC3))
    sc8 = Link.objects.get(connection=connection, kind=Kind.COMMITMENT, procore_id=str(SC8))
    # Its new lines name a tracking option Xero does not have: Xero refuses that PO's element.
    sc8.engine_data = {**sc8.engine_data, "tracking": [{**sc8.engine_data["tracking"][0], "Option": "NO-SUCH-OPTION",
                                                        "TrackingOptionID": "00000000-0000-4000-8000-000000000000"}]}
    sc8.save(update_fields=["engine_data"])
    xero = xero_client_for(connection)
    for status in ("AUTHORISED", "BILLED"):  # a person approves the PO in Xero, then marks it billed
        assert xero.write_batch("purchase_orders", [{"PurchaseOrderID": sc3.xero_id, "Status": status}], None)[0].ok

    calls_reset(xero_sandbox)
    run = sync_kind_run(connection_id=connection.pk, kind=Kind.CHANGE_ORDER)
    assert po_calls(xero_sandbox) == (1, 1) and (run.updated, run.failed) == (1, 2)
    assert co_link(connection, 4400000).state == State.SYNCED
    refused, billed = co_link(connection, 4400002), co_link(connection, 4400001)
    assert refused.state == State.FAILED and "NO-SUCH-OPTION" in refused.last_error
    assert billed.state == State.FAILED and "billed in Xero" in billed.last_error
    assert tag_counts(xero_sandbox, connection) == {"[SC-0001-CO01]": 1}


@pytest.mark.django_db(transaction=True)
def test_a_commitment_edit_and_a_change_order_of_the_same_po_at_once_lose_no_line(
        exported, procore_sandbox, xero_sandbox, monkeypatch):
    """The commitment run has read the PO and is about to write it back; the change order run for the same PO
    starts right then. It waits for the PO's lock, reads the PO as the edit left it, and appends to that."""
    import threading

    from django.db import connection as db

    import sync.objects.commitments as commitments_module
    from connector.locks import lock_contended

    connection = exported
    sc1 = Link.objects.get(connection=connection, kind=Kind.COMMITMENT, procore_id=str(SC1))
    procore = procore_client_for(connection)
    line = procore.commitment("work_order_contracts", 2800000, SC1)["line_items"][0]
    procore.sync_commitment_line_items("work_order_contracts", 2800000, SC1, [
        {"id": line["id"], "description": "Footings, revised", "amount": "1500.00", "quantity": "1",
         "unit_cost": "1500.00"}])
    approved_package(procore_sandbox, SC1, "SC-0001-CO77", "500.00", line=1)
    edit_has_read, change_order_waits = threading.Event(), threading.Event()
    real_read = commitments_module.purchase_orders_now

    def read_then_hold(ctx, ids):
        pos = real_read(ctx, ids)
        edit_has_read.set()
        change_order_waits.wait(timeout=60)  # a guard against hanging, not a timing: the lock signal releases it
        return pos

    def contended(sender, name, **kwargs):
        if name.endswith(sc1.xero_id):
            change_order_waits.set()

    monkeypatch.setattr(commitments_module, "purchase_orders_now", read_then_hold)
    lock_contended.connect(contended)
    results = {}

    def run(kind):
        try:
            results[kind] = sync_kind_run(connection_id=connection.pk, kind=kind)
        finally:
            db.close()

    try:
        edit = threading.Thread(target=run, args=(Kind.COMMITMENT,))
        edit.start()
        assert edit_has_read.wait(timeout=120)
        change_orders = threading.Thread(target=run, args=(Kind.CHANGE_ORDER,))
        change_orders.start()
        edit.join(timeout=300)
        change_orders.join(timeout=300)
    finally:
        lock_contended.disconnect(contended)
    assert change_order_waits.is_set(), "the change order run met the PO's lock"
    assert results[Kind.COMMITMENT].updated == 1 and results[Kind.CHANGE_ORDER].failed == 0

    po = po_of(xero_sandbox, connection, sc1)
    descriptions = [l["Description"] for l in po["LineItems"]]
    assert descriptions[0] == "Footings, revised" and amount(po["LineItems"][0]["LineAmount"]) == Decimal("1500.00")
    assert any(d.startswith("[SC-0001-CO77]") for d in descriptions), "the change order's line is on the PO"
    assert any(d.startswith("[SC-0001-CO01]") for d in descriptions)
    assert co_link(connection, 4400000).state == State.SYNCED
