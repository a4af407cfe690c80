"""The book's derived state, per client, checked against the store by one rule.

An entry (one client's :class:`~receivables.engine.ClientDay`) is valid when its **key**
(the book's id, the policy's digest, the engine's code version and the date) matches and
its **revision** equals the client's revision in the store (:mod:`store.revisions`).
Anything unreadable or mismatched counts as absent and is derived again; the book's day is
then the fold of every client's (:func:`receivables.engine.fold`).

Entries live in memory (a :class:`Derived` passed back in as ``previous``) and in one plain
JSON file per key in the user's cache folder (``DUN_CACHE_DIR`` or platformdirs'
``user_cache_dir("dun")``, then the book's id): never in the book's folder, never pickled.
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

import orjson

from receivables.engine import BookDay, ClientDay, derive_client, fold, group_by_client
from receivables.tuning import FEW_CLIENTS, quiet_gc
from receivables.model import Book
from receivables.policy import Policy

from . import codec

FORMAT = 1  # of the files
KEEP_FILES = 4  # per book: the days (and policies) last asked for
_CODE: list[str] = []


def code_version() -> str:
    """One digest of the engine's code (every module of ``receivables``) and of this layer's."""
    if not _CODE:
        h = hashlib.sha256()
        here = Path(__file__).resolve().parent
        for folder in (here.parent / "receivables", here):
            for path in sorted(folder.rglob("*.py")):
                h.update(path.relative_to(folder).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
        _CODE.append(h.hexdigest()[:16])
    return _CODE[0]


def policy_digest(policy: Policy) -> str:
    """The policy's rules (not where its file lies)."""
    return hashlib.sha256(repr(replace(policy, source="")).encode()).hexdigest()[:16]


def cache_root() -> Path:
    """``DUN_CACHE_DIR``, else the user's cache folder for dun (:func:`store.files.user_cache_dir`)."""
    got = os.environ.get("DUN_CACHE_DIR")
    if got:
        return Path(got)
    from store.files import user_cache_dir

    return user_cache_dir()


@dataclass(frozen=True, slots=True)
class Key:
    book_id: str | None
    policy: str
    code: str
    on: date

    def name(self) -> str:
        return f"day-{self.on.isoformat()}-{self.policy}-{self.code}.json"


@dataclass(slots=True)
class Derived:
    """The book's day as read through this layer, with what it was checked against."""

    key: Key
    revisions: dict[str, str]  # client id -> revision in the store
    days: dict[str, ClientDay]
    book_day: BookDay
    worked_out: frozenset[str] = frozenset()  # the clients derived afresh (the rest were valid entries)
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def agenda(self):
        return self.book_day.agenda

    @property
    def report(self):
        return self.book_day.report


def key_of(book_id: str | None, policy: Policy, on: date) -> Key:
    return Key(book_id, policy_digest(policy), code_version(), on)


def current(repo, policy: Policy, on: date, previous: Derived | None = None, *, save: bool = True,
            book: Book | None = None) -> Derived:
    """The book's day on ``on`` through the derived state: ``previous`` (in memory) and the
    file kept for this key give the valid entries; the other clients are derived from their
    records (from ``book`` if given, the whole book when many, else one client at a time)
    and everything is folded. With ``save``, a changed state is written back to the file."""
    key = key_of(repo.book_id, policy, on)
    revisions = repo.client_revisions()
    kept: dict[str, tuple[str, ClientDay]] = {}
    if previous is not None and previous.key == key:
        kept = {cid: (previous.revisions[cid], d) for cid, d in previous.days.items() if cid in previous.revisions}
    from_file = False
    # the file only when this process has no state of this key: the one it has is at least as
    # new as the file (this process keeps it), and reading every client's entry costs seconds
    if key.book_id is not None and not kept:
        got = read_file(key)
        if got:
            from_file = True
            for cid, entry in got.items():
                if cid not in kept or kept[cid][0] != revisions.get(cid):
                    kept[cid] = entry
    days: dict[str, ClientDay] = {}
    todo: list[str] = []
    for cid, rev in revisions.items():
        entry = kept.get(cid)
        if entry is not None and entry[0] == rev and entry[1].on == on and entry[1].client == cid:
            days[cid] = entry[1]
        else:
            todo.append(cid)
            days[cid] = None  # type: ignore[assignment]  (keeps the store's order)
    if todo:
        with quiet_gc():
            for cid, d in derive_clients(repo, policy, on, todo, book).items():
                days[cid] = d
    same = previous is not None and previous.key == key and not todo and previous.days.keys() == days.keys()
    book_day = previous.book_day if same else fold(days, on)
    state = Derived(key, dict(revisions), days, book_day, frozenset(todo))
    if save and key.book_id is not None and (todo or not from_file and not same):
        write_file(state)
    return state


