"""`make bench PROFILE=production`: the benchmark's stack is a deployment's, in the user's ranges, and the
connection's default schedules run on the sped-up clock for the freshness stream (off during the phases)."""

from pathlib import Path

import pytest
from django_celery_beat.models import PeriodicTask

from bench import production, stack
from tests.factories import ConnectionFactory


def test_the_database_and_ports_keep_to_the_users_ranges(monkeypatch):
    monkeypatch.setenv("BENCH_DB_PREFIX", "bench_prod_")
    monkeypatch.setenv("BENCH_PORTS", "22880-22899")
    monkeypatch.setenv("BENCH_REDIS_PORTS", "22990-22999")
    database = stack.Database(production.database_name("small"))

    env = production.env_for(Path("/tmp/bench-x"), database)

    assert database.name.startswith("bench_prod_small_")
    assert env["DATABASE_URL"] == database.url and env[production.PROFILE_ENV] == "production"
    assert 22990 <= int(env["REDIS_URL"].rsplit(":", 1)[1].split("/")[0]) <= 22999
    assert 22880 <= int(env["SITE_URL"].rsplit(":", 1)[1]) <= 22899
    assert env["RATE_BUDGETS_ENABLED"] == "true" and float(env["RATE_CLOCK_SPEED"]) == stack.CLOCK_SPEED


@pytest.mark.django_db
def test_the_default_schedules_run_twenty_times_faster_and_stay_off_during_the_phases():
    connection = ConnectionFactory()

    assert production.schedules(connection, on=False) == {}
    assert not PeriodicTask.objects.filter(name__startswith=f"Connection #{connection.pk} ", enabled=True).exists()

    every = production.schedules(connection, on=True)

    assert every == {"company": 3600 / 20, "project": 2 * 3600 / 20}  # payments: "never" by default
    company = PeriodicTask.objects.get(name=f"Connection #{connection.pk} · company-level sync")
    assert company.enabled and (company.interval.every, company.interval.period) == (180, "seconds")

