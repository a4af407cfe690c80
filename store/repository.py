"""The Repository: the only door to a book on disk.

Reads: ``book.json`` (a TinyDB document, parsed with orjson) plus the committed changes
in ``book.journal``. Writes: each change is validated, then appended to the journal as
one checksummed line and fsynced before it counts (a few milliseconds, whatever the size
of the book); ``book.json`` is rewritten atomically now and then (a checkpoint) so the
journal stays short. TinyDB holds the documents in memory through :class:`BookStorage`;
its own whole-state writes, if anything makes one, are full atomic checkpoints.
"""
from __future__ import annotations

import gc
import hashlib
import os
import re
import sys
import threading
import zlib
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any, Iterable

import orjson
from tinydb import TinyDB
from tinydb.storages import Storage
from tinydb.table import Table

from receivables import validate as v
from receivables.errors import DunError, Problem
from receivables.model import (
    Activity,
    Adjustment,
    Book,
    Client,
    Dispute,
    Invoice,
    Payment,
    PayerAlias,
    PaymentPlan,
    PromiseToPay,
    Receipt,
    SyncMark,
)
from receivables.policy import Policy, load_policy, read_policy
from receivables.tuning import CHECKPOINT_BYTES, CHECKPOINT_ENTRIES, keep_for_life, quiet_gc

from . import batchcheck, charges, clientdocs, codec
from .revisions import Revisions, digest_of_parts, new_book_id
from .files import (
    BookLocked,
    Journal,
    WriteLock,
    atomic_write,
    clean_temp_files,
    create_new,
    encode_entry,
    read_journal,
)

__all__ = ["BookLocked", "BookPaths", "ReadOnlyBook", "Repository", "init_book", "open_book", "SCHEMA"]

SCHEMA = 1
DEFAULT_POLICY = Path(__file__).resolve().parent.parent / "policy.toml"
ID_PREFIX = {"payments": "PAY-", "adjustments": "ADJ-", "activities": "ACT-", "promises": "PRM-",
             "plans": "PLN-", "disputes": "DSP-"}


class ReadOnlyBook(DunError):
    """A write was attempted on a book opened read-only."""


def warn_on_stderr(text: str) -> None:
    print(f"dun: warning: {text}", file=sys.stderr)


def _no_room(e: OSError) -> str:
    return e.strerror or str(e)


@dataclass(frozen=True)
class BookPaths:
    root: Path

    @property
    def policy(self) -> Path:
        return self.root / "policy.toml"

    @property
    def book(self) -> Path:
        return self.root / "book.json"

    @property
    def journal(self) -> Path:
        return self.root / "book.journal"

    @property
    def lock(self) -> Path:
        return self.root / ".lock"

    @property
    def backups(self) -> Path:
        return self.root / "backups"

    @property
    def site(self) -> Path:
        return self.root / "site"

    @property
    def outbox(self) -> Path:
        return self.root / "outbox"


# -- schema migrations -----------------------------------------------------------------------

def _migrate_0_to_1(data: dict) -> dict:
    """Schema 0: a plain TinyDB file without our meta table (an early prototype, or a file
    written by stock TinyDB). Schema 1 adds ``meta`` with the schema number and journal seq."""
    data = dict(data)
    data.pop("_default", None)
    data["meta"] = {"1": {"schema": 1, "seq": 0, "book_id": new_book_id()}}
    return data


MIGRATIONS = {0: _migrate_0_to_1}


def _schema_of(data: dict) -> int:
    meta = data.get("meta", {}).get("1") if isinstance(data.get("meta"), dict) else None
    if meta is None:
        return 0
    return int(meta.get("schema", 0))


def migrate(data: dict, source: str) -> tuple[dict, bool]:
    version = _schema_of(data)
    if version > SCHEMA:
        raise DunError(f"was written by a newer dun (schema {version}; this one reads up to {SCHEMA})",
                       source, "upgrade dun before opening this book")
    changed = False
    while version < SCHEMA:
        data = MIGRATIONS[version](data)
        version = _schema_of(data)
        changed = True
    return data, changed


# -- reading files ---------------------------------------------------------------------------

def _bad_json(e: Exception, source: str) -> DunError:
    return DunError(f"is not valid JSON ({e.args[0] if e.args else e}); it may be truncated or damaged",
                    source, "restore a backup with 'dun restore' (the file is left as it is)")


def parse_book_bytes(raw: bytes, source: str) -> dict:
    """Parse book.json strictly: empty, truncated, trailing garbage or NaN are refused."""
    if not raw:
        raise DunError("is empty (0 bytes); refusing to treat it as an empty book", source,
                       "restore a backup with 'dun restore' (the file is left as it is)")
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as e:
        raise _bad_json(e, source) from None
    if not isinstance(data, dict) or any(not isinstance(t, dict) for t in data.values()):
        raise DunError("is not a dun book (expected tables of documents)", source,
                       "point --book at a folder made by 'dun init'")
    return data


# book.json as we write it: still one JSON object (a TinyDB document), laid out one table
# per line so a reader can parse the tables one at a time, and convert and drop each,
# instead of holding every document of a large book as Python objects at once.
#   {"meta":{...}
#   ,"clients":{...}
#   ...
#   }
def dump_book(tables: dict[str, dict | bytes | memoryview]) -> bytes:
    """The file's bytes; the meta records the digest of the lines after it (store.revisions)."""
    parts = []
    for name in tables:
        if name != "meta":
            body = tables[name]
            if not isinstance(body, (bytes, memoryview)):
                body = orjson.dumps(body)
            parts.append(b"," + orjson.dumps(name) + b":" + body + b"\n")
    parts.append(b"}\n")
    meta = tables.get("meta", {})
    if isinstance(meta, (bytes, memoryview)):
        meta = orjson.loads(meta)
    meta = dict(meta)
    meta["1"] = {**meta.get("1", {}), "digest": digest_of_parts(parts)}
    return b"".join([b'{"meta":' + orjson.dumps(meta) + b"\n", *parts])


