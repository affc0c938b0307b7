"""The approval queue and the links: filters by kind and state, accept, reject and re-send one or many, and
each record's decision history in words."""

from django.contrib import admin, messages
from django.shortcuts import render
from django.utils.html import format_html, format_html_join

from ..models import Decision, Link
from ..services import projects as project_actions
from ..services.approvals import ApprovalError, approval_accept, approval_reject, approval_resend
from ..services.unlink import unlink_vendor
from ..services.vendors import VendorActionError
from .scoping import ConnectionScoped
from .worklist import WorklistMixin

State = Link.State
STATE_COLOURS = {"awaiting_approval": "#ef6c00", "rejected": "#6a1b9a", "failed": "#c62828", "synced": "#2e7d32",
                 "exporting": "#1565c0", "archived": "#757575", "ready": "#00838f", "waiting": "#5d4037"}
APPROVAL_NOTE = ("An acceptance is for the record as shown here: if it is changed in Procore before it reaches "
                 "Xero (or, once in Xero, changed again), it comes back to this queue. Re-send puts a rejected "
                 "record back in the queue; a failed one is tried again, through the queue when its kind needs "
                 "approval and its current version was not accepted.")


class ReadOnlyMixin:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Link)
class LinkAdmin(ConnectionScoped, WorklistMixin, admin.ModelAdmin):
    view_codename = "view_link"
    list_display = ("label", "kind", "state_badge", "why", "vendor_name", "project_name", "document_number",
                    "document_date", "amount", "updated_at")
    list_filter = ("state", "kind", "connection")
    search_fields = ("label", "procore_id", "xero_id", "reference", "document_number", "vendor_name", "last_error",
                     "rejected_reason")
    actions = ["accept", "reject", "resend", "import_as_projects", "link_to_project", "archive_options",
               "unlink_companies"]
    list_per_page = 100
    fieldsets = [
        (None, {"fields": ["connection", "kind", "label", "state", "why", "decision_history"]}),
        ("What is decided on", {"fields": ["document_number", "document_date", "vendor_name", "project_name",
                                           "amount", "retention", "retainage_percent"],
                                "description": APPROVAL_NOTE}),
        ("Both sides", {"fields": ["procore_id", "xero_id", "reference", "remote_status", "remote_total",
                                   "synced_at", "attempts", "created_at", "updated_at"]}),
    ]
    readonly_fields = ("connection", "kind", "label", "state", "why", "decision_history", "document_number",
                       "document_date", "vendor_name", "project_name", "amount", "retention", "retainage_percent",
                       "procore_id", "xero_id", "reference", "remote_status", "remote_total", "synced_at",
                       "attempts", "created_at", "updated_at")

    @admin.display(description="State", ordering="state")
    def state_badge(self, obj):
        return format_html('<strong style="color:{}">{}</strong>', STATE_COLOURS.get(obj.state, "#333"),
                           obj.get_state_display())

    @admin.display(description="Why")
    def why(self, obj):
        if obj.state == State.REJECTED:
            return f"Rejected: {obj.rejected_reason}"
        if obj.state == State.WAITING:
            return format_html("{}<br><em>{}</em>", obj.last_error,
                               "It moves on by itself once that is in Xero." if obj.waiting_for_kind else obj.hint)
        if obj.state == State.FAILED:
            return format_html("{}<br><em>{}</em>", obj.last_error, obj.hint)
        if obj.state == State.AWAITING_APPROVAL and obj.needs_reapproval:
            return "Changed in Procore since it was accepted: accept the new version."
        if obj.state == State.READY and not obj.procore_id:
            return "Found only in Xero."
        return ""

    @admin.display(description="Decisions")
    def decision_history(self, obj):
        decisions = obj.decisions.order_by("decided_at", "id")
        if not decisions:
            return "No decision yet."
        return format_html("<ol>{}</ol>", format_html_join("", "<li>{}</li>", ((d.in_words,) for d in decisions)))

    @admin.action(description="Accept selected (export to Xero)", permissions=["approve"])
    def accept(self, request, queryset):
        accepted = approval_accept(links=list(queryset), user=request.user)
        skipped = queryset.count() - len(accepted)
        messages.success(request, f"Accepted {len(accepted)}; their export is queued."
                                  + (f" {skipped} were not awaiting approval (or not read from Procore yet) and were "
                                     "left as they are." if skipped else ""))

    @admin.action(description="Reject selected (with a reason)", permissions=["approve"])
    def reject(self, request, queryset):
        if request.POST.get("confirm") == "yes":
            try:
                rejected = approval_reject(links=list(queryset), reason=request.POST.get("reason", ""),
                                           user=request.user)
            except ApprovalError as exc:
                messages.error(request, str(exc))
            else:
                left = queryset.count() - len(rejected)
                messages.success(request, f"Rejected {len(rejected)}. The reason is kept and shown."
                                 + (f" {left} could not be rejected (already in Xero, or being written to it right "
                                    "now)." if left else ""))
                return None
        return render(request, "admin/connector/link/reject.html", {
            **self.admin_site.each_context(request), "title": "Reject exports", "links": queryset,
            "opts": self.model._meta, "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        })

    @admin.action(description="Re-send selected (rejected → queue, failed → retry)", permissions=["run"])
    def resend(self, request, queryset):
        resent = approval_resend(links=list(queryset), user=request.user)
        queued = sum(1 for link in resent if link.state == State.AWAITING_APPROVAL)
        messages.success(request, f"Re-sent {len(resent)}."
                         + (f" {queued} went back to the approval queue (they need an accountant's acceptance)."
                            if queued else ""))

    @admin.action(description="Unlink the selected companies from their Xero contacts", permissions=["approve"])
    def unlink_companies(self, request, queryset):
        done = 0
        for link in queryset:
            try:
                unlinked = unlink_vendor(link.connection, link, request.user)
            except VendorActionError as exc:
                messages.error(request, str(exc))
                continue
            done += 1
            if unlinked.warning:
                messages.warning(request, unlinked.warning)
        if done:
            messages.success(request, f"Unlinked {done}: each company and contact is listed on Company matching as "
                                      "not linked, and nothing is exported until someone links or exports it.")

    # -- tracking options nobody linked ("ready to import") ------------------------------------------
    def _each(self, request, queryset, action, verb: str) -> None:
        done = 0
        for link in queryset:
            try:
                action(link)
                done += 1
            except project_actions.ProjectActionError as exc:
                messages.error(request, str(exc))
        if done:
            messages.success(request, f"{verb} {done}.")

    @admin.action(description="Import selected options to Procore as new projects", permissions=["approve"])
    def import_as_projects(self, request, queryset):
        self._each(request, queryset, lambda l: project_actions.option_import_as_project(l, user=request.user),
                   "Created Procore projects:")

    @admin.action(description="Archive selected options (do not import)", permissions=["approve"])
    def archive_options(self, request, queryset):
        self._each(request, queryset, lambda l: project_actions.option_archive(l, user=request.user), "Archived")

    @admin.action(description="Link the selected option to an existing Procore project…", permissions=["approve"])
    def link_to_project(self, request, queryset):
        if queryset.count() != 1:
            messages.error(request, "Pick exactly one tracking option to link.")
            return None
        link = queryset.get()
        if request.POST.get("project_id"):
            self._each(request, [link], lambda l: project_actions.option_link_to_project(
                l, int(request.POST["project_id"]), user=request.user), "Linked")
            return None
        return render(request, "admin/connector/link/link_project.html", {
            **self.admin_site.each_context(request), "title": f"Link “{link.label}” to a Procore project",
            "link": link, "projects": project_actions.linkable_projects(link.connection),
            "opts": self.model._meta, "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        })


@admin.register(Decision)
class DecisionAdmin(ConnectionScoped, admin.ModelAdmin):
    """Every decision people took on records: who, when, what, why (never editable)."""

    list_display = ("decided_at", "connection", "kind", "label", "verdict", "username", "decided_on", "reason")
    list_filter = ("verdict", "kind", "connection")
    search_fields = ("label", "username", "reason", "decided_on")
    date_hierarchy = "decided_at"
    view_codename = "view_link"
