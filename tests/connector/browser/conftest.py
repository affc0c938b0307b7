"""Shared set-up of the workspace's browser tests: one connection, an accountant on it, records to decide on."""

from datetime import date
from decimal import Decimal

import pytest

from connector.models import Kind, Link, LinkLine, Membership
from tests.factories import ConnectionFactory, LinkFactory, UserFactory

State = Link.State


@pytest.fixture
def workspace(db):
    """A US connection with an accountant member ("acc") and a company admin ("ada")."""
    connection = ConnectionFactory(procore_company_name="Summit Ridge Builders", xero_country="US")
    people = {}
    for username, role in (("acc", Membership.Role.ACCOUNTANT), ("ada", Membership.Role.COMPANY_ADMIN)):
        user = UserFactory(username=username)
        Membership.objects.create(connection=connection, user=user, role=role)
        people[username] = user
    return {"connection": connection, **people}


def invoice(connection, number: str, vendor: str, amount: str, *, retention: str | None = None,
            state=State.AWAITING_APPROVAL, lines: int = 2, **fields) -> Link:
    link = LinkFactory(connection=connection, kind=Kind.INVOICE, label=f"{number} {vendor}", document_number=number,
                       vendor_name=vendor, project_name="26-201 Tulsa Library", document_date=date(2026, 11, 20),
                       amount=Decimal(amount), retention=Decimal(retention) if retention else None,
                       retainage_percent=Decimal("10") if retention else None, project_id="2800000",
                       parent_id="900", state=state, content_fingerprint=f"fp-{number}", **fields)
    for position in range(lines):
        LinkLine.objects.create(link=link, procore_line_id=f"{link.procore_id}-{position}",
                                item_code=f"03-300.M{position}", position=position,
                                amount=(Decimal(amount) / lines).quantize(Decimal("0.01")))
    return link


@pytest.fixture
def login(browser_page, live_server):
    def as_(username: str):
        page = browser_page
        page.goto(f"{live_server.url}/admin/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", "pass-word-123")
        page.click("input[type=submit]")
        return page
    return as_
