"""Display formatting only: money, dates, days. Amounts are rounded half-up first."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from receivables.controls import CONTROLS, LINE_BREAKS
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


# (receivables.controls: C0 and C1 controls, DEL, the bidi controls)
_CONTROL = {c: "?" for c in CONTROLS}
_CONTROL_KEEP_LINES = {c: v for c, v in _CONTROL.items() if c not in LINE_BREAKS}
# every character that ends a line somewhere (str.splitlines, a terminal, Unicode's own)
_ONE_LINE = {**_CONTROL, **{ord(c): " " for c in "\r\n\v\f\x85\u2028\u2029"}}


def safe(text: str, *, lines: bool = False) -> str:
    """Text from the book with control characters shown as '?', so a client name or a
    note can never drive the terminal (escape sequences, bells). Without ``lines`` (a name,
    an e-mail, a reference: one line) a line break is a space, as in the CLI's tables, so it
    cannot draw a line of its own; ``lines`` keeps newlines and tabs."""
    if lines:
        return text.translate(_CONTROL_KEEP_LINES)
    if "\r\n" in text:
        text = text.replace("\r\n", "\n")
    return text.translate(_ONE_LINE)


def md_escape(text: str) -> str:
    """Text from the book, made inert inside Markdown we build (names, references)."""
    out = []
    for ch in text:
        if ch in "\\`*_{}[]()#+-.!|<>&~":
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out)


def clean(renderable):
    """Make a Rich renderable built from book text inert: control characters in every
    Text, table cell and group member become '?' (in place; lengths and styles kept)."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    if isinstance(renderable, str):
        return safe(renderable, lines=True)
    if isinstance(renderable, Text):
        plain = renderable.plain
        fixed = safe(plain, lines=True)
        if fixed != plain:
            renderable.plain = fixed
        return renderable
    if isinstance(renderable, Group):
        renderable._renderables = [clean(r) for r in renderable._renderables]
        return renderable
    if isinstance(renderable, Table):
        for col in renderable.columns:
            col._cells = [clean(c) for c in col._cells]
        return renderable
    return renderable