def split_book(raw: bytes) -> dict[str, memoryview] | None:
    """The per-table JSON segments of a file in our layout (views into ``raw``, not copies:
    81 MB copied twice cost ~0.1 s), or None (then parse it whole)."""
    if not raw.startswith(b'{"meta":'):
        return None
    view = memoryview(raw)
    out: dict[str, memoryview] = {}
    pos, n = 0, len(raw)
    while pos < n:
        end = raw.find(b"\n", pos)
        end = n if end == -1 else end
        if end - pos == 1 and raw[pos:end] == b"}":  # the closing line, and nothing after it
            return out if out and end + 1 >= n else None
        if raw[pos:pos + 2] != (b',"' if out else b'{"'):
            return None
        name_end = raw.find(b'":', pos + 2, end)
        if name_end == -1:
            return None
        name = raw[pos + 2:name_end].decode("ascii", "replace")
        body = name_end + 2
        if not name.isidentifier() or name in out or raw[body:body + 1] != b"{" or raw[end - 1:end] != b"}":
            return None
        out[name] = view[body:end]
        pos = end + 1
    return None


class Tables:
    """The book's tables: parsed documents, or JSON segments parsed on first use. The
    journal's changes to a table not parsed yet wait in ``pending`` until it is (a reader that
    wants one client's records need not parse the tables a payment touched)."""

    def __init__(self, parsed: dict[str, dict], segments: dict[str, bytes | memoryview], source: str) -> None:
        self.parsed = parsed
        self.segments = segments
        self.source = source
        self.pending: dict[str, list[tuple[str, dict]]] = {}
        self.changes: Changes | None = None
        self.revisions: Revisions = Revisions.fresh()

    @classmethod
    def from_bytes(cls, raw: bytes, source: str) -> "Tables":
        segments = split_book(raw) if raw else None
        if segments is None:
            return cls(parse_book_bytes(raw, source), {}, source)
        tables = cls({}, segments, source)
        tables.get("meta")
        if b"NaN" in raw or b"Infinity" in raw:  # a cheap scan; a hit may be inside a string
            tables.validate_all()
        return tables

    def _parse(self, name: str) -> dict:
        try:
            value = orjson.loads(self.segments[name])
        except orjson.JSONDecodeError as e:
            raise _bad_json(e, f"{self.source} ({name})") from None
        if not isinstance(value, dict):
            raise DunError(f"table {name!r} is not a table of documents", self.source,
                           "restore a backup with 'dun restore'")
        return value

    def _build(self, name: str) -> dict:
        table = self._parse(name) if name in self.segments else {}
        for doc_id, doc in self.pending.get(name, ()):
            table[doc_id] = doc
        return table

    def get(self, name: str) -> dict:
        """The table's documents, parsed once and kept (for writes and repeated reads)."""
        table = self.parsed.get(name)
        if table is None:
            table = self._build(name)
            self.parsed[name] = table  # first: a peek from another thread finds it either way
            self.segments.pop(name, None)
            self.pending.pop(name, None)
        return table

    def peek(self, name: str) -> dict:
        """The table's documents without keeping them parsed (one-off reads of big tables)."""
        if name in self.parsed:
            return self.parsed[name]
        return self._build(name)

    def put(self, name: str, doc_id: str, doc: dict) -> None:
        """A journal entry's document: into the table if it is parsed, else kept for when it is."""
        table = self.parsed.get(name)
        if table is not None:
            table[doc_id] = doc
        else:
            self.pending.setdefault(name, []).append((doc_id, doc))

    def names(self) -> list[str]:
        names = [*self.parsed, *(n for n in self.segments if n not in self.parsed)]
        return names + [n for n in self.pending if n not in names]

    def materialize(self) -> dict[str, dict]:
        for name in self.names():
            self.get(name)
        return self.parsed

    def validate_all(self) -> None:
        for name in list(self.segments):
            self._parse(name)

    def dump(self) -> bytes:
        for name in list(self.pending):
            self.get(name)
        return dump_book({name: self.parsed[name] if name in self.parsed else self.segments[name]
                          for name in self.names()})


def _owner(table: str, doc: dict | None) -> str | None:
    """The client a document belongs to ("*": a document of no one client, e.g. the meta; None
    for the book-level tables, whose documents touch no client's derived state)."""
    if doc is None or table in codec.BOOK_LEVEL:
        return None
    if table == "clients":
        return doc.get("id", "*")
    return doc.get("client", "*")


def _apply_ops(tables: Tables, ops: list) -> set[str]:
    """Apply a journal entry's operations; the clients whose documents they touched (both the
    one a document belonged to and the one it belongs to now).

    An operation is ``["put", table, doc_id, doc, was]``: ``was`` is the owner of the document
    it replaces (None: a new document), so the table need not be read to know it. Entries
    written before ``was`` was kept (four items) read the table for it."""
    touched: set[str] = set()
    for op in ops:
        if op[0] != "put":  # pragma: no cover - future op kinds are refused, not skipped
            raise DunError(f"unknown journal operation {op[0]!r}", "book.journal", "upgrade dun")
        table, doc_id, doc = op[1], str(op[2]), op[3]
        touched.add(_owner(table, doc))
        if len(op) > 4:
            touched.add(op[4])
            tables.put(table, doc_id, doc)
        else:
            docs = tables.get(table)
            touched.add(_owner(table, docs.get(doc_id)))
            docs[doc_id] = doc
    touched.discard(None)
    return touched


class Changes:
    """Which clients each committed change touched, since book.json was read: what a derived
    copy of the book (the published site) needs to know to redo only the changed clients.

    A state of the book is named by a *mark*: book.json's identity (inode, size, mtime) and
    sequence number, then a chain of the changes' checksums since. A mark made by another
    reading of another book.json (a checkpoint or a restored backup since) is not known here,
    so nothing is assumed about it."""

    def __init__(self, stamp: tuple, seq: int) -> None:
        self.base = hashlib.sha1(repr(stamp).encode()).hexdigest()[:16]
        self.base_seq = seq
        self.entries: list[tuple[int, str, frozenset[str], list]] = []  # seq, chain, clients, ops

    def add(self, seq: int, crc: int, clients: set[str], ops: list) -> None:
        prev = self.entries[-1][1] if self.entries else self.base
        chain = hashlib.sha1(f"{prev}:{seq}:{crc:08x}".encode()).hexdigest()[:16]
        self.entries.append((seq, chain, frozenset(clients), ops))

    def mark(self) -> str:
        seq, chain = (self.entries[-1][0], self.entries[-1][1]) if self.entries else (self.base_seq, self.base)
        return f"{self.base}:{seq}:{chain}"

    def _after(self, mark: str) -> list | None:
        """The changes after ``mark``, or None if it is not a state of this reading."""
        try:
            base, seq_text, chain = mark.split(":")
            seq = int(seq_text)
        except (AttributeError, ValueError):
            return None
        if base != self.base:
            return None
        if seq == self.base_seq:
            return self.entries if chain == self.base else None
        k = seq - self.base_seq - 1
        if not 0 <= k < len(self.entries) or self.entries[k][:2] != (seq, chain):
            return None
        return self.entries[k + 1:]

    def clients_since(self, mark: str) -> set[str] | None:
        """The clients touched by the changes after ``mark``; None if ``mark`` is not a state
        of this reading of the book, or a change touched something of no one client."""
        after = self._after(mark)
        if after is None:
            return None
        out: set[str] = set()
        for entry in after:
            out |= entry[2]
        return None if "*" in out else out

    def ops_since(self, mark: str) -> list | None:
        """The journal operations after ``mark`` in order, or None (see :meth:`clients_since`)."""
        after = self._after(mark)
        return None if after is None else [op for entry in after for op in entry[3]]


