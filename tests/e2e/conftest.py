"""A real `celery worker` process bound to the test database, on its own queue."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def database_url_for_subprocess() -> str:
    """The URL of the database this test runs on (pytest-django's test database)."""
    cfg = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{cfg['NAME']}"
    auth = cfg["USER"] + (f":{cfg['PASSWORD']}" if cfg.get("PASSWORD") else "")
    return f"postgres://{auth}@{cfg['HOST'] or '127.0.0.1'}:{cfg['PORT'] or 5432}/{cfg['NAME']}"


@pytest.fixture
def celery_worker_process(transactional_db):
    """Start `celery worker` on a fresh queue; yields (queue, process); stops it afterwards."""
    from settings.celery_app import app

    app.conf.task_always_eager = False
    queue = f"e2e-{uuid.uuid4().hex[:10]}"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "settings.test", "DATABASE_URL": database_url_for_subprocess()}
    log = open(ROOT / "var" / f"{queue}.log", "w")
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "settings.celery_app", "worker", "--loglevel=INFO",
         "--concurrency=1", "--pool=prefork", "-Q", queue, f"--hostname={queue}@%h", "--without-mingle",
         "--without-gossip"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        yield queue, process
    finally:
        app.conf.task_always_eager = True
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
