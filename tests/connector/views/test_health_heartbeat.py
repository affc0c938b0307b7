"""/health/ keeps saying the worker is up while it runs: the every-minute heartbeat task refreshes its entry."""

from datetime import timedelta

import pytest
from django.utils import timezone

from connector.models import WorkerHeartbeat
from connector.services.heartbeat import heartbeat_record
from connector.tasks import heartbeat_task

pytestmark = pytest.mark.django_db


def test_a_worker_seen_only_at_start_up_goes_stale_and_the_scheduled_heartbeat_refreshes_it(client):
    heartbeat_record(source="worker", hostname="w1")
    WorkerHeartbeat.objects.update(seen_at=timezone.now() - timedelta(minutes=10))  # started long ago
    assert client.get("/health/").json()["worker"] is False

    heartbeat_task.apply(kwargs={"source": "beat"})  # what beat sends every minute, run by the worker
    answer = client.get("/health/").json()
    assert answer["worker"] is True and answer["beat"] is True
