"""`make bench PROFILE=production`: the benchmark's phases on a deployment's stack.

The stack is the chaos suite's (bench.chaos_production): a PostgreSQL database and a Redis server of the
run's own, the web app, two prefork workers of two processes and beat; the sandboxes' rate limits and the
connector's budgets on, both on a clock stack.CLOCK_SPEED times faster. The phases run as in the embedded
profile (one kind at a time, the calls counted per run); the connection's schedules stay off meanwhile so
no scheduled run mixes its calls in, and come on — on the sped-up clock — for the freshness stream.
"""

from __future__ import annotations

import os
from pathlib import Path

from . import stack

PROFILE_ENV = "BENCH_STACK"  # "production" in the driver's environment (BENCH_PROFILE is cProfile's)


def database_name(size: str) -> str:
    """`BENCH_DB_PREFIX` keeps the name in a user's range on a shared server."""
    return f"{os.environ.get('BENCH_DB_PREFIX', 'bench_')}{size}_{os.getpid()}"


def env_for(workdir: Path, database: stack.Database) -> dict:
    span = os.environ.get("BENCH_PORTS")
    ports = [stack.free_port(span) for _ in range(3)]
    redis_port = stack.free_port(os.environ.get("BENCH_REDIS_PORTS"))
    return {**stack.production_env(workdir, *ports, database.url, redis_port), PROFILE_ENV: "production"}


def is_production() -> bool:
    return os.environ.get(PROFILE_ENV) == "production"


def start(env: dict, workdir: Path):
    """Redis, then the web app, the workers and beat (chaos_production.Processes); Django must be set up."""
    from .chaos_production import Processes

    port = int(env["REDIS_URL"].rsplit(":", 1)[1].split("/")[0])
    procs = Processes(env, workdir, stack.redis_server(port, workdir))
    procs.start_all()
    return procs


def pool_peak_rss_mb(procs) -> float:
    """The largest peak resident memory (VmHWM) of any pool process of the workers: the processes that run
    the tasks (a prefork worker's main process only hands them out)."""
    peaks = [0.0]
    for name, proc in procs.procs.items():
        if not name.startswith("worker") or proc.process.poll() is not None:
            continue
        pid = proc.process.pid
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        for child in children:
            try:
                status = Path(f"/proc/{child}/status").read_text()
            except FileNotFoundError:
                continue  # a pool process replaced meanwhile
            peaks += [int(line.split()[1]) / 1024 for line in status.splitlines() if line.startswith("VmHWM:")]
    return max(peaks)


def schedules(connection, on: bool, speed: float = stack.CLOCK_SPEED) -> dict[str, float]:
    """The connection's periodic tasks on (their default cadences on a clock `speed` times faster) or off.
    Returns scope → seconds between runs. Saved one by one: beat notices a change through the save signal."""
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    from connector.models import ConnectionSettings
    from connector.services.schedules import CADENCE_HOURS, SCOPES, schedule_name, schedules_sync

    schedules_sync(connection=connection)
    settings = ConnectionSettings.objects.get(connection=connection)
    every = {}
    for scope, (field, _covers) in SCOPES.items():
        task = PeriodicTask.objects.filter(name=schedule_name(connection, scope)).first()
        if task is None:
            continue
        seconds = CADENCE_HOURS.get(getattr(settings, field), 24) * 3600 / speed
        task.interval, _ = IntervalSchedule.objects.get_or_create(every=int(seconds), period=IntervalSchedule.SECONDS)
        task.enabled = on and task.enabled
        task.save()
        if task.enabled:
            every[scope] = seconds
    return every
