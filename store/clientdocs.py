"""Every client's stored documents, kept grouped by client: one client's records without
parsing the book's big tables.

``book.json`` holds each kind of record in one table; reading one client's records means
parsing every table (about 1 s on a 100,000-invoice book). A reader that has the whole book
parsed anyway (a publish from the whole book) can keep a copy grouped by client in
the user's cache folder (:func:`path_of`, by the book's id), named by the book's *mark* (see
:meth:`store.Repository.change_mark`: book.json's identity on this machine and the chain of
changes since). A later reading that knows that mark takes a client's
documents from the copy and applies the journal's operations since: exactly the documents a
whole read would give that client, in the same order (a table's document ids grow with every
new document, which the copy checks when it is made).

The file: one JSON line ``{"format", "mark", "size", "index": {client: [offset, length,
crc32]}}``, then each client's ``{table: [[doc id, document], ...]}`` as JSON at its offset
(``size`` bytes in all). It is a cache: whenever it is missing, damaged (its size, a
client's checksum) or of another state, the book is read as before.
"""
from __future__ import annotations

import os
import zlib
from pathlib import Path

import orjson

FORMAT = "dun-client-docs-1"


def path_of(book_id: str | None) -> Path | None:
    """The copy of the book ``book_id`` in the user's cache folder (never in the book folder:
    a folder someone else prepared could carry one); None for a book without an id."""
    if not book_id:
        return None
    from .files import cache_root

    return cache_root() / book_id / "client-docs.bin"


def group(tables: dict[str, dict], owner) -> dict[str, dict[str, list]] | None:
    """``{client: {table: [[doc id, doc], ...]}}``, or None when a table's document ids do not
    grow in stored order or a document belongs to no one client (the copy could not keep
    the book's order, or its document)."""
    by: dict[str, dict[str, list]] = {}
    for name, docs in tables.items():
        prev = 0
        for doc_id, doc in docs.items():
            i = int(doc_id)
            if i <= prev:
                return None
            prev = i
            cid = owner(name, doc)
            if not isinstance(cid, str) or cid == "*":
                return None
            by.setdefault(cid, {}).setdefault(name, []).append((i, doc))
    return by


def write(path: Path, mark: str, by: dict[str, dict[str, list]]) -> None:
    from .files import atomic_write

    index, blobs, offset = {}, [], 0
    for cid, docs in by.items():
        blob = orjson.dumps(docs)
        index[cid] = (offset, len(blob), zlib.crc32(blob))
        offset += len(blob)
        blobs.append(blob)
    header = orjson.dumps({"format": FORMAT, "mark": mark, "size": offset, "index": index}) + b"\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, header + b"".join(blobs))


def _header(f) -> tuple[dict, int] | None:
    """The header and where the documents begin, if the file is whole."""
    line = f.readline()
    header = orjson.loads(line)
    if (not isinstance(header, dict) or header.get("format") != FORMAT or not isinstance(header.get("mark"), str)
            or os.fstat(f.fileno()).st_size != len(line) + header.get("size", -1)):
        return None
    return header, len(line)


def read_mark(path: Path) -> str | None:
    """The mark the copy was made at (None: no usable copy)."""
    try:
        with open(path, "rb") as f:
            got = _header(f)
    except (OSError, orjson.JSONDecodeError, TypeError):
        return None
    return got[0]["mark"] if got is not None else None


def read(path: Path, client_id: str) -> tuple[str, dict[str, list]] | None:
    """(mark, the client's ``{table: [[doc id, doc], ...]}`` at that mark), or None."""
    try:
        with open(path, "rb") as f:
            got = _header(f)
            if got is None:
                return None
            header, start = got
            where = header["index"].get(client_id)
            if where is None:  # no documents at the mark: a client added since
                return header["mark"], {}
            offset, length, crc = where
            f.seek(start + offset)
            raw = f.read(length)
        if zlib.crc32(raw) != crc:
            return None
        docs = orjson.loads(raw)
    except (OSError, orjson.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError):
        return None
    return (header["mark"], docs) if isinstance(docs, dict) else None


def apply(client_id: str, docs: dict[str, list], ops: list, owner) -> dict[str, list[dict]]:
    """The client's documents after the journal's ``ops``, each table in document-id order."""
    tables: dict[str, dict[int, dict]] = {name: {int(i): d for i, d in pairs} for name, pairs in docs.items()}
    for op in ops:
        table, doc_id, doc = op[1], int(op[2]), op[3]
        if owner(table, doc) == client_id:
            tables.setdefault(table, {})[doc_id] = doc
        elif doc_id in tables.get(table, {}):  # moved to another client
            del tables[table][doc_id]
    return {name: [t[i] for i in sorted(t)] for name, t in tables.items()}
