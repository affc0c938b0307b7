"""A record's page in the admin: what is decided on, and who decided what, when and why, in words."""

import pytest

from connector.models import Kind, Link
from connector.services.approvals import approval_accept, approval_reject, approval_resend
from tests.factories import ConnectionFactory, LinkFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_the_record_page_tells_its_decision_history(client):
    connection = ConnectionFactory()
    link = LinkFactory(connection=connection, kind=Kind.COMMITMENT, state=Link.State.AWAITING_APPROVAL,
                       label="SC-0042 Framing", document_number="SC-0042", vendor_name="Acme Framing",
                       project_name="24-017 Library", amount="12500.00", content_fingerprint="c1")
    ann, bob = UserFactory(username="ann", role="Accountant"), UserFactory(username="bob", role="Accountant")
    approval_reject(links=[link], reason="Retainage should be 10 %", user=ann)
    approval_resend(links=[link], user=bob)
    approval_accept(links=[link], user=ann)

    client.force_login(UserFactory(role="Viewer"))
    page = client.get(f"/admin/connector/link/{link.pk}/change/").content.decode()
    rejected, resent, accepted = (page.index(f"{verb} by {who} on") for verb, who in
                                  (("Rejected", "ann"), ("Re-sent", "bob"), ("Accepted", "ann")))
    assert rejected < resent < accepted, "oldest first"
    assert "SC-0042 · Acme Framing · 24-017 Library · 12,500.00" in page
    assert "Reason: Retainage should be 10 %" in page
    assert "comes back to this queue" in page  # the page says what an acceptance covers

    listing = client.get("/admin/connector/decision/").content.decode()
    assert listing.count("SC-0042 Framing") == 3


def test_a_paused_run_says_in_the_list_when_it_goes_on(client):
    from datetime import timedelta

    from django.utils import timezone

    from connector.models import SyncRun
    from sync.runs import run_pause

    run = SyncRun.objects.create(connection=ConnectionFactory(), kind=Kind.COMMITMENT, direction="export",
                                 trigger="schedule")
    at = timezone.now() + timedelta(minutes=40)
    run_pause(run, resume_at=at, why="Procore's hourly call limit is used up for now")
    client.force_login(UserFactory(role="Accountant"))
    page = client.get("/admin/connector/syncrun/").content.decode()
    assert f"Paused — continues at {timezone.localtime(at):%H:%M}" in page
    detail = client.get(f"/admin/connector/syncrun/{run.pk}/change/").content.decode()
    assert "hourly call limit is used up for now" in detail and "Worker tasks this run has taken" not in page
