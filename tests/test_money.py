from decimal import ROUND_HALF_UP, Decimal

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


def test_a_stored_amount_keeps_its_sign_and_exponent_and_refuses_what_the_store_never_writes():
    from receivables import money

    for cur in ("GBP", "JPY", "BHD"):
        for text in ["0.00", "-0.00", "0", "12.50", "12.5", "-3.10", "999999999999.99", "10.005", "0.125"]:
            got = money.amount_from_store(text, cur)
            assert got.as_tuple().exponent == -money.minor_units(cur)
            assert got == Decimal(text).quantize(got, rounding=ROUND_HALF_UP)
    assert str(money.amount_from_store("-0.00", "GBP")) == "-0.00"
    assert str(money.amount_from_store("0.00", "GBP")) == "0.00"
    for bad, cur in [("NaN", "GBP"), ("1E+30", "GBP"), (12.5, "GBP"), (["1"], "GBP"), ("1.00", "XXX"),
                     ("1.00", ["GBP"])]:
        with pytest.raises(DunError):
            money.amount_from_store(bad, cur)


def test_a_hand_edited_amount_with_more_decimals_is_read_rounded_half_up():
    from receivables.money import amount_from_store

    assert str(amount_from_store("10.005", "GBP")) == "10.01"  # half-even would give 10.00
    assert str(amount_from_store("0.125", "EUR")) == "0.13"
    assert str(amount_from_store("-0.125", "EUR")) == "-0.13"


@pytest.mark.parametrize("text, currency, locale, value", [
    ("1250", "GBP", "en_GB", "1250.00"),  # plain, as everywhere
    ("1,250.00", "GBP", "en_GB", "1250.00"),  # as the app and the statements show it
    ("£1,250.00", "GBP", "en_GB", "1250.00"),
    ("GBP 1,250.00", "GBP", "en_GB", "1250.00"),
    (" 1,250 ", "GBP", "en_GB", "1250.00"),
    ("1.250,00 €", "EUR", "de_DE", "1250.00"),
    ("12,50", "EUR", "de_DE", "12.50"),
    ("12.50", "EUR", "de_DE", "12.50"),  # plain still reads
    ("1.250", "EUR", "de_DE", "1250.00"),  # plainly it would have three decimals: no reading but this one
    ("1 250,00", "EUR", "fr_FR", "1250.00"),  # a typed space for the narrow no-break space
    ("1’250.50", "CHF", "de_CH", "1250.50"),
    ("1,250.00", "GBP", "no_SUCH", None),  # an unknown locale: plain only
    ("1,25", "GBP", "en_GB", None),  # not how en_GB groups
    ("€10", "GBP", "en_GB", None),  # another currency's symbol
    ("١٢٣", "GBP", "en_GB", None),  # other scripts' digits are never read
    ("1,250.001", "GBP", "en_GB", None),  # more decimals than GBP has
    ("1.250", "KWD", "de_DE", None),  # 1.250 or 1250.000: refused, never guessed
])
def test_a_typed_amount_reads_as_the_owners_locale_writes_money(text, currency, locale, value):
    from receivables.money import parse_typed_amount

    if value is None:
        with pytest.raises(DunError) as e:
            parse_typed_amount(text, currency, locale)
        assert repr(text) in str(e.value)
        if currency == "KWD":
            assert "could be 1.250 or 1250.000" in str(e.value)
    else:
        got = parse_typed_amount(text, currency, locale)
        assert got == Decimal(value) and str(got) == value


@pytest.mark.parametrize("text, said", [
    ("€948.43", ("'€948.43' is not in GBP", "change the currency if the money is in EUR")),
    ("$948.43", ("'$948.43' is not in GBP", "in USD")),
    ("948.43 EUR", ("'948.43 EUR' is not in GBP", "in EUR")),
    ("948,43", ("'948,43' is not an amount", "type 1234.50, or as you write money: £1,234.50")),
])
def test_a_typed_amount_refused_says_what_the_form_takes(text, said):
    """'€948.43' in a GBP form got "write plain digits … e.g. 1234.50", though '£1,933.49' and
    '948.43 GBP' are taken: the refusal named neither the other currency nor the typed forms."""
    from receivables.money import parse_typed_amount

    with pytest.raises(DunError) as e:
        parse_typed_amount(text, "GBP", "en_GB")
    assert all(w in str(e.value) for w in said), str(e.value)
    assert parse_typed_amount("948.43 GBP", "GBP", "en_GB") == Decimal("948.43")


@pytest.mark.parametrize("text, currency, want", [
    ("1234.50", "GBP", "1234.50"), ("-0.50", "GBP", "-0.50"), ("12.345", "GBP", "12.35"), ("12.5", "GBP", "12.50"),
    ("1000", "JPY", "1000"), ("1.234", "BHD", "1.234"), ("12", "GBP", "12.00"), ("1.2e5", "BHD", "120000.000"),
    ("1_0.50", "GBP", "10.50"),
])
def test_an_amount_read_from_the_store_is_exact_whichever_way_it_is_read(text, currency, want):
    """The store's own form ("1234.50") is read without rounding; anything else (a hand edit)
    is rounded half-up to the currency's decimals, as before; the two agree."""
    from receivables.money import amount_from_store

    got = amount_from_store(text, currency)
    assert str(got) == want and got == Decimal(want)


@pytest.mark.parametrize("text", ["NaN", "1.5e9999999999", "Infinity", "1.x0", "", "1.0٠"])
def test_a_bad_stored_amount_is_refused(text):
    from receivables.money import amount_from_store

    if text == "1.0٠":  # (a Unicode digit Decimal reads: taken as the digit it is, as before)
        assert amount_from_store(text, "GBP") == Decimal("1.00")
        return
    with pytest.raises(DunError, match="bad stored amount"):
        amount_from_store(text, "GBP")
