"""`python -m bench.limits [--size medium] [--speed 10]` (`make bench-limits`): day one at the real rate limits.

The connector's budgets on at the platforms' published limits (Procore 3,600 calls an hour and 25 in 10 s;
Xero 60 a minute, 5,000 a day, 5 at once), the sandboxes enforcing the same, both clocks `speed` times faster
(the sandboxes' `clock_speed`, the pacing's RATE_CLOCK_SPEED) and the budget's longest wait with them. The
task soft limit is at most a deployment's 25 minutes on that clock, and by default shorter, so a day one has
to pause and go on in later tasks. Production stack: PostgreSQL and a Redis of the run's own, one prefork
worker (only a pool that can interrupt a task honours Celery's time limits; `--pool=solo` does not).

Reported: per kind the runs and the worker tasks they took, the 429s each sandbox sent (the budgets must
prevent every one), duplicates and records missing against the unpaced benchmark of the same dataset
(`bench/results/latest.json`), and the wall time measured and projected to real time. `BENCH_PORTS`,
`BENCH_REDIS_PORTS` ("lo-hi") and `BENCH_DB_PREFIX` keep ports and the database name in a user's range.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from . import stack

SPEED = 10
REAL_SOFT_S, REAL_HARD_S, REAL_MAX_WAIT_S = 25 * 60, 30 * 60, 120  # the settings' defaults, in real seconds
SOFT_S = 30  # wall seconds: 5 real minutes at ×10, so each long kind of a medium day one spans several tasks
LIMITS = {"PROCORE_CALLS_PER_HOUR": 3600, "PROCORE_CALLS_PER_10S": 25, "XERO_CALLS_PER_MINUTE": 60,
          "XERO_CALLS_PER_DAY": 5000, "XERO_CONCURRENT_CALLS": 5}
PROCORE_SPIKE_PER_S = LIMITS["PROCORE_CALLS_PER_10S"] / 10


def limits_env(speed: float = SPEED, soft_s: int = SOFT_S) -> dict:
    """The settings of the run: real limits, windows, waits and task limits all on the sped-up clock."""
    soft = max(1, min(int(soft_s), int(REAL_SOFT_S / speed)))
    hard = soft + max(10, round((REAL_HARD_S - REAL_SOFT_S) / speed))
    return {"RATE_BUDGETS_ENABLED": "true", "RATE_CLOCK_SPEED": str(speed), "XERO_STARTER_TIER": "false",
            **{name: str(value) for name, value in LIMITS.items()},
            "RATE_BUDGET_MAX_WAIT_S": str(round(REAL_MAX_WAIT_S / speed, 3)),
            "CELERY_TASK_SOFT_TIME_LIMIT": str(soft), "CELERY_TASK_TIME_LIMIT": str(hard)}


def worker_command() -> list[str]:
    return [sys.executable, "-m", "celery", "-A", "settings.celery_app", "worker", "--pool=prefork",
            "--concurrency=1", "--loglevel=WARNING", f"--hostname=limits-{uuid.uuid4().hex[:6]}@%h",
            "--without-mingle", "--without-gossip"]


def duplicates(before: dict[str, list], after: dict[str, list]) -> dict[str, dict[str, int]]:
    """Keys the day one made appear twice or more (a dataset's own repeated names are not the connector's)."""
    out = {}
    for resource, keys in after.items():
        was, now = Counter(before.get(resource, [])), Counter(keys)
        twice = {k: n for k, n in now.items() if n > max(1, was[k])}
        if twice:
            out[resource] = twice
    return out


def written(row: dict) -> int:
    """Created, updated, or found in the other system after a batch cut off by a pause and linked: a record the
    day put there once (the unpaced run, never cut off, only creates and updates)."""
    return row["created"] + row["updated"] + row.get("linked", 0)


def missing(kinds: dict, reference: dict | None) -> dict[str, int] | None:
    """Per kind, records the unpaced benchmark of the same dataset wrote that this run did not (None: no
    reference of this dataset to compare with)."""
    if not reference:
        return None
    wanted = reference["phases"]["initial"]["kinds"]
    return {kind: wanted[kind]["written"] - row["written"] for kind, row in kinds.items()
            if kind in wanted and wanted[kind]["written"] > row["written"]}


def summarise(raw: dict, reference: dict | None = None) -> dict:
    """`raw`: the run's measurements; `reference`: the unpaced benchmark's result, if of the same dataset."""
    if reference and (reference["dataset"]["size"], reference["dataset"]["seed"]) != (raw["size"], raw["seed"]):
        reference = None
    kinds = {}
    for kind, row in raw["phase"]["kinds"].items():
        tasks = [r["tasks"] for r in row["per_run"] if r["tasks"]]
        kinds[kind] = {"runs": row["runs"], "tasks": sum(tasks), "most_tasks": max(tasks, default=0),
                       "statuses": dict(Counter(row["statuses"])), "written": written(row),
                       "xero_calls": row["xero_calls"], "procore_calls": row["procore_calls"]}
    xero_calls = sum(k["xero_calls"] for k in kinds.values())
    procore_calls = sum(k["procore_calls"] for k in kinds.values())
    lost = missing(kinds, reference)
    unfinished = sum(n for k in kinds.values() for s, n in k["statuses"].items() if s in ("running", "paused"))
    measured = raw["phase"]["elapsed_s"]
    return {
        "dataset": {"size": raw["size"], "seed": raw["seed"]}, "speed": raw["speed"], "env": raw["env"],
        "ran_at": raw.get("ran_at"), "cpus": os.cpu_count(), "kinds": kinds,
        "tasks": sum(k["tasks"] for k in kinds.values()), "runs": sum(k["runs"] for k in kinds.values()),
        "throttled": raw["throttled"], "duplicates": raw["duplicates"],
        "missing": lost, "exporting": raw["exporting"], "unfinished_runs": unfinished,
        "files": raw.get("files"),
        "counts": {"duplicates": sum(len(v) for v in raw["duplicates"].values()),
                   "missing": None if lost is None else sum(lost.values()),
                   "throttled": sum(raw["throttled"].values()), "left_waiting": raw["exporting"] + unfinished},
        "calls": {"xero": xero_calls, "procore": procore_calls},
        "wall": {"measured_s": round(measured, 1), "projected_real_min": round(measured * raw["speed"] / 60, 1)},
        "projected_from_calls_min": {
            "xero_per_minute": round(xero_calls / LIMITS["XERO_CALLS_PER_MINUTE"], 1),
            "procore_per_hour": round(procore_calls / LIMITS["PROCORE_CALLS_PER_HOUR"] * 60, 1),
            "procore_per_10s": round(procore_calls / PROCORE_SPIKE_PER_S / 60, 1)},
        "unpaced": ({"initial_wall_s": reference["phases"]["initial"]["wall_s"],
                     "projected_xero_minutes": reference["projected_xero_minutes"]["initial"],
                     "projected_procore_minutes": reference["projected_procore_minutes"]["initial"]}
                    if reference else None),
    }


def passed(result: dict) -> bool:
    counts = result["counts"]
    return not (counts["throttled"] or counts["duplicates"] or counts["missing"] or counts["left_waiting"])


def markdown(result: dict) -> str:
    env, speed = result["env"], result["speed"]
    soft = int(env["CELERY_TASK_SOFT_TIME_LIMIT"])
    lines = [f"Day one at the platforms' real limits: dataset `{result['dataset']['size']}` (seed "
             f"{result['dataset']['seed']}), both clocks ×{speed:g} (sandboxes and the connector's budgets), task "
             f"soft limit {soft} s = {soft * speed / 60:g} real minutes (a deployment's: 25), budget waits up to "
             f"{env['RATE_BUDGET_MAX_WAIT_S']} s = {REAL_MAX_WAIT_S} real s; PostgreSQL, Redis, one prefork worker, "
             f"{result['cpus']} CPUs, {result['ran_at']}.", "",
             "| kind | runs | worker tasks | most tasks in one run | ended | written | Xero calls | Procore calls |",
             "|---|---:|---:|---:|---|---:|---:|---:|"]
    for kind, row in result["kinds"].items():
        ended = ", ".join(f"{s} {n}" for s, n in sorted(row["statuses"].items()))
        lines.append(f"| {kind} | {row['runs']} | {row['tasks']} | {row['most_tasks']} | {ended} | {row['written']} "
                     f"| {row['xero_calls']} | {row['procore_calls']} |")
    lines.append(f"| **total** | {result['runs']} | **{result['tasks']}** | | | "
                 f"{sum(r['written'] for r in result['kinds'].values())} | {result['calls']['xero']} "
                 f"| {result['calls']['procore']} |")
    counts, wall, calls = result["counts"], result["wall"], result["projected_from_calls_min"]
    lost = "not compared (no unpaced benchmark of this dataset)" if counts["missing"] is None \
        else f"**{counts['missing']}** (records written — created, updated or found after a cut-off batch and linked — against the unpaced benchmark of the same dataset)"
    lines += ["", f"429s from Procore **{result['throttled']['procore']}** and from Xero "
                  f"**{result['throttled']['xero']}**; duplicates **{counts['duplicates']}**; missing {lost}; "
                  f"left waiting **{counts['left_waiting']}**.",
              *([f"Backup files attached to bills on day one **{files['attached']}**; waiting for the next days "
                 f"**{files['waiting']}** on {files['bills_waiting']} bills (files go only while more than "
                 f"{files['share_kept']:.0%} of Xero's daily calls is left)."] if (files := result.get("files")) else []),
              f"Wall time measured {wall['measured_s']} s; projected to real time (× {speed:g}) "
              f"**{wall['projected_real_min']} min** — an upper bound: the clocks run faster, the connector's own "
              "work does not.",
              f"Projected from the calls counted: Xero {result['calls']['xero']} calls at 60 a minute "
              f"{calls['xero_per_minute']} min; Procore {result['calls']['procore']} calls at 3,600 an hour "
              f"{calls['procore_per_hour']} min, at 25 in 10 s {calls['procore_per_10s']} min."]
    if result.get("unpaced"):
        unpaced = result["unpaced"]
        lines.append(f"The unpaced benchmark of the same dataset (budgets off): the connector's work "
                     f"{unpaced['initial_wall_s']} s, projected Xero {unpaced['projected_xero_minutes']} min, "
                     f"Procore {unpaced['projected_procore_minutes']} min.")
    return "\n".join(lines) + "\n"


def day_one(env: dict, workdir: Path, size: str, seed: int, speed: float) -> dict:
    """In this process, on `env` (already in os.environ): sandboxes, worker, the initial phase."""
    from .driver import connect_sandboxes, setup_django
    from .invariants import snapshot
    from .phases import initial, quiet_queueing
    from .remote import Sandbox

    sandbox_proc = stack.sandboxes(env, workdir, size, seed)
    worker = None
    try:
        setup_django()
        quiet_queueing()
        procore = Sandbox(f"http://127.0.0.1:{env['PROCORE_SANDBOX_PORT']}")
        xero = Sandbox(f"http://127.0.0.1:{env['XERO_SANDBOX_PORT']}")
        for side in (procore, xero):
            side.faults(rate_limits=True, clock_speed=speed, starter_tier=False)
        procore.settings(webhook_autodeliver=False, hourly_limit=LIMITS["PROCORE_CALLS_PER_HOUR"],
                         spike_limit=LIMITS["PROCORE_CALLS_PER_10S"], spike_window_s=10)
        connection = connect_sandboxes()
        before = snapshot(procore, xero, connection.xero_tenant_id)
        worker = stack.Proc("worker", worker_command(), env, workdir, group=True).start()
        phase = initial(connection, procore, xero)
        after = snapshot(procore, xero, connection.xero_tenant_id)
        from connector.models import Link

        exporting = Link.objects.filter(connection=connection, state=Link.State.EXPORTING).count()
        waiting = [len(data["attach"]) for data in Link.objects.filter(
            connection=connection, engine_data__has_key="attach").values_list("engine_data", flat=True)]
        from connector.models import SyncRecord

        attached = SyncRecord.objects.filter(run__connection=connection,
                                             message__endswith="attached to the bill in Xero.").count()
        from django.conf import settings

        return {"files": {"attached": attached, "waiting": sum(waiting), "bills_waiting": len(waiting),
                          "share_kept": settings.XERO_DAY_SHARE_KEPT_FROM_FILES},
                "size": size, "seed": seed, "speed": speed, "phase": phase.as_dict(),
                "throttled": {"procore": procore.stats()["throttled"], "xero": xero.stats()["throttled"]},
                "duplicates": duplicates(before, after), "exporting": exporting,
                "ran_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "env": {k: env[k] for k in limits_env(speed)}}
    finally:
        if worker is not None:
            worker.stop()
        sandbox_proc.stop()


def run(size: str, seed: int, speed: float, soft_s: int, keep: bool = False) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix=f"limits-{size}-"))
    name = f"{os.environ.get('BENCH_DB_PREFIX', 'limits')}_{os.getpid()}"
    with stack.limited_deployment(workdir, name, limits_env(speed, soft_s), keep) as env:
        return day_one(env, workdir, size, seed, speed)


def main(argv=None) -> dict:
    from .run import quote_in_readme

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", default="medium")
    parser.add_argument("--seed", type=int, default=1, help="the unpaced benchmark's seed, to compare with it")
    parser.add_argument("--speed", type=float, default=SPEED, help="how much faster both clocks run")
    parser.add_argument("--soft-limit", type=int, default=SOFT_S, help="task soft limit, wall seconds")
    parser.add_argument("--out", type=Path, default=None, help="write limits-<size>.{json,md} there")
    parser.add_argument("--keep", action="store_true", help="keep the run's VAR_DIR (logs)")
    args = parser.parse_args(argv)
    started = time.monotonic()
    raw = run(args.size, args.seed, args.speed, args.soft_limit, args.keep)
    latest = stack.ROOT / "bench" / "results" / "latest.json"
    result = summarise(raw, json.loads(latest.read_text()) if latest.exists() else None)
    result["total_s"] = round(time.monotonic() - started, 1)
    table = markdown(result)
    print(table)
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / f"limits-{args.size}.json").write_text(json.dumps({**result, "raw": raw}, indent=2, default=str))
        (args.out / f"limits-{args.size}.md").write_text(table)
        if args.out.resolve() == (stack.ROOT / "bench" / "results").resolve():
            quote_in_readme(table, marker="limits")
    print("OK: no 429s, no duplicates, nothing missing or left waiting." if passed(result) else "FAILED")
    return result


if __name__ == "__main__":
    sys.exit(0 if passed(main()) else 1)
