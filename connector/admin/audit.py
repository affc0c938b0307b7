"""The audit log: what people did, readable and exportable as CSV by anyone on the connection, never editable."""

import csv

from django.contrib import admin
from django.http import HttpResponse
from django.utils import timezone

from ..models import AuditEntry
from .scoping import ConnectionScoped

CSV_COLUMNS = [("at", "When"), ("username", "Who"), ("connection", "Connection"), ("action", "Action"),
               ("summary", "What"), ("record_count", "Records"), ("records", "Which records")]


class PersonFilter(admin.SimpleListFilter):
    """The people who acted on the person's own connections (the stock user filter would list everyone)."""

    title = "person"
    parameter_name = "username"

    def lookups(self, request, model_admin):
        names = model_admin.get_queryset(request).exclude(username="").values_list("username", flat=True)
        return [(name, name) for name in sorted(set(names))]

    def queryset(self, request, queryset):
        return queryset.filter(username=self.value()) if self.value() else queryset


@admin.register(AuditEntry)
class AuditEntryAdmin(ConnectionScoped, admin.ModelAdmin):
    view_codename = "view_audit"
    list_display = ("at", "username", "connection", "action", "summary", "record_count")
    list_filter = ("connection", PersonFilter, "action", ("at", admin.DateFieldListFilter))
    search_fields = ("summary", "records", "username")
    date_hierarchy = "at"
    readonly_fields = [name for name, _ in CSV_COLUMNS]
    actions = ["export_csv"]

    @admin.action(description="Export selected as CSV", permissions=["view"])
    def export_csv(self, request, queryset):
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="audit-{timezone.now():%Y%m%d-%H%M}.csv"'
        writer = csv.writer(response)
        writer.writerow([label for _, label in CSV_COLUMNS])
        for entry in queryset.select_related("connection"):
            writer.writerow([entry.at.isoformat(), entry.username, str(entry.connection or ""),
                             entry.get_action_display(), entry.summary, entry.record_count, entry.records])
        return response
