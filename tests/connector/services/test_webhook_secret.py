"""Rotating a connection's Procore webhook secret: Procore's hook sends the new one, the old one is refused,
and only a company admin may do it (the button on the connection page)."""

import json

import pytest
import requests
from django.urls import reverse

from connector.clients import procore_client_for
from connector.models import Connection, WebhookEvent
from connector.services.webhooks import procore_hook_register
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def delivery(secret: str, event_id: str = "01HROTATE"):
    body = json.dumps({"id": 1, "ulid": event_id, "company_id": 1, "api_version": "v2.0", "event_type": "update",
                       "resource_name": "Projects", "resource_id": 77, "timestamp": "2026-11-21T10:00:00Z"})
    return {"data": body, "content_type": "application/json", "HTTP_AUTHORIZATION": f"Bearer {secret}"}


def hook_in_procore(connection) -> dict:
    """The hook as Procore's API shows it (the header masked to its last five characters)."""
    hooks = procore_client_for(connection).get("/rest/v1.0/webhooks/hooks",
                                                params={"company_id": connection.procore_company_id})
    assert len(hooks) == 1
    return hooks[0]


def test_a_company_admin_rotates_the_secret_from_the_connection_page(client, connection, procore_sandbox):
    procore_hook_register(connection=connection)
    old = Connection.objects.get(pk=connection.pk).webhook_secret
    client.force_login(UserFactory(role="Company admin"))
    page = client.get(f"/admin/connector/connection/{connection.pk}/change/").content.decode()
    assert "Rotate webhook secret" in page

    response = client.post(f"/admin/connector/connection/{connection.pk}/rotate-webhook-secret/", follow=True)

    assert "New webhook secret set" in response.content.decode()
    new = Connection.objects.get(pk=connection.pk).webhook_secret
    assert new and new != old
    hook = hook_in_procore(connection)
    assert hook["id"] == connection.procore_hook_id, "the same hook, re-registered"
    assert hook["destination_headers"]["Authorization"].endswith(new[-5:])
    stored = procore_sandbox.state.table("webhook_hooks")[hook["id"]]["destination_headers"]
    assert stored == {"Authorization": f"Bearer {new}"}

    url = reverse("procore_webhook", args=[connection.pk])
    assert client.post(url, **delivery(old)).status_code == 401
    assert client.post(url, **delivery(new)).status_code == 200
    assert WebhookEvent.objects.filter(connection=connection).count() == 1


def test_when_procore_cannot_be_reached_nothing_changes(client, connection, settings):
    procore_hook_register(connection=connection)
    old = Connection.objects.get(pk=connection.pk).webhook_secret
    settings.PROCORE_API_URL = "http://127.0.0.1:9"  # nothing listens there
    client.force_login(UserFactory(role="Company admin"))
    response = client.post(f"/admin/connector/connection/{connection.pk}/rotate-webhook-secret/", follow=True)
    assert "nothing was changed" in response.content.decode()
    assert Connection.objects.get(pk=connection.pk).webhook_secret == old


@pytest.mark.parametrize("role", ["Accountant", "Viewer"])
def test_other_roles_cannot_rotate(client, connection, role):
    old = connection.webhook_secret
    client.force_login(UserFactory(role=role))
    page = client.get(f"/admin/connector/connection/{connection.pk}/change/").content.decode()
    assert "Rotate webhook secret" not in page
    assert client.post(f"/admin/connector/connection/{connection.pk}/rotate-webhook-secret/").status_code == 403
    assert Connection.objects.get(pk=connection.pk).webhook_secret == old


def test_rotating_is_a_post(client, connection):
    client.force_login(UserFactory(role="Company admin"))
    assert client.get(f"/admin/connector/connection/{connection.pk}/rotate-webhook-secret/").status_code == 405


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_procore_delivers_with_the_rotated_secret(sandbox_settings, live_server, procore_sandbox):
    """End to end: after rotating, the sandbox's next delivery carries the new secret and is processed."""
    from connector.management.commands.connect_sandbox import connect
    from connector.services.connections import connection_rotate_webhook_secret
    from sandbox.datasets import PROCORE_COMPANIES, XERO_ORGANISATIONS

    sandbox_settings.SITE_URL = live_server.url
    requests.post(f"{procore_sandbox.url}/_sandbox/settings", json={"webhook_autodeliver": False}, timeout=5)
    connection = connect(company_id=PROCORE_COMPANIES[0]["id"], tenant_id=XERO_ORGANISATIONS[0]["tenantId"])
    connection.refresh_from_db()
    connection_rotate_webhook_secret(connection=connection)

    project = procore_client_for(connection).create_project({"name": "Rotated Depot", "project_number": "26-302"})
    assert requests.post(f"{procore_sandbox.url}/_sandbox/webhooks/flush", json={"force": True}, timeout=30).ok
    assert WebhookEvent.objects.filter(connection=connection, resource_id=str(project["id"])).exists()
    outcomes = {d["outcome"] for d in procore_sandbox.state.table("webhook_deliveries").values()}
    assert outcomes == {"ok"}
