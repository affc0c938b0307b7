"""`python -m bench.tenants [--tenants 10] [--size small]` (`make bench-tenants`): many companies, one deployment.

The sandboxes serve N equal companies and organisations (`manage.py sandbox --tenants N`: the same dataset
each, ids and names of their own, rate limits counted per company and per organisation); N connections on
one production stack (PostgreSQL, a Redis of the run's own, two prefork workers of two processes, beat; the
connector's budgets and the sandboxes' limits at the platforms' real values on clocks `speed` times faster, as
bench.limits runs them) go through day one together, then a normal day (1% changed on each side).

Each tenant works in rounds, as its schedules would fire: every enabled periodic task of the connection is sent
as beat sends it (`sync.run_scope` with the task's kwargs), the driver follows each task's continuations
(`then`) to the end, and on day one the accountant decides between rounds (bench.phases.decide). A tenant is
done after a round that wrote nothing and left no run going and nothing on its way; its completion time is the end of its last
round that wrote. Reported per tenant: completion time, Procore and Xero calls, 429s; fairness is the slowest
completion over the fastest (goal ≤ 1.5) and every tenant's limits must hold on their own (no 429).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from . import limits, stack

TENANTS, SIZE, SEED = 10, "small", 1
FAIRNESS_GOAL = 1.5
ROUNDS = 10
PHASE_TIMEOUT_S = 3600


@dataclass
class Tenant:
    """One connection's day in the driver: its round's task chains and what it took."""

    connection_id: int
    company_id: int
    tenant_id: str
    rounds: int = 0
    pending: list = field(default_factory=list)  # AsyncResults of the round's chains, each at its newest task
    round_started: datetime | None = None
    done_s: float | None = None  # end of the last round that wrote (or had decisions), from the phase's start
    finished: bool = False
    decided: int = 0


def fairness(completions: list[float]) -> float | None:
    """Slowest over fastest completion; None when there is nothing to compare."""
    values = [c for c in completions if c is not None]
    if not values or min(values) <= 0:
        return None
    return round(max(values) / min(values), 2)


def schedule(tenant: Tenant) -> list:
    """Every enabled periodic task of the connection, sent as beat sends it when it is due."""
    from django_celery_beat.models import PeriodicTask

    from connector.models import Connection
    from connector.services.schedules import SCOPES, schedule_name
    from settings.celery_app import app

    connection = Connection.objects.get(pk=tenant.connection_id)
    tasks = PeriodicTask.objects.filter(name__in=[schedule_name(connection, s) for s in SCOPES], enabled=True)
    return [app.send_task(task.task, kwargs=json.loads(task.kwargs)) for task in tasks]


def advance(pending: list) -> list:
    """The chains still going: a finished task hands over to the one it queued (`then`)."""
    going = []
    for result in pending:
        if not result.ready():
            going.append(result)
            continue
        value = result.result if result.successful() else None
        then = value.get("then") if isinstance(value, dict) else None
        if then:
            going.append(result.app.AsyncResult(then))
    return going


def day(tenants: list[Tenant], day_one: bool, timeout: float = PHASE_TIMEOUT_S) -> float:
    """All tenants' rounds at once; returns the phase's wall time."""
    from django.utils import timezone

    from connector.models import Connection

    from .chaos_flow import wrote_since
    from .phases import decide

    started = time.monotonic()
    deadline = started + timeout
    for tenant in tenants:
        tenant.round_started, tenant.pending, tenant.rounds = timezone.now(), schedule(tenant), 1
    while not all(t.finished for t in tenants):
        if time.monotonic() > deadline:
            raise TimeoutError(f"tenants not done within {timeout:.0f} s")
        for tenant in tenants:
            if tenant.finished:
                continue
            tenant.pending = advance(tenant.pending)
            if tenant.pending:
                continue
            connection = Connection.objects.get(pk=tenant.connection_id)
            wrote = wrote_since(connection, tenant.round_started)
            touched = decide(connection) if day_one else 0
            tenant.decided += touched
            if wrote or touched:
                tenant.done_s = time.monotonic() - started
            if (not wrote and not touched and idle(connection)) or tenant.rounds >= ROUNDS:
                tenant.finished = True
                continue
            tenant.round_started, tenant.pending = timezone.now(), schedule(tenant)
            tenant.rounds += 1
        time.sleep(0.2)
    return time.monotonic() - started


def idle(connection) -> bool:
    """No run going or paused to go on, nothing on its way (what waits for a person waits for the next day)."""
    from connector.models import Link, SyncRun

    return not SyncRun.objects.filter(connection=connection, status__in=[SyncRun.Status.RUNNING,
                                                                       SyncRun.Status.PAUSED]).exists() \
        and not Link.objects.filter(connection=connection, state=Link.State.EXPORTING).exists()


def tenant_stats(procore, xero) -> dict:
    """Calls and 429s per company (Procore) and per organisation (Xero) so far."""
    p, x = procore.stats(), xero.stats()
    return {"procore": p["tenant_calls"], "procore_429": p["tenant_throttled"],
            "xero": x["tenant_calls"], "xero_429": x["tenant_throttled"]}


def spent(tenant: Tenant, before: dict, after: dict) -> dict:
    """What one tenant spent between two tenant_stats: its company's Procore calls, its organisation's Xero calls."""
    keys = {"procore_calls": ("procore", str(tenant.company_id)), "xero_calls": ("xero", tenant.tenant_id.lower()),
            "procore_429": ("procore_429", str(tenant.company_id)), "xero_429": ("xero_429", tenant.tenant_id.lower())}
    return {name: after[side].get(key, 0) - before[side].get(key, 0) for name, (side, key) in keys.items()}


def phase_rows(tenants: list[Tenant], before: dict, after: dict, since: datetime) -> list[dict]:
    from connector.models import SyncRun

    rows = []
    for t in tenants:
        runs = SyncRun.objects.filter(connection_id=t.connection_id, started_at__gte=since)
        rows.append({"connection": t.connection_id, "company_id": t.company_id, "tenant_id": t.tenant_id,
                     "completion_s": round(t.done_s, 1) if t.done_s is not None else None, "rounds": t.rounds,
                     "decided": t.decided, "runs": runs.count(), "tasks": sum(r.tasks for r in runs),
                     "written": sum(r.created + r.updated for r in runs), **spent(t, before, after)})
    return rows


def measure(tenants: list[Tenant], procore, xero, day_one: bool) -> dict:
    from django.utils import timezone

    since, before = timezone.now(), tenant_stats(procore, xero)
    for tenant in tenants:
        tenant.done_s, tenant.finished, tenant.decided = None, False, 0
    wall = day(tenants, day_one)
    return {"wall_s": round(wall, 1), "tenants": phase_rows(tenants, before, tenant_stats(procore, xero), since)}


def connect_all(count: int) -> list[Tenant]:
    from sandbox.datasets import tenant_companies, tenant_organisations

    from .driver import connect_sandboxes

    tenants = []
    for company, org in zip(tenant_companies(count), tenant_organisations(count)):
        connection = connect_sandboxes(company["id"], org["tenantId"])
        tenants.append(Tenant(connection.pk, company["id"], org["tenantId"]))
    return tenants


def run_days(env: dict, workdir: Path, count: int, size: str, seed: int, speed: float) -> dict:
    """In this process, on `env` (already in os.environ): sandboxes, workers and beat, both days."""
    from django.core.management import call_command

    from .driver import setup_django
    from .phases import change_one_percent, quiet_queueing
    from .remote import Sandbox

    sandbox_proc = stack.sandboxes(env, workdir, size, seed, tenants=count)
    procs = []
    try:
        setup_django()
        quiet_queueing()  # the rounds send the schedules; the actions between them queue nothing of their own
        procore = Sandbox(f"http://127.0.0.1:{env['PROCORE_SANDBOX_PORT']}")
        xero = Sandbox(f"http://127.0.0.1:{env['XERO_SANDBOX_PORT']}")
        for side in (procore, xero):
            side.faults(rate_limits=True, clock_speed=speed, starter_tier=False)
        procore.settings(webhook_autodeliver=False, hourly_limit=limits.LIMITS["PROCORE_CALLS_PER_HOUR"],
                         spike_limit=limits.LIMITS["PROCORE_CALLS_PER_10S"], spike_window_s=10)
        call_command("setup_periodic_tasks", verbosity=0)
        tenants = connect_all(count)
        commands = stack.production_processes(env)
        procs = [stack.Proc(name, command, env, workdir, group=True).start()
                 for name, command in commands.items() if name != "web"]  # no webhooks are delivered here
        first = measure(tenants, procore, xero, day_one=True)
        from connector.models import Connection

        changed = {t.connection_id: change_one_percent(Connection.objects.get(pk=t.connection_id), seed, procore, xero)
                   for t in tenants}
        normal = measure(tenants, procore, xero, day_one=False)
        from django.conf import settings

        return {"tenants": count, "size": size, "seed": seed, "speed": speed, "cpus": os.cpu_count(),
                "workers": f"{stack.WORKERS} prefork workers of 2 processes",
                "kind_per_task": settings.SYNC_SCOPE_KIND_PER_TASK,
                "ran_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "phases": {"day_one": first, "normal_day": normal}, "changed": changed,
                "throttled": {"procore": procore.stats()["throttled"], "xero": xero.stats()["throttled"]}}
    finally:
        for proc in procs:
            proc.stop()
        sandbox_proc.stop()


def summarise(raw: dict) -> dict:
    """Per phase: fairness over the tenants' completion times, 429s, the spread of calls."""
    phases = {}
    for name, phase in raw["phases"].items():
        rows = phase["tenants"]
        phases[name] = {**phase, "fairness": fairness([r["completion_s"] for r in rows]),
                        "throttled": sum(r["procore_429"] + r["xero_429"] for r in rows),
                        "calls": {side: sum(r[f"{side}_calls"] for r in rows) for side in ("procore", "xero")}}
    return {**{k: v for k, v in raw.items() if k != "phases"}, "phases": phases, "goal": FAIRNESS_GOAL}


