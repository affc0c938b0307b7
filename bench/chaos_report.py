"""The chaos suite's table: per resource, what the clean run left and what the faulty run left."""

from __future__ import annotations

import platform

LABELS = {
    "worker_sigkilled": "worker SIGKILLed", "killed_while_a_run_was_going": "of which mid-run",
    "refresh_answers_lost": "token refresh answers lost", "webhook_events": "webhook deliveries stored",
    "procore_errors_injected": "Procore 5xx injected", "procore_drops_injected": "Procore writes dropped",
    "xero_errors_injected": "Xero 5xx injected", "xero_drops_injected": "Xero writes dropped",
    "xero_throttled": "Xero 429s", "procore_throttled": "Procore 429s",
    "worker_group_sigkilled": "worker process group SIGKILLed", "stranded_resumed_s": "stranded runs went on after (s)",
    "redis_restarted": "Redis restarted empty", "redis_restarted_mid_run": "of which mid-run",
    "second_beat_stood_by": "second beat stood by", "beats_sending_at_end": "beats sending the schedules at the end", "webhook_burst_accepted": "burst webhooks accepted",
    "webhook_burst_s": "burst sent within (s)",
}
PRODUCTION = ("Production profile: PostgreSQL, one Redis server (broker, results, cache, locks, rate budgets), "
              "2 prefork workers of 2 processes, beat, the web app; the sandboxes' rate limits and the connector's "
              "budgets on (clock ×{speed}). Beside the faults below: one worker's whole process group SIGKILLed "
              "mid-run, Redis restarted empty mid-run, a second beat started, {burst} Procore webhooks at once.")


def _n(value) -> int:
    return len(value) if isinstance(value, (list, dict)) else int(bool(value))


def markdown(result: dict) -> str:
    got = result.get("actual", {})
    production = result.get("profile") == "production"
    lines = [
        *([PRODUCTION.format(speed=result.get("clock_speed", "?"), burst=result.get("webhook_burst", "?")), ""]
          if production else []),
        f"Dataset `{result['size']}` (seed {result['seed']}), {platform.machine()}, faults "
        f"{result['faults']['error_rate']:.0%} server errors, {result['faults']['drop_after_commit_rate']:.0%} "
        "writes dropped after commit, " + ("" if production else "Xero 429 bursts, ")
        + "duplicated webhooks, worker SIGKILLed, refresh answer lost.",
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
        *([f"Production checks: duplicates **{counts['duplicates']}**, missing **{counts['missing']}**, "
           f"left waiting **{counts['not_final']}**, 429s from Procore **{chaos.get('procore_throttled', 0)}** "
           f"and from Xero **{chaos.get('xero_throttled', 0)}**, beats sending the schedules at the end "
           f"**{chaos.get('beats_sending_at_end', '?')}**; the stranded work went on "
           f"**{chaos.get('stranded_resumed_s', '?')} s** after the worker group was killed."] if production else []),
        "Faults that happened: " + ", ".join(f"{LABELS.get(k, k)} {v}" for k, v in chaos.items()) + ".",
        *(["People acting while the runs went: " + ", ".join(f"{k} {v}" for k, v in people.items()) + "."]
          if people else []),
        "",
    ]
    return "\n".join(lines)
