"""Redis restarted (without persistence) while a run works: the worker reconnects, the run keeps its lock
(taken back at the next renewal), the rate budget is re-seeded from the platforms' headers, and the run ends
with everything sent once."""

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
from sync.tasks import sync_kind_task
from tests.sandboxes import faults
from tests.sync.objects.test_commitments import financial_prerequisites, purchase_orders, set_settings
from tests.workers import FORWARDED, ROOT, database_url_for_subprocess, wait_for

PORT = 8201  # a Redis of this test's own, never the machine's


def redis_server():
    return subprocess.Popen(["redis-server", "--port", str(PORT), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)


def redis_up() -> bool:
    import redis

    try:
        return redis.Redis(port=PORT).ping()
    except redis.exceptions.ConnectionError:
        return False


@pytest.fixture
def own_redis():
    server = redis_server()
    assert wait_for(redis_up, timeout=30)
    box = {"server": server}
    yield box
    box["server"].kill()
    box["server"].wait()


@pytest.mark.e2e
def test_a_redis_restart_mid_run_loses_nothing_and_sends_nothing_twice(connection, procore_sandbox, xero_sandbox,
                                                                       transactional_db, own_redis, capsys):
    from settings.celery_app import app

    financial_prerequisites(connection, procore_sandbox)
    set_settings(connection, approve_commitments=False, po_status="AUTHORISED")
    faults(procore_sandbox, latency_ms=300)
    queue = f"e2e-{uuid.uuid4().hex[:10]}"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "settings.test", "DATABASE_URL": database_url_for_subprocess(),
           **{name: str(getattr(settings, name)) for name in FORWARDED},
           "REDIS_URL": f"redis://127.0.0.1:{PORT}/0", "CELERY_BROKER_URL": f"redis://127.0.0.1:{PORT}/1",
           "CELERY_RESULT_BACKEND": "django-db", "RUN_LOCK_TTL_S": "3"}
    log = open(ROOT / "var" / f"{queue}.log", "w")
    worker = subprocess.Popen([sys.executable, "-m", "celery", "-A", "settings.celery_app", "worker",
                               "--loglevel=INFO", "--concurrency=2", "--pool=prefork", "-Q", queue,
                               f"--hostname={queue}@%h", "--without-mingle", "--without-gossip"],
                              cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    app.conf.task_always_eager = False
    try:
        with app.connection_for_write(env["CELERY_BROKER_URL"]) as broker:
            sync_kind_task.apply_async((connection.pk, Kind.COMMITMENT, "schedule"), queue=queue,
                                       connection=broker)
        runs = SyncRun.objects.filter(connection=connection, kind=Kind.COMMITMENT)
        assert wait_for(lambda: runs.filter(status=SyncRun.Status.RUNNING, total__gt=0).exists(), timeout=120)
        own_redis["server"].kill()  # Redis goes away mid-run, and comes back empty
        own_redis["server"].wait()
        restarted = time.monotonic()
        own_redis["server"] = redis_server()
        assert wait_for(redis_up, timeout=30)
        assert wait_for(lambda: runs.get().status != SyncRun.Status.RUNNING, timeout=240)
        ended_in = time.monotonic() - restarted
    finally:
        app.conf.task_always_eager = True
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()
        log.close()
        (ROOT / "var" / f"{queue}.log").unlink(missing_ok=True)

    run = runs.get()
    numbers = Counter(po["PurchaseOrderNumber"] for po in purchase_orders(xero_sandbox, connection))
    assert sorted(numbers) == ["PO-0002", "SC-0001", "SC-0008"] and set(numbers.values()) == {1}, run.message
    assert run.status == SyncRun.Status.SUCCEEDED, run.message
    with capsys.disabled():
        print(f"\nRedis restarted mid-run: the run ended {ended_in:.1f} s later, every PO sent once")
