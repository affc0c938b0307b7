"""The chaos suite's table: per resource, what the clean run left and what the faulty run left."""

from __future__ import annotations

import platform

LABELS = {
    "worker_sigkilled": "worker SIGKILLed", "killed_while_a_run_was_going": "of which mid-run",
    "refresh_answers_lost": "token refresh answers lost", "webhook_events": "webhook deliveries stored",
    "procore_errors_injected": "Procore 5xx injected", "procore_drops_injected": "Procore writes dropped",
    "xero_errors_injected": "Xero 5xx injected", "xero_drops_injected": "Xero writes dropped",
    "xero_throttled": "Xero 429s", "procore_throttled": "Procore 429s",
}


def _n(value) -> int:
    return len(value) if isinstance(value, (list, dict)) else int(bool(value))


def markdown(result: dict) -> str:
    got = result.get("actual", {})
    lines = [
        f"Dataset `{result['size']}` (seed {result['seed']}), {platform.machine()}, faults "
        f"{result['faults']['error_rate']:.0%} server errors, {result['faults']['drop_after_commit_rate']:.0%} "
        "writes dropped after commit, Xero 429 bursts, duplicated webhooks, worker SIGKILLed, refresh answer lost.",
        "",
        "| resource | expected | after chaos | duplicates | missing | unexpected |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for resource, expected in result["expected"].items():
        lines.append(f"| {resource} | {expected} | {got.get(resource, '')} "
                     f"| {_n(result['duplicates'].get(resource, []))} | {_n(result['missing'].get(resource, []))} "
                     f"| {_n(result['unexpected'].get(resource, []))} |")
    counts = result["counts"]
    lines.append(f"| **total** | {sum(result['expected'].values())} | {sum(got.values()) if got else ''} "
                 f"| **{counts['duplicates']}** | **{counts['missing']}** | {counts['unexpected']} |")
    chaos = result.get("chaos", {})
    decisions = result.get("decisions", {})
    if decisions:
        lines += ["", "| people's decisions | count |", "|---|---:|",
                  f"| decisions overridden | **{decisions['decisions_overridden']}** |",
                  f"| records exported without acceptance | **{decisions['exported_without_acceptance']}** |",
                  f"| PO lines lost | **{decisions['po_lines_lost']}** |"]
    people = result.get("people", {})
    lines += [
        "",
        f"Records not in a final state: **{counts['not_final']}**"
        + (f" ({result['not_final']})" if result["not_final"] else "") + f"; connection {result['connection_status']}.",
        f"Converged in {result['converge_s']} s over {result['rounds']} scheduled rounds "
        f"(the clean run: {result['clean_s']} s); the whole suite took {result.get('total_s', '?')} s.",
        "Faults that happened: " + ", ".join(f"{LABELS.get(k, k)} {v}" for k, v in chaos.items()) + ".",
        *(["People acting while the runs went: " + ", ".join(f"{k} {v}" for k, v in people.items()) + "."]
          if people else []),
        "",
    ]
    return "\n".join(lines)
