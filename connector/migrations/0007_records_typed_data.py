"""Move what links kept in one JSON blob (`data`) into typed fields, decisions, project settings and lines."""

from decimal import Decimal, InvalidOperation

from django.db import migrations

LEGACY_ACCEPTED = "legacy-accepted"  # accepted before contents were fingerprinted: stands for any content
PREREQUISITES = {"vendor": "vendor", "project": "project", "commitment": "commitment", "cost_code": "cost_code"}


def _money(value):
    try:
        return Decimal(str(value)).quantize(Decimal("0.01")) if value not in (None, "") else None
    except (InvalidOperation, ValueError):
        return None


def forwards(apps, schema_editor):
    Link = apps.get_model("connector", "Link")
    LinkLine = apps.get_model("connector", "LinkLine")
    Decision = apps.get_model("connector", "Decision")
    ProjectSettings = apps.get_model("connector", "ProjectSettings")
    CostCodeMapping = apps.get_model("connector", "CostCodeMapping")
    for link in Link.objects.exclude(data={}).iterator(chunk_size=500):
        data = dict(link.data or {})
        engine, lines = {}, []
        link.project_id = str(data.get("project") or data.get("project_id") or "")
        link.source_list = str(data.get("list") or data.get("kind") or "")
        link.parent_id = str(data.get("commitment_id") or data.get("contract_id") or "")
        if link.state == "failed" and data.get("waiting"):
            wait = data.get("wait_for") or ["", ""]
            link.state = "waiting"
            link.waiting_for_kind, link.waiting_for_id = PREREQUISITES.get(wait[0], ""), str(wait[1])
        decided = {"connection_id": link.connection_id, "link": link, "kind": link.kind, "label": link.label,
                   "username": data.get("decided_by") or ""}
        if data.get("decision") == "accepted":
            link.approved_fingerprint = LEGACY_ACCEPTED
            Decision.objects.create(verdict="accepted", state_after="ready", **decided)
        elif data.get("decision") == "rejected":
            Decision.objects.create(verdict="rejected", reason=link.rejected_reason, state_after="rejected",
                                    **decided)
        for verb, verdict in (("linked", "linked"), ("export", "export_asked"), ("import", "import_asked"),
                              ("archive", "archived")):
            who = data.get(f"{verb}_by")
            if who is not None:
                Decision.objects.create(connection_id=link.connection_id, link=link, kind=link.kind,
                                        label=link.label, verdict=verdict, username=who,
                                        reason=data.get("linked_rule", "") if verb == "linked" else "")
        if link.kind == "vendor":
            link.procore_snapshot, link.xero_snapshot = data.get("procore") or {}, data.get("xero") or {}
            link.requested = data.get("action") or ""
        elif link.kind == "project":
            link.procore_snapshot = {k: data[k] for k in ("name", "number", "active", "created_at", "updated_at")
                                     if k in data}
            if data.get("stamp"):
                engine["stamp"] = data["stamp"]
            if data.get("job_costs_enabled") or data.get("job_cost_map"):
                settings = ProjectSettings.objects.create(connection_id=link.connection_id,
                                                          procore_project_id=link.procore_id,
                                                          job_costs_enabled=bool(data.get("job_costs_enabled")))
                for key, code in (data.get("job_cost_map") or {}).items():
                    CostCodeMapping.objects.create(project=settings, xero_code=key, item_code=code)
        elif link.kind == "commitment":
            order = data.get("line_order") or sorted(set(data.get("lines") or {}) | set(data.get("items") or {}))
            for position, line_id in enumerate(order):
                lines.append(LinkLine(link=link, procore_line_id=str(line_id), position=position,
                                      xero_line_id=(data.get("lines") or {}).get(str(line_id), ""),
                                      item_code=(data.get("items") or {}).get(str(line_id), "")))
            engine.update({k: data[k] for k in ("tracking", "contact_id") if k in data})
            link.remote_status = data.get("po_status") or ""
            link.refused_fingerprint = data.get("refused") or ""
        elif link.kind == "change_order":
            for position, (key, line_id) in enumerate((data.get("lines") or {}).items()):
                lines.append(LinkLine(link=link, procore_line_id=str(key), xero_line_id=str(line_id),
                                      position=position))
        elif link.kind == "invoice":
            link.remote_status = data.get("status") or ""
            link.remote_total = _money(data.get("total"))
        elif link.kind == "job_cost":
            link.xero_snapshot = data.get("document") or {}
            engine["unmapped"] = data.get("unmapped") or []
            for position, (origin, line_id) in enumerate((data.get("lines") or {}).items()):
                lines.append(LinkLine(link=link, procore_line_id=str(line_id), xero_line_id=str(origin),
                                      position=position))
        elif link.kind == "payment":
            link.xero_snapshot = data.get("payment") or {}
            target = data.get("target") or {}
            if target:
                engine["target"] = target
                link.project_id, link.parent_id = str(target.get("project_id", "")), str(target.get("contract_id", ""))
        link.engine_data = engine
        link.save()
        LinkLine.objects.bulk_create(lines)


class Migration(migrations.Migration):
    dependencies = [("connector", "0006_records_typed")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
