"""The contract checks themselves: deliberate violations are caught, the spec is parsed once."""

from sandbox.xero import contract

from .helpers import take_violations


def test_a_31_character_item_code_sent_raw_is_a_violation(xero_sandbox, api):
    api.put("/Items?summarizeErrors=false", {"Items": [{"Code": "X" * 31}]})
    found = take_violations(xero_sandbox)
    assert any(v.startswith("request PUT /api.xro/2.0/Items") and "is too long" in v for v in found)


def test_a_read_only_field_in_a_request_is_a_violation(xero_sandbox, api):
    contact = api.get("/Contacts").json()["Contacts"][0]["ContactID"]
    api.put(
        "/Invoices?summarizeErrors=false",
        {
            "Invoices": [
                {
                    "Type": "ACCPAY",
                    "Contact": {"ContactID": contact},
                    "HasAttachments": False,
                    "LineItems": [{"Description": "x", "UnitAmount": 1, "AccountCode": "500"}],
                }
            ]
        },
    )
    assert any("read-only" in v or "HasAttachments" in v for v in take_violations(xero_sandbox))


def test_an_invalid_response_is_a_violation(xero_sandbox, api):
    row = next(iter(xero_sandbox.state.table("Contacts").values()))
    row["DefaultCurrency"] = "XYZ"  # what a buggy emulator could send
    api.get("/Contacts")
    found = take_violations(xero_sandbox)
    assert any(
        v.startswith("response 200 to GET /api.xro/2.0/Contacts") and "DefaultCurrency" in v for v in found
    )


def test_valid_traffic_has_no_violations_and_the_spec_is_cached(xero_sandbox, api):
    api.get("/Invoices")
    api.put("/Items?summarizeErrors=false", {"Items": [{"Code": "01-100.L", "Name": "Labor"}]})
    assert take_violations(xero_sandbox) == []
    assert contract.accounting_api() is contract.accounting_api()
