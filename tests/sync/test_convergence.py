"""Under injected faults (lost answers, server errors) repeated runs converge with no duplicates."""

from collections import Counter

import pytest
import requests

from connector.clients import procore_client_for
from connector.models import Kind, Link
from connector.services.approvals import approval_accept
from sync.services import sync_kind_run

FAULTS = {"drop_after_commit_rate": 0.3, "error_rate": 0.2, "seed": 7}


def data(server, resource):
    return requests.get(f"{server.url}/_sandbox/data/{resource}", timeout=10).json()


def converge(connection, kind, settled, rounds=12):
    for _ in range(rounds):
        sync_kind_run(connection_id=connection.pk, kind=kind)
        if settled():
            return True
    return False


@pytest.mark.django_db
def test_items_and_options_converge_without_duplicates(connection, procore_sandbox, xero_sandbox,
                                                      django_capture_on_commit_callbacks):
    procore = procore_client_for(connection)
    names = [f"26-4{n:02d} Chaos Tower {n}" for n in range(6)]
    for n, name in enumerate(names):
        procore.create_project({"name": f"Chaos Tower {n}", "project_number": f"26-4{n:02d}"})
    sync_kind_run(connection_id=connection.pk, kind=Kind.PROJECT)
    queued = Link.objects.filter(connection=connection, kind=Kind.PROJECT, state=Link.State.AWAITING_APPROVAL)
    approval_accept(links=list(queued))  # ready; exported by the runs below

    for server in (procore_sandbox, xero_sandbox):
        requests.post(f"{server.url}/_sandbox/faults", json=FAULTS, timeout=5).raise_for_status()
    links = Link.objects.filter(connection=connection)

    def settled(kind):
        return lambda: not links.filter(kind=kind, state__in=[Link.State.EXPORTING, Link.State.READY])\
            .exclude(procore_id="").exists()

    assert converge(connection, Kind.COST_CODE, settled(Kind.COST_CODE))
    assert converge(connection, Kind.PROJECT, settled(Kind.PROJECT))
    for server in (procore_sandbox, xero_sandbox):
        requests.post(f"{server.url}/_sandbox/faults", json={"error_rate": 0, "drop_after_commit_rate": 0}, timeout=5)
    stats = requests.get(f"{xero_sandbox.url}/_sandbox/stats", timeout=5).json()
    assert stats["drops_injected"] and stats["errors_injected"], "the faults really happened"

    items = [i["Code"] for i in data(xero_sandbox, "Items") if i["_tenant"] == connection.xero_tenant_id]
    assert not [code for code, n in Counter(items).items() if n > 1], "no item twice"
    synced_items = links.filter(kind=Kind.COST_CODE, state=Link.State.SYNCED)
    assert sorted(items) == sorted(synced_items.values_list("label", flat=True))

    job = next(c for c in data(xero_sandbox, "TrackingCategories")
               if c["Name"] == "Job" and c["_tenant"] == connection.xero_tenant_id)
    options = Counter(o["Name"] for o in job["Options"])
    assert all(options[name] == 1 for name in names), options
    synced = links.filter(kind=Kind.PROJECT, state=Link.State.SYNCED).exclude(procore_id="")
    assert synced.count() == len(names)
    origin_ids = {p["id"]: p["origin_id"] for p in data(procore_sandbox, "projects")}
    assert all(origin_ids[int(link.procore_id)] == link.xero_id for link in synced)
