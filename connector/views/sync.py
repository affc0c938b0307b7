"""'Sync now' and 'Preview' per kind, from the connection's page: both are runs in the worker."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from ..models import Connection, Kind, SyncRun
from ..services.run_requests import run_request
from .access import connection_permission


def _kind(kind: str) -> str:
    if kind not in Kind.values:
        raise Http404("unknown kind")
    return kind


@require_POST
@connection_permission("run_sync")
def sync_now(request, connection_id: int, kind: str):
    connection = get_object_or_404(Connection, pk=connection_id)
    kind = _kind(kind)
    run_request(connection_id=connection.pk, kind=kind, trigger=SyncRun.Trigger.MANUAL, user=request.user)
    messages.success(request, f"{Kind(kind).label}: sync queued. Its run appears under Sync runs.")
    return redirect("admin:connector_connection_change", connection.pk)


@require_POST
@connection_permission("run_sync")
def preview(request, connection_id: int, kind: str):
    """A dry run in the worker: lists what would be created, updated or linked; writes nothing but its log."""
    connection = get_object_or_404(Connection, pk=connection_id)
    kind = _kind(kind)
    run_request(connection_id=connection.pk, kind=kind, trigger=SyncRun.Trigger.MANUAL, dry_run=True,
                user=request.user)
    messages.success(request, f"{Kind(kind).label}: preview queued. It appears under Sync runs, marked as a "
                              "preview, when it is ready; nothing is written to Procore or Xero.")
    return redirect("admin:connector_connection_change", connection.pk)
