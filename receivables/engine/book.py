"""The book's day: every client's day folded into the agenda and the report.

:func:`fold` is the one way the book's answers are made; :func:`group_by_client` splits a
book into the per-client records :func:`~receivables.engine.client.derive_client` takes;
:func:`derivation` keeps the last book's derivation while it is asked about (the domain's
functions that take a whole book are thin wrappers over it).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from operator import attrgetter
from typing import Iterable, Mapping

from ..errors import DunError
from ..ledger import BookIndex, Ledger, index_book
from ..model import Book, singular
from ..policy import Policy
from .client import (ClientDay, ClientDue, PendingDue, begin_client, client_day_state, client_index, finish_client,
                     start_client)
from .day import Day
from .index import ClientIndex
from .ladder import sort_key
from .records import Action, Report, quiet_gc
from .totals import MonthSums, Totals, month_sums, report_from, totals_of

RECORDS = ("payments", "adjustments", "activities", "promises", "plans", "disputes")


@dataclass(frozen=True, slots=True)
class BookDay:
    """The book on one date: every client's day, the agenda and the report."""

    on: date
    clients: Mapping[str, ClientDay]  # by client id
    agenda: tuple[Action, ...]  # most urgent first
    report: Report
    contexts: tuple[dict | None, ...] = ()  # each agenda action's message context, in agenda order
    # the report's sums (what a change takes a client's old part from: :func:`refold`); the
    # day is its agenda and report, so they are left out of its equality (tests compare them
    # on their own: tests/test_engine_refold.py)
    totals: Totals | None = field(default=None, compare=False)


def fold(client_days: Mapping[str, ClientDay], on: date, base: MonthSums | None = None) -> BookDay:
    """The book's day from every client's day of ``on`` (``base``: as for
    :func:`~receivables.engine.totals.totals_of`)."""
    pairs = agenda_pairs(client_days.values())
    parts = {c: d.part for c, d in client_days.items()}
    totals = totals_of(parts.values(), on, base)
    return BookDay(on, client_days, tuple(a for a, _ in pairs), _report(totals, parts), tuple(c for _, c in pairs),
                   totals)


def refold(base: BookDay, old: Mapping[str, ClientDay], client_days: Mapping[str, ClientDay],
           changed: Iterable[str]) -> BookDay:
    """The book's day after a change, from ``base`` (the day folded before it, with its totals):
    ``changed`` are the clients whose day is not the one ``base`` was folded from (changed,
    new or gone), ``old`` their days in ``base`` (a new client has none) and ``client_days``
    every client's day now. Equal to ``fold(client_days, base.on)``; reads only the changed
    clients' days."""
    changed = set(changed)
    if base.totals is None or any(cid not in old and cid not in client_days for cid in changed):
        raise ValueError("not a day this change can be folded into")
    on = base.on
    new = {cid: client_days[cid] for cid in changed if cid in client_days}
    pairs = [p for p in zip(base.agenda, base.contexts or (None,) * len(base.agenda)) if p[0].client not in changed]
    for d in new.values():
        pairs.extend(_pairs(d))
    pairs.sort(key=_pair_key)
    totals = base.totals.adjusted((old[cid].part for cid in changed if cid in old), (d.part for d in new.values()))
    r = base.report
    rows = [c for c in r.clients if c.client not in changed]
    for d in new.values():
        rows.extend(d.part.rows)
    lists = _lists_by_client(r, changed)
    lists.update((cid, d.part.lists) for cid, d in new.items())
    report = report_from(totals, rows, [lists[cid] for cid in sorted(lists)])
    return BookDay(on, client_days, tuple(a for a, _ in pairs), report, tuple(c for _, c in pairs), totals)


def agenda_pairs(days: Iterable[ClientDay | ClientDue]) -> list[tuple[Action, dict | None]]:
    """Every action of ``days`` with its message context, in the agenda's order (most urgent
    first)."""
    pairs = [p for d in days for p in _pairs(d)]
    pairs.sort(key=_pair_key)
    return pairs


def _pairs(d: ClientDay | ClientDue):
    return zip(d.actions, d.contexts or (None,) * len(d.actions))


def _pair_key(p):
    return sort_key(p[0])


def _lists_by_client(r: Report, leave_out: set[str]) -> dict[str, tuple]:
    """Each client's (escalations, hold, disputes, plan) in ``r``, but those of ``leave_out``
    (a client with none of them has no entry: it adds nothing)."""
    got: dict[str, list] = {}
    # the lists (slots 0, 2) hold many items per client, holds and plans (1, 3) one
    for slot, items in enumerate((r.escalations, r.holds, r.disputes, r.plans)):
        for x in items:
            if x.client not in leave_out:
                entry = got.setdefault(x.client, [[], None, [], None])
                if slot % 2:
                    entry[slot] = x
                else:
                    entry[slot].append(x)
    return {cid: (tuple(e), h, tuple(d), p) for cid, (e, h, d, p) in got.items()}


def group_by_client(book: Book) -> dict[str, Book]:
    """Each client's records (a :class:`Book` of one client, records in book order), for
    every client of the book. A record of no client in the book (the store never writes one:
    a hand-edited book) is refused: left out, its amounts went missing from every figure
    while the command said nothing; ``dun check`` names each such record."""
    groups: dict[str, dict] = {cid: {"invoices": {}} for cid in book.clients}
    for number, inv in book.invoices.items():
        g = groups.get(inv.client)
        if g is None:
            _no_client("invoice", number, inv.client)
        g["invoices"][number] = inv
    client_of = attrgetter("client")
    for name in RECORDS:
        for r in getattr(book, name):
            g = groups.get(client_of(r))
            if g is None:
                _no_client(singular(name), getattr(r, "id", ""), client_of(r))
            got = g.get(name)
            if got is None:
                g[name] = [r]
            else:
                got.append(r)
    return {cid: Book(clients={cid: c}, invoices=groups[cid]["invoices"],
                      **{name: tuple(groups[cid].get(name, ())) for name in RECORDS}, partial=True)
            for cid, c in book.clients.items()}


