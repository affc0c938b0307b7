"""The benchmark's arithmetic: floors from counts and limits, ratios, the Markdown table."""

from bench import budget, charts, floors, report


def raw_kind(kind, direction="export", **values):
    base = {"kind": kind, "direction": direction, "records": 0, "created": 0, "updated": 0, "linked": 0,
            "failed": 0, "xero_calls": 0, "procore_calls": 0, "wall_s": 0.0, "runs": 1, "statuses": ["succeeded"],
            "xero_floor": 0, "procore_floor": 0}
    return {**base, **values}


def test_floors_follow_the_batch_and_page_limits():
    counts = {"standard_cost_codes": 2001, "projects": 150, "vendors": 1500, "Contacts": 1000,
              "synced_projects": 95, "PurchaseOrders": 1500}
    assert floors.floor("cost_code", counts, {"xero": 101}) == {"xero": 3, "procore": 1 + 3 + 1}
    # 50 contacts made, then their Procore vendors stamped with the contact ids in one sync call.
    assert floors.floor("vendor", counts, {"xero": 50}) == {"xero": 1 + 1, "procore": 2 + 1}
    assert floors.floor("vendor", counts, {}, incremental=True) == {"xero": 1, "procore": 1}
    # Two lists per project in Xero, one detail per contract written; 20 edits read their POs by page (2).
    assert floors.floor("commitment", counts, {"xero": 120, "updated": 20}) == {"xero": 2 + 3,
                                                                                         "procore": 190 + 120 + 1}
    # 130 change orders on 70 POs: the POs read by page (2), written 50 a call (2).
    assert floors.floor("change_order", counts, {"xero": 130, "documents": 70}) == {"xero": 2 + 2,
                                                                                    "procore": 95 + 130 + 130}
    assert floors.floor("change_order", counts, {"xero": 1, "documents": 1}) == {"xero": 1 + 1, "procore": 95 + 2}
    # Direct costs on 7 projects, 2 more with documents waiting for a mapping: line item types, each project's
    # cost codes, then headers and lines per project written.
    assert floors.floor("job_cost", {**counts, "Invoices": 2500}, {"procore": 900, "projects": 7,
                                                                   "judged_projects": 9}) == \
        {"xero": 3 + 1 + 1, "procore": 1 + 9 + 2 * 7}
    assert floors.floor("job_cost", counts, {}, incremental=True) == {"xero": 3, "procore": 0}
    assert floors.floor("payment", counts, {"procore": 3}, incremental=True) == {"xero": 1 + 1, "procore": 3}
    assert floors.floor("invoice", counts, {"xero": 60}) == {"xero": 1 + 2,
                                                                "procore": counts["synced_projects"] + 60}
    assert floors.floor("invoice", counts, {"xero": 3, "updated": 3})["xero"] == 1  # no new bill: no lock dates
    # A file is one Xero upload; its download is a storage link, not a Procore API call.
    assert floors.floor("invoice", counts, {"xero": 2, "attachments": 2}) == {"xero": 1 + 1 + 2,
                                                                              "procore": 95 + 2}
    assert floors.floor("a_kind_added_later", counts, {}) is None


