"""The book's derived state, per client, checked against the store by one rule.

An entry (one client's :class:`~receivables.engine.ClientDay`) is valid when its **key**
(the book's id and folder, the policy's digest, the engine's code version and the date) matches and
its **revision** equals the client's revision in the store (:mod:`store.revisions`).
Anything unreadable or mismatched counts as absent and is derived again; the book's day is
the fold of every client's (:func:`receivables.engine.fold`), or, when a day folded before
is at hand (this process's last, or the file's), that day with the changed clients folded in
again (:func:`receivables.engine.refold`: their old parts taken out of the report's sums,
their new ones added, their actions replaced): the same day, reading only those clients.

Entries live in memory (a :class:`Derived` passed back in as ``previous``) and in one file
per key in the user's cache folder (``DUN_CACHE_DIR`` or platformdirs'
``user_cache_dir("dun")``, then the book's id): never in the book's folder, never pickled.
The file is plain JSON lines (:mod:`derived.codec`):

1. the header: format, key, every client's id and revision (in the store's order), and a
   checksum of the lines after it (any other bytes: the whole file counts as absent);
2. the fold, made from exactly the entries below, in four lines: the agenda, each action's
   message context (in the agenda's order; each context a JSON text of its own, so that
   folding a changed client in again moves the others' contexts without decoding them),
   the report, the report's sums. Taken as it is
   when those entries are every client of the store, each at its revision, each line decoded
   only when its part is asked for (the app's first screen needs the agenda alone, ``dun
   report`` the report alone); else the clients that differ are folded into it again;
3. one line per client, in the header's order, decoded only when that client is asked for
   (a command that needs the agenda or the report reads none of them).
"""
from __future__ import annotations

import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Callable, Iterator

import orjson

from receivables.calendar import calendar_for
from receivables.engine import (BookDay, ClientDay, PendingDue, derivation, derive_client,
                                finish_client, refold)
from receivables.engine.book import refuse_strays
from receivables.engine.ladder import sort_key
from receivables.errors import DunError
from receivables.model import Book
from receivables.policy import Policy
from receivables.tuning import FEW_CLIENTS, quiet_gc

from store.files import cache_root, write_cache_file

from . import codec
from .fold import Fold, fold_of_lines
from .key import Key, code_version, key_of, policy_digest
from .share import Share, SharedDue, start

FORMAT = 5  # of the files
KEEP_FILES = 4  # per book: the days (and policies) last asked for
class Days(Mapping):
    """Every client's day, by client id in the store's order. An entry read from the file stays
    its line until that client is first asked for; a line that does not decode (it cannot
    happen to a file this layer wrote and checked, but a cache is never trusted) counts as
    absent: the client is derived again from its records (``derive_one``)."""

    __slots__ = ("_got", "_lines", "_derive_one", "_on")

    def __init__(self, got: dict[str, Any], on: date, derive_one: Callable[[str], ClientDay] | None = None,
                 lines: dict[str, bytes] | None = None) -> None:
        self._got = got
        self._on = on
        self._derive_one = derive_one
        # the file's line of each entry read from it (written back as it was, decoded or not)
        self._lines = lines if lines is not None else {cid: v for cid, v in got.items() if isinstance(v, bytes)}

    def __getitem__(self, cid: str) -> ClientDay:
        value = self._got[cid]
        if isinstance(value, bytes):
            day = _decode_entry(value, cid, self._on)
            if day is None:
                if self._derive_one is None:
                    raise KeyError(cid)
                day = self._derive_one(cid)
                self._lines.pop(cid, None)
            value = self._got[cid] = day
        return value

    def __iter__(self) -> Iterator[str]:
        return iter(self._got)

    def __len__(self) -> int:
        return len(self._got)

    def __contains__(self, cid: object) -> bool:
        return cid in self._got

    def raw(self, cid: str) -> ClientDay | bytes:
        """The entry as held: the day, or its line from the file not decoded yet."""
        return self._got[cid]

    def line(self, cid: str) -> bytes | None:
        """The entry's line in the file it was read from (None: worked out in this process)."""
        return self._lines.get(cid)

    def decoded(self) -> int:
        """How many entries are decoded (the others are still lines of the file)."""
        return sum(1 for v in self._got.values() if not isinstance(v, bytes))


