"""Reading records from a :class:`store.repository.Repository`: the whole book or one
client's records, decoded from the stored documents; what changed since a state; the whole
book checked.

:class:`Reads` is one part of the one ``Repository`` class (see store/repository.py, which
opens the book and sets the state used here: ``paths``, ``_tables``, ``_seq`` and the
caches made by ``_reset_caches``)."""
from __future__ import annotations

import hashlib
import os
from contextlib import contextmanager
from dataclasses import replace
from typing import Any, Iterable, Iterator

from receivables import validate as v
from receivables.errors import DunError, Problem
from receivables.model import Book, Client, Invoice
from receivables.policy import Policy, load_policy, read_policy
from receivables.tuning import quiet_gc

from . import codec
from .files import is_book_id


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
        if table in codec.VOIDABLE and rec.voided is not None:  # voided: it leaves its table
            if "voided" not in new:
                new["voided"] = list(book.voided)
            new["voided"].append(rec)
            if not is_new:
                if table not in new:
                    new[table] = list(getattr(book, table))
                new[table] = [r for r in new[table] if r.id != key]
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



def _lenient_payment(doc: dict):
    return codec.payment_from_doc(doc, strict=False)


def _twice(what: str, keys: list[str], how: str = "", clients: list | None = None) -> None:
    """Refuse the first key of ``keys`` found twice, naming the clients of both records
    (``clients``: each key's client, where records have one)."""
    seen: dict[str, int] = {}
    at = next(i for i, k in enumerate(keys) if k in seen or seen.setdefault(k, i) is None)
    key = keys[at]
    if clients is not None:
        how += f" (clients {str(clients[seen[key]])!r:.40} and {str(clients[at])!r:.40})"
    raise DunError(f"{what} {key!r:.40} appears twice{how}", "book.json",
                   "run 'dun check' to see every such record, then correct the book by hand or "
                   "restore a backup with 'dun restore'")


def _counted(docs: Iterable[dict], from_doc) -> tuple[tuple, tuple]:
    """(the records that count, the voided ones) of the stored documents of a table whose
    records can be voided (store.codec.VOIDABLE)."""
    records = tuple(map(from_doc, docs))
    if not any(r.voided is not None for r in records):
        return records, ()
    return tuple(r for r in records if r.voided is None), tuple(r for r in records if r.voided is not None)


