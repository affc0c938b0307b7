"""Projects older than the connection: send them to the approval queue on purpose (Procore's "Send to ERP")."""

from django.contrib import admin, messages
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse

from ..models import Connection
from ..services.projects import ProjectActionError, linkable_projects, project_send_to_queue
from .access import connection_permission
from .paging import projects_page


@connection_permission("approve_exports")
def older_projects(request, connection_id: int):
    connection = get_object_or_404(Connection, pk=connection_id)
    if request.method == "POST":
        sent = 0
        for project_id in request.POST.getlist("project_id"):
            try:
                project_send_to_queue(connection, int(project_id), user=request.user)
                sent += 1
            except (ProjectActionError, ValueError) as exc:
                messages.error(request, str(exc))
        if sent:
            messages.success(request, f"Sent {sent} project(s) to the approval queue.")
        return redirect("admin:connector_connection_older_projects", connection.pk)
    return TemplateResponse(request, "admin/connector/connection/older_projects.html", {
        **admin.site.each_context(request), "opts": Connection._meta, "connection": connection,
        "title": "Projects older than the connection", **projects_page(request, linkable_projects(connection)),
    })
