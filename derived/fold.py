"""The book's day folded from every client's day, as the derived layer holds it
(:class:`Fold`): each of its four parts (the agenda, each action's message context, the report,
its sums) stays its line of the derived file until first asked for; see :mod:`derived.state`
for the file.

The contexts line is a list of JSON texts, one per action (or null): folding a changed client
in again (:func:`derived.state.current`) moves the other clients' contexts as they are,
without decoding and encoding them again.
"""
from __future__ import annotations

import threading
from datetime import date
from typing import Any, Mapping

import orjson

from receivables.engine import BookDay, ClientDay, fold
from receivables.engine.records import Action, Report
from receivables.engine.totals import Totals
from receivables.tuning import quiet_gc

from . import codec

_UNREAD = object()  # a part of the fold still held as its line of the file


class Fold:
    """The book's day folded from every client's day: the agenda, each action's message
    context (in the agenda's order), the report and its sums. Read from the file, each part stays its
    line until first asked for; a part that does not decode (it cannot happen to a file this
    layer wrote and checked, but a cache is never trusted) makes the file's whole fold count
    as absent: everything is folded again from the days (whose entries that do not decode are
    derived again), the agenda included."""

    __slots__ = ("on", "days", "_parts", "_lines", "_lock", "_texts")

    def __init__(self, on: date, days: Mapping[str, ClientDay], lines: tuple[bytes, ...] | None = None,
                 folded: BookDay | None = None) -> None:
        self.on = on
        self.days = days
        self._lock = threading.RLock()
        self._lines = lines
        self._parts: list[Any] = [_UNREAD] * 4
        # the contexts when a changed client was folded in and the others' contexts were
        # kept undecoded: each None, a context, or its JSON text (see context_texts)
        self._texts: tuple | None = None
        if folded is not None:
            self._parts = [folded.agenda, folded.contexts, folded.report, folded.totals]
            self._lines = None
            if any(type(c) is str for c in folded.contexts):
                self._parts[1], self._texts = _UNREAD, tuple(folded.contexts)
        elif lines is None:
            self._refold()

    def _refold(self) -> None:
        with quiet_gc():
            bd = fold(self.days, self.on)
        self._parts = [bd.agenda, bd.contexts, bd.report, bd.totals]
        self._lines = None
        self._texts = None

    def whole(self) -> BookDay:
        """Every part decoded, as a day (a part of the file's that does not decode makes the
        whole fold made again from the days)."""
        return BookDay(self.on, self.days, self.agenda, self.report, self.contexts, self.totals)

    def _part(self, i: int) -> Any:
        got = self._parts[i]
        if got is _UNREAD:
            with self._lock:
                got = self._parts[i]
                if got is _UNREAD:
                    if i == 1 and self._texts is not None:
                        got = _decode_contexts(self._texts)
                    else:
                        got = _decode_part(i, self._lines[i], self.on) if self._lines is not None else None
                    if got is not None and i == 1 and len(got) != len(self.agenda):
                        got = None
                    if self._lines is None and self._texts is None:  # (the agenda was folded again meanwhile)
                        got = self._parts[i]
                    elif got is None:
                        self._refold()
                        got = self._parts[i]
                    else:
                        self._parts[i] = got
                        if i == 1:
                            self._texts = None
        return got

    @property
    def agenda(self) -> tuple[Action, ...]:
        return self._part(0)

    @property
    def contexts(self) -> tuple[dict | None, ...]:
        return self._part(1)

    @property
    def report(self) -> Report:
        return self._part(2)

    @property
    def totals(self) -> Totals:
        return self._part(3)

    def lines(self) -> list[bytes]:
        """The four lines to keep: as they were read, else encoded."""
        lines = self._lines
        if lines is not None:
            return list(lines)
        got = [orjson.dumps(codec.encode(self._part(i))) if i != 1 else None for i in range(4)]
        got[1] = orjson.dumps(list(map(_context_text, self._texts if self._texts is not None else self._part(1))))
        return got

    def context_texts(self) -> tuple | None:
        """The contexts as they are held, for folding changed clients in again
        (:func:`derived.state.current`): each None, the JSON text of a context not decoded yet,
        or a context; None when the file's line is not such a list."""
        if self._texts is not None:
            return self._texts
        if self._parts[1] is not _UNREAD:
            return self._parts[1]
        return _context_texts(self._lines[1]) if self._lines is not None else None

    def decoded(self) -> int:
        """How many of the four parts are decoded (or folded)."""
        return sum(1 for v in self._parts if v is not _UNREAD)


def _context_text(c: dict | str | None) -> str | None:
    """A context as its line holds it: None, or the JSON text of its encoded form."""
    return c if c is None or type(c) is str else orjson.dumps(codec.encode(c)).decode()


def _context_texts(line: bytes) -> tuple | None:
    """The contexts line's items (None or JSON texts), not decoded; None if it is not such a list."""
    try:
        got = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None
    if type(got) is not list or not all(c is None or type(c) is str for c in got):
        return None
    return tuple(got)


def _decode_contexts(texts: tuple) -> tuple | None:
    """Every context of ``texts`` (each None, a JSON text or a context), or None if one is not."""
    got = []
    try:
        for c in texts:
            if type(c) is str:
                c = codec.decode(orjson.loads(c))
            if c is not None and type(c) is not dict:
                return None
            got.append(c)
    except (codec.Undecodable, orjson.JSONDecodeError, TypeError, ValueError):
        return None
    return tuple(got)


def _decode_part(i: int, line: bytes, on: date) -> Any:
    """Part ``i`` of a fold (agenda, contexts, report, totals) from its line, or None if it is not one."""
    if i == 1:
        texts = _context_texts(line)
        return None if texts is None else _decode_contexts(texts)
    try:
        got = codec.decode(orjson.loads(line))
    except (codec.Undecodable, orjson.JSONDecodeError, TypeError, ValueError):
        return None
    if i == 0:
        ok = type(got) is tuple and all(type(a) is Action for a in got)
    elif i == 2:
        ok = type(got) is Report
    else:
        ok = type(got) is Totals and got.on == on
    return got if ok else None


def fold_of_lines(lines: tuple[bytes, ...], on: date) -> BookDay | None:
    """The file's fold (without clients' days) to fold changed clients into: every part decoded
    but the contexts, which stay JSON texts (see :class:`Fold`); None if a part does not decode."""
    parts = [_decode_part(i, line, on) if i != 1 else _context_texts(line) for i, line in enumerate(lines)]
    if any(p is None for p in parts) or len(parts[1]) != len(parts[0]):
        return None
    return BookDay(on, {}, parts[0], parts[2], parts[1], parts[3])
