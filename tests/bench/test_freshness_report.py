"""Freshness after day one, as the production benchmark reports it: per kind of change p50 / p95 / max
seconds until the other side showed it, met or not against the goal, and why not."""

from bench import charts, freshness_report


def kind(seconds, changes=None, webhook="Company Vendors", **values):
    return {"webhook": webhook, "scope": "company", "changes": len(seconds) if changes is None else changes,
            "seconds": seconds, "cadence_s": 180.0, "not_copied": "", "waited_s": 500.0, "why": "", **values}


def raw(**kinds):
    return {"stream_s": 390, "every_s": 10, "clock_speed": 20, "cadences": "company every 180 s", "kinds": kinds}


def test_percentiles_and_the_slowest_change():
    assert freshness_report.stats([1.0, 2.0, 3.0, 4.0, 100.0]) == {"n": 5, "p50": 3.0, "p95": 80.8, "max": 100.0}
    assert freshness_report.stats([]) == {"n": 0, "p50": None, "p95": None, "max": None}


def test_a_webhook_kind_must_reach_a_minute_and_a_polled_kind_its_cadence():
    fast = kind([0.8, 1.2, 2.5])
    slow_webhook = kind([0.8, 90.0, 95.0])
    polled = kind([100.0, 170.0], webhook=None, scope="project", cadence_s=360.0)

    assert freshness_report.verdict(fast) == ("met", "p95 2.4 s ≤ 60 s")
    assert freshness_report.verdict(slow_webhook)[0] == "not met"
    assert freshness_report.verdict(polled) == ("met", "p95 166.5 s ≤ 360 s")


def test_a_change_never_seen_is_not_met_and_says_why():
    lost = kind([1.0], changes=2, webhook="INVOICE", why="webhook events processed 1, queued 1")

    met, why = freshness_report.verdict(lost)

    assert met == "not met"
    assert why == "1 of 2 changes not seen in 500 s (webhook events processed 1, queued 1)"
    assert freshness_report.verdict(kind([], changes=0))[0] == "not met"  # nothing measured is no pass


def test_a_change_the_connector_leaves_by_design_has_no_goal():
    by_design = kind([], changes=3, webhook="CONTACT", not_copied="the vendor owner is Procore")

    assert freshness_report.verdict(by_design) == ("n/a", "the vendor owner is Procore")


def test_the_table_has_a_row_per_kind_and_the_chart_is_drawn(tmp_path):
    summary = freshness_report.summarise(raw(**{"Procore vendor edited": kind([0.8, 1.2]),
                                                "Xero bill paid": kind([2.0], changes=2, webhook="INVOICE"),
                                                "Procore invoice approved": kind([], changes=0, webhook=None)}))

    table = freshness_report.markdown(summary)

    assert "| Procore vendor edited | Company Vendors | 2 | 2 | 1.0 | 1.2 | 1.2 | ≤ 60 s | met: p95 1.2 s ≤ 60 s |" \
        in table
    assert "| Xero bill paid | INVOICE | 2 | 1 |" in table and "**not met**" in table
    assert "| Procore invoice approved | schedule (company) | 0 | 0 | – | – | – | ≤ 180 s |" in table
    path = charts.freshness_chart(summary, tmp_path / "fresh.png")
    assert path.read_bytes()[:4] == b"\x89PNG"
