"""The book's day: every client's day folded into the agenda and the report.

:func:`fold` is the one way the book's answers are made; :func:`group_by_client` splits a
book into the per-client records :func:`~receivables.engine.client.derive_client` takes;
:func:`derivation` keeps the last book's derivation while it is asked about (the domain's
functions that take a whole book are thin wrappers over it).
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from operator import attrgetter
from typing import Mapping

from ..ledger import BookIndex, Ledger, index_book
from ..model import Book
from ..policy import Policy
from .client import ClientDay, client_day_state, derive_client
from .day import Day
from .figures import ForecastSums, book_late, countback_from, figures, month_ends
from .ladder import sort_key
from .records import (ACTIVITY_DAYS, BUCKETS, TOP, ZERO, Action, ClientFigures, CurrencyFigures, Figures,
                      PromiseFigures, Report, quiet_gc)

RECORDS = ("payments", "adjustments", "activities", "promises", "plans", "disputes")


@dataclass(frozen=True, slots=True)
class BookDay:
    """The book on one date: every client's day, the agenda and the report."""

    on: date
    clients: Mapping[str, ClientDay]  # by client id
    agenda: tuple[Action, ...]  # most urgent first
    report: Report
    contexts: tuple[dict | None, ...] = ()  # each agenda action's message context, in agenda order


def fold(client_days: Mapping[str, ClientDay], on: date) -> BookDay:
    """The book's day from every client's day of ``on``."""
    pairs = [(a, c) for d in client_days.values() for a, c in zip(d.actions, d.contexts or (None,) * len(d.actions))]
    pairs.sort(key=lambda p: sort_key(p[0]))
    return BookDay(on, client_days, tuple(a for a, _ in pairs), report_of({c: d.part for c, d in client_days.items()}, on),
                   tuple(c for _, c in pairs))


def group_by_client(book: Book) -> dict[str, Book]:
    """Each client's records (a :class:`Book` of one client, records in book order), for
    every client of the book; records of no known client are left out."""
    groups: dict[str, dict] = {cid: {"invoices": {}} for cid in book.clients}
    for number, inv in book.invoices.items():
        g = groups.get(inv.client)
        if g is not None:
            g["invoices"][number] = inv
    client_of = attrgetter("client")
    for name in RECORDS:
        for r in getattr(book, name):
            g = groups.get(client_of(r))
            if g is not None:
                got = g.get(name)
                if got is None:
                    g[name] = [r]
                else:
                    got.append(r)
    return {cid: Book(clients={cid: c}, invoices=groups[cid]["invoices"],
                      **{name: tuple(groups[cid].get(name, ())) for name in RECORDS}, partial=True)
            for cid, c in book.clients.items()}


class Derivation:
    """One book's days on one date under one policy, worked out when asked for."""

    __slots__ = ("book", "policy", "on", "_groups", "_days", "_states", "_folded", "_index")

    def __init__(self, book: Book, policy: Policy, on: date, index: BookIndex | None = None) -> None:
        self.book, self.policy, self.on = book, policy, on
        self._groups: dict[str, Book] | None = None
        self._days: dict[str, ClientDay] = {}
        self._states: dict[str, Day] = {}
        self._folded: BookDay | None = None
        self._index = index

    def records(self, cid: str) -> Book:
        if self._groups is None:
            self._groups = group_by_client(self.book)
        got = self._groups.get(cid)
        return got if got is not None else self.book.only(cid)

    def client(self, cid: str) -> ClientDay:
        got = self._days.get(cid)
        if got is None:
            with quiet_gc():
                got = self._days[cid] = derive_client(self.records(cid), self.policy, self.on, cid)
        return got

    def state(self, cid: str) -> Day:
        """The working state of one client (what a message's context is read from)."""
        got = self._states.get(cid)
        if got is None:
            got = self._states[cid] = client_day_state(self.records(cid), self.policy, self.on)
        return got

    def day(self) -> BookDay:
        if self._folded is None:
            with quiet_gc():
                self._folded = fold({cid: self.client(cid) for cid in self.book.clients}, self.on)
        return self._folded

    def index(self) -> BookIndex:
        if self._index is None:
            self._index = index_book(self.book)
        return self._index


_LAST: list = [None]


def adopt(book: Book, policy: Policy, on: date, book_day: BookDay, index: BookIndex | None = None) -> Derivation:
    """Make ``book_day`` (worked out elsewhere from this very book, e.g. read through the
    derived layer, which checked it against the store) the derivation the wrappers answer from."""
    got = Derivation(book, policy, on, index)
    got._days = dict(book_day.clients)
    got._folded = book_day
    _LAST[0] = got
    return got


