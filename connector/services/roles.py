"""What each role may do on the connections it belongs to (Membership.role → connector permission codenames).

Roles are per connection, never global: a person may be company admin of one connection and viewer of another.
No role reaches Celery's or django-celery-beat's screens (superusers only, connector/admin/connection.py).
"""

from __future__ import annotations

from ..models import Membership

Role = Membership.Role

VIEW = frozenset({"view_connection", "view_sync_log", "view_link", "view_audit"})
ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.VIEWER: VIEW,
    # accept, reject, re-send, link, archive, job costs; "Sync now" and "Preview"
    Role.ACCOUNTANT: VIEW | {"approve_exports", "run_sync"},
    # and the connection itself: settings (cadences), connect, re-authorise, disconnect, people
    Role.COMPANY_ADMIN: VIEW | {"approve_exports", "run_sync", "connect_connection", "change_connectionsettings",
                                "manage_members"},
}
def roles_allowing(permission: str) -> list[str]:
    codename = permission.split(".")[-1]
    return [role for role, allowed in ROLE_PERMISSIONS.items() if codename in allowed]


def role_allows(role: str, permission: str) -> bool:
    return permission.split(".")[-1] in ROLE_PERMISSIONS.get(role, frozenset())
