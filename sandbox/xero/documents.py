"""Shared pieces of transaction documents: contact references, line items, tracking, totals."""

from __future__ import annotations

from contextvars import ContextVar
from decimal import ROUND_HALF_UP, Decimal

from .formats import money, msdate, new_id, number, parse_date

UNIT_DP: ContextVar[int] = ContextVar("unit_dp", default=4)  # the API sets 2 unless ?unitdp=4


class Invalid(Exception):
    """One element failed; `messages` become its ValidationErrors."""

    def __init__(self, *messages: str) -> None:
        super().__init__("; ".join(messages))
        self.messages = list(messages)


def find_account(state, tenant: str, ref: dict | None) -> dict | None:
    if not ref:
        return None
    for row in state.rows("Accounts", tenant):
        if (ref.get("AccountID") and row["AccountID"].lower() == str(ref["AccountID"]).lower()) or (
            ref.get("Code") and row["Code"] == ref["Code"]
        ):
            return row
    return None


def contact_ref(state, tenant: str, ref: dict | None, rules) -> dict:
    """Resolve the document's contact by ContactID, else by Name (creating it, as Xero does)."""
    if not ref:
        raise Invalid("A Contact must be specified for this type of transaction")
    if ref.get("ContactID"):
        row = state.get("Contacts", tenant, ref["ContactID"])
        if not row:
            raise Invalid(f"The contact with ContactID {ref['ContactID']} could not be found")
    else:
        name = (ref.get("Name") or "").strip()
        row = next((c for c in state.rows("Contacts", tenant) if c["Name"].lower() == name.lower()), None)
        if not row:
            if not name:
                raise Invalid("A Contact must be specified for this type of transaction")
            row = rules.save_contact(state, tenant, {"Name": name}, "PUT")
    if row.get("ContactStatus") == "ARCHIVED":
        raise Invalid(f"The contact '{row['Name']}' is archived and cannot be used on transactions")
    return {"ContactID": row["ContactID"], "Name": row["Name"]}


def tax_rate(state, tenant: str, tax_type: str | None) -> Decimal:
    if not tax_type:
        return Decimal(0)
    row = state.table("TaxRates").get(f"{tenant}:{tax_type}".lower())
    if not row:
        raise Invalid(
            f"The TaxType code '{tax_type}' does not exist or cannot be used with this type of transaction"
        )
    return number(row["EffectiveRate"])


def tracking(state, tenant: str, entries: list | None) -> list[dict]:
    """Resolve line tracking by IDs or by category/option names; at most 2; options must be active."""
    entries = entries or []
    if len(entries) > 2:
        raise Invalid("A line item can only have a maximum of 2 tracking categories")
    out = []
    categories = state.rows("TrackingCategories", tenant)
    for entry in entries:
        category = next(
            (
                c
                for c in categories
                if (
                    entry.get("TrackingCategoryID")
                    and c["TrackingCategoryID"].lower() == str(entry["TrackingCategoryID"]).lower()
                )
                or (
                    not entry.get("TrackingCategoryID")
                    and c["Name"].lower() == str(entry.get("Name", "")).lower()
                )
            ),
            None,
        )
        if not category or category["Status"] != "ACTIVE":
            raise Invalid(
                f"Tracking category '{entry.get('Name') or entry.get('TrackingCategoryID')}' is not active or does not exist"
            )
        option = next(
            (
                o
                for o in category["Options"]
                if (
                    entry.get("TrackingOptionID")
                    and o["TrackingOptionID"].lower() == str(entry["TrackingOptionID"]).lower()
                )
                or (
                    not entry.get("TrackingOptionID")
                    and o["Name"].lower() == str(entry.get("Option", "")).lower()
                )
            ),
            None,
        )
        if not option or option["Status"] != "ACTIVE":
            raise Invalid(
                f"Tracking option '{entry.get('Option') or entry.get('TrackingOptionID')}' is not active or does not exist in '{category['Name']}'"
            )
        out.append(
            {
                "TrackingCategoryID": category["TrackingCategoryID"],
                "Name": category["Name"],
                "Option": option["Name"],
                "TrackingOptionID": option["TrackingOptionID"],
            }
        )
    return out


