"""Disconnecting revokes access on both sides, stops the schedules and keeps the history."""

import pytest
import requests
from django_celery_beat.models import PeriodicTask

from connector.models import Connection, Credential, Kind, Link, SyncRun
from connector.services.connections import connection_disconnect
from connector.services.schedules import schedules_sync
from sync.services import sync_kind_run

pytestmark = pytest.mark.django_db


def test_disconnect_revokes_both_sides_and_keeps_the_history(connection, procore_sandbox, xero_sandbox):
    schedules_sync(connection=connection)
    sync_kind_run(connection_id=connection.pk, kind=Kind.COST_CODE)
    tokens = {c.provider: c.access_token for c in Credential.objects.filter(connection=connection)}

    connection_disconnect(connection=connection)

    procore_answer = requests.get(f"{procore_sandbox.url}/oauth/token/info", timeout=5,
                                  headers={"Authorization": f"Bearer {tokens['procore']}"})
    xero_answer = requests.get(f"{xero_sandbox.url}/connections", timeout=5,
                               headers={"Authorization": f"Bearer {tokens['xero']}"})
    assert procore_answer.status_code == 401 and xero_answer.status_code == 401
    connection.refresh_from_db()
    assert connection.status == Connection.Status.DISCONNECTED and connection.disconnected_at
    assert all(c.revoked_at and c.refresh_token == "" for c in Credential.objects.filter(connection=connection))
    assert SyncRun.objects.filter(connection=connection).exists()  # history kept
    assert Link.objects.filter(connection=connection, kind=Kind.COST_CODE).exists()
    assert not PeriodicTask.objects.filter(name__startswith=f"Connection #{connection.pk} ", enabled=True).exists()
    assert sync_kind_run(connection_id=connection.pk, kind=Kind.COST_CODE) is None


def test_disconnect_removes_the_procore_hook_and_refuses_later_deliveries(connection, procore_sandbox, client):
    from django.urls import reverse

    from connector.services.webhooks import procore_hook_register

    hook_id = procore_hook_register(connection=connection)
    secret = connection.webhook_secret
    assert hook_id in procore_sandbox.state.table("webhook_hooks")

    connection_disconnect(connection=connection)

    assert hook_id not in procore_sandbox.state.table("webhook_hooks"), "Procore stops delivering"
    connection.refresh_from_db()
    assert connection.procore_hook_id is None and connection.webhook_secret == ""
    answer = client.post(reverse("procore_webhook", args=[connection.pk]), data='{"ulid": "01HLATE"}',
                         content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert answer.status_code == 401


def test_disconnect_goes_on_when_the_hook_is_already_gone(connection, procore_sandbox):
    from connector.services.webhooks import procore_hook_register

    hook_id = procore_hook_register(connection=connection)
    del procore_sandbox.state.table("webhook_hooks")[hook_id]  # someone removed it in Procore
    connection_disconnect(connection=connection)
    connection.refresh_from_db()
    assert connection.status == Connection.Status.DISCONNECTED and connection.procore_hook_id is None
