"""The one transition function: a record moves only from the states named, and a run's stale copy loses."""

import pytest

from connector.models import Kind, Link
from connector.services.approvals import approval_accept, approval_reject, approval_resend
from connector.services.records import (
    record_bind_all,
    record_mark_exporting,
    record_moved_words,
    record_new_all,
    record_transition,
)
from tests.factories import ConnectionFactory, LinkFactory, UserFactory

State = Link.State


@pytest.mark.django_db
def test_a_transition_names_the_states_it_may_leave():
    link = LinkFactory(state=State.SYNCED)
    assert not record_transition(link, State.EXPORTING, leaving=[State.READY])
    assert Link.objects.get(pk=link.pk).state == State.SYNCED
    assert record_transition(link, State.EXPORTING, leaving=[State.SYNCED])
    assert (link.state, link.version) == (State.EXPORTING, 1) == tuple(
        Link.objects.filter(pk=link.pk).values_list("state", "version").get())


@pytest.mark.django_db
def test_a_run_holding_a_stale_copy_loses_to_a_person_and_sees_what_happened():
    user = UserFactory(username="alice")
    link = LinkFactory(state=State.READY, content_fingerprint="c1", approved_fingerprint="c1", label="SC-9")
    stale = Link.objects.get(pk=link.pk)  # what a run read
    approval_reject(links=[link], reason="Wrong vendor", user=user)
    assert not record_mark_exporting([stale], "key-1"), "the run may not export what was rejected meanwhile"
    assert stale.state == State.REJECTED  # refreshed: the run knows where the record is now
    assert "Rejected by alice while this run was going" in record_moved_words(stale)
    fresh = Link.objects.get(pk=link.pk)
    assert (fresh.state, fresh.rejected_reason, fresh.idempotency_key) == (State.REJECTED, "Wrong vendor", "")


@pytest.mark.django_db
def test_only_the_fields_named_are_written():
    link = LinkFactory(state=State.AWAITING_APPROVAL, label="Old label", content_fingerprint="c1")
    run_copy = Link.objects.get(pk=link.pk)
    Link.objects.filter(pk=link.pk).update(label="Renamed by the engine")
    assert record_transition(run_copy, State.READY, leaving=[State.AWAITING_APPROVAL], person=True)
    assert Link.objects.get(pk=link.pk).label == "Renamed by the engine", "a stale copy's other fields are not saved"


@pytest.mark.django_db
def test_accept_records_who_and_what_and_a_re_send_never_skips_the_queue():
    connection = ConnectionFactory()
    user = UserFactory(username="bob")
    queued = LinkFactory(connection=connection, kind=Kind.COMMITMENT, state=State.AWAITING_APPROVAL,
                         content_fingerprint="c1", document_number="SC-1", vendor_name="Acme", amount="120.50")
    [accepted] = approval_accept(links=[queued], user=user)
    assert (accepted.state, accepted.approved_fingerprint) == (State.READY, "c1")
    decision = accepted.decisions.get()
    assert (decision.verdict, decision.username, decision.content_fingerprint) == ("accepted", "bob", "c1")
    assert decision.in_words.startswith("Accepted by bob on ") and "SC-1 · Acme · 120.50" in decision.in_words

    refused = LinkFactory(connection=connection, kind=Kind.COMMITMENT, state=State.FAILED, content_fingerprint="c2",
                          refused_fingerprint="c2", last_error="Xero refused the record")
    [resent] = approval_resend(links=[refused], user=user)
    assert resent.state == State.AWAITING_APPROVAL, "never accepted: back to the queue, not straight to Xero"
    accepted_before = LinkFactory(connection=connection, kind=Kind.COMMITMENT, state=State.FAILED,
                                  content_fingerprint="c3", approved_fingerprint="c3", refused_fingerprint="c3")
    assert approval_resend(links=[accepted_before], user=user)[0].state == State.READY


@pytest.mark.django_db
def test_a_record_being_written_to_xero_cannot_be_rejected_any_more():
    link = LinkFactory(state=State.EXPORTING)
    assert approval_reject(links=[link], reason="Too late") == []
    assert Link.objects.get(pk=link.pk).state == State.EXPORTING


@pytest.mark.django_db
def test_a_batch_moves_together_but_a_record_someone_moved_meanwhile_stays_where_they_put_it():
    user = UserFactory(username="carol")
    connection = ConnectionFactory()
    links = [LinkFactory(connection=connection, state=State.READY, content_fingerprint="c", approved_fingerprint="c")
             for _ in range(3)]
    stale = [Link.objects.get(pk=link.pk) for link in links]  # what a run read
    approval_reject(links=[links[1]], reason="Not this one", user=user)
    taken = record_mark_exporting(stale, "key-2", references={link.pk: f"REF-{n}" for n, link in enumerate(stale)})
    assert [link.pk for link in taken] == [links[0].pk, links[2].pk]
    assert stale[1].state == State.REJECTED, "refreshed: the run can say who moved it"
    rows = {pk: (state, key, ref) for pk, state, key, ref in Link.objects.values_list(
        "pk", "state", "idempotency_key", "reference")}
    assert rows[links[0].pk] == (State.EXPORTING, "key-2", "REF-0") and rows[links[1].pk][:2] == (State.REJECTED, "")

    # Xero's answers: one remote id is already another record's; only that record fails, the other is bound.
    LinkFactory(connection=connection, kind=stale[0].kind, xero_id="X-TAKEN", state=State.SYNCED)
    bound = record_bind_all([(stale[0], {"xero_id": "X-1", "fingerprint": "f1", "reference": "REF-0"}),
                             (stale[2], {"xero_id": "X-TAKEN", "fingerprint": "f2", "reference": "REF-2"})])
    assert [link.pk for link in bound] == [links[0].pk]
    first, third = Link.objects.get(pk=links[0].pk), Link.objects.get(pk=links[2].pk)
    assert (first.state, first.xero_id, first.fingerprint) == (State.SYNCED, "X-1", "f1")
    assert third.state == State.FAILED and "already linked to another record" in third.last_error


@pytest.mark.django_db
def test_records_made_together_are_each_made_once_even_when_one_was_made_meanwhile():
    connection = ConnectionFactory()
    made = record_new_all(connection, Kind.JOB_COST, [
        {"xero_id": "D-1:1", "state": State.EXPORTING, "label": "Bill 1"},
        {"xero_id": "D-2:1", "state": State.FAILED, "label": "Bill 2", "last_error": "No cost code"}])
    assert [(link.xero_id, link.state, was_made) for link, was_made in made] == [
        ("D-1:1", State.EXPORTING, True), ("D-2:1", State.FAILED, True)]
    assert Link.objects.get(pk=made[1][0].pk).last_error == "No cost code"

    again = record_new_all(connection, Kind.JOB_COST, [{"xero_id": "D-2:1", "state": State.EXPORTING},
                                                       {"xero_id": "D-3:1", "state": State.EXPORTING}])
    assert [(link.xero_id, link.state, was_made) for link, was_made in again] == [
        ("D-2:1", State.FAILED, False), ("D-3:1", State.EXPORTING, True)], "the one made meanwhile is kept as it is"
    assert Link.objects.filter(connection=connection, kind=Kind.JOB_COST).count() == 3
