"""The approval queue as a worklist: per kind the columns an accountant decides on, the record's page with its
lines, its links in Procore and Xero, and Accept / Reject / Re-send for that one record.

Mixed into LinkAdmin (connector/admin/links.py); what a person may decide is checked per connection."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from ..models import Kind, Link
from ..record_urls import currency_of, money, procore_url, xero_url
from ..selectors import member_can
from ..services.approvals import ApprovalError, approval_accept, approval_reject, approval_resend
from ..views.access import record_permission

State = Link.State
DOCUMENTS = (Kind.COMMITMENT, Kind.CHANGE_ORDER, Kind.INVOICE, Kind.JOB_COST, Kind.PAYMENT)
# The columns an accountant decides on, per kind (the queue filtered by kind); any other view shows them all.
COLUMNS = {
    Kind.PROJECT: ("label", "state_shown", "open_in", "why", "updated_at"),
    Kind.VENDOR: ("label", "state_shown", "open_in", "why", "updated_at"),
    Kind.COST_CODE: ("label", "state_shown", "open_in", "why", "updated_at"),
    Kind.COMMITMENT: ("number", "vendor", "project", "date", "amount_shown",
                      "state_shown", "open_in", "why"),
    Kind.CHANGE_ORDER: ("number", "label", "vendor", "project", "date", "amount_shown",
                        "state_shown", "open_in", "why"),
    Kind.INVOICE: ("number", "vendor", "project", "date", "amount_shown",
                   "retention_shown", "state_shown", "open_in", "why"),
}
DECIDE = ("accept", "reject", "resend")
KIND_ACTIONS = {
    Kind.PROJECT: DECIDE + ("import_as_projects", "link_to_project", "archive_options", "job_costs_on",
                            "job_costs_off"),
    Kind.JOB_COST: DECIDE + ("job_costs_map_lines",),
    **{kind: DECIDE for kind in (Kind.VENDOR, Kind.COST_CODE, Kind.COMMITMENT, Kind.CHANGE_ORDER, Kind.INVOICE,
                                 Kind.PAYMENT)},
}
ALL_COLUMNS = ("label", "kind", "state_shown", "why", "vendor", "project", "number",
               "date", "amount_shown", "retention_shown", "open_in")


def open_links(link: Link) -> str:
    parts = [(url, name) for url, name in ((procore_url(link), "Procore"), (xero_url(link), "Xero")) if url]
    if not parts:
        return "—"
    return format_html_join(" · ", '<a href="{}" target="_blank" rel="noopener">{}</a>', parts)


class WorklistMixin:
    def get_list_display(self, request):
        return COLUMNS.get(request.GET.get("kind__exact"), ALL_COLUMNS)

    def changelist_view(self, request, extra_context=None):
        kind = request.GET.get("kind__exact")
        waiting = request.GET.get("state__exact") == State.AWAITING_APPROVAL
        what = Kind(kind).label if kind in Kind.values else "All records"
        title = f"Approval queue · {what}" if waiting else f"Records · {what}"
        return super().changelist_view(request, {"title": title, **(extra_context or {})})

    def get_actions(self, request):
        """Only the actions that fit the kind shown (tracking options and job costs have their own)."""
        actions = super().get_actions(request)
        allowed = KIND_ACTIONS.get(request.GET.get("kind__exact"))
        return actions if allowed is None else {name: a for name, a in actions.items() if name in allowed}

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("connection")

    @staticmethod
    def _amount(obj, value):
        return money(value, currency_of(obj.connection)) if value is not None else "—"

    def amount_shown(self, obj):
        return self._amount(obj, obj.amount)
    amount_shown.short_description = "Amount"
    amount_shown.admin_order_field = "amount"

    def retention_shown(self, obj):
        if obj.retention is None:
            return "—"
        percent = f" ({obj.retainage_percent.normalize():f} %)" if obj.retainage_percent is not None else ""
        return f"{self._amount(obj, obj.retention)}{percent}"
    retention_shown.short_description = "Retention"

    @admin.display(description="State", ordering="state")
    def state_shown(self, obj):
        """As the state badge, but a record found only in Xero is ready to import, not to export."""
        if obj.state == State.READY and not obj.procore_id and obj.xero_id:
            return format_html('<strong style="color:#00838f">{}</strong>', "Ready to import")
        return self.state_badge(obj)

    @admin.display(description="Number", ordering="document_number")
    def number(self, obj):
        return obj.document_number or "—"

    @admin.display(description="Vendor", ordering="vendor_name")
    def vendor(self, obj):
        return obj.vendor_name or "—"

    @admin.display(description="Project", ordering="project_name")
    def project(self, obj):
        return obj.project_name or "—"

    @admin.display(description="Date", ordering="document_date")
    def date(self, obj):
        return obj.document_date.strftime("%-d %b %Y") if obj.document_date else "—"

    def open_in(self, obj):
        return open_links(obj)
    open_in.short_description = "Open in"

    # -- the record's page -----------------------------------------------------------------------------
    DECIDED_ON = ["number", "date", "vendor", "project", "amount_shown", "retention_shown"]
    BOTH_SIDES = ["in_procore", "in_xero", "our_reference", "xero_status", "xero_total", "synced_at", "attempts",
                  "created_at", "updated_at"]

    def get_fieldsets(self, request, obj=None):
        """The page's fieldsets, with the remote side in words ("Status in Xero", not "Remote status")."""
        replaced = {"Both sides": self.BOTH_SIDES, "What is decided on": self.DECIDED_ON}
        fieldsets = []
        for name, options in super().get_fieldsets(request, obj):
            fields = replaced.get(name) or [f for f in options["fields"] if f != "decision_history"]  # summary has it
            fieldsets.append((name, {**options, "fields": fields}))
        return fieldsets

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), *self.DECIDED_ON, *self.BOTH_SIDES]

    @admin.display(description="Procore record")
    def in_procore(self, obj):
        return _opened_in(obj.procore_id, procore_url, obj) or "Not in Procore"

    @admin.display(description="Xero record")
    def in_xero(self, obj):
        return _opened_in(obj.xero_id, xero_url, obj) or "Not in Xero yet"

    @admin.display(description="Our number on the remote side")
    def our_reference(self, obj):
        return obj.reference or "—"

    @admin.display(description="Status in Xero")
    def xero_status(self, obj):
        return obj.remote_status.capitalize() if obj.remote_status else "—"

    @admin.display(description="Total in Xero")
    def xero_total(self, obj):
        return self._amount(obj, obj.remote_total)

    def get_urls(self):
        decide = record_permission(Link, "view_link", post="view_link")(self.decide_view)  # the verdict's own below
        return [path("<int:pk>/decide/", self.admin_site.admin_view(decide),
                     name="connector_link_decide")] + super().get_urls()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        link = self.get_object(request, object_id)
        if link is not None:
            extra_context = {**(extra_context or {}), **self.record_context(request, link)}
        return super().change_view(request, object_id, form_url, extra_context)

    def record_context(self, request, link: Link) -> dict:
        currency = currency_of(link.connection)
        snapshot_lines = {str(line.get("id")): line for line in (link.procore_snapshot.get("lines") or [])
                          if isinstance(line, dict)}
        lines = []
        for line in link.lines.all():
            seen = snapshot_lines.get(line.procore_line_id, {})
            amount = line.amount if line.amount is not None else seen.get("amount")
            lines.append({"position": line.position + 1, "description": seen.get("description", ""),
                          "item_code": line.item_code or "—",
                          "amount": money(amount, currency) if amount is not None else "",
                          "in_xero": "Yes" if line.xero_line_id else "Not yet"})
        can_decide = member_can(request.user, link.connection, "approve_exports")
        can_run = member_can(request.user, link.connection, "run_sync")
        return {
            "record": link, "record_lines": lines, "record_is_document": link.kind in DOCUMENTS,
            "record_amount": money(link.amount, currency) if link.amount is not None else "",
            "record_retention": self.retention_shown(link) if link.retention is not None else "",
            "record_remote_total": money(link.remote_total, currency) if link.remote_total is not None else "",
            "record_procore_url": procore_url(link), "record_xero_url": xero_url(link),
            "record_decisions": [d.in_words for d in link.decisions.order_by("decided_at", "id")],
            "can_accept": can_decide and link.state == State.AWAITING_APPROVAL and bool(link.content_fingerprint),
            "can_reject": can_decide and link.state in (State.AWAITING_APPROVAL, State.READY, State.WAITING,
                                                        State.FAILED),
            "can_resend": can_run and link.state in (State.REJECTED, State.FAILED),
            "decide_url": reverse("admin:connector_link_decide", args=[link.pk]),
        }

    def decide_view(self, request, pk):
        link = get_object_or_404(Link.objects.select_related("connection"), pk=pk)
        back = reverse("admin:connector_link_change", args=[link.pk])
        if request.method != "POST":
            return redirect(back)
        verdict = request.POST.get("verdict")
        needed = "run_sync" if verdict == "resend" else "approve_exports"
        if not member_can(request.user, link.connection, needed):
            raise PermissionDenied
        if verdict == "accept":
            done = approval_accept(links=[link], user=request.user)
            word = "Accepted; its export to Xero is queued." if done else (
                "Not accepted: it is no longer awaiting approval, or not read from Procore yet.")
        elif verdict == "reject":
            try:
                done = approval_reject(links=[link], reason=request.POST.get("reason", ""), user=request.user)
            except ApprovalError as exc:
                messages.error(request, str(exc))
                return redirect(back)
            word = "Rejected. The reason is kept and shown to the project team." if done else (
                "Not rejected: it is already in Xero or being written to it right now.")
        elif verdict == "resend":
            done = approval_resend(links=[link], user=request.user)
            word = "Re-sent." if done else "Not re-sent: only rejected or failed records can be re-sent."
        else:
            return redirect(back)
        (messages.success if done else messages.warning)(request, f"{link.label}: {word}")
        return redirect(back)


def _opened_in(remote_id: str, url_of, obj):
    """The remote id, as a link that opens the record on its platform when its address is known."""
    if not remote_id:
        return ""
    url = url_of(obj)
    return format_html('<a href="{}" target="_blank" rel="noopener">{}</a>', url, remote_id) if url else remote_id
