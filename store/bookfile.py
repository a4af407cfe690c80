"""book.json on disk: the book folder's paths, the schema and its migrations, the file's
layout (one table per line), the tables parsed on demand, and the record of which clients
each committed change touched (:class:`Changes`)."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from receivables.errors import DunError

from .files import check_folder, not_plain
from .revisions import Revisions, digest_of_book, new_book_id

SCHEMA = 1


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


def check_own_files(paths: BookPaths) -> None:
    """The files and folders dun writes in a book folder are plain files and real folders:
    a folder someone else prepared may put a link there, which would take dun's writes to
    whatever it points to, or a pipe, on which reading never ends (book.json is checked as
    it is read, book.journal as it is opened, in either mode: :func:`store.files.open_plain`;
    .lock is opened for writing only, so a read-only opening checks it here)."""
    lock = paths.lock
    if lock.is_symlink() or (lock.exists() and not lock.is_file()):
        raise not_plain(lock)
    for folder in (paths.backups, paths.outbox, paths.outbox / "sent"):
        check_folder(folder)


# -- schema migrations -----------------------------------------------------------------------

def _migrate_0_to_1(data: dict) -> dict:
    """Schema 0: a plain TinyDB file without our meta table (an early prototype, or a file
    written by stock TinyDB). Schema 1 adds ``meta`` with the schema number and journal seq."""
    data = dict(data)
    data.pop("_default", None)
    data["meta"] = {"1": {"schema": 1, "seq": 0, "book_id": new_book_id()}}
    return data


MIGRATIONS = {0: _migrate_0_to_1}


MAX_SEQ = 2 ** 53  # (a change number past this is no book's: orjson writes at most 64 bits)
# the highest change number a book read may have: room above it for every change dun will
# ever commit (a hand edit to MAX_SEQ itself was read, then dun refused the book it wrote next)
READ_SEQ = MAX_SEQ - 2 ** 32


def _whole(value: Any, upto: int) -> bool:
    return type(value) is int and 0 <= value <= upto


def _schema_of(data: dict, source: str) -> int:
    """The schema number of a book's tables (0: no meta, a stock TinyDB file). A meta dun
    cannot read (a hand edit: a schema or change number that is no whole number, a meta
    record that is not an object) is refused in one line."""
    meta = data.get("meta")
    first = meta.get("1") if isinstance(meta, dict) else None
    if first is None:
        return 0
    if not isinstance(first, dict):
        raise DunError(f"its meta record is {str(first)[:40]!r}, not an object", source,
                       "restore a backup with 'dun restore'")
    schema, seq = first.get("schema", 0), first.get("seq", 0)
    if not _whole(schema, 1000):
        raise DunError(f"its schema number (meta schema) is {schema!r:.40}, not a whole number", source,
                       "restore a backup with 'dun restore'")
    if not _whole(seq, READ_SEQ):  # (a hand-edited meta: "x", null, 1.5, -5, 10**30, 2**53)
        raise DunError(f"the book's change number (meta seq) is {seq!r:.40}, not a whole number from 0 to {READ_SEQ}",
                       source, "restore a backup with 'dun restore'")
    return schema


def migrate(data: dict, source: str) -> tuple[dict, bool]:
    version = _schema_of(data, source)
    if version > SCHEMA:
        raise DunError(f"was written by a newer dun (schema {version}; this one reads up to {SCHEMA})",
                       source, "upgrade dun before opening this book")
    changed = False
    while version < SCHEMA:
        data = MIGRATIONS[version](data)
        version = _schema_of(data, source)
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
    for name, table in data.items():
        check_keys(name, table, source)
    return data


def check_keys(name: str, table: dict, source: str) -> None:
    """A table's document keys are TinyDB's: whole numbers from 1, written plainly ("1",
    "2" …). Anything else (a hand edit: "abc", "01", "") is refused here, once, rather than
    failing wherever a key is read as a number."""
    # (all keys at once, in C: joined by newlines, they hold only digits and those newlines, and
    # no key is empty or starts with 0; the loop below runs only to name the first bad key)
    joined = "\n" + "\n".join(table) + "\n"
    if (joined.isascii() and "\n0" not in joined and "\n\n" not in joined and joined.count("\n") == len(table) + 1
            and joined.replace("\n", "").isdigit()):
        return
    for key in table:
        if not (key.isascii() and key.isdigit() and key[0] != "0"):
            raise DunError(f"table {name!r:.40} has a document key {key!r:.40}, not a whole number from 1", source,
                           "restore a backup with 'dun restore', or renumber that document by hand")


# book.json as we write it: still one JSON object (a TinyDB document), laid out one table
# per line so a reader can parse the tables one at a time, and convert and drop each,
# instead of holding every document of a large book as Python objects at once.
#   {"meta":{...}
#   ,"clients":{...}
#   ...
#   }
def dump_book(tables: dict[str, dict | bytes | memoryview]) -> bytes:
    """The file's bytes; the meta records the digest of itself and the lines after it
    (store.revisions)."""
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
    first = {k: v for k, v in meta.get("1", {}).items() if k != "digest"}
    meta["1"] = {**first, "digest": digest_of_book({**meta, "1": first}, parts)}
    return b"".join([b'{"meta":' + orjson.dumps(meta) + b"\n", *parts])


def split_book(raw: bytes) -> dict[str, memoryview] | None:
    """The per-table JSON segments of a file in our layout (views into ``raw``, not copies),
    or None (then parse it whole)."""
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


class Changes:
    """Which clients each committed change touched, since book.json was read: what a derived
    copy of the book (the published site) needs to know to redo only the changed clients.

    A state of the book is named by a *mark*: book.json's identity (a digest of its content,
    store.revisions: not the file's inode, size and mtime, which an edit can keep) and
    sequence number, then a chain of the changes' content hashes since. A mark made by another
    reading of another book.json (a checkpoint or a restored backup since) is not known here,
    so nothing is assumed about it."""

    def __init__(self, file_id: str, seq: int) -> None:
        self.base = hashlib.sha1(file_id.encode()).hexdigest()[:16]
        self.base_seq = seq
        self.entries: list[tuple[int, str, frozenset[str], list]] = []  # seq, chain, clients, ops

    def add(self, seq: int, token: str, clients: set[str], ops: list) -> None:
        """``token``: the entry's content hash (store.files.entry_token), not its CRC, which
        an edit can be made to keep."""
        prev = self.entries[-1][1] if self.entries else self.base
        chain = hashlib.sha256(f"{prev}:{seq}:{token}".encode()).hexdigest()[:16]
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
        self._checked: set[str] = set()  # segments parsed once without keeping them: they are JSON tables

    @classmethod
    def from_bytes(cls, raw: bytes, source: str) -> "Tables":
        segments = split_book(raw) if raw else None
        if segments is None:
            return cls(parse_book_bytes(raw, source), {}, source)
        tables = cls({}, segments, source)
        tables.get("meta")  # (every other table is refused when it is read, if it is no JSON: _parse)
        return tables

    def _parse(self, name: str) -> dict:
        try:
            value = orjson.loads(self.segments[name])
        except orjson.JSONDecodeError as e:
            raise _bad_json(e, f"{self.source} ({name})") from None
        if not isinstance(value, dict):
            raise DunError(f"table {name!r} is not a table of documents", self.source,
                           "restore a backup with 'dun restore'")
        check_keys(name, value, self.source)
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

    def detach(self) -> None:
        """Each table not parsed yet as a copy of its own text, so that the file's bytes (which
        the texts are views into) are let go of now, and each text once its table is parsed:
        for a reader that parses every table once, the whole file is not held beside them."""
        self.segments = {name: bytes(text) for name, text in self.segments.items()}

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
        """Every table not parsed yet is a JSON table of documents (raises DunError naming the
        first that is not); each segment is checked once (they do not change once read)."""
        for name in list(self.segments):
            if name not in self._checked:
                self._parse(name)
                self._checked.add(name)

    def dump(self, meta: dict | None = None) -> bytes:
        """The file's bytes; ``meta``: the meta record written into that file only."""
        for name in list(self.pending):
            self.get(name)
        tables = {name: self.parsed[name] if name in self.parsed else self.segments[name] for name in self.names()}
        if meta is not None:
            tables["meta"] = {**self.get("meta"), "1": meta}
        return dump_book(tables)

