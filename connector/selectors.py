"""Reads of the connector app."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.core.cache import cache
from django.utils import timezone

from .models import Connection, WorkerHeartbeat

logger = logging.getLogger(__name__)


def heartbeat_status(*, stale_after: timedelta = timedelta(minutes=3)) -> dict[str, bool]:
    """Whether a worker and the beat schedule were seen recently."""
    cutoff = timezone.now() - stale_after
    recent = WorkerHeartbeat.objects.filter(seen_at__gte=cutoff)
    return {source: recent.filter(source=source).exists() for source in WorkerHeartbeat.Source.values}


def connections_needing_attention():
    return Connection.objects.filter(status=Connection.Status.NEEDS_REAUTHORISATION)


def xero_reference_data(connection: Connection, *, max_age: int = 300) -> dict:
    """Tracking categories, purchase accounts and tax rates of the organisation (cached 5 minutes)."""
    key = f"xero-reference:{connection.pk}:{connection.xero_tenant_id}"
    cached = cache.get(key)
    if cached is not None:
        return cached
    from .clients import xero_client_for

    try:
        client = xero_client_for(connection)
        data = {
            "tracking_categories": client.tracking_category_summaries(),
            "accounts": client.purchase_accounts(),
            "tax_rates": client.purchase_tax_rates(),
            "error": None,
        }
    except Exception as exc:  # show the form anyway, with what is saved
        logger.warning("Reading Xero reference data for connection %s failed: %s", connection.pk, exc)
        return {"tracking_categories": [], "accounts": [], "tax_rates": [], "error": str(exc)}
    cache.set(key, data, max_age)
    return data
