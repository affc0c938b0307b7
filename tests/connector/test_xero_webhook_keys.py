"""A forged Xero delivery is refused under every webhook key production accepts, and an empty key accepts
nothing at all (an HMAC under an empty key is something anyone can compute)."""

import base64
import hashlib
import hmac
import json
import secrets

import pytest
from django.urls import reverse

from connector.models import WebhookEvent
from settings.production_rules import production_problems
from tests.factories import ConnectionFactory
from tests.settings.test_production import COMPLETE

pytestmark = pytest.mark.django_db

SANDBOX_KEY = "sandbox-xero-webhook-key"


def sign(body: bytes, key: str) -> str:
    return base64.b64encode(hmac.new(key.encode(), body, hashlib.sha256).digest()).decode()


def event_body(tenant_id: str) -> bytes:
    return json.dumps({"events": [{
        "resourceUrl": "http://127.0.0.1:8102/api.xro/2.0/Contacts/abc", "resourceId": "abc",
        "eventDateUtc": "2026-11-21T10:00:00.000", "eventType": "Update", "eventCategory": "CONTACT",
        "tenantId": tenant_id, "tenantType": "ORGANISATION"}],
        "firstEventSequence": 1, "lastEventSequence": 1, "entropy": secrets.token_hex(8)}).encode()


def deliver(client, body: bytes, signature: str | None):
    headers = {} if signature is None else {"HTTP_X_XERO_SIGNATURE": signature}
    return client.post(reverse("xero_webhook"), data=body, content_type="application/json", **headers)


def forgeries(body: bytes, tenant_id: str, key: str):
    """What someone without the key can send: no signature, an empty one, the empty key's HMAC, the public
    sandbox key's HMAC, a random key's HMAC, and a genuine signature replayed on other bytes."""
    yield "no signature", body, None
    yield "empty signature", body, ""
    yield "signed with an empty key", body, sign(body, "")
    yield "signed with the sandbox's key", body, sign(body, SANDBOX_KEY)
    yield "signed with a guessed key", body, sign(body, secrets.token_urlsafe(32))
    yield "a genuine signature on another body", event_body(tenant_id), sign(body, key)


def test_an_empty_key_accepts_nothing_not_even_its_own_signature(client, settings):
    settings.XERO_WEBHOOK_KEY = ""
    connection = ConnectionFactory()
    body = event_body(connection.xero_tenant_id)
    for _label, forged, signature in forgeries(body, connection.xero_tenant_id, ""):
        assert deliver(client, forged, signature).status_code == 401
    handshake = json.dumps({"events": [], "firstEventSequence": 0, "lastEventSequence": 0, "entropy": "A"}).encode()
    assert deliver(client, handshake, sign(handshake, "")).status_code == 401, "no intent-to-receive either"
    assert not WebhookEvent.objects.exists()


CANDIDATE_KEYS = ["", " ", SANDBOX_KEY, "change-me", "xero-webhook-key", "k3y", COMPLETE["XERO_WEBHOOK_KEY"],
                  base64.b64encode(secrets.token_bytes(64)).decode()]


def test_a_forged_delivery_is_refused_under_every_key_production_accepts(client, settings):
    connection = ConnectionFactory()
    accepted = [key for key in CANDIDATE_KEYS
                if not [p for p in production_problems({**COMPLETE, "XERO_WEBHOOK_KEY": key})
                        if p.startswith("XERO_WEBHOOK_KEY")]]
    assert "" not in accepted and " " not in accepted and SANDBOX_KEY not in accepted
    assert len(accepted) == 2, accepted  # the real-looking keys only
    for key in accepted:
        settings.XERO_WEBHOOK_KEY = key
        body = event_body(connection.xero_tenant_id)
        for label, forged, signature in forgeries(body, connection.xero_tenant_id, key):
            assert deliver(client, forged, signature).status_code == 401, label
        assert not WebhookEvent.objects.exists()
        # The same endpoint takes Xero's genuine delivery, so the refusals above are the signature's doing.
        assert deliver(client, body, sign(body, key)).status_code == 200
        assert WebhookEvent.objects.count() == 1
        WebhookEvent.objects.all().delete()
