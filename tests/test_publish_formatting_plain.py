"""The plain formatter (``publish.formatting._plain``) against Babel's own calls.

``money``, ``number`` and ``figure`` lay amounts out with string operations where that is
exact; what they return must be byte-equal to what Babel returns for the same rounded value,
for every locale Babel knows and every currency (0, 2, 3 and 4 minor units, and currencies
whose Babel precision is not ISO's).
"""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pytest
from babel import Locale, localedata
from babel.numbers import format_currency, format_decimal, parse_pattern
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from publish import formatting
from publish.formatting import figure, money, number
from receivables.money import minor_units, round_money

LOCALES = localedata.locale_identifiers()
FIXED = ["en_GB", "en_US", "de_DE", "fr_FR", "fr_CH", "de_CH", "en_IN", "hi_IN", "ar_EG", "fa_IR",
         "nl_NL", "sv_SE", "pl_PL", "ja_JP", "bn", "tok", "en_US_POSIX", "de_LI", "he_IL", "ckb_IR"]
CURRENCIES = ["GBP", "EUR", "USD", "JPY", "KWD", "CHF", "INR", "IQD", "CLF", "HUF"]
SIGNED = [Decimal(x) for x in ("0", "-0", "-0.00", "-0.001", "0.004", "0.005", "-0.005", "1", "-1", "12.5",
                                "1234.5", "-1234567.891", "999.995", "1234567890123.4567",
                                "-98765432109876543.21", "1E+5", "-1E-7", "100000", "-100000.00")]


def babel_money(amount: Decimal, currency: str, locale: str) -> str:
    value = round_money(amount, currency)
    return format_currency(value, currency, locale=Locale.parse(locale), decimal_quantization=False)


def babel_number(amount: Decimal, currency: str, locale: str) -> str:
    places = minor_units(currency)
    pattern = "#,##0" + ("." + "0" * places if places else "")
    return format_decimal(round_money(amount, currency), format=pattern, locale=Locale.parse(locale),
                          decimal_quantization=False)


def babel_figure(value: Decimal, places: int, locale: str) -> str:
    v = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return format_decimal(v, format="#,##0." + "0" * places if places else "#,##0",
                          locale=Locale.parse(locale), decimal_quantization=False)


def outcome(fn, *args):
    try:
        return fn(*args)
    except Exception as e:  # noqa: BLE001 — both sides must fail the same way
        return type(e).__name__


def distinct_locales() -> list[str]:
    """One locale for each different input Babel's number formatting reads from a locale: the
    standard currency pattern, the Latin decimal and group symbols, the currencies' symbols."""
    seen: dict[tuple, str] = {}
    for name in LOCALES:
        loc = Locale.parse(name)
        sym = loc.number_symbols["latn"]
        key = (loc.currency_formats["standard"].pattern, sym.get("decimal"), sym.get("group"),
               tuple(loc.currency_symbols.get(c, c) for c in CURRENCIES))
        seen.setdefault(key, name)
    return sorted(seen.values())


@pytest.mark.parametrize("locale", distinct_locales())
def test_every_locale_formats_as_babel(locale):
    for c in CURRENCIES:
        for v in SIGNED:
            assert outcome(money, v, c, locale) == outcome(babel_money, v, c, locale), (v, c)
            assert outcome(number, v, c, locale) == outcome(babel_number, v, c, locale), (v, c)
    for places in (0, 1, 2, 3):
        for v in SIGNED:
            assert figure(v, places, locale) == babel_figure(v, places, locale), (v, places)


def test_the_plain_path_is_taken_for_every_locale_babel_knows():
    """No locale's standard currency pattern, nor number's and figure's, needs Babel itself:
    the comparisons above test the plain formatter, not the fallback."""
    for name in LOCALES:
        for c in ("GBP", "JPY", "KWD"):
            assert formatting._money_format(c, name) is not None, (name, c)
        for pattern in ("#,##0", "#,##0.0", "#,##0.00", "#,##0.000"):
            assert formatting._decimal_format(pattern, name) is not None, (name, pattern)


decimals = st.builds(
    lambda sign, digits, exp: Decimal((sign, tuple(int(d) for d in digits), exp)),
    st.integers(0, 1), st.text("0123456789", min_size=1, max_size=26), st.integers(-8, 8))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(decimals, st.sampled_from(CURRENCIES), st.one_of(st.sampled_from(FIXED), st.sampled_from(LOCALES)),
       st.integers(0, 4))
