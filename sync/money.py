"""Money as Decimal from end to end: Procore sends strings, Xero keeps 2 dp amounts and 4 dp unit prices."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT, UNIT = Decimal("0.01"), Decimal("0.0001")


def dec(value) -> Decimal:
    """A Procore amount ("1234.50", 12, None, "") as an exact Decimal; floats go through str()."""
    if value in (None, ""):
        return Decimal(0)
    try:
        return Decimal(str(value))
    except InvalidOperation as exc:
        raise ValueError(f"not an amount: {value!r}") from exc


def cents(value) -> Decimal:
    return dec(value).quantize(CENT, ROUND_HALF_UP)


def total(values) -> Decimal:
    return sum((dec(v) for v in values), Decimal("0.00"))


def quantity_and_unit(quantity, unit_cost, amount) -> tuple[Decimal, Decimal]:
    """Quantity and unit price whose product Xero rounds to exactly `amount`.

    Xero computes the line amount from Quantity × UnitAmount (4 dp) and rounds it to cents; a Procore
    line of 3 × 33.3333 = 100.00 would come out as 99.9999 → 100.00 but 7 × 14.2857 = 99.9999 → 100.00
    only by luck. When the product does not land on the amount, send one unit at the amount instead.
    """
    amount = cents(amount)
    try:
        qty, unit = dec(quantity), dec(unit_cost).quantize(UNIT, ROUND_HALF_UP)
    except ValueError:
        return Decimal(1), amount
    if qty != 0 and qty == qty.quantize(UNIT) and (qty * unit).quantize(CENT, ROUND_HALF_UP) == amount:
        return qty, unit
    return Decimal(1), amount


def coded(line: dict, account_code: str = "", tax_type: str = "") -> dict:
    """A Xero line with the connection's default purchase account and tax rate, when they are set."""
    if account_code:
        line["AccountCode"] = account_code
    if tax_type:
        line["TaxType"] = tax_type
    return line
