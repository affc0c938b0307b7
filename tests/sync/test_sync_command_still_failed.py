"""`manage.py sync` says how many records of each kind are still failed, not only what failed in this run."""

import io

import pytest
from django.core.management import call_command

from connector.models import Kind, Link, SyncRun
from tests.factories import ConnectionFactory, LinkFactory

pytestmark = pytest.mark.django_db


def test_a_rerun_that_fails_nothing_new_still_counts_the_failed_records(monkeypatch):
    connection = ConnectionFactory()
    for _ in range(12):
        LinkFactory(connection=connection, kind=Kind.INVOICE, state=Link.State.FAILED)

    def rerun(*, connection_id, kind, trigger, dry_run):
        return SyncRun.objects.create(connection_id=connection_id, kind=kind, direction="export", trigger=trigger,
                                      status=SyncRun.Status.SUCCEEDED, updated=3)

    monkeypatch.setattr("sync.management.commands.sync.sync_kind_run", rerun)
    out = io.StringIO()
    call_command("sync", "--kind", Kind.INVOICE, stdout=out, stderr=io.StringIO())
    header, row = out.getvalue().strip().splitlines()[1:3]
    assert header.split()[-2:] == ["still", "failed"]
    assert row.split()[-2:] == ["0", "12"]  # failed in this run, still failed now
