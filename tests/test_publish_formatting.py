"""Money and dates for a locale: Babel after an explicit half-up rounding."""
from datetime import date
from decimal import Decimal

import pytest

from publish.formatting import day, figure, money, number
from receivables.errors import DunError


def test_en_gb_is_the_default():
    assert money(Decimal("1234.56"), "GBP") == "£1,234.56"
    assert day(date(2026, 3, 9)) == "9 Mar 2026"


def test_de_de_groups_with_dots_and_puts_the_euro_after():
    assert money(Decimal("1234.56"), "EUR", "de_DE") == "1.234,56\xa0€"
    assert day(date(2026, 3, 9), "de_DE") == "09.03.2026"


@pytest.mark.parametrize("raw, shown", [
    ("2.675", "£2.68"),   # the same either way
    ("2.665", "£2.67"),   # half-even would give £2.66
    ("0.125", "£0.13"),   # half-even would give £0.12
    ("-0.125", "-£0.13"),
])
def test_rounding_is_half_up_before_babel_sees_the_value(raw, shown):
    assert money(Decimal(raw), "GBP", "en_GB") == shown


def test_zero_decimal_currency_rounds_half_up_to_units():
    assert money(Decimal("2.5"), "JPY", "en_GB").endswith("3")
    assert money(Decimal("1234"), "JPY", "ja_JP") == "￥1,234"


def test_number_keeps_the_currency_decimals():
    assert number(Decimal("0"), "GBP", "en_GB") == "0.00"
    assert number(Decimal("1234.5"), "EUR", "de_DE") == "1.234,50"


def test_figure_one_decimal_half_up():
    assert figure(Decimal("42.25"), 1, "en_GB") == "42.3"
    assert figure(None) == "–"


def test_money_refuses_floats_and_unknown_locales():
    with pytest.raises(TypeError):
        money(1.5, "GBP", "en_GB")
    with pytest.raises(DunError):
        money(Decimal(1), "GBP", "xx_NOPE")