def _load(paths: BookPaths) -> tuple[Tables, int, int, bool, bool]:
    """(tables, seq, journal good bytes, torn tail, migrated). Opens the journal before the
    snapshot so a concurrent checkpoint can never hide entries from us."""
    if not paths.root.is_dir():
        raise DunError("no book here", str(paths.root), "create one with 'dun init' or 'dun demo'")
    jraw = b""
    try:
        with open(paths.journal, "rb") as jf:
            try:
                raw, stamp = _read_stamped(paths.book)
            except FileNotFoundError:
                raise DunError("book.json is missing", str(paths.root),
                               "restore a backup with 'dun restore', or 'dun init' a new book") from None
            jraw = jf.read()
    except FileNotFoundError:
        try:
            raw, stamp = _read_stamped(paths.book)
        except FileNotFoundError:
            raise DunError("no book here (book.json is missing)", str(paths.root),
                           "create one with 'dun init' or 'dun demo'") from None
    source = str(paths.book)
    if not raw:
        parse_book_bytes(raw, source)  # raises: an empty file is never an empty book
    tables = Tables.from_bytes(raw, source)
    meta = tables.get("meta")
    migrated = False
    if _schema_of({"meta": meta}) != SCHEMA:
        data, migrated = migrate(tables.materialize(), source)
        tables = Tables(data, {}, source)
    meta = tables.get("meta")["1"]
    seq = int(meta.get("seq", 0))
    revisions = tables.revisions = Revisions(meta, raw)
    del raw
    changes = tables.changes = Changes(stamp, seq)
    journal = read_journal(jraw, str(paths.journal))
    for entry, crc in zip(journal.entries, journal.crcs):
        n = entry["seq"]
        if n <= seq:
            continue
        if n != seq + 1:
            raise DunError(f"the journal skips from change {seq} to {n}", str(paths.journal),
                           "restore a backup with 'dun restore'")
        touched = _apply_ops(tables, entry["ops"])
        changes.add(n, crc, touched, entry["ops"])
        revisions.record(n, crc, touched)
        seq = n
    return tables, seq, journal.good_bytes, journal.torn_tail, migrated


def _read_stamped(path: Path) -> tuple[bytes, tuple]:
    """The file's bytes and the identity of the file read (inode, size, mtime)."""
    with open(path, "rb") as f:
        st = os.fstat(f.fileno())
        return f.read(), (st.st_ino, st.st_size, st.st_mtime_ns)


def _followed_up(book: Book, number: str) -> bool:
    """Whether an activity, promise, plan or dispute of the book refers to invoice ``number``."""
    return (any(number in a.invoices for a in book.activities)
            or any(number in p.invoices for p in book.promises)
            or any(number in p.invoices for p in book.plans)
            or any(d.invoice == number for d in book.disputes))


def _with_changes(book: Book, changes: list[tuple[str, dict, bool]]) -> Book:
    """``book`` with committed documents applied, exactly as a fresh read would have it: each
    record decoded from its stored document; a new one last in its table, an updated one in
    its place (tables keep documents in the order they were first stored)."""
    new: dict[str, Any] = {}
    for table, doc, is_new in changes:
        _, keyfield, _, from_doc = codec.TABLES[table]
        rec = from_doc(doc)
        key = getattr(rec, keyfield)
        if table in ("clients", "invoices"):
            if table not in new:
                new[table] = dict(getattr(book, table))
            new[table][key] = rec
            continue
        if table not in new:
            new[table] = list(getattr(book, table))
        items = new[table]
        if is_new:
            items.append(rec)
        else:  # updates are rare (a plan cancelled, a dispute resolved): find it
            at = next(i for i, r in enumerate(items) if getattr(r, keyfield) == key)
            items[at] = rec
    return replace(book, **{t: tuple(v) if isinstance(v, list) else v for t, v in new.items()})


# -- TinyDB glue -----------------------------------------------------------------------------

class BookStorage(Storage):
    """TinyDB storage over the repository's in-memory document tree."""

    def __init__(self, repo: "Repository") -> None:
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


# -- the repository --------------------------------------------------------------------------