def line_items(
    state,
    tenant: str,
    lines: list | None,
    amount_types: str,
    existing: list | None = None,
    side: str | None = None,
    account_required: bool = False,
) -> list[dict]:
    """Validate and price lines. Lines without a known LineItemID are new (ids assigned here).

    A line with an item and no account takes the item's account for this `side` of the business
    ("PurchaseDetails" for bills, POs and spend; "SalesDetails" for sales), as Xero fills it in; a document
    that posts to the ledger (`account_required`: approved bills, credit notes, spend money) needs an account
    on every line."""
    known = {str(line["LineItemID"]).lower(): line for line in existing or []}
    accounts = {a["Code"] for a in state.rows("Accounts", tenant)}
    items = {i["Code"]: i for i in state.rows("Items", tenant)}
    out = []
    for line in lines or []:
        if not isinstance(line, dict):
            raise Invalid("Line items must be objects")
        if line.get("ItemCode") and line["ItemCode"] not in items:
            raise Invalid(f"Item code '{line['ItemCode']}' is not valid")
        if line.get("AccountCode") and line["AccountCode"] not in accounts:
            raise Invalid(f"Account code '{line['AccountCode']}' is not a valid code for this document.")
        if not (line.get("Description") or line.get("ItemCode")):
            raise Invalid("Description needs to be specified for each line item")
        try:
            quantity = number(line.get("Quantity"), "1")
            if line.get("UnitAmount") is not None:
                # Without ?unitdp=4 Xero rounds unit amounts to 2 dp before computing the line.
                unit = number(line["UnitAmount"]).quantize(Decimal(10) ** -UNIT_DP.get(), ROUND_HALF_UP)
                amount = money(quantity * unit)
            else:
                amount = money(line.get("LineAmount"))
                unit = (amount / quantity) if quantity else amount
        except ValueError as exc:
            raise Invalid(str(exc))
        rate = tax_rate(state, tenant, line.get("TaxType"))
        if amount_types == "NoTax":
            tax = Decimal("0.00")
        elif amount_types == "Inclusive":
            tax = money(amount - amount / (1 + rate / 100))
        else:
            tax = money(amount * rate / 100)
        line_id = str(line.get("LineItemID") or "").lower()
        priced = {
            "LineItemID": known[line_id]["LineItemID"] if line_id in known else new_id(),
            "Description": line.get("Description") or items.get(line.get("ItemCode"), {}).get("Name", ""),
            "Quantity": quantity.quantize(Decimal("0.0001")),
            "UnitAmount": unit.quantize(Decimal("0.0001")),
            "LineAmount": amount,
            "TaxAmount": tax,
            "TaxType": line.get("TaxType") or "NONE",
            "Tracking": tracking(state, tenant, line.get("Tracking")),
        }
        for key in ("ItemCode", "AccountCode"):
            if line.get(key):
                priced[key] = line[key]
        item = items.get(line.get("ItemCode") or "")
        if side and item and not priced.get("AccountCode"):
            code = (item.get(side) or {}).get("AccountCode")
            if code:
                priced["AccountCode"] = code
        if account_required and not (priced.get("AccountCode") or line.get("AccountID")):
            raise Invalid("Account code or ID must be specified")
        out.append(priced)
    return out


def totals(lines: list[dict], amount_types: str) -> dict:
    sub = sum((number(line["LineAmount"]) for line in lines), Decimal("0.00"))
    tax = sum((number(line["TaxAmount"]) for line in lines), Decimal("0.00"))
    if amount_types == "Inclusive":
        sub -= tax
    return {"SubTotal": money(sub), "TotalTax": money(tax), "Total": money(sub + tax)}


def date_field(value, default_ts: float) -> str:
    ts = parse_date(value) if value not in (None, "") else default_ts
    if ts is None:
        raise Invalid(f"'{value}' is not a valid date")
    return msdate(ts)


def date_ts(value, default_ts: float) -> float:
    """Epoch seconds of a document date (MS JSON or ISO), `default_ts` when none is given."""
    ts = parse_date(value) if value not in (None, "") else default_ts
    if ts is None:
        raise Invalid(f"'{value}' is not a valid date")
    return ts
