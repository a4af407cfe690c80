"""Display formatting only: money, dates, days. Amounts are rounded half-up first."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from receivables.money import MINOR_UNITS, round_money

SYMBOLS = {"GBP": "£", "EUR": "€", "USD": "$"}


def money(amount: Decimal | None, currency: str, *, code: bool = False) -> str:
    """``£1,234.50`` (or ``CHF 1,234.50``); rounding is half-up, never float."""
    if amount is None:
        return "—"
    if currency not in MINOR_UNITS:
        return f"{amount} {currency}"
    value = round_money(amount, currency)
    places = MINOR_UNITS[currency]
    text = format(abs(value), f",.{places}f")
    sign = "-" if value < 0 else ""
    sym = SYMBOLS.get(currency)
    if sym and not code:
        return f"{sign}{sym}{text}"
    return f"{sign}{currency} {text}"


def plain(amount: Decimal, currency: str) -> str:
    """The amount as one types it: ``1234.50``."""
    return format(round_money(amount, currency), "f")


def day(d: date | None) -> str:
    return d.isoformat() if d else "—"


def long_day(d: date) -> str:
    return f"{d:%a} {d.day} {d:%b %Y}"


def days(n: int) -> str:
    return f"{n}d" if n else "—"


def md_escape(text: str) -> str:
    """Text from the book, made inert inside Markdown we build (names, references)."""
    out = []
    for ch in text:
        if ch in "\\`*_{}[]()#+-.!|<>&~":
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out)
