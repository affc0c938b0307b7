"""A tiny run of the benchmark (`empty` dataset): real sandboxes, a real worker, the three phases, the
bare replay and the report; the numbers themselves are measured by `make bench`, not asserted."""

import json

import pytest

from bench import run

pytestmark = pytest.mark.e2e


def test_the_benchmark_runs_end_to_end_and_writes_its_report(tmp_path, capsys):
    result = run.main(["--sizes", "empty", "--out", str(tmp_path), "--no-latest"])

    saved = json.loads(next(tmp_path.glob("bench-empty-*.json")).read_text())
    assert {p.name.rsplit("-", 1)[1] for p in tmp_path.glob("bench-empty-*.png")} == {"kinds.png", "growth.png"}
    assert saved["dataset"]["size"] == "empty" and not (tmp_path / "latest.json").exists()
    for phase in ("initial", "noop", "one_percent"):
        assert set(saved["phases"][phase]) >= {"records", "xero_calls", "xero_floor", "procore_calls",
                                               "procore_floor", "wall_s"}
    from sync.services import available_kinds

    assert set(saved["phases"]["initial"]["kinds"]) == set(available_kinds())  # whatever kinds are registered
    assert saved["phases"]["initial"]["procore_calls"] > 0 and saved["peak_rss_mb"]["empty"] > 0
    assert saved["phases"]["noop"]["written"] == 0, "nothing changed, nothing written"
    assert saved["replay_initial"]["calls"] > 0 and result["overhead_ratio"] is not None
    assert "| **noop** | **total** |" in capsys.readouterr().out
