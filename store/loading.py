"""Reading a book into memory: book.json plus the committed changes in book.journal
(:func:`_load`), and TinyDB over the documents in memory (:class:`BookDB`)."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from tinydb import TinyDB
from tinydb.storages import Storage
from tinydb.table import Table

from receivables.errors import DunError
from receivables.model import singular

from . import codec, userkey
from .bookfile import SCHEMA, BookPaths, Changes, Tables, _schema_of, migrate, parse_book_bytes
from .files import mac_holds, open_plain, read_journal
from .revisions import Revisions


def _owner(table: str, doc: dict | None) -> str | None:
    """The client a document belongs to ("*": a document of no one client, e.g. the meta; None
    for the book-level tables, whose documents touch no client's derived state)."""
    if doc is None or table in codec.BOOK_LEVEL:
        return None
    if table == "clients":
        return doc.get("id", "*")
    return doc.get("client", "*")


def _not_ours(line: int, source: str, what: str) -> DunError:
    return DunError(f"line {line} of the journal is not a change dun wrote ({what})", source,
                    "restore a backup with 'dun restore'; the journal is left as it is")


def _doc_id_ok(doc_id: Any) -> bool:
    if type(doc_id) is int:
        return doc_id >= 1
    return isinstance(doc_id, str) and doc_id.isascii() and doc_id.isdigit() and doc_id[0] != "0"


def check_entry(entry: Any, line: int, source: str) -> None:
    """Refuse a journal entry that is not of the shape dun writes (``{"seq": n, "ops":
    [["put", table, doc_id, doc, was], ...]}``, files.encode_entry, commits): the checksum
    only says a line was not torn, and anyone can compute one. A document's fields are
    checked where it is read (codec), as book.json's are."""
    if not isinstance(entry, dict) or set(entry) != {"seq", "ops"}:
        raise _not_ours(line, source, "not an object of seq and ops")
    if type(entry["seq"]) is not int or entry["seq"] < 1:
        raise _not_ours(line, source, f"change number {entry['seq']!r:.40}")
    ops = entry["ops"]
    if not isinstance(ops, list):
        raise _not_ours(line, source, "no list of operations")
    for op in ops:
        if not isinstance(op, list) or len(op) not in (4, 5) or op[0] != "put":
            raise _not_ours(line, source, f"operation {str(op)[:40]!r}")
        table, doc_id, doc = op[1], op[2], op[3]
        if not isinstance(table, str) or table not in codec.TABLES:
            raise _not_ours(line, source, f"table {str(table)[:40]!r}")
        if not _doc_id_ok(doc_id):
            raise _not_ours(line, source, f"document id {str(doc_id)[:40]!r}")
        if not isinstance(doc, dict):
            raise _not_ours(line, source, f"a {type(doc).__name__} where a record goes")
        owner = "" if table in codec.BOOK_LEVEL else doc.get("id" if table == "clients" else "client", "")
        if not isinstance(owner, str) or (len(op) > 4 and op[4] is not None and not isinstance(op[4], str)):
            raise _not_ours(line, source, "a client that is not text")


class _Keys:
    """Per table, which document holds each key (an invoice number folded to one case): what
    a journal line not signed by this user's dun is checked against. Such a line could give a
    payment id, or an invoice number, already another client's to a second record, and a
    command that works out only the changed client would never see the two side by side (a
    whole read refuses them: store.reads). Built only for a table such a line touches."""

    def __init__(self, tables: Tables, source: str) -> None:
        self.tables, self.source = tables, source
        self.by_table: dict[str, dict] = {}

    @staticmethod
    def _key(table: str, doc: Any) -> str | None:
        """(None: no key that is text, a record refused when it is read)"""
        key = doc.get(codec.TABLES[table][1]) if isinstance(doc, dict) else None
        if not isinstance(key, str):
            return None
        return key.casefold() if table == "invoices" else key

    def put(self, table: str, doc_id: str, old: Any, doc: dict, line: int) -> None:
        """Before ``doc`` (a line's, unsigned) replaces ``old`` as document ``doc_id``."""
        index = self.by_table.get(table)
        if index is None:
            index = self.by_table[table] = {}
            for i, d in self.tables.get(table).items():
                index.setdefault(self._key(table, d), i)
        key = self._key(table, doc)
        holder = index.get(key) if key is not None else None
        if holder is not None and holder != doc_id:
            name = doc.get(codec.TABLES[table][1])
            raise DunError(f"line {line} of the journal gives {singular(table)} {name!r:.40}, which document "
                           f"{holder} of {table} already has, to document {doc_id} too", self.source,
                           "restore a backup with 'dun restore'; the journal is left as it is")
        self.moved(table, doc_id, old, doc)

    def moved(self, table: str, doc_id: str, old: Any, doc: dict) -> None:
        """``doc`` replaced ``old`` as document ``doc_id`` (kept in the index, once it is made)."""
        index = self.by_table.get(table)
        if index is None:
            return
        key, was = self._key(table, doc), self._key(table, old)
        if was is not None and index.get(was) == doc_id:
            del index[was]
        if key is not None:
            index[key] = doc_id


def _apply_ops(tables: Tables, ops: list, signed: bool, keys: _Keys, line: int) -> set[str]:
    """Apply a journal entry's operations; the clients whose documents they touched (both the
    one a document belonged to and the one it belongs to now).

    An operation is ``["put", table, doc_id, doc, was]``: ``was`` is the owner of the document
    it replaces (None: a new document), so the table need not be read to know it. It is
    believed only of an entry this user's dun wrote (``signed``, store.files): any other entry
    could name the wrong owner, and the old one's derived state would be taken as current.
    Those, and entries written before ``was`` was kept (four items), read the table for it."""
    touched: set[str] = set()
    for op in ops:
        if op[0] != "put":  # pragma: no cover - future op kinds are refused, not skipped
            raise DunError(f"unknown journal operation {op[0]!r}", "book.journal", "upgrade dun")
        table, doc_id, doc = op[1], str(op[2]), op[3]
        touched.add(_owner(table, doc))
        if len(op) > 4 and signed:  # (dun kept each key to one document when it wrote the line)
            touched.add(op[4])
            if table in keys.by_table:
                keys.moved(table, doc_id, tables.get(table).get(doc_id), doc)
            tables.put(table, doc_id, doc)
        else:
            docs = tables.get(table)
            old = docs.get(doc_id)
            keys.put(table, doc_id, old, doc, line)
            was = _owner(table, old)  # (book.json's: a hand edit may make it a list)
            touched.add(was if was is None or isinstance(was, str) else "*")
            docs[doc_id] = doc
    touched.discard(None)
    return touched


def _load(paths: BookPaths) -> tuple[Tables, int, int, bool, bool]:
    """(tables, seq, journal good bytes, torn tail, migrated). Opens the journal before the
    snapshot so a concurrent checkpoint can never hide entries from us."""
    if not paths.root.is_dir():
        raise DunError("no book here", str(paths.root), "create one with 'dun init' or 'dun demo'")
    jraw = b""
    try:
        with os.fdopen(open_plain(paths.journal, os.O_RDONLY), "rb") as jf:
            try:
                raw = _read(paths.book)
            except FileNotFoundError:
                raise DunError("book.json is missing", str(paths.root),
                               "restore a backup with 'dun restore', or 'dun init' a new book") from None
            jraw = jf.read()
    except FileNotFoundError:
        try:
            raw = _read(paths.book)
        except FileNotFoundError:
            raise DunError("no book here (book.json is missing)", str(paths.root),
                           "create one with 'dun init' or 'dun demo'") from None
    source = str(paths.book)
    if not raw:
        parse_book_bytes(raw, source)  # raises: an empty file is never an empty book
    tables = Tables.from_bytes(raw, source)
    meta = tables.get("meta")
    migrated = False
    if _schema_of({"meta": meta}, source) != SCHEMA:
        data, migrated = migrate(tables.materialize(), source)
        tables = Tables(data, {}, source)
    seq = tables.get("meta")["1"].get("seq", 0)  # (a whole number: bookfile._schema_of)
    revisions = tables.revisions = Revisions(tables.get("meta"), raw)
    del raw
    changes = tables.changes = Changes(revisions.file_id, seq)
    journal = read_journal(jraw, str(paths.journal))
    key = userkey.book_key() if journal.entries else None
    kept_seq = seq
    keys = _Keys(tables, str(paths.journal))
    for line, (entry, token, body, mac) in enumerate(
            zip(journal.entries, journal.tokens, journal.bodies, journal.macs), 1):
        check_entry(entry, line, str(paths.journal))
        n = entry["seq"]
        if n <= kept_seq:  # (already in book.json: a checkpoint stopped before emptying the journal)
            continue
        if n != seq + 1:
            what = f"repeats change {n}" if n <= seq else f"skips from change {seq} to {n}"
            raise DunError(f"the journal {what} (line {line})", str(paths.journal),
                           "restore a backup with 'dun restore'")
        signed = mac_holds(key, revisions.chain, body, mac)
        touched = _apply_ops(tables, entry["ops"], signed, keys, line)
        changes.add(n, token, touched, entry["ops"])
        revisions.record(n, token, touched)
        seq = n
    return tables, seq, journal.good_bytes, journal.torn_tail, migrated


def _read(path: Path) -> bytes:
    with os.fdopen(open_plain(path, os.O_RDONLY), "rb") as f:
        return f.read()


# -- TinyDB glue -----------------------------------------------------------------------------

class BookStorage(Storage):
    """TinyDB storage over the repository's in-memory document tree."""

    def __init__(self, repo: Any) -> None:  # the store.repository.Repository
        self.repo = repo

    def read(self) -> dict[str, dict[str, Any]]:
        return self.repo._tables.materialize()

    def table(self, name: str) -> dict[str, Any]:
        return self.repo._tables.get(name)

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        # A whole-state write through TinyDB's own API: make it durable as a checkpoint.
        self.repo._tables = Tables(data, {}, str(self.repo.paths.book))  # (fresh revisions: all changed)
        self.repo._after_external_write()


class BookTable(Table):
    def put(self, doc_id: int, doc: dict) -> None:
        """Store one document in O(1) (TinyDB's update path copies the whole table)."""
        self._storage.table(self.name)[str(doc_id)] = doc
        self.clear_cache()
        self._next_id = None


class BookDB(TinyDB):
    table_class = BookTable
