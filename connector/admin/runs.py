"""Sync runs and their per-record log: what accountants read."""

from django.contrib import admin
from django.utils.html import format_html

from ..models import SyncRecord, SyncRun
from .links import ReadOnlyMixin
from .run_pages import RunPagesMixin
from .scoping import ConnectionScoped, ScopedInline


class SyncRecordInline(ScopedInline, ReadOnlyMixin, admin.TabularInline):
    view_codename = "view_sync_log"
    model = SyncRecord
    fields = ("action", "label", "message", "hint", "procore_id", "xero_id")
    readonly_fields = fields
    extra = 0
    show_change_link = False


@admin.register(SyncRun)
class SyncRunAdmin(ConnectionScoped, RunPagesMixin, admin.ModelAdmin):
    view_codename = "view_sync_log"
    list_display = ("started_at", "connection", "kind", "trigger", "status_badge", "created", "updated", "linked",
                    "failed", "total", "finished_at")
    list_filter = ("status", "kind", "trigger", "dry_run", "connection")
    readonly_fields = ("connection", "kind", "direction", "trigger", "dry_run", "status", "message", "started_at",
                       "resume_at", "tasks", "finished_at", "created", "updated", "linked", "skipped", "failed",
                       "total")
    inlines = [SyncRecordInline]
    date_hierarchy = "started_at"

    @admin.display(description="Status", ordering="status")
    def status_badge(self, obj):
        colour = {"failed": "#c62828", "partial": "#ef6c00", "succeeded": "#2e7d32", "parked": "#6a1b9a",
                  "paused": "#1565c0"}
        # A paused run says when it goes on ("Paused — continues at 14:05. Procore's hourly call limit…").
        words = obj.message.split(". ")[0] if obj.status == SyncRun.Status.PAUSED else obj.get_status_display()
        return format_html('<strong style="color:{}">{}</strong>', colour.get(obj.status, "#333"), words)


@admin.register(SyncRecord)
class SyncRecordAdmin(ConnectionScoped, admin.ModelAdmin):
    connection_path = "run__connection"
    view_codename = "view_sync_log"
    list_display = ("created_at", "run", "action", "label", "message", "hint")
    list_filter = ("action", "run__kind", "run__connection")
    search_fields = ("label", "message", "procore_id", "xero_id")
