"""Connection settings are validated against what the Xero organisation really has."""

import pytest

from connector import settings_form
from connector.models import ConnectionSettings
from connector.settings_form import CREATE_JOB, ConnectionSettingsForm
from tests.factories import ConnectionFactory

pytestmark = pytest.mark.django_db


def form_for(connection, monkeypatch, categories, **data):
    reference = {"tracking_categories": categories, "accounts": [{"code": "500", "name": "Cost of Goods"}],
                 "tax_rates": [{"type": "NONE", "name": "Tax Exempt"}], "error": None}
    monkeypatch.setattr(settings_form, "xero_reference_data", lambda connection: reference)
    instance = ConnectionSettings.objects.get(connection=connection)
    values = {f.name: getattr(instance, f.name) for f in ConnectionSettings._meta.fields if f.name not in ("id",)}
    values.update(connection=connection.pk, **data)
    form_class = type("Form", (ConnectionSettingsForm,), {"connection": connection})
    return form_class(data={k: v for k, v in values.items() if v is not None}, instance=instance)


def test_creating_a_job_category_is_refused_when_xero_already_has_two_active(monkeypatch):
    connection = ConnectionFactory()
    categories = [{"id": "a", "name": "Region", "status": "ACTIVE"}, {"id": "b", "name": "Department",
                                                                       "status": "ACTIVE"}]
    form = form_for(connection, monkeypatch, categories, tracking_category_id=CREATE_JOB)
    assert not form.is_valid()
    assert "already has them (Region, Department)" in form.errors["tracking_category_id"][0]


def test_an_existing_category_and_account_can_be_chosen(monkeypatch):
    connection = ConnectionFactory()
    form = form_for(connection, monkeypatch, [{"id": "a", "name": "Job", "status": "ACTIVE"}],
                    tracking_category_id="a", purchase_account_code="500", tax_type="NONE")
    assert form.is_valid(), form.errors
    saved = form.save()
    assert (saved.tracking_category_id, saved.tracking_category_name, saved.purchase_account_code) == ("a", "Job", "500")


def test_an_account_xero_does_not_have_is_refused(monkeypatch):
    connection = ConnectionFactory()
    form = form_for(connection, monkeypatch, [], purchase_account_code="999")
    assert not form.is_valid() and "purchase_account_code" in form.errors


def test_bill_payments_cannot_be_switched_on_for_a_canadian_organisation(monkeypatch):
    connection = ConnectionFactory(xero_country="CA")
    form = form_for(connection, monkeypatch, [], payments_cadence="hourly")
    assert not form.is_valid()
    assert "only for US Xero organisations" in form.errors["payments_cadence"][0]


def test_switching_payments_on_records_when(monkeypatch):
    connection = ConnectionFactory()
    form = form_for(connection, monkeypatch, [], payments_cadence="daily")
    assert form.is_valid(), form.errors
    assert form.save().payments_enabled_at is not None


def test_approved_bills_need_a_purchase_account_first(monkeypatch):
    connection = ConnectionFactory()
    form = form_for(connection, monkeypatch, [], bill_status="AUTHORISED", purchase_account_code="")
    assert not form.is_valid()
    assert "choose a default purchase account first" in form.errors["bill_status"][0]
    form = form_for(connection, monkeypatch, [], bill_status="AUTHORISED", purchase_account_code="500")
    assert form.is_valid(), form.errors
    assert "created from now on" in form.fields["bill_status"].help_text


def test_the_room_left_in_the_projects_category_is_shown(monkeypatch):
    connection = ConnectionFactory()
    ConnectionSettings.objects.filter(connection=connection).update(tracking_category_id="a")
    form = form_for(connection, monkeypatch, [{"id": "a", "name": "Job", "status": "ACTIVE", "active_options": 93}])
    text = form.fields["tracking_category_id"].help_text
    assert "“Job” has 93 of Xero's 100 active options in use: room for 7 more projects." in text
    assert "Retire closed projects" in text
