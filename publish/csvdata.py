"""The accountant's CSVs: quick neutralised formatting, and the long payments and activities
CSVs made from every client's rows.

The payments and activities tables are long (hundreds of thousands of rows on a big book).
Each client's rows are formatted from that client's records alone (:func:`client_rows`:
the rows' sort keys ``DATE ID`` and their CSV lines), so a build keeps them per client revision
(:mod:`publish.kept`) and formats only the rows of the clients that changed; a CSV is its
header and every client's rows in (date, id) order (:func:`joined`): byte for byte what one
pass over every row writes (:func:`payments_csv`, :func:`activities_csv`).
"""
from __future__ import annotations

import csv
import io
from decimal import Decimal
from operator import attrgetter
from typing import Iterable

from receivables.csvsafe import neutralise
from receivables.money import to_text

PAYMENTS_HEADER = ["date", "id", "client", "currency", "amount", "unallocated", "method", "reference", "allocations"]
PAYMENTS_TEXT = {"id", "client", "method", "reference", "allocations"}
ACTIVITIES_HEADER = ["date", "id", "client", "channel", "direction", "step", "invoices", "outcome", "internal", "body"]
ACTIVITIES_TEXT = {"id", "client", "step", "invoices", "outcome", "body", "channel", "direction"}
HEADERS = {"payments": (PAYMENTS_HEADER, PAYMENTS_TEXT), "activities": (ACTIVITIES_HEADER, ACTIVITIES_TEXT)}
LONG_TABLES = tuple(HEADERS)
_DANGER_FIRST = frozenset("=+-@\t\r\n")


def csv_fast(header: list[str], rows: Iterable[list], text: set[str], with_header: bool = True) -> bytes:
    """CSV with the same neutralising as :func:`receivables.csvsafe.write_rows`, applied to the
    columns that hold untrusted text (``text``); the other columns hold our own numbers,
    dates and codes. (write_rows checks every cell and costs ~5x more on 100,000 rows.)"""
    idx = [i for i, h in enumerate(header) if h in text]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    if with_header:
        w.writerow(header)
    for row in rows:
        for i in idx:
            v = row[i]
            if v and (v[0] in _DANGER_FIRST or "\r" in v):
                row[i] = neutralise(v)
        w.writerow(row)
    return buf.getvalue().encode("utf-8")


def stored_text(amount: Decimal, currency: str, _places: dict = {}) -> str:
    """A stored amount as text: it already has the currency's decimals (the store quantizes
    on the way in), so only an odd one goes through :func:`to_text`."""
    places = _places.get(currency)
    if places is None:
        from receivables.money import minor_units

        places = _places[currency] = minor_units(currency)
    text = str(amount)
    dot = text.find(".")
    if "E" not in text and (len(text) - dot - 1 == places if dot >= 0 else places == 0):
        return text
    return to_text(amount, currency)


def payment_rows(payments) -> list[list]:
    rows = []
    for p in payments:
        cur = p.currency
        alloc = "; ".join([f"{a.invoice}={stored_text(a.amount, cur)}" for a in p.allocations])
        rows.append([p.date.isoformat(), p.id, p.client, cur, stored_text(p.amount, cur),
                     to_text(p.unallocated, cur) if len(p.allocations) != 1 or p.allocations[0].amount != p.amount
                     else stored_text(p.amount - p.amount, cur), p.method, p.reference, alloc])
    return rows


def activity_rows(activities, show_internal: bool) -> list[list]:
    rows = []
    for a in activities:
        body = a.body if (show_internal or not a.internal) else ""
        rows.append([a.date.isoformat(), a.id, a.client, a.channel, a.direction, a.step or "",
                     " ".join(a.invoices), a.outcome, "yes" if a.internal else "no", body])
    return rows


def payments_csv(book, on) -> bytes:
    """Payments up to ``on``, by date, in one pass (what the blocks add up to)."""
    pays = sorted((p for p in book.payments if p.date <= on), key=attrgetter("date", "id"))
    return csv_fast(PAYMENTS_HEADER, payment_rows(pays), PAYMENTS_TEXT)


def activities_csv(book, on, show_internal: bool) -> bytes:
    """Activities up to ``on``, by date, in one pass (what the blocks add up to)."""
    acts = sorted((a for a in book.activities if a.date <= on), key=attrgetter("date", "id"))
    return csv_fast(ACTIVITIES_HEADER, activity_rows(acts, show_internal), ACTIVITIES_TEXT)


# -- every client's rows -------------------------------------------------------------------

def format_lines(header: list[str], rows: list[list], text: set[str]) -> list[str]:
    """Each row's CSV line, as :func:`csv_fast` writes it (a quoted cell's line breaks and all)."""
    idx = [i for i, h in enumerate(header) if h in text]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    sizes = []
    for row in rows:
        for i in idx:
            v = row[i]
            if v and (v[0] in _DANGER_FIRST or "\r" in v):
                row[i] = neutralise(v)
        sizes.append(w.writerow(row))  # what the StringIO's write returned: the characters written
    whole = buf.getvalue()
    out = []
    at = 0
    for n in sizes:
        out.append(whole[at:at + n])
        at += n
    return out


def client_rows(records, on, show_internal: bool) -> dict[str, tuple[list[str], list[str]]]:
    """One client's rows of the long CSVs up to ``on``: for each table, the rows' sort keys
    (``DATE ID``) and their CSV lines, by (date, id). ``records``: the client's
    :class:`~receivables.model.Book`."""
    pays = sorted((p for p in records.payments if p.date <= on), key=attrgetter("date", "id"))
    acts = sorted((a for a in records.activities if a.date <= on), key=attrgetter("date", "id"))
    return {
        "payments": (_keys(pays), format_lines(PAYMENTS_HEADER, payment_rows(pays), PAYMENTS_TEXT)),
        "activities": (_keys(acts), format_lines(ACTIVITIES_HEADER, activity_rows(acts, show_internal),
                                                 ACTIVITIES_TEXT)),
    }


def _keys(items) -> list[str]:
    return [f"{x.date.isoformat()} {x.id}" for x in items]


def joined(name: str, per_client: Iterable[tuple[list[str], list[str]]]) -> bytes:
    """The long CSV ``name``: its header and every client's rows (keys and lines), by (date, id)."""
    header, text = HEADERS[name]
    keys: list[str] = []
    lines: list[str] = []
    for k, ln in per_client:
        keys.extend(k)
        lines.extend(ln)
    order = sorted(range(len(keys)), key=keys.__getitem__)
    return csv_fast(header, [], text) + "".join(map(lines.__getitem__, order)).encode("utf-8")
