"""A real `celery worker` process bound to the test database, on its own queue (fixture for any test)."""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[1]
FORWARDED = ("PROCORE_LOGIN_URL", "PROCORE_API_URL", "XERO_LOGIN_URL", "XERO_IDENTITY_URL", "XERO_API_URL",
             "SITE_URL", "RATE_BUDGETS_ENABLED", "RATE_CLOCK_SPEED", "RATE_BUDGET_SQLITE_PATH")


def database_url_for_subprocess() -> str:
    """The URL of the database this test runs on (pytest-django's test database)."""
    cfg = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{cfg['NAME']}"
    auth = cfg["USER"] + (f":{cfg['PASSWORD']}" if cfg.get("PASSWORD") else "")
    return f"postgres://{auth}@{cfg['HOST'] or '127.0.0.1'}:{cfg['PORT'] or 5432}/{cfg['NAME']}"


@pytest.fixture
def celery_worker_process(transactional_db, request):
    """Start `celery worker` on a fresh queue that this test's tasks are routed to; yields (queue, process).

    The worker gets this test's database, the endpoints currently in settings (the test sandboxes
    when `sandbox_settings` is requested first) and its rate budgets. Two processes, or
    `@pytest.mark.parametrize("celery_worker_process", [3], indirect=True)` for another number.
    """
    concurrency = getattr(request, "param", 2)
    from settings.celery_app import app

    queue = f"e2e-{uuid.uuid4().hex[:10]}"
    default_queue = app.conf.task_default_queue
    app.conf.task_always_eager = False
    app.conf.task_default_queue = queue
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "settings.test", "DATABASE_URL": database_url_for_subprocess(),
           **{name: str(getattr(settings, name)) for name in FORWARDED}}
    log = open(ROOT / "var" / f"{queue}.log", "w")
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "settings.celery_app", "worker", "--loglevel=INFO",
         f"--concurrency={concurrency}", "--pool=prefork", "-Q", queue, f"--hostname={queue}@%h", "--without-mingle",
         "--without-gossip"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        yield queue, process
    finally:
        app.conf.task_always_eager = True
        app.conf.task_default_queue = default_queue
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
        (ROOT / "var" / f"{queue}.log").unlink(missing_ok=True)


def wait_for(condition, timeout: float = 120) -> bool:
    """Poll until the worker has done something (a condition, never a timing assert)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.25)
    return False


def scope_to_end(result, timeout: float = 300) -> dict:
    """A scope task and the tasks it queued to go on (`then`: its next kind, or a paused run's continuation),
    to the end: kind → status."""
    statuses = {}
    while result is not None:
        answer = result.get(timeout=timeout)
        statuses.update({k: v for k, v in answer.items() if k not in ("next", "then", "paused")})
        result = result.app.AsyncResult(answer["then"]) if answer.get("then") else None
    return statuses
