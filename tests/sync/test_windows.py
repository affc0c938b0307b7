"""Scheduled runs of the financial exports read only what changed, plus what they still owe an answer."""

from datetime import timedelta

import pytest

from connector.clients import procore_client_for, xero_client_for
from connector.models import Kind, Link, SyncRun
from connector.services.approvals import approval_accept
from sync import windows
from sync.cursors import now as real_now
from sync.services import sync_kind_run
from tests.sandboxes import calls, calls_reset, faults
from tests.sync.objects.test_commitments import (
    SC1,
    SC3,
    UNLINKED_VENDOR,
    export_accepted,
    financial_prerequisites,
    purchase_orders,
    set_settings,
)

State = Link.State
SCHEDULE = SyncRun.Trigger.SCHEDULE


def detail_reads(server) -> int:
    return sum(n for rule, n in calls(server).items() if rule.startswith("GET") and rule.endswith("<int:id>"))


def list_reads(server) -> int:
    return sum(n for rule, n in calls(server).items() if rule.startswith("GET") and rule.endswith("_contracts"))


@pytest.fixture
def prerequisites(connection, procore_sandbox, xero_sandbox):
    financial_prerequisites(connection, procore_sandbox)
    yield connection
    faults(procore_sandbox, rate_limits=True)


@pytest.mark.django_db
def test_a_scheduled_run_with_nothing_changed_reads_one_list_per_project_and_writes_nothing(
        prerequisites, procore_sandbox, xero_sandbox, django_capture_on_commit_callbacks):
    connection = prerequisites
    export_accepted(connection, Kind.COMMITMENT, django_capture_on_commit_callbacks)
    projects = Link.objects.filter(connection=connection, kind=Kind.PROJECT, state=State.SYNCED).count()
    calls_reset(procore_sandbox, xero_sandbox)
    run = sync_kind_run(connection_id=connection.pk, kind=Kind.COMMITMENT, trigger=SCHEDULE)
    assert (run.created, run.updated, run.failed) == (0, 0, 0)
    # Two lists (subcontracts, purchase orders) per project synced to Xero; other projects are not read.
    assert detail_reads(procore_sandbox) == 0 and list_reads(procore_sandbox) == 2 * projects
    assert sum(calls(xero_sandbox).values()) == 0

    # "Sync now" reads everything again (a line edited without touching its contract is found that way).
    calls_reset(procore_sandbox)
    sync_kind_run(connection_id=connection.pk, kind=Kind.COMMITMENT, trigger=SyncRun.Trigger.MANUAL)
    assert detail_reads(procore_sandbox) == len(purchase_orders(xero_sandbox, connection))


@pytest.mark.django_db
def test_a_commitment_waiting_for_its_vendor_goes_once_the_vendor_is_linked_though_it_did_not_change(
        prerequisites, procore_sandbox, xero_sandbox):
    connection = prerequisites
    sync_kind_run(connection_id=connection.pk, kind=Kind.COMMITMENT)
    waiting = Link.objects.get(connection=connection, kind=Kind.COMMITMENT, procore_id=str(SC3))
    assert (waiting.state, waiting.waiting_for_kind, waiting.waiting_for_id) == \
        (State.WAITING, Kind.VENDOR, str(UNLINKED_VENDOR))

    calls_reset(procore_sandbox)
    sync_kind_run(connection_id=connection.pk, kind=Kind.COMMITMENT, trigger=SCHEDULE)
    assert detail_reads(procore_sandbox) == 0  # still waiting: not even its lines are read

    contact = xero_client_for(connection).write_batch("contacts", [{"Name": "Late vendor (test)"}], None)[0]
    Link.objects.create(connection=connection, kind=Kind.VENDOR, procore_id=str(UNLINKED_VENDOR),
                        xero_id=contact.id, state=State.SYNCED)
    calls_reset(procore_sandbox)
    sync_kind_run(connection_id=connection.pk, kind=Kind.COMMITMENT, trigger=SCHEDULE)
    waiting.refresh_from_db()
    assert (waiting.state, waiting.last_error) == (State.AWAITING_APPROVAL, "")
    # Still one read per project and list: its project is read whole (one page), not changes + it by id.
    projects = Link.objects.filter(connection=connection, kind=Kind.PROJECT, state=State.SYNCED).count()
    assert list_reads(procore_sandbox) == 2 * projects


