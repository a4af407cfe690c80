"""Committing records: keys and ids, refusals, and the one commit path every write takes
(one journal entry, durable before it returns, then the in-memory state brought along).

:class:`Commits` is one part of the one ``Repository`` class (see store/repository.py,
which also holds the checkpoints and the day's backup a commit may call for)."""
from __future__ import annotations

from dataclasses import replace
from typing import Any, Iterable

from receivables.errors import DunError, Problem
from receivables.model import Book
from receivables.tuning import quiet_gc

from . import codec
from .files import encode_entry, entry_token
from .loading import _owner
from .reads import _with_changes
from .revisions import new_book_id

ID_PREFIX = {"payments": "PAY-", "adjustments": "ADJ-", "activities": "ACT-", "promises": "PRM-",
             "plans": "PLN-", "disputes": "DSP-"}


class ReadOnlyBook(DunError):
    """A write was attempted on a book opened read-only."""



class Commits:
    """Keys, ids and the commit path (a part of :class:`store.repository.Repository`)."""

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
        keys and next id; slow for the activities of a large book), e.g. while the app is idle,
        so the first change does not wait for it. Changes nothing; a write from another thread
        meanwhile waits for the table at hand."""
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
        self._check_policy()
        if self._backup_due is not None:  # (refuses the change when it cannot be written)
            self._daily_backup(self._backup_due)
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
        line = encode_entry(seq, ops, self._tables.revisions.chain)
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
        token = entry_token(line[9:-1].split(b"\t", 1)[0])  # (the entry's JSON, before its mac: store.files)
        self._tables.revisions.record(seq, token, touched)
        if self._tables.changes is not None:
            self._tables.changes.add(seq, token, touched, ops)
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
