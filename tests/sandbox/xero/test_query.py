"""The `where` subset, ordering and paging as pure functions (the API tests cover them over HTTP)."""

from decimal import Decimal

import pytest

from sandbox.xero.formats import msdate, parse_date
from sandbox.xero.query import QueryError, compile_where, order_rows, paginate

ROWS = [
    {
        "Name": "Acme Concrete",
        "Status": "ACTIVE",
        "Total": Decimal("10.50"),
        "EmailAddress": None,
        "Contact": {"ContactID": "6A1C9D3E-1F2B-4C5D-8E9F-0A1B2C3D4E01"},
        "Date": msdate(parse_date("2026-01-10")),
    },
    {
        "Name": "Blue Sky Steel",
        "Status": "ARCHIVED",
        "Total": Decimal(99),
        "EmailAddress": "ap@blue.example",
        "Contact": {"ContactID": "00000000-0000-0000-0000-000000000002"},
        "Date": msdate(parse_date("2025-12-31")),
    },
]


def names(where):
    return [r["Name"] for r in ROWS if compile_where(where)(r)]


@pytest.mark.parametrize(
    "where, expected",
    [
        ('Status=="ACTIVE"', ["Acme Concrete"]),
        ('Status!="ACTIVE"', ["Blue Sky Steel"]),
        ('Status=="ACTIVE" OR Total>50', ["Acme Concrete", "Blue Sky Steel"]),
        ('Status=="ACTIVE" && Total>50', []),
        ('(Status=="ARCHIVED" || Total<11) AND Name.StartsWith("acme")', ["Acme Concrete"]),
        ('Contact.ContactID==guid("6a1c9d3e-1f2b-4c5d-8e9f-0a1b2c3d4e01")', ["Acme Concrete"]),
        ('Contact.ContactID==GUID("00000000-0000-0000-0000-000000000002")', ["Blue Sky Steel"]),
        ('EmailAddress!=null&&EmailAddress.EndsWith(".example")', ["Blue Sky Steel"]),
        ('Name.ToLower()=="acme concrete"', ["Acme Concrete"]),
        ('Name.Contains("SKY")', ["Blue Sky Steel"]),
        ("Date>=DateTime(2026,01,01)", ["Acme Concrete"]),
        ("Total==99", ["Blue Sky Steel"]),
    ],
)
def test_where_forms(where, expected):
    assert names(where) == expected


@pytest.mark.parametrize(
    "where", ["Status=ACTIVE", 'Name.Matches("x")', 'Status=="A" AND', "((Status", "Total>>1"]
)
def test_unsupported_where_is_an_error(where):
    with pytest.raises(QueryError):
        compile_where(where)


def test_order_and_paging():
    assert [r["Name"] for r in order_rows(ROWS, "Total DESC")] == ["Blue Sky Steel", "Acme Concrete"]
    assert [r["Name"] for r in order_rows(ROWS, "Name ASC")] == ["Acme Concrete", "Blue Sky Steel"]
    assert paginate(ROWS, None, "1") == (ROWS, None)
    page, info = paginate(ROWS, "2", "1")
    assert page == ROWS[1:] and info == {"page": 2, "pageSize": 1, "pageCount": 2, "itemCount": 2}
    assert paginate(ROWS, "1", "100000")[1]["pageSize"] == 1000