@pytest.mark.django_db
def test_a_record_that_could_not_be_read_keeps_the_window_open(
        prerequisites, procore_sandbox, xero_sandbox, django_capture_on_commit_callbacks, monkeypatch):
    from procore_client.errors import ProcoreServerError
    from procore_client.resources import ResourcesMixin

    connection = prerequisites
    export_accepted(connection, Kind.COMMITMENT, django_capture_on_commit_callbacks)
    set_settings(connection, approve_commitments=False)  # the edit goes straight to Xero: windows are tested here
    link = Link.objects.get(connection=connection, kind=Kind.COMMITMENT, procore_id=str(SC1))

    def po_date():
        return next(p["Date"] for p in purchase_orders(xero_sandbox, connection) if p["PurchaseOrderID"] == link.xero_id)

    before = po_date()
    procore_client_for(connection).update_commitment("work_order_contracts", 2800000, SC1,
                                                     {"contract_date": "2026-03-02"})
    # Procore stamps whole seconds: an edit in the very second of our origin stamp looks like the stamp and
    # waits for the daily whole read (sync.windows). Here the stamp landed a second before the edit (moving the
    # edit a second later instead would put it in the future, outside the window's range).
    from datetime import datetime

    from sandbox.procore.state import utc_iso

    link.refresh_from_db()
    stamped = datetime.fromisoformat(link.engine_data["stamped_at"].replace("Z", "+00:00"))
    link.engine_data = {**link.engine_data, "stamped_at": utc_iso(stamped - timedelta(seconds=1))}
    link.save(update_fields=["engine_data"])

    def unavailable(*args, **kwargs):
        raise ProcoreServerError(503, "Service Unavailable")

    with monkeypatch.context() as patched:
        patched.setattr(ResourcesMixin, "commitment", unavailable)
        # The failed run ends a minute after the edit: a window that moved on would never see it again.
        patched.setattr(windows, "now", lambda: real_now() + timedelta(minutes=1))
        failed = sync_kind_run(connection_id=connection.pk, kind=Kind.COMMITMENT, trigger=SCHEDULE)
    assert (failed.failed, failed.updated) == (1, 0)

    later = sync_kind_run(connection_id=connection.pk, kind=Kind.COMMITMENT, trigger=SCHEDULE)
    assert later.updated == 1 and po_date() != before  # the edit made during the failed run was not skipped


@pytest.mark.django_db
def test_projects_not_in_xero_are_not_read_and_a_project_synced_later_is_read_whole(
        prerequisites, procore_sandbox, xero_sandbox, django_capture_on_commit_callbacks):
    connection = prerequisites
    late = Link.objects.get(connection=connection, kind=Kind.PROJECT, procore_id="2800000")
    option_id = late.xero_id
    late.xero_id, late.state = "", State.AWAITING_APPROVAL  # an accountant has not accepted this project yet
    late.save()
    synced = Link.objects.filter(connection=connection, kind=Kind.PROJECT, state=State.SYNCED).count()

    calls_reset(procore_sandbox)
    sync_kind_run(connection_id=connection.pk, kind=Kind.COMMITMENT, trigger=SCHEDULE)
    assert list_reads(procore_sandbox) == 2 * synced  # the project not in Xero is not read at all
    assert not Link.objects.filter(connection=connection, kind=Kind.COMMITMENT, procore_id=str(SC1)).exists()
    export_accepted(connection, Kind.COMMITMENT, django_capture_on_commit_callbacks)

    # Accepted later: its commitments did not change since the other projects' last read, yet its first read
    # is whole, so they reach the approval queue and then Xero.
    late.xero_id, late.state = option_id, State.SYNCED
    late.save()
    sync_kind_run(connection_id=connection.pk, kind=Kind.COMMITMENT, trigger=SCHEDULE)
    sc1 = Link.objects.get(connection=connection, kind=Kind.COMMITMENT, procore_id=str(SC1))
    assert sc1.state == State.AWAITING_APPROVAL and sc1.project_id == "2800000"
    export_accepted(connection, Kind.COMMITMENT, django_capture_on_commit_callbacks)
    sc1.refresh_from_db()
    assert sc1.state == State.SYNCED


@pytest.mark.django_db
def test_a_commitment_in_the_approval_queue_has_its_lines_read_once_when_accepted(
        prerequisites, procore_sandbox, xero_sandbox, django_capture_on_commit_callbacks):
    connection = prerequisites
    calls_reset(procore_sandbox)
    sync_kind_run(connection_id=connection.pk, kind=Kind.COMMITMENT, trigger=SCHEDULE)
    queued = list(Link.objects.filter(connection=connection, kind=Kind.COMMITMENT, state=State.AWAITING_APPROVAL))
    assert queued and detail_reads(procore_sandbox) == 0  # queued on its header: lines are not needed yet

    with django_capture_on_commit_callbacks(execute=True):
        approval_accept(links=queued)  # queues the export run
    assert detail_reads(procore_sandbox) == len(queued)
    assert {l.state for l in Link.objects.filter(pk__in=[l.pk for l in queued])} == {State.SYNCED}


@pytest.mark.django_db
def test_a_record_that_cannot_be_judged_is_logged_alone_and_keeps_its_project_open(connection):
    from connector.models import SyncRecord
    from sync.runs import run_finish, run_start
    from tests.factories import LinkFactory

    run = run_start(connection=connection, kind=Kind.COMMITMENT, direction=SyncRun.Direction.EXPORT,
                    trigger=SCHEDULE)
    window = windows.Window(connection, Kind.COMMITMENT, real_now(), ["7"], {"7": None}, False, run=run)

    def judge(record):
        LinkFactory(connection=connection, kind=Kind.COMMITMENT, procore_id=str(record["id"]))
        if record["id"] == 2:
            raise ValueError("the contract has no vendor")
        return record["id"]

    judged = window.judge("7", [{"id": 1}, {"id": 2, "number": "SC-2"}, {"id": 3}], judge,
                          label=lambda record: record.get("number", ""))
    run_finish(run)
    assert judged == [1, 3]
    made = set(Link.objects.filter(connection=connection, kind=Kind.COMMITMENT).values_list("procore_id", flat=True))
    assert made == {"1", "3"}, "the failed record's own writes are undone, the others kept"
    failed = SyncRecord.objects.get(run=run, action=SyncRecord.Action.FAILED)
    # a program error is said in words (its text goes to the worker log, not to the accountant)
    assert failed.label == "SC-2" and failed.message.startswith("Something unexpected stopped this")
    assert window.held == {"7"}
