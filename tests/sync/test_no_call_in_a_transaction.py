"""No remote call, and no wait for the rate budget, while a database transaction is open: on SQLite it would
hold the write lock through the call, and the web app, beat and the other workers would fail with
"database is locked"."""

import traceback

import pytest
from django.db import connection as db

from connector.models import Kind, Link
from connector.pacing import Pacer
from sync.services import sync_kind_run
from tests.sync.objects.test_commitments import financial_prerequisites, set_settings
from tests.sync.objects.test_job_costs import job, spend_money  # noqa: F401 - the job fixture

State = Link.State


@pytest.fixture
def calls_in_a_transaction(monkeypatch):
    """Every call of every client asks its pacer first: note the ones made inside an atomic block."""
    seen = {"calls": 0, "inside": []}
    real = Pacer.before_request

    def before_request(self):
        seen["calls"] += 1
        if db.in_atomic_block:
            seen["inside"].append("".join(traceback.format_stack(limit=12)))
        return real(self)

    monkeypatch.setattr(Pacer, "before_request", before_request)
    return seen


@pytest.mark.django_db(transaction=True)
def test_the_financial_exports_call_nothing_inside_a_transaction(connection, procore_sandbox, xero_sandbox,
                                                                 calls_in_a_transaction):
    financial_prerequisites(connection, procore_sandbox, skip_vendors=())
    set_settings(connection, approve_commitments=False, approve_change_orders=False, approve_invoices=False,
                 po_status="AUTHORISED")
    calls_in_a_transaction.update(calls=0, inside=[])
    for kind in (Kind.COMMITMENT, Kind.CHANGE_ORDER, Kind.INVOICE):
        run = sync_kind_run(connection_id=connection.pk, kind=kind)
        assert run.status in ("succeeded", "partial"), run.message
    assert Link.objects.filter(connection=connection, kind=Kind.COMMITMENT, state=State.SYNCED).exists()
    assert calls_in_a_transaction["calls"] > 20  # commitment lines and package lines were read
    assert calls_in_a_transaction["inside"] == [], calls_in_a_transaction["inside"][0]


@pytest.mark.django_db(transaction=True)
def test_the_job_cost_import_calls_nothing_inside_a_transaction(connection, job, calls_in_a_transaction):  # noqa: F811
    spend_money(job, ("1234.56", job["code"], True))
    calls_in_a_transaction.update(calls=0, inside=[])
    run = sync_kind_run(connection_id=connection.pk, kind=Kind.JOB_COST)
    assert run.created >= 1 and calls_in_a_transaction["calls"] > 0
    assert calls_in_a_transaction["inside"] == [], calls_in_a_transaction["inside"][0]
