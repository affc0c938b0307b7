"""The chaos table says, per resource, what a faulty day left against the clean one."""

from bench import chaos_report


def _result(**over):
    result = {
        "size": "small", "seed": 7, "faults": {"error_rate": 0.05, "drop_after_commit_rate": 0.02},
        "expected": {"xero Items": 3, "xero Bills": 2}, "actual": {"xero Items": 3, "xero Bills": 3},
        "duplicates": {"xero Bills": {"INV-1|PO-1": 2}}, "missing": {}, "unexpected": {},
        "counts": {"duplicates": 1, "missing": 0, "unexpected": 0, "not_final": 0}, "not_final": {},
        "connection_status": "active", "converge_s": 12.5, "rounds": 3, "clean_s": 9.0, "total_s": 40.0,
        "chaos": {"worker_sigkilled": 1, "xero_throttled": 6},
    }
    return {**result, **over}


def test_a_duplicate_bill_shows_on_its_row_and_in_the_total():
    table = chaos_report.markdown(_result())

    assert "| xero Bills | 2 | 3 | 1 | 0 | 0 |" in table
    assert "| xero Items | 3 | 3 | 0 | 0 | 0 |" in table
    assert "| **total** | 5 | 6 | **1** | **0** | 0 |" in table
    assert "worker SIGKILLed 1, Xero 429s 6" in table
    assert "Converged in 12.5 s over 3 scheduled rounds (the clean run: 9.0 s)" in table


def test_records_left_waiting_are_named():
    table = chaos_report.markdown(_result(not_final={"invoice": {"exporting": 2}},
                                          counts={"duplicates": 0, "missing": 0, "unexpected": 0, "not_final": 2}))

    assert "Records not in a final state: **2** ({'invoice': {'exporting': 2}})" in table


def test_the_decisions_people_trust_it_on_are_counted():
    table = chaos_report.markdown(_result(decisions={"decisions_overridden": 0, "exported_without_acceptance": 1,
                                                     "po_lines_lost": 0}, people={"rejected": 2}))

    assert "| records exported without acceptance | **1** |" in table
    assert "People acting while the runs went: rejected 2." in table
