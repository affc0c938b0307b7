"""Job costs from the records list: switch Xero job cost import on or off for selected synced projects
(Procore's "enable job cost transaction syncing"), and map the unmapped lines of waiting job cost records
to a cost code × cost type typed next to the action. The actions only call the services."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm

from ..models import Kind
from ..services.project_settings import ProjectSettingError, job_costs_enable, job_costs_map_waiting
from .links import LinkAdmin


def _switch(request, queryset, enabled: bool) -> None:
    done, refused = [], []
    for link in queryset.filter(kind=Kind.PROJECT):
        try:
            job_costs_enable(link, enabled, user=request.user)
            done.append(link.label)
        except ProjectSettingError as exc:
            refused.append(str(exc))
    if done:
        state = "on" if enabled else "off"
        messages.success(request, f"Job cost import is {state} for {len(done)} project(s)."
                         + (" The next job cost sync reads Xero spend from the start." if enabled else ""))
    for reason in refused:
        messages.warning(request, reason)
    if not done and not refused:
        messages.warning(request, "Select projects (records of kind “Project ⇄ Tracking option”).")


@admin.action(description="Job costs: import Xero spend for selected projects", permissions=["approve"])
def job_costs_on(modeladmin, request, queryset):
    _switch(request, queryset, True)


@admin.action(description="Job costs: stop importing for selected projects", permissions=["approve"])
def job_costs_off(modeladmin, request, queryset):
    _switch(request, queryset, False)


@admin.action(description="Job costs: map unmapped lines to the cost code typed", permissions=["approve"])
def job_costs_map_lines(modeladmin, request, queryset):
    code = (request.POST.get("item_code") or "").strip()
    if not code:
        messages.warning(request, "Type the cost code and cost type (like “01-100.L”) next to the action.")
        return
    for link in queryset.filter(kind=Kind.JOB_COST):
        try:
            keys = job_costs_map_waiting(link, code, user=request.user)
        except ProjectSettingError as exc:
            messages.warning(request, str(exc))
            continue
        messages.success(request, f"{', '.join(keys)} → {code} for the project of “{link.label}”; "
                                  "the next job cost sync imports it.")


class JobCostActionForm(ActionForm):
    item_code = forms.CharField(required=False, label="Cost code and cost type", max_length=30,
                                widget=forms.TextInput(attrs={"placeholder": "like 01-100.L"}))


LinkAdmin.actions = [*LinkAdmin.actions, job_costs_on, job_costs_off, job_costs_map_lines]
LinkAdmin.action_form = JobCostActionForm
