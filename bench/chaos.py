"""`python -m bench.chaos [--size small] [--out bench/results]` (`make chaos`).

The same day-one flow twice, each in its own process and throwaway stack: once clean (the expected
result), once with the sandboxes' faults on — 5% server errors, 2% of writes dropped after commit,
Xero 429 bursts, Procore webhook deliveries duplicated — plus the worker SIGKILLed mid-run and
restarted, and one Xero token refresh whose answer is lost; in both, people act while the runs go on
(bench.chaos_people). Then both sandboxes' data are compared, and the people's decisions checked.
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


def run_flow(size: str, seed: int, out: Path, faults: bool) -> None:
    from .chaos_flow import flow

    workdir = Path(tempfile.mkdtemp(prefix=f"chaos-{'faults' if faults else 'clean'}-"))
    env = stack.bench_env(workdir, stack.free_port(), stack.free_port(), stack.free_port())
    os.environ.update(env)  # this process is the driver: Django reads these at set-up
    try:
        out.write_text(json.dumps(flow(env, workdir, size, seed, faults), indent=2, default=str))
    finally:
        if os.environ.get("BENCH_KEEP") != "1":
            shutil.rmtree(workdir, ignore_errors=True)


def run_both(size: str, seed: int, keep: bool = False) -> dict:
    from .invariants import compare

    results = {}
    tmp = Path(tempfile.mkdtemp(prefix="chaos-"))
    for mode in ("clean", "faults"):
        path = tmp / f"{mode}.json"
        done = subprocess.run([sys.executable, "-m", "bench.chaos", "--child", mode, "--size", size,
                               "--seed", str(seed), "--json", str(path)], cwd=stack.ROOT,
                              env={**os.environ, "BENCH_KEEP": "1" if keep else "0"})
        if done.returncode or not path.exists():
            raise SystemExit(f"the {mode} run failed")
        results[mode] = json.loads(path.read_text())
    shutil.rmtree(tmp, ignore_errors=True)
    verdict = compare(results["clean"], results["faults"])
    return {"size": size, "seed": seed, "faults": FAULTS, "chaos": results["faults"]["chaos"],
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
    args = parser.parse_args(argv)
    if args.child:
        run_flow(args.size, args.seed, args.json, faults=args.child == "faults")
        return None
    started = time.monotonic()
    result = run_both(args.size, args.seed, args.keep)
    result["total_s"] = round(time.monotonic() - started, 1)
    table = chaos_report.markdown(result)
    print(table)
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / f"chaos-{args.size}.json").write_text(json.dumps(result, indent=2))
        (args.out / f"chaos-{args.size}.md").write_text(table)
        if args.out.resolve() == (stack.ROOT / "bench" / "results").resolve():
            quote_in_readme(table, marker="chaos")
    print("OK: no duplicates, nothing missing, everything final." if passed(result) else "FAILED")
    return result


def passed(result: dict) -> bool:
    counts = result["counts"]
    return not (counts["duplicates"] or counts["missing"] or counts["not_final"]) \
        and result["connection_status"] == "active" and not any(result.get("decisions", {}).values())


if __name__ == "__main__":
    outcome = main()
    sys.exit(0 if outcome is None or passed(outcome) else 1)
