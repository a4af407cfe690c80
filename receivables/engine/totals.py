"""The report's sums over the clients' parts, and the report made from them.

Every figure of the report that adds up over clients (aging, AR and sales at the month-ends,
credit, the forecast's weeks, promise and activity counts, the book's average lateness and
the invoices expected at it) is a sum of the clients' parts (:class:`~receivables.engine.client.ClientPart`).
:class:`Totals` holds those sums, and what a part adds can be taken away again exactly
(Decimal sums, with counts that say which currencies and dates are present), so the book's
report after a change to a few clients is the last report's totals less those clients' old
parts plus their new ones: :meth:`Totals.adjusted`. The report itself is always made from
totals (:func:`report_from`); :func:`totals_of` sums every part, once, for the first one.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from itertools import chain
from operator import add, sub
from typing import Iterable

from .figures import ForecastSums, book_late, countback_from, figures, month_ends
from .records import ACTIVITY_DAYS, BUCKETS, TOP, ZERO, ClientFigures, CurrencyFigures, PromiseFigures, Report


@dataclass(frozen=True, slots=True)
class Totals:
    """The sums over every client's part of one date (plain frozen data, kept by the derived
    layer beside the report it made)."""

    on: date
    aging: dict  # currency -> outstanding by BUCKETS (of the parts with open invoices)
    counts: dict  # currency -> open invoices (present only while above zero)
    seen: dict  # currency -> how many parts have figures in it
    credit: dict  # currency -> unallocated credit
    points: dict  # currency -> at each month-end: (AR, current AR, sales of 90 days, AR at CEI start, sales since)
    months: dict  # currency -> {first day of a month: credit sales}
    firsts: dict  # currency -> {first issue date of a client: how many clients}
    promises: tuple  # made, kept, broken, open
    activity: dict  # channel -> count
    activity_year: dict  # channel -> count over the 365 days ending on the date
    weeks: dict  # currency -> (13 weekly sums, how many parts have them)
    later: dict  # currency -> sum
    doubtful: dict  # currency -> sum
    late: tuple  # (sum, count) of the average days late of clients with open invoices and a history
    floating: dict  # (currency, due day as an ordinal) -> (outstanding, how many invoices)

    def adjusted(self, minus: Iterable, plus: Iterable) -> "Totals":
        """These totals less the parts ``minus`` plus the parts ``plus`` (one client's old part
        and its new one, for every client that changed)."""
        acc = _Acc.of(self)
        for p in minus:
            acc.add(p, -1)
        for p in plus:
            acc.add(p, 1)
        return acc.frozen()


def totals_of(parts: Iterable, on: date, base: "MonthSums | None" = None) -> Totals:
    """The sums of ``parts`` (every client's part of ``on``). ``base``: :func:`month_sums` of
    the totals of the same clients on a date of ``on``'s month, whose month figures are those
    of ``on`` (each client's index keeps them per month): they are not added again."""
    acc = _Acc(on, base)
    for p in parts:
        acc.add(p, 1)
    return acc.frozen()


class MonthSums:
    """What every client's part holds that is the same on each date of a month, summed: each
    currency's month-end points before the month and its sales of whole months before it (of
    the currencies a client has invoices in: every date's part holds those)."""

    __slots__ = ("month", "points", "months")

    def __init__(self, month: date, points: dict[str, list[Decimal]], months: dict[str, dict[date, Decimal]]):
        self.month, self.points, self.months = month, points, months


def month_sums(t: Totals) -> MonthSums:
    """The :class:`MonthSums` of the parts ``t`` sums (every client's of ``t.on``), for that
    date's month: its month-end points before the date's and its whole months' sales."""
    month = t.on.replace(day=1)
    return MonthSums(month, {c: list(chain.from_iterable(t.points[c][:-1])) for c in t.firsts},
                     {c: {m: x for m, x in t.months.get(c, {}).items() if m < month} for c in t.firsts})


_POINT = 5  # sums at each point: AR, current AR, sales of 90 days, AR at CEI start, sales since


def _bump(d: dict, key, value, sign: int) -> None:
    """``d[key] += sign * value``; a count that reaches zero is removed."""
    got = d.get(key)
    if got is None:
        d[key] = value if sign > 0 else -value
    elif sign > 0:
        d[key] = got + value
    else:
        got -= value
        if got or not isinstance(got, int):
            d[key] = got
        else:
            del d[key]


class _Acc:
    """The mutable sums :class:`Totals` is frozen from."""

    __slots__ = ("on", "base", "aging", "counts", "seen", "credit", "points", "months", "firsts", "promises",
                 "activity", "activity_year", "weeks", "later", "doubtful", "late", "floating")

    def __init__(self, on: date, base: MonthSums | None = None) -> None:
        self.on = on
        # (with a base: its month's figures are in from the start, and each part adds the rest)
        self.base = base
        self.aging: dict[str, list[Decimal]] = {}
        self.counts: dict[str, int] = {}
        self.seen: dict[str, int] = {}
        self.credit: dict[str, Decimal] = {}
        self.points: dict[str, list[Decimal]] = {}  # (each point's _POINT sums, one after another)
        self.months: dict[str, dict[date, Decimal]] = {}
        self.firsts: dict[str, dict[date, int]] = {}
        self.promises = [0, 0, 0, 0]
        self.activity: dict[str, int] = {}
        self.activity_year: dict[str, int] = {}
        self.weeks: dict[str, list] = {}  # currency -> [13 sums, count]
        self.later: dict[str, Decimal] = {}
        self.doubtful: dict[str, Decimal] = {}
        self.late = [ZERO, 0]
        self.floating: dict[tuple[str, int], list] = {}  # -> [sum, count]
        if base is not None:
            if base.month != on.replace(day=1):
                raise ValueError("the month's sums of another month")
            self.points = {c: v + [ZERO] * _POINT for c, v in base.points.items()}
            self.months = {c: dict(v) for c, v in base.months.items()}

    @classmethod
    def of(cls, t: Totals) -> "_Acc":
        acc = cls(t.on)
        acc.aging = {c: list(v) for c, v in t.aging.items()}
        acc.counts = dict(t.counts)
        acc.seen = dict(t.seen)
        acc.credit = dict(t.credit)
        acc.points = {c: list(chain.from_iterable(v)) for c, v in t.points.items()}
        acc.months = {c: dict(v) for c, v in t.months.items()}
        acc.firsts = {c: dict(v) for c, v in t.firsts.items()}
        acc.promises = list(t.promises)
        acc.activity = dict(t.activity)
        acc.activity_year = dict(t.activity_year)
        acc.weeks = {c: [list(w), n] for c, (w, n) in t.weeks.items()}
        acc.later = dict(t.later)
        acc.doubtful = dict(t.doubtful)
        acc.late = list(t.late)
        acc.floating = {k: list(v) for k, v in t.floating.items()}
        return acc

    def add(self, p, sign: int) -> None:
        """Add the part ``p`` (``sign`` 1) or take it away (-1)."""
        op = add if sign > 0 else sub
        for cur, cp in p.currencies.items():
            if cp.count:
                a = self.aging.get(cur)
                if a is None:
                    self.aging[cur] = [x if sign > 0 else -x for x in cp.aging]
                else:
                    self.aging[cur] = list(map(op, a, cp.aging))
                _bump(self.counts, cur, cp.count, sign)
                if cur not in self.counts:
                    del self.aging[cur]
            self.credit[cur] = self.credit.get(cur, ZERO) + (cp.credit if sign > 0 else -cp.credit)
            base = self.base is not None and cp.first_issue is not None  # (its month's figures are in)
            pts = self.points.get(cur)
            if base:
                pts[-_POINT:] = map(op, pts[-_POINT:], cp.points[-1])
            else:
                if pts is None:
                    pts = [ZERO] * (len(cp.points) * _POINT)
                self.points[cur] = list(map(op, pts, chain.from_iterable(cp.points)))
            _bump(self.seen, cur, 1, sign)
            if cur not in self.seen:
                del self.points[cur]
            if cp.first_issue is not None:
                ms = self.months.setdefault(cur, {})
                get = ms.get
                if base:
                    m = self.base.month
                    x = cp.months.get(m)
                    if x is not None:
                        ms[m] = op(get(m, ZERO), x)
                else:
                    for m, x in cp.months.items():
                        ms[m] = op(get(m, ZERO), x)
                _bump(self.firsts.setdefault(cur, {}), cp.first_issue, 1, sign)
                if not self.firsts[cur]:
                    del self.firsts[cur]
                    del self.months[cur]
        self.promises = list(map(op, self.promises, p.promises))
        for counts, part in ((self.activity, p.activity), (self.activity_year, p.activity_year)):
            if sign > 0:
                get = counts.get
                for channel, n in part.items():
                    counts[channel] = get(channel, 0) + n
            else:
                for channel, n in part.items():
                    _bump(counts, channel, n, sign)
        f = p.forecast
        for cur, w in f.weeks.items():
            mine = self.weeks.get(cur)
            if mine is None:
                mine = self.weeks[cur] = [[ZERO] * len(w), 0]
            mine[0] = list(map(op, mine[0], w))
            mine[1] += sign
            if not mine[1]:
                del self.weeks[cur]
        for cur, x in f.later.items():
            self.later[cur] = self.later.get(cur, ZERO) + (x if sign > 0 else -x)
        for cur, x in f.doubtful.items():
            self.doubtful[cur] = self.doubtful.get(cur, ZERO) + (x if sign > 0 else -x)
        if p.open and p.late is not None:
            self.late[0] += p.late if sign > 0 else -p.late
            self.late[1] += sign
        for cur, due, amount in p.floating:
            got = self.floating.get((cur, due))
            if got is None:
                got = self.floating[(cur, due)] = [ZERO, 0]
            got[0] += amount if sign > 0 else -amount
            got[1] += sign
            if not got[1]:
                del self.floating[(cur, due)]

    def frozen(self) -> Totals:
        """The sums in one form whatever order the parts came and went in: keys sorted, a zero
        sum as ``ZERO`` (``0.00 - 0.00`` and ``0`` are one sum), and no entry for a zero sum
        that is only ever read with zero as its default."""
        return Totals(self.on, {c: _zeros(v) for c, v in sorted(self.aging.items())}, dict(sorted(self.counts.items())),
                      dict(sorted(self.seen.items())), _nonzero(self.credit),
                      {c: tuple(_zeros(v[k:k + _POINT]) for k in range(0, len(v), _POINT))
                       for c, v in sorted(self.points.items())},
                      {c: _nonzero(v) for c, v in sorted(self.months.items())},
                      {c: dict(sorted(v.items())) for c, v in sorted(self.firsts.items())}, tuple(self.promises),
                      dict(sorted(self.activity.items())), dict(sorted(self.activity_year.items())),
                      {c: (_zeros(w), n) for c, (w, n) in sorted(self.weeks.items())},
                      _nonzero(self.later), _nonzero(self.doubtful), (self.late[0] or ZERO, self.late[1]),
                      {k: (v[0] or ZERO, v[1]) for k, v in sorted(self.floating.items())})


def _zeros(values) -> tuple:
    return tuple(x or ZERO for x in values)


def _nonzero(sums: dict) -> dict:
    return {k: v for k, v in sorted(sums.items()) if v}


def report_from(t: Totals, rows: Iterable[ClientFigures], lists: Iterable[tuple]) -> Report:
    """The report of ``t.on`` from its totals, every client's rows and every client's lists
    (escalations, hold, disputes, plan) in client id order."""
    on = t.on
    dates = month_ends(on)
    currencies_seen = sorted(set(t.aging) | set(t.firsts) | {c for c, v in t.credit.items() if v})
    currencies: dict[str, CurrencyFigures] = {}
    trend: dict[str, tuple] = {}
    for cur in currencies_seen:
        a = list(t.aging.get(cur) or [ZERO] * len(BUCKETS))
        ms = t.months.get(cur, {})
        firsts = t.firsts.get(cur)
        first = min(firsts) if firsts else None

        def sales(start: date, end: date, ms=ms) -> Decimal:
            return ms.get(start, ZERO)

        pts = t.points.get(cur) or [[ZERO] * 5 for _ in dates]
        figs = []
        for d, (ar, current, sales90, begin, since) in zip(dates, pts):
            if d == on:
                ar, current = sum(a, ZERO), a[0]
            figs.append(figures(d, ar, current, sales90, begin, since, countback_from(sales, first, d, ar)))
        f = figs[-1]
        currencies[cur] = CurrencyFigures(cur, dict(zip(BUCKETS, a)), f.total, f.total - a[0], t.credit.get(cur, ZERO),
                                          f.sales_90d, f.dso, f.best_possible_dso, f.add, f.dso_countback, f.cei,
                                          t.counts.get(cur, 0))
        trend[cur] = tuple(figs)
    acc = ForecastSums(on, currencies_seen)
    for cur, (w, _) in t.weeks.items():
        mine = acc.weeks.setdefault(cur, [ZERO] * len(w))
        for k, x in enumerate(w):
            mine[k] += x
    acc.later, acc.doubtful = dict(t.later), dict(t.doubtful)
    total, n = t.late
    late = book_late([total / n] if n else [])
    for (cur, due), (amount, _) in t.floating.items():
        acc.expect(cur, due, late, amount)
    return _assemble(on, currencies, trend, list(rows), acc, lists, t.promises, t.activity)


def _assemble(on: date, currencies: dict, trend: dict, clients: list, acc: ForecastSums, lists: Iterable[tuple],
              promises: tuple, activity: dict) -> Report:
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
