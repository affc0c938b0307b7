"""The chaos suite's production profile: PostgreSQL, one Redis server, two prefork workers, beat and the web
app, the sandboxes' rate limits and the connector's budgets on. Its faults, beside the embedded ones: one
worker's whole process group SIGKILLed mid-run, Redis restarted empty mid-run, a second beat started, and a
burst of Procore webhooks within a second."""

from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from . import stack

WEBHOOK_BURST = 20
SWEEP_EVERY_S = 5  # beat's "Stranded runs" tick (2 minutes in a deployment), short so a run takes seconds


class Processes:
    """The profile's long-running processes (stack.production_processes) and the Redis server."""

    def __init__(self, env: dict, workdir: Path, redis: stack.Proc) -> None:
        self.env, self.workdir, self.redis = env, workdir, redis
        self.commands = stack.production_processes(env)
        self.procs: dict[str, stack.Proc] = {}

    def start(self, name: str, command: list[str] | None = None) -> stack.Proc:
        self.procs[name] = stack.Proc(name, command or self.commands[name], self.env, self.workdir,
                                      group=True).start()
        return self.procs[name]

    def start_all(self) -> None:
        """Beat's schedules first (what `make run` sets up), with the sweeper's tick shortened."""
        from django.core.management import call_command
        from django_celery_beat.models import IntervalSchedule, PeriodicTask

        call_command("setup_periodic_tasks", verbosity=0)
        tick, _ = IntervalSchedule.objects.get_or_create(every=SWEEP_EVERY_S, period=IntervalSchedule.SECONDS)
        PeriodicTask.objects.filter(task="sync.sweep").update(interval=tick)
        self.start("web")
        stack.wait_http(f"{self.env['SITE_URL']}/health/")
        for name in self.commands:
            if name != "web":
                self.start(name)

    def stop(self) -> None:
        for proc in self.procs.values():
            proc.stop()
        self.redis.stop()  # the server started again in the Redis restart (the first one is gone)


def busy_worker(procs: Processes, timeout: float = 300) -> tuple[str, list[int]]:
    """The worker (its process name) that is working a sync run now, and those runs (Celery's `inspect
    active`: which task each worker is running)."""
    from connector.models import SyncRun
    from settings.celery_app import app
    from sync.services import available_kinds

    def kinds_of(task: dict) -> list[str]:
        """A kind's task names its kind; a scheduled scope's task works one kind of its scope at a time."""
        args = task.get("args") or []
        if len(args) < 2:
            return []
        if task.get("name") == "sync.run_kind":
            return [args[1]]
        return available_kinds(args[1]) if task.get("name") == "sync.run_scope" else []

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for hostname, tasks in (app.control.inspect(timeout=1).active() or {}).items():
            kinds = {kind for t in tasks for kind in kinds_of(t)}
            runs = list(SyncRun.objects.filter(status=SyncRun.Status.RUNNING, kind__in=kinds)
                        .values_list("pk", flat=True))
            if runs:
                return f"worker-{hostname.split('-')[1]}", runs
    raise RuntimeError("no worker took a sync run")


def kill_worker_group(procs: Processes, sandboxes: list) -> tuple[bool, float | None]:
    """SIGKILL the whole group of a worker that is working a run, restart it (a supervisor would), and time
    until each run it had has gone on in a new task (the sweeper, on beat's tick) or ended. The sandboxes
    hold every API call meanwhile (their `hold` barrier, set before the round was queued), so the run is
    still going when the worker is found and killed, however fast this machine runs it."""
    from connector.models import SyncRun

    deadline = time.monotonic() + 300
    while not any(side.stats().get("held") for side in sandboxes) and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        name, runs = busy_worker(procs)
        before = dict(SyncRun.objects.filter(pk__in=runs).values_list("pk", "tasks"))
        procs.procs[name].kill_group()
    finally:
        for side in sandboxes:
            side.faults(hold=False)
    killed = time.monotonic()
    procs.start(name)
    deadline = killed + 600
    while time.monotonic() < deadline:
        still = SyncRun.objects.filter(pk__in=runs, status__in=[SyncRun.Status.RUNNING, SyncRun.Status.PAUSED])
        if not [pk for pk, tasks in still.values_list("pk", "tasks") if tasks == before[pk]]:
            return True, round(time.monotonic() - killed, 1)
        time.sleep(0.2)
    return True, None


def restart_redis(procs: Processes) -> bool:
    """Redis goes away while a run works and comes back empty (no persistence): queued tasks, results,
    locks and rate budgets are gone. Returns whether a run was going."""
    from connector.models import SyncRun

    deadline = time.monotonic() + 120
    while not SyncRun.objects.filter(status=SyncRun.Status.RUNNING).exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    going = SyncRun.objects.filter(status=SyncRun.Status.RUNNING).exists()
    port = int(procs.env["REDIS_URL"].rsplit(":", 1)[1].split("/")[0])
    procs.redis.kill_group()
    procs.redis = stack.redis_server(port, procs.workdir)
    return going


def second_beat(procs: Processes) -> stack.Proc:
    return procs.start("beat-2", procs.commands["beat"])


def beats(procs: Processes) -> dict:
    """Whether the second beat waited as a standby, and how many beats send the schedules at the end (one:
    a beat whose lock the other took stops, the standby says when it takes over)."""
    first, second = procs.procs["beat"], procs.procs["beat-2"]
    sending = (first.process.poll() is None) + (second.process.poll() is None
                                                and "sends the schedules now" in second.log())
    return {"second_beat_stood_by": int("Another beat is running" in second.log()),
            "beats_sending_at_end": int(sending)}


def webhook_burst(connection, procore, site_url: str, n: int = WEBHOOK_BURST) -> tuple[int, float]:
    """N Procore 'update' deliveries for existing commitments POSTed at once; returns (accepted, seconds)."""
    from connector.models import Connection

    secret = Connection.objects.get(pk=connection.pk).webhook_secret
    rows = [("Purchase Order Contracts", c) for c in procore.data("purchase_order_contracts")] + \
        [("Work Order Contracts", c) for c in procore.data("work_order_contracts")]
    events = [{"id": uuid.uuid4().hex, "ulid": uuid.uuid4().hex, "resource_name": name, "resource_id": row["id"],
               "event_type": "update", "company_id": connection.procore_company_id,
               "project_id": row["project_id"], "api_version": "v2.0"}
              for name, row in (rows[k % len(rows)] for k in range(n))] if rows else []
    url = f"{site_url}/webhooks/procore/{connection.pk}/"

    def post(event):
        return requests.post(url, json=event, headers={"Authorization": f"Bearer {secret}"}, timeout=30).status_code

    started = time.monotonic()
    with ThreadPoolExecutor(max(len(events), 1)) as pool:
        statuses = list(pool.map(post, events))
    return sum(s == 200 for s in statuses), round(time.monotonic() - started, 2)
