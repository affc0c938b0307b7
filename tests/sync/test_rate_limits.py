"""What a run does at the platforms' limits: a minute 429 is waited out, a spent day parks the connection."""

import pytest
import requests

from connector.clients import xero_client_for
from connector.models import Connection, Kind, SyncRun
from sync.services import sync_kind_run


def throttled(server) -> int:
    return requests.get(f"{server.url}/_sandbox/stats", timeout=5).json()["throttled"]


@pytest.mark.django_db
def test_the_daily_limit_parks_the_connection_and_the_admin_says_so(connection, xero_sandbox, client):
    requests.post(f"{xero_sandbox.url}/_sandbox/faults", json={"force_429": 1, "force_429_problem": "day"},
                  timeout=5).raise_for_status()
    run = sync_kind_run(connection_id=connection.pk, kind=Kind.COST_CODE)
    connection.refresh_from_db()
    assert run.status == SyncRun.Status.PARKED and connection.parked_until is not None
    assert "daily API limit" in connection.parked_reason
    assert sync_kind_run(connection_id=connection.pk, kind=Kind.COST_CODE) is None  # parked: no call made

    from tests.factories import UserFactory

    client.force_login(UserFactory(role="Accountant"))
    page = client.get(f"/admin/connector/connection/{connection.pk}/change/").content.decode()
    assert "Paused until" in page and "daily API limit" in page
    assert Connection.objects.get(pk=connection.pk).status == Connection.Status.ACTIVE


@pytest.mark.django_db
def test_a_day_the_headers_say_is_spent_parks_without_a_429(connection, xero_sandbox):
    requests.post(f"{xero_sandbox.url}/_sandbox/limits", json={"tenant_id": connection.xero_tenant_id,
                                                               "day_used": 4999}, timeout=5).raise_for_status()
    xero_client_for(connection).organisation()  # e.g. the settings page: the last call of the day
    run = sync_kind_run(connection_id=connection.pk, kind=Kind.COST_CODE)
    connection.refresh_from_db()
    assert run.status == SyncRun.Status.PARKED, run.message
    assert "daily API limit" in connection.parked_reason
    assert throttled(xero_sandbox) == 0


@pytest.mark.django_db
def test_a_minute_429_is_waited_out_and_the_run_finishes(connection, xero_sandbox):
    requests.post(f"{xero_sandbox.url}/_sandbox/faults", json={"force_429": 2, "force_429_problem": "minute"},
                  timeout=5).raise_for_status()
    run = sync_kind_run(connection_id=connection.pk, kind=Kind.COST_CODE)
    assert run.status == SyncRun.Status.PARTIAL and run.created > 0  # partial: the 3 over-long codes
    assert throttled(xero_sandbox) == 2
