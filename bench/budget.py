"""A business day's API budget, computed from the calls the benchmark counted (not a simulated day).

A day with the default cadences, 1% of the records changed and webhooks on costs:
- every scheduled run, each at what the `noop` phase's run of its kind cost (nothing changed since the last);
- once, the extra the day's changes cost: `one_percent` less `noop`, per kind (the reads and writes of the
  changed records, whichever run — scheduled or webhook — meets them first);
- a run per webhook event: a narrowed one (the record's own project) for the Procore resources the engine
  narrows, else a whole incremental run of the kind, at its `noop` cost.
The peak Procore hour is an hour in which every schedule fires, with an eighth of the day's change traffic
(changes spread over an eight-hour working day); the worst case puts all of it in that hour.
"""

from __future__ import annotations

XERO_DAY_GOAL = 1000  # Xero's Starter developer tier: calls per organisation per day
PROCORE_PER_HOUR = 3600
PROCORE_PEAK_SHARE_GOAL = 0.25
WORKING_HOURS = 8

# One day's changes (the benchmark's `changed_for_one_percent` keys) → the kind a webhook event about it runs.
EVENTS = {"procore vendors": "vendor", "procore standard cost codes": "cost_code", "procore commitments": "commitment",
          "procore change_order_packages approved": "change_order", "xero contacts": "vendor",
          "xero bills approved and paid": "payment"}
# A narrowed run's own reads (the record's project lists; its detail and writes are in the change traffic).
NARROWED = {"commitment": {"xero": 0, "procore": 2}, "change_order": {"xero": 0, "procore": 1}}


def cadences() -> dict:
    """kind → scheduled runs per day with the default cadences (needs Django: the driver calls it)."""
    from connector.models import ConnectionSettings
    from connector.services.schedules import CADENCE_HOURS
    from connector.services.schedules import SCOPES as SCHEDULED
    from sync.services import available_kinds
    from sync.webhooks import WEBHOOK_KINDS

    runs = {}
    for scope, (field, _covers) in SCHEDULED.items():
        default = ConnectionSettings._meta.get_field(field).default
        per_day = 24 // CADENCE_HOURS[default] if default in CADENCE_HOURS else 0
        runs.update({str(kind): per_day for kind in available_kinds(scope)})
    webhooks = sorted({str(kind) for kind, _narrow in WEBHOOK_KINDS.values()})
    return {"runs_per_day": runs, "webhook_kinds": webhooks}


def _calls(phase: dict, kind: str) -> dict:
    row = phase["kinds"].get(kind) or {}
    return {"xero": row.get("xero_calls", 0), "procore": row.get("procore_calls", 0)}


def day(phases: dict, changed: dict, schedule: dict) -> dict:
    """`phases`: the summarised phases of one size; `changed`: what the driver changed for one_percent."""
    noop, one = phases["noop"], phases["one_percent"]
    runs = schedule["runs_per_day"]
    scheduled = {side: sum(runs.get(k, 0) * _calls(noop, k)[side] for k in noop["kinds"]) for side in ("xero", "procore")}
    peak_hour = {side: sum(_calls(noop, k)[side] for k in noop["kinds"] if runs.get(k)) for side in ("xero", "procore")}
    changes = {side: sum(max(0, _calls(one, k)[side] - _calls(noop, k)[side]) for k in one["kinds"])
               for side in ("xero", "procore")}
    hooks = {"xero": 0, "procore": 0}
    events = 0
    for what, n in changed.items():
        kind = EVENTS.get(what)
        if kind is None or kind not in schedule["webhook_kinds"] or not n:
            continue
        events += n
        each = NARROWED.get(kind) or _calls(noop, kind)
        for side in hooks:
            hooks[side] += n * each[side]
    xero_day = scheduled["xero"] + changes["xero"] + hooks["xero"]
    traffic = changes["procore"] + hooks["procore"]
    peak = peak_hour["procore"] + traffic / WORKING_HOURS
    return {"runs_per_day": runs, "runs_per_day_words": runs_words(runs), "webhook_events": events, "scheduled": scheduled, "changes": changes,
            "webhooks": hooks, "xero_per_day": xero_day, "procore_per_day": scheduled["procore"] + traffic,
            "procore_peak_hour": round(peak), "procore_peak_share": round(peak / PROCORE_PER_HOUR, 3),
            "procore_worst_hour": peak_hour["procore"] + traffic,
            "xero_met": xero_day <= XERO_DAY_GOAL, "procore_met": peak / PROCORE_PER_HOUR <= PROCORE_PEAK_SHARE_GOAL}


def line(budget: dict) -> str:
    met = {True: "met", False: "**not met**"}
    return (f"A day's budget (default cadences: {budget['runs_per_day_words']}; 1% changed, "
            f"{budget['webhook_events']} webhook events; computed from the noop and one_percent counts): "
            f"Xero {budget['xero_per_day']} calls per organisation per day (goal ≤ {XERO_DAY_GOAL}) "
            f"{met[budget['xero_met']]}; Procore {budget['procore_per_day']} calls a day, "
            f"{budget['procore_peak_hour']} in the peak hour = {budget['procore_peak_share']:.0%} of its "
            f"{PROCORE_PER_HOUR:,}/hour (goal ≤ 25%) {met[budget['procore_met']]}; all of the day's changes in "
            f"one hour: {budget['procore_worst_hour']} ({budget['procore_worst_hour'] / PROCORE_PER_HOUR:.0%}).")


def runs_words(runs: dict) -> str:
    by_count: dict[int, list[str]] = {}
    for kind, n in runs.items():
        by_count.setdefault(n, []).append(kind)
    return ", ".join(f"{'/'.join(kinds)} {n}× a day" for n, kinds in sorted(by_count.items(), reverse=True))
