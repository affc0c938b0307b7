"""Per project choices for job costs: the opt-in (Procore's "enable job cost transaction syncing") and how Xero
lines without a usable Item code map to a cost code × cost type. Only people change them; runs only read."""

from __future__ import annotations

from django.db import transaction

from ..models import AuditEntry, CostCodeMapping, Kind, Link, ProjectSettings, SyncCursor
from .audit import audit_links

CODE_MAX = 64


class ProjectSettingError(ValueError):
    pass


def project_settings_for(link: Link) -> ProjectSettings:
    return ProjectSettings.objects.get_or_create(connection_id=link.connection_id,
                                                 procore_project_id=link.procore_id)[0]


def job_costs_enable(link: Link, enabled: bool, *, user=None) -> ProjectSettings:
    """Switch job cost import on or off for one synced project.

    Switching on forgets the job cost read positions so the next run reads Xero spend from the start:
    documents read while the project was off were skipped, and writes are keyed so re-reading is safe.
    """
    if link.kind != Kind.PROJECT:
        raise ProjectSettingError("Job costs are switched on per project.")
    if enabled and (link.state != Link.State.SYNCED or not link.xero_id or not link.procore_id):
        raise ProjectSettingError(f"“{link.label}” is not synced with a Xero tracking option yet; "
                                  "accept and export the project first.")
    with transaction.atomic():
        settings = project_settings_for(link)
        settings = ProjectSettings.objects.select_for_update().get(pk=settings.pk)
        was = settings.job_costs_enabled
        settings.job_costs_enabled, settings.updated_by = bool(enabled), user if getattr(user, "pk", None) else None
        settings.save(update_fields=["job_costs_enabled", "updated_by", "updated_at"])
        if enabled and not was:
            SyncCursor.objects.filter(connection_id=link.connection_id, kind=Kind.JOB_COST).delete()
        audit_links(user=user, action=AuditEntry.Action.JOB_COSTS, links=[link],
                    verb="Job cost import switched " + ("on" if enabled else "off") + " for")
    return settings


def job_costs_map(link: Link, key: str, item_code: str, *, user=None) -> CostCodeMapping:
    """Map what an unmapped Xero line carries (`key`: its Item code, or "account 510") to a Procore
    cost code × cost type, written as its Xero Item code ("01-100.L"). The next run imports it."""
    key, item_code = key.strip(), item_code.strip()
    if link.kind != Kind.PROJECT:
        raise ProjectSettingError("Mappings are kept per project.")
    if not key or "." not in item_code or len(item_code) > CODE_MAX or len(key) > CODE_MAX:
        raise ProjectSettingError("Give the Xero code and a cost code with its cost type, like “01-100.L”.")
    settings = project_settings_for(link)
    mapping, _ = CostCodeMapping.objects.update_or_create(
        project=settings, xero_code=key,
        defaults={"item_code": item_code, "created_by": user if getattr(user, "pk", None) else None})
    return mapping


def job_costs_map_waiting(link: Link, item_code: str, *, user=None) -> list[str]:
    """Map every unmapped line key of one waiting job cost record onto its project; returns the keys."""
    unmapped = link.engine_data.get("unmapped") or []
    if link.kind != Kind.JOB_COST or link.state != Link.State.FAILED or not unmapped:
        raise ProjectSettingError(f"“{link.label}” is not waiting for a cost code.")
    project = Link.objects.filter(connection_id=link.connection_id, kind=Kind.PROJECT,
                                  procore_id=str(link.project_id)).first()
    if project is None:
        raise ProjectSettingError(f"The project of “{link.label}” is no longer linked.")
    for key in unmapped:
        job_costs_map(project, key, item_code, user=user)
    audit_links(user=user, action=AuditEntry.Action.JOB_COSTS, links=[link],
                verb=f"Mapped {', '.join(unmapped)} to {item_code} for")
    return list(unmapped)


def job_cost_projects(connection) -> dict[str, tuple[bool, dict[str, str]]]:
    """Procore project id → (job costs on, {Xero code: item code}) for every project with settings."""
    out = {}
    for settings in ProjectSettings.objects.filter(connection=connection).prefetch_related("mappings"):
        out[settings.procore_project_id] = (settings.job_costs_enabled,
                                            {m.xero_code: m.item_code for m in settings.mappings.all()})
    return out
