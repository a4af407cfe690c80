from decimal import Decimal

import pytest

from receivables.errors import DunError
from receivables.money import Money, parse_amount, round_money, to_text


@pytest.mark.parametrize("text", [
    "NaN", "nan", "Infinity", "-Infinity", "inf", "1e999999", "1E3", "1_000", "12,50", "£10", "10£",
    "١٢٣", "１２", "", " ", "1.2.3", ".5", "5.", "+5", "0x10", "1 000", "10.001", "-5", "−5",
])
def test_parse_amount_refuses_anything_but_plain_decimals(text):
    with pytest.raises(DunError) as e:
        parse_amount(text, "GBP")
    assert "\n" not in str(e.value)


def test_parse_amount_accepts_plain_amounts_and_pads_to_the_minor_unit():
    assert parse_amount("1234.5", "GBP") == Decimal("1234.50")
    assert str(parse_amount("1234.5", "GBP")) == "1234.50"
    assert parse_amount(" 7 ", "GBP") == Decimal("7.00")
    assert parse_amount("1000", "JPY") == Decimal("1000")
    assert parse_amount("1.234", "KWD") == Decimal("1.234")


def test_currency_decimals_are_enforced_per_currency():
    with pytest.raises(DunError, match="more decimals than JPY"):
        parse_amount("10.5", "JPY")
    with pytest.raises(DunError, match="unknown currency"):
        parse_amount("10", "XXQ")
    with pytest.raises(DunError, match="zero"):
        parse_amount("0.00", "GBP")
    assert parse_amount("0", "GBP", allow_zero=True) == 0
    assert parse_amount("-3.10", "EUR", allow_negative=True) == Decimal("-3.10")


def test_rounding_is_half_up_not_bankers():
    assert round_money(Decimal("2.345"), "GBP") == Decimal("2.35")
    assert round_money(Decimal("2.335"), "GBP") == Decimal("2.34")
    assert round_money(Decimal("-2.345"), "GBP") == Decimal("-2.35")
    assert round_money(Decimal("0.5"), "JPY") == Decimal("1")
    assert to_text(Decimal("3"), "GBP") == "3.00"


def test_money_refuses_mixing_currencies_and_floats():
    a = Money.of("10.10", "GBP")
    assert (a + Money.of("0.05", "GBP")).text() == "10.15"
    with pytest.raises(ValueError):
        a + Money.of("1", "EUR")
    with pytest.raises(TypeError):
        Money.of(1.1, "GBP")  # type: ignore[arg-type]


def test_decimal_sums_stay_exact():
    parts = [parse_amount("0.10", "GBP")] * 3
    assert sum(parts, Decimal(0)) == Decimal("0.30")
