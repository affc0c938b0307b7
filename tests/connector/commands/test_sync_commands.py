"""`manage.py sync` and `manage.py approvals`, as a scripted user runs them."""

from io import StringIO

import pytest
import requests
from django.core.management import call_command
from django.core.management.base import CommandError

from connector.clients import procore_client_for
from connector.models import Kind, Link, SyncRun

pytestmark = pytest.mark.django_db


def run(*args):
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue()


def test_dry_run_lists_what_would_happen_and_writes_nothing(connection, xero_sandbox):
    before = requests.get(f"{xero_sandbox.url}/_sandbox/stats", timeout=5).json()["calls"]
    output = run("sync", "--kind", "cost_code", "--dry-run")
    after = requests.get(f"{xero_sandbox.url}/_sandbox/stats", timeout=5).json()["calls"]
    assert "Preview (nothing written)" in output and "Would be created in Xero" in output
    assert not [call for call in after if call.startswith(("PUT", "POST")) and after[call] != before.get(call)]
    assert not Link.objects.filter(kind=Kind.COST_CODE, state=Link.State.SYNCED).exists()


def test_sync_prints_a_summary_with_the_failures_explained(connection):
    output = run("sync", "--kind", "cost_code")
    assert "Summary:" in output and "Finished with failures" in output
    assert "FAILED 99-9000-EXTENDED-WARRANTY-WRK.L" in output and "Xero allows 30" in output


def test_unknown_kind_is_a_clear_error(connection):
    with pytest.raises(CommandError, match="unknown kind"):
        run("sync", "--kind", "timesheets")


def test_approvals_list_accept_and_reject_from_the_shell(connection, django_capture_on_commit_callbacks):
    procore = procore_client_for(connection)
    first = procore.create_project({"name": "Spokane Bridge Repair", "project_number": "26-601"})
    second = procore.create_project({"name": "Boise Library", "project_number": "26-602"})
    run("sync", "--kind", "project")
    listing = run("approvals", "list", "--kind", "project")
    assert "26-601 Spokane Bridge Repair" in listing and "2 awaiting approval" in listing

    with pytest.raises(CommandError, match="reason"):
        run("approvals", "reject", str(Link.objects.get(procore_id=str(second["id"])).pk))
    run("approvals", "reject", str(Link.objects.get(procore_id=str(second["id"])).pk), "--reason", "Duplicate")
    with django_capture_on_commit_callbacks(execute=True):
        assert "Accepted 1." in run("approvals", "accept", "--all", "--kind", "project")
    assert Link.objects.get(procore_id=str(first["id"])).state == Link.State.SYNCED
    rejected = Link.objects.get(procore_id=str(second["id"]))
    assert (rejected.state, rejected.rejected_reason) == (Link.State.REJECTED, "Duplicate")
    assert SyncRun.objects.filter(kind=Kind.PROJECT).count() >= 2
