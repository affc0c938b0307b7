"""Projects enter the approval queue, become tracking options once accepted, and follow Procore."""

import pytest
import requests

from connector.clients import procore_client_for
from connector.models import Kind, Link
from connector.services.approvals import approval_accept, approval_reject
from sync.objects.projects import option_name
from sync.services import sync_kind_run

State = Link.State


def test_option_name_is_number_and_name_within_fifty_characters():
    assert option_name({"project_number": "24-017", "name": "Library"}) == "24-017 Library"
    assert option_name({"project_number": "", "name": "L" * 80}).endswith("…")
    assert len(option_name({"project_number": "1", "name": "L" * 80})) == 50


def job_options(xero_sandbox, tenant_id):
    categories = requests.get(f"{xero_sandbox.url}/_sandbox/data/TrackingCategories", timeout=10).json()
    job = next(c for c in categories if c["Name"] == "Job" and c.get("_tenant", tenant_id) == tenant_id)
    return {o["Name"]: o for o in job["Options"]}


def procore_project(procore_sandbox, project_id):
    rows = requests.get(f"{procore_sandbox.url}/_sandbox/data/projects", timeout=10).json()
    return next(p for p in rows if p["id"] == project_id)


@pytest.fixture
def new_project(connection):
    """A project a project manager creates in Procore after the connection was made."""
    return procore_client_for(connection).create_project({"name": "Reno Fire Station", "project_number": "26-101"})


@pytest.mark.django_db
def test_accepted_project_becomes_an_option_once(connection, new_project, procore_sandbox, xero_sandbox,
                                                 django_capture_on_commit_callbacks):
    sync_kind_run(connection_id=connection.pk, kind=Kind.PROJECT)
    link = Link.objects.get(connection=connection, kind=Kind.PROJECT, procore_id=str(new_project["id"]))
    assert link.state == State.AWAITING_APPROVAL
    assert "26-101 Reno Fire Station" not in job_options(xero_sandbox, connection.xero_tenant_id)
    # Projects that existed before the connection are not queued on their own.
    assert not Link.objects.filter(connection=connection, kind=Kind.PROJECT, state=State.AWAITING_APPROVAL)\
        .exclude(pk=link.pk).exists()

    with django_capture_on_commit_callbacks(execute=True):
        approval_accept(links=[link])  # queues the export (tasks run eagerly in tests)
    link.refresh_from_db()
    options = job_options(xero_sandbox, connection.xero_tenant_id)
    assert link.state == State.SYNCED
    assert options["26-101 Reno Fire Station"]["TrackingOptionID"] == link.xero_id
    assert procore_project(procore_sandbox, new_project["id"])["origin_id"] == link.xero_id

    again = sync_kind_run(connection_id=connection.pk, kind=Kind.PROJECT)
    assert (again.created, again.updated, again.failed) == (0, 0, 0)
    assert len([n for n in job_options(xero_sandbox, connection.xero_tenant_id) if "Reno" in n]) == 1


@pytest.mark.django_db
def test_rejected_project_keeps_its_reason_and_returns_after_a_change(connection, new_project):
    sync_kind_run(connection_id=connection.pk, kind=Kind.PROJECT)
    link = Link.objects.get(connection=connection, kind=Kind.PROJECT, procore_id=str(new_project["id"]))
    approval_reject(links=[link], reason="Use the job number from the estimate")
    link.refresh_from_db()
    assert (link.state, link.rejected_reason) == (State.REJECTED, "Use the job number from the estimate")

    sync_kind_run(connection_id=connection.pk, kind=Kind.PROJECT)
    assert Link.objects.get(pk=link.pk).state == State.REJECTED  # nothing changed: stays rejected

    procore_client_for(connection).update_project(new_project["id"], {"project_number": "26-102"})
    sync_kind_run(connection_id=connection.pk, kind=Kind.PROJECT)
    link.refresh_from_db()
    assert link.state == State.AWAITING_APPROVAL and link.label == "26-102 Reno Fire Station"


@pytest.mark.django_db
def test_renamed_and_deactivated_projects_follow_in_xero(connection, new_project, xero_sandbox,
                                                         django_capture_on_commit_callbacks):
    sync_kind_run(connection_id=connection.pk, kind=Kind.PROJECT)
    link = Link.objects.get(connection=connection, kind=Kind.PROJECT, procore_id=str(new_project["id"]))
    with django_capture_on_commit_callbacks(execute=True):
        approval_accept(links=[link])
    procore = procore_client_for(connection)

    procore.update_project(new_project["id"], {"name": "Reno Fire Station No. 2"})
    sync_kind_run(connection_id=connection.pk, kind=Kind.PROJECT)
    options = job_options(xero_sandbox, connection.xero_tenant_id)
    assert options["26-101 Reno Fire Station No. 2"]["Status"] == "ACTIVE"

    procore.update_project(new_project["id"], {"active": False})
    sync_kind_run(connection_id=connection.pk, kind=Kind.PROJECT)
    options = job_options(xero_sandbox, connection.xero_tenant_id)
    assert options["26-101 Reno Fire Station No. 2"]["Status"] == "ARCHIVED"
    assert Link.objects.get(pk=link.pk).state == State.ARCHIVED


