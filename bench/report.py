"""From the drivers' raw measurements to the result JSON and its Markdown table."""

from __future__ import annotations

import os
import platform
from datetime import UTC, datetime

from . import budget, freshness_report

XERO_PER_MINUTE, XERO_PER_DAY = 60, 5000
PROCORE_PER_HOUR = 3600  # Procore's default hourly allowance per app and company (reference procore-api §5)
PHASES = ("initial", "noop", "one_percent")


def _ratio(calls: int, floor_calls: int | None):
    if floor_calls is None:
        return None
    return round(calls / floor_calls, 3) if floor_calls else (1.0 if calls == 0 else None)


def kind_row(kind: dict) -> dict:
    """One kind in one phase: its runs' calls against the sum of their floors (measured per run)."""
    written = kind["created"] + kind["updated"]
    return {"records": kind["records"], "written": written, "failed": kind["failed"],
            "xero_calls": kind["xero_calls"], "xero_floor": kind["xero_floor"],
            "procore_calls": kind["procore_calls"], "procore_floor": kind["procore_floor"],
            "xero_ratio": _ratio(kind["xero_calls"], kind["xero_floor"]),
            "procore_ratio": _ratio(kind["procore_calls"], kind["procore_floor"]),
            "wall_s": round(kind["wall_s"], 3), "runs": kind["runs"], "statuses": kind["statuses"],
            "records_per_s": round(kind["records"] / kind["wall_s"], 1) if kind["wall_s"] else None,
            "endpoints": kind.get("endpoints", {}), "peak_growth_mb": kind.get("peak_growth_mb")}


def phase_summary(name: str, raw: dict) -> dict:
    kinds = {k: kind_row(v) for k, v in raw["kinds"].items()}
    total = {key: sum(r[key] for r in kinds.values()) for key in ("records", "written", "xero_calls", "procore_calls")}
    for side in ("xero", "procore"):
        floors = [r[f"{side}_floor"] for r in kinds.values()]
        total[f"{side}_floor"] = None if None in floors else sum(floors)
        total[f"{side}_ratio"] = _ratio(total[f"{side}_calls"], total[f"{side}_floor"])
    wall = sum(r["wall_s"] for r in kinds.values()) + raw["decisions_s"]
    return {**total, "wall_s": round(wall, 3), "elapsed_s": raw["elapsed_s"],
            "records_per_s": round(total["records"] / wall, 1) if wall else None,
            "projected_xero_minutes": round(total["xero_calls"] / XERO_PER_MINUTE, 1),
            "projected_procore_minutes": round(total["procore_calls"] / PROCORE_PER_HOUR * 60, 1),
            "day_fits_5000": total["xero_calls"] <= XERO_PER_DAY,
            "kinds": kinds, "endpoints": raw["endpoints"]}


PROFILES = {"production": "Production profile: PostgreSQL, one Redis server (broker, results, cache, locks, rate "
                          "budgets), 2 prefork workers of 2 processes, beat, the web app; the sandboxes' rate limits "
                          "and the connector's budgets on (clock ×{speed}), so the wall times include waiting for "
                          "them; peak memory is the largest pool process's"}


