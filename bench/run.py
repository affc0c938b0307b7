"""`python -m bench.run [--sizes small,medium] [--out bench/results] [--profile embedded|production]` (`make bench`).

Each size runs in its own driver process (Django settings are read once per process) with its own
throwaway VAR_DIR, SQLite file (or DATABASE_URL), broker folder, ports and worker. `--profile production`
(bench.production): a PostgreSQL database and a Redis server of each size's own, the web app, two prefork
workers and beat, rate limits on (clock sped up), then the freshness stream; written as latest-production.*.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from tqdm import tqdm

from . import charts, production, report, stack


def run_size(size: str, seed: int, keep: bool = False, profile: str = "embedded", growth_only: bool = False) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix=f"bench-{size}-"))
    database = None
    if profile == "production":
        database = stack.Database(production.database_name(size)).create()
        env = production.env_for(workdir, database)
    else:
        env = stack.bench_env(workdir, stack.free_port(), stack.free_port(), stack.free_port())
    env["BENCH_GROWTH_ONLY"] = "1" if growth_only else ""
    out = workdir / "raw.json"
    try:
        done = subprocess.run([sys.executable, "-m", "bench.driver", size, str(seed), str(out)], cwd=stack.ROOT,
                              env={**os.environ, **env})
    finally:
        if database is not None:
            database.drop()
    if done.returncode != 0 or not out.exists():
        raise SystemExit(f"the {size} run failed; logs in {workdir}")
    raw = json.loads(out.read_text())
    if not keep:
        shutil.rmtree(workdir, ignore_errors=True)
    return raw


def write(result: dict, out: Path, latest: bool = True, profile: str = "embedded") -> tuple[Path, str]:
    out.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    table = report.markdown(result)
    tag = "" if profile == "embedded" else f"-{profile}"
    path = out / f"bench{tag}-{result['dataset']['size']}-{stamp}.json"
    path.write_text(json.dumps(result, indent=2))
    (out / path.with_suffix(".md").name).write_text(table)
    if latest:
        (out / f"latest{tag}.json").write_text(json.dumps(result, indent=2))
        (out / f"latest{tag}.md").write_text(table)
    # The README shows the latest pictures; a run kept aside (--no-latest) gets its own beside its table.
    charts.draw(result, out, f"latest{tag}" if latest else path.stem)
    return path, table


def quote_in_readme(table: str, readme: Path = stack.ROOT / "README.md", marker: str = "bench") -> None:
    """The README quotes the latest table between its `<marker>:latest` markers."""
    text = readme.read_text()
    start, end = f"<!-- {marker}:latest -->", f"<!-- /{marker}:latest -->"
    if start in text and end in text:
        head, rest = text.split(start, 1)
        readme.write_text(f"{head}{start}\n{table}{end}{rest.split(end, 1)[1]}")


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="small,medium", help="comma-separated; the last is the headline")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=stack.ROOT / "bench" / "results")
    parser.add_argument("--no-latest", action="store_true", help="do not replace latest.json / latest.md")
    parser.add_argument("--keep", action="store_true", help="keep each run's VAR_DIR (logs, database)")
    parser.add_argument("--profile", choices=("embedded", "production"), default="embedded")
    parser.add_argument("--growth", default="", help="comma-separated sizes measured for growth only (day one, "
                                                     "no replay): e.g. large")
    args = parser.parse_args(argv)
    sizes = [(size, False) for size in args.sizes.split(",")] + [(s, True) for s in args.growth.split(",") if s]
    raws = {size: run_size(size, args.seed, args.keep, args.profile, growth_only)
            for size, growth_only in tqdm(sizes, desc="datasets")}
    result = report.summarise(raws, profile=args.profile)
    path, table = write(result, args.out, latest=not args.no_latest, profile=args.profile)
    if not args.no_latest and args.out.resolve() == (stack.ROOT / "bench" / "results").resolve():
        quote_in_readme(table, marker="bench" if args.profile == "embedded" else f"bench-{args.profile}")
    print(table)
    print(f"Written {path}")
    if "medium" in args.sizes.split(",") and args.profile == "embedded":  # the pages people open, on the medium company's records
        subprocess.run([sys.executable, "-m", "bench.pages", "--out", str(args.out)], cwd=stack.ROOT,
                       env={**os.environ, **stack.bench_env(Path(tempfile.mkdtemp(prefix="bench-pages-")),
                                                            stack.free_port(), stack.free_port(), stack.free_port())})
    return result


if __name__ == "__main__":
    main()