@pytest.mark.django_db
def test_unlinked_options_are_listed_ready_to_import(connection, xero_sandbox):
    sync_kind_run(connection_id=connection.pk, kind=Kind.PROJECT)
    importable = Link.objects.filter(connection=connection, kind=Kind.PROJECT, procore_id="", state=State.READY)
    active = [n for n, o in job_options(xero_sandbox, connection.xero_tenant_id).items() if o["Status"] == "ACTIVE"]
    assert sorted(importable.values_list("label", flat=True)) == sorted(active)
    sync_kind_run(connection_id=connection.pk, kind=Kind.PROJECT)
    assert importable.count() == len(active)  # listed once


@pytest.mark.django_db
def test_a_ready_to_import_option_becomes_a_procore_project_once(connection, procore_sandbox):
    from connector.services.projects import option_import_as_project

    sync_kind_run(connection_id=connection.pk, kind=Kind.PROJECT)
    link = Link.objects.filter(connection=connection, kind=Kind.PROJECT, procore_id="", state=State.READY).first()
    option_import_as_project(link)
    link.refresh_from_db()
    project = procore_project(procore_sandbox, int(link.procore_id))
    assert (project["name"], project["origin_id"], link.state) == (link.label, link.xero_id, State.SYNCED)
    sync_kind_run(connection_id=connection.pk, kind=Kind.PROJECT)  # the new project is not queued for export
    assert not Link.objects.filter(connection=connection, kind=Kind.PROJECT, state=State.AWAITING_APPROVAL).exists()


@pytest.mark.django_db
def test_an_option_links_by_hand_to_a_project_older_than_the_connection(connection, procore_sandbox):
    from connector.services.projects import ProjectActionError, linkable_projects, option_link_to_project

    sync_kind_run(connection_id=connection.pk, kind=Kind.PROJECT)
    options = list(Link.objects.filter(connection=connection, kind=Kind.PROJECT, procore_id="", state=State.READY))
    older = linkable_projects(connection)[0]
    option_link_to_project(options[0], older["id"])
    assert procore_project(procore_sandbox, older["id"])["origin_id"] == options[0].xero_id
    with pytest.raises(ProjectActionError, match="already linked"):
        option_link_to_project(options[1], older["id"])


@pytest.mark.django_db
def test_an_older_project_can_be_sent_to_the_queue_on_purpose(connection, procore_sandbox):
    from connector.services.projects import ProjectActionError, linkable_projects, project_send_to_queue

    older = linkable_projects(connection)[0]
    link = project_send_to_queue(connection, older["id"])
    assert link.state == State.AWAITING_APPROVAL and link.label == option_name(older)
    with pytest.raises(ProjectActionError, match="already awaiting approval"):
        project_send_to_queue(connection, older["id"])


@pytest.mark.django_db
def test_accepted_projects_are_recorded_in_procore_together_and_a_cut_off_record_is_finished_later(
        connection, procore_sandbox, xero_sandbox, django_capture_on_commit_callbacks, monkeypatch):
    from procore_client.errors import ProcoreServerError
    from procore_client.resources import ResourcesMixin
    from tests.sandboxes import calls, calls_reset

    procore = procore_client_for(connection)
    made = [procore.create_project({"name": f"Clinic wing {n}", "project_number": f"26-2{n:02d}"}) for n in range(3)]
    sync_kind_run(connection_id=connection.pk, kind=Kind.PROJECT)
    queued = list(Link.objects.filter(connection=connection, kind=Kind.PROJECT, state=State.AWAITING_APPROVAL))
    assert len(queued) == 3
    approval_accept(links=queued[:2])

    calls_reset(procore_sandbox)
    sync_kind_run(connection_id=connection.pk, kind=Kind.PROJECT)
    assert calls(procore_sandbox)["PATCH /rest/v1.0/projects/sync"] == 1  # both options recorded in one call
    linked = {l.procore_id: l.xero_id for l in Link.objects.filter(pk__in=[l.pk for l in queued[:2]])}
    assert all(procore_project(procore_sandbox, int(p))["origin_id"] == x for p, x in linked.items())

    # Procore is down right after the option is made: the link stands, and the next run records it.
    approval_accept(links=queued[2:])

    def down(*args, **kwargs):
        raise ProcoreServerError(503, "Service Unavailable")

    with monkeypatch.context() as patched:
        patched.setattr(ResourcesMixin, "sync_projects", down)
        cut = sync_kind_run(connection_id=connection.pk, kind=Kind.PROJECT)
    last = Link.objects.get(pk=queued[2].pk)
    assert (cut.created, cut.failed, last.state) == (1, 1, State.SYNCED)
    assert not procore_project(procore_sandbox, int(last.procore_id)).get("origin_id")
    sync_kind_run(connection_id=connection.pk, kind=Kind.PROJECT)
    assert procore_project(procore_sandbox, int(last.procore_id))["origin_id"] == last.xero_id
    assert {p["id"] for p in made} == {int(l.procore_id) for l in queued}


