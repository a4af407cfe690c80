"""The book's identity and, per client, its revision: what derived state is checked against.

- The **book id** is made when the book is made (``dun init``, ``dun demo``); an older book
  gets one at its first write. Reading never needs one (``None`` until then).
- A client's **revision** names the last change that touched its records: the change number
  and a hash of that change's journal entry (``"57-1a2b3c4d5e6f7a8b"``), so two copies of one
  book that went separate ways never share a revision with different records. It is kept in
  book.json's meta at each checkpoint, so it survives checkpoints and reopening.
- A client no change has touched since the revisions were kept has the book's **base**
  revision. book.json carries a digest of its own tables: an HMAC under a key kept outside
  every book (:mod:`store.userkey`), so whoever can write the book folder cannot make one.
  If the file was rewritten by anything else (a hand edit, a hand-copied file with stale
  meta, stock TinyDB, a file written on another machine or by another user) the digest does
  not match, the kept revisions are not believed, and every client's revision is a token
  made from a hash of the file's bytes: nothing derived from an earlier state matches it.
"""
from __future__ import annotations

import hashlib
import uuid

from . import userkey

__all__ = ["Revisions", "digest_of_parts", "new_book_id"]


def new_book_id() -> str:
    return uuid.uuid4().hex


KEY = "book-digest"


def _key() -> bytes | None:
    try:
        return userkey.key(KEY)
    except OSError:  # (no user data folder to keep it in: no digest is believed, none is made)
        return None


def _tables_part(raw: bytes) -> memoryview | None:
    """Everything after the meta line of a book.json in dun's layout (one table per line,
    the meta first), or None for any other layout."""
    if not raw.startswith(b'{"meta":'):
        return None
    nl = raw.find(b"\n")
    return None if nl < 0 else memoryview(raw)[nl + 1:]


def digest_of_parts(parts) -> str | None:
    """The digest of a file whose lines after the meta line are ``parts``: a keyed HMAC and the
    size, or None when there is no key."""
    key = _key()
    if key is None:
        return None
    parts = list(parts)
    return f"{userkey.mac(key, parts)[:32]}-{sum(len(p) for p in parts)}"


class Revisions:
    """The per-client revisions of one reading of a book (see the module docstring)."""

    __slots__ = ("base", "by_client")

    def __init__(self, meta: dict, raw: bytes) -> None:
        rest = _tables_part(raw)
        digest = None if rest is None else digest_of_parts((rest,))
        kept = meta.get("base")
        if digest is not None and meta.get("digest") == digest and isinstance(kept, str) and kept:
            self.base = kept
            got = meta.get("revisions")
            self.by_client = {str(k): str(v) for k, v in got.items()} if isinstance(got, dict) else {}
            return
        # No digest, or not this file's: believe nothing kept in the meta. The token is a hash
        # of the whole file (a collision-resistant one: a CRC can be matched by an edit).
        if digest is not None:  # (the tables were hashed already: add the meta line's hash)
            head = hashlib.sha256(memoryview(raw)[:len(raw) - len(rest)]).hexdigest()[:16]
            self.base = f"f{digest[:32]}{head}-{len(raw)}"
        else:
            self.base = f"f{hashlib.sha256(raw).hexdigest()[:48]}-{len(raw)}"
        self.by_client = {}

    @classmethod
    def fresh(cls) -> "Revisions":
        got = cls.__new__(cls)
        got.base = "n" + uuid.uuid4().hex[:16]
        got.by_client = {}
        return got

    def record(self, seq: int, token: str, clients) -> None:
        """A committed change number ``seq`` (its journal entry's content hash ``token``,
        store.files.entry_token) touched ``clients`` ("*": something of no one client, which
        counts as a change to every client)."""
        rev = f"{seq}-{token}"
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
