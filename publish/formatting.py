"""Money and dates for a locale, through Babel.

Babel quantizes with the decimal context's default (half-even), so every amount is first
rounded half-up to its currency's minor unit (:func:`receivables.money.round_money`);
Babel then only groups and places the symbol. ``en_GB`` is the default locale;
``de_DE`` shows ``1.234,56 €``.

The report lists thousands of distinct amounts, so amounts are not formatted by Babel's
``NumberPattern.apply`` one by one: for each (currency, locale) or (pattern, locale) the
pattern Babel would apply, its symbols and its currency sign are read once from Babel's own
data (:func:`_plain`), and a value is then laid out with string operations that do what
``apply`` does with ``decimal_quantization=False``. Where that would not be exact — a
pattern with an exponent, significant digits, a percent or per-mille scale, padding or
rounding increments, a currency's plural name — Babel's own call formats the value, and
so it does for a non-finite value or one too long for the decimal context's precision.
``tests/test_publish_formatting_plain.py`` compares the two for every locale Babel knows.
"""
from __future__ import annotations

import re
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.numbers import (NumberPattern, UnsupportedNumberingSystemError, format_currency, format_decimal,
                           get_currency_precision, get_currency_symbol, get_decimal_symbol, get_group_symbol,
                           parse_pattern)

from receivables.errors import DunError
from receivables.money import minor_units, round_money

DEFAULT_LOCALE = "en_GB"


@lru_cache(maxsize=64)
def locale_of(name: str | None) -> Locale:
    try:
        return Locale.parse(name or DEFAULT_LOCALE)
    except (UnknownLocaleError, ValueError, TypeError):
        raise DunError(f"unknown locale {name!r}", "defaults.locale",
                       "use a locale such as en_GB, en_US, de_DE or fr_FR") from None


def money(amount: Decimal, currency: str, locale: str | None = DEFAULT_LOCALE) -> str:
    """``£1,234.56`` (en_GB), ``1.234,56 €`` (de_DE); rounded half-up first."""
    if isinstance(amount, float):
        raise TypeError("money() never takes a float")
    value = round_money(Decimal(amount), currency)
    fast = _money_format(currency, locale)
    if fast is not None and value.is_finite():
        text = fast(value)
        if text is not None:
            return text
    return format_currency(value, currency, locale=locale_of(locale), decimal_quantization=False)


def number(amount: Decimal, currency: str, locale: str | None = DEFAULT_LOCALE) -> str:
    """An amount without the currency symbol, grouped for the locale (tables, CSV-like)."""
    value = round_money(Decimal(amount), currency)
    return _decimal(value, _places(minor_units(currency))[1], locale)


@lru_cache(maxsize=8192)
def day(d: date | None, locale: str | None = DEFAULT_LOCALE, fmt: str = "medium") -> str:
    """``22 Nov 2026`` (en_GB), ``22.11.2026`` (de_DE); empty for no date."""
    if d is None:
        return ""
    return format_date(d, format=fmt, locale=locale_of(locale))


def figure(value: Decimal | None, places: int = 1, locale: str | None = DEFAULT_LOCALE) -> str:
    """A day count or ratio to ``places`` decimals (half-up), e.g. DSO ``42.5``; ``–`` for none."""
    if value is None:
        return "–"
    quantum, pattern = _places(places)
    return _decimal(Decimal(value).quantize(quantum, rounding=ROUND_HALF_UP), pattern, locale)


@lru_cache(maxsize=64)
def _places(places: int) -> tuple[Decimal, str]:
    """The quantum and the pattern of ``places`` decimals (``#,##0.00`` for two)."""
    return Decimal(1).scaleb(-places), "#,##0" + ("." + "0" * places if places else "")


def _decimal(value: Decimal, pattern: str, locale: str | None) -> str:
    """``format_decimal(value, pattern, locale, decimal_quantization=False)``, through the
    plain formatter where it is exact for this pattern and locale."""
    fast = _decimal_format(pattern, locale)
    if fast is not None and value.is_finite():
        text = fast(value)
        if text is not None:
            return text
    return format_decimal(value, format=pattern, locale=locale_of(locale), decimal_quantization=False)


