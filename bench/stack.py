"""The processes a benchmark or chaos run needs: the sandboxes, a real Celery worker, optionally the web
app (webhook deliveries), each a subprocess on the project's own settings and a throwaway VAR_DIR."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def bench_env(workdir: Path, procore_port: int, xero_port: int, web_port: int) -> dict:
    """The environment every process of one run shares (the driver applies it to itself too)."""
    return {
        "DJANGO_SETTINGS_MODULE": "settings.local",
        "DEBUG": "false",  # DEBUG keeps every SQL query in memory: it would inflate the worker's peak
        "VAR_DIR": str(workdir),
        # A database of its own: BENCH_DATABASE_URL (e.g. an empty PostgreSQL database) or a throwaway SQLite
        # file; never DATABASE_URL, whose connections would clash with the run's ("one organisation per company").
        "DATABASE_URL": os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{workdir / 'db.sqlite3'}",
        "RATE_BUDGETS_ENABLED": "false",  # count calls, do not wait (projected minutes come from the counts)
        "PROCORE_SANDBOX_PORT": str(procore_port), "XERO_SANDBOX_PORT": str(xero_port),
        "SITE_URL": f"http://127.0.0.1:{web_port}",
        # A private broker folder and cache under VAR_DIR: no other worker takes our tasks, and run locks
        # (keyed by connection id) never meet another database's connections in a shared Redis.
        "CELERY_BROKER_URL": "filesystem://", "REDIS_URL": "", "CELERY_RESULT_BACKEND": "django-db",
        "LOG_LEVEL": "WARNING",
        # Run locks renewed every 2 s: a SIGKILLed worker's lock is gone 6 s later, not two minutes.
        "RUN_LOCK_TTL_S": "6",
    }


def wait_http(url: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=2).status_code < 500:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout}s")


class Proc:
    """One subprocess with its log in the workdir."""

    def __init__(self, name: str, args: list[str], env: dict, workdir: Path) -> None:
        self.name, self.args, self.env, self.workdir = name, args, {**os.environ, **env}, workdir
        self.process: subprocess.Popen | None = None

    def start(self) -> "Proc":
        log = open(self.workdir / f"{self.name}.log", "a")
        self.process = subprocess.Popen(self.args, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        return self

    def peak_rss_mb(self) -> float:
        """VmHWM: the process's peak resident memory (with --pool=solo the worker's own)."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return 0.0

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.kill()


def sandboxes(env: dict, workdir: Path, size: str, seed: int) -> Proc:
    proc = Proc("sandbox", [sys.executable, "manage.py", "sandbox", "--size", size, "--seed", str(seed),
                            "--procore-port", env["PROCORE_SANDBOX_PORT"], "--xero-port", env["XERO_SANDBOX_PORT"]],
                env, workdir).start()
    for port in (env["PROCORE_SANDBOX_PORT"], env["XERO_SANDBOX_PORT"]):
        wait_http(f"http://127.0.0.1:{port}/_sandbox/stats", timeout=600)  # medium takes a while to seed
    return proc


def worker(env: dict, workdir: Path) -> Proc:
    """`BENCH_PROFILE=<file>`: the worker runs under cProfile and writes its stats there when stopped."""
    profile = ["-m", "cProfile", "-o", os.environ["BENCH_PROFILE"]] if os.environ.get("BENCH_PROFILE") else []
    return Proc("worker", [sys.executable, *profile, "-m", "celery", "-A", "settings.celery_app", "worker", "--pool=solo",
                           "--loglevel=WARNING", f"--hostname=bench-{uuid.uuid4().hex[:8]}@%h", "--without-mingle",
                           "--without-gossip", "--without-heartbeat"], env, workdir).start()


def web(env: dict, workdir: Path) -> Proc:
    """The web app, so the Procore sandbox can deliver webhooks to SITE_URL."""
    port = env["SITE_URL"].rsplit(":", 1)[1]
    proc = Proc("web", [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
                env, workdir).start()
    wait_http(f"{env['SITE_URL']}/health/")
    return proc
