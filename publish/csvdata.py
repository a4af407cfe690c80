"""The accountant's CSVs: quick neutralised formatting, and the long payments and activities
CSVs built from cached blocks.

The payments and activities tables are long (hundreds of thousands of rows on a big book)
and append-mostly. Their rows, sorted by (date, id), are cut into blocks of ``CSV_BLOCK``
rows, and each block is kept in the site's cache (``.dun-cache/csv/NAME-FP.csv``) under a
fingerprint of its rows' contents (a digest of every field a row shows, per row), so a new
payment formats one block and the build copies the rest. A CSV is its header and its blocks:
byte for byte what one pass over every row writes.

Three ways to the same blocks (same names, same bytes):

- :func:`tables_of_records`: from the whole book's records;
- :func:`tables_of_docs`: from the stored documents, decoding only the rows of a block the
  last build did not have (a republish that did not read the whole book);
- :func:`update`: from the last build's :class:`Rows` (each row's sort key and digest, kept
  with the site's state, see :mod:`publish.fast`) and the documents the journal put since:
  only those rows are formatted, every other row's bytes are copied from the last build's
  blocks, and no table of the book is read.
"""
from __future__ import annotations

import csv
import hashlib
import io
import os
from bisect import bisect_left
from decimal import Decimal
from operator import attrgetter, itemgetter
from typing import Callable, Iterable, NamedTuple

from receivables.tuning import CSV_BLOCK

import orjson

from receivables.csvsafe import neutralise
from receivables.errors import DunError
from receivables.money import amount_from_store, to_text

from .paths import CACHE

DIGEST = 8  # bytes of a row's digest

PAYMENTS_HEADER = ["date", "id", "client", "currency", "amount", "unallocated", "method", "reference", "allocations"]
PAYMENTS_TEXT = {"id", "client", "method", "reference", "allocations"}
ACTIVITIES_HEADER = ["date", "id", "client", "channel", "direction", "step", "invoices", "outcome", "internal", "body"]
ACTIVITIES_TEXT = {"id", "client", "step", "invoices", "outcome", "body", "channel", "direction"}
HEADERS = {"payments": (PAYMENTS_HEADER, PAYMENTS_TEXT), "activities": (ACTIVITIES_HEADER, ACTIVITIES_TEXT)}
LONG_TABLES = tuple(HEADERS)
_DANGER_FIRST = frozenset("=+-@\t\r")


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
            if v and v[0] in _DANGER_FIRST:
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


# -- rows' identities -------------------------------------------------------------------------
# A row's digest covers every field it shows, from records and from stored documents alike
# (the same JSON: dates serialise as their ISO text, amounts as the Decimal's text).

_ROW_START, _ROW_BREAK, _ROW_END = b"[\n  [\n", b"\n  ],\n  [\n", b"\n  ]\n]"


def _digests(keys: list) -> bytes:
    """Each key's digest (``DIGEST`` bytes, in order). The keys are dumped as one indented JSON
    list (a dump per row costs ~2 us, several times more) and cut into rows where a line of
    the outer list's indent closes one: a string cannot hold a line break, and a row's own
    lists are indented deeper, so the cuts fall between rows only. One key alone is dumped
    and cut the same way."""
    if not keys:
        return b""
    text = orjson.dumps(keys, option=orjson.OPT_INDENT_2)
    rows = text[len(_ROW_START):-len(_ROW_END)].split(_ROW_BREAK)
    if len(rows) != len(keys):  # never so; were it, one at a time is the same digest
        return b"".join([_digests([k]) for k in keys])
    return b"".join([hashlib.blake2b(r, digest_size=DIGEST).digest() for r in rows])


def _payment_key(p) -> tuple:
    return (p.id, p.date, p.client, p.currency, str(p.amount), p.method, p.reference,
            [(a.invoice, str(a.amount)) for a in p.allocations])


def _payment_doc_key(d: dict) -> tuple:
    cur = d["currency"]
    return (d["id"], d["date"], d["client"], cur, str(amount_from_store(d["amount"], cur)), d.get("method", ""),
            d.get("reference", ""), [(a["invoice"], str(amount_from_store(a["amount"], cur)))
                                     for a in d.get("allocations", ())])


def _activity_key(a, show: bool) -> tuple:
    return (a.id, a.date, a.client, a.channel, a.direction, a.step or "", a.invoices, a.outcome, a.internal,
            a.body if (show or not a.internal) else "")


def _activity_doc_key(d: dict, show: bool) -> tuple:
    internal = d.get("internal", True)
    return (d["id"], d["date"], d["client"], d["channel"], d.get("direction", "out"), d.get("step") or "",
            d.get("invoices", ()), d.get("outcome", ""), internal, d.get("body", "") if (show or not internal) else "")


def _doc_rows(name: str, docs: list[dict], show: bool) -> bytes:
    """The CSV lines (no header) of stored documents."""
    from store import codec

    header, text = HEADERS[name]
    if name == "payments":
        rows = payment_rows(map(codec.payment_from_doc, docs))
    else:
        rows = activity_rows(map(codec.activity_from_doc, docs), show)
    return csv_fast(header, rows, text, with_header=False)