@example(Decimal("-0.00"), "GBP", "en_GB", 1)
@example(Decimal("-1234567.891"), "INR", "en_IN", 1)
@example(Decimal("1234567.891"), "CHF", "de_CH", 2)
@example(Decimal("-1234567.891"), "EUR", "ar_EG", 0)
@example(Decimal("9" * 26), "KWD", "fr_CH", 4)
def test_random_amounts_format_as_babel(value, currency, locale, places):
    assert outcome(money, value, currency, locale) == outcome(babel_money, value, currency, locale)
    assert outcome(number, value, currency, locale) == outcome(babel_number, value, currency, locale)
    assert outcome(figure, value, places, locale) == outcome(babel_figure, value, places, locale)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(decimals, st.sampled_from(CURRENCIES + [None]), st.one_of(st.sampled_from(FIXED), st.sampled_from(LOCALES)),
       st.sampled_from(["#,##0", "#,##0.0", "#,##0.00", "#,##0.###", "#,##,##0.00", "0000.00", "#", "'#'#,##0.0"]))
@example(Decimal("9" * 27 + ".9"), "GBP", "en_GB", "")  # Babel's quantize needs 29 digits: it raises
@example(Decimal("1.5"), "IQD", "ar_EG", "")  # Babel's IQD has no minor unit; the value keeps its digit
def test_laid_out_unrounded_values_are_babel_s_or_left_to_it(value, currency, locale, pattern):
    """The plain formatter itself, on any finite value (not rounded first): either Babel's text,
    or None where the value must go to Babel."""
    loc = Locale.parse(locale)
    babel_pattern = loc.currency_formats["standard"] if currency else parse_pattern(pattern)
    lay_out = formatting._plain(babel_pattern, loc, currency)
    assert lay_out is not None
    got = lay_out(value)
    if got is not None:
        assert got == babel_pattern.apply(value, loc, currency=currency, decimal_quantization=False)
    else:  # only for values too long for the decimal context once grouped and given their decimals
        assert len(format(value, "f")) > 18, value


def test_negative_zero_keeps_babel_s_sign_whatever_came_before():
    """Babel shows a rounded-away negative amount with its sign; nothing kept from an earlier
    call (0.00 equals -0.00) changes that."""
    assert money(Decimal("0.00"), "GBP") == "£0.00"
    assert money(Decimal("-0.00"), "GBP") == babel_money(Decimal("-0.00"), "GBP", "en_GB") == "-£0.00"
    assert figure(Decimal("0"), 1) == "0.0"
    assert figure(Decimal("-0"), 1) == babel_figure(Decimal("-0"), 1, "en_GB") == "-0.0"


def test_indian_grouping_and_quoted_group_symbols():
    assert money(Decimal("-12345678.9"), "INR", "en_IN") == "-₹1,23,45,678.90"
    assert number(Decimal("12345678.9"), "INR", "en_IN") == "12,345,678.90"  # number's own pattern
    quoted = [n for n in LOCALES if Locale.parse(n).number_symbols["latn"].get("group") == "'"]
    assert quoted  # Babel unquotes its own output there: "1'234'567" loses a pair of quotes
    for name in quoted:
        v = Decimal("1234567890.5")
        assert money(v, "CHF", name) == babel_money(v, "CHF", name)
        assert figure(v, 1, name) == babel_figure(v, 1, name)


@pytest.mark.parametrize("pattern", ["#E0", "0.###E0", "@@@", "#,##0%", "#,##0‰", "*x#,##0.00",
                                     "#,##0.05", "¤¤¤ #,##0.00"])
def test_patterns_it_cannot_lay_out_go_to_babel(pattern):
    loc = Locale.parse("en_GB")
    assert formatting._plain(parse_pattern(pattern), loc, "GBP" if "¤" in pattern else None) is None


def test_values_beyond_the_plain_path_go_to_babel():
    # non-finite values and values longer than the decimal context's precision
    assert outcome(money, Decimal("NaN"), "GBP", "en_GB") == outcome(babel_money, Decimal("NaN"), "GBP", "en_GB")
    big = Decimal("9" * 27)
    assert outcome(figure, big, 0, "de_DE") == outcome(babel_figure, big, 0, "de_DE")
    assert formatting._decimal_format("#,##0", "de_DE")(big) is None
