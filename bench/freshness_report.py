"""The freshness stream's numbers: per kind of change, seconds from the change to the other side showing it
(p50 / p95 / max), judged against the goal — p95 ≤ 60 s for a kind a webhook announces, within its schedule's
cadence for a polled kind. Pure functions: bench.freshness measures, this summarises and writes."""

from __future__ import annotations

import numpy as np

WEBHOOK_GOAL_S = 60.0


def stats(seconds: list[float]) -> dict:
    if not seconds:
        return {"n": 0, "p50": None, "p95": None, "max": None}
    values = np.asarray(seconds, dtype=float)
    return {"n": len(seconds), "p50": round(float(np.percentile(values, 50)), 1),
            "p95": round(float(np.percentile(values, 95)), 1), "max": round(float(values.max()), 1)}


def goal_s(kind: dict) -> float | None:
    """Wall seconds the kind must reach (p95): 60 s when a webhook announces it, else its cadence on the
    bench's clock; None for a change the connector does not copy by design."""
    if kind.get("not_copied"):
        return None
    return WEBHOOK_GOAL_S if kind.get("webhook") else kind.get("cadence_s")


def verdict(kind: dict) -> tuple[str, str]:
    """("met" | "not met" | "n/a", why)."""
    s, goal = stats(kind["seconds"]), goal_s(kind)
    if goal is None:
        return "n/a", kind.get("not_copied") or "no goal"
    missing = kind["changes"] - s["n"]
    if not s["n"]:
        return "not met", f"none of {kind['changes']} changes seen in {kind['waited_s']:.0f} s" + _why(kind)
    if missing:
        return "not met", f"{missing} of {kind['changes']} changes not seen in {kind['waited_s']:.0f} s" + _why(kind)
    if s["p95"] > goal:
        return "not met", f"p95 {s['p95']} s over {goal:.0f} s" + _why(kind)
    return "met", f"p95 {s['p95']} s ≤ {goal:.0f} s"


def _why(kind: dict) -> str:
    return f" ({kind['why']})" if kind.get("why") else ""


def summarise(raw: dict) -> dict:
    """`raw`: bench.freshness.stream's output; adds each kind's statistics and verdict."""
    kinds = {}
    for name, kind in raw["kinds"].items():
        met, why = verdict(kind)
        kinds[name] = {**{k: v for k, v in kind.items() if k != "seconds"}, **stats(kind["seconds"]),
                       "seconds": kind["seconds"], "goal_s": goal_s(kind), "verdict": met, "verdict_why": why}
    return {**raw, "kinds": kinds}


def _cell(value) -> str:
    return "–" if value is None else str(value)


def markdown(summary: dict) -> str:
    lines = [f"Freshness: {summary['stream_s']:.0f} s of changes after day one (one every "
             f"{summary['every_s']:g} s, kinds in turn), webhooks on, the default schedules on a clock "
             f"×{summary['clock_speed']:g} ({summary['cadences']}); seconds are wall seconds from the change "
             "to the other sandbox showing it.", "",
             "| change | announced by | changes | seen | p50 s | p95 s | max s | goal (p95) | |",
             "|---|---|---:|---:|---:|---:|---:|---:|---|"]
    for name, k in summary["kinds"].items():
        goal = "–" if k["goal_s"] is None else f"≤ {k['goal_s']:.0f} s"
        lines.append(f"| {name} | {k.get('webhook') or 'schedule (' + k.get('scope', '') + ')'} | {k['changes']} | "
                     f"{k['n']} | {_cell(k['p50'])} | {_cell(k['p95'])} | {_cell(k['max'])} | {goal} | "
                     f"{'**not met**' if k['verdict'] == 'not met' else k['verdict']}: {k['verdict_why']} |")
    return "\n".join(lines) + "\n"