def _doc_digest(name: str, doc: dict, show: bool) -> bytes:
    return _digests([_payment_doc_key(doc) if name == "payments" else _activity_doc_key(doc, show)])


class Table(NamedTuple):
    """A long CSV's rows, sorted, and how to key, digest and format them."""
    name: str
    items: list  # records or stored documents, by (date, id)
    sort_key: Callable[[object], str]  # "DATE ID"
    key: Callable[[object], tuple]  # every field the row shows (digested)
    rows: Callable[[list], bytes]  # the CSV lines (no header) of some items


def tables_of_records(book, on, show_internal: bool) -> list[Table]:
    pays = sorted((p for p in book.payments if p.date <= on), key=attrgetter("date", "id"))
    acts = sorted((a for a in book.activities if a.date <= on), key=attrgetter("date", "id"))
    return [
        Table("payments", pays, lambda p: f"{p.date.isoformat()} {p.id}", _payment_key,
              lambda rows: csv_fast(PAYMENTS_HEADER, payment_rows(rows), PAYMENTS_TEXT, with_header=False)),
        Table("activities", acts, lambda a: f"{a.date.isoformat()} {a.id}", lambda a: _activity_key(a, show_internal),
              lambda rows: csv_fast(ACTIVITIES_HEADER, activity_rows(rows, show_internal), ACTIVITIES_TEXT,
                                    with_header=False)),
    ]


def tables_of_docs(payments: Iterable[dict], activities: Iterable[dict], on, show_internal: bool) -> list[Table]:
    """:func:`tables_of_records` from the stored documents: the same rows, order, digests and
    bytes (ISO dates sort as dates do), and only the rows of a block that is formatted are
    decoded."""
    day = on.isoformat()
    by = itemgetter("date", "id")
    pays = sorted((d for d in payments if d["date"] <= day), key=by)
    acts = sorted((d for d in activities if d["date"] <= day), key=by)
    return [
        Table("payments", pays, lambda d: f"{d['date']} {d['id']}", _payment_doc_key,
              lambda docs: _doc_rows("payments", docs, show_internal)),
        Table("activities", acts, lambda d: f"{d['date']} {d['id']}", lambda d: _activity_doc_key(d, show_internal),
              lambda docs: _doc_rows("activities", docs, show_internal)),
    ]


# -- blocks -----------------------------------------------------------------------------------

class Rows(NamedTuple):
    """A long CSV's rows as the next build's :func:`update` needs them: every row's sort key
    (``DATE ID``, newline-separated, in order) and digest (``DIGEST`` bytes each, same order)."""
    keys: bytes
    digests: bytes

    @property
    def count(self) -> int:
        return len(self.digests) // DIGEST


class LongCsv(NamedTuple):
    name: str
    header: list[str]
    text: set[str]
    blocks: list[tuple[str, str]]  # (rel, fingerprint), in order
    fresh: dict[str, bytes]  # the blocks the last build did not have
    rows: Rows | None  # None: a row's id holds a line break (no update from these)


def block_rel(name: str, fp: str) -> str:
    return f"{CACHE}/csv/{name}-{fp}.csv"


def block_fp(name: str, tag: str, digests: bytes) -> str:
    """A block's fingerprint: its rows' digests and ``tag`` (the templates and code the rows
    are formatted with)."""
    h = hashlib.blake2b(digest_size=16)
    h.update(f"{name}\x00{tag}\x00".encode())
    h.update(digests)
    return h.hexdigest()


def _blocks_of(name: str, tag: str, digests: bytes) -> list[tuple[str, str]]:
    step = CSV_BLOCK * DIGEST
    out = []
    for i in range(0, len(digests), step):
        fp = block_fp(name, tag, digests[i:i + step])
        out.append((block_rel(name, fp), fp))
    return out


def build(tables: list[Table], old_files: dict, tag: str) -> list[LongCsv]:
    """Each long CSV's blocks, formatting only those the last build did not have (their
    fingerprints are not in ``old_files``). Run in a side process."""
    out = []
    for t in tables:
        keys = [t.sort_key(x) for x in t.items]
        digests = _digests([t.key(x) for x in t.items])
        blocks = _blocks_of(t.name, tag, digests)
        fresh = {}
        for b, (rel, fp) in enumerate(blocks):
            if old_files.get(rel) != fp and rel not in fresh:
                fresh[rel] = t.rows(t.items[b * CSV_BLOCK:(b + 1) * CSV_BLOCK])
        joined = "\n".join(keys)
        rows = Rows(joined.encode("utf-8"), digests) if joined.count("\n") == max(len(keys) - 1, 0) else None
        out.append(LongCsv(t.name, *HEADERS[t.name], blocks, fresh, rows))
    return out


