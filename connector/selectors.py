"""Reads of the connector app."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.core.cache import cache
from django.utils import timezone

from .models import Connection, Membership, WorkerHeartbeat
from .services.roles import ROLE_PERMISSIONS, roles_allowing  # noqa: F401 - ROLE_PERMISSIONS read here too

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
    from .clients import WEB_WAIT_S, xero_client_for

    try:
        client = xero_client_for(connection, max_wait_s=WEB_WAIT_S)
        categories = [xero_as_dict(c) for c in client.tracking_categories(include_archived=False)]
        accounts = [xero_as_dict(a) for a in client.accounts()]
        taxes = [xero_as_dict(t) for t in client.tax_rates()]
        data = {
            "tracking_categories": [{"id": c["TrackingCategoryID"], "name": c["Name"], "status": c.get("Status", ""),
                                     "active_options": sum(1 for o in c.get("Options") or []
                                                           if o.get("Status", "ACTIVE") == "ACTIVE")}
                                    for c in categories],
            "accounts": [{"code": a["Code"], "name": a["Name"]} for a in accounts
                         if a.get("Status") == "ACTIVE" and a.get("Class") in ("EXPENSE", "ASSET") and a.get("Code")],
            "tax_rates": [{"type": t["TaxType"], "name": t["Name"]} for t in taxes
                          if t.get("Status") == "ACTIVE" and t.get("CanApplyToExpenses", True)],
            "error": None,
        }
    except Exception as exc:  # show the form anyway, with what is saved
        logger.warning("Reading Xero reference data for connection %s failed: %s", connection.pk, exc)
        return {"tracking_categories": [], "accounts": [], "tax_rates": [], "error": str(exc)}
    cache.set(key, data, max_age)
    return data


def xero_as_dict(model) -> dict:
    """An SDK model as Xero's own JSON (PascalCase keys, enums as their values)."""
    from xero_python.api_client.serializer import serialize

    return serialize(model)


def connections_for(user, permission: str = "view_connection"):
    """The connections `user` may do `permission` on (a codename of connector/services/roles.py, e.g.
    "approve_exports"): superusers all of them, everyone else those where their role allows it."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Connection.objects.none()
    if user.is_superuser:
        return Connection.objects.all()
    return Connection.objects.filter(pk__in=Membership.objects.filter(
        user=user, role__in=roles_allowing(permission)).values("connection_id"))


def member_can(user, connection, permission: str) -> bool:
    """Whether `user` may do `permission` on this connection."""
    connection_id = getattr(connection, "pk", connection)
    return connection_id is not None and connections_for(user, permission).filter(pk=connection_id).exists()


def company_admins(connection):
    """The people e-mailed when the connection needs attention: its company admins."""
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(memberships__connection=connection,
                                           memberships__role=Membership.Role.COMPANY_ADMIN, is_active=True)


def may_connect_new(user) -> bool:
    """Who may start a new connection: superusers and company admins (they become its company admin)."""
    return connections_for(user, "connect_connection").exists() or bool(getattr(user, "is_superuser", False))