def derivation(book_or_index: Book | BookIndex | Ledger, policy: Policy, on: date) -> Derivation:
    """The derivation of a book (or of an index's or a ledger's book): the last one made is
    kept while the same book, policy and date are asked about."""
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
    got = _LAST[0] = Derivation(book, policy, on, index)
    return got


def report_of(parts, on: date) -> Report:
    """The report of ``on`` from every client's part (a mapping of client id to
    :class:`~receivables.engine.client.ClientPart`)."""
    aging: dict[str, list[Decimal]] = {}
    counts: Counter = Counter()
    credit: dict[str, Decimal] = {}
    points: dict[str, list[list[Decimal]]] = {}
    months: dict[str, dict[date, Decimal]] = {}
    first: dict[str, date] = {}
    clients: list[ClientFigures] = []
    promises = [0, 0, 0, 0]
    activity: Counter = Counter()
    dates = month_ends(on)
    for p in parts.values():
        for cur, cp in p.currencies.items():
            if cp.count:
                a = aging.get(cur)
                if a is None:
                    aging[cur] = list(cp.aging)
                else:
                    for k, x in enumerate(cp.aging):
                        a[k] += x
                counts[cur] += cp.count
            credit[cur] = credit.get(cur, ZERO) + cp.credit
            pts = points.get(cur)
            if pts is None:
                points[cur] = [list(x) for x in cp.points]
            else:
                for mine, x in zip(pts, cp.points):
                    for k, v in enumerate(x):
                        mine[k] += v
            if cp.first_issue is not None:
                ms = months.setdefault(cur, {})
                for m, x in cp.months.items():
                    ms[m] = ms.get(m, ZERO) + x
                if cur not in first or cp.first_issue < first[cur]:
                    first[cur] = cp.first_issue
        clients.extend(p.rows)
        for k in range(4):
            promises[k] += p.promises[k]
        activity.update(p.activity)
    currencies_seen = sorted(set(aging) | set(first) | {c for c, v in credit.items() if v})
    currencies: dict[str, CurrencyFigures] = {}
    trend: dict[str, tuple[Figures, ...]] = {}
    for cur in currencies_seen:
        a = aging.get(cur) or [ZERO] * len(BUCKETS)
        ms = months.get(cur, {})

        def sales(start: date, end: date, ms=ms) -> Decimal:
            return ms.get(start, ZERO)

        pts = points.get(cur) or [[ZERO] * 5 for _ in dates]
        figs = []
        for d, (ar, current, sales90, begin, since) in zip(dates, pts):
            if d == on:
                ar, current = sum(a, ZERO), a[0]
            figs.append(figures(d, ar, current, sales90, begin, since, countback_from(sales, first.get(cur), d, ar)))
        currencies[cur] = _currency_figures(cur, a, credit.get(cur, ZERO), figs[-1], counts[cur])
        trend[cur] = tuple(figs)
    acc = ForecastSums(on, currencies_seen)
    for p in parts.values():
        acc.merge(p.forecast)
    late = book_late(p.late for p in parts.values() if p.open)
    for p in parts.values():
        for cur, due, amount in p.floating:
            acc.expect(cur, due, late, amount)
    lists = [parts[cid].lists for cid in sorted(parts)]
    return _assemble(on, currencies, trend, clients, acc, lists, promises, activity)


def _currency_figures(cur: str, a: list[Decimal], credit: Decimal, f: Figures, count: int) -> CurrencyFigures:
    total = f.total
    return CurrencyFigures(cur, dict(zip(BUCKETS, a)), total, total - a[0], credit, f.sales_90d, f.dso,
                           f.best_possible_dso, f.add, f.dso_countback, f.cei, count)


def _assemble(on: date, currencies: dict, trend: dict, clients: list, acc: ForecastSums, lists: list,
              promises: list[int], activity: Counter) -> Report:
    """The report from its sums and its per-client pieces (``lists`` in client order)."""
    clients.sort(key=lambda c: (c.currency, -c.balance, c.client))
    top: dict[str, list[ClientFigures]] = {}
    for c in clients:
        if c.balance > 0:
            lst = top.setdefault(c.currency, [])
            if len(lst) < TOP:
                lst.append(c)
    escalations, holds, disputes, plans = [], [], [], []
    for esc, hold, disp, plan in lists:
        escalations.extend(esc)
        if hold is not None:
            holds.append(hold)
        disputes.extend(disp)
        if plan is not None:
            plans.append(plan)
    made, kept, broken, open_n = promises
    # sequences as tuples: plain frozen data, equal to what the derived layer reads back
    return Report(on, currencies, tuple(clients), acc.forecast(), trend, {c: tuple(x) for c, x in top.items()},
                  tuple(escalations), tuple(holds), tuple(disputes), tuple(plans),
                  PromiseFigures(made, kept, broken, open_n), dict(sorted(activity.items())),
                  on - timedelta(days=ACTIVITY_DAYS - 1))
