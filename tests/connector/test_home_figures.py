"""The connector home's figures, read from local tables: when each kind runs next, and the 14 days' chart."""

from datetime import timedelta

import pytest
from django.utils import timezone

from connector.models import Kind, SyncRecord, SyncRun
from connector.selectors_home import connection_home
from connector.services.schedules import schedules_sync
from tests.factories import ConnectionFactory

pytestmark = pytest.mark.django_db


def test_next_run_follows_each_scopes_schedule():
    connection = ConnectionFactory()
    schedules_sync(connection=connection)
    rows = {row.kind: row for row in connection_home(connection).kinds}
    soon = timezone.now() + timedelta(hours=1, minutes=1)
    assert rows[Kind.VENDOR].next_run_at is not None and rows[Kind.VENDOR].next_run_at <= soon  # hourly
    assert rows[Kind.INVOICE].next_run_at > rows[Kind.VENDOR].next_run_at  # every two hours
    assert rows[Kind.PAYMENT].next_run_at is None  # payments are off by default


def test_the_chart_counts_records_synced_and_failed_per_day_and_leaves_previews_out():
    connection = ConnectionFactory()
    real = SyncRun.objects.create(connection=connection, kind=Kind.INVOICE, direction="export", trigger="schedule")
    preview = SyncRun.objects.create(connection=connection, kind=Kind.INVOICE, direction="export", trigger="manual",
                                     dry_run=True)
    SyncRecord.objects.bulk_create([SyncRecord(run=real, action=a) for a in ("created", "updated", "failed")]
                                   + [SyncRecord(run=preview, action="created")] * 1)
    old = SyncRecord.objects.create(run=real, action="created")
    SyncRecord.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=2))
    chart = connection_home(connection).chart
    assert len(chart["labels"]) == 14
    assert (chart["synced"][-1], chart["failed"][-1]) == (2, 1)
    assert chart["synced"][-3] == 1
