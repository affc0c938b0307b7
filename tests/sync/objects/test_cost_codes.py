"""Cost codes × cost types become Xero items: exactly once, renames follow, long codes explained."""

import pytest
import requests

from connector.models import Kind, Link, SyncRecord
from sync.objects.cost_codes import item_code, item_payload, item_problem
from sync.services import sync_kind_run


def test_item_code_joins_cost_code_and_cost_type():
    assert item_code({"full_code": "01-100", "code": "100"}, {"code": "L"}) == "01-100.L"


def test_item_is_purchased_only_and_names_fit_xero():
    payload = item_payload({"full_code": "01-100", "name": "X" * 60}, {"code": "L", "name": "Labor"},
                           account_code="400")
    assert payload["IsPurchased"] is True and payload["IsSold"] is False
    assert len(payload["Name"]) == 50 and payload["PurchaseDetails"] == {"AccountCode": "400"}


def test_a_code_longer_than_thirty_characters_is_refused_with_a_hint():
    message, hint = item_problem(item_payload({"full_code": "9" * 29, "name": "n"}, {"code": "L", "name": "x"}))
    assert "31 characters" in message and "Shorten" in hint


def xero_items(xero_sandbox):
    return requests.get(f"{xero_sandbox.url}/_sandbox/data/Items", timeout=10).json()


@pytest.mark.django_db
def test_full_sync_creates_each_item_once_and_a_second_run_writes_nothing(connection, procore_sandbox, xero_sandbox):
    before = {i["Code"] for i in xero_items(xero_sandbox)}
    run = sync_kind_run(connection_id=connection.pk, kind=Kind.COST_CODE)
    created = {i["Code"] for i in xero_items(xero_sandbox)} - before

    synced = Link.objects.filter(connection=connection, kind=Kind.COST_CODE, state=Link.State.SYNCED)
    assert created and created == set(synced.values_list("label", flat=True))
    assert run.created == len(created)
    failed = Link.objects.filter(connection=connection, kind=Kind.COST_CODE, state=Link.State.FAILED)
    assert failed.count() == 3  # the seeded 29-character code × 3 cost types
    assert all("Xero allows 30" in link.last_error and link.hint for link in failed)
    assert run.records.filter(action=SyncRecord.Action.FAILED).count() == 3

    again = sync_kind_run(connection_id=connection.pk, kind=Kind.COST_CODE)
    assert (again.created, again.updated, again.failed) == (0, 0, 0)
    assert len(xero_items(xero_sandbox)) == len(before) + len(created)


@pytest.mark.django_db
def test_a_renamed_cost_code_renames_its_items(connection, procore_sandbox, xero_sandbox):
    from connector.clients import procore_client_for

    sync_kind_run(connection_id=connection.pk, kind=Kind.COST_CODE)
    procore = procore_client_for(connection)
    code_list = next(l for l in procore.standard_cost_code_lists() if l.get("is_erp_list"))
    code = procore.standard_cost_codes(code_list["id"], {"view": "extended"})[0]
    procore.sync_standard_cost_codes(code_list["id"], [{"id": code["id"], "name": "Site mobilisation"}])

    run = sync_kind_run(connection_id=connection.pk, kind=Kind.COST_CODE)
    renamed = {i["Code"]: i["Name"] for i in xero_items(xero_sandbox) if i["Code"].startswith(code["full_code"] + ".")}
    assert renamed and set(renamed.values()) == {"Site mobilisation"}
    assert run.updated == len(renamed) and run.created == 0


@pytest.mark.django_db
def test_items_xero_refused_wait_for_a_change_instead_of_being_resent_every_run(connection, procore_sandbox,
                                                                               xero_sandbox):
    from connector.models import ConnectionSettings
    from tests.sandboxes import calls, calls_reset

    ConnectionSettings.objects.filter(connection=connection).update(purchase_account_code="999")  # not in Xero
    first = sync_kind_run(connection_id=connection.pk, kind=Kind.COST_CODE)
    refused = list(Link.objects.filter(connection=connection, kind=Kind.COST_CODE, state=Link.State.FAILED,
                                       last_error__icontains="account").values_list("pk", flat=True))
    assert refused and first.created == 0
    calls_reset(xero_sandbox)
    again = sync_kind_run(connection_id=connection.pk, kind=Kind.COST_CODE)
    assert "POST /api.xro/2.0/Items" not in calls(xero_sandbox), "a 4xx is not retried blindly"
    assert again.failed == 0

    ConnectionSettings.objects.filter(connection=connection).update(purchase_account_code="500")  # the fix
    fixed = sync_kind_run(connection_id=connection.pk, kind=Kind.COST_CODE)
    assert fixed.created == Link.objects.filter(pk__in=refused, state=Link.State.SYNCED).count() == len(refused)


def test_an_item_name_longer_than_xero_takes_is_shortened_and_said(monkeypatch):
    from types import SimpleNamespace

    from sync.objects import cost_codes

    said = []
    monkeypatch.setattr(cost_codes, "run_log", lambda run, action, **kw: said.append(kw["message"]))
    name = "Structural steel erection including connections and shop drawings"
    payload = cost_codes.item_payload({"code": "05-120", "name": name}, {"code": "S", "name": "Subcontract"})
    assert len(payload["Name"]) <= 50 and payload["Name"].endswith("…") and name in payload["PurchaseDescription"]
    cost_codes._say_shortened(SimpleNamespace(run=None), SimpleNamespace(payload=payload, link=None))
    assert said == [f"The cost code's name has {len(name)} characters, more than the 50 Xero takes: it is shown in "
                    f"Xero as “{payload['Name']}”. The whole name is its purchase description."]
