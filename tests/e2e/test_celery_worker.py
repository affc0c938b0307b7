"""The plumbing: a task goes through the real broker to a real worker process and lands in the DB."""

import pytest

from connector.models import WorkerHeartbeat
from connector.tasks import heartbeat_task


@pytest.mark.e2e
def test_task_sent_through_the_broker_runs_on_a_worker_and_is_recorded(celery_worker_process):
    queue, process = celery_worker_process

    result = heartbeat_task.apply_async(kwargs={"source": "worker"}, queue=queue)
    seen_at = result.get(timeout=90)

    assert process.poll() is None, "the worker died"
    beat = WorkerHeartbeat.objects.get(source="worker")
    assert beat.hostname and beat.seen_at.isoformat() == seen_at