def summarise(raws: dict[str, dict], profile: str = "embedded") -> dict:
    """`raws`: size → driver output. The largest size measured is the one the headline numbers are for."""
    every = [s for s in ("empty", "small", "medium", "large") if s in raws]
    order = [s for s in every if not raws[s].get("growth_only")]  # sizes measured for growth only: day one
    main = order[-1]
    sizes = {s: {p: phase_summary(p, raws[s]["phases"][p]) for p in PHASES if p in raws[s]["phases"]}
             for s in every}
    phases = sizes[main]
    connector_s = phases["initial"]["wall_s"]
    replay_s = raws[main]["replay_initial"]["wall_s"]
    return {
        "dataset": {"size": main, "seed": raws[main]["seed"], "start_counts": raws[main]["phases"]["initial"]
                    ["start_counts"]},
        "machine": {"platform": platform.platform(), "python": platform.python_version(),
                    "cpus": os.cpu_count(), "database": raws[main].get("database") or (os.environ.get("DATABASE_URL") or "sqlite").split(":")[0]},
        "ran_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "phases": {p: {k: v for k, v in phases[p].items() if k not in ("endpoints",)} for p in PHASES},
        "overhead_ratio": round(connector_s / replay_s, 2) if replay_s else None,
        "replay_initial": raws[main]["replay_initial"],
        "peak_rss_mb": {s: raws[s]["peak_rss_mb"] for s in every},
        "projected_xero_minutes": {p: phases[p]["projected_xero_minutes"] for p in PHASES},
        "projected_procore_minutes": {p: phases[p]["projected_procore_minutes"] for p in PHASES},
        "growth": {s: {"initial_wall_s": sizes[s]["initial"]["wall_s"], "records": sizes[s]["initial"]["records"],
                       "peak_rss_mb": raws[s]["peak_rss_mb"]} for s in every},
        "changed_for_one_percent": raws[main]["changed"],
        "endpoints": {p: phases[p]["endpoints"] for p in PHASES},
        "targets": targets(phases, raws, order),
        "day_budget": (budget.day(phases, raws[main]["changed"], raws[main]["schedule"])
                       if raws[main].get("schedule") else None),
        "profile": profile,
        "freshness": {s: freshness_report.summarise(raws[s]["freshness"]) for s in order if raws[s].get("freshness")},
    }


def targets(phases: dict, raws: dict, order: list[str]) -> dict:
    """The benchmark's goals, measured (never asserted)."""
    initial = phases["initial"]
    mem = raws[order[-1]]["peak_rss_mb"] / raws["small"]["peak_rss_mb"] if "small" in raws and len(order) > 1 else None
    overhead = raws[order[-1]]["replay_initial"]["wall_s"]
    return {"initial_calls_over_floor_le_1.05": [initial["xero_ratio"], initial["procore_ratio"]],
            "noop_calls_per_polled_resource_le_1": [phases["noop"]["xero_ratio"], phases["noop"]["procore_ratio"]],
            "overhead_ratio_le_1.25": round(initial["wall_s"] / overhead, 2) if overhead else None,
            "peak_memory_over_small_le_1.5": round(mem, 2) if mem else None}


TARGETS = (("initial_calls_over_floor_le_1.05", "initial sync calls/floor ≤ 1.05 (Xero, Procore)", 1.05),
           ("noop_calls_per_polled_resource_le_1", "no-op sync ≤ 1 call per polled resource (Xero, Procore)", 1.0),
           ("overhead_ratio_le_1.25", "connector time over a bare replay ≤ 1.25", 1.25),
           ("peak_memory_over_small_le_1.5", "worker peak memory, medium over small ≤ 1.5", 1.5))


def targets_line(measured: dict) -> str:
    parts = []
    for key, words, limit in TARGETS:
        value = measured.get(key)
        values = value if isinstance(value, list) else [value]
        if any(v is None for v in values):
            continue
        met = all(v <= limit for v in values)
        parts.append(f"{words}: {' / '.join(map(str, values))} {'met' if met else '**not met**'}")
    return "Targets: " + "; ".join(parts) + "." if parts else ""


def _growth_step(growth: dict) -> str:
    """The largest size over the one before it: a record's time and the peak (flat: about 1 and 1)."""
    sizes = [s for s, g in growth.items() if g["records"]]
    if len(sizes) < 2:
        return ""
    (a, before), (b, after) = [(s, growth[s]) for s in sizes[-2:]]
    per_record = (after["initial_wall_s"] / after["records"]) / (before["initial_wall_s"] / before["records"])
    return (f" {b} over {a}: {after['records'] / before['records']:.1f}× the records, {per_record:.2f}× the time "
            f"a record, {after['peak_rss_mb'] / before['peak_rss_mb']:.2f}× the peak memory.")


def _cell(value) -> str:
    return "n/a" if value is None else str(value)


