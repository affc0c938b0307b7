"""Running the syncs of one scope for one connection (the per-object engines plug in here)."""

import logging

logger = logging.getLogger(__name__)

# scope → ordered object kinds; filled in as the per-object exporters/importers land.
SCOPE_KINDS: dict[str, list[str]] = {"company": [], "project": [], "payments": []}


def sync_scope_run(*, connection_id: int, scope: str, trigger: str) -> dict:
    from connector.models import Connection

    connection = Connection.objects.get(pk=connection_id)
    if not connection.is_active:
        return {"skipped": f"connection is {connection.get_status_display().lower()}"}
    kinds = SCOPE_KINDS.get(scope, [])
    logger.info("Sync %s for connection %s (%s): %s", scope, connection_id, trigger, kinds or "nothing yet")
    return {"scope": scope, "kinds": kinds}


def webhook_event_process(*, event_id: int) -> str:
    """Turn one webhook event into the same sync a schedule runs (one record once engines exist)."""
    from connector.models import WebhookEvent

    event = WebhookEvent.objects.get(pk=event_id)
    if event.state != WebhookEvent.State.QUEUED:
        return event.state
    event.state = WebhookEvent.State.PROCESSED
    event.message = "Picked up by the next scheduled sync."
    event.save(update_fields=["state", "message"])
    return event.state
