"""Money and dates for a locale, through Babel.

Babel quantizes with the decimal context's default (half-even), so every amount is first
rounded half-up to its currency's minor unit (:func:`receivables.money.round_money`);
Babel then only groups and places the symbol. ``en_GB`` is the default locale;
``de_DE`` shows ``1.234,56 €``.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from functools import lru_cache

from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.numbers import format_currency, format_decimal

from receivables.errors import DunError
from receivables.money import round_money

DEFAULT_LOCALE = "en_GB"


@lru_cache(maxsize=64)
def locale_of(name: str | None) -> Locale:
    try:
        return Locale.parse(name or DEFAULT_LOCALE)
    except (UnknownLocaleError, ValueError, TypeError):
        raise DunError(f"unknown locale {name!r}", "defaults.locale",
                       "use a locale such as en_GB, en_US, de_DE or fr_FR") from None


@lru_cache(maxsize=65536)
def money(amount: Decimal, currency: str, locale: str | None = DEFAULT_LOCALE) -> str:
    """``£1,234.56`` (en_GB), ``1.234,56 €`` (de_DE); rounded half-up first."""
    if isinstance(amount, float):
        raise TypeError("money() never takes a float")
    value = round_money(Decimal(amount), currency)
    return format_currency(value, currency, locale=locale_of(locale), decimal_quantization=False)


@lru_cache(maxsize=65536)
def number(amount: Decimal, currency: str, locale: str | None = DEFAULT_LOCALE) -> str:
    """An amount without the currency symbol, grouped for the locale (tables, CSV-like)."""
    from receivables.money import minor_units

    value = round_money(Decimal(amount), currency)
    places = minor_units(currency)
    pattern = "#,##0" + ("." + "0" * places if places else "")
    return format_decimal(value, format=pattern, locale=locale_of(locale), decimal_quantization=False)


@lru_cache(maxsize=8192)
def day(d: date | None, locale: str | None = DEFAULT_LOCALE, fmt: str = "medium") -> str:
    """``22 Nov 2026`` (en_GB), ``22.11.2026`` (de_DE); empty for no date."""
    if d is None:
        return ""
    return format_date(d, format=fmt, locale=locale_of(locale))


@lru_cache(maxsize=65536)
def figure(value: Decimal | None, places: int = 1, locale: str | None = DEFAULT_LOCALE) -> str:
    """A day count or ratio to ``places`` decimals (half-up), e.g. DSO ``42.5``; ``–`` for none."""
    if value is None:
        return "–"
    from decimal import ROUND_HALF_UP

    q = Decimal(1).scaleb(-places)
    v = Decimal(value).quantize(q, rounding=ROUND_HALF_UP)
    return format_decimal(v, format="#,##0." + "0" * places if places else "#,##0",
                          locale=locale_of(locale), decimal_quantization=False)


def interest_detail(result, locale: str | None = DEFAULT_LOCALE, reasons: bool = True) -> str:
    """How an invoice's interest was worked out, for statements and messages: each period
    with its days, the amount interest ran on and the rate (``12.25% on £10,000.00, 1 Jul
    2025 – 30 Jul 2025 (30 days)``), or why interest or compensation was not computed."""
    parts = []
    for g in result.segments:
        rate = format_decimal(g.rate, format="0.00##", locale=locale_of(locale))
        parts.append(f"{rate}% on {money(g.basis, result.currency, locale)}, {day(g.start, locale)} – "
                     f"{day(g.end, locale)} ({g.days} day{'s' if g.days != 1 else ''})")
    if reasons:  # statements; a drafted message to the client leaves the owner's to-do out
        parts += [x for x in (result.error, result.compensation_note) if x]
    return "; ".join(parts)
