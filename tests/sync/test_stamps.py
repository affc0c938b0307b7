"""A record in Xero is shown in Procore by its origin stamp; a refusal is said in words, once."""

from types import SimpleNamespace

from procore_client.errors import ProcoreValidationError
from sync.stamps import KEY, one_by_one, refusal_words, stamp_keep


def test_procore_refusals_are_said_in_words():
    assert refusal_words({"origin_id": ["has already been taken"]}) == \
        "another Procore record already shows this Xero document"
    assert refusal_words({"base": ["The requisition is not editable because it has been synced with ERP"]}) == \
        "The requisition is not editable because it has been synced with ERP"
    assert refusal_words({"origin_code": ["is too long (maximum is 255 characters)"]}) == \
        "origin code is too long (maximum is 255 characters)"


def test_a_stamp_keeps_only_what_it_has_and_each_patch_refuses_only_its_record(monkeypatch):
    from sync import stamps

    assert stamp_keep({"po": "x"}, {"origin_id": "b-1", "origin_code": None, "origin_data": ""}) == \
        {"po": "x", KEY: {"origin_id": "b-1"}}
    done = []
    monkeypatch.setattr(stamps, "_done", lambda answered: done.extend(link.pk for link, _answer in answered))
    links = [SimpleNamespace(pk=1, engine_data={KEY: {"origin_id": "a"}}),
             SimpleNamespace(pk=2, engine_data={KEY: {"origin_id": "b"}})]

    def patch(link, stamp):
        if stamp["origin_id"] == "b":
            raise ProcoreValidationError(422, "taken", {"origin_id": ["has already been taken"]})

    assert one_by_one(patch)(None, links) == {2: "another Procore record already shows this Xero document"}
    assert done == [1]  # the one Procore took is never sent again, even if a later one fails the group
