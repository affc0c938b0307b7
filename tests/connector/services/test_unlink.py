"""The unlink service on its own: what is refused, and that a run in flight does not undo it."""

from types import SimpleNamespace

import pytest

from connector.locks import keep, run_lock_name
from connector.models import AuditEntry, Decision, Kind, Link
from connector.services.records import record_bind, record_transition
from connector.services.unlink import unlink_vendor
from connector.services.vendors import VendorActionError
from procore_client.errors import ProcoreServerError
from tests.factories import ConnectionFactory, LinkFactory, UserFactory

State = Link.State


class FakeProcore:
    """The vendor as Procore holds it; `fail`: the call that answers 5xx."""

    def __init__(self, origin_id="", fail=None):
        self.origin_id, self.fail, self.sent = origin_id, fail, []

    def vendors(self, query):
        if self.fail == "read":
            raise ProcoreServerError(503, "unavailable")
        return [{"id": query["filters[id][]"][0], "origin_id": self.origin_id}]

    def sync_vendors(self, updates):
        if self.fail == "write":
            raise ProcoreServerError(503, "unavailable")
        self.sent += updates
        self.origin_id = updates[0]["origin_id"]
        return SimpleNamespace(entities=[{"id": updates[0]["id"], "origin_id": self.origin_id}], errors=[])


@pytest.fixture
def linked(db):
    connection = ConnectionFactory()
    link = LinkFactory(connection=connection, kind=Kind.VENDOR, procore_id="501", xero_id="c-1", label="Apex Steel",
                       state=State.SYNCED, fingerprint="f" * 64,
                       procore_snapshot={"name": "Apex Steel", "origin_id": "c-1"},
                       xero_snapshot={"name": "Valley Fuel", "status": "ACTIVE"})
    return connection, link, UserFactory(username="ann", role="Accountant", role__on=[connection])


def test_the_origin_id_the_link_stamped_is_cleared_and_the_pair_split(linked):
    connection, link, ann = linked
    procore = FakeProcore(origin_id="c-1")
    done = unlink_vendor(connection, link, ann, procore=procore)
    assert procore.sent == [{"id": 501, "origin_id": None}]
    link.refresh_from_db()
    assert (link.xero_id, link.xero_snapshot, link.fingerprint, link.state) == ("", {}, "", State.READY)
    assert done.xero.xero_id == "c-1" and done.xero.procore_id == "" and done.xero.label == "Valley Fuel"
    assert AuditEntry.objects.get(action=AuditEntry.Action.UNLINK).record_count == 2


def test_another_integrations_origin_id_is_left_alone(linked):
    connection, link, ann = linked
    procore = FakeProcore(origin_id="ERP-9")
    unlink_vendor(connection, link, ann, procore=procore)
    assert procore.sent == [] and Link.objects.get(pk=link.pk).xero_id == ""


@pytest.mark.parametrize("fail", ["read", "write"])
def test_when_procore_cannot_be_told_nothing_changes(linked, fail):
    connection, link, ann = linked
    with pytest.raises(VendorActionError, match="Procore could not be reached to unlink “Apex Steel” "
                                                r"\(it answered 503\); nothing was changed"):
        unlink_vendor(connection, link, ann, procore=FakeProcore(origin_id="c-1", fail=fail))
    link.refresh_from_db()
    assert (link.xero_id, link.state) == ("c-1", State.SYNCED)
    assert not AuditEntry.objects.exists() and not Decision.objects.exists()
    assert Link.objects.filter(connection=connection).count() == 1


def test_an_unlinked_or_archived_record_is_refused_in_words(linked):
    connection, link, ann = linked
    alone = LinkFactory(connection=connection, kind=Kind.VENDOR, procore_id="502", label="Bravo", state=State.READY)
    with pytest.raises(VendorActionError, match="“Bravo” is not linked; there is nothing to unlink."):
        unlink_vendor(connection, alone, ann, procore=FakeProcore())
    Link.objects.filter(pk=link.pk).update(state=State.EXPORTING)
    with pytest.raises(VendorActionError, match="“Apex Steel” is being written right now"):
        unlink_vendor(connection, link, ann, procore=FakeProcore())
    with pytest.raises(VendorActionError, match="not one of this connection's"):
        unlink_vendor(ConnectionFactory(), link, ann, procore=FakeProcore())


def test_a_run_in_flight_does_not_write_the_old_pair_back(linked):
    connection, link, ann = linked
    # What two vendor runs read before the person unlinked (each copy is refreshed once it misses).
    bind_copy, update_copy = Link.objects.get(pk=link.pk), Link.objects.get(pk=link.pk)
    unlink_vendor(connection, link, ann, procore=FakeProcore(origin_id="c-1"))
    assert not record_bind(bind_copy, xero_id="c-1", leaving=[State.SYNCED, State.READY])
    assert not record_transition(update_copy, State.SYNCED, leaving=[State.SYNCED, State.READY], fingerprint="x")
    fresh = Link.objects.get(pk=link.pk)
    assert (fresh.xero_id, fresh.state, fresh.fingerprint) == ("", State.READY, "")


def test_while_a_company_sync_runs_the_unlink_waits_then_is_refused_in_words(linked, monkeypatch):
    connection, link, ann = linked
    monkeypatch.setattr("connector.services.unlink.RUN_WAIT_S", 0)
    procore = FakeProcore(origin_id="c-1")
    with keep(run_lock_name(connection.pk, Kind.VENDOR)):
        with pytest.raises(VendorActionError, match="The company sync of this connection is running right now"):
            unlink_vendor(connection, link, ann, procore=procore)
    assert procore.sent == [] and Link.objects.get(pk=link.pk).xero_id == "c-1"
    unlink_vendor(connection, link, ann, procore=procore)  # once it has finished
    assert Link.objects.get(pk=link.pk).xero_id == ""


def test_an_unlinked_pair_is_not_suggested_again_but_can_still_be_linked_by_hand(db):
    from connector.services.vendors import link_by_hand, link_suggested_all, matching_board

    connection = ConnectionFactory()
    ann = UserFactory(username="ann", role="Accountant", role__on=[connection])

    def pair(n, name):
        return (LinkFactory(connection=connection, kind=Kind.VENDOR, procore_id=str(n), label=name, state=State.READY,
                            procore_snapshot={"name": name}),
                LinkFactory(connection=connection, kind=Kind.VENDOR, procore_id="", xero_id=f"c-{n}", label=name,
                            state=State.READY, xero_snapshot={"name": name, "status": "ACTIVE"}))

    acme, acme_contact = pair(1, "Acme")
    pair(2, "Bravo")
    link_suggested_all(connection, ann)
    unlink_vendor(connection, Link.objects.get(pk=acme.pk), ann, procore=FakeProcore())
    assert [s.procore.name for s in matching_board(connection).suggestions] == []  # Bravo stays linked
    assert link_suggested_all(connection, ann).done == []
    contact = Link.objects.get(connection=connection, xero_id="c-1")
    assert link_by_hand(connection, acme, contact, ann).xero_id == "c-1"  # a person may still decide so
