"""Strict ISO dates within one window. "Today" is always passed in; nothing here reads the clock.

Every date the book accepts or a command acts on lies in ``FIRST_DATE``..``LAST_DATE``: the
engine adds and subtracts years and weeks from them (trends, forecasts, grace periods), which
must stay far from ``date.min`` and ``date.max``. One check, :func:`check_window`, for the
parsers below, the record checks (receivables.validate) and the store's reader.
"""
from __future__ import annotations

import re
from datetime import date

from .errors import DunError

_ISO_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
_DMY_RE = re.compile(r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})", re.ASCII)

FIRST_DATE = date(1990, 1, 1)
LAST_DATE = date(2100, 12, 31)
WINDOW_TEXT = f"{FIRST_DATE.isoformat()} to {LAST_DATE.isoformat()}"
MAX_INTERVAL_DAYS = 366  # the longest gap between two dated things a user sets (e.g. plan installments)


def promise_problem(by: date, on: date) -> tuple[str, str] | None:
    """What is wrong with a promise made on ``on`` to pay by ``by`` (message, hint), or None:
    it is for a day from ``on`` to ``MAX_INTERVAL_DAYS`` after (its invoices leave the ladder
    until then; a slip of the year would take them off it for years)."""
    if by < on:
        return f"{by.isoformat()} is before {on.isoformat()}", "a promise is for a future date"
    if (by - on).days > MAX_INTERVAL_DAYS:
        return (f"{by.isoformat()} is more than {MAX_INTERVAL_DAYS} days after {on.isoformat()}",
                "check the year; money promised over a longer time is a payment plan")
    return None


def in_window(d: date) -> bool:
    return FIRST_DATE <= d <= LAST_DATE


def window_problem(d: date) -> str | None:
    """None for a date in the window, else what is wrong with it."""
    if isinstance(d, date) and FIRST_DATE <= d <= LAST_DATE:
        return None
    return f"{d} is outside the dates dun accepts ({WINDOW_TEXT})"


def check_window(d: date, where: str = "date") -> date:
    problem = window_problem(d)
    if problem is not None:
        raise DunError(problem, where, f"use a date from {WINDOW_TEXT}")
    return d


def parse_date(text: str, where: str = "date") -> date:
    """Parse ``YYYY-MM-DD`` and nothing else."""
    raw = text.strip() if isinstance(text, str) else ""
    if not _ISO_RE.fullmatch(raw):
        raise DunError(f"{text!r} is not a date in YYYY-MM-DD form", where, "e.g. 2026-03-31")
    try:
        value = date.fromisoformat(raw)
    except ValueError:
        raise DunError(f"{text!r} is not a real date", where, "check the day and month") from None
    return check_window(value, where)


def parse_dmy(text: str, where: str = "date") -> date:
    """Parse ``DD/MM/YYYY`` (Xero exports)."""
    raw = text.strip() if isinstance(text, str) else ""
    m = _DMY_RE.fullmatch(raw)
    if not m:
        raise DunError(f"{text!r} is not a date in DD/MM/YYYY form", where, "e.g. 31/03/2026")
    d, mth, y = (int(g) for g in m.groups())
    try:
        value = date(y, mth, d)
    except ValueError:
        raise DunError(f"{text!r} is not a real date", where, "check the day and month") from None
    return check_window(value, where)
