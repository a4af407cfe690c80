"""Strict ISO dates. "Today" is always passed in; nothing here reads the clock."""
from __future__ import annotations

import re
from datetime import date

from .errors import DunError

_ISO_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
_DMY_RE = re.compile(r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})", re.ASCII)


def parse_date(text: str, where: str = "date") -> date:
    """Parse ``YYYY-MM-DD`` and nothing else."""
    raw = text.strip() if isinstance(text, str) else ""
    if not _ISO_RE.fullmatch(raw):
        raise DunError(f"{text!r} is not a date in YYYY-MM-DD form", where, "e.g. 2026-03-31")
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise DunError(f"{text!r} is not a real date", where, "check the day and month") from None


def parse_dmy(text: str, where: str = "date") -> date:
    """Parse ``DD/MM/YYYY`` (Xero exports)."""
    raw = text.strip() if isinstance(text, str) else ""
    m = _DMY_RE.fullmatch(raw)
    if not m:
        raise DunError(f"{text!r} is not a date in DD/MM/YYYY form", where, "e.g. 31/03/2026")
    d, mth, y = (int(g) for g in m.groups())
    try:
        return date(y, mth, d)
    except ValueError:
        raise DunError(f"{text!r} is not a real date", where, "check the day and month") from None
