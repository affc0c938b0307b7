"""A worker group SIGKILLed mid-run: the run is continued on the next worker by the sweeper, as beat runs it,
and ends with everything sent once — in seconds, not the broker's visibility timeout."""

import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter

import pytest
from django.conf import settings

from connector.models import Kind, SyncRun
from sync.tasks import sweep_task, sync_kind_task
from tests.sandboxes import faults
from tests.sync.objects.test_commitments import financial_prerequisites, purchase_orders, set_settings
from tests.workers import FORWARDED, ROOT, database_url_for_subprocess, wait_for

LOCK_TTL_S = 3  # the worker's run locks: a killed one is free 3 s later


def start_worker(queue: str):
    """A prefork worker in a process group of its own, so the whole group can be killed at once."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "settings.test", "DATABASE_URL": database_url_for_subprocess(),
           "RUN_LOCK_TTL_S": str(LOCK_TTL_S), **{name: str(getattr(settings, name)) for name in FORWARDED}}
    log = open(ROOT / "var" / f"{queue}.log", "a")
    return subprocess.Popen([sys.executable, "-m", "celery", "-A", "settings.celery_app", "worker",
                             "--loglevel=INFO", "--concurrency=2", "--pool=prefork", "-Q", queue,
                             f"--hostname={queue}-{uuid.uuid4().hex[:4]}@%h", "--without-mingle", "--without-gossip"],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


@pytest.fixture
def queue(transactional_db):
    from settings.celery_app import app

    name, default = f"e2e-{uuid.uuid4().hex[:10]}", app.conf.task_default_queue
    app.conf.task_always_eager, app.conf.task_default_queue = False, name
    yield name
    app.conf.task_always_eager, app.conf.task_default_queue = True, default
    (ROOT / "var" / f"{name}.log").unlink(missing_ok=True)


@pytest.mark.e2e
def test_a_run_cut_off_by_a_killed_worker_group_is_continued_and_sends_everything_once(
        connection, procore_sandbox, xero_sandbox, queue, capsys):
    financial_prerequisites(connection, procore_sandbox)
    set_settings(connection, approve_commitments=False, po_status="AUTHORISED")
    faults(procore_sandbox, latency_ms=400)  # a run long enough to be cut in the middle
    workers = [start_worker(queue)]
    try:
        sync_kind_task.apply_async((connection.pk, Kind.COMMITMENT, "schedule"), queue=queue)
        runs = SyncRun.objects.filter(connection=connection, kind=Kind.COMMITMENT)
        assert wait_for(lambda: runs.filter(status=SyncRun.Status.RUNNING).exists(), timeout=120)
        os.killpg(workers[0].pid, signal.SIGKILL)  # the whole worker group, mid-run
        workers[0].wait()
        killed = time.monotonic()
        assert runs.get().status == SyncRun.Status.RUNNING  # stranded
        faults(procore_sandbox, latency_ms=0)
        workers.append(start_worker(queue))

        def swept():  # beat's "Stranded runs" tick, until the run is taken up
            sweep_task.apply_async(queue=queue).get(timeout=60)
            return runs.get().tasks > 1

        assert wait_for(swept, timeout=120)
        assert wait_for(lambda: runs.get().status != SyncRun.Status.RUNNING, timeout=180)
        resumed_in = time.monotonic() - killed
    finally:
        for worker in workers:
            if worker.poll() is None:
                os.killpg(worker.pid, signal.SIGKILL)  # the test is over: nothing of its work is left
                worker.wait()

    run = runs.get()  # one run, in two tasks
    assert run.status == SyncRun.Status.SUCCEEDED and run.tasks == 2, run.message
    numbers = Counter(po["PurchaseOrderNumber"] for po in purchase_orders(xero_sandbox, connection))
    assert sorted(numbers) == ["PO-0002", "SC-0001", "SC-0008"] and set(numbers.values()) == {1}
    with capsys.disabled():
        print(f"\nworker group SIGKILLed mid-run: the run went on and ended {resumed_in:.1f} s later "
              f"(run lock {LOCK_TTL_S} s; the sweeper every tick)")