def kept(repo, policy: Policy, on: date) -> Derived | None:
    """The book's day from the file alone, or None unless every client's entry in it is valid
    (what the app shows before it has read the book)."""
    key = key_of(repo.book_id, policy, on)
    if key.book_id is None:
        return None
    revisions = repo.client_revisions()
    got = read_file(key)
    if not revisions or any(got.get(c, ("",))[0] != r for c, r in revisions.items()):
        return None
    days = {cid: got[cid][1] for cid in revisions}
    with quiet_gc():
        return Derived(key, dict(revisions), days, fold(days, on), frozenset())


def derive_clients(repo, policy: Policy, on: date, clients: list[str], book: Book | None = None) -> dict[str, ClientDay]:
    """The days of ``clients``, each from its own records."""
    if book is None and len(clients) > FEW_CLIENTS:
        book = repo.book()
    if book is not None:
        if len(clients) > FEW_CLIENTS:
            groups = group_by_client(book)
            return {cid: derive_client(groups[cid], policy, on, cid) for cid in clients}
        return {cid: derive_client(book.only(cid), policy, on, cid) for cid in clients}
    return {cid: derive_client(repo.client_book(cid), policy, on, cid) for cid in clients}


# -- the file ------------------------------------------------------------------------------------

def path_of(key: Key) -> Path:
    return cache_root() / key.book_id / key.name()


def read_file(key: Key) -> dict[str, tuple[str, ClientDay]]:
    """The entries kept for ``key`` (client id -> (revision, day)); empty when there is no
    file or it is unreadable or made for another key."""
    try:
        data = orjson.loads(path_of(key).read_bytes())
        if (not isinstance(data, dict) or data.get("format") != FORMAT or data.get("book") != key.book_id
                or data.get("policy") != key.policy or data.get("code") != key.code
                or data.get("on") != key.on.isoformat() or not isinstance(data.get("clients"), dict)):
            return {}
    except (OSError, orjson.JSONDecodeError):
        return {}
    out = {}
    for cid, entry in data["clients"].items():
        try:  # an entry that is not what this layer writes is absent (the others still count)
            rev, day = entry
            day = codec.decode(day)
        except (codec.Undecodable, TypeError, ValueError):
            continue
        if isinstance(rev, str) and isinstance(day, ClientDay) and day.client == cid and day.on == key.on:
            out[cid] = (rev, day)
    return out


def write_file(state: Derived) -> bool:
    """Keep ``state``'s entries in its key's file (atomically; a cache: failing is only slower)."""
    key = state.key
    path = path_of(key)
    data = {"format": FORMAT, "book": key.book_id, "policy": key.policy, "code": key.code, "on": key.on.isoformat(),
            "clients": {cid: [state.revisions[cid], codec.encode(d)] for cid, d in state.days.items()}}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_bytes(orjson.dumps(data))
        os.replace(tmp, path)
        others = sorted((p for p in path.parent.glob("day-*.json") if p.name != path.name),
                        key=lambda p: p.stat().st_mtime, reverse=True)
        for old in others[KEEP_FILES - 1:]:  # older days and policies: derived again when wanted
            old.unlink(missing_ok=True)
        return True
    except (OSError, TypeError):
        return False