def test_a_325_character_project_name_is_shortened_visibly():
    from sync.objects.projects import name_note

    name = ("Reno Fire Station No. 3 seismic retrofit, apparatus bay extension and training tower " * 4)[:324] + "X"
    shown = option_name({"name": name})
    assert len(shown) <= 50 and shown.endswith("…")
    assert name_note({"name": name}) == (f" The project's number and name has 325 characters, more than the 50 Xero "
                                         f"takes: it is shown in Xero as “{shown}”.")
    assert name_note({"name": "Library", "number": "24-017"}) == ""


@pytest.mark.django_db
def test_a_long_project_name_goes_to_xero_shortened_and_its_record_says_so(
        connection, procore_sandbox, xero_sandbox, django_capture_on_commit_callbacks):
    long_name = ("Reno Fire Station No. 3 seismic retrofit, apparatus bay extension and training tower " * 4)[:255]
    project = procore_client_for(connection).create_project({"name": long_name, "project_number": "26-102"})
    sync_kind_run(connection_id=connection.pk, kind=Kind.PROJECT)
    link = Link.objects.get(connection=connection, kind=Kind.PROJECT, procore_id=str(project["id"]))
    assert "261 characters, more than the 50 Xero takes" in link.records.get().message  # before it is accepted
    with django_capture_on_commit_callbacks(execute=True):
        approval_accept(links=[link])
    link.refresh_from_db()
    option = next(o for n, o in job_options(xero_sandbox, connection.xero_tenant_id).items() if n.startswith("26-102"))
    assert len(option["Name"]) <= 50 and option["Name"].endswith("…") and link.xero_id == option["TrackingOptionID"]
    said = [m for m in link.records.values_list("message", flat=True) if m.startswith("Added to")]
    assert said == [f"Added to “Job”. The project's number and name has 261 characters, more than the 50 Xero "
                    f"takes: it is shown in Xero as “{option['Name']}”."]


@pytest.mark.django_db
def test_a_full_tracking_category_is_explained_before_xero_refuses(connection, new_project, xero_sandbox,
                                                                    django_capture_on_commit_callbacks, monkeypatch):
    from sync.objects import projects

    active = [o for o in job_options(xero_sandbox, connection.xero_tenant_id).values() if o["Status"] == "ACTIVE"]
    monkeypatch.setattr(projects, "MAX_ACTIVE_OPTIONS", len(active))  # Xero's 100, reached
    sync_kind_run(connection_id=connection.pk, kind=Kind.PROJECT)
    link = Link.objects.get(connection=connection, kind=Kind.PROJECT, procore_id=str(new_project["id"]))
    with django_capture_on_commit_callbacks(execute=True):
        approval_accept(links=[link])
    link.refresh_from_db()
    assert link.state == State.FAILED and link.last_error == (
        f"“Job” already has Xero's {len(active)} active tracking options: this project cannot have one until "
        "some are archived.")
    assert "Retire closed projects" in link.hint
    assert "26-101 Reno Fire Station" not in job_options(xero_sandbox, connection.xero_tenant_id)


@pytest.mark.django_db
def test_retire_closed_projects_archives_their_options_in_one_action(connection, new_project, procore_sandbox,
                                                                      xero_sandbox, django_capture_on_commit_callbacks):
    from connector.services.projects import projects_retire

    sync_kind_run(connection_id=connection.pk, kind=Kind.PROJECT)
    link = Link.objects.get(connection=connection, kind=Kind.PROJECT, procore_id=str(new_project["id"]))
    with django_capture_on_commit_callbacks(execute=True):
        approval_accept(links=[link])
    procore_client_for(connection).update_project(new_project["id"], {"active": False})  # closed in Procore

    retired = projects_retire(connection)
    link.refresh_from_db()
    assert [l.pk for l in retired] == [link.pk] and link.state == State.ARCHIVED
    assert job_options(xero_sandbox, connection.xero_tenant_id)["26-101 Reno Fire Station"]["Status"] == "ARCHIVED"
    assert projects_retire(connection) == []  # nothing left to retire
