"""The benchmark's pictures, drawn from the same result the table is written from (bench.report.summarise).

- `<name>-kinds.png`: day one per kind — the runs' time, and the calls each side made against its floor;
- `<name>-growth.png`: per dataset size, the initial sync's time per record and the worker's peak memory;
- `<name>-freshness.png` (production profile): per kind of change, the seconds until the other side showed it.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only: no display on a server or in CI

import matplotlib.pyplot as plt  # noqa: E402 - after the backend is chosen


def kinds_chart(result: dict, path: Path) -> Path:
    kinds = result["phases"]["initial"]["kinds"]
    names = list(kinds)
    x = range(len(names))
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.2))
    left.bar(x, [kinds[k]["wall_s"] for k in names], color="#4c72b0")
    left.set_title("Day one: time per kind (s)")
    right.bar([i - 0.2 for i in x], [kinds[k]["xero_calls"] for k in names], 0.4, label="Xero calls",
              color="#13b5ea")
    right.bar([i + 0.2 for i in x], [kinds[k]["procore_calls"] for k in names], 0.4, label="Procore calls",
              color="#f47e42")
    for offset, side in ((-0.2, "xero"), (0.2, "procore")):
        floors = [kinds[k][f"{side}_floor"] for k in names]
        right.scatter([i + offset for i, f in zip(x, floors) if f is not None], [f for f in floors if f is not None],
                      marker="_", s=300, color="black", label="floor" if side == "xero" else None)
    right.set_title("Day one: API calls per kind (— the floor)")
    right.set_yscale("symlog")
    right.legend()
    for axis in (left, right):
        axis.set_xticks(list(x), names, rotation=30, ha="right")
    fig.suptitle(f"Dataset {result['dataset']['size']}, {result['ran_at']}")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def growth_chart(result: dict, path: Path) -> Path:
    growth = {s: g for s, g in result["growth"].items() if g["records"]}
    sizes = list(growth)
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8))
    left.plot(sizes, [growth[s]["initial_wall_s"] / growth[s]["records"] * 1000 for s in sizes], marker="o")
    left.set_title("Initial sync: ms per record")
    # The peak, not the peak per record: most of it is the interpreter and Django, the same at every size;
    # what matters is that it does not grow with the company (the pages bound it).
    right.plot(sizes, [growth[s]["peak_rss_mb"] for s in sizes], marker="o", color="#c44e52")
    right.set_title("Worker peak memory (MB)")
    for axis in (left, right):
        axis.set_xlabel("dataset size")
        axis.set_ylim(bottom=0)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def freshness_chart(fresh: dict, path: Path) -> Path:
    """One strip of dots per kind (each change's seconds), its p95 and its goal."""
    kinds = [k for k, v in fresh["kinds"].items() if v["seconds"]]
    fig, axis = plt.subplots(figsize=(9, 0.9 + 0.7 * max(len(kinds), 1)))
    for row, name in enumerate(kinds):
        kind = fresh["kinds"][name]
        axis.scatter(kind["seconds"], [row] * len(kind["seconds"]), alpha=0.6, color="#4c72b0")
        axis.scatter([kind["p95"]], [row], marker="|", s=500, color="black", label="p95" if row == 0 else None)
        if kind["goal_s"]:
            axis.scatter([kind["goal_s"]], [row], marker="|", s=500, color="#c44e52",
                         label="goal" if row == 0 else None)
    axis.set_yticks(range(len(kinds)), kinds)
    axis.set_xscale("symlog", linthresh=10)
    axis.set_xlim(left=0)
    axis.set_xlabel(f"seconds from the change to the other side (wall clock; schedules ×{fresh['clock_speed']:g})")
    axis.set_title("Freshness after day one")
    if kinds:
        axis.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def draw(result: dict, out: Path, name: str) -> list[Path]:
    """The charts of one result, as `out/<name>-*.png`."""
    out.mkdir(parents=True, exist_ok=True)
    paths = [kinds_chart(result, out / f"{name}-kinds.png"), growth_chart(result, out / f"{name}-growth.png")]
    fresh = result.get("freshness") or {}
    if fresh:  # the headline size's
        paths.append(freshness_chart(fresh[list(fresh)[-1]], out / f"{name}-freshness.png"))
    return paths