@dataclass(slots=True)
class Derived:
    """The book's day as read through this layer, with what it was checked against."""

    key: Key
    revisions: dict[str, str]  # client id -> revision in the store
    days: Days
    fold: Fold
    worked_out: frozenset[str] = frozenset()  # the clients derived afresh (the rest were valid entries)
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def book_day(self) -> BookDay:
        """The whole book's day (every part of the fold decoded)."""
        return self.fold.whole()

    @property
    def agenda(self):
        return self.fold.agenda

    @property
    def report(self):
        return self.fold.report

    def context_of(self, position: int) -> dict | None:
        """The message context of the agenda's action at ``position``."""
        contexts = self.fold.contexts
        return contexts[position] if position < len(contexts) else None


class Due:
    """What is due from every client on a date, before the rest of their days is worked out
    (:func:`current`'s ``early``): the agenda, and each client's actions with their message
    contexts (``days``: client id -> :class:`~receivables.engine.PendingDue`, or the helper's
    :class:`~derived.share.SharedDue`; either works out a context when a draft first asks for
    it), which is what a queue and its drafts are made from."""

    __slots__ = ("on", "days", "agenda")

    def __init__(self, on: date, days: dict[str, PendingDue | SharedDue]) -> None:
        self.on = on
        self.days = days
        self.agenda = tuple(sorted((a for d in days.values() for a in d.actions), key=sort_key))


def start_share(repo, policy: Policy, on: date, revisions: dict[str, str]) -> Share | None:
    """A helper process (:mod:`derived.share`) for a :func:`current` that will work out every
    client of a large book (no day kept for this key), started before the book is read; None
    when there is nothing to share."""
    try:
        key = key_of(repo.cache_id, policy, on)
        if key.book_id is None or path_of(key).exists():
            return None
    except OSError:  # (a cache folder that cannot be looked at: the start goes on without help)
        return None
    return start(repo, key, revisions)


def current(repo, policy: Policy, on: date, previous: Derived | None = None, *, save: bool = True,
            book: Book | None = None, revisions: dict[str, str] | None = None,
            early: Callable[[Due], Any] | None = None, share: Share | None = None) -> Derived:
    """The book's day on ``on`` through the derived state: ``previous`` (in memory) and the
    file kept for this key give the valid entries; the other clients are derived from their
    records (from ``book`` if given, the whole book when many, else one client at a time)
    and everything is folded (or the file's fold is taken, when it was made from exactly the
    store's clients at their revisions). With ``save``, a changed state is written back.

    ``early``, when every client is to be worked out and they are many (a first start, a new
    day), is called with what is due (:class:`Due`) as soon as that is known, before the
    rest of every client's day (the share of the report) is worked out; ``share`` (see
    :func:`start_share`) then works out part of what is due in a second process, and is
    stopped where the two meet (the caller, which started it, closes it in any case).

    A caller that passes ``book`` passes the ``revisions`` it read *before* it read the book:
    a change landing in between then only makes a client count as changed once more (an
    entry worked out from newer records under an older revision), never the reverse."""
    key = key_of(repo.cache_id, policy, on)
    if revisions is None:
        revisions = repo.client_revisions()
    entries: dict[str, tuple[str, Any]] = {}
    lines: dict[str, bytes] = {}
    base: Fold | tuple[bytes, ...] | None = None  # the fold made from exactly ``entries`` (or its lines)
    if previous is not None and previous.key == key:
        entries = {cid: (previous.revisions[cid], previous.days.raw(cid))
                   for cid in previous.days if cid in previous.revisions}
        lines = {cid: line for cid in previous.days if (line := previous.days.line(cid)) is not None}
        if len(entries) == len(previous.days):
            base = previous.fold
    from_file = False
    # the file only when this process has no state of this key: the one it has is at least as
    # new as the file (this process keeps it)
    if key.book_id is not None and not entries:
        got = read_file(key)
        if got is not None:
            from_file = True
            order, stored, lines = got
            entries = {cid: (rev, lines[cid]) for cid, rev in order if cid in lines}
            base = stored
    held: dict[str, Any] = {}
    todo: list[str] = []
    for cid, rev in revisions.items():
        entry = entries.get(cid)
        if entry is not None and entry[0] == rev and (
                isinstance(entry[1], bytes) or entry[1].on == on and entry[1].client == cid):
            held[cid] = entry[1]
        else:
            todo.append(cid)
            held[cid] = None  # (keeps the store's order)
    if todo:
        every = len(todo) == len(revisions)
        if every and len(todo) <= FEW_CLIENTS:  # (a larger book is grouped by client, which refuses them)
            if book is None:
                book = repo.book()  # (every client's records, read once)
            refuse_strays(book)
        with quiet_gc():
            held.update(derive_clients(repo, policy, on, todo, book, early if every else None,
                                       share if every else None))
    same = previous is not None and previous.key == key and not todo and list(previous.days) == list(held)
    if same:
        days, folded = previous.days, previous.fold
    else:
        kept_lines = {cid: line for cid, line in lines.items() if cid not in todo}
        kept_lines.update((cid, v) for cid, v in held.items() if isinstance(v, bytes))
        days = Days(held, on, _deriver(repo, policy, on), kept_lines)
        changed = [*todo, *(cid for cid in entries if cid not in revisions)]
        folded = _fold(days, on, base, changed, {cid: entries[cid][1] for cid in changed if cid in entries})
    state = Derived(key, dict(revisions), days, folded, frozenset(todo))
    if save and key.book_id is not None and (todo or not from_file and not same):
        write_file(state)
    return state


