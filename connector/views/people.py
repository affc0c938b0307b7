"""The people of a connection, on its page: anyone on it sees who else is; a company admin adds people by
e-mail with a role, changes a role, or removes someone (connector/services/members.py)."""

from django.contrib import admin, messages
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse

from ..models import Connection, Membership
from ..selectors import member_can
from ..services.members import MemberError, member_add, member_remove
from .access import connection_permission

MANAGE = "manage_members"


@connection_permission("view_connection", post=MANAGE)
def people(request, connection_id: int):
    connection = get_object_or_404(Connection, pk=connection_id)
    if request.method == "POST":
        try:
            if request.POST.get("action") == "remove":
                member_remove(connection=connection, membership_id=int(request.POST.get("membership") or 0),
                              by=request.user)
                messages.success(request, "Removed.")
            else:
                membership = member_add(connection=connection, email=request.POST.get("email", ""),
                                        role=request.POST.get("role", ""), by=request.user)
                messages.success(request, f"{membership.user.email} is {membership.get_role_display().lower()} "
                                          "of this connection.")
        except (MemberError, ValueError) as exc:
            messages.error(request, str(exc))
        return redirect("admin:connector_connection_people", connection.pk)
    return TemplateResponse(request, "admin/connector/connection/people.html", {
        **admin.site.each_context(request), "opts": Connection._meta, "connection": connection,
        "title": "People", "subtitle": str(connection), "roles": Membership.Role.choices,
        "members": connection.memberships.select_related("user").order_by("role", "user__email"),
        "can_manage": member_can(request.user, connection, MANAGE),
    })
