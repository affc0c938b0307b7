"""Seeded data: deterministic, readable by a person, rich enough for the product's stories; medium is fast."""

import time
from collections import Counter
from decimal import Decimal

from sandbox import datasets
from sandbox.procore import SEED_NOW, ProcoreState
from sandbox.procore.state import utc_iso


def rows(state, table):
    return list(state.table(table).values())


def test_same_seed_same_data_other_seed_other_data():
    a, b, c = ProcoreState("small", 1), ProcoreState("small", 1), ProcoreState("small", 2)
    for table in ("projects", "vendors", "work_order_contracts", "requisitions", "commitment_line_items"):
        assert a.dump(table) == b.dump(table)
    assert a.dump("vendors") != c.dump("vendors")


def test_vendor_names_match_the_shared_dataset_so_xero_contacts_line_up():
    state = ProcoreState("small", 1)
    assert [v["name"] for v in rows(state, "vendors")] == datasets.vendor_names("small", 1)
    assert all(v["company_id"] == datasets.PROCORE_COMPANIES[0]["id"] for v in rows(state, "vendors"))


def test_small_company_has_what_the_stories_need():
    state = ProcoreState("small", 1)
    [erp_list] = rows(state, "standard_cost_code_lists")
    assert erp_list["is_erp_list"] is True
    codes = rows(state, "standard_cost_codes")
    types = rows(state, "line_item_types")
    too_long = [c for c in codes for t in types if len(f"{c['full_code']}-{t['code']}") > 30]
    assert {c["full_code"] for c in too_long} == {"99-9000-EXTENDED-WARRANTY-WRK"}
    projects = rows(state, "projects")
    now = utc_iso(SEED_NOW)
    assert any(p["created_at"] < now for p in projects) and any(p["created_at"] > now for p in projects)
    assert sum(1 for p in projects if not p["active"]) == 1
    vendors = rows(state, "vendors")
    assert any(v["business_register"] and v["business_register"]["type"] == "EIN" for v in vendors)
    assert any(v["email_address"] for v in vendors) and any(not v["email_address"] for v in vendors)
    statuses = Counter(
        c["status"] for c in rows(state, "work_order_contracts") + rows(state, "purchase_order_contracts")
    )
    assert statuses["Approved"] >= 3 and statuses["Draft"] >= 1
    lines = rows(state, "commitment_line_items")
    scc_ids = {c["id"] for c in codes}
    project_codes = state.table("cost_codes")
    assert all(project_codes[li["cost_code_id"]]["standard_cost_code_id"] in scc_ids for li in lines)
    assert {c["status"] for c in rows(state, "commitment_change_orders")} == {"approved", "pending"}
    invoices = rows(state, "requisitions")
    assert {"approved", "approved_as_noted", "pending_owner_approval", "draft"} <= {
        q["status"] for q in invoices
    }
    negative = [q for q in invoices if Decimal(q["summary"]["current_payment_due"]) < 0]
    assert len(negative) == 1 and negative[0]["status"] == "approved"
    summary = invoices[0]["summary"]
    assert Decimal(summary["total_retainage"]) > 0 and all(isinstance(v, str) for v in summary.values())
    assert invoices[0]["items"] and all(
        isinstance(i["work_completed_this_period"], str) for i in invoices[0]["items"]
    )


def test_empty_has_nothing():
    state = ProcoreState("empty", 1)
    assert not any(state.counts().values())


def test_medium_seeds_in_seconds_with_the_documented_volumes():
    started = time.perf_counter()
    state = ProcoreState("medium", 3)
    elapsed = time.perf_counter() - started
    spec = datasets.SIZES["medium"]
    counts = state.counts()
    assert counts["standard_cost_codes"] == spec.cost_codes + 1
    assert counts["line_item_types"] == spec.cost_types
    assert counts["projects"] == spec.projects and counts["vendors"] == spec.vendors
    assert counts["work_order_contracts"] + counts["purchase_order_contracts"] == spec.commitments
    assert counts["commitment_line_items"] == spec.commitments * spec.lines_per_commitment
    assert (
        counts["commitment_change_orders"] == spec.change_orders and counts["requisitions"] == spec.invoices
    )
    assert elapsed < 20, f"medium took {elapsed:.1f}s"


def test_saved_state_loads_back_and_new_ids_do_not_collide(tmp_path):
    saved = ProcoreState("small", 1, persist_path=tmp_path / "procore.json")
    saved.table("vendors")[saved.next_id("vendors")] = {"id": 0, "name": "Added Before Save"}
    saved.save()
    loaded = ProcoreState("small", 2, persist_path=tmp_path / "procore.json")
    assert loaded.load() and loaded.seed_value == 1
    assert loaded.dump("vendors") == saved.dump("vendors")
    assert loaded.next_id("vendors") not in loaded.table("vendors")
