"""Is each field of a record of the type and size the engine works with?

The store decodes dates and amounts strictly, but a hand-edited book can still hold a name
that is a number, an id that is a list or a 10,000-character reference; the engine would
then fail far from the cause (``'int' object has no attribute 'casefold'``). These checks
run before anything else in ``dun check`` (receivables.validate.check_book) and on every
record before it is stored, so such a record is named instead.

Text is any string without NUL characters and at most :data:`MAX_TEXT` characters (or the
field's own limit: a note's body, an address, a reason may be longer).
"""
from __future__ import annotations

import dataclasses
import types
import typing
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any, Callable

from .errors import Problem

MAX_TEXT = 500
LONG_TEXT = {"body": 100_000, "address": 2_000, "reason": 10_000, "resolution": 10_000,
             "hold_reason": 2_000, "description": 2_000}

_Check = Callable[[Any], str | None]  # None if fine, else what is wrong


def _text(limit: int) -> _Check:
    def check(v: Any) -> str | None:
        if not isinstance(v, str):
            return f"must be text, not {_kind(v)}"
        if "\x00" in v:
            return "holds a NUL character"
        if len(v) > limit:
            return f"is {len(v):,} characters long (at most {limit:,})"
        return None
    return check


def _kind(v: Any) -> str:
    return "nothing (null)" if v is None else f"{type(v).__name__} {str(v)[:30]!r}"


def _checker(hint: Any, limit: int) -> _Check:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        parts = [_checker(a, limit) for a in args if a is not type(None)]
        optional = type(None) in args

        def union(v: Any) -> str | None:
            if v is None and optional:
                return None
            errors = [p(v) for p in parts]
            return None if any(e is None for e in errors) else errors[0]
        return union
    if origin is tuple:
        item = _checker(args[0], limit)

        def items(v: Any) -> str | None:
            if not isinstance(v, tuple):
                return f"must be a list, not {_kind(v)}"
            for k, x in enumerate(v, 1):
                err = item(x)
                if err is not None:
                    return f"item {k} {err}"
            return None
        return items
    if origin is typing.Literal:
        return lambda v: None if v in args else f"must be one of {', '.join(map(str, args))}, not {_kind(v)}"
    if hint is str:
        return _text(limit)
    if hint is bool:
        return lambda v: None if isinstance(v, bool) else f"must be true or false, not {_kind(v)}"
    if hint is int:
        return lambda v: None if isinstance(v, int) and not isinstance(v, bool) else f"must be a whole number, not {_kind(v)}"
    if hint is Decimal:
        return lambda v: None if isinstance(v, Decimal) and v.is_finite() else f"must be a finite amount, not {_kind(v)}"
    if hint is date:
        return lambda v: None if isinstance(v, date) and not isinstance(v, datetime) else f"must be a date, not {_kind(v)}"
    if dataclasses.is_dataclass(hint):
        def nested(v: Any) -> str | None:
            if not isinstance(v, hint):
                return f"must be a {hint.__name__.lower()}, not {_kind(v)}"
            for name, check in _fields(hint):
                err = check(getattr(v, name))
                if err is not None:
                    return f"{name} {err}"
            return None
        return nested
    return lambda v: None if isinstance(v, hint) else f"must be {getattr(hint, '__name__', hint)}, not {_kind(v)}"


@lru_cache(maxsize=None)
def _fields(cls: type) -> tuple[tuple[str, _Check], ...]:
    hints = typing.get_type_hints(cls)
    return tuple((f.name, _checker(hints[f.name], LONG_TEXT.get(f.name, MAX_TEXT))) for f in dataclasses.fields(cls))


def shape_problems(record: Any, where: str) -> list[Problem]:
    """A problem for each field of ``record`` (a frozen dataclass of receivables.model) of the
    wrong type, holding a NUL, or too long."""
    out = []
    for name, check in _fields(type(record)):
        err = check(getattr(record, name))
        if err is not None:
            # (text too long or holding a NUL is what a form or an import meets; anything else only a
            # hand-edited book)
            hint = ("shorten it" if "characters long" in err else "take the NUL character out" if "NUL" in err
                    else "correct the record or restore a backup")
            out.append(Problem(f"{name.replace('_', ' ')} {err}", where, hint))
    return out


def clipped(text: str, name: str = "body") -> str:
    """``text`` as a page or a screen shows a field ``name``: whole when within the field's
    limit (all dun ever stores), else its first part and a line saying how much is left out.
    A book from elsewhere can hold a note of any size (``dun check`` names it); shown whole, a
    note of millions of characters would hold the screen or a statement for minutes."""
    limit = LONG_TEXT.get(name, MAX_TEXT)
    if len(text) <= limit:
        return text
    what = "note" if name == "body" else name.replace("_", " ")
    return (f"{text[:limit]}\n\n… ({len(text) - limit:,} more characters not shown: longer than dun keeps "
            f"a {what}; 'dun check' names it)")
