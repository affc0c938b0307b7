"""One chaos-suite run in the driver process: day one as a schedule would run it, with or without chaos."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

from tqdm import tqdm

from . import stack
from .remote import Sandbox

FAULTS = {"error_rate": 0.05, "drop_after_commit_rate": 0.02}
ROUNDS = 10
BURST = 3  # Xero 429s at the start of each faulty round
NEW_PROJECTS = 3  # created in Procore during the day: their webhooks are the ones duplicated


def dispatch(connection_id: int) -> list:
    from sync.tasks import sync_kind_task

    from .phases import kinds_now

    return [sync_kind_task.delay(connection_id, kind, "schedule") for kind in kinds_now()]


def wait_all(results: list, timeout: float = 3 * 3600) -> None:
    deadline = time.monotonic() + timeout
    while not all(r.ready() for r in results):
        if time.monotonic() > deadline:
            raise RuntimeError("the worker did not finish the round")
        time.sleep(0.5)


def kill_mid_run(worker: stack.Proc, connection_id: int, env: dict, workdir: Path) -> tuple[stack.Proc, bool]:
    """SIGKILL the worker while a sync run is going, then start a new one (what a supervisor does)."""
    from connector.models import SyncRun

    deadline = time.monotonic() + 300
    running = False
    while not running and time.monotonic() < deadline:
        running = SyncRun.objects.filter(status=SyncRun.Status.RUNNING).exists()
        time.sleep(0 if running else 0.05)
    worker.kill()
    # Nobody renews the killed worker's run locks now: they expire RUN_LOCK_TTL_S later (short in the bench),
    # then the next run of the kind closes the cut-off run and goes on.
    deadline = time.monotonic() + 120
    while run_locks_held(connection_id) and time.monotonic() < deadline:
        time.sleep(0.2)
    return stack.worker(env, workdir), running


def run_locks_held(connection_id: int) -> bool:
    from django.conf import settings
    from django.utils import timezone

    from connector.locks import _redis
    from connector.models import Lock

    if settings.REDIS_URL:
        return bool(_redis(settings.REDIS_URL).keys(f"lock:sync-run:{connection_id}:*"))
    return Lock.objects.filter(name__startswith=f"sync-run:{connection_id}:", expires_at__gt=timezone.now()).exists()


def lose_xero_refresh(connection, xero: Sandbox) -> bool:
    """Force a Xero token refresh whose answer never arrives (applied on Xero's side, then cut)."""
    from django.utils import timezone

    from connector.models import Credential
    from connector.services.credentials import credential_refresh

    Credential.objects.filter(connection=connection, provider=Credential.Provider.XERO) \
        .update(expires_at=timezone.now())
    xero.faults(drop_after_commit_rate=1.0)
    try:
        credential_refresh(connection_id=connection.pk, provider=Credential.Provider.XERO)
        return False
    except Exception:  # TokenRefreshUnavailable: the old refresh token must still work (Xero's grace)
        return True
    finally:
        xero.faults(drop_after_commit_rate=FAULTS["drop_after_commit_rate"])


def settled(connection) -> bool:
    """Nothing on its way or waiting for a person, and no run going or paused to go on later."""
    from connector.models import Link, SyncRun

    return not Link.objects.filter(connection=connection, state__in=[Link.State.EXPORTING,
                                                                     Link.State.AWAITING_APPROVAL]).exists() \
        and not SyncRun.objects.filter(connection=connection, status__in=[
            SyncRun.Status.RUNNING, SyncRun.Status.PAUSED, SyncRun.Status.PARKED]).exists()


def wrote_since(connection, since) -> int:
    """Records the runs created, updated or removed since `since`: a round that wrote nothing and left nothing
    waiting is the end of the day (a round that wrote may have made the next kinds' records ready)."""
    from connector.models import SyncRecord

    return SyncRecord.objects.filter(run__connection=connection, run__dry_run=False, created_at__gte=since) \
        .exclude(action__in=[SyncRecord.Action.SKIPPED, SyncRecord.Action.FAILED]).count()


def flow(env: dict, workdir: Path, size: str, seed: int, faults: bool, redis: stack.Proc | None = None) -> dict:
    """`redis` given: the production profile (bench.chaos_production) on the Redis server it names."""
    from .chaos_people import People, decision_counts
    from .driver import connect_sandboxes, setup_django
    from .invariants import link_states, snapshot
    from .phases import Phase, decide, run_pass

    production = redis is not None
    sandbox_proc = stack.sandboxes(env, workdir, size, seed)
    web = worker = procs = None
    try:
        setup_django()
        from django.utils import timezone

        from connector.clients import procore_client_for
        from connector.models import Connection, WebhookEvent

        from . import chaos_production as prod

        procore = Sandbox(f"http://127.0.0.1:{env['PROCORE_SANDBOX_PORT']}")
        xero = Sandbox(f"http://127.0.0.1:{env['XERO_SANDBOX_PORT']}")
        for side in (procore, xero):  # production: the platforms' limits, on a clock as fast as the budgets'
            side.faults(rate_limits=production, seed=seed, clock_speed=stack.CLOCK_SPEED if production else 1)
        if production:
            procs = prod.Processes(env, workdir, redis)
            procs.start_all()
        else:
            web = stack.web(env, workdir)  # receives the Procore webhook deliveries
        connection = connect_sandboxes()
        if not production:
            worker = stack.worker(env, workdir)
        pc = procore_client_for(connection)
        for n in range(NEW_PROJECTS):  # before the faults: the expected result must not depend on them
            pc.create_project({"name": f"Chaos Depot {n}", "project_number": f"26-9{n:02d}"})
        people = People(procore, seed)
        chaos = Counter()
        if faults:
            procore.faults(**FAULTS, duplicate_webhook_rate=0.5)
            xero.faults(**FAULTS)
        started = time.monotonic()
        rounds = 0
        for rounds in tqdm(range(1, ROUNDS + 1), desc=f"chaos {'faults' if faults else 'clean'}", unit="round"):
            round_started = timezone.now()
            if faults and not production:
                xero.faults(force_429=BURST)  # production: the real limits instead, and none may be hit
            if faults and production and rounds == 2:
                accepted, took = prod.webhook_burst(connection, procore, env["SITE_URL"])
                chaos["webhook_burst_accepted"] += accepted
                chaos["webhook_burst_s"] = took
            if faults and rounds == 1 and production:  # the round's calls wait until its worker is killed
                for side in (procore, xero):
                    side.faults(hold=True)
            results = dispatch(connection.pk)
            if faults and rounds == 1 and production:
                prod.second_beat(procs)
                mid_run, resumed = prod.kill_worker_group(procs, [procore, xero])
                chaos["worker_group_sigkilled"] += 1
                chaos["killed_while_a_run_was_going"] += mid_run
                chaos["stranded_resumed_s"] = resumed
                results = dispatch(connection.pk)  # what the next beat tick would queue
            elif faults and rounds == 1:
                worker, mid_run = kill_mid_run(worker, connection.pk, env, workdir)
                chaos["worker_sigkilled"] += 1
                chaos["killed_while_a_run_was_going"] += mid_run
                results = dispatch(connection.pk)  # what the next beat tick would queue
            if faults and rounds == 2 and production:
                chaos["redis_restarted"] += 1
                chaos["redis_restarted_mid_run"] += prod.restart_redis(procs)
                results = dispatch(connection.pk)  # the queue went with Redis: the next beat tick queues again
            if faults and rounds == 2:
                chaos["refresh_answers_lost"] += lose_xero_refresh(connection, xero)
            people.during_runs(connection, rounds, results)  # while the worker runs the round
            wait_all(results)
            people.before_decisions(connection)
            if not decide(connection) and settled(connection) and people.settled() \
                    and not wrote_since(connection, round_started) and rounds >= (3 if production else 2):
                break
        converge_s = time.monotonic() - started
        for side in (procore, xero):
            side.faults(error_rate=0, drop_after_commit_rate=0, duplicate_webhook_rate=0, force_429=0)
        run_pass(Phase("final"), connection.pk, procore, xero)  # one clean pass: both runs end alike
        for name, side in (("procore", procore), ("xero", xero)):
            stats = side.stats()
            for key in ("errors_injected", "drops_injected", "throttled"):
                chaos[f"{name}_{key}"] += stats[key]
        chaos["webhook_events"] = WebhookEvent.objects.filter(connection=connection).count()
        if faults and production:
            chaos.update(prod.beats(procs))
        connection = Connection.objects.get(pk=connection.pk)
        return {"records": snapshot(procore, xero, connection.xero_tenant_id, people.keep_out_of_comparison()),
                "links": link_states(connection), "chaos": dict(chaos), "people": dict(people.done),
                "decisions": decision_counts(connection, xero), "rounds": rounds,
                "converge_s": round(converge_s, 1), "connection_status": connection.status}
    finally:
        if procs is not None:
            procs.stop()
        for proc in (worker, web, sandbox_proc):
            if proc is not None:
                proc.stop()
