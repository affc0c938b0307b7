"""Per project choices for job costs, kept on the project's link: the opt-in (Procore's "enable job cost
transaction syncing") and how Xero lines without a usable Item code map to a cost code × cost type."""

from __future__ import annotations

from django.db import transaction

from connector.models import Kind, Link, SyncCursor


class JobCostSettingError(ValueError):
    pass


def job_costs_enable(link: Link, enabled: bool) -> Link:
    """Switch job cost import on or off for one synced project.

    Switching on forgets the job cost read positions so the next run reads Xero spend from the start:
    documents read while the project was off were skipped, and writes are keyed so re-reading is safe.
    """
    if link.kind != Kind.PROJECT:
        raise JobCostSettingError("Job costs are switched on per project.")
    if enabled and (link.state != Link.State.SYNCED or not link.xero_id or not link.procore_id):
        raise JobCostSettingError(f"“{link.label}” is not synced with a Xero tracking option yet; "
                                  "accept and export the project first.")
    with transaction.atomic():
        link = Link.objects.select_for_update().get(pk=link.pk)
        was = bool(link.data.get("job_costs_enabled"))
        link.data = {**link.data, "job_costs_enabled": bool(enabled)}
        link.save(update_fields=["data", "updated_at"])
        if enabled and not was:
            SyncCursor.objects.filter(connection_id=link.connection_id, kind=Kind.JOB_COST).delete()
    return link


def job_costs_map(link: Link, key: str, item_code: str) -> Link:
    """Map what an unmapped Xero line carries (`key`: its Item code, or "account 510") to a Procore
    cost code × cost type, written as its Xero Item code ("01-100.L"). The next run imports it."""
    key, item_code = key.strip(), item_code.strip()
    if link.kind != Kind.PROJECT:
        raise JobCostSettingError("Mappings are kept per project.")
    if not key or "." not in item_code:
        raise JobCostSettingError("Give the Xero code and a cost code with its cost type, like “01-100.L”.")
    with transaction.atomic():
        link = Link.objects.select_for_update().get(pk=link.pk)
        link.data = {**link.data, "job_cost_map": {**link.data.get("job_cost_map", {}), key: item_code}}
        link.save(update_fields=["data", "updated_at"])
    return link


def job_costs_map_waiting(link: Link, item_code: str) -> list[str]:
    """Map every unmapped line key of one waiting job cost record onto its project; returns the keys."""
    if link.kind != Kind.JOB_COST or link.state != Link.State.FAILED or not link.data.get("unmapped"):
        raise JobCostSettingError(f"“{link.label}” is not waiting for a cost code.")
    project = Link.objects.filter(connection_id=link.connection_id, kind=Kind.PROJECT,
                                  procore_id=str(link.data.get("project_id"))).first()
    if project is None:
        raise JobCostSettingError(f"The project of “{link.label}” is no longer linked.")
    for key in link.data["unmapped"]:
        project = job_costs_map(project, key, item_code)
    return list(link.data["unmapped"])