def block(tables: list[Table], name: str, rel: str, tag: str) -> bytes:
    """One block again (the last build listed it but its file is gone)."""
    for t in tables:
        if t.name == name:
            for i in range(0, len(t.items), CSV_BLOCK):
                chunk = t.items[i:i + CSV_BLOCK]
                fp = block_fp(name, tag, _digests([t.key(x) for x in chunk]))
                if block_rel(name, fp) == rel:
                    return t.rows(chunk)
    raise DunError(f"no rows for {rel}", "publish")


class Stale(Exception):
    """The last build's rows or blocks cannot be brought up to date: build from the book."""


def split_rows(data: bytes) -> list[bytes]:
    """A block's CSV lines, one per row: a row ends at a line break outside quotes (a quoted
    cell may hold one; quotes inside a cell are doubled, so the count stays even)."""
    parts = data.split(b"\n")
    if parts.pop() != b"":
        raise Stale("a block does not end with a line break")
    rows: list[bytes] = []
    acc = None
    for part in parts:
        if acc is None:
            if part.count(b'"') % 2 == 0:
                rows.append(part + b"\n")
            else:
                acc = part
        else:
            acc += b"\n" + part
            if acc.count(b'"') % 2 == 0:
                rows.append(acc + b"\n")
                acc = None
    if acc is not None:
        raise Stale("a block ends inside a quoted cell")
    return rows


def _find(keys_blob: bytes, rid: bytes) -> bytes | None:
    """The sort key (``DATE ID``, the date being 10 characters) of the row with id ``rid``."""
    needle = b" " + rid + b"\n"
    start = 0
    while True:
        at = keys_blob.find(needle, start)
        if at < 0:
            return None
        line = at - 10
        if line == 0 or (line > 0 and keys_blob[line - 1] == 10):
            return keys_blob[line:at + len(needle) - 1]
        start = at + 1


def update(name: str, rows: Rows, docs: list[dict], on, show_internal: bool, old_files: dict, old_dir: str,
           tag: str) -> LongCsv:
    """The long CSV ``name`` from the last build's ``rows`` and the documents of that table put
    since (``docs``, in journal order: new rows, and new versions of old ones): those rows are
    formatted, every other row is copied from the last build's blocks (in ``old_dir``).
    Raises :class:`Stale` when that cannot be done (a block gone or not as listed)."""
    header, text = HEADERS[name]
    if not docs:
        return LongCsv(name, header, text, _blocks_of(name, tag, rows.digests), {}, rows)
    day = on.isoformat()
    orig = rows.keys.split(b"\n") if rows.count else []
    if len(orig) != rows.count:
        raise Stale("rows and digests disagree")
    keys = list(orig)
    digests = bytearray(rows.digests)
    blob = rows.keys + b"\n"
    now: dict[str, bytes | None] = {}  # ids put here: their sort key now (None: not shown)
    new: dict[bytes, dict] = {}  # sort key -> the document of a row put here
    for doc in docs:
        rid = doc["id"]
        if "\n" in rid:
            raise Stale("an id holds a line break")
        old = now[rid] if rid in now else _find(blob, rid.encode("utf-8"))
        if old is not None:
            k = bisect_left(keys, old)
            if k >= len(keys) or keys[k] != old:
                raise Stale("a row is not where its key says")
            del keys[k]
            del digests[k * DIGEST:(k + 1) * DIGEST]
            new.pop(old, None)
        now[rid] = None
        if doc["date"] <= day:
            key = f"{doc['date']} {rid}".encode("utf-8")
            k = bisect_left(keys, key)
            keys.insert(k, key)
            digests[k * DIGEST:k * DIGEST] = _doc_digest(name, doc, show_internal)
            new[key] = doc
            now[rid] = key
    made = {key: _doc_rows(name, [doc], show_internal) for key, doc in new.items()}
    old_blocks: dict[int, list[bytes]] = {}
    old_rels = _blocks_of(name, tag, rows.digests)

    def old_row(key: bytes) -> bytes:
        p = bisect_left(orig, key)
        if p >= len(orig) or orig[p] != key:
            raise Stale("a row is in neither the last build nor the journal")
        b, i = divmod(p, CSV_BLOCK)
        got = old_blocks.get(b)
        if got is None:
            try:
                with open(os.path.join(old_dir, old_rels[b][0]), "rb") as f:
                    got = split_rows(f.read())
            except OSError:
                raise Stale("a block of the last build is gone") from None
            if len(got) != min(CSV_BLOCK, len(orig) - b * CSV_BLOCK):
                raise Stale("a block of the last build has other rows")
            old_blocks[b] = got
        return got[i]

    digests = bytes(digests)
    blocks = _blocks_of(name, tag, digests)
    fresh: dict[str, bytes] = {}
    for b, (rel, fp) in enumerate(blocks):
        if old_files.get(rel) != fp and rel not in fresh:
            fresh[rel] = b"".join([made[key] if key in made else old_row(key)
                                   for key in keys[b * CSV_BLOCK:(b + 1) * CSV_BLOCK]])
    return LongCsv(name, header, text, blocks, fresh, Rows(b"\n".join(keys), digests))
