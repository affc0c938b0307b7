"""Run pages that scale: the per-record log paged and filtered (failed only, by action), counts that include
the kind's records still failed, previews marked as previews, and a running run's progress polled as JSON.

Mixed into SyncRunAdmin (connector/admin/runs.py); the JSON view checks the person's role on the connection."""

from __future__ import annotations

from django.contrib import admin
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html

from ..models import Link, SyncRecord, SyncRun
from ..selectors import connections_for
from ..views.access import record_permission

LOG_PAGE = 50
STATUS_COLOURS = {"failed": "#c62828", "partial": "#ef6c00", "succeeded": "#2e7d32", "parked": "#6a1b9a",
                  "running": "#1565c0"}
PREVIEW_WORDS = {"created": "Would create", "updated": "Would update", "linked": "Would link",
                 "skipped": "Would skip", "failed": "Would fail", "deleted": "Would remove"}


def still_failed(run: SyncRun) -> int:
    """Records of the run's kind that are failed now (a re-run that fails nothing new leaves them failed)."""
    return Link.objects.filter(connection_id=run.connection_id, kind=run.kind, state=Link.State.FAILED).count()


def result_words(run: SyncRun) -> str:
    if run.dry_run:
        done = "Preview running" if run.status == SyncRun.Status.RUNNING else "Preview (nothing written)"
        return f"{done}: would create {run.created}, update {run.updated}, link {run.linked}"
    words = run.get_status_display()
    if run.status == SyncRun.Status.PAUSED and run.message:  # "Paused — continues at 14:05"
        return run.message.split(". ")[0]
    if run.status == SyncRun.Status.RUNNING:
        return f"{words}: {run.created + run.updated + run.linked + run.skipped + run.failed} of {run.total} done"
    return words


def progress(run: SyncRun) -> dict:
    done = run.created + run.updated + run.linked + run.skipped + run.failed
    return {"running": run.status == SyncRun.Status.RUNNING, "done": done, "total": run.total,
            "status": result_words(run), "created": run.created, "updated": run.updated, "linked": run.linked,
            "skipped": run.skipped, "failed": run.failed,
            "words": (f"{done} of {run.total} records done" if run.status == SyncRun.Status.RUNNING
                      else f"Finished: {done} records")}


class PreviewFilter(admin.SimpleListFilter):
    title = "previews"
    parameter_name = "preview"

    def lookups(self, request, model_admin):
        return [("no", "Real runs only"), ("yes", "Previews only")]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(dry_run=self.value() == "yes")
        return queryset


class RunPagesMixin:
    def get_inlines(self, request, obj):
        return []  # the log is paged by the change page itself (templates/admin/connector/syncrun/)

    def get_list_display(self, request):
        columns = ("started_at", "kind", "what", "result", "written", "failed", "failed_now", "total")
        if connections_for(request.user, "view_sync_log").count() > 1:
            return ("connection",) + columns
        return columns

    def get_list_filter(self, request):
        return ("status", "kind", "trigger", PreviewFilter, "connection")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("connection")

    @admin.display(description="Started by")
    def what(self, obj):
        return "Preview" if obj.dry_run else obj.get_trigger_display()

    @admin.display(description="Result", ordering="status")
    def result(self, obj):
        colour = "#555" if obj.dry_run else STATUS_COLOURS.get(obj.status, "#333")
        return format_html('<strong style="color:{}">{}</strong>', colour, result_words(obj))

    @admin.display(description="Written")
    def written(self, obj):
        """Created, updated or linked."""
        return obj.created + obj.updated + obj.linked

    @admin.display(description="Failed in this run")
    def failed_in_run(self, obj):
        return obj.failed

    @admin.display(description="Still failed")
    def failed_now(self, obj):
        """Of the run's kind, now (those failed in earlier runs too)."""
        return still_failed(obj)

    def get_fieldsets(self, request, obj=None):
        return [(None, {"fields": ["connection", "kind", "direction", "what", "result", "message", "started_at",
                                   "finished_at"]}),
                ("Counts (“still failed” counts every record of this kind that is failed now)", {"fields": ["total", "created", "updated", "linked", "skipped", "failed_in_run",
                                       "failed_now"]})]

    def get_readonly_fields(self, request, obj=None):
        return ["connection", "kind", "direction", "what", "result", "message", "started_at", "finished_at",
                "total", "created", "updated", "linked", "skipped", "failed_in_run", "failed_now"]

    def get_urls(self):
        progress_view = record_permission(SyncRun, "view_sync_log")(self.progress_view)
        return [path("<int:pk>/progress/", self.admin_site.admin_view(progress_view),
                     name="connector_syncrun_progress")] + super().get_urls()

    def progress_view(self, request, pk):
        run = get_object_or_404(SyncRun, pk=pk)
        return JsonResponse(progress(run))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        run = self.get_object(request, object_id)
        if run is not None:
            extra_context = {**(extra_context or {}), **self.log_context(request, run)}
        return super().change_view(request, object_id, form_url, extra_context)

    def log_context(self, request, run: SyncRun) -> dict:
        action = request.GET.get("action", "")
        records = SyncRecord.objects.filter(run=run).select_related("link").order_by("id")
        if action in SyncRecord.Action.values:
            records = records.filter(action=action)
        page = Paginator(records, LOG_PAGE).get_page(request.GET.get("page"))
        words = PREVIEW_WORDS if run.dry_run else dict(SyncRecord.Action.choices)
        lines = [{"heading": f"{words.get(r.action, r.action)}: {r.label or r.procore_id or r.xero_id or 'a record'}",
                  "action": r.action, "message": r.message, "hint": r.hint,
                  "url": reverse("admin:connector_link_change", args=[r.link_id]) if r.link_id else ""}
                 for r in page.object_list]
        counts = dict(SyncRecord.objects.filter(run=run).values_list("action").annotate(n=Count("id")))
        filters = [{"value": "", "label": "All", "n": sum(counts.values())}] + [
            {"value": value, "label": (PREVIEW_WORDS if run.dry_run else dict(SyncRecord.Action.choices))[value],
             "n": counts[value]} for value in SyncRecord.Action.values if counts.get(value)]
        return {"run": run, "log_lines": lines, "log_page": page, "log_action": action, "log_filters": filters,
                "run_is_preview": run.dry_run, "run_still_failed": still_failed(run),
                "run_progress": progress(run),
                "progress_url": reverse("admin:connector_syncrun_progress", args=[run.pk]),
                "still_failed_url": f"{reverse('admin:connector_link_changelist')}?connection__id__exact="
                                    f"{run.connection_id}&kind__exact={run.kind}&state__exact=failed"}
