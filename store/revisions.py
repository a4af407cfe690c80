"""The book's identity and, per client, its revision: what derived state is checked against.

- The **book id** is made when the book is made (``dun init``, ``dun demo``); an older book
  gets one at its first write. Reading never needs one (``None`` until then).
- A client's **revision** names the last change that touched its records: the change number
  and the checksum of that change's journal line (``"57-1a2b3c4d"``), so two copies of one
  book that went separate ways never share a revision with different records. It is kept in
  book.json's meta at each checkpoint, so it survives checkpoints and reopening.
- A client no change has touched since the revisions were kept has the book's **base**
  revision. book.json carries a digest of its own tables; if the file was rewritten by
  anything else (a hand edit, a hand-copied file with stale meta, stock TinyDB) the digest
  does not match, the kept revisions are not believed, and every client's revision is a
  token made from the file's bytes: nothing derived from an earlier state matches it.
"""
from __future__ import annotations

import uuid
import zlib

__all__ = ["Revisions", "new_book_id", "tables_digest"]


def new_book_id() -> str:
    return uuid.uuid4().hex


def tables_digest(raw: bytes) -> str | None:
    """The digest of everything after the meta line of a book.json in dun's layout (one table
    per line, the meta first), or None for any other layout."""
    if not raw.startswith(b'{"meta":'):
        return None
    nl = raw.find(b"\n")
    if nl < 0:
        return None
    rest = memoryview(raw)[nl + 1:]
    return f"{zlib.crc32(rest):08x}-{len(rest)}"


def digest_of_parts(parts) -> str:
    """:func:`tables_digest` of a file whose lines after the meta line are ``parts``."""
    crc, size = 0, 0
    for p in parts:
        crc = zlib.crc32(p, crc)
        size += len(p)
    return f"{crc:08x}-{size}"


class Revisions:
    """The per-client revisions of one reading of a book (see the module docstring)."""

    __slots__ = ("base", "by_client")

    def __init__(self, meta: dict, raw: bytes) -> None:
        digest = tables_digest(raw)
        kept = meta.get("base")
        if digest is not None and meta.get("digest") == digest and isinstance(kept, str) and kept:
            self.base = kept
            got = meta.get("revisions")
            self.by_client = {str(k): str(v) for k, v in got.items()} if isinstance(got, dict) else {}
        else:  # no digest, or not this file's: believe nothing kept in the meta
            self.base = f"f{zlib.crc32(raw):08x}-{len(raw)}"
            self.by_client = {}

    @classmethod
    def fresh(cls) -> "Revisions":
        got = cls.__new__(cls)
        got.base = "n" + uuid.uuid4().hex[:16]
        got.by_client = {}
        return got

    def record(self, seq: int, crc: int, clients) -> None:
        """A committed change number ``seq`` (journal line checksum ``crc``) touched ``clients``
        ("*": something of no one client, which counts as a change to every client)."""
        rev = f"{seq}-{crc:08x}"
        if "*" in clients:
            self.base = rev
            self.by_client = {}
            return
        for c in clients:
            if c is not None:
                self.by_client[c] = rev

    def of(self, client_id: str) -> str:
        return self.by_client.get(client_id, self.base)

    def to_meta(self) -> dict:
        return {"base": self.base, "revisions": dict(self.by_client)}
