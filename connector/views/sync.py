"""'Sync now' and 'Preview' per kind, from the connection's page."""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from sync.services import KINDS, sync_kind_run
from sync.tasks import sync_kind_task

from ..models import Connection, Kind, SyncRun


def _kind(kind: str) -> str:
    if kind not in KINDS:
        raise Http404("unknown kind")
    return kind


@require_POST
@permission_required("connector.run_sync", raise_exception=True)
def sync_now(request, connection_id: int, kind: str):
    connection = get_object_or_404(Connection, pk=connection_id)
    kind = _kind(kind)
    transaction.on_commit(lambda: sync_kind_task.delay(connection.pk, kind, SyncRun.Trigger.MANUAL))
    messages.success(request, f"{Kind(kind).label}: sync queued. Its run appears under Sync runs.")
    return redirect("admin:connector_connection_change", connection.pk)


@require_POST
@permission_required("connector.run_sync", raise_exception=True)
def preview(request, connection_id: int, kind: str):
    """A dry run: lists what would be created, updated or linked; writes nothing on either side."""
    connection = get_object_or_404(Connection, pk=connection_id)
    run = sync_kind_run(connection_id=connection.pk, kind=_kind(kind), trigger=SyncRun.Trigger.MANUAL, dry_run=True)
    if run is None:
        messages.warning(request, "Nothing to preview now: the connection is not active or a sync is running.")
        return redirect("admin:connector_connection_change", connection.pk)
    return redirect("admin:connector_syncrun_change", run.pk)