def test_report_totals_ratios_and_unknown_kinds(tmp_path):
    counts = {"standard_cost_codes": 10, "projects": 2}
    phase = {"start_counts": counts, "decisions_s": 0.5, "elapsed_s": 9.0, "endpoints": {},
             "kinds": {"cost_code": raw_kind("cost_code", created=30, xero_calls=1, procore_calls=3, records=30,
                                             wall_s=1.5, xero_floor=1, procore_floor=3),
                       "later": raw_kind("later", xero_calls=2, xero_floor=None, procore_floor=None)}}
    summary = report.phase_summary("initial", phase)
    assert summary["kinds"]["cost_code"]["xero_ratio"] == 1.0 and summary["kinds"]["cost_code"]["procore_ratio"] == 1.0
    assert summary["xero_floor"] is None and summary["xero_calls"] == 3  # an unknown kind makes the total n/a
    assert summary["wall_s"] == 2.0 and summary["records_per_s"] == 15.0
    raw = {"seed": 1, "peak_rss_mb": 90.0, "changed": {}, "replay_initial": {"calls": 4, "non_2xx": 0, "wall_s": 1.0},
           "phases": {p: phase for p in report.PHASES}}
    result = report.summarise({"small": raw})
    assert result["overhead_ratio"] == 2.0 and result["peak_rss_mb"] == {"small": 90.0}
    assert set(result["phases"]["noop"]) >= {"records", "xero_calls", "xero_floor", "procore_calls", "procore_floor",
                                             "wall_s"}
    table = report.markdown(result)
    assert "| **initial** | **total** | 30 |" in table and "n/a" in table
    # The goals are measured and said, met or not (never asserted by the benchmark itself).
    assert "connector time over a bare replay ≤ 1.25: 2.0 **not met**" in table
    # The pictures beside the table: day one per kind, and growth per size.
    drawn = charts.draw(result, tmp_path, "latest")
    assert [p.name for p in drawn] == ["latest-kinds.png", "latest-growth.png"]
    assert all(p.read_bytes()[:4] == b"\x89PNG" for p in drawn)


def test_a_size_measured_for_growth_only_shows_in_growth_and_leaves_the_headline_to_the_full_size():
    phase = {"start_counts": {}, "decisions_s": 0.0, "elapsed_s": 1.0, "endpoints": {},
             "kinds": {"cost_code": raw_kind("cost_code", records=100, wall_s=1.0, xero_floor=1, procore_floor=1)}}
    full = {"seed": 1, "peak_rss_mb": 100.0, "changed": {}, "replay_initial": {"calls": 4, "non_2xx": 0, "wall_s": 0.5},
            "phases": {p: phase for p in report.PHASES}}
    big = {"seed": 1, "peak_rss_mb": 110.0, "growth_only": True,
           "phases": {"initial": {**phase, "kinds": {"cost_code": raw_kind("cost_code", records=1000, wall_s=12.0,
                                                                           xero_floor=1, procore_floor=1)}}}}
    result = report.summarise({"medium": full, "large": big})

    assert result["dataset"]["size"] == "medium" and result["overhead_ratio"] == 2.0
    assert result["growth"]["large"] == {"initial_wall_s": 12.0, "records": 1000, "peak_rss_mb": 110.0}
    assert "large over medium: 10.0× the records, 1.20× the time a record, 1.10× the peak memory" in \
        report.markdown(result)


def test_a_days_budget_is_the_schedules_runs_plus_the_days_changes_and_webhooks():
    def phase(**calls):
        return {"kinds": {k: {"xero_calls": x, "procore_calls": p} for k, (x, p) in calls.items()}}

    phases = {"noop": phase(vendor=(1, 1), commitment=(0, 190), payment=(1, 0)),
              "one_percent": phase(vendor=(2, 2), commitment=(2, 200), payment=(2, 49))}
    schedule = {"runs_per_day": {"vendor": 24, "commitment": 12, "payment": 0},
                "webhook_kinds": ["vendor", "commitment", "payment"]}
    changed = {"procore commitments": 10, "xero contacts": 3, "procore requisitions approved": 5}
    day = budget.day(phases, changed, schedule)
    # Xero: 24 vendor polls, the changes' extra (1 + 2 + 1), 3 contact events each a vendor run (1).
    assert day["xero_per_day"] == 24 + 4 + 3
    # Procore: 24 + 12 × 190 polls; changes 1 + 10 + 49; 10 narrowed commitment runs (2) + 3 vendor runs (1).
    assert day["procore_per_day"] == 24 + 2280 + 60 + 23
    assert day["procore_peak_hour"] == round(191 + 83 / 8) and day["xero_met"] and day["procore_met"]
    assert "Xero 31 calls per organisation per day (goal ≤ 1000) met" in budget.line(day)
