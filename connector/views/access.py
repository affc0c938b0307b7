"""Who may open a connection's own pages: a member whose role on *that* connection allows it (superusers all).

A connection the person does not belong to is not found (404); one they belong to without the right is refused
(403). Everything else in the view can then trust `connection_id`."""

from __future__ import annotations

from functools import wraps

from django.core.exceptions import PermissionDenied
from django.http import Http404

from ..selectors import connections_for, may_connect_new, member_can


def connection_check(user, connection_id, permission: str) -> None:
    if connection_id is None:
        if not may_connect_new(user):
            raise PermissionDenied
        return
    if not connections_for(user, "view_connection").filter(pk=connection_id).exists():
        raise Http404("No such connection.")
    if not member_can(user, connection_id, permission):
        raise PermissionDenied


def connection_permission(permission: str, *, post: str | None = None):
    """Decorate a view taking `connection_id` (or none: a new connection) with the role's permission, and the
    one its POSTs need when they need more (a viewer reads the matching page; an accountant acts on it)."""

    def decorator(view):
        @wraps(view)
        def checked(request, *args, **kwargs):
            connection_check(request.user, kwargs.get("connection_id"), permission)
            if post and request.method == "POST":
                connection_check(request.user, kwargs.get("connection_id"), post)
            return view(request, *args, **kwargs)

        # read by the tests that walk every admin URL
        checked.connection_permission, checked.connection_post_permission = permission, post or permission
        return checked

    return decorator


def record_permission(model, permission: str, *, post: str | None = None):
    """The same check for a view taking the `pk` of one of a connection's records (a link, a run): another
    company's record is not found, whatever its number."""

    def decorator(view):
        @wraps(view)
        def checked(request, *args, **kwargs):
            connection_id = model.objects.filter(pk=kwargs.get("pk")).values_list("connection_id", flat=True).first()
            if connection_id is None:
                raise Http404("No such record.")
            connection_check(request.user, connection_id, permission)
            if post and request.method == "POST":
                connection_check(request.user, connection_id, post)
            return view(request, *args, **kwargs)

        checked.connection_permission, checked.connection_post_permission = permission, post or permission
        checked.record_model = model
        return checked

    return decorator
