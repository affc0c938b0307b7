"""The three roles as Django groups with permissions (re-applied after every migrate)."""

from django.contrib.auth.models import Group, Permission

VIEW_ALL = ["view_connection", "view_connectionsettings", "view_webhookevent", "view_workerheartbeat",
            "view_sync_log", "view_link", "view_syncrun", "view_syncrecord", "view_decision"]
ROLES: dict[str, list[str]] = {
    "Company admin": VIEW_ALL + [
        "add_connection", "change_connection", "connect_connection", "change_connectionsettings",
        "approve_exports", "run_sync",
        "django_celery_beat.view_periodictask", "django_celery_beat.change_periodictask",
    ],
    "Accountant": VIEW_ALL + ["approve_exports", "run_sync", "django_celery_beat.view_periodictask"],
    "Viewer": VIEW_ALL + ["django_celery_beat.view_periodictask"],
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
