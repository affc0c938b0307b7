"""One dataset, one process: `python -m bench.driver SIZE SEED OUT.json` with the environment of
bench.stack.bench_env already set (bench.run does that). Starts the sandboxes and the worker, runs
the three phases, replays the initial phase bare, and writes the raw measurements. The production profile
(bench.production) runs them on a deployment's stack instead, then the freshness stream (bench.freshness)."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path


def setup_django() -> None:
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def connect_sandboxes(company_id: int | None = None, tenant_id: str | None = None):
    """A connection of the seeded company to its organisation, or of the given ones (bench.tenants)."""
    from connector.management.commands.connect_sandbox import connect
    from connector.models import ConnectionSettings
    from sandbox.datasets import PROCORE_COMPANIES, XERO_ORGANISATIONS

    connection = connect(company_id=company_id or PROCORE_COMPANIES[0]["id"],
                         tenant_id=tenant_id or XERO_ORGANISATIONS[0]["tenantId"])
    # The accountant's purchase account: Xero approves a bill only with an account on every line.
    ConnectionSettings.objects.filter(connection=connection).update(purchase_account_code="500")
    return connection


def main(size: str, seed: int, out: Path) -> None:
    from . import production, stack
    from .phases import change_one_percent, incremental, initial, quiet_queueing
    from .remote import Sandbox
    from .replay import replay_initial

    workdir = Path(os.environ["VAR_DIR"])
    env = {k: os.environ[k] for k in stack.bench_env(workdir, 0, 0, 0)}
    prod = production.is_production()
    started = time.monotonic()
    sandbox_proc = stack.sandboxes(env, workdir, size, seed)
    worker = procs = None
    try:
        setup_django()
        quiet_queueing()
        sides = {"procore": Sandbox(f"http://127.0.0.1:{env['PROCORE_SANDBOX_PORT']}"),
                 "xero": Sandbox(f"http://127.0.0.1:{env['XERO_SANDBOX_PORT']}")}
        procore, xero = sides["procore"], sides["xero"]
        for side in sides.values():  # embedded: count calls instead of waiting out the limits
            side.faults(rate_limits=prod, clock_speed=stack.CLOCK_SPEED if prod else 1)
        procore.settings(webhook_autodeliver=False)  # the phases run every kind themselves
        if prod:
            procs = production.start({**os.environ, **env}, workdir)
        connection = connect_sandboxes()
        if prod:
            production.schedules(connection, on=False)
            peak_rss = lambda: production.pool_peak_rss_mb(procs)  # noqa: E731
        else:
            worker = stack.worker(env, workdir)
            peak_rss = worker.peak_rss_mb
        for side in sides.values():
            side.repeat_ids(seed)  # the replay asks for the same sequence: its records get the same ids
            side.recording(True)
        first = initial(connection, procore, xero, peak_rss=peak_rss)
        if os.environ.get("BENCH_GROWTH_ONLY") == "1":  # a size measured for growth only: its day one
            out.write_text(json.dumps({"size": size, "seed": seed, "peak_rss_mb": round(peak_rss(), 1),
                                       "growth_only": True, "phases": {"initial": first.as_dict()},
                                       "driver_s": round(time.monotonic() - started, 1)}, indent=2, default=str))
            return
        recorded = {name: side.recorded() for name, side in sides.items()}
        for side in sides.values():
            side.recording(False)
        noop = incremental("noop", connection, procore, xero, peak_rss=peak_rss)
        changed = change_one_percent(connection, seed, procore, xero)
        one = incremental("one_percent", connection, procore, xero, peak_rss=peak_rss)
        fresh = None
        if prod:
            from .freshness import stream

            fresh = stream(connection, procore, xero, env["SITE_URL"], seed)
        peak = peak_rss()
        for proc in [worker, *(procs.procs.values() if procs else [])]:
            if proc is not None:
                proc.stop()
        bare = replay_initial(recorded, sides, size, seed, connection.xero_tenant_id, env["SITE_URL"])
        from .budget import cadences

        result = {"size": size, "seed": seed, "peak_rss_mb": round(peak, 1), "replay_initial": bare,
                  "schedule": cadences(),
                  "changed": changed, "phases": {p.name: p.as_dict() for p in (first, noop, one)},
                  "driver_s": round(time.monotonic() - started, 1),
                  "database": os.environ["DATABASE_URL"].split(":")[0]}
        if fresh is not None:
            result["freshness"] = fresh
        out.write_text(json.dumps(result, indent=2, default=str))
    finally:
        if worker is not None:
            worker.stop()
        if procs is not None:
            procs.stop()
        sandbox_proc.stop()


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), Path(sys.argv[3]))
