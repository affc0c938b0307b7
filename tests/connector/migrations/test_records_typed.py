"""An upgrade keeps what links held in their old JSON blob: decisions, project settings, lines, waiting records."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE, AFTER = [("connector", "0006_records_typed")], [("connector", "0008_records_drop_data")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture
def back_to_latest():
    """Leave the database at the latest migration (a later migration may drop tables of the old state)."""
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_the_old_blob_becomes_typed_data(back_to_latest):
    old = migrate(BEFORE)
    Connection, Link = old.get_model("connector", "Connection"), old.get_model("connector", "Link")
    conn = Connection.objects.create(procore_company_id=1, xero_tenant_id="t", status="active")
    Link.objects.create(connection=conn, kind="commitment", procore_id="81", state="failed", label="SC-1",
                        data={"waiting": True, "wait_for": ["vendor", "31"], "project": "28",
                              "list": "work_order_contracts"})
    Link.objects.create(connection=conn, kind="commitment", procore_id="82", state="synced", xero_id="po-1",
                        data={"decision": "accepted", "decided_by": "ann", "kind": "work_order_contracts",
                              "line_order": ["1", "2"], "lines": {"1": "li-1", "2": "li-2"},
                              "items": {"1": "01-100.L", "2": "02-200.M"}, "tracking": [{"TrackingOptionID": "o"}]})
    Link.objects.create(connection=conn, kind="project", procore_id="28", state="synced", xero_id="opt",
                        data={"name": "Library", "job_costs_enabled": True, "job_cost_map": {"account 520": "01-100.L"}})
    Link.objects.create(connection=conn, kind="invoice", procore_id="36", state="rejected", rejected_reason="No",
                        data={"decision": "rejected", "decided_by": "bob", "project_id": 28, "commitment_id": 82,
                              "status": "DRAFT", "total": "10.5"})

    new = migrate(AFTER)
    Link, Decision = new.get_model("connector", "Link"), new.get_model("connector", "Decision")
    waiting = Link.objects.get(procore_id="81")
    assert (waiting.state, waiting.waiting_for_kind, waiting.waiting_for_id, waiting.project_id,
            waiting.source_list) == ("waiting", "vendor", "31", "28", "work_order_contracts")
    accepted = Link.objects.get(procore_id="82")
    assert accepted.approved_fingerprint == "legacy-accepted" and accepted.engine_data["tracking"]
    lines = new.get_model("connector", "LinkLine").objects.filter(link=accepted).order_by("position")
    assert [(l.procore_line_id, l.xero_line_id, l.item_code) for l in lines] == [
        ("1", "li-1", "01-100.L"), ("2", "li-2", "02-200.M")]
    assert Decision.objects.get(link=accepted).username == "ann"
    rejected = Link.objects.get(procore_id="36")
    assert (rejected.parent_id, rejected.remote_status, str(rejected.remote_total)) == ("82", "DRAFT", "10.50")
    assert Decision.objects.get(link=rejected).reason == "No"
    settings = new.get_model("connector", "ProjectSettings").objects.get(procore_project_id="28")
    assert settings.job_costs_enabled and settings.mappings.get().item_code == "01-100.L"


@pytest.mark.django_db(transaction=True)
def test_the_people_emailed_about_a_connection_become_its_company_admins(back_to_latest):
    old = migrate([("connector", "0009_memberships_and_audit")])
    Connection, User = old.get_model("connector", "Connection"), old.get_model("auth", "User")
    Group = old.get_model("auth", "Group")
    conn = Connection.objects.create(procore_company_id=1, xero_tenant_id="t", status="active")
    ada = User.objects.create(username="ada", email="ada@builder.test")
    conn.admins.add(ada)
    Group.objects.create(name="Accountant").user_set.add(ada)

    new = migrate([("connector", "0010_roles_per_connection")])
    Membership = new.get_model("connector", "Membership")
    assert list(Membership.objects.values_list("connection_id", "user__username", "role")) == [
        (conn.pk, "ada", "company_admin")]
    assert not new.get_model("auth", "Group").objects.filter(name="Accountant").exists()
