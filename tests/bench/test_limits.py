"""The real-limits day one: its settings keep to the platforms' limits on the sped-up clock, and its report
says how many tasks the runs took, what the sandboxes refused, what is missing, and the projected time."""

from bench import limits


def test_the_settings_are_the_real_limits_on_the_sped_up_clock():
    env = limits.limits_env(speed=60, soft_s=30)

    assert env["RATE_BUDGETS_ENABLED"] == "true" and env["RATE_CLOCK_SPEED"] == "60"
    assert (env["PROCORE_CALLS_PER_HOUR"], env["PROCORE_CALLS_PER_10S"]) == ("3600", "25")
    assert (env["XERO_CALLS_PER_MINUTE"], env["XERO_CALLS_PER_DAY"], env["XERO_CONCURRENT_CALLS"]) == ("60", "5000", "5")
    # Never longer than a deployment's 25 minutes on that clock; the hard limit after it; waits sped up too.
    assert env["CELERY_TASK_SOFT_TIME_LIMIT"] == "25"
    assert int(env["CELERY_TASK_TIME_LIMIT"]) > 25
    assert env["RATE_BUDGET_MAX_WAIT_S"] == "2.0"
    assert limits.limits_env(speed=10, soft_s=30)["CELERY_TASK_SOFT_TIME_LIMIT"] == "30"


def test_only_records_the_day_made_twice_are_duplicates():
    before = {"xero Contacts": ["acme", "acme"]}  # the dataset's own two Acmes
    after = {"xero Contacts": ["acme", "acme", "bolt", "bolt"], "xero Items": ["A1"]}

    assert limits.duplicates(before, after) == {"xero Contacts": {"bolt": 2}}


def _raw(**over):
    kind = {"runs": 2, "statuses": ["succeeded", "succeeded"], "created": 90, "updated": 5, "xero_calls": 20,
            "procore_calls": 1500, "per_run": [{"tasks": 3}, {"tasks": 1}]}
    raw = {"size": "medium", "seed": 1, "speed": 10, "env": limits.limits_env(10, 30), "ran_at": "today",
           "phase": {"kinds": {"commitment": kind}, "elapsed_s": 300.0},
           "throttled": {"procore": 0, "xero": 2}, "duplicates": {}, "exporting": 0}
    return {**raw, **over}


REFERENCE = {"dataset": {"size": "medium", "seed": 1},
             "phases": {"initial": {"wall_s": 200.0, "kinds": {"commitment": {"written": 100}}}},
             "projected_xero_minutes": {"initial": 5.5}, "projected_procore_minutes": {"initial": 50.7}}


def test_the_report_counts_tasks_refusals_and_missing_records_and_projects_real_time():
    result = limits.summarise(_raw(), REFERENCE)
    table = limits.markdown(result)

    assert "| commitment | 2 | 4 | 3 | succeeded 2 | 95 | 20 | 1500 |" in table
    assert "429s from Procore **0** and from Xero **2**" in table
    assert result["missing"] == {"commitment": 5} and "missing **5**" in table
    assert "projected to real time (× 10) **50.0 min**" in table  # 300 s measured × 10
    assert "Procore 1500 calls at 3,600 an hour 25.0 min, at 25 in 10 s 10.0 min" in table
    assert "Procore 50.7 min" in table  # the unpaced benchmark's projection beside it
    assert not limits.passed(result)


def test_a_reference_of_another_dataset_is_not_compared():
    result = limits.summarise(_raw(throttled={"procore": 0, "xero": 0}), {**REFERENCE, "dataset": {"size": "small",
                                                                                                   "seed": 1}})

    assert result["missing"] is None and "missing not compared" in limits.markdown(result)
    assert limits.passed(result)


def test_records_found_and_linked_after_a_cut_off_batch_are_not_missing():
    """A batch the time limit cut off was written by Xero; the next task finds its bills and links them."""
    kind = {**_raw()["phase"]["kinds"]["commitment"], "linked": 5}
    result = limits.summarise(_raw(phase={"kinds": {"commitment": kind}, "elapsed_s": 300.0}), REFERENCE)

    assert result["missing"] == {} and result["kinds"]["commitment"]["written"] == 100
