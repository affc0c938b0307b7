"""Inbound webhooks: authenticate, record once, queue the work (never do it inline: 5 s budget).

Procore signs nothing: a delivery proves itself with the per-connection secret we registered in the
hook's destination_headers. Xero signs the raw body with HMAC-SHA256 (x-xero-signature).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse

from ..models import Connection, WebhookEvent
from .run_requests import webhook_event_request

logger = logging.getLogger(__name__)

PROCORE_NAMESPACE = "procore-xero-connector"
# The payload Procore delivers today (plan_your_app/webhooks): string ids, `reason` and `resource_type`, a ULID
# `id`; deliveries of hooks registered before (v2.0 `event_type` / `resource_name`, numeric ids) still read.
PAYLOAD_VERSION = "v4.0"
# What the engine follows in Procore (resource name, event types): Company Vendors, since Procore stopped
# Project Vendors update events on 2026-06-30.
PROCORE_TRIGGERS = [
    ("Projects", ("create", "update")),
    ("Company Vendors", ("create", "update")),
    ("Standard Cost Codes", ("create", "update", "delete")),
    ("Line Item Types", ("create", "update")),
    ("Work Order Contracts", ("create", "update")),
    ("Purchase Order Contracts", ("create", "update")),
    ("Change Order Packages", ("create", "update")),
]


class WebhookRejected(Exception):
    """Not from whom it claims to be; answered 401 and nothing is recorded."""


def procore_hook_register(*, connection: Connection, base_url: str | None = None, secret: str | None = None) -> int:
    """Point the company's hook at us with our secret header: update the hook we registered before (a
    re-authorisation or a secret rotation), else create one with the triggers we follow."""
    from procore_client.errors import ProcoreNotFound

    from ..clients import WEB_WAIT_S, procore_client_for

    client = procore_client_for(connection, max_wait_s=WEB_WAIT_S)
    url = (base_url or settings.SITE_URL).rstrip("/") + reverse("procore_webhook", args=[connection.pk])
    hook = {
        "api_version": PAYLOAD_VERSION,
        "namespace": PROCORE_NAMESPACE,
        "destination_url": url,
        "destination_headers": {"Authorization": f"Bearer {secret or connection.webhook_secret}"},
    }
    if connection.procore_hook_id:
        try:
            client.patch(f"/rest/v1.0/webhooks/hooks/{connection.procore_hook_id}",
                         json={"company_id": connection.procore_company_id, "hook": hook})
            return connection.procore_hook_id
        except ProcoreNotFound:  # removed in Procore meanwhile: create it again
            pass
    created = client.post("/rest/v1.0/webhooks/hooks", json={"company_id": connection.procore_company_id,
                                                             "hook": hook})
    for resource_name, event_types in PROCORE_TRIGGERS:
        for event_type in event_types:
            client.post(f"/rest/v1.0/webhooks/hooks/{created['id']}/triggers", json={
                "company_id": connection.procore_company_id,
                "api_version": PAYLOAD_VERSION,
                "trigger": {"resource_name": resource_name, "event_type": event_type},
            })
    connection.procore_hook_id = created["id"]
    connection.save(update_fields=["procore_hook_id"])
    return created["id"]


def procore_hook_remove(*, connection: Connection) -> None:
    """Delete the company's hook (Procore stops delivering); one already gone counts as removed."""
    from procore_client.errors import ProcoreNotFound

    from ..clients import WEB_WAIT_S, procore_client_for

    try:
        procore_client_for(connection, max_wait_s=WEB_WAIT_S).delete(f"/rest/v1.0/webhooks/hooks/{connection.procore_hook_id}",
                                              params={"company_id": connection.procore_company_id})
    except ProcoreNotFound:
        pass
    connection.procore_hook_id = None
    connection.save(update_fields=["procore_hook_id"])


def procore_delivery_receive(*, connection_id: int, authorization: str, body: bytes) -> WebhookEvent | None:
    """Check the secret, record the event once; returns None for a duplicate."""
    connection = Connection.objects.filter(pk=connection_id).first()
    expected = f"Bearer {connection.webhook_secret}" if connection and connection.webhook_secret else None
    if expected is None or not hmac.compare_digest(authorization.encode(), expected.encode()):
        raise WebhookRejected("missing or wrong webhook secret")
    try:
        event = json.loads(body)
    except ValueError as exc:
        raise ValueError("delivery body is not JSON") from exc
    event_id = str(event.get("ulid") or event.get("id") or "")
    if not event_id:
        raise ValueError("delivery has no event id")
    return _record(
        connection=connection, source=WebhookEvent.Source.PROCORE, event_id=event_id,
        resource_name=str(event.get("resource_name") or event.get("resource_type") or ""),
        resource_id=str(event.get("resource_id", "")),
        event_type=str(event.get("event_type") or event.get("reason") or "").lower(),
    )


def xero_signature_valid(*, body: bytes, signature: str, key: str | None = None) -> bool:
    """HMAC-SHA256 of the raw body under the webhooks key. An empty key signs nothing: anyone can compute
    that HMAC, so with no key every delivery is refused (production refuses to start without one)."""
    key = settings.XERO_WEBHOOK_KEY if key is None else key
    if not key or not signature:
        return False
    digest = hmac.new(key.encode(), body, hashlib.sha256).digest()
    return hmac.compare_digest(base64.b64encode(digest), signature.encode())


def xero_delivery_receive(*, body: bytes, signature: str) -> list[WebhookEvent]:
    """Verify the signature over the raw body; an empty `events` list is the intent-to-receive check."""
    if not xero_signature_valid(body=body, signature=signature):
        raise WebhookRejected("bad x-xero-signature")
    payload = json.loads(body or b"{}")
    recorded = []
    for event in payload.get("events", []):
        connection = (Connection.objects.exclude(status=Connection.Status.DISCONNECTED)
                      .filter(xero_tenant_id=event.get("tenantId", "")).first())
        if connection is None:
            continue
        fingerprint = "|".join(str(event.get(k, "")) for k in
                               ("tenantId", "eventCategory", "eventType", "resourceId", "eventDateUtc"))
        created = _record(
            connection=connection, source=WebhookEvent.Source.XERO,
            event_id=hashlib.sha256(fingerprint.encode()).hexdigest(),
            resource_name=str(event.get("eventCategory", "")).upper(),
            resource_id=str(event.get("resourceId", "")),
            event_type=str(event.get("eventType", "")).lower(),  # live payloads mix "Update"/"UPDATE"
        )
        if created:
            recorded.append(created)
    return recorded


def _record(*, connection, source, event_id, resource_name, resource_id, event_type) -> WebhookEvent | None:
    try:
        with transaction.atomic():
            event = WebhookEvent.objects.create(
                connection=connection, source=source, event_id=event_id, resource_name=resource_name,
                resource_id=resource_id, event_type=event_type,
            )
    except IntegrityError:
        logger.info("Duplicate %s webhook event %s ignored", source, event_id)
        return None
    webhook_event_request(event_id=event.pk)
    return event
