"""The book's identity and, per client, its revision: what derived state is checked against.

- The **book id** is made when the book is made (``dun init``, ``dun demo``); an older book
  gets one at its first write. Reading never needs one (``None`` until then).
- A client's **revision** names the last change that touched its records: the change number
  and a chain hash of the state book.json kept and every journal entry since, up to it
  (``"57-1a2b3c4d5e6f7a8b"``), so two copies of one book that went separate ways never share
  a revision with different records. It is kept in book.json's meta at each checkpoint, so
  it survives checkpoints and reopening.
- A client no change has touched since the revisions were kept has the book's **base**
  revision. book.json carries a digest of its meta and tables: an HMAC under a key kept
  outside every book (:mod:`store.userkey`), so whoever can write the book folder cannot make
  one. If the file was rewritten by anything else (a hand edit of a table or of the meta, a
  hand-copied file with stale meta, stock TinyDB, a file written on another machine or by
  another user) the digest does not match, the kept revisions are not believed, and every
  client's revision is a token made from a hash of the file's bytes: nothing derived from an
  earlier state matches it.
- Which client a journal entry took a document from is believed only of an entry this
  user's dun wrote over this very state (its line carries an HMAC under the same key of the
  entry and of :attr:`Revisions.chain` before it, store.files); for any other the table is
  read (store.loading).
"""
from __future__ import annotations

import hashlib
import uuid

import orjson

from . import userkey

__all__ = ["Revisions", "digest_of_book", "meta_written_here", "new_book_id", "written_here"]


def new_book_id() -> str:
    return uuid.uuid4().hex


def _tables_part(raw: bytes) -> memoryview | None:
    """Everything after the meta line of a book.json in dun's layout (one table per line,
    the meta first), or None for any other layout."""
    if not raw.startswith(b'{"meta":'):
        return None
    nl = raw.find(b"\n")
    return None if nl < 0 else memoryview(raw)[nl + 1:]


def _meta_part(meta: dict) -> bytes:
    """The meta table as the digest covers it: every field but the digest, keys sorted."""
    first = meta.get("1")
    if isinstance(first, dict):
        meta = {**meta, "1": {k: v for k, v in first.items() if k != "digest"}}
    return orjson.dumps(meta, option=orjson.OPT_SORT_KEYS)


def digest_of_book(meta: dict, parts) -> str | None:
    """The digest of a file of the meta table ``meta`` and the lines after the meta line
    ``parts``: a keyed HMAC and the size, or None when there is no key (or a meta no digest
    can be made of)."""
    key = userkey.book_key()
    if key is None:
        return None
    try:
        head = _meta_part(meta)
    except (TypeError, orjson.JSONEncodeError):  # (a hand-edited meta: no digest, none believed)
        return None
    parts = list(parts)
    return f"{userkey.mac(key, [head, *parts])[:32]}-{sum(len(p) for p in parts)}"


def written_here(raw: bytes) -> bool:
    """Whether ``raw`` is a book.json this user's dun wrote, as it wrote it (its digest holds)."""
    return meta_written_here(raw) is not None


def meta_written_here(raw: bytes) -> dict | None:
    """The meta record of ``raw`` if it is a book.json this user's dun wrote, as it wrote it."""
    rest = _tables_part(raw)
    if rest is None:
        return None
    try:
        meta = orjson.loads(memoryview(raw)[len(b'{"meta":'):len(raw) - len(rest) - 1])
    except orjson.JSONDecodeError:
        return None
    first = meta.get("1") if isinstance(meta, dict) else None
    if not isinstance(first, dict):
        return None
    digest = digest_of_book(meta, (rest,))
    return first if digest is not None and first.get("digest") == digest else None


class Revisions:
    """The per-client revisions of one reading of a book (see the module docstring)."""

    __slots__ = ("base", "by_client", "file_id", "believed", "_chain")

    def __init__(self, meta: dict, raw: bytes) -> None:
        """``meta``: the meta table as read from ``raw``, the bytes of book.json."""
        rest = _tables_part(raw)
        digest = None if rest is None else digest_of_book(meta, (rest,))
        first = meta.get("1") if isinstance(meta.get("1"), dict) else {}
        kept = first.get("base")
        self.believed = digest is not None and first.get("digest") == digest and isinstance(kept, str) and bool(kept)
        if self.believed:
            self.base = kept
            got = first.get("revisions")
            self.by_client = {str(k): str(v) for k, v in got.items()} if isinstance(got, dict) else {}
        else:
            # No digest, or not this file's: believe nothing kept in the meta. The token is the
            # HMAC of the meta and tables (what the digest would be), or with no key a hash of
            # the whole file: collision-resistant, as a CRC that an edit can match is not.
            self.base = digest = f"f{digest}" if digest is not None else \
                f"f{hashlib.sha256(raw).hexdigest()[:48]}-{len(raw)}"
            self.by_client = {}
        self.file_id = digest  # what names this file's content: its HMAC, or its hash
        self.rebase(first.get("seq"))

    @classmethod
    def fresh(cls) -> "Revisions":
        got = cls.__new__(cls)
        got.base = got.file_id = "n" + uuid.uuid4().hex[:16]
        got.by_client = {}
        got.believed = False
        got.rebase(0)
        return got

    def rebase(self, seq) -> None:
        """Start the chain the next revisions are made with from the state kept at change
        ``seq`` (a reading of book.json, or a checkpoint just written): a writer and a later
        reader of the same file and journal make the same revisions."""
        kept = orjson.dumps([seq, self.base, sorted(self.by_client.items())])
        self._chain = hashlib.sha256(kept).hexdigest()[:16]

    @property
    def chain(self) -> str:
        """The state the next change is made over: what a journal line's mac covers with it."""
        return self._chain

    def record(self, seq: int, token: str, clients) -> None:
        """A committed change number ``seq`` (its journal entry's content hash ``token``,
        store.files.entry_token) touched ``clients`` ("*": something of no one client, which
        counts as a change to every client). The
        revision chains the state read and every entry since, so an entry seen after another
        book.json (or other entries) names another state."""
        self._chain = hashlib.sha256(f"{self._chain}:{seq}:{token}".encode()).hexdigest()[:16]
        rev = f"{seq}-{self._chain}"
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
