"""`python -m bench.chaos [--size small] [--out bench/results]` (`make chaos`).

The same day-one flow twice, each in its own process and throwaway stack: once clean (the expected
result), once with the sandboxes' faults on — 5% server errors, 2% of writes dropped after commit,
Xero 429 bursts, Procore webhook deliveries duplicated — plus the worker SIGKILLed mid-run and
restarted, and one Xero token refresh whose answer is lost; in both, people act while the runs go on
(bench.chaos_people). Then both sandboxes' data are compared, and the people's decisions checked.

`--profile production` (`make chaos PROFILE=production`) runs both on a deployment's stack instead
(bench.chaos_production): a PostgreSQL database and a Redis server of each run's own, two prefork workers,
beat, the web app, the rate limits on. `BENCH_PORTS` / `BENCH_REDIS_PORTS` ("lo-hi") keep the ports in a range.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from . import chaos_report, stack
from .chaos_flow import FAULTS
from .run import quote_in_readme


def run_flow(size: str, seed: int, out: Path, faults: bool, profile: str = "embedded") -> None:
    from .chaos_flow import flow

    workdir = Path(tempfile.mkdtemp(prefix=f"chaos-{'faults' if faults else 'clean'}-"))
    span = os.environ.get("BENCH_PORTS")
    ports = [stack.free_port(span) for _ in range(3)]
    database = redis = None
    if profile == "production":
        database = stack.Database(f"chaos_{os.getpid()}").create()
        redis_port = stack.free_port(os.environ.get("BENCH_REDIS_PORTS"))
        env = stack.production_env(workdir, *ports, database.url, redis_port)
        redis = stack.redis_server(redis_port, workdir)
    else:
        env = stack.bench_env(workdir, *ports)
    os.environ.update(env)  # this process is the driver: Django reads these at set-up
    try:
        out.write_text(json.dumps(flow(env, workdir, size, seed, faults, redis=redis), indent=2, default=str))
    finally:
        if database is not None:
            from django.db import connections

            connections.close_all()
            database.drop()
        if redis is not None:
            redis.stop()
        if os.environ.get("BENCH_KEEP") != "1":
            shutil.rmtree(workdir, ignore_errors=True)


def run_both(size: str, seed: int, keep: bool = False, profile: str = "embedded") -> dict:
    from .invariants import compare

    results = {}
    tmp = Path(tempfile.mkdtemp(prefix="chaos-"))
    for mode in ("clean", "faults"):
        path = tmp / f"{mode}.json"
        done = subprocess.run([sys.executable, "-m", "bench.chaos", "--child", mode, "--size", size,
                               "--seed", str(seed), "--json", str(path), "--profile", profile],
                              cwd=stack.ROOT,
                              env={**os.environ, "BENCH_KEEP": "1" if keep else "0"})
        if done.returncode or not path.exists():
            raise SystemExit(f"the {mode} run failed")
        results[mode] = json.loads(path.read_text())
    shutil.rmtree(tmp, ignore_errors=True)
    verdict = compare(results["clean"], results["faults"])
    from .chaos_production import WEBHOOK_BURST

    return {"size": size, "seed": seed, "profile": profile, "faults": FAULTS,
            **({"clock_speed": stack.CLOCK_SPEED, "webhook_burst": WEBHOOK_BURST} if profile == "production" else {}), "chaos": results["faults"]["chaos"],
            "converge_s": results["faults"]["converge_s"], "rounds": results["faults"]["rounds"],
            "clean_s": results["clean"]["converge_s"],
            "expected": {resource: len(keys) for resource, keys in results["clean"]["records"].items()},
            "actual": {resource: len(keys) for resource, keys in results["faults"]["records"].items()},
            "connection_status": results["faults"]["connection_status"],
            "people": results["faults"]["people"], "decisions": results["faults"]["decisions"],
            **verdict}


def main(argv=None) -> dict | None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", default="small")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=None, help="also write chaos-<size>.json there")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--child", choices=("clean", "faults"))
    parser.add_argument("--json", type=Path)
    parser.add_argument("--profile", choices=("embedded", "production"), default="embedded")
    args = parser.parse_args(argv)
    if args.child:
        run_flow(args.size, args.seed, args.json, faults=args.child == "faults", profile=args.profile)
        return None
    started = time.monotonic()
    result = run_both(args.size, args.seed, args.keep, args.profile)
    result["total_s"] = round(time.monotonic() - started, 1)
    table = chaos_report.markdown(result)
    print(table)
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        name = f"chaos-{args.size}" if args.profile == "embedded" else f"chaos-{args.profile}-{args.size}"
        (args.out / f"{name}.json").write_text(json.dumps(result, indent=2))
        (args.out / f"{name}.md").write_text(table)
        if args.out.resolve() == (stack.ROOT / "bench" / "results").resolve():
            quote_in_readme(table, marker="chaos" if args.profile == "embedded" else f"chaos-{args.profile}")
    print("OK: no duplicates, nothing missing, everything final." if passed(result) else "FAILED")
    return result


def passed(result: dict) -> bool:
    counts, chaos = result["counts"], result.get("chaos", {})
    production = result.get("profile") == "production"
    throttled = production and (chaos.get("procore_throttled") or chaos.get("xero_throttled"))
    beats = production and chaos.get("beats_sending_at_end") != 1
    return not (counts["duplicates"] or counts["missing"] or counts["not_final"] or throttled or beats) \
        and result["connection_status"] == "active" and not any(result.get("decisions", {}).values())


if __name__ == "__main__":
    outcome = main()
    sys.exit(0 if outcome is None or passed(outcome) else 1)