class Repository:
    def __init__(self, paths: BookPaths, readonly: bool, command: str = "dun", today: date | None = None) -> None:
        self.paths = paths
        self.read_only = readonly
        # writes come from one thread (the app's) but prepare_writes may run in another
        self._mutex = threading.RLock()
        self._lock: WriteLock | None = None
        self._journal: Journal | None = None
        self._backup_due: date | None = None
        # what went wrong after a change was saved (a checkpoint or the day's backup that could
        # not be written: retried later); told through ``warn`` at close if a change was saved
        self.warn = warn_on_stderr
        self._warnings: list[str] = []
        self._saved = False
        if not paths.book.is_file():
            _load(paths)  # raises the one-line reason: no folder, no book.json
        if not readonly:
            lock = WriteLock(paths.lock)
            lock.acquire(command)
            self._lock = lock
        try:
            self._open(today)
        except BaseException:
            self.close()
            raise

    # opening and reloading
    def _open(self, today: date | None) -> None:
        if not self.read_only:
            clean_temp_files(self.paths.root)
        with quiet_gc():
            tables, seq, good, torn, migrated = _load(self.paths)
        self._tables = tables
        self._seq = seq
        self._stamp = self._file_stamp()
        self._reset_caches()
        self.db = BookDB(storage=BookStorage, repo=self)
        if not self.read_only:
            journal = Journal(self.paths.journal)
            journal.open_for_append(good)
            self._journal = journal
            self._journal_bytes = good
            self._journal_entries = 0
            if migrated:
                try:
                    self._backup_file(f"book-{(today or date.today()).isoformat()}-before-schema-{SCHEMA}.json")
                except OSError as e:
                    raise DunError(f"could not keep a copy of the book before upgrading it ({_no_room(e)}); "
                                   "nothing was changed", str(self.paths.backups),
                                   "check the disk has space and the folder is writable") from None
            if migrated or good > CHECKPOINT_BYTES:
                self._checkpoint_or_note()
            # the day's backup is taken just before the day's first change (opening for
            # writing stays quick; a day without changes needs no new backup)
            self._backup_due = today or date.today()

    def _file_stamp(self) -> tuple:
        out = []
        for p in (self.paths.book, self.paths.journal):
            try:
                st = p.stat()
                out.append((st.st_ino, st.st_size, st.st_mtime_ns))
            except FileNotFoundError:
                out.append(None)
        return tuple(out)

    def _reset_caches(self) -> None:
        self._book: Book | None = None
        self._keys: dict[str, dict[str, int]] = {}
        self._next_doc: dict[str, int] = {}
        self._next_id: dict[str, int] = {}
        self._clients: dict[str, Client] | None = None
        self._by_client: dict[str, dict[str, list[str]]] = {}
        self._scoped: dict[str, Book] = {}
        self._scoped_reads = 0

    def refresh(self) -> bool:
        """Re-read the book if another process committed since; True if it changed."""
        if self._stamp == self._file_stamp():
            return False
        if not self.read_only:
            return False  # we are the only writer
        with quiet_gc():
            tables, seq, *_ = _load(self.paths)
        self._tables, self._seq = tables, seq
        self._stamp = self._file_stamp()
        self._reset_caches()
        return True

    @property
    def version(self) -> int:
        """The number of the last committed change."""
        return self._seq

    @property
    def book_id(self) -> str | None:
        """The id made with the book (an older book gets one at its first write)."""
        got = self._tables.get("meta")["1"].get("book_id")
        return got if isinstance(got, str) and got else None

    def client_revisions(self) -> dict[str, str]:
        """Every client's revision (store.revisions): equal revisions, equal records."""
        revs = self._tables.revisions
        return {cid: revs.of(cid) for cid in self.clients()}

    def revision_of(self, client_id: str) -> str:
        return self._tables.revisions.of(client_id)

    def change_mark(self) -> str | None:
        """A name for the book's committed state, for :meth:`clients_changed_since`."""
        changes = self._tables.changes
        return changes.mark() if changes is not None else None

    def clients_changed_since(self, mark: str) -> set[str] | None:
        """The clients whose records changed since the state named ``mark`` (from
        :meth:`change_mark`, in this or an earlier process); None when that cannot be told
        (the state is not one of this book's journal since book.json was last rewritten)."""
        changes = self._tables.changes
        return changes.clients_since(mark) if changes is not None else None

    def puts_since(self, mark: str, tables: Iterable[str]) -> list[tuple[str, dict]] | None:
        """(table, document) of every document of ``tables`` the changes since ``mark`` put, in
        order (new ones and new versions of old ones), or None as for :meth:`clients_changed_since`.
        The documents are the journal's: not to be changed."""
        changes = self._tables.changes
        ops = changes.ops_since(mark) if changes is not None else None
        if ops is None:
            return None
        wanted = set(tables)
        return [(op[1], op[3]) for op in ops if op[1] in wanted]

    # reading
    def policy(self) -> Policy:
        return read_policy(self.paths.policy)

    def policy_problems(self) -> tuple[Policy | None, list[Problem]]:
        return load_policy(self.paths.policy)

    def _table(self, name: str) -> dict[str, dict]:
        return self._tables.get(name)

    def book(self) -> Book:
        if self._book is None:
            with quiet_gc():
                self._book = self._build_book(None)
            keep_for_life()  # long-lived
        return self._book

    def client_book(self, client_id: str) -> Book:
        """Only ``client_id``'s records (fast on a large book); ``partial`` is true."""
        if self._book is not None:
            return self._book.only(client_id)
        scoped = self._scoped.get(client_id)
        if scoped is None:
            with quiet_gc():
                kept = self._kept_client_docs(client_id)
                if kept is not None:
                    scoped = self._book_of(lambda name: kept.get(name, ()), partial=True)
                else:
                    scoped = self._build_book(client_id)
                self._scoped[client_id] = scoped
        return scoped

    def _kept_client_docs(self, client_id: str) -> dict[str, list[dict]] | None:
        """The client's documents from the copy kept grouped by client (store.clientdocs) and
        the journal since, or None when there is no copy this reading can bring up to date."""
        changes = self._tables.changes
        if changes is None:
            return None
        got = clientdocs.read(clientdocs.path_of(self.paths.root), client_id)
        if got is None:
            return None
        mark, docs = got
        ops = changes.ops_since(mark)
        if ops is None:
            return None
        with self._readable():
            return clientdocs.apply(client_id, docs, ops, _owner)

    def save_client_docs(self) -> bool:
        """Keep every client's documents grouped by client (store.clientdocs) for later readings'
        :meth:`client_book`, unless a copy this reading can bring up to date is kept already.
        Parses every table (about 1 s on a 100,000-invoice book): for a side process of a
        reader that reads the whole book anyway. True if a usable copy is kept."""
        changes = self._tables.changes
        if changes is None:
            return False
        if self.client_docs_usable():
            return True
        path = clientdocs.path_of(self.paths.root)
        mark = changes.mark()
        with quiet_gc():
            by = clientdocs.group({name: self._tables.peek(name) for name in self._tables.names()
                                   if name != "meta" and name not in codec.BOOK_LEVEL},
                                  _owner)
            if by is None:
                return False
            try:
                clientdocs.write(path, mark, by)
            except OSError:  # a cache: the next reading reads the tables instead
                return False
        return True

    def client_docs_usable(self) -> bool:
        """Whether the kept copy of every client's documents serves this reading."""
        changes = self._tables.changes
        kept = clientdocs.read_mark(clientdocs.path_of(self.paths.root))
        return changes is not None and kept is not None and changes.ops_since(kept) is not None

    def _build_book(self, client_id: str | None) -> Book:
        indexed = self._scoped_reads > 1  # repeated one-client reads: index the tables once
        if client_id is not None:
            self._scoped_reads += 1

        def docs(name: str) -> Iterable[dict]:
            if client_id is None:
                return self._tables.peek(name).values()
            if indexed or name in self._by_client:
                table = self._table(name)
                return [table[i] for i in self._client_index(name).get(client_id, ())]
            key = "id" if name == "clients" else "client"
            return [d for d in self._tables.peek(name).values() if d.get(key) == client_id]

        return self._book_of(docs, partial=client_id is not None)

    def _book_of(self, docs, partial: bool) -> Book:
        """A Book of the documents ``docs(table)`` gives."""
        with self._readable():
            clients = {d["id"]: codec.client_from_doc(d) for d in docs("clients")}
            invoices = {d["number"]: codec.invoice_from_doc(d) for d in docs("invoices")}
            return Book(
                clients=clients,
                invoices=invoices,
                payments=tuple(map(codec.payment_from_doc, docs("payments"))),
                adjustments=tuple(map(codec.adjustment_from_doc, docs("adjustments"))),
                activities=tuple(map(codec.activity_from_doc, docs("activities"))),
                promises=tuple(map(codec.promise_from_doc, docs("promises"))),
                plans=tuple(map(codec.plan_from_doc, docs("plans"))),
                disputes=tuple(map(codec.dispute_from_doc, docs("disputes"))),
                receipts=() if partial else tuple(map(codec.receipt_from_doc, docs("receipts"))),
                aliases=tuple(map(codec.alias_from_doc, docs("aliases"))),
                syncs=() if partial else tuple(map(codec.sync_from_doc, docs("syncs"))),
                partial=partial,
            )

    @contextmanager
    def _readable(self):
        """A stored document that cannot be decoded: one line naming the file, no traceback."""
        try:
            yield
        except DunError:
            raise
        except (KeyError, TypeError, ValueError, AttributeError) as e:
            raise DunError(f"holds a record that cannot be read ({type(e).__name__}: {e})",
                           str(self.paths.book), "run 'dun check', or restore a backup with 'dun restore'") from None

    def documents(self, table: str, keep: bool = False) -> list[dict]:
        """One table's stored documents, in stored order, undecoded (not to be changed): for a
        reader that needs a few fields of every record, or decodes only some. ``keep``: the
        table stays parsed (a write to it follows)."""
        with self._readable():
            return list((self._tables.get if keep else self._tables.peek)(table).values())

    def _client_index(self, name: str) -> dict[str, list[str]]:
        """doc ids of each client's documents in one table, built on first use."""
        idx = self._by_client.get(name)
        if idx is None:
            key = "id" if name == "clients" else "client"
            idx = {}
            for doc_id, d in self._table(name).items():
                idx.setdefault(d.get(key), []).append(doc_id)
            self._by_client[name] = idx
        return idx

    def clients(self) -> dict[str, Client]:
        if self._clients is None:
            self._clients = {d["id"]: codec.client_from_doc(d) for d in self._table("clients").values()}
        return self._clients

    def has_invoice(self, number: str) -> bool:
        return number in self._key_map("invoices")

    def get_invoice(self, number: str) -> Invoice | None:
        doc_id = self._key_map("invoices").get(number)
        return None if doc_id is None else codec.invoice_from_doc(self._table("invoices")[str(doc_id)])

    # keys and ids
    def _key_map(self, table: str) -> dict[str, int]:
        m = self._keys.get(table)
        if m is None:
            key = codec.TABLES[table][1]
            m = {d[key]: int(i) for i, d in self._table(table).items() if key in d}
            self._keys[table] = m
            self._next_doc[table] = max(map(int, self._table(table)), default=0) + 1
        return m

    def _new_id(self, table: str) -> str:
        prefix = ID_PREFIX[table]
        with self._mutex:
            n = self._next_free(table)
            while f"{prefix}{n:06d}" in self._key_map(table):
                n += 1
            self._next_id[table] = n + 1
        return f"{prefix}{n:06d}"

    def _next_free(self, table: str) -> int:
        n = self._next_id.get(table)
        if n is None:
            prefix = ID_PREFIX[table]
            n = 0
            for key in self._key_map(table):
                if key.startswith(prefix) and key[len(prefix):].isdigit():
                    n = max(n, int(key[len(prefix):]))
            n = self._next_id[table] = n + 1
        return n

    def prepare_writes(self, tables: Iterable[str] = ("activities",)) -> None:
        """Make ready now what the first write to each table needs (its documents parsed, its
        keys and next id; about 1 s for the activities of a 100,000-invoice book), e.g. while
        the app is idle, so the first change does not wait for it. Changes nothing; a write
        from another thread meanwhile waits for the table at hand."""
        for table in tables:
            with self._mutex:
                if self.read_only or self._journal is None:  # read-only, or closed meanwhile
                    return
                self._next_free(table)

    # writing
    def _writable(self) -> None:
        if self.read_only or self._journal is None:
            raise ReadOnlyBook("the book is open read-only; nothing was changed", str(self.paths.root),
                               "close the other dun that is writing, then open it again")

    def _refuse(self, problems: list[Problem]) -> None:
        if problems:
            first = problems[0]
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            raise DunError(first.message + more, first.where, first.hint)

    def _put(self, records: list[Any]) -> None:
        """Commit records in one journal entry: all or nothing, durable before it returns."""
        with self._mutex:
            self._put_now(records)

    def _put_now(self, records: list[Any]) -> None:
        self._writable()
        if self.book_id is None:  # a book made before books had ids: it gets one now, kept at once
            self._tables.get("meta")["1"]["book_id"] = new_book_id()
            self._checkpoint_or_note()  # (a full disk: the id is kept at the next checkpoint)
        if self._backup_due is not None and self._daily_backup(self._backup_due):
            self._backup_due = None
        ops = []
        pending: dict[tuple[str, str], int] = {}
        for rec in records:
            table = codec.TABLE_OF[type(rec)]
            _, keyfield, to_doc, _ = codec.TABLES[table]
            key = getattr(rec, keyfield)
            keys = self._key_map(table)
            doc_id = keys.get(key) or pending.get((table, key))
            if doc_id is None:
                doc_id = self._next_doc[table]
                self._next_doc[table] = doc_id + 1
                pending[(table, key)] = doc_id
            ops.append(["put", table, doc_id, to_doc(rec), _owner(table, self._table(table).get(str(doc_id)))])
        seq = self._seq + 1
        line = encode_entry(seq, ops)
        try:
            self._journal.append(line)
        except OSError as e:
            for table, key in pending:  # give back the ids we did not use
                self._next_doc[table] = min(self._next_doc[table], pending[(table, key)])
            raise DunError(f"could not save ({e.strerror or e}); nothing was changed", str(self.paths.journal),
                           "check the disk has space and the folder is writable") from None
        changes = []
        touched: set[str] = set()
        for _, table, doc_id, doc, was in ops:
            touched.add(_owner(table, doc))
            touched.add(was)
            is_new = str(doc_id) not in self._table(table)
            changes.append((table, doc, is_new))
            self.db.table(table).put(doc_id, doc)
            self._key_map(table)[doc[codec.TABLES[table][1]]] = doc_id
            idx = self._by_client.get(table)
            if idx is not None and is_new:
                idx.setdefault(doc.get("id" if table == "clients" else "client"), []).append(str(doc_id))
            elif idx is not None:  # an update may move a document to another client
                del self._by_client[table]
        self._seq = seq
        touched.discard(None)
        crc = zlib.crc32(line[9:-1])
        self._tables.revisions.record(seq, crc, touched)
        if self._tables.changes is not None:
            self._tables.changes.add(seq, crc, touched, ops)
        if self._book is not None:  # the loaded book plus these records, not a whole new read
            try:
                with quiet_gc():
                    self._book = _with_changes(self._book, changes)
            except Exception:  # the change is saved whatever happens here: read it afresh next time
                self._book = None
        self._clients = None
        self._scoped = {}
        self._journal_bytes += len(line)
        self._journal_entries += 1
        self._stamp = self._file_stamp()
        self._saved = True

    def _with_id(self, rec: Any) -> Any:
        table = codec.TABLE_OF[type(rec)]
        if table in ID_PREFIX and not rec.id:
            return replace(rec, id=self._new_id(table))
        return rec

    def _client_scope(self, client_id: str) -> Book:
        return self.client_book(client_id)

    def add_client(self, c: Client) -> Client:
        self._writable()
        problems = v.check_client(c)
        if c.id in self._key_map("clients"):
            problems.insert(0, Problem(f"a client with id {c.id!r} already exists", "client",
                                       "choose another id, or edit the existing client"))
        self._refuse(problems)
        self._put([c])
        return c

    def update_client(self, c: Client) -> Client:
        self._writable()
        if c.id not in self._key_map("clients"):
            self._refuse([Problem(f"unknown client {c.id!r}", "client", "check the client id")])
        self._refuse(v.check_client(c))
        self._put([c])
        return c

    def set_hold(self, client_id: str, hold: bool, reason: str = "") -> Client:
        c = self.clients().get(client_id)
        if c is None:
            self._refuse([Problem(f"unknown client {client_id!r}", "client", "check the client id")])
        return self.update_client(replace(c, hold=hold, hold_reason=reason if hold else ""))

    def add_invoice(self, inv: Invoice) -> Invoice:
        self._writable()
        problems = v.check_invoice(inv, self.clients())
        if self.has_invoice(inv.number):
            problems.insert(0, Problem(f"invoice number {inv.number!r} is already in the book", "invoice",
                                       "invoice numbers are unique; check the number"))
        self._refuse(problems)
        self._put([inv])
        return inv

    def update_invoice(self, inv: Invoice) -> Invoice:
        self._writable()
        old = self.get_invoice(inv.number)
        if old is None:
            self._refuse([Problem(f"unknown invoice {inv.number!r}", "invoice", "check the number")])
        problems = v.check_invoice(inv, self.clients())
        scope = self._client_scope(old.client)
        settled = sum((a.amount for p in scope.payments for a in p.allocations if a.invoice == inv.number),
                      start=inv.amount * 0)
        settled += sum((a.amount for a in scope.adjustments if a.invoice == inv.number), start=inv.amount * 0)
        if inv.client != old.client and settled:
            problems.append(Problem("cannot move an invoice with payments or credits to another client",
                                    f"invoice {inv.number!r}", "credit it and raise a new invoice instead"))
        elif inv.client != old.client and _followed_up(scope, inv.number):
            # the follow-ups stay with their client: every client's records must refer only
            # to its own invoices (the engine, and a republish, work client by client)
            problems.append(Problem("cannot move an invoice with follow-ups, promises, plans or disputes to "
                                    "another client", f"invoice {inv.number!r}",
                                    "credit it and raise a new invoice instead"))
        if inv.currency != old.currency and settled:
            problems.append(Problem("cannot change the currency of an invoice with payments or credits",
                                    f"invoice {inv.number!r}"))
        if inv.amount < settled:
            problems.append(Problem(f"the new amount {inv.amount} is less than the {settled} already settled",
                                    f"invoice {inv.number!r}"))
        self._refuse(problems)
        self._put([inv])
        return inv

    def record_payment(self, p: Payment) -> Payment:
        self._writable()
        p = self._with_id(p)
        self._refuse(v.check_payment(p, self._client_scope(p.client)))
        self._put([p])
        return p

    def add_adjustment(self, a: Adjustment) -> Adjustment:
        self._writable()
        a = self._with_id(a)
        self._refuse(v.check_adjustment(a, self._client_scope(a.client)))
        self._put([a])
        return a

    def log_activity(self, a: Activity) -> Activity:
        self._writable()
        a = self._with_id(a)
        self._refuse(v.check_activity(a, self._client_scope(a.client)))
        with self._mutex:  # a step with a fee posts its charge document in the same commit
            records = charges.with_fee(self, a)
            self._put_now(records)
            self.posted_charges = records[1:]  # what the caller may tell the user
        return a

    posted_charges: list = []  # the fee documents the last log_activity posted

    def post_charges(self, docs: list[Invoice]) -> list[Invoice]:
        """Save charge documents (``dun claim``), numbered in the policy's series."""
        return charges.post(self, docs, self.policy())

    def add_promise(self, p: PromiseToPay) -> PromiseToPay:
        self._writable()
        p = self._with_id(p)
        self._refuse(v.check_promise(p, self._client_scope(p.client)))
        self._put([p])
        return p

    def add_plan(self, p: PaymentPlan) -> PaymentPlan:
        self._writable()
        p = self._with_id(p)
        self._refuse(v.check_plan(p, self._client_scope(p.client)))
        self._put([p])
        return p

    def cancel_plan(self, plan_id: str, on: date) -> PaymentPlan:
        self._writable()
        doc_id = self._key_map("plans").get(plan_id)
        if doc_id is None:
            self._refuse([Problem(f"unknown payment plan {plan_id!r}", "plan")])
        plan = codec.plan_from_doc(self._table("plans")[str(doc_id)])
        if plan.cancelled:
            self._refuse([Problem(f"was already cancelled on {plan.cancelled}", f"plan {plan_id}")])
        plan = replace(plan, cancelled=on)
        self._put([plan])
        return plan

    def open_dispute(self, d: Dispute) -> Dispute:
        self._writable()
        inv = self.get_invoice(d.invoice)
        if inv is not None and not d.client:
            d = replace(d, client=inv.client)
        d = self._with_id(d)
        problems = v.check_dispute(d, self._client_scope(d.client)) if inv else [
            Problem(f"unknown invoice {d.invoice!r}", "dispute", "check the invoice number")]
        if inv is not None and any(x.invoice == d.invoice and x.resolved is None
                                   for x in self._client_scope(d.client).disputes):
            problems.append(Problem(f"invoice {d.invoice!r} already has an open dispute", "dispute",
                                    "resolve it first (dun dispute INVOICE --resolve)"))
        self._refuse(problems)
        self._put([d])
        return d

    def resolve_dispute(self, dispute_id: str, on: date, resolution: str = "") -> Dispute:
        self._writable()
        doc_id = self._key_map("disputes").get(dispute_id)
        if doc_id is None:
            self._refuse([Problem(f"unknown dispute {dispute_id!r}", "dispute")])
        d = codec.dispute_from_doc(self._table("disputes")[str(doc_id)])
        if d.resolved is not None:
            self._refuse([Problem(f"was already resolved on {d.resolved}", f"dispute {dispute_id}")])
        d = replace(d, resolved=on, resolution=resolution)
        self._refuse(v.check_dispute(d, self._client_scope(d.client)))
        self._put([d])
        return d

    def commit(self, records: Iterable[Any], updates: Iterable[Any] = ()) -> list[Any]:
        """Store many new records in one all-or-nothing commit (imports). Each is checked
        against the book plus the records before it in the batch. ``updates`` (stored first)
        replace records already in the book: invoices (same client), disputes, plans, bank
        receipts, payer aliases and sync marks (the last two are added if new)."""
        self._writable()
        records = [self._with_id(r) for r in records]
        updates = list(updates)
        if not records and not updates:
            return []
        clients = dict(self.clients())
        involved = {getattr(r, "client", None) or getattr(r, "id") for r in (*updates, *records)
                    if not isinstance(r, (Receipt, SyncMark))}
        kinds = {type(r) for r in (*updates, *records)}
        if kinds <= {Payment, Receipt, SyncMark, PayerAlias}:  # a bank statement's matches: one pass
            self._refuse(batchcheck.check_statement(self, records, updates, clients))
            self._put([*updates, *records])
            return records
        scopes = self._scopes(involved, [codec.TABLE_OF[k] for k in (Activity, PromiseToPay, PaymentPlan) if k in kinds])
        self._refuse([Problem(e.message, f"update {n}: {e.where}", e.hint) for n, rec in enumerate(updates, start=1)
                      for e in batchcheck.check_update(self, rec, clients, scopes)])
        problems: list[Problem] = []
        seen_numbers: set[str] = set()
        for n, rec in enumerate(records, start=1):
            if isinstance(rec, (Receipt, SyncMark, PayerAlias)):
                errs = batchcheck.check_new(self, rec, clients)
            elif isinstance(rec, Client):
                errs = v.check_client(rec)
                if rec.id in clients:
                    errs.append(Problem(f"a client with id {rec.id!r} already exists", "client"))
                clients[rec.id] = rec
                scope = scopes.get(rec.id) or Book()
                scopes[rec.id] = replace(scope, clients={**scope.clients, rec.id: rec})
            elif isinstance(rec, Invoice):
                errs = v.check_invoice(rec, clients)
                if self.has_invoice(rec.number) or rec.number in seen_numbers:
                    errs.insert(0, Problem(f"invoice number {rec.number!r} is already in the book", "invoice"))
                seen_numbers.add(rec.number)
                scope = scopes.setdefault(rec.client, Book(clients={rec.client: clients[rec.client]} if rec.client in clients else {}))
                scopes[rec.client] = replace(scope, invoices={**scope.invoices, rec.number: rec})
            else:
                checker = {Payment: v.check_payment, Adjustment: v.check_adjustment, Activity: v.check_activity,
                           PromiseToPay: v.check_promise, PaymentPlan: v.check_plan, Dispute: v.check_dispute}[type(rec)]
                scope = scopes.get(rec.client) or Book()
                errs = checker(rec, scope)
                field = {Payment: "payments", Adjustment: "adjustments", Activity: "activities",
                         PromiseToPay: "promises", PaymentPlan: "plans", Dispute: "disputes"}[type(rec)]
                scopes[rec.client] = replace(scope, **{field: getattr(scope, field) + (rec,)})
            problems += [Problem(e.message, f"record {n}: {e.where}", e.hint) for e in errs]
            if problems:
                break
        self._refuse(problems)
        self._put([*updates, *records])
        return records

    def _scopes(self, client_ids: set[str], also: Iterable[str] = ("activities", "promises", "plans")) -> dict[str, Book]:
        """Partial books for several clients in one pass over the tables: their invoices,
        payments, adjustments and disputes, and of the tables ``also`` names (the ones the
        records to check need: a batch of payments is not checked against the activities)."""
        wanted = {c for c in client_ids if c}
        if not wanted:
            return {}
        grouped: dict[str, dict[str, list]] = {c: {} for c in wanted}
        for name in ("invoices", "payments", "adjustments", "disputes", *also):
            for d in self._table(name).values():
                c = d.get("client")
                if c in grouped:
                    grouped[c].setdefault(name, []).append(d)
        clients = self.clients()
        out = {}
        for c, tables in grouped.items():
            out[c] = Book(
                clients={c: clients[c]} if c in clients else {},
                invoices={d["number"]: codec.invoice_from_doc(d) for d in tables.get("invoices", ())},
                payments=tuple(map(codec.payment_from_doc, tables.get("payments", ()))),
                adjustments=tuple(map(codec.adjustment_from_doc, tables.get("adjustments", ()))),
                activities=tuple(map(codec.activity_from_doc, tables.get("activities", ()))),
                promises=tuple(map(codec.promise_from_doc, tables.get("promises", ()))),
                plans=tuple(map(codec.plan_from_doc, tables.get("plans", ()))),
                disputes=tuple(map(codec.dispute_from_doc, tables.get("disputes", ()))),
                partial=True,
            )
        return out

    # checking
    def check(self) -> list[Problem]:
        """Validate the whole book; changes nothing."""
        problems: list[Problem] = []
        for name, (_, keyfield, _, _) in codec.TABLES.items():
            seen: dict[str, int] = {}
            for doc_id, doc in self._tables.peek(name).items():
                key = doc.get(keyfield) if isinstance(doc, dict) else None
                if not isinstance(key, str):
                    problems.append(Problem(f"document {doc_id} has no {keyfield}" if key is None else
                                            f"document {doc_id}: {keyfield} must be text, not {key!r:.40}",
                                            f"{self.paths.book.name}: {name}"))
                    continue
                if key in seen:
                    problems.append(Problem(f"{keyfield} {key!r} appears twice (documents {seen[key]} and {doc_id})",
                                            f"{self.paths.book.name}: {name}"))
                seen[key] = doc_id
        for name in self._tables.names():
            if name not in codec.TABLES and name != "meta":
                problems.append(Problem(f"unknown table {name!r}", self.paths.book.name))
        try:
            book = self.book()
        except DunError as e:  # name every document that cannot be read
            bad = [p for name in codec.TABLES for p in codec.undecodable(name, self._tables.peek(name), self.paths.book.name)]
            return problems + (bad or [e.problem])
        return problems + v.check_book(book)

    # checkpoints and backups
    def checkpoint(self) -> None:
        """Rewrite book.json with everything committed, then start an empty journal."""
        with self._mutex:
            self._writable()
            meta = self._tables.get("meta")["1"]
            self._tables.get("meta")["1"] = {**meta, "schema": SCHEMA, "seq": self._seq,
                                             **self._tables.revisions.to_meta()}
            atomic_write(self.paths.book, self._tables.dump())
            self._journal.reset()
            self._journal_bytes = 0
            self._journal_entries = 0
            self._stamp = self._file_stamp()

    def _checkpoint_or_note(self) -> bool:
        """A checkpoint that may fail (a full disk): every change stays saved in the journal, and
        the checkpoint is tried again later (at the next opening for writing, or close)."""
        try:
            self.checkpoint()
            return True
        except OSError as e:
            self._note(f"could not rewrite {self.paths.book.name} ({_no_room(e)}); every change is saved in "
                       f"{self.paths.journal.name} and the rewrite will be tried again at the next change "
                       f"(free some space in {self.paths.root})")
            return False

    def _note(self, text: str) -> None:
        if text not in self._warnings:
            self._warnings.append(text)

    def _after_external_write(self) -> None:
        self._reset_caches()
        self.checkpoint()

    def _backup_file(self, name: str) -> Path:
        """Copy book.json into the backups as ``name`` (or a free variant of it: never over a file)."""
        self.paths.backups.mkdir(exist_ok=True)
        return create_new(self.paths.backups / name, self.paths.book.read_bytes())

    def _daily_backup(self, today: date) -> bool:
        """Take the day's backup before the day's first change; False if it could not be written
        (a full disk: the change goes ahead, the backup is tried again at the next change)."""
        name = f"book-{today.isoformat()}.json"
        if (self.paths.backups / name).exists():
            return True
        self._tables.validate_all()  # never rotate a damaged book into the backups
        if self._journal_bytes and not self._checkpoint_or_note():
            return False  # a copy of book.json now would miss the journal's changes
        try:
            self._backup_file(name)
        except OSError as e:
            self._note(f"could not take the day's backup {name} ({_no_room(e)}); it will be tried again at the "
                       f"next change (free some space in {self.paths.root})")
            return False
        policy, _ = load_policy(self.paths.policy)
        keep = policy.backup.keep if policy else 14
        daily = sorted(p for p in self.paths.backups.glob("book-*.json")
                       if re.fullmatch(r"book-\d{4}-\d{2}-\d{2}\.json", p.name))
        for old in daily[:-keep]:
            old.unlink(missing_ok=True)
        return True

    def close(self) -> None:
        with self._mutex:
            self._close()

    def _close(self) -> None:
        if self._journal is not None:
            try:
                if self._journal_bytes > CHECKPOINT_BYTES or self._journal_entries > CHECKPOINT_ENTRIES:
                    self._checkpoint_or_note()
            finally:
                self._journal.close()
                self._journal = None
        if self._lock is not None:
            self._lock.release()
            self._lock = None
        if self._saved:  # what could not be done after a saved change (else: nothing to tell)
            for text in self._warnings:
                self.warn(text)
        self._warnings = []

    def __enter__(self) -> "Repository":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# -- module functions ---------------------------------------------------------------------------

