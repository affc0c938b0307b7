"""A run stopped by the rate budget or the task's time limit goes on by itself, in the same run, to the end."""

from collections import Counter

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.utils import timezone

from connector import pacing
from connector.models import Kind, Link, SyncRecord, SyncRun
from sync import tasks
from tests.sync.objects.test_commitments import financial_prerequisites, purchase_orders, set_settings

State = Link.State


class HandClock(pacing.Clock):
    """The budget's time: moves only when the test says (or when a caller sleeps)."""

    def __init__(self):
        self.value = 1_900_000_000.0

    def now(self):
        return self.value

    def sleep(self, seconds):
        self.value += seconds


@pytest.fixture
def queue(monkeypatch):
    """The broker: continuations queued with their eta, run when the test lets time pass."""
    queued = []
    monkeypatch.setattr(tasks.sync_kind_task, "apply_async",
                        lambda args, kwargs, eta: queued.append((args, kwargs, eta)))
    return queued


@pytest.fixture
def prerequisites(connection, procore_sandbox, xero_sandbox):
    financial_prerequisites(connection, procore_sandbox)
    set_settings(connection, approve_commitments=False, po_status="AUTHORISED")
    return connection


@pytest.mark.django_db
def test_a_run_whose_hourly_budget_runs_out_goes_on_by_itself_and_ends_with_everything_sent_once(
        prerequisites, xero_sandbox, settings, queue):
    connection = prerequisites
    clock = HandClock()
    old = pacing.use_clock(clock)
    try:
        # An hour's budget too small for the run (the benchmark company's day one at Procore's real limit,
        # in miniature), and no waiting: the run pauses at once when it is spent.
        settings.PROCORE_CALLS_PER_HOUR, settings.PROCORE_CALLS_PER_10S = 5, 1000
        settings.RATE_BUDGET_MAX_WAIT_S = 0
        tasks.sync_kind_task(connection.pk, Kind.COMMITMENT, "schedule")
        run = SyncRun.objects.get(connection=connection, kind=Kind.COMMITMENT)
        assert run.status == SyncRun.Status.PAUSED and len(queue) == 1
        assert run.message.startswith("Paused — continues at ") and "Procore's hourly call limit" in run.message
        assert queue[0][2] == run.resume_at > timezone.now()
        for _ in range(30):  # the broker hands each continuation over at its time
            if not queue:
                break
            args, kwargs, eta = queue.pop(0)
            clock.value += (eta - timezone.now()).total_seconds() + 1
            tasks.sync_kind_task(*args, **kwargs)
    finally:
        pacing.use_clock(old)

    run = SyncRun.objects.get(connection=connection, kind=Kind.COMMITMENT)  # one run the accountant sees
    assert run.status == SyncRun.Status.SUCCEEDED, run.message
    assert run.tasks > 2 and run.finished_at and not queue
    numbers = Counter(po["PurchaseOrderNumber"] for po in purchase_orders(xero_sandbox, connection))
    assert sorted(numbers) == ["PO-0002", "SC-0001", "SC-0008"] and set(numbers.values()) == {1}
    links = Link.objects.filter(connection=connection, kind=Kind.COMMITMENT)
    assert not links.filter(state__in=[State.READY, State.EXPORTING]).exists()
    assert links.filter(state=State.SYNCED).count() == 3 and run.created == 3


