"""One Procore company ⇄ one Xero organisation, and the organisations the connector refuses."""

import pytest
from django.db import IntegrityError, transaction

from connector.errors import ConnectionRefused
from connector.models import Connection
from connector.services.connections import connection_choose_procore_company, organisation_check
from tests.factories import ConnectionFactory

pytestmark = pytest.mark.django_db


def test_a_procore_company_joins_one_live_connection_only():
    ConnectionFactory(procore_company_id=42)
    with pytest.raises(IntegrityError), transaction.atomic():
        ConnectionFactory(procore_company_id=42)


def test_a_xero_organisation_joins_one_live_connection_only():
    ConnectionFactory(xero_tenant_id="t-1")
    with pytest.raises(IntegrityError), transaction.atomic():
        ConnectionFactory(xero_tenant_id="t-1")


def test_a_disconnected_connection_stays_as_history_and_frees_both_sides():
    ConnectionFactory(procore_company_id=42, xero_tenant_id="t-1", status=Connection.Status.DISCONNECTED)
    ConnectionFactory(procore_company_id=42, xero_tenant_id="t-1")
    assert Connection.objects.filter(procore_company_id=42).count() == 2


def test_choosing_a_company_already_joined_is_explained():
    ConnectionFactory(procore_company_id=42, xero_organisation_name="Summit LLC")
    pending = ConnectionFactory(procore_company_id=None, xero_tenant_id="", status=Connection.Status.PENDING)
    with pytest.raises(ConnectionRefused, match="already joined to Summit LLC"):
        connection_choose_procore_company(connection=pending, company_id=42, company_name="Summit")


@pytest.mark.parametrize("organisation, message", [
    ({"Name": "Kiwi", "CountryCode": "NZ", "Class": "PREMIUM"}, "United States and Canada only"),
    ({"Name": "Tiny", "CountryCode": "US", "Class": "STARTER"}, "Early plan"),
])
def test_unsupported_organisations_are_refused_with_a_reason(organisation, message):
    with pytest.raises(ConnectionRefused, match=message):
        organisation_check(organisation)


@pytest.mark.parametrize("country, plan", [("US", "STANDARD"), ("CA", "PREMIUM"), ("US", "PREMIUM")])
def test_us_and_canadian_growing_and_established_are_accepted(country, plan):
    organisation_check({"Name": "Ok", "CountryCode": country, "Class": plan})


def test_every_class_of_xeros_enum_is_named_and_judged_and_a_newer_one_never_crashes():
    import yaml
    from django.conf import settings

    from connector.services.connections import PLANS, plan_name

    spec = yaml.safe_load((settings.BASE_DIR / "specs" / "xero" / "xero_accounting.yaml").read_text())
    assert set(spec["components"]["schemas"]["Organisation"]["properties"]["Class"]["enum"]) == set(PLANS)
    for plan, (name, served) in PLANS.items():
        assert plan_name(plan) == name
        if served:
            organisation_check({"Name": "Ok", "CountryCode": "US", "Class": plan})
        else:
            with pytest.raises(ConnectionRefused, match=f"Xero's {name} plan"):
                organisation_check({"Name": "Small", "CountryCode": "CA", "Class": plan})
    organisation_check({"Name": "Ok", "CountryCode": "US", "Class": "NEXT_GEN_PLAN"})  # newer than the table
    assert plan_name("NEXT_GEN_PLAN") == "Next Gen Plan"
