"""The chaos suite's invariants on the `small` company (CI): with 5% server errors, 2% lost answers, 429
bursts, duplicated webhooks, a SIGKILLed worker, a lost token refresh and people deciding while the runs go,
the connector ends with exactly what a clean run makes — no duplicates, nothing missing, nothing left
half-way — and no decision of a person's overridden."""

import pytest

from bench import chaos

pytestmark = pytest.mark.e2e


def test_faults_and_a_killed_worker_converge_to_the_clean_result():
    result = chaos.run_both("small", seed=7)

    expected = result["expected"]
    assert expected["xero Items"] and expected["xero PurchaseOrders"] and expected["xero Bills"], \
        "the clean run exported records of every level (else the comparison proves nothing)"
    happened = result["chaos"]
    assert happened["worker_sigkilled"] == happened["killed_while_a_run_was_going"] == 1
    assert happened["refresh_answers_lost"] == 1
    assert happened["procore_errors_injected"] + happened["xero_errors_injected"] > 0
    assert happened["xero_throttled"] > 0 and happened["webhook_events"] > 0
    assert result["counts"]["duplicates"] == 0, result["duplicates"]
    assert result["counts"]["missing"] == 0, result["missing"]
    assert result["counts"]["not_final"] == 0, result["not_final"]
    assert result["connection_status"] == "active", "a lost refresh answer must not cost the authorisation"
    people = result["people"]
    assert people["rejected"] == 2 and people["re-sent"] == 1 and people["commitments renumbered"] == 1
    assert people["job costs off"] == people["job costs on"] == people["job costs map"] == 1
    assert result["decisions"] == {"decisions_overridden": 0, "exported_without_acceptance": 0, "po_lines_lost": 0}
