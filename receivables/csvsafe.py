"""CSV output that a spreadsheet cannot execute.

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab, a carriage return or a line feed
is prefixed with an apostrophe so spreadsheet programs show it as text instead of running it as a
formula. A carriage return inside a cell is written as a line break (``\n``): the csv module
quotes a cell holding one, but not one holding a bare ``\r``, which a spreadsheet reads as
the end of the row, the rest of the cell starting a row of its own, unguarded. Amounts are
exported as plain numbers when they are ours (``safe_numbers``), so a negative amount we
wrote stays a number.
"""
from __future__ import annotations

import csv
import io
import re
from typing import Iterable, Sequence

_DANGER = ("=", "+", "-", "@", "\t", "\r", "\n")
_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?", re.ASCII)


def neutralise(value: object) -> str:
    text = "" if value is None else str(value)
    danger = text.startswith(_DANGER)  # tested before "\r" becomes "\n", and "\n" is in it too
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if danger:
        return "'" + text
    return text


def cell(value: object, numeric: bool = False) -> str:
    """A cell: untrusted text is neutralised; a number we computed passes as a number."""
    text = "" if value is None else str(value)
    if numeric and _NUMBER.fullmatch(text):
        return text
    return neutralise(text)


def write_rows(out: io.TextIOBase, header: Sequence[str], rows: Iterable[Sequence[object]],
               numeric: Iterable[str] = ()) -> int:
    """Write a header and rows; columns named in ``numeric`` may hold our own numbers."""
    nums = {header.index(n) for n in numeric if n in header}
    w = csv.writer(out, lineterminator="\n")
    w.writerow([neutralise(h) for h in header])
    n = 0
    for row in rows:
        w.writerow([cell(v, i in nums) for i, v in enumerate(row)])
        n += 1
    return n
