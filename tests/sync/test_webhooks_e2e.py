"""A Procore webhook delivered by the sandbox reaches our endpoint and syncs that one record."""

import pytest
import requests

from connector.clients import procore_client_for
from connector.management.commands.connect_sandbox import connect
from connector.models import Kind, Link, SyncRun, WebhookEvent
from sandbox.datasets import PROCORE_COMPANIES, XERO_ORGANISATIONS


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_a_new_project_arrives_by_webhook_and_enters_the_queue(sandbox_settings, live_server, procore_sandbox):
    sandbox_settings.SITE_URL = live_server.url
    requests.post(f"{procore_sandbox.url}/_sandbox/settings", json={"webhook_autodeliver": False}, timeout=5)
    connection = connect(company_id=PROCORE_COMPANIES[0]["id"], tenant_id=XERO_ORGANISATIONS[0]["tenantId"])
    connection.refresh_from_db()
    assert connection.procore_hook_id, "activation registers the Procore hook"

    project = procore_client_for(connection).create_project({"name": "Omaha Warehouse", "project_number": "26-301"})
    flushed = requests.post(f"{procore_sandbox.url}/_sandbox/webhooks/flush", json={"force": True}, timeout=30)
    assert flushed.ok

    event = WebhookEvent.objects.get(connection=connection, resource_name="Projects", resource_id=str(project["id"]))
    assert event.state == WebhookEvent.State.PROCESSED
    run = SyncRun.objects.get(connection=connection, kind=Kind.PROJECT, trigger=SyncRun.Trigger.WEBHOOK)
    link = Link.objects.get(connection=connection, kind=Kind.PROJECT, procore_id=str(project["id"]))
    assert link.state == Link.State.AWAITING_APPROVAL
    assert str(run.pk) in event.message
