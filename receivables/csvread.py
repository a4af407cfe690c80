"""Reading an imported CSV file strictly: UTF-8 text, a header naming known columns (in any
order, matched ignoring case), rows numbered as a spreadsheet shows them, the ``'`` our
exports put before formula-like cells taken off again; and the cell parsers every import
shares. :class:`Rows` collects each row's problems so one :class:`ImportRejected` names
them all (an import is all or nothing)."""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Sequence

from .errors import DunError, Problem
from .money import check_currency
from .shapes import shape_problems

ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}", re.ASCII)
_INT_RE = re.compile(r"[0-9]{1,4}", re.ASCII)
_QTY_RE = re.compile(r"-?[0-9]{1,12}(\.[0-9]{1,4})?", re.ASCII)


class ImportRejected(DunError):
    """The file was refused; ``problems`` lists every problem found (the message: the first)."""

    def __init__(self, problems: list[Problem]) -> None:
        first = problems[0]
        more = len(problems) - 1
        hint = first.hint
        if more:
            hint = (hint + "; " if hint else "") + f"{more} more problem{'s' if more > 1 else ''} in the file"
        super().__init__(first.message, first.where, hint + ("; nothing was imported" if hint else "nothing was imported"))
        self.problems = problems


def decode(data: bytes | str, source: str) -> str:
    """UTF-8 text (a byte-order mark is dropped) or one clear error."""
    if isinstance(data, str):
        return data[1:] if data.startswith("\ufeff") else data
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):  # (a spreadsheet's "Unicode text")
        raise DunError("is UTF-16 text, not UTF-8", source, "save it as 'CSV UTF-8' and import again")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise DunError(f"is not UTF-8 text (byte {e.start + 1} is 0x{data[e.start]:02x})", source,
                       "save it as 'CSV UTF-8' and import again") from None


@dataclass(slots=True)
class Table:
    source: str
    header: list[str]
    rows: list[tuple[int, dict[str, str]]]  # (row number, cells by column)


def read_table(data: bytes | str, source: str, required: Sequence[str], optional: Sequence[str] = (), *,
               extra_ok: bool = False, star: bool = False) -> Table:
    """Parse a CSV with a header row; check the columns; rows keep their spreadsheet row numbers."""
    text = decode(data, source)
    if "\x00" in text:
        raise DunError("holds NUL bytes: it is not a text CSV file", source, "export it again as CSV")
    if not text.strip():
        raise DunError("is empty", source, f"the first line must name the columns: {','.join(required)}")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        records = list(reader)
    except csv.Error as e:
        raise DunError(f"is not valid CSV after row {reader.line_num}: {e}", source,
                       "check the quotes on that row") from None
    raw_header = records[0]
    _refuse_other_delimiter(raw_header, source, (*required, *optional))
    header = [h.strip() for h in raw_header]
    if star:
        header = [h[1:].strip() if h.startswith("*") else h for h in header]
    known = {c.lower(): c for c in (*required, *optional)}  # header names are matched ignoring case
    canon: list[str] = []
    seen: set[str] = set()
    unknown: list[str] = []
    for h in header:
        key = h.lower()
        name = known.get(key, h)
        if name in seen:
            raise DunError(f"the column {name!r} appears twice", f"{source} row 1", "keep one of them")
        seen.add(name)
        if key not in known:
            unknown.append(h)
        canon.append(name)
    missing = [c for c in required if c not in seen]
    if missing:
        raise DunError(f"missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)}", f"{source} row 1",
                       f"the header must hold: {','.join(required)}")
    if unknown and not extra_ok:
        raise DunError(f"unknown column{'s' if len(unknown) > 1 else ''} {', '.join(repr(u) for u in unknown)}",
                       f"{source} row 1", f"the columns are: {','.join((*required, *optional))}")
    rows: list[tuple[int, dict[str, str]]] = []
    width = len(canon)
    for n, rec in enumerate(records[1:], start=2):
        if not rec or all(not c.strip() for c in rec):
            continue  # a blank line
        if len(rec) != width:
            raise DunError(f"has {len(rec)} fields but the header has {width}", f"{source} row {n}",
                           "check for a stray comma or a missing quote")
        rows.append((n, dict(zip(canon, (_unneutralise(c) for c in rec)))))
    return Table(source, canon, rows)


_OTHER_DELIMITERS = {";": "semicolons", "\t": "tabs", "|": "bars"}


def _refuse_other_delimiter(raw_header: list[str], source: str, columns: Sequence[str]) -> None:
    """A spreadsheet set to a language that writes decimals with a comma saves "CSV" with
    semicolons between the columns: the whole header is then one cell. Say so, rather than
    listing every column as missing."""
    if len(raw_header) != 1:
        return
    known = {c.lower() for c in columns}
    for sep, name in _OTHER_DELIMITERS.items():
        cells = [c.strip().lstrip("*").strip().lower() for c in raw_header[0].split(sep)]
        if len(cells) > 1 and any(c in known for c in cells):
            raise DunError(f"separates its columns with {name}, not commas", f"{source} row 1",
                           "save it from the spreadsheet as 'CSV UTF-8 (comma delimited)', with a dot "
                           "before the decimals, and import again")


_NEUTRALISED = ("'=", "'+", "'-", "'@", "'\t", "'\r", "'\n")


def _unneutralise(cell: str) -> str:
    """Undo :mod:`receivables.csvsafe`: our exports prefix a formula-like cell with ``'``."""
    return cell[1:] if cell.startswith(_NEUTRALISED) else cell


# -- small parsers ---------------------------------------------------------------------------------------


class Rows:
    """Collects problems with their row numbers; raises them all at the end."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.problems: list[Problem] = []

    def where(self, n: int, col: str | None = None) -> str:
        return f"{self.source} row {n}" + (f" ({col})" if col else "")

    def add(self, n: int, message: str, hint: str = "", col: str | None = None) -> None:
        self.problems.append(Problem(message, self.where(n, col), hint))

    def run(self, n: int, fn, *args, **kw):
        """Call a parser; a DunError becomes a problem on row ``n`` (returns None)."""
        try:
            return fn(*args, **kw)
        except DunError as e:
            self.problems.append(Problem(e.problem.message, self.where(n, e.problem.where or None), e.problem.hint))
            return None

    def shape(self, n: int, record, hint: str = "correct it in the file") -> bool:
        """Whether the row's ``record`` is one the store takes (receivables.shapes: no field too
        long, none holding a NUL); else the problems, on row ``n``. (Without this the store
        refused the whole batch naming "record 1", with a hint about backups.)"""
        found = shape_problems(record, "")
        for p in found:
            self.problems.append(Problem(p.message, self.where(n), hint))
        return not found

    def check(self) -> None:
        if self.problems:
            raise ImportRejected(self.problems)


def parse_terms(text: str, where: str) -> int:
    t = text.strip()
    if not _INT_RE.fullmatch(t) or int(t) > 3650:
        raise DunError(f"{text!r} is not a number of days", where, "write whole days from 0 to 3650, e.g. 30")
    return int(t)


def parse_currency(text: str, where: str, default: str) -> str:
    t = text.strip()
    return check_currency(t, where) if t else default


def parse_quantity(text: str, where: str) -> Decimal:
    t = text.strip()
    if not _QTY_RE.fullmatch(t):
        raise DunError(f"{text!r} is not a number", where, "plain digits with at most 4 decimals, e.g. 2.5")
    return Decimal(t)


def check_one_line(value: str, where: str, what: str) -> str:
    if any(ord(ch) < 32 for ch in value):
        raise DunError(f"the {what} {value!r} holds a line break or control character", where, f"write the {what} on one line")
    return value