class Reads:
    """Reading the book (a part of :class:`store.repository.Repository`)."""

    @property
    def version(self) -> int:
        """The number of the last committed change."""
        return self._seq

    @property
    def book_id(self) -> str | None:
        """The id made with the book (an older book gets one at its first write). It names the
        book's folder of derived files in the user's cache, so anything but a plain name (a
        received book's meta may say ``../..``) counts as no id: nothing is kept for it."""
        got = self._tables.get("meta")["1"].get("book_id")
        return got if is_book_id(got) else None

    @property
    def cache_id(self) -> str | None:
        """What names the book's derived files in the user's cache folder: its id and the folder
        it lies in. A copy of a book keeps the id (a backup restored elsewhere, a folder sent
        on), and its meta can be edited to keep the revisions too: a copy someone else prepared,
        its records changed by hand, would otherwise hand the days it worked out to the owner's
        book of the same id. A book moved to another folder derives its state again, once."""
        book_id = self.book_id
        if book_id is None:
            return None
        where = hashlib.sha256(os.fsencode(os.path.realpath(self.paths.root))).hexdigest()[:12]
        return f"{book_id}-{where}"

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
            with quiet_gc(keep=True):  # long-lived
                self._book = self._build_book(None)
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

    def client_books(self, client_ids: Iterable[str]) -> Iterator[tuple[str, Book]]:
        """Each of ``client_ids``'s records, one client at a time in the order given: for working
        out many clients without holding the whole book decoded (no client's records are kept).
        Every table is parsed once, kept and indexed by client; the file's bytes are let go of
        table by table as they are parsed (``Tables.detach``)."""
        self._tables.detach()
        self._scoped_reads = max(self._scoped_reads, 2)
        for cid in client_ids:
            yield cid, self._build_book(cid)

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

    def _book_of(self, docs, partial: bool, strict: bool = True) -> Book:
        """A Book of the documents ``docs(table)`` gives. ``strict`` (all but ``dun check``,
        which names each problem): a client id or an invoice number twice (the later record
        would replace the earlier unseen), invoice numbers that differ only in case, or a
        payment put on invoices for more than it is, are refused in one line."""
        with self._readable():
            found = docs("clients")
            clients = {d["id"]: codec.client_from_doc(d) for d in found}
            if strict and len(clients) != len(found):
                _twice("client id", [d["id"] for d in found])
            found = docs("invoices")
            invoices = {d["number"]: codec.invoice_from_doc(d) for d in found}
            if strict and len(invoices) != len(found):
                _twice("invoice number", [d["number"] for d in found], clients=[d.get("client") for d in found])
            if strict and not partial and len({n.casefold() for n in invoices}) != len(invoices):
                _twice("invoice number", [n.casefold() for n in invoices], " (in another case)")
            del found  # (the parsed invoices table: not held while the larger tables are read)
            payments, void_p = _counted(docs("payments"), codec.payment_from_doc if strict else _lenient_payment)
            adjustments, void_a = _counted(docs("adjustments"), codec.adjustment_from_doc)
            promises, void_r = _counted(docs("promises"), codec.promise_from_doc)
            if strict:  # (voiding one would void the other too)
                for what, found in (("payment id", (*payments, *void_p)), ("adjustment id", (*adjustments, *void_a)),
                                    ("promise id", (*promises, *void_r))):
                    if len({r.id for r in found}) != len(found):
                        _twice(what, [r.id for r in found], clients=[r.client for r in found])
            return Book(
                clients=clients,
                invoices=invoices,
                payments=payments,
                voided=void_p + void_a + void_r,
                adjustments=adjustments,
                activities=tuple(map(codec.activity_from_doc, docs("activities"))),
                promises=promises,
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
            for table in codec.TABLES:  # name the record (only on this path: a read of each table)
                for p in codec.undecodable(table, self._tables.peek(table), str(self.paths.book)):
                    raise DunError(p.message, p.where, f"{p.hint}; run 'dun check' to see every problem") from None
            what = f"no {e} field" if isinstance(e, KeyError) else str(e)
            raise DunError(f"holds a record that cannot be read ({what})",
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

    def folded_invoice_numbers(self) -> dict[str, str]:
        """Every invoice number by its case-folded form: a number differing from one in the
        book only in case is one invoice typed two ways (the bank matcher and the owner read
        them alike), never a second one."""
        return {k.casefold(): k for k in self._key_map("invoices")}

    def get_invoice(self, number: str) -> Invoice | None:
        doc_id = self._key_map("invoices").get(number)
        return None if doc_id is None else codec.invoice_from_doc(self._table("invoices")[str(doc_id)])

    # checking
    def check(self) -> list[Problem]:
        """Validate the whole book; changes nothing."""
        problems: list[Problem] = []
        for name, (_, keyfield, _, _) in codec.TABLES.items():
            seen: dict[str, int] = {}
            folded: dict[str, str] = {}
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
                elif name == "invoices" and key.casefold() in folded:  # (imports and the app refuse these)
                    problems.append(Problem(f"number {key!r} differs only in case from {folded[key.casefold()]!r}",
                                            f"{self.paths.book.name}: {name}", "renumber one of them"))
                seen[key] = doc_id
                if name == "invoices":
                    folded.setdefault(key.casefold(), key)
        for name in self._tables.names():
            if name not in codec.TABLES and name != "meta":
                problems.append(Problem(f"unknown table {name!r}", self.paths.book.name))
        for name in codec.TABLES:
            problems += codec.not_as_written(name, self._tables.peek(name), self.paths.book.name)
        try:
            book = self._book_of(lambda name: self._tables.peek(name).values(), partial=False, strict=False)
        except DunError as e:  # name every document that cannot be read
            bad = [p for name in codec.TABLES for p in codec.undecodable(name, self._tables.peek(name), self.paths.book.name)]
            return problems + (bad or [e.problem])
        return problems + v.check_book(book)
