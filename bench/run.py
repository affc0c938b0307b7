"""`python -m bench.run [--sizes small,medium] [--out bench/results]` (`make bench`).

Each size runs in its own driver process (Django settings are read once per process) with its own
throwaway VAR_DIR, SQLite file (or DATABASE_URL), broker folder, ports and worker.
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

from . import charts, report, stack


def run_size(size: str, seed: int, keep: bool = False) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix=f"bench-{size}-"))
    env = stack.bench_env(workdir, stack.free_port(), stack.free_port(), stack.free_port())
    out = workdir / "raw.json"
    done = subprocess.run([sys.executable, "-m", "bench.driver", size, str(seed), str(out)], cwd=stack.ROOT,
                          env={**os.environ, **env})
    if done.returncode != 0 or not out.exists():
        raise SystemExit(f"the {size} run failed; logs in {workdir}")
    raw = json.loads(out.read_text())
    if not keep:
        shutil.rmtree(workdir, ignore_errors=True)
    return raw


def write(result: dict, out: Path, latest: bool = True) -> tuple[Path, str]:
    out.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    table = report.markdown(result)
    path = out / f"bench-{result['dataset']['size']}-{stamp}.json"
    path.write_text(json.dumps(result, indent=2))
    (out / path.with_suffix(".md").name).write_text(table)
    if latest:
        (out / "latest.json").write_text(json.dumps(result, indent=2))
        (out / "latest.md").write_text(table)
    # The README shows the latest pictures; a run kept aside (--no-latest) gets its own beside its table.
    charts.draw(result, out, "latest" if latest else path.stem)
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
    args = parser.parse_args(argv)
    raws = {size: run_size(size, args.seed, args.keep) for size in tqdm(args.sizes.split(","), desc="datasets")}
    result = report.summarise(raws)
    path, table = write(result, args.out, latest=not args.no_latest)
    if not args.no_latest and args.out.resolve() == (stack.ROOT / "bench" / "results").resolve():
        quote_in_readme(table)
    print(table)
    print(f"Written {path}")
    if "medium" in args.sizes.split(","):  # the pages people open, on the medium company's records
        subprocess.run([sys.executable, "-m", "bench.pages", "--out", str(args.out)], cwd=stack.ROOT,
                       env={**os.environ, **stack.bench_env(Path(tempfile.mkdtemp(prefix="bench-pages-")),
                                                            stack.free_port(), stack.free_port(), stack.free_port())})
    return result


if __name__ == "__main__":
    main()