@pytest.mark.django_db
def test_the_soft_time_limit_pauses_the_run_which_goes_on_at_once(prerequisites, xero_sandbox, queue, monkeypatch):
    connection = prerequisites
    from sync.objects import commitments

    real, calls = commitments._judge, []

    def judge_until_the_time_limit(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise SoftTimeLimitExceeded()
        return real(*args, **kwargs)

    monkeypatch.setattr(commitments, "_judge", judge_until_the_time_limit)
    tasks.sync_kind_task(connection.pk, Kind.COMMITMENT, "schedule")
    run = SyncRun.objects.get(connection=connection, kind=Kind.COMMITMENT)
    assert run.status == SyncRun.Status.PAUSED and "time limit" in run.message
    args, kwargs, eta = queue.pop(0)
    assert eta <= timezone.now()
    tasks.sync_kind_task(*args, **kwargs)
    run.refresh_from_db()
    assert run.status == SyncRun.Status.SUCCEEDED and run.tasks == 2 and run.created == 3
    numbers = Counter(po["PurchaseOrderNumber"] for po in purchase_orders(xero_sandbox, connection))
    assert set(numbers.values()) == {1} and len(numbers) == 3


@pytest.mark.django_db(transaction=True)
def test_the_time_limit_cutting_a_statement_off_still_pauses_the_run_and_records_it(prerequisites, queue,
                                                                                      monkeypatch):
    """The limit lands while PostgreSQL's driver runs a statement: the driver's own clean-up then fails
    ("can't change 'autocommit' now") and hides the limit, and the connection is left unusable. The run still
    pauses, on a fresh connection, and goes on to the end."""
    from django.db import ProgrammingError
    from django.db import connection as db

    from sync.objects import commitments

    real, calls = commitments._judge, []

    def judge_cut_mid_statement(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            try:
                raise SoftTimeLimitExceeded()
            except SoftTimeLimitExceeded:
                if db.vendor == "postgresql":
                    db.connection.pgconn.finish()  # what the cut-off statement leaves: a connection that fails
                raise ProgrammingError("can't change 'autocommit' now: connection in transaction status ACTIVE")
        return real(*args, **kwargs)

    monkeypatch.setattr(commitments, "_judge", judge_cut_mid_statement)
    tasks.sync_kind_task(prerequisites.pk, Kind.COMMITMENT, "schedule")
    run = SyncRun.objects.get(connection=prerequisites, kind=Kind.COMMITMENT)
    assert run.status == SyncRun.Status.PAUSED and "time limit" in run.message
    assert not SyncRecord.objects.filter(run=run, action=SyncRecord.Action.FAILED).exists()
    args, kwargs, _eta = queue.pop(0)
    tasks.sync_kind_task(*args, **kwargs)
    run.refresh_from_db()
    assert run.status == SyncRun.Status.SUCCEEDED and run.tasks == 2 and run.created == 3


@pytest.mark.django_db
def test_an_outage_of_redis_stops_the_run_and_says_so_not_blaming_the_record_or_the_other_system(
        prerequisites, monkeypatch):
    from redis.exceptions import ConnectionError as RedisDown

    from connector.models import SyncRecord
    from sync.objects import commitments

    def judge(*args, **kwargs):
        raise RedisDown("Error 111 connecting to localhost:6379. Connection refused.")

    monkeypatch.setattr(commitments, "_judge", judge)
    tasks.sync_kind_task(prerequisites.pk, Kind.COMMITMENT, "schedule")
    run = SyncRun.objects.get(connection=prerequisites, kind=Kind.COMMITMENT)
    assert run.status == SyncRun.Status.FAILED and "Redis server" in run.message
    assert "Could not reach the other system" not in run.message
    assert not SyncRecord.objects.filter(run=run, action=SyncRecord.Action.FAILED).exists()


def test_the_database_failing_is_said_in_words():
    from django.db import OperationalError

    from sync.explain import explain_exception

    message, hint = explain_exception(OperationalError("database is locked"))
    assert "connector's own database" in message and "database" in hint


@pytest.mark.django_db
def test_the_time_limit_inside_a_xero_call_pauses_the_run_and_frees_the_calls_place(connection, xero_sandbox,
                                                                                     monkeypatch, queue):
    """The soft time limit arrives while a call is on the wire: the run pauses (it is not a Xero error) and the
    call's place in the budget is given back at once."""
    import urllib3

    from connector.pacing import Pacer

    ended = []
    real_after = Pacer.after_response
    monkeypatch.setattr(Pacer, "after_response", lambda self, headers: (ended.append(headers),
                                                                       real_after(self, headers)))

    def cut(*args, **kwargs):
        raise SoftTimeLimitExceeded()

    monkeypatch.setattr(urllib3.PoolManager, "urlopen", cut)
    tasks.sync_kind_task(connection.pk, Kind.COST_CODE, "schedule")
    run = SyncRun.objects.get(connection=connection, kind=Kind.COST_CODE)
    assert run.status == SyncRun.Status.PAUSED and "time limit" in run.message, run.message
    assert ended and ended[-1] == {} and len(queue) == 1


def projects_spend_the_budget_once(monkeypatch, connection) -> None:
    """The first projects run finds Procore's 10-second budget spent; the next ones run as usual."""
    from connector.pacing import BudgetExhausted
    from sync.objects import projects

    real, calls = projects.run, []

    def spent_once(ctx):
        calls.append(1)
        if len(calls) == 1:
            raise BudgetExhausted(f"procore:{connection.procore_company_id}", 30, "10 seconds")
        return real(ctx)

    monkeypatch.setattr(projects, "run", spent_once)


@pytest.mark.django_db
def test_a_paused_scope_goes_on_from_the_kind_that_paused(connection, procore_sandbox, xero_sandbox, monkeypatch,
                                                          settings):
    """The company scope pauses at projects: the kinds before it are not run again, the ones after it wait."""

    settings.SYNC_SCOPE_KIND_PER_TASK = False  # the whole scope in one task (tests/sync/test_scope_turns.py: one each)
    queued = []
    monkeypatch.setattr(tasks.sync_scope_task, "apply_async", lambda args, kwargs, eta: queued.append((args, kwargs)))
    projects_spend_the_budget_once(monkeypatch, connection)
    first = tasks.sync_scope_task(connection.pk, "company", "schedule")
    assert first[Kind.COST_CODE] in ("succeeded", "partial") and first[Kind.PROJECT] == "paused"
    assert Kind.VENDOR not in first and queued[0][1]["resume_kind"] == Kind.PROJECT
    args, kwargs = queued.pop(0)
    second = tasks.sync_scope_task(*args, **kwargs)
    assert Kind.COST_CODE not in second and second[Kind.PROJECT] == "succeeded" and Kind.VENDOR in second
    project_run = SyncRun.objects.get(connection=connection, kind=Kind.PROJECT)
    assert project_run.tasks == 2 and SyncRun.objects.filter(connection=connection, kind=Kind.COST_CODE).count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_time_limit_that_cuts_a_query_off_halfway_still_pauses_the_run(prerequisites, queue, monkeypatch):
    """PostgreSQL's driver interrupted mid-query cannot run another: the pause opens a new connection."""
    from django.db import connection as db

    from sync.objects import commitments

    closed = []
    monkeypatch.setattr(db, "is_usable", lambda: bool(closed))  # the cut-off connection cannot answer until closed
    monkeypatch.setattr(db, "close", lambda: closed.append(1))

    def cut_mid_query(*args, **kwargs):
        raise SoftTimeLimitExceeded()

    monkeypatch.setattr(commitments, "_judge", cut_mid_query)
    tasks.sync_kind_task(prerequisites.pk, Kind.COMMITMENT, "schedule")
    run = SyncRun.objects.get(connection=prerequisites, kind=Kind.COMMITMENT)
    assert run.status == SyncRun.Status.PAUSED and "time limit" in run.message
    assert closed and len(queue) == 1


@pytest.mark.django_db
def test_the_time_limit_landing_while_xero_writes_a_batch_of_bills_makes_no_bill_twice(
        connection, procore_sandbox, xero_sandbox, queue, monkeypatch):
    """Bills go out in batches while projects are still being read; the soft time limit lands while a batch is
    on the wire, after Xero took it. The bills judged since are sent before the pause, never the cut-off batch
    again; the continuation finds that batch's bills in Xero and links them."""
    from sync.services import sync_kind_run
    from tests.sync.objects.test_invoices import bills
    from xero_client.client import XeroClient

    financial_prerequisites(connection, procore_sandbox, skip_vendors=())
    set_settings(connection, approve_commitments=False, approve_invoices=False)
    sync_kind_run(connection_id=connection.pk, kind=Kind.COMMITMENT)
    monkeypatch.setattr("sync.export.BATCH", 2)
    monkeypatch.setattr("sync.objects.invoices.EXPORT_EVERY", 1)  # a batch goes after every project read
    real, writes = XeroClient.write_batch, []

    def taken_then_cut_off(self, kind, records, idempotency_key):
        writes.append(len(records))
        results = real(self, kind, records, idempotency_key)
        if len(writes) == 1:
            raise SoftTimeLimitExceeded()  # Xero has the bills; their answer never reaches the run
        return results

    monkeypatch.setattr(XeroClient, "write_batch", taken_then_cut_off)
    tasks.sync_kind_task(connection.pk, Kind.INVOICE, "schedule")
    run = SyncRun.objects.get(connection=connection, kind=Kind.INVOICE)
    assert run.status == SyncRun.Status.PAUSED and "time limit" in run.message
    invoices = Link.objects.filter(connection=connection, kind=Kind.INVOICE)
    assert invoices.filter(state=State.EXPORTING).count() == writes[0] == 2

    args, kwargs, _eta = queue.pop(0)
    tasks.sync_kind_task(*args, **kwargs)
    run.refresh_from_db()
    assert run.tasks == 2 and run.finished_at
    failed = run.records.filter(action=SyncRecord.Action.FAILED)
    assert [r.message for r in failed] == ["Negative invoices are not exported to Xero."]  # the dataset's own
    urls = Counter(b["Url"] for b in bills(xero_sandbox, connection))
    assert len(urls) == 5 and set(urls.values()) == {1}, urls
    assert invoices.filter(state=State.SYNCED).count() == 5
    assert run.records.filter(message__startswith="Found in Xero after an interrupted export").count() == 2
