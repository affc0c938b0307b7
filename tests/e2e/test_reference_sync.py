"""The reference data end to end on a real Celery worker: a full sync creates exactly what it should,
a second run writes nothing, and an incremental run picks up a renamed cost code and a closed project."""

from collections import Counter

import pytest
import requests

from connector.clients import procore_client_for
from connector.models import Kind, Link, SyncRun
from connector.services.approvals import approval_accept
from connector.services.projects import option_import_as_project
from connector.services.vendors import export_vendor, import_contact, link_suggested_all, unlinked_companies
from sync.tasks import sync_scope_task
from tests.workers import scope_to_end, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
State = Link.State


def data(server, resource, tenant=None):
    rows = requests.get(f"{server.url}/_sandbox/data/{resource}", timeout=10).json()
    return [r for r in rows if tenant is None or r.get("_tenant") == tenant]



def company_sync(connection):
    return scope_to_end(sync_scope_task.delay(connection.pk, "company", "manual"))


def written_since(connection, started_after):
    runs = SyncRun.objects.filter(connection=connection, pk__gt=started_after)
    return sum(r.created + r.updated for r in runs), runs.count()


def test_full_sync_then_nothing_then_the_changes(sandbox_settings, connection, celery_worker_process,
                                                 procore_sandbox, xero_sandbox):
    tenant = connection.xero_tenant_id
    for server in (procore_sandbox, xero_sandbox):  # counting calls, not waiting out limits
        requests.post(f"{server.url}/_sandbox/faults", json={"rate_limits": False}, timeout=5)
    procore = procore_client_for(connection)
    new_project = procore.create_project({"name": "Mesa Parking Garage", "project_number": "26-501"})

    assert company_sync(connection) == {"cost_code": "partial", "project": "succeeded", "vendor": "succeeded"}
    # What people decide: accept the new project, link the suggested companies, export one, import one.
    project_link = Link.objects.get(connection=connection, kind=Kind.PROJECT, procore_id=str(new_project["id"]))
    approval_accept(links=[project_link])
    link_suggested_all(connection)
    procore_only, xero_only = unlinked_companies(connection)
    exported, imported = procore_only[0], xero_only[0]
    export_vendor([exported])
    approval_accept(links=[Link.objects.get(pk=exported.pk)])
    import_contact([imported])
    option = Link.objects.filter(connection=connection, kind=Kind.PROJECT, procore_id="", state=State.READY).first()
    option_import_as_project(option)
    assert wait_for(lambda: Link.objects.get(pk=project_link.pk).state == State.SYNCED)
    assert wait_for(lambda: Link.objects.get(pk=exported.pk).state == State.SYNCED)
    assert wait_for(lambda: Link.objects.get(pk=imported.pk).state == State.SYNCED)
    company_sync(connection)

    # Exactly the expected records on both sides.
    items = Counter(i["Code"] for i in data(xero_sandbox, "Items", tenant))
    synced_items = Link.objects.filter(connection=connection, kind=Kind.COST_CODE, state=State.SYNCED)
    assert set(items) == set(synced_items.values_list("label", flat=True)) and max(items.values()) == 1
    assert Link.objects.filter(connection=connection, kind=Kind.COST_CODE, state=State.FAILED).count() == 3
    job = next(c for c in data(xero_sandbox, "TrackingCategories", tenant) if c["Name"] == "Job")
    assert Counter(o["Name"] for o in job["Options"])["26-501 Mesa Parking Garage"] == 1
    contacts = data(xero_sandbox, "Contacts", tenant)
    assert [c["Name"] for c in contacts if c.get("ContactNumber") == str(Link.objects.get(pk=exported.pk).procore_id)]
    assert len({c["Name"].lower() for c in contacts}) == len(contacts)
    projects = {p["origin_id"]: p for p in data(procore_sandbox, "projects") if p.get("origin_id")}
    assert option.xero_id in projects
    vendors = [v for v in data(procore_sandbox, "vendors") if v.get("origin_id") == imported.xero_id]
    assert len(vendors) == 1

    # A second run writes nothing.
    last = SyncRun.objects.filter(connection=connection).order_by("-pk").first().pk
    company_sync(connection)
    assert written_since(connection, last) == (0, 3)

    # An incremental run picks up a renamed cost code and a closed project.
    code_list = next(l for l in procore.standard_cost_code_lists() if l.get("is_erp_list"))
    code = procore.standard_cost_codes(code_list["id"], {"view": "extended"})[0]
    procore.sync_standard_cost_codes(code_list["id"], [{"id": code["id"], "name": "Temporary facilities"}])
    procore.update_project(new_project["id"], {"active": False})
    company_sync(connection)
    renamed = {i["Name"] for i in data(xero_sandbox, "Items", tenant) if i["Code"].startswith(code["full_code"] + ".")}
    assert renamed == {"Temporary facilities"}
    job = next(c for c in data(xero_sandbox, "TrackingCategories", tenant) if c["Name"] == "Job")
    assert {o["Name"]: o["Status"] for o in job["Options"]}["26-501 Mesa Parking Garage"] == "ARCHIVED"
