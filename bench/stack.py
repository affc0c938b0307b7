"""The processes a benchmark or chaos run needs: the sandboxes, a real Celery worker, optionally the web
app (webhook deliveries), each a subprocess on the project's own settings and a throwaway VAR_DIR.

The chaos suite's production profile adds a PostgreSQL database and a Redis server of the run's own, two
prefork workers and beat (`production_env`, `production_processes`)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]


_handed_out: set[int] = set()


def free_port(span: str | None = None) -> int:
    """A free local port; with `span` ("8610-8699", e.g. BENCH_PORTS) the first free one in it not handed out
    yet (a shared machine where each user keeps to a range)."""
    if not span:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            return s.getsockname()[1]
    low, high = (int(n) for n in span.split("-"))
    for port in range(low, high + 1):
        if port in _handed_out:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        _handed_out.add(port)
        return port
    raise RuntimeError(f"no free port in {span}")


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

    def __init__(self, name: str, args: list[str], env: dict, workdir: Path, group: bool = False) -> None:
        self.name, self.args, self.env, self.workdir = name, args, {**os.environ, **env}, workdir
        self.group = group  # a process group of its own: a prefork worker's children die with it
        self.process: subprocess.Popen | None = None

    def start(self) -> "Proc":
        log = open(self.workdir / f"{self.name}.log", "a")
        self.process = subprocess.Popen(self.args, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                        start_new_session=self.group)
        log.close()
        return self

    def log(self) -> str:
        path = self.workdir / f"{self.name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def kill_group(self) -> None:
        """SIGKILL the whole group at once (the main process and its pool), as an OOM killer or a lost host."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

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
        if self.group:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)  # pool children a warm shutdown left behind
            except ProcessLookupError:
                pass


def sandboxes(env: dict, workdir: Path, size: str, seed: int, tenants: int = 1) -> Proc:
    proc = Proc("sandbox", [sys.executable, "manage.py", "sandbox", "--size", size, "--seed", str(seed),
                            "--tenants", str(tenants),
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


# -- the chaos suite's production profile ------------------------------------------------------------------
CLOCK_SPEED = 20  # the sandboxes' rate-limit windows and the connector's budgets, both 20 times shorter
WORKERS = 2
PG_ADMIN_URL = os.environ.get("CHAOS_PG_URL", "postgres://postgres@127.0.0.1:5432/postgres")


def production_env(workdir: Path, procore_port: int, xero_port: int, web_port: int, database_url: str,
                   redis_port: int) -> dict:
    """bench_env on PostgreSQL and one Redis server (broker, results, cache, locks and pacing, one database
    number each), with the rate budgets on, as a deployment runs."""
    redis = f"redis://127.0.0.1:{redis_port}"
    return {**bench_env(workdir, procore_port, xero_port, web_port),
            "DATABASE_URL": database_url, "REDIS_URL": f"{redis}/0", "CELERY_BROKER_URL": f"{redis}/1",
            "CELERY_RESULT_BACKEND": f"{redis}/2", "RATE_BUDGETS_ENABLED": "true",
            "RATE_CLOCK_SPEED": str(CLOCK_SPEED), "SWEEP_LATE_S": "30"}


def production_processes(env: dict) -> dict[str, list[str]]:
    """name → command of the long-running processes besides the sandboxes and Redis (as the Procfile runs
    them): the web app, WORKERS prefork workers of two processes each, beat."""
    celery = [sys.executable, "-m", "celery", "-A", "settings.celery_app"]
    port = env["SITE_URL"].rsplit(":", 1)[1]
    out = {"web": [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"]}
    for n in range(1, WORKERS + 1):
        out[f"worker-{n}"] = [*celery, "worker", "--pool=prefork", "--concurrency=2", "--loglevel=WARNING",
                              f"--hostname=chaos-{n}-{uuid.uuid4().hex[:6]}@%h", "--without-mingle",
                              "--without-gossip"]
    out["beat"] = [*celery, "beat", "--loglevel=WARNING"]
    return out


def redis_server(port: int, workdir: Path) -> Proc:
    """A Redis of the run's own, without persistence: a restart comes back empty."""
    import redis

    proc = Proc("redis", ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                          "--appendonly", "no"], {}, workdir, group=True).start()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if redis.Redis(port=port).ping():
                return proc
        except redis.exceptions.ConnectionError:
            time.sleep(0.1)
    raise RuntimeError(f"redis-server on {port} did not answer")


class Database:
    """A PostgreSQL database created for one run and dropped after it."""

    def __init__(self, name: str, admin_url: str = PG_ADMIN_URL) -> None:
        self.name, self.admin_url = name, admin_url
        self.url = f"{admin_url.rsplit('/', 1)[0]}/{name}"

    def _execute(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(sql)

    def create(self) -> "Database":
        self._execute(f'CREATE DATABASE "{self.name}"')  # one that exists is somebody's: fail, never drop it
        return self

    def drop(self) -> None:
        self._execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


@contextmanager
def limited_deployment(workdir: Path, database_name: str, extra_env: dict, keep: bool = False) -> Iterator[dict]:
    """A database and a Redis of the run's own and the production environment (ports in BENCH_PORTS /
    BENCH_REDIS_PORTS), applied to this driver too; all of it dropped after (the workdir unless `keep`)."""
    span = os.environ.get("BENCH_PORTS")
    ports = [free_port(span) for _ in range(3)]
    database = Database(database_name).create()
    redis_port = free_port(os.environ.get("BENCH_REDIS_PORTS"))
    env = {**production_env(workdir, *ports, database.url, redis_port), **extra_env}
    redis = redis_server(redis_port, workdir)
    os.environ.update(env)  # this process is the driver: Django reads these at set-up
    try:
        yield env
    finally:
        from django.db import connections

        connections.close_all()
        database.drop()
        redis.stop()
        if not keep:
            shutil.rmtree(workdir, ignore_errors=True)