def days_ahead(on: date, policy: Policy) -> list[date]:
    """The days whose state the app works out ahead, in a quiet moment (:func:`current` for
    each, which keeps it in its file): the next day and, when later, the next business day
    (after a Friday: Saturday and Monday), the days the owner most likely opens the book next.
    The first start of such a day then reads every client's day from the file, and only the
    clients changed since are worked out again."""
    following = on + timedelta(days=1)
    days = [following]
    try:
        business = calendar_for(policy).next_business_day(following)
    except DunError:  # (a calendar the holidays package does not know: the agenda says so)
        return days
    if business != following:
        days.append(business)
    return days


def kept(repo, policy: Policy, on: date) -> Derived | None:
    """The book's day from the file alone, or None unless every client's entry in it is valid
    (what the app shows before it has read the book)."""
    key = key_of(repo.cache_id, policy, on)
    if key.book_id is None:
        return None
    revisions = repo.client_revisions()
    got = read_file(key)
    if got is None or not revisions:
        return None
    order, stored, lines = got
    if order != list(revisions.items()) or any(c not in lines for c in revisions):
        return None
    days = Days({cid: lines[cid] for cid in revisions}, on, _deriver(repo, policy, on))
    return Derived(key, dict(revisions), days, Fold(on, days, stored), frozenset())


def _fold(days: Days, on: date, base: Fold | tuple[bytes, ...] | None, changed: list[str],
          old: dict[str, Any]) -> Fold:
    """The fold of ``days``: ``base`` (folded before, from the entries ``days`` holds but for
    the ``changed`` clients: new, gone or at another revision; ``old`` holds their entries
    then, decoded or not) as it is when nothing changed, else with those clients' days folded
    in again (:func:`~receivables.engine.refold`); every day folded when there is no base or
    an old entry does not decode."""
    if base is None:
        return Fold(on, days)
    if not changed:  # the file's lines are decoded when asked for
        return Fold(on, days, base) if isinstance(base, tuple) else Fold(on, days, folded=base.whole())
    was = {cid: v if not isinstance(v, bytes) else _decode_entry(v, cid, on) for cid, v in old.items()}
    if isinstance(base, tuple):
        day = fold_of_lines(base, on)
    else:  # (its contexts as they are held: see Fold.context_texts)
        agenda, report, totals = base.agenda, base.report, base.totals
        texts = base.context_texts()
        day = None if texts is None or len(texts) != len(agenda) else BookDay(on, base.days, agenda, report, texts,
                                                                             totals)
    if day is None or day.totals is None or any(v is None for v in was.values()):
        return Fold(on, days)
    with quiet_gc():
        return Fold(on, days, folded=refold(day, was, days, changed))


def _deriver(repo, policy: Policy, on: date) -> Callable[[str], ClientDay]:
    """What derives one client again when its kept line does not decode."""
    return lambda cid: derive_clients(repo, policy, on, [cid])[cid]


def _pending(d, clients: list[str], share: Share | None) -> dict[str, PendingDue | SharedDue]:
    """What is due from each of ``clients`` (their message contexts worked out when first asked
    for), in order, until the helper process (``share``, working backwards) has sent the next:
    the rest, as it sent them (each checked: :meth:`Share.take`; one that is not is worked out
    here)."""
    if share is None:
        return {cid: d.begin(cid) for cid in clients}
    try:
        pending: dict[str, PendingDue | SharedDue] = {}
        for cid in clients:
            if share.has(cid):
                actions = share.take(cid)
                pending[cid] = d.begin(cid) if actions is None else SharedDue(cid, d.on, actions, d.begin)
            else:
                pending[cid] = d.begin(cid)
        return pending
    finally:
        share.close()


