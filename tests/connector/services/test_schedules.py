"""Sync cadences become django-celery-beat schedules, shown on the connection's page."""

import json

import pytest
from django_celery_beat.models import PeriodicTask

from connector.models import Connection, ConnectionSettings
from connector.services.schedules import schedules_sync
from tests.factories import ConnectionFactory

pytestmark = pytest.mark.django_db


def tasks_of(connection):
    return {json.loads(t.kwargs)["scope"]: t for t in PeriodicTask.objects.filter(name__startswith=f"Connection #{connection.pk} ")}


def test_an_active_connection_gets_hourly_company_and_two_hourly_project_syncs():
    connection = ConnectionFactory()
    schedules_sync(connection=connection)
    tasks = tasks_of(connection)
    assert tasks["company"].enabled and tasks["company"].interval.every == 1
    assert tasks["project"].enabled and tasks["project"].interval.every == 2
    assert not tasks["payments"].enabled  # "never" until someone switches payment sync on


def test_changing_a_cadence_reschedules_and_never_pauses():
    connection = ConnectionFactory()
    settings = ConnectionSettings.objects.get(connection=connection)
    settings.payments_cadence, settings.project_cadence = ConnectionSettings.Cadence.FOUR_HOURS, "never"
    settings.save()
    schedules_sync(connection=connection)
    tasks = tasks_of(connection)
    assert tasks["payments"].enabled and tasks["payments"].interval.every == 4
    assert not tasks["project"].enabled


def test_canadian_connections_never_schedule_bill_payments():
    connection = ConnectionFactory(xero_country="CA")
    ConnectionSettings.objects.filter(connection=connection).update(payments_cadence="hourly")
    schedules_sync(connection=connection)
    assert not tasks_of(connection)["payments"].enabled


def test_an_inactive_connection_keeps_its_schedules_paused():
    connection = ConnectionFactory(status=Connection.Status.NEEDS_REAUTHORISATION)
    schedules_sync(connection=connection)
    assert not any(t.enabled for t in tasks_of(connection).values())


def test_the_connection_page_shows_what_beat_runs_to_anyone_on_it(client):
    from tests.factories import UserFactory

    connection = ConnectionFactory()
    schedules_sync(connection=connection)
    client.force_login(UserFactory(role="Viewer", role__on=[connection]))
    page = client.get(f"/admin/connector/connection/{connection.pk}/change/").content.decode()
    table = page[page.index('id="schedules"'):]
    assert "Company" in table and "Project" in table and "Payments" in table and "not run yet" in table
