"""Amounts stay exact Decimals; a line's quantity × unit price lands on its amount to the cent in Xero."""

from decimal import Decimal

import pytest

from sync.money import cents, dec, quantity_and_unit, total


def test_procore_strings_and_floats_become_exact_decimals():
    assert dec("1234.50") == Decimal("1234.50") and dec(None) == dec("") == 0
    assert dec(0.1) + dec(0.2) == Decimal("0.3")  # through str(), not the float's binary value
    assert cents("2.675") == Decimal("2.68")  # half up, as accountants round
    assert total(["0.10"] * 3) == Decimal("0.30")
    with pytest.raises(ValueError):
        dec("12,50")


@pytest.mark.parametrize("quantity, unit, amount, expected", [
    ("3", "33.3333", "100.00", (Decimal(3), Decimal("33.3333"))),  # 99.9999 rounds to the amount
    ("7", "14.2857", "100.01", (Decimal(1), Decimal("100.01"))),  # it would not: one unit at the amount
    ("38", "1961.00", "74518.00", (Decimal(38), Decimal("1961.0000"))),
    ("0", "5", "10.00", (Decimal(1), Decimal("10.00"))),
    (None, None, "-514.04", (Decimal(1), Decimal("-514.04"))),
    ("1.00005", "10", "10.00", (Decimal(1), Decimal("10.00"))),  # Xero keeps 4 dp of quantity
])
def test_quantity_and_unit_always_multiply_to_the_amount(quantity, unit, amount, expected):
    got = quantity_and_unit(quantity, unit, amount)
    assert got == expected
    assert (got[0] * got[1]).quantize(Decimal("0.01")) == Decimal(amount)