def passed(result: dict) -> bool:
    return all(p["fairness"] is not None and p["fairness"] <= result["goal"] and not p["throttled"]
               for p in result["phases"].values()) and not sum(result["throttled"].values())


LABELS = {"day_one": "day one", "normal_day": "normal day (1% changed)"}


def markdown(result: dict) -> str:
    lines = [f"{result['tenants']} tenants of dataset `{result['size']}` (seed {result['seed']}) on one deployment: "
             f"PostgreSQL, Redis, {result['workers']}, beat; real rate limits on clocks ×{result['speed']:g}, "
             f"one kind per worker task {'on' if result['kind_per_task'] else 'off'}; {result['cpus']} CPUs, "
             f"{result['ran_at']}.", ""]
    for name, phase in result["phases"].items():
        lines += [f"**{LABELS.get(name, name)}**: wall {phase['wall_s']} s, fairness (slowest / fastest) "
                  f"**{phase['fairness']}** (goal ≤ {result['goal']:g}), 429s **{phase['throttled']}**.", "",
                  "| tenant (company) | completion s | rounds | runs | worker tasks | written | Procore calls "
                  "| Xero calls | 429s |", "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for row in phase["tenants"]:
            lines.append(f"| {row['company_id']} | {row['completion_s']} | {row['rounds']} | {row['runs']} "
                         f"| {row['tasks']} | {row['written']} | {row['procore_calls']} | {row['xero_calls']} "
                         f"| {row['procore_429'] + row['xero_429']} |")
        lines.append("")
    verdict = "met" if passed(result) else "**not met**"
    lines.append(f"Goal {verdict}: no tenant starved (slowest / fastest ≤ {result['goal']:g}), each tenant's limits "
                 f"held on their own (429s from Procore {result['throttled']['procore']}, from Xero "
                 f"{result['throttled']['xero']}).")
    return "\n".join(lines) + "\n"


def run(count: int, size: str, seed: int, speed: float, keep: bool = False) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix=f"tenants-{size}-"))
    name = f"{os.environ.get('BENCH_DB_PREFIX', 'tenants_')}{os.getpid()}"
    with stack.limited_deployment(workdir, name, limits.limits_env(speed), keep) as env:
        return run_days(env, workdir, count, size, seed, speed)


def main(argv=None) -> dict:
    from .run import quote_in_readme

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tenants", type=int, default=TENANTS)
    parser.add_argument("--size", default=SIZE)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--speed", type=float, default=limits.SPEED, help="how much faster both clocks run")
    parser.add_argument("--out", type=Path, default=None, help="write tenants-<size>.{json,md} there")
    parser.add_argument("--keep", action="store_true", help="keep the run's VAR_DIR (logs)")
    args = parser.parse_args(argv)
    started = time.monotonic()
    result = summarise(run(args.tenants, args.size, args.seed, args.speed, args.keep))
    result["total_s"] = round(time.monotonic() - started, 1)
    table = markdown(result)
    print(table)
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / f"tenants-{args.size}.json").write_text(json.dumps(result, indent=2, default=str))
        (args.out / f"tenants-{args.size}.md").write_text(table)
        if args.out.resolve() == (stack.ROOT / "bench" / "results").resolve():
            quote_in_readme(table, marker="tenants")
    return result


if __name__ == "__main__":
    sys.exit(0 if passed(main()) else 1)
