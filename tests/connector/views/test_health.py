"""/health/ asks the database (and Redis and the broker, when configured) instead of answering a constant."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from connector.services.heartbeat import heartbeat_record

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[3]
NOBODY = "redis://127.0.0.1:9/0"  # the discard port: nothing answers there


def test_health_reports_the_database_and_the_heartbeats(client):
    heartbeat_record(source="worker", hostname="w1")
    response = client.get("/health/")
    assert response.status_code == 200
    answer = response.json()
    assert answer["database"] is True and answer["worker"] is True and answer["beat"] is False


def test_on_the_embedded_defaults_only_the_database_is_a_service(client, settings):
    settings.REDIS_URL, settings.CELERY_BROKER_URL = "", "filesystem://"
    assert set(client.get("/health/").json()) == {"database", "worker", "beat"}


@pytest.mark.redis
def test_configured_redis_and_broker_are_asked(client):
    answer = client.get("/health/").json()
    assert answer["redis"] is True and answer["broker"] is True


def test_an_unreachable_redis_is_reported_and_fails_the_check(client, settings):
    settings.REDIS_URL = NOBODY
    response = client.get("/health/")
    assert response.status_code == 503 and response.json()["redis"] is False


def test_an_unreachable_broker_is_reported_and_fails_the_check(client, settings):
    settings.CELERY_BROKER_URL = NOBODY
    response = client.get("/health/")
    assert response.status_code == 503 and response.json()["broker"] is False


PROBE = """
import json, django
django.setup()
from django.test import Client
response = Client().get("/health/")
print(json.dumps({"status": response.status_code, **response.json()}))
"""


def test_a_database_that_does_not_answer_is_reported(tmp_path):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "settings.test", "ALLOWED_HOSTS": "testserver",
           "DATABASE_URL": "postgres://nobody@127.0.0.1:9/none", "REDIS_URL": "",
           "CELERY_BROKER_URL": "filesystem://", "VAR_DIR": str(tmp_path)}
    result = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    assert answer == {"status": 503, "database": False, "worker": False, "beat": False}