def derive_clients(repo, policy: Policy, on: date, clients: list[str], book: Book | None = None,
                   early: Callable[[Due], Any] | None = None, share: Share | None = None) -> dict[str, ClientDay]:
    """The days of ``clients``, each from its own records; with ``early`` (and many clients),
    what is due from them first (see :func:`current`), with the help of ``share`` if given."""
    if book is None and len(clients) > FEW_CLIENTS:
        book = repo.book()
    if book is not None:
        if len(clients) > FEW_CLIENTS:
            # (the book's derivation keeps each client's records and date-independent index
            # while the same book is asked about: another date needs only the date's work)
            d = derivation(book, policy, on)
            if early is None:
                return {cid: finish_client(*d.start(cid)) for cid in clients}
            # the queue is shown before the message contexts are worked out (a draft asks for
            # its own at once: PendingDue); the worker then works out the rest of each day
            pending = _pending(d, clients, share)
            early(Due(on, dict(pending)))  # (its own: the loop below lets go of each as it is done)
            return {cid: finish_client(p.day_state, p.due()) if isinstance(p := pending.pop(cid), PendingDue)
                    else finish_client(*d.start(cid)) for cid in clients}
        return {cid: derive_client(book.only(cid), policy, on, cid) for cid in clients}
    return {cid: derive_client(repo.client_book(cid), policy, on, cid) for cid in clients}


# -- the file ------------------------------------------------------------------------------------

def path_of(key: Key) -> Path:
    return cache_root() / key.book_id / key.name()


def _decode_entry(line: bytes, cid: str, on: date) -> ClientDay | None:
    try:
        day = codec.decode(orjson.loads(line))
    except (codec.Undecodable, orjson.JSONDecodeError, TypeError, ValueError):
        return None
    return day if isinstance(day, ClientDay) and day.client == cid and day.on == on else None


def read_file(key: Key) -> tuple[list[tuple[str, str]], tuple[bytes, ...], dict[str, bytes]] | None:
    """What is kept for ``key``: the clients and revisions it was made from (in order), the
    fold's four lines (agenda, contexts, report, totals; not decoded) and each client's line (not
    decoded); None when there is no file, or it is unreadable, damaged or made for another key."""
    try:
        raw = path_of(key).read_bytes()
        nl = raw.find(b"\n")
        head = orjson.loads(raw[:nl]) if nl > 0 else None
        if (not isinstance(head, dict) or head.get("format") != FORMAT or head.get("book") != key.book_id
                or head.get("policy") != key.policy or head.get("code") != key.code
                or head.get("on") != key.on.isoformat() or not isinstance(head.get("clients"), list)):
            return None
        rest = memoryview(raw)[nl + 1:]
        if head.get("crc") != zlib.crc32(rest) or head.get("size") != len(rest):
            return None
        order = [(c, r) for c, r in head["clients"]]
        if not all(isinstance(c, str) and isinstance(r, str) for c, r in order):
            return None
        lines = raw.split(b"\n")  # (the header first)
        if len(lines) != len(order) + 5:
            return None
    except (OSError, orjson.JSONDecodeError, TypeError, ValueError):
        return None
    return order, tuple(lines[1:5]), {cid: line for (cid, _), line in zip(order, lines[5:])}


def _lines_after(head: bytes, parts: list[bytes]):
    yield head
    for part in parts:
        yield b"\n"
        yield part


def write_file(state: Derived) -> bool:
    """Keep ``state``'s entries and fold in its key's file (atomically; a cache: failing is only
    slower). Entries still held as lines of the file are written back as they were read."""
    key = state.key
    path = path_of(key)
    days = state.days
    try:
        parts = state.fold.lines()
        for cid in days:
            line = days.line(cid)
            parts.append(line if line is not None else orjson.dumps(codec.encode(days[cid])))
        # the lines after the header, joined by newlines: their checksum and size worked out part
        # by part, and the file written part by part (never the whole held twice in memory)
        crc = size = 0
        for k, part in enumerate(parts):
            if k:
                crc = zlib.crc32(b"\n", crc)
            crc = zlib.crc32(part, crc)
            size += len(part)
        size += max(len(parts) - 1, 0)
        head = {"format": FORMAT, "book": key.book_id, "policy": key.policy, "code": key.code,
                "on": key.on.isoformat(), "clients": [[cid, state.revisions[cid]] for cid in days],
                "crc": crc, "size": size}
        path.parent.mkdir(parents=True, exist_ok=True)
        write_cache_file(path, _lines_after(orjson.dumps(head), parts))
        others = sorted((p for p in path.parent.glob("day-*.json") if p.name != path.name),
                        key=lambda p: p.stat().st_mtime, reverse=True)
        for old in others[KEEP_FILES - 1:]:  # older days and policies: derived again when wanted
            old.unlink(missing_ok=True)
        return True
    except (OSError, TypeError):
        return False
