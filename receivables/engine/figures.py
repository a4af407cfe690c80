"""The report's figures: AR, current AR and credit sales over time, DSO and friends, the
forecast's weekly sums (the definitions are in :mod:`receivables.report`)."""
from __future__ import annotations

from bisect import bisect_right
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

from .records import DOUBTFUL_DAYS, HUNDRED, WEEKS, ZERO, Figures, Forecast, ForecastWeek, tenth


class Series:
    """One client's credit sales, AR and current AR per currency, as step functions of the date.

    AR(d) = sum of invoice amounts issued by d - settlements by d (each counted from the
    later of its date and the invoice's issue date). Current AR(d) (not yet due) is an
    interval sum: an invoice counts +amount on [issued, due], and a settlement made before
    the due date -amount on [its date, due]. Invoices ever settled below zero (which
    ``dun check`` reports) are kept apart and summed one by one, clamped at zero.
    """

    __slots__ = ("irregular", "sales", "ar", "current", "first_issue", "monthly")

    def __init__(self, invoices, settlements) -> None:
        daily: dict[str, tuple[dict, dict, dict]] = {}  # code -> sales, AR, current AR by day (made into the sums)
        self.irregular: dict[str, list[str]] = {}
        one = timedelta(days=1)
        zero = ZERO
        irregular = self.irregular
        for n, inv in invoices.items():
            cur = inv.currency
            v = daily.get(cur)
            if v is None:
                v = daily[cur] = ({}, {}, {})
            sales, a, c = v
            amount = inv.amount
            issued = inv.issued
            sales[issued] = sales.get(issued, zero) + amount
            ss = settlements.get(n, ())
            if ss:
                running = amount
                for x in ss:
                    running -= x.amount
                    if running < 0:
                        break
                if running < 0:
                    irregular.setdefault(cur, []).append(n)
                    continue
            after_due = inv.due + one
            a[issued] = a.get(issued, zero) + amount
            c[issued] = c.get(issued, zero) + amount
            c[after_due] = c.get(after_due, zero) - amount
            for x in ss:
                when = x.date if x.date > issued else issued
                xa = x.amount
                a[when] = a.get(when, zero) - xa
                if when < after_due:
                    c[when] = c.get(when, zero) - xa
                    c[after_due] = c.get(after_due, zero) + xa
        self.sales, self.ar, self.current, self.first_issue = {}, {}, {}, {}
        self.monthly: dict[str, tuple[list[date], list[Decimal]]] = {}  # code -> month starts, their sales
        for cur, (sales, a, c) in daily.items():
            self.sales[cur] = _prefix(sales)
            self.ar[cur] = _prefix(a)
            self.current[cur] = _prefix(c)
            self.first_issue[cur] = min(sales)
            self.monthly[cur] = _by_month(sales)

    def sales_only(self) -> "Series":
        """These series without AR, current AR and sales by month (most of their size): what
        each date reads once its month's figures are kept (:meth:`ClientIndex.month`)."""
        light = Series.__new__(Series)
        light.sales, light.first_issue = self.sales, self.first_issue
        light.ar = light.current = light.irregular = light.monthly = None
        return light


def _by_month(daily: dict[date, Decimal]) -> tuple[list[date], list[Decimal]]:
    """The sales of ``daily`` summed by month: the months' first days in order, their sums."""
    sums: dict[date, Decimal] = {}
    for d in sorted(daily):
        m = d.replace(day=1)
        sums[m] = sums.get(m, ZERO) + daily[d]
    return list(sums), list(sums.values())


def _prefix(daily: dict[date, Decimal]) -> tuple[list[date], list[Decimal]]:
    days = sorted(daily)
    cum, run = [], ZERO
    for d in days:
        run += daily[d]
        cum.append(run)
    return days, cum


def _upto(series: tuple[list[date], list[Decimal]] | None, d: date) -> Decimal:
    if not series:
        return ZERO
    days, cum = series
    i = bisect_right(days, d)
    return cum[i - 1] if i else ZERO


def ar_on(eng, ser: Series, cur: str, on: date) -> Decimal:
    """AR on ``on``: what invoices issued by then still owe (none counted below zero)."""
    total = _upto(ser.ar.get(cur), on)
    for n in ser.irregular.get(cur, ()):
        inv = eng.book.invoices[n]
        if inv.issued > on:
            continue
        out = inv.amount - sum((s.amount for s in eng.settlements.get(n, ()) if s.date <= on), ZERO)
        if out > 0:
            total += out
    return total


def sales_between(ser: Series, cur: str, start: date, end: date) -> Decimal:
    s = ser.sales.get(cur)
    return _upto(s, end) - _upto(s, start - timedelta(days=1))


def current_ar_on(eng, ser: Series, cur: str, on: date) -> Decimal:
    """AR not yet due on ``on``: invoices issued by then and due on or after it."""
    total = _upto(ser.current.get(cur), on)
    for n in ser.irregular.get(cur, ()):
        inv = eng.book.invoices[n]
        if inv.issued > on or inv.due < on:
            continue
        out = inv.amount - sum((s.amount for s in eng.settlements.get(n, ()) if s.date <= on), ZERO)
        if out > 0:
            total += out
    return total


