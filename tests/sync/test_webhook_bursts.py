"""A burst of webhooks is never dropped: events that come while their kind runs are judged right after it,
in one run, and each is marked processed only once that run has judged its record."""

import json
import uuid

import pytest

from connector.clients import procore_client_for
from connector.models import Kind, Link, SyncRun, WebhookEvent
from connector.services.webhooks import procore_delivery_receive
from procore_client.client import ProcoreClient
from sync.services import sync_kind_run

N = 5


def deliver(connection, project_id):
    body = json.dumps({"ulid": uuid.uuid4().hex, "resource_name": "Projects", "resource_id": project_id,
                       "event_type": "create"}).encode()
    return procore_delivery_receive(connection_id=connection.pk, authorization=f"Bearer {connection.webhook_secret}",
                                    body=body)


@pytest.mark.django_db
def test_a_burst_of_project_webhooks_while_projects_sync_yields_every_project_judged(
        connection, procore_sandbox, xero_sandbox, monkeypatch, django_capture_on_commit_callbacks):
    connection.webhook_secret = "s" * 40
    connection.save(update_fields=["webhook_secret"])
    sync_kind_run(connection_id=connection.pk, kind=Kind.PROJECT)  # the projects known so far
    created, real_projects = [], ProcoreClient.projects

    def projects_then_a_burst(client, *args, **kwargs):
        listed = real_projects(client, *args, **kwargs)
        if not created:  # N projects are created in Procore within a second, while this run reads the list
            procore = procore_client_for(connection)
            for n in range(N):
                project = procore.create_project({"name": f"Burst {n}", "project_number": f"B-{n}"})
                created.append(str(project["id"]))
                with django_capture_on_commit_callbacks(execute=True):  # its task runs now: the kind is busy
                    deliver(connection, project["id"])
            waiting = WebhookEvent.objects.filter(connection=connection, state=WebhookEvent.State.QUEUED)
            assert waiting.count() == N and all("Waiting" in e.message for e in waiting)
        return listed

    monkeypatch.setattr(ProcoreClient, "projects", projects_then_a_burst)
    runs_before = SyncRun.objects.filter(connection=connection, kind=Kind.PROJECT).count()
    sync_kind_run(connection_id=connection.pk, kind=Kind.PROJECT, trigger=SyncRun.Trigger.SCHEDULE)

    events = WebhookEvent.objects.filter(connection=connection)
    assert events.count() == N and set(events.values_list("state", flat=True)) == {WebhookEvent.State.PROCESSED}
    judged = Link.objects.filter(connection=connection, kind=Kind.PROJECT, procore_id__in=created)
    assert sorted(judged.values_list("procore_id", flat=True)) == sorted(created)
    assert set(judged.values_list("state", flat=True)) == {Link.State.AWAITING_APPROVAL}
    # The scheduled run, then one run for the whole burst.
    assert SyncRun.objects.filter(connection=connection, kind=Kind.PROJECT).count() == runs_before + 2
    follow_up = SyncRun.objects.filter(connection=connection, kind=Kind.PROJECT).order_by("-pk").first()
    assert follow_up.trigger == SyncRun.Trigger.WEBHOOK and all(f"#{follow_up.pk}" in e.message for e in events)


@pytest.mark.django_db
def test_a_single_webhook_runs_for_its_record_and_is_processed(connection, procore_sandbox, xero_sandbox,
                                                                django_capture_on_commit_callbacks):
    connection.webhook_secret = "s" * 40
    connection.save(update_fields=["webhook_secret"])
    project = procore_client_for(connection).create_project({"name": "Alone", "project_number": "A-1"})
    with django_capture_on_commit_callbacks(execute=True):
        event = deliver(connection, project["id"])
    event.refresh_from_db()
    assert event.state == WebhookEvent.State.PROCESSED
    assert Link.objects.filter(connection=connection, kind=Kind.PROJECT, procore_id=str(project["id"])).exists()
