"""A change of the Xero defaults that affects documents already in Xero is confirmed first, in words."""

import pytest
from django.forms.models import model_to_dict

from connector.models import ConnectionSettings, Kind, Link
from connector.settings_form import ConnectionSettingsForm
from tests.factories import ConnectionFactory, LinkFactory

pytestmark = pytest.mark.django_db


def form_for(settings, **changes):
    settings = ConnectionSettings.objects.get(pk=settings.pk)  # a form's cleaning writes into its instance
    data = {k: v for k, v in model_to_dict(settings).items() if v is not None}
    data.update(changes)
    return ConnectionSettingsForm(data=data, instance=settings)


@pytest.fixture
def settings_with_bills():
    connection = ConnectionFactory(xero_country="US")
    # a purchase account is set: approved bills need one on every line (the form refuses them without)
    ConnectionSettings.objects.filter(connection=connection).update(tracking_category_id="cat-1",
                                                                    tracking_category_name="Job",
                                                                    purchase_account_code="400")
    for n in range(3):
        LinkFactory(connection=connection, kind=Kind.INVOICE, xero_id=f"bill-{n}", state=Link.State.SYNCED)
    return ConnectionSettings.objects.get(connection=connection)


def test_changing_the_bill_status_with_bills_in_xero_asks_first(settings_with_bills):
    form = form_for(settings_with_bills, bill_status="AUTHORISED")
    assert not form.is_valid()
    words = " ".join(form.non_field_errors())
    assert "3 bills are already in Xero as Draft; they keep that status" in words
    assert "Tick “Change it for documents already in Xero too”" in words
    assert form_for(settings_with_bills, bill_status="AUTHORISED", confirm_exported_change="on").is_valid()


def test_changing_the_tracking_category_warns_of_the_retagging(settings_with_bills):
    form = form_for(settings_with_bills, tracking_category_id="")  # "—" is no change of category
    assert form.is_valid(), form.errors
    form = form_for(settings_with_bills, tracking_category_id="cat-2")
    form.fields["tracking_category_id"].choices += [("cat-2", "Region")]
    assert not form.is_valid()
    assert "3 purchase orders and bills in Xero are tagged" in " ".join(form.non_field_errors())


def test_no_warning_before_anything_was_exported():
    connection = ConnectionFactory(xero_country="US")
    ConnectionSettings.objects.filter(connection=connection).update(purchase_account_code="400")
    assert form_for(ConnectionSettings.objects.get(connection=connection), bill_status="AUTHORISED").is_valid()
