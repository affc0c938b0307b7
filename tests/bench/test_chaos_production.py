"""The chaos suite's production profile is built as a deployment runs: PostgreSQL, one Redis for broker,
results, cache, locks and rate budgets, two prefork workers, beat and the web app, the budgets on.

The stack is checked as built (pure functions); the whole production chaos on `small` (one to two minutes)
runs where PostgreSQL and Redis are configured (CI), beside `make chaos PROFILE=production`."""

from pathlib import Path

import pytest

from bench import chaos, chaos_report, stack


def _env():
    return stack.production_env(Path("/tmp/chaos-x"), 8611, 8612, 8613,
                                "postgres://postgres@127.0.0.1:5432/chaos_42", 8601)


def test_the_profile_runs_on_its_own_database_and_one_redis_for_everything():
    env = _env()

    assert env["DATABASE_URL"] == "postgres://postgres@127.0.0.1:5432/chaos_42"
    assert [env[k] for k in ("REDIS_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND")] == [
        "redis://127.0.0.1:8601/0", "redis://127.0.0.1:8601/1", "redis://127.0.0.1:8601/2"]
    assert env["RATE_BUDGETS_ENABLED"] == "true" and float(env["RATE_CLOCK_SPEED"]) == stack.CLOCK_SPEED
    assert env["SITE_URL"] == "http://127.0.0.1:8613"


def test_two_prefork_workers_of_two_processes_beat_and_the_web_app():
    commands = stack.production_processes(_env())

    assert sorted(commands) == ["beat", "web", "worker-1", "worker-2"]
    for name in ("worker-1", "worker-2"):
        assert {"worker", "--pool=prefork", "--concurrency=2"} <= set(commands[name])
    assert commands["worker-1"] != commands["worker-2"]  # each its own hostname
    assert "beat" in commands["beat"] and "runserver" in commands["web"] and "127.0.0.1:8613" in commands["web"]


def test_the_database_is_named_for_the_run():
    database = stack.Database("chaos_42", admin_url="postgres://postgres@127.0.0.1:5432/postgres")

    assert database.url == "postgres://postgres@127.0.0.1:5432/chaos_42"


def test_ports_are_taken_from_the_range_given_each_once():
    ports = [stack.free_port("8690-8699") for _ in range(3)]

    assert len(set(ports)) == 3 and all(8690 <= p <= 8699 for p in ports)


def _result(**chaos_over):
    return {"size": "small", "seed": 7, "profile": "production", "clock_speed": 20, "webhook_burst": 20,
            "faults": {"error_rate": 0.05, "drop_after_commit_rate": 0.02},
            "expected": {"xero Bills": 2}, "actual": {"xero Bills": 2}, "duplicates": {}, "missing": {},
            "unexpected": {}, "counts": {"duplicates": 0, "missing": 0, "unexpected": 0, "not_final": 0},
            "not_final": {}, "connection_status": "active", "converge_s": 20.0, "rounds": 4, "clean_s": 8.0,
            "chaos": {"procore_throttled": 0, "xero_throttled": 0, "beats_sending_at_end": 1,
                      "stranded_resumed_s": 8.5, **chaos_over}}


def test_the_production_table_says_what_ran_and_how_long_the_stranded_work_waited():
    table = chaos_report.markdown(_result())

    assert "2 prefork workers of 2 processes" in table and "Xero 429 bursts" not in table
    assert "429s from Procore **0** and from Xero **0**" in table
    assert "the stranded work went on **8.5 s** after the worker group was killed" in table
    assert chaos.passed(_result())


def test_a_429_or_two_beats_sending_fail_the_production_run():
    assert not chaos.passed(_result(xero_throttled=1))
    assert not chaos.passed(_result(beats_sending_at_end=2))


@pytest.mark.e2e
@pytest.mark.postgres
@pytest.mark.redis
def test_the_production_chaos_on_small_ends_as_the_clean_day_with_no_429_and_one_beat():
    """The whole production profile, about one to two minutes: run where PostgreSQL and Redis are (CI)."""
    result = chaos.run_both("small", seed=7, profile="production")

    happened = result["chaos"]
    assert happened["worker_group_sigkilled"] == happened["killed_while_a_run_was_going"] == 1
    assert happened["stranded_resumed_s"] is not None, "the killed worker's runs never went on"
    assert happened["redis_restarted"] == happened["redis_restarted_mid_run"] == 1
    assert happened["second_beat_stood_by"] == 1 and happened["beats_sending_at_end"] == 1
    assert happened["webhook_burst_accepted"] == 20
    assert happened["procore_throttled"] == happened["xero_throttled"] == 0
    assert result["counts"]["duplicates"] == 0, result["duplicates"]
    assert result["counts"]["missing"] == 0, result["missing"]
    assert result["counts"]["not_final"] == 0, result["not_final"]
    assert result["decisions"] == {"decisions_overridden": 0, "exported_without_acceptance": 0, "po_lines_lost": 0}