def refuse_strays(book: Book) -> None:
    """Refuse a book holding a record of no client in it (for a small book whose clients are
    worked out one at a time, from their own records): :func:`group_by_client`'s check."""
    group_by_client(book)


def _no_client(kind: str, key: str, client: object) -> None:
    raise DunError(f"{kind} {key} belongs to client {client!r:.40}, which is not in the book", "book",
                   "run 'dun check' to see every such record, or restore a backup with 'dun restore'")


class Derivation:
    """One book's days on one date under one policy, worked out when asked for.

    Each client's records and its date-independent index (:func:`client_index`) depend on
    the book alone: a derivation of the same book for another date or policy (see
    :func:`derivation`) shares them, so a new date works out only what depends on it."""

    __slots__ = ("book", "policy", "on", "_groups", "_indexes", "_sums", "_days", "_states", "_folded", "_index")

    def __init__(self, book: Book, policy: Policy, on: date, index: BookIndex | None = None,
                 same_book: "Derivation | None" = None) -> None:
        self.book, self.policy, self.on = book, policy, on
        self._groups: dict[str, Book] | None = None
        self._indexes: dict[str, ClientIndex] = {}
        # by month: the sums of what every client's day holds that is the same on each date
        # of it (its clients' indexes keep those: the same for every derivation sharing them)
        self._sums: dict[date, MonthSums] = {}
        if same_book is not None:
            if same_book.book is not book:
                raise ValueError("a derivation shares its records only with one of the same book")
            self._groups, self._indexes, self._sums = same_book._groups, same_book._indexes, same_book._sums
        self._days: dict[str, ClientDay] = {}
        self._states: dict[str, Day] = {}
        self._folded: BookDay | None = None
        self._index = index

    def records(self, cid: str) -> Book:
        if self._groups is None:
            self._groups = group_by_client(self.book)
        got = self._groups.get(cid)
        return got if got is not None else self.book.only(cid)

    def client_index(self, cid: str) -> ClientIndex:
        """The client's date-independent lookups (kept for every date of this book)."""
        got = self._indexes.get(cid)
        if got is None:
            got = self._indexes[cid] = client_index(self.records(cid))
        return got

    def start(self, cid: str) -> tuple[Day, ClientDue]:
        """:func:`~receivables.engine.client.start_client` of one client."""
        return start_client(self.records(cid), self.policy, self.on, cid, self.client_index(cid))

    def begin(self, cid: str) -> PendingDue:
        """:func:`~receivables.engine.client.begin_client` of one client."""
        return begin_client(self.records(cid), self.policy, self.on, cid, self.client_index(cid))

    def client(self, cid: str) -> ClientDay:
        got = self._days.get(cid)
        if got is None:
            with quiet_gc():
                got = self._derive(cid)
        return got

    def _derive(self, cid: str) -> ClientDay:
        got = self._days[cid] = finish_client(*self.start(cid))
        return got

    def state(self, cid: str) -> Day:
        """The working state of one client (what a message's context is read from)."""
        got = self._states.get(cid)
        if got is None:
            got = self._states[cid] = client_day_state(self.records(cid), self.policy, self.on,
                                                       self.client_index(cid))
        return got

    def day(self) -> BookDay:
        if self._folded is None:
            # (a whole book's day is many objects that make no cycles, kept while it is asked
            # about: hidden from the collector, it is not walked when the collector next runs)
            with quiet_gc(keep=True):
                kept = self._days
                days = {cid: kept.get(cid) or self._derive(cid) for cid in self.book.clients}
                month = self.on.replace(day=1)
                base = self._sums.get(month)
                self._folded = fold(days, self.on, base)
                if base is None:  # (the month's first fold adds everything: its sums are read off it)
                    self._sums[month] = month_sums(self._folded.totals)
        return self._folded

    def index(self) -> BookIndex:
        if self._index is None:
            self._index = index_book(self.book)
        return self._index


_LAST: list = [None]


def derivation(book_or_index: Book | BookIndex | Ledger, policy: Policy, on: date) -> Derivation:
    """The derivation of a book (or of an index's or a ledger's book): the last one made is
    kept while the same book, policy and date are asked about, and its clients' records and
    indexes while the same book is (another date or policy shares them)."""
    index = None
    if isinstance(book_or_index, Ledger):
        index = book_or_index.index
    elif isinstance(book_or_index, BookIndex):
        index = book_or_index
    book = index.book if index is not None else book_or_index
    last = _LAST[0]
    if last is not None and last.book is book and last.on == on and (last.policy is policy or last.policy == policy):
        if last._index is None and index is not None:
            last._index = index
        return last
    got = _LAST[0] = Derivation(book, policy, on, index, last if last is not None and last.book is book else None)
    return got


def report_of(parts, on: date) -> Report:
    """The report of ``on`` from every client's part (a mapping of client id to
    :class:`~receivables.engine.client.ClientPart`)."""
    return _report(totals_of(parts.values(), on), parts)


def _report(totals: Totals, parts) -> Report:
    return report_from(totals, (r for p in parts.values() for r in p.rows), [parts[cid].lists for cid in sorted(parts)])
