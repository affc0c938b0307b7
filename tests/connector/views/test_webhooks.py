"""Webhook endpoints refuse strangers, answer the Xero handshake, and process a duplicate once."""

import base64
import hashlib
import hmac
import json

import pytest
from django.urls import reverse

from connector.models import WebhookEvent
from tests.factories import ConnectionFactory

pytestmark = pytest.mark.django_db


def procore_event(event_id="01HXYZ", resource_id=77):
    return json.dumps({"id": 1, "ulid": event_id, "company_id": 1, "project_id": None, "api_version": "v2.0",
                       "event_type": "update", "resource_name": "Projects", "resource_id": resource_id,
                       "timestamp": "2026-11-21T10:00:00Z"})


def post_procore(client, connection, body, secret=None):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {secret}"} if secret is not None else {}
    return client.post(reverse("procore_webhook", args=[connection.pk]), data=body,
                       content_type="application/json", **headers)


def test_procore_delivery_without_the_secret_is_refused_and_changes_nothing(client):
    connection = ConnectionFactory()
    assert post_procore(client, connection, procore_event()).status_code == 401
    assert post_procore(client, connection, procore_event(), secret="guess").status_code == 401
    assert not WebhookEvent.objects.exists()


def test_procore_duplicate_delivery_is_processed_once(client, django_capture_on_commit_callbacks):
    connection = ConnectionFactory()
    with django_capture_on_commit_callbacks(execute=True) as queued:
        for _ in range(3):
            response = post_procore(client, connection, procore_event(), secret=connection.webhook_secret)
            assert response.status_code == 200
    assert len(queued) == 1, "one task queued for three deliveries of one event"
    event = WebhookEvent.objects.get()
    assert (event.resource_name, event.resource_id, event.event_type) == ("Projects", "77", "update")
    # The queued task ran (eager in tests) once: one run, which fails here (the factory's connection holds no
    # tokens), so the event is not marked processed: it waits until a run has judged its record.
    from connector.models import SyncRun

    assert SyncRun.objects.filter(connection=connection).count() == 1
    assert event.state == WebhookEvent.State.QUEUED and "failed; judged again" in event.message


def sign(body: bytes, key: str) -> str:
    return base64.b64encode(hmac.new(key.encode(), body, hashlib.sha256).digest()).decode()


def post_xero(client, body: bytes, signature: str):
    return client.post(reverse("xero_webhook"), data=body, content_type="application/json",
                       HTTP_X_XERO_SIGNATURE=signature)


def xero_payload(tenant_id, events=1):
    return json.dumps({
        "events": [{"resourceUrl": "http://127.0.0.1:8102/api.xro/2.0/Contacts/abc", "resourceId": f"abc-{i}",
                    "eventDateUtc": "2026-11-21T10:00:00.000", "eventType": "Update", "eventCategory": "CONTACT",
                    "tenantId": tenant_id, "tenantType": "ORGANISATION"} for i in range(events)],
        "firstEventSequence": 1, "lastEventSequence": events, "entropy": "XYZ"}).encode()


def test_xero_intent_to_receive_answers_200_signed_and_401_unsigned(client, settings):
    body = json.dumps({"events": [], "firstEventSequence": 0, "lastEventSequence": 0, "entropy": "A"}).encode()
    assert post_xero(client, body, sign(body, settings.XERO_WEBHOOK_KEY)).status_code == 200
    assert post_xero(client, body, sign(body, "wrong-key")).status_code == 401
    assert post_xero(client, body, "").status_code == 401


def test_xero_event_with_a_wrong_signature_changes_nothing(client, settings):
    connection = ConnectionFactory()
    body = xero_payload(connection.xero_tenant_id)
    assert post_xero(client, body, sign(body + b" ", settings.XERO_WEBHOOK_KEY)).status_code == 401
    assert not WebhookEvent.objects.exists()


def test_xero_events_are_recorded_once_and_the_answer_is_empty(client, settings):
    connection = ConnectionFactory()
    body = xero_payload(connection.xero_tenant_id, events=2)
    for _ in range(2):
        response = post_xero(client, body, sign(body, settings.XERO_WEBHOOK_KEY))
        assert response.status_code == 200 and response.content == b""
    assert WebhookEvent.objects.filter(connection=connection, source="xero").count() == 2
    assert set(WebhookEvent.objects.values_list("event_type", flat=True)) == {"update"}


def test_a_procore_v4_delivery_of_a_company_vendor_is_read_and_followed(client, django_capture_on_commit_callbacks,
                                                                        monkeypatch):
    """Procore's v4.0 payload: a ULID `id`, string ids, `reason` and `resource_type` (plan_your_app/webhooks)."""
    from sync import services

    connection = ConnectionFactory()
    ran = []
    monkeypatch.setattr(services, "sync_kind_run", lambda **kw: ran.append((kw["kind"], kw["record_id"])))
    body = json.dumps({"id": "01JD5V6W7X8Y9Z0ABCDEFGHJKM", "timestamp": "2026-11-21T10:00:00Z", "reason": "update",
                       "user_id": "5101", "resource_type": "Company Vendors", "resource_id": "3100007",
                       "company_id": "1", "project_id": None, "api_version": "v4.0"})
    with django_capture_on_commit_callbacks(execute=True):
        assert post_procore(client, connection, body, secret=connection.webhook_secret).status_code == 200
    event = WebhookEvent.objects.get()
    assert (event.event_id, event.resource_name, event.resource_id, event.event_type) == (
        "01JD5V6W7X8Y9Z0ABCDEFGHJKM", "Company Vendors", "3100007", "update")
    assert ran == [("vendor", "3100007")]


def test_a_xero_credit_note_event_is_followed_not_ignored(client, settings, django_capture_on_commit_callbacks,
                                                          monkeypatch):
    from sync import services

    connection = ConnectionFactory()
    ran = []
    monkeypatch.setattr(services, "sync_kind_run", lambda **kw: ran.append(kw["kind"]))
    body = xero_payload(connection.xero_tenant_id).replace(b'"CONTACT"', b'"CREDITNOTE"')
    with django_capture_on_commit_callbacks(execute=True):
        assert post_xero(client, body, sign(body, settings.XERO_WEBHOOK_KEY)).status_code == 200
    event = WebhookEvent.objects.get()
    assert event.resource_name == "CREDITNOTE" and event.state != WebhookEvent.State.IGNORED
    assert ran == ["payment"]  # processed once that run ends (tests/sync/test_webhook_bursts.py)


def test_the_procore_hook_asks_for_todays_payload_and_company_vendors():
    from connector.services.webhooks import PAYLOAD_VERSION, PROCORE_TRIGGERS

    assert PAYLOAD_VERSION == "v4.0"
    names = [name for name, _types in PROCORE_TRIGGERS]
    assert "Company Vendors" in names and "Project Vendors" not in names
