"""The three roles as Django groups with permissions (re-applied after every migrate).

No role has a permission on Celery's or django-celery-beat's models: those screens are for superusers
(connector/admin/connection.py); schedules follow the connection's cadences, and "Sync now" needs run_sync.
"""

from django.contrib.auth.models import Group, Permission

VIEW_ALL = ["view_connection", "view_connectionsettings", "view_webhookevent", "view_workerheartbeat",
            "view_sync_log", "view_link", "view_syncrun", "view_syncrecord", "view_decision"]
ROLES: dict[str, list[str]] = {
    "Company admin": VIEW_ALL + [
        "add_connection", "change_connection", "connect_connection", "change_connectionsettings",
        "approve_exports", "run_sync",
    ],
    "Accountant": VIEW_ALL + ["approve_exports", "run_sync"],
    "Viewer": VIEW_ALL,
}


def _permission(name: str) -> Permission | None:
    app_label, codename = name.split(".", 1) if "." in name else ("connector", name)
    return Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()


def roles_sync() -> dict[str, Group]:
    groups = {}
    for role, names in ROLES.items():
        group, _ = Group.objects.get_or_create(name=role)
        permissions = [p for p in map(_permission, names) if p is not None]
        group.permissions.set(permissions)
        groups[role] = group
    return groups
