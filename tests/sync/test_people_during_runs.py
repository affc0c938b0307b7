"""People act while runs go on: an accountant's decision and a person's settings always win over a run in flight.

Each race is driven at a fixed point of the run (a hook), never by timing."""

import pytest

import sync.objects.commitments as commitments_module
import sync.objects.projects as projects_module
from connector.clients import procore_client_for
from connector.models import Kind, Link, ProjectSettings
from connector.services.approvals import approval_accept, approval_reject, approval_resend
from connector.services.project_settings import job_cost_projects, job_costs_enable
from sync.services import sync_kind_run
from tests.committed import committed
from tests.factories import UserFactory
from tests.sync.objects.test_commitments import SC1, financial_prerequisites, purchase_orders, set_settings

State = Link.State


@pytest.fixture
def prerequisites(connection, procore_sandbox, xero_sandbox):
    financial_prerequisites(connection, procore_sandbox)
    yield connection


def commitment(connection, procore_id=SC1) -> Link:
    return Link.objects.get(connection=connection, kind=Kind.COMMITMENT, procore_id=str(procore_id))


@pytest.mark.django_db
def test_a_rejection_made_while_the_export_run_goes_is_never_overridden(prerequisites, xero_sandbox, monkeypatch):
    connection, accountant = prerequisites, UserFactory(username="carol")
    sync_kind_run(connection_id=connection.pk, kind=Kind.COMMITMENT)  # the queue fills
    queued = list(Link.objects.filter(connection=connection, kind=Kind.COMMITMENT, state=State.AWAITING_APPROVAL))
    approval_accept(links=queued, user=accountant)  # "Accept all" (its follow-up run is the one below)
    real_export = commitments_module.export

    def reject_first(run, **kwargs):
        # The run has judged every record (its copies say "ready") and is about to write them: the accountant
        # rejects one of them at exactly this moment.
        if kwargs["candidates"]:
            approval_reject(links=[commitment(connection)], reason="Wrong retainage", user=accountant)
        return real_export(run, **kwargs)

    monkeypatch.setattr(commitments_module, "export", reject_first)
    run = sync_kind_run(connection_id=connection.pk, kind=Kind.COMMITMENT)

    rejected = commitment(connection)
    assert (rejected.state, rejected.rejected_reason, rejected.xero_id) == (State.REJECTED, "Wrong retainage", "")
    assert "SC-0001" not in {po.get("PurchaseOrderNumber") for po in purchase_orders(xero_sandbox, connection)}
    assert run.created == len(queued) - 1
    assert "Rejected by carol while this run was going" in run.records.get(link=rejected).message
    assert [d.verdict for d in rejected.decisions.order_by("decided_at", "id")] == ["accepted", "rejected"]

    monkeypatch.setattr(commitments_module, "export", real_export)
    sync_kind_run(connection_id=connection.pk, kind=Kind.COMMITMENT)  # later runs leave it rejected too
    assert commitment(connection).state == State.REJECTED


@pytest.mark.django_db
def test_re_sending_a_refused_commitment_goes_through_the_queue_when_approvals_are_on(prerequisites, xero_sandbox):
    connection = prerequisites
    set_settings(connection, approve_commitments=False, purchase_account_code="999")  # Xero refuses this account
    sync_kind_run(connection_id=connection.pk, kind=Kind.COMMITMENT)
    refused = commitment(connection)
    assert refused.state == State.FAILED and "account" in refused.last_error.lower()

    # The company switches approvals on and fixes the account; someone with only the run-sync role re-sends.
    set_settings(connection, approve_commitments=True, purchase_account_code="500")
    with committed():
        [resent] = approval_resend(links=[refused], user=UserFactory(username="runner"))
    assert resent.state == State.AWAITING_APPROVAL
    assert commitment(connection).state == State.AWAITING_APPROVAL, "the follow-up run did not export it"
    assert "SC-0001" not in {po.get("PurchaseOrderNumber") for po in purchase_orders(xero_sandbox, connection)}

    with committed():
        approval_accept(links=[resent], user=UserFactory(username="accountant"))
    assert commitment(connection).state == State.SYNCED  # accepted now: exported by the follow-up run


@pytest.mark.django_db
def test_a_job_cost_switch_made_while_the_project_run_goes_is_not_reverted(connection, procore_sandbox, xero_sandbox,
                                                                          monkeypatch):
    project = procore_client_for(connection).create_project({"name": "Depot", "project_number": "26-200"})
    sync_kind_run(connection_id=connection.pk, kind=Kind.PROJECT)
    link = Link.objects.get(connection=connection, kind=Kind.PROJECT, procore_id=str(project["id"]))
    with committed():
        approval_accept(links=[link])
    link.refresh_from_db()
    assert link.state == State.SYNCED
    procore_client_for(connection).update_project(project["id"], {"name": "Depot and yard"})
    real_follow = projects_module._follow

    def switch_on_first(ctx, project_row, category, options):
        if str(project_row["id"]) == link.procore_id:  # the run has read the project; the admin acts now
            job_costs_enable(Link.objects.get(pk=link.pk), True)
        return real_follow(ctx, project_row, category, options)

    monkeypatch.setattr(projects_module, "_follow", switch_on_first)
    run = sync_kind_run(connection_id=connection.pk, kind=Kind.PROJECT)
    assert run.records.filter(link=link, message__startswith="Renamed").exists()  # the run did its own work
    assert job_cost_projects(connection)[link.procore_id] == (True, {})  # and the person's switch stands
    assert ProjectSettings.objects.get(connection=connection, procore_project_id=link.procore_id).job_costs_enabled