def _ratio_cell(row: dict, side: str) -> str:
    if row[f"{side}_ratio"] is None and row[f"{side}_floor"] == 0 and row[f"{side}_calls"]:
        return "∞"  # calls where the floor is none: reads a kind needs only when it has something to write
    return _cell(row[f"{side}_ratio"])


def markdown(result: dict) -> str:
    d, lines = result["dataset"], []
    if result.get("profile", "embedded") in PROFILES:
        from .stack import CLOCK_SPEED

        lines += [PROFILES[result["profile"]].format(speed=CLOCK_SPEED) + ".", ""]
    lines.append(f"Dataset `{d['size']}` (seed {d['seed']}), {result['machine']['cpus']} CPUs, "
                 f"{result['machine']['database']}, {result['ran_at']}.")
    if result.get("note"):
        lines.append(f"({result['note']}.)")
    lines.append("")
    lines.append("| phase | kind | records | written | Xero calls | Xero floor | ratio | Procore calls | Procore floor "
                 "| ratio | wall s | rec/s |")
    lines.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, phase in result["phases"].items():
        for kind, r in phase["kinds"].items():
            lines.append(f"| {name} | {kind} | {r['records']} | {r['written']} | {r['xero_calls']} | "
                         f"{_cell(r['xero_floor'])} | {_ratio_cell(r, 'xero')} | {r['procore_calls']} | "
                         f"{_cell(r['procore_floor'])} | {_ratio_cell(r, 'procore')} | {r['wall_s']} | "
                         f"{_cell(r.get('records_per_s'))} |")
        lines.append(f"| **{name}** | **total** | {phase['records']} | {phase['written']} | {phase['xero_calls']} | "
                     f"{_cell(phase['xero_floor'])} | {_ratio_cell(phase, 'xero')} | {phase['procore_calls']} | "
                     f"{_cell(phase['procore_floor'])} | {_ratio_cell(phase, 'procore')} | {phase['wall_s']} | "
                     f"{_cell(phase['records_per_s'])} |")
    lines.append("")
    runs = ", ".join(f"{name} {max((r['runs'] for r in phase['kinds'].values()), default=0)}"
                     for name, phase in result["phases"].items())
    lines.append(f"Runs of each kind per phase: {runs} (the initial phase's passes are separated by the accountant's "
                 "day-one decisions; each run's floor counts a full read the first time, then one call per polled "
                 "resource).")
    minutes = ", ".join(f"{p} {m} min" for p, m in result["projected_xero_minutes"].items())
    procore = ", ".join(f"{p} {m} min" for p, m in (result.get("projected_procore_minutes") or {}).items())
    fits = ", ".join(f"{p} {'yes' if v['day_fits_5000'] else 'no'}" for p, v in result["phases"].items())
    lines.append(f"Projected at Xero's 60 calls/min: {minutes}. Fits Xero's 5,000 calls/day: {fits}. "
                 f"Projected at Procore's 3,600 calls/hour: {procore}.")
    lines.append(f"Connector overhead over a bare replay of the same calls (initial): "
                 f"{_cell(result['overhead_ratio'])} ({result['replay_initial']['calls']} calls replayed in "
                 f"{result['replay_initial']['wall_s']} s).")
    growth = "; ".join(f"{s}: {g['records']} records in {g['initial_wall_s']} s"
                       + (f" ({g['initial_wall_s'] / g['records'] * 1000:.2f} ms a record)" if g["records"] else "")
                       + f", peak {g['peak_rss_mb']} MB" for s, g in result["growth"].items())
    lines.append(f"Growth (initial sync, worker peak memory): {growth}." + _growth_step(result["growth"]))
    if result.get("day_budget"):
        lines.append(budget.line(result["day_budget"]))
    if targets_line(result.get("targets") or {}):
        lines.append(targets_line(result["targets"]))
    for size, fresh in (result.get("freshness") or {}).items():
        lines += ["", f"Dataset `{size}`. " + freshness_report.markdown(fresh).rstrip("\n")]
    return "\n".join(lines) + "\n"
