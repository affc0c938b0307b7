"""Links to a record in Procore's and Xero's web apps, and amounts in the organisation's currency."""

from decimal import Decimal

import pytest

from connector.models import Kind
from connector.record_urls import currency_of, money, procore_url, xero_url
from tests.factories import ConnectionFactory, LinkFactory

pytestmark = pytest.mark.django_db


def test_a_bill_opens_on_both_sides(settings):
    settings.PROCORE_APP_URL = "https://app.procore.com"
    link = LinkFactory(kind=Kind.INVOICE, procore_id="55", project_id="2800000", parent_id="900", xero_id="b-1")
    assert procore_url(link) == "https://app.procore.com/2800000/project/commitments/900/invoices/55"
    assert xero_url(link) == "https://go.xero.com/AccountsPayable/View.aspx?InvoiceID=b-1"


def test_a_record_not_in_xero_yet_has_no_xero_link():
    assert xero_url(LinkFactory(kind=Kind.COMMITMENT, xero_id="")) == ""


def test_money_in_the_organisations_currency():
    assert money(Decimal("12500"), currency_of(ConnectionFactory(xero_country="CA"))) == "CAD 12,500.00"
    assert money(None, "USD") == "—"