def book_to_data(book: Book, seq: int = 0) -> dict:
    """The stored document tree of a whole book (tables of documents keyed by doc id)."""
    data: dict[str, Any] = {"meta": {"1": {"schema": SCHEMA, "seq": seq}}}
    for name, (_, _, to_doc, _) in codec.TABLES.items():
        records = getattr(book, name)
        values = records.values() if hasattr(records, "values") else records
        data[name] = {str(i): to_doc(r) for i, r in enumerate(values, start=1)}
    return data


def init_book(path: Path | str, policy_source: Path | None = None, book: Book | None = None) -> BookPaths:
    """Create a new book with a copy of the default policy: empty, or holding ``book``
    (validated whole with ``dun check``'s rules first; used by ``dun demo``)."""
    paths = BookPaths(Path(path).expanduser())
    if paths.book.exists():
        raise DunError("a book already exists here", str(paths.root), "open it, or choose another folder")
    if paths.root.exists() and not paths.root.is_dir():
        raise DunError("is a file, not a folder", str(paths.root), "choose a folder for the book")
    if book is not None:
        problems = v.check_book(book)
        if problems:
            first = problems[0]
            raise DunError(f"{first.message} ({len(problems)} problem(s) in all)", first.where, first.hint)
    try:
        paths.root.mkdir(parents=True, exist_ok=True)
        for sub in (paths.backups, paths.site, paths.outbox):
            sub.mkdir(exist_ok=True)
        if not paths.policy.exists():
            atomic_write(paths.policy, Path(policy_source or DEFAULT_POLICY).read_bytes())
        data = book_to_data(book or Book())
        data["meta"]["1"].update(book_id=new_book_id(), **Revisions.fresh().to_meta())
        atomic_write(paths.book, dump_book(data))  # last: a book only once whole
    except OSError as e:
        raise DunError(f"could not create the book ({e.strerror or e})", str(paths.root),
                       "check the disk has space and the folder is writable, then try again") from None
    return paths


def open_book(path: Path | str, readonly: bool = False, command: str = "dun", today: date | None = None) -> Repository:
    """Open a book. A writer takes the lock; ``BookLocked`` names the holder if taken."""
    return Repository(BookPaths(Path(path).expanduser()), readonly, command, today)