def month_start(d: date) -> date:
    return d.replace(day=1)


def _prev_month_start(d: date) -> date:
    first = d.replace(day=1)
    return (first - timedelta(days=1)).replace(day=1)


def countback_from(sales, first: date | None, on: date, ar: Decimal) -> Decimal | None:
    """``sales(start, end)``: credit sales from a month's first day to ``end`` in that month."""
    if first is None:
        return None
    if ar <= 0:
        return Decimal("0.0")
    days = ZERO
    end = on
    start = month_start(on)
    while True:
        n = (end - start).days + 1
        s = sales(start, end)
        if s > 0 and ar < s:
            days += ar / s * n
            break
        days += n
        ar -= s if s > 0 else ZERO
        if ar <= 0 or start <= first:
            break
        end = start - timedelta(days=1)
        start = month_start(end)
    return tenth(days)


def cei_start(on: date) -> date:
    """The first day of the three calendar months ending with ``on``'s month."""
    return _prev_month_start(_prev_month_start(on))


def figures(on: date, ar: Decimal, current: Decimal, sales90: Decimal, begin: Decimal, sales: Decimal,
             dso_countback: Decimal | None) -> Figures:
    """The figures from their sums: AR and current AR on the date, credit sales of the 90
    days ending on it, AR at the start of the CEI period and credit sales since."""
    if sales90 > 0:
        dso = tenth(ar / sales90 * 90)
        best = tenth(current / sales90 * 90)
        add = dso - best
    else:
        dso = best = add = None
    den = begin + sales - current
    cei = tenth((begin + sales - ar) / den * HUNDRED) if den > 0 else None
    return Figures(on, ar, current, sales90, dso, best, add, dso_countback, cei)


def month_ends(on: date, count: int = 12) -> list[date]:
    """The ``count - 1`` month-ends before ``on``, oldest first, then ``on`` itself."""
    out = [on]
    d = month_start(on) - timedelta(days=1)
    while len(out) < count:
        out.append(d)
        d = month_start(d) - timedelta(days=1)
    return out[::-1]


@lru_cache(maxsize=64)
def point_dates(on: date) -> tuple[tuple[date, date, date, date], ...]:
    """For each of :func:`month_ends` of ``on``: the month-end, the first of the 90 days
    ending on it, the first day of its CEI period and the day before that (the same for every
    client of a date: worked out once per date)."""
    out = []
    for d in month_ends(on):
        start = cei_start(d)
        out.append((d, d - timedelta(days=89), start, start - timedelta(days=1)))
    return tuple(out)


class ForecastSums:
    """Expected receipts by currency: 13 weekly sums from the date, later, doubtful."""

    def __init__(self, on: date, currencies: list[str]) -> None:
        self.on = on
        self.today = on.toordinal()
        self.weeks: dict[str, list[Decimal]] = {c: [ZERO] * WEEKS for c in currencies}
        self.later: dict[str, Decimal] = {}
        self.doubtful: dict[str, Decimal] = {}

    def put(self, cur: str, when: date, amount: Decimal) -> None:
        """``amount`` expected on ``when`` (in week 1 if that is not after the date)."""
        on = self.on
        k = (when - on).days // 7 if when > on else 0
        self._add(cur, k, amount)

    def expect(self, cur: str, due: int, late: int, amount: Decimal) -> None:
        """An open invoice due on the day ``due`` (an ordinal), paid ``late`` days after."""
        ahead = due + late - self.today  # days from the date to the expected day
        if ahead < -DOUBTFUL_DAYS:
            self.doubtful[cur] = self.doubtful.get(cur, ZERO) + amount
            return
        self._add(cur, ahead // 7 if ahead > 0 else 0, amount)

    def _add(self, cur: str, k: int, amount: Decimal) -> None:
        if k < WEEKS:
            w = self.weeks.get(cur)
            if w is None:
                w = self.weeks[cur] = [ZERO] * WEEKS
            w[k] += amount
        else:
            self.later[cur] = self.later.get(cur, ZERO) + amount

    def merge(self, other: "ForecastSums") -> None:
        for cur, w in other.weeks.items():
            mine = self.weeks.get(cur)
            if mine is None:
                self.weeks[cur] = list(w)
            else:
                for k, x in enumerate(w):
                    mine[k] += x
        for cur, x in other.later.items():
            self.later[cur] = self.later.get(cur, ZERO) + x
        for cur, x in other.doubtful.items():
            self.doubtful[cur] = self.doubtful.get(cur, ZERO) + x

    def forecast(self) -> dict[str, Forecast]:
        on = self.on
        out = {}
        for cur in sorted(self.weeks):
            w = self.weeks[cur]
            out[cur] = Forecast(
                cur,
                tuple(ForecastWeek(on + timedelta(days=7 * k), on + timedelta(days=7 * k + 6), w[k])
                      for k in range(WEEKS)),
                self.later.get(cur, ZERO), self.doubtful.get(cur, ZERO),
            )
        return out


def book_late(lates) -> int:
    """The book's average days late (for clients without history): of the clients with
    open invoices and a history, to whole days."""
    known = [x for x in lates if x is not None]
    return int(tenth(sum(known, ZERO) / len(known)).to_integral_value(ROUND_HALF_UP)) if known else 0
