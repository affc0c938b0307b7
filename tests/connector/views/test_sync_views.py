"""'Sync now' and 'Preview' on the connection page, for the roles that may use them."""

import pytest
import requests

from connector.models import Kind, SyncRun
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_preview_runs_in_the_worker_shows_a_dry_run_and_writes_nothing(connection, client, xero_sandbox,
                                                                      django_capture_on_commit_callbacks):
    client.force_login(UserFactory(role="Accountant"))
    with django_capture_on_commit_callbacks(execute=True):  # the queued task runs (eagerly in tests)
        response = client.post(f"/admin/connector/connection/{connection.pk}/preview/cost_code/", follow=True)
    assert "preview queued" in response.content.decode()
    run = SyncRun.objects.get(kind=Kind.COST_CODE)
    assert run.dry_run
    page = client.get(f"/admin/connector/syncrun/{run.pk}/change/").content.decode()
    assert "Would be created in Xero (preview)." in page
    items = requests.get(f"{xero_sandbox.url}/_sandbox/data/Items", timeout=5).json()
    assert not [i for i in items if i["_tenant"] == connection.xero_tenant_id]


def test_sync_now_runs_the_kind(connection, client, django_capture_on_commit_callbacks):
    client.force_login(UserFactory(role="Accountant"))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/admin/connector/connection/{connection.pk}/sync/cost_code/")
    assert response.status_code == 302
    run = SyncRun.objects.get(kind=Kind.COST_CODE)
    assert (run.trigger, run.dry_run) == (SyncRun.Trigger.MANUAL, False) and run.created > 0


def test_a_viewer_cannot_start_syncs(connection, client):
    client.force_login(UserFactory(role="Viewer"))
    assert client.post(f"/admin/connector/connection/{connection.pk}/sync/cost_code/").status_code == 403
    assert client.post(f"/admin/connector/connection/{connection.pk}/preview/cost_code/").status_code == 403
    assert not SyncRun.objects.exists()


def test_older_projects_are_sent_to_the_queue_from_the_connection_page(connection, client):
    from connector.models import Link

    client.force_login(UserFactory(role="Accountant"))
    page = client.get(f"/admin/connector/connection/{connection.pk}/older-projects/").content.decode()
    assert "Denver Bridge Repair 001" in page
    client.post(f"/admin/connector/connection/{connection.pk}/older-projects/", {"project_id": ["2800000"]})
    assert Link.objects.get(kind=Kind.PROJECT, procore_id="2800000").state == Link.State.AWAITING_APPROVAL
    client.force_login(UserFactory(role="Viewer"))
    assert client.get(f"/admin/connector/connection/{connection.pk}/older-projects/").status_code == 403
