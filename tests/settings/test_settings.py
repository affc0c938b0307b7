"""Embedded defaults and the production guard, checked in fresh processes with a clean environment."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import json, django
from django.conf import settings
django.setup()
print(json.dumps({
    "db_engine": settings.DATABASES["default"]["ENGINE"],
    "db_name": str(settings.DATABASES["default"]["NAME"]),
    "broker": settings.CELERY_BROKER_URL,
    "cache": settings.CACHES["default"]["BACKEND"],
    "secret_key": settings.SECRET_KEY,
    "fernet": settings.FIELD_ENCRYPTION_KEYS,
    "procore_api": settings.PROCORE_API_URL,
    "xero_api": settings.XERO_API_URL,
    "debug": settings.DEBUG,
}))
"""

SERVICE_VARS = ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND", "SECRET_KEY",
                "FIELD_ENCRYPTION_KEY", "DEBUG", "ALLOWED_HOSTS", "VAR_DIR", "DJANGO_SETTINGS_MODULE")


def run_settings(tmp_path, module="settings.local", **extra):
    env = {k: v for k, v in os.environ.items() if k not in SERVICE_VARS}
    env.update({"DJANGO_SETTINGS_MODULE": module, "VAR_DIR": str(tmp_path / "var"), **extra})
    return subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True)


def test_fresh_clone_runs_on_embedded_defaults(tmp_path):
    result = run_settings(tmp_path)
    assert result.returncode == 0, result.stderr
    cfg = json.loads(result.stdout)
    assert cfg["db_engine"] == "django.db.backends.sqlite3"
    assert cfg["db_name"] == str(tmp_path / "var" / "db.sqlite3")
    assert cfg["broker"] == "filesystem://"
    assert cfg["cache"].endswith("FileBasedCache")
    assert cfg["procore_api"] == "http://127.0.0.1:8101"
    assert cfg["xero_api"] == "http://127.0.0.1:8102"
    assert cfg["debug"] is True


def test_development_secrets_are_generated_once_and_kept(tmp_path):
    first = json.loads(run_settings(tmp_path).stdout)
    second = json.loads(run_settings(tmp_path).stdout)
    assert len(first["secret_key"]) >= 50
    assert first["secret_key"] == second["secret_key"]
    assert first["fernet"] == second["fernet"]
    assert oct((tmp_path / "var" / "secret_key").stat().st_mode & 0o777) == "0o600"


def test_services_are_taken_from_the_environment(tmp_path):
    result = run_settings(
        tmp_path,
        DATABASE_URL="postgres://u@127.0.0.1:5432/x",
        REDIS_URL="redis://127.0.0.1:6379/2",
        CELERY_BROKER_URL="redis://127.0.0.1:6379/0",
    )
    assert result.returncode == 0, result.stderr
    cfg = json.loads(result.stdout)
    assert cfg["db_engine"] == "django.db.backends.postgresql"
    assert cfg["broker"] == "redis://127.0.0.1:6379/0"
    assert cfg["cache"].endswith("RedisCache")