_QUOTED = re.compile(r"'([^']*)'")
_PLAIN_NUMBER = frozenset("#,0.")
_PRECISION = 28  # the decimal context's default, which Babel's normalize and quantize use


@lru_cache(maxsize=1024)
def _money_format(currency: str, locale: str | None):
    loc = locale_of(locale)
    return _plain(loc.currency_formats["standard"], loc, currency)


@lru_cache(maxsize=1024)
def _decimal_format(pattern: str, locale: str | None):
    return _plain(parse_pattern(pattern), locale_of(locale), None)


def _plain(pattern: NumberPattern, loc: Locale, currency: str | None):
    """A function laying out a finite Decimal as ``pattern.apply(value, loc, currency=currency,
    decimal_quantization=False)`` does (Latin digits, the locale's ``latn`` symbols), or None
    where this pattern needs Babel itself. The function returns None for a value whose digits
    would not fit the decimal context (Babel rounds or raises there)."""
    number = pattern.number_pattern or ""
    if (pattern.exp_prec or pattern.scale or "@" in pattern.pattern or "*" in pattern.pattern
            or not number or not set(number) <= _PLAIN_NUMBER):
        return None
    first, rest = pattern.grouping
    int_min = pattern.int_prec[0]
    frac_min, frac_max = (get_currency_precision(currency),) * 2 if currency else pattern.frac_prec
    if first < 1 or rest < 1 or frac_min > frac_max:
        return None
    try:
        point, group = get_decimal_symbol(loc), get_group_symbol(loc)
    except UnsupportedNumberingSystemError:
        return None
    prefix, suffix = list(pattern.prefix), list(pattern.suffix)
    if currency:  # apply() replaces the signs in its whole text: here in the affixes, once
        if any("¤¤¤" in a for a in prefix + suffix):
            return None  # the currency's name, in the plural the value takes
        if "¤" in point + group:
            return None  # the number itself would hold a sign to replace
        sign = get_currency_symbol(currency, loc)
        prefix, suffix = ([a.replace("¤¤", currency.upper()).replace("¤", sign) for a in x] for x in (prefix, suffix))
    quoted = "'" in "".join(prefix + suffix) + point + group  # apply() unquotes the whole text
    threes = first == rest == 3 and int_min <= 1  # as format()'s "," groups the digits
    spec = ",f" if threes else "f"
    latin = group == "," and point == "."  # format()'s own symbols
    limit = _PRECISION - frac_max
    zeros = "0" * frac_min

    def lay_out(value: Decimal) -> str | None:
        text = format(value, spec)
        if len(text) > limit:
            return None
        negative = text[0] == "-"  # as value.is_signed(), so -0.00 too
        if negative:
            text = text[1:]
        dot = text.find(".")
        if threes and (len(text) - dot - 1 if dot >= 0 else 0) == frac_min:  # the decimals as they stay
            if latin:
                body = text
            elif dot < 0:
                body = text.replace(",", group)
            else:
                body = text[:dot].replace(",", group) + point + text[dot + 1:]
        else:
            whole, frac = (text[:dot], text[dot + 1:]) if dot >= 0 else (text, "")
            whole = whole.replace(",", group) if threes else _grouped(whole.rjust(int_min, "0"), first, rest, group)
            if len(frac) > frac_min:
                frac = frac.rstrip("0")
            if len(frac) < frac_min:
                frac += zeros[len(frac):]
            body = whole + point + frac if frac else whole
        out = prefix[negative] + body + suffix[negative]
        return _QUOTED.sub(lambda m: m.group(1) or "'", out) if quoted else out

    return lay_out


def _grouped(digits: str, first: int, rest: int, group: str) -> str:
    """Babel's ``NumberPattern._format_int``: ``first`` digits, then groups of ``rest``."""
    size, out = first, ""
    while len(digits) > size:
        out = group + digits[-size:] + out
        digits = digits[:-size]
        size = rest
    return digits + out


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
