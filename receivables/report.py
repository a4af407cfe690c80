"""The numbers: aging, DSO and friends, per-client figures, the 13-week forecast, the trend.

Compute first, render second (as Fava does): :func:`build_report` returns plain frozen
dataclasses that the CLI, the TUI and publishing all render; :func:`report_to_json` is
the ``dun report --json`` document. Every figure is per currency; nothing is converted.

Definitions (the README repeats them). "AR" is what invoices still owe (unallocated
client credit is shown apart, as ``credit``); "credit sales" are the amounts of invoices
issued; a period "ending on" a date includes that date.

- ``aging``: outstanding by days past due on the date: ``current`` (not yet due, or due
  that day), ``1-30``, ``31-60``, ``61-90``, ``91-120``, ``120+``; ``total``, ``overdue``.
- ``dso`` = AR / credit sales of the 90 days ending on the date x 90;
  ``best_possible_dso`` = current AR / the same sales x 90; ``add`` = dso - best_possible_dso
  (of the rounded figures, so the three always add up). No sales in the 90 days: null.
- ``dso_countback``: from the date's month (counted to the date) backwards, each calendar
  month's credit sales are taken from AR, adding the month's days, while AR covers them;
  then the fraction AR / that month's sales of its days. Months without sales add their
  days. If AR outlasts the whole history the days counted so far are given.
- ``cei`` = (AR at the start + credit sales - AR at the end) / (AR at the start + credit
  sales - current AR at the end) x 100 over the three calendar months ending with the
  date's month (counted to the date); "AR at the start" is AR at the end of the day before.
- Per client: balance (open invoices less unallocated credit), overdue, oldest days
  overdue; over the invoices settled in the 365 days ending on the date, the average days
  to pay (settled - issued) and days late (settled - due, early counts as 0); *worsening*
  when the invoices settled in the last 91 days average at least 7 days, and at least
  half as much again, later than those settled in the 9 months before, and at least 10
  days late (three or more on each side), or
  when a client who paid within 15 days late on average (3+ invoices) now has an invoice
  overdue by more than twice that plus 14 days (at least 30); promises kept rate (kept / (kept + broken), promises made in the
  365 days); risk 0-100 with its reasons (receivables.agenda.Risk).
- ``forecast``: 13 weeks from the date (week 1 = the date and the 6 days after it). Each
  open invoice that is not disputed, handed over, in a plan or under an open promise is
  expected on its due date plus the client's own average days late (clients without
  history: the book's average); if that day has passed it is expected in week 1, unless it
  is more than 90 days past it (then ``doubtful``). Open promises are expected on their date
  for what is still to pay (at most what their invoices owe); active plans on each unmet
  installment's date. Beyond week 13: ``later``.
- ``trend``: the figures at the 11 month-ends before the date and on the date itself.

JSON: money is a decimal string with the currency's decimals; day figures (dso,
best_possible_dso, add, dso_countback, averages) and percentages (cei, kept rate) are
decimal strings with one decimal (``"42.3"``); whole-day counts (oldest days overdue) are
integers; a figure that cannot be computed (nothing to divide by) is ``null``; dates are
``YYYY-MM-DD``.
"""
from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from . import agenda as _agenda
from .agenda import Risk, _in_date_order, day, quiet_gc
from .ledger import BookIndex, Ledger
from .model import Book
from .money import to_text
from .policy import Policy

ZERO = Decimal(0)
HUNDRED = Decimal(100)
TENTH = Decimal("0.1")
BUCKETS = ("current", "1-30", "31-60", "61-90", "91-120", "120+")
WEEKS = 13
TOP = 10
DOUBTFUL_DAYS = 90
ACTIVITY_DAYS = 30


def bucket_of(days_overdue: int) -> str:
    if days_overdue <= 0:
        return "current"
    if days_overdue <= 30:
        return "1-30"
    if days_overdue <= 60:
        return "31-60"
    if days_overdue <= 90:
        return "61-90"
    if days_overdue <= 120:
        return "91-120"
    return "120+"


def _tenth(x: Decimal) -> Decimal:
    return x.quantize(TENTH, rounding=ROUND_HALF_UP)


# ---------------------------------------------------------------------------------------
# records


@dataclass(frozen=True, slots=True)
class Figures:
    """DSO and friends for one currency on one date."""

    date: date
    total: Decimal  # AR
    current: Decimal  # AR not yet due
    sales_90d: Decimal
    dso: Decimal | None
    best_possible_dso: Decimal | None
    add: Decimal | None
    dso_countback: Decimal | None
    cei: Decimal | None

    @property
    def overdue(self) -> Decimal:
        return self.total - self.current


@dataclass(frozen=True, slots=True)
class CurrencyFigures:
    currency: str
    aging: dict  # bucket -> Decimal, in BUCKETS order
    total: Decimal
    overdue: Decimal
    credit: Decimal  # unallocated client credit
    sales_90d: Decimal
    dso: Decimal | None
    best_possible_dso: Decimal | None
    add: Decimal | None
    dso_countback: Decimal | None
    cei: Decimal | None
    open_invoices: int


@dataclass(frozen=True, slots=True)
class ClientFigures:
    client: str
    name: str
    currency: str
    balance: Decimal
    open_amount: Decimal
    overdue: Decimal
    open_invoices: int
    oldest_days_overdue: int
    avg_days_to_pay: Decimal | None
    avg_days_late: Decimal | None
    worsening: bool
    promises_kept_rate: Decimal | None
    risk: int
    risk_reasons: tuple[str, ...]
    hold: bool
    hold_reason: str
    over_credit_limit: bool
    credit_limit: Decimal | None
    handed_over: int  # open invoices handed over
    disputes: int


@dataclass(frozen=True, slots=True)
class ForecastWeek:
    start: date
    end: date
    amount: Decimal


@dataclass(frozen=True, slots=True)
class Forecast:
    currency: str
    weeks: tuple[ForecastWeek, ...]
    later: Decimal
    doubtful: Decimal

    @property
    def total(self) -> Decimal:
        return sum((w.amount for w in self.weeks), ZERO)


@dataclass(frozen=True, slots=True)
class Escalation:
    client: str
    name: str
    invoice: str
    to: str  # "agency" | "legal"
    outstanding: Decimal
    currency: str


@dataclass(frozen=True, slots=True)
class Hold:
    client: str
    name: str
    reason: str


@dataclass(frozen=True, slots=True)
class DisputeLine:
    id: str
    client: str
    name: str
    invoice: str
    reason: str
    opened: date
    outstanding: Decimal
    currency: str


@dataclass(frozen=True, slots=True)
class PlanLine:
    id: str
    client: str
    name: str
    currency: str
    total: Decimal
    paid: Decimal
    installments: int
    next_due: date | None
    next_amount: Decimal | None


@dataclass(frozen=True, slots=True)
class PromiseFigures:
    made: int  # in the 365 days ending on the date
    kept: int
    broken: int
    open: int

    @property
    def kept_rate(self) -> Decimal | None:
        n = self.kept + self.broken
        return None if n == 0 else _tenth(Decimal(self.kept) * HUNDRED / n)


@dataclass(frozen=True, slots=True)
class Report:
    on: date
    currencies: dict  # code -> CurrencyFigures
    clients: list  # ClientFigures, largest balance first
    forecast: dict  # code -> Forecast
    trend: dict  # code -> tuple[Figures, ...] (11 month-ends, then the date)
    top_debtors: dict  # code -> list[ClientFigures]
    escalations: list
    holds: list
    disputes: list
    plans: list
    promises: PromiseFigures
    activity: dict  # channel -> count over ACTIVITY_DAYS days ending on the date
    activity_from: date


# ---------------------------------------------------------------------------------------
# date-independent series, kept with the engine


class _Series:
    """Per currency: credit sales, AR and current AR as step functions of the date.

    AR(d) = sum of invoice amounts issued by d - settlements by d (each counted from the
    later of its date and the invoice's issue date). Current AR(d) (not yet due) is an
    interval sum: an invoice counts +amount on [issued, due], and a settlement made before
    the due date -amount on [its date, due]. Invoices ever settled below zero (which
    ``dun check`` reports) are kept apart and summed one by one, clamped at zero.

    The daily changes are kept, so the series of a changed book is this one minus what the
    changed clients' invoices added before, plus what they add now (:meth:`updated`).
    """

    def __init__(self, eng) -> None:
        self.daily: dict[str, tuple[dict, dict, dict, dict]] = {}  # code -> sales, AR, current AR, issues
        self.irregular: dict[str, list[str]] = {}
        self._add(eng.book.invoices, eng.settlements, False)
        self._activities(eng.book)
        self._finish()

    @classmethod
    def of_invoices(cls, invoices, settlements) -> "_Series":
        """The series of these invoices alone (one client's), without the activities."""
        ser = cls.__new__(cls)
        ser.daily, ser.irregular = {}, {}
        ser._add(invoices, settlements, False)
        ser.act_dates = ser.act_channels = ()
        ser._finish()
        return ser

    def updated(self, eng, part, delta) -> "_Series":
        """The series of ``eng`` from this one, the series of the earlier state."""
        new = _Series.__new__(_Series)
        new.daily = {c: tuple(dict(d) for d in v) for c, v in self.daily.items()}
        gone = set(delta.before.invoices)
        new.irregular = {c: [n for n in v if n not in gone] for c, v in self.irregular.items()}
        was = delta.base_engine.settlements
        old_settlements = {n: was[n] for n in gone if n in was}
        new._add(delta.before.invoices, old_settlements, True)
        new._add(delta.after.invoices, part.settlements, False)
        if eng.book.activities is delta.base_engine.book.activities:
            new.act_dates, new.act_channels = self.act_dates, self.act_channels
        else:
            new._activities(eng.book)
        new._finish()
        return new

    def _add(self, invoices, settlements, remove: bool) -> None:
        daily = self.daily
        irregular = self.irregular
        one = timedelta(days=1)
        zero = ZERO
        count = -1 if remove else 1
        for n, inv in invoices.items():
            cur = inv.currency
            v = daily.get(cur)
            if v is None:
                v = daily[cur] = ({}, {}, {}, {})
            sales, a, c, issues = v
            amount = -inv.amount if remove else inv.amount
            issued = inv.issued
            sales[issued] = sales.get(issued, zero) + amount
            issues[issued] = issues.get(issued, 0) + count
            ss = settlements.get(n, ())
            if ss:
                running = inv.amount
                for x in ss:
                    running -= x.amount
                    if running < 0:
                        break
                if running < 0:
                    if not remove:
                        irregular.setdefault(cur, []).append(n)
                    continue
            after_due = inv.due + one
            a[issued] = a.get(issued, zero) + amount
            c[issued] = c.get(issued, zero) + amount
            c[after_due] = c.get(after_due, zero) - amount
            for x in ss:
                when = x.date if x.date > issued else issued
                xa = -x.amount if remove else x.amount
                a[when] = a.get(when, zero) - xa
                if when < after_due:
                    c[when] = c.get(when, zero) - xa
                    c[after_due] = c.get(after_due, zero) + xa

    def _activities(self, book) -> None:
        acts = _in_date_order(book.activities)
        self.act_dates = [a.date for a in acts]
        self.act_channels = [a.channel for a in acts]

    def _finish(self) -> None:
        self.sales, self.ar, self.current, self.first_issue = {}, {}, {}, {}
        for cur, (sales, a, c, issues) in self.daily.items():
            issued = [d for d, k in issues.items() if k]
            if not issued:  # the currency's last invoices are gone
                continue
            self.sales[cur] = _prefix(sales)
            self.ar[cur] = _prefix(a)
            self.current[cur] = _prefix(c)
            self.first_issue[cur] = min(issued)
        self.irregular = {c: v for c, v in self.irregular.items() if v}


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


_agenda.EXTRA_UPDATES["series"] = _Series.updated


def prepare(book_or_index) -> None:
    """Work out the report's date-independent series now (about 0.3 s on a 100,000-invoice
    book), e.g. while the app is idle: the report of any date then takes about 0.1 s, and the
    series are carried over, updated, to the engine of the book after a change."""
    with quiet_gc():
        _series(_agenda.engine(book_or_index))


def _series(eng) -> _Series:
    got = eng.extra.get("series")
    if got is None:
        got = eng.extra["series"] = _Series(eng)
    return got


# ---------------------------------------------------------------------------------------
# figures


def _ar(eng, ser: _Series, cur: str, on: date) -> Decimal:
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


def _sales(ser: _Series, cur: str, start: date, end: date) -> Decimal:
    s = ser.sales.get(cur)
    return _upto(s, end) - _upto(s, start - timedelta(days=1))


def _current_ar(eng, ser: _Series, cur: str, on: date) -> Decimal:
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


def _month_start(d: date) -> date:
    return d.replace(day=1)


def _prev_month_start(d: date) -> date:
    first = d.replace(day=1)
    return (first - timedelta(days=1)).replace(day=1)


def countback(ser: _Series, cur: str, on: date, ar: Decimal) -> Decimal | None:
    return _countback(lambda start, end: _sales(ser, cur, start, end), ser.first_issue.get(cur), on, ar)


def _countback(sales, first: date | None, on: date, ar: Decimal) -> Decimal | None:
    """``sales(start, end)``: credit sales from a month's first day to ``end`` in that month."""
    if first is None:
        return None
    if ar <= 0:
        return Decimal("0.0")
    days = ZERO
    end = on
    start = _month_start(on)
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
        start = _month_start(end)
    return _tenth(days)


def _cei_start(on: date) -> date:
    """The first day of the three calendar months ending with ``on``'s month."""
    return _prev_month_start(_prev_month_start(on))


def figures_at(eng, ser: _Series, cur: str, on: date, ar: Decimal | None = None,
               current: Decimal | None = None) -> Figures:
    """DSO, best possible DSO, ADD, countback DSO and CEI for one currency on one date."""
    if ar is None:
        ar = _ar(eng, ser, cur, on)
    if current is None:
        current = _current_ar(eng, ser, cur, on)
    start = _cei_start(on)
    return _figures(on, ar, current, _sales(ser, cur, on - timedelta(days=89), on),
                    _ar(eng, ser, cur, start - timedelta(days=1)), _sales(ser, cur, start, on),
                    countback(ser, cur, on, ar))


def _figures(on: date, ar: Decimal, current: Decimal, sales90: Decimal, begin: Decimal, sales: Decimal,
             dso_countback: Decimal | None) -> Figures:
    """The figures from their sums: AR and current AR on the date, credit sales of the 90
    days ending on it, AR at the start of the CEI period and credit sales since."""
    if sales90 > 0:
        dso = _tenth(ar / sales90 * 90)
        best = _tenth(current / sales90 * 90)
        add = dso - best
    else:
        dso = best = add = None
    den = begin + sales - current
    cei = _tenth((begin + sales - ar) / den * HUNDRED) if den > 0 else None
    return Figures(on, ar, current, sales90, dso, best, add, dso_countback, cei)


def month_ends(on: date, count: int = 12) -> list[date]:
    """The ``count - 1`` month-ends before ``on``, oldest first, then ``on`` itself."""
    out = [on]
    d = _month_start(on) - timedelta(days=1)
    while len(out) < count:
        out.append(d)
        d = _month_start(d) - timedelta(days=1)
    return out[::-1]


# ---------------------------------------------------------------------------------------
# the report


def build_report(book_or_index: Book | BookIndex | Ledger, policy: Policy, on: date) -> Report:
    """Every figure of the report as of ``on`` (see the module docstring)."""
    with quiet_gc():
        return _build_report(book_or_index, policy, on)


def _bucket_index(d: int) -> int:
    """The index in BUCKETS of ``d`` days overdue (as bucket_of)."""
    return 0 if d <= 0 else 1 if d <= 30 else 2 if d <= 60 else 3 if d <= 90 else 4 if d <= 120 else 5


def _aging(states) -> tuple[dict[str, list[Decimal]], Counter]:
    """Outstanding by currency and bucket (in BUCKETS order), and open invoices by currency."""
    aging: dict[str, list[Decimal]] = {}
    counts: Counter = Counter()
    for st in states:
        cur = st.invoice.currency
        a = aging.get(cur)
        if a is None:
            a = aging[cur] = [ZERO] * len(BUCKETS)
        a[_bucket_index(st.days_overdue)] += st.outstanding
        counts[cur] += 1
    return aging, counts


def _build_report(book_or_index, policy: Policy, on: date) -> Report:
    dy = day(book_or_index, policy, on)
    eng = dy.eng
    ser = _series(eng)
    book = eng.book
    states = dy.states

    # aging
    aging, counts = _aging(states.values())
    credit: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for cid, items in eng.credits.items():
        for d, cur, amt in items:
            if d <= on:
                credit[cur] += amt
    currencies_seen = sorted(set(aging) | set(ser.sales) | {c for c, v in credit.items() if v})
    currencies: dict[str, CurrencyFigures] = {}
    trend: dict[str, tuple[Figures, ...]] = {}
    for cur in currencies_seen:
        a = aging.get(cur) or [ZERO] * len(BUCKETS)
        f = figures_at(eng, ser, cur, on, sum(a, ZERO), a[0])
        currencies[cur] = _currency_figures(cur, a, credit.get(cur, ZERO), f, counts[cur])
        points = [figures_at(eng, ser, cur, m) for m in month_ends(on)[:-1]]
        points.append(f)
        trend[cur] = tuple(points)

    clients: list[ClientFigures] = []
    for cid in book.clients:
        clients.extend(_client_rows(dy, cid))
    lists = [_client_lists(dy, cid) for cid in sorted(book.clients)]
    promises = [0, 0, 0, 0]
    for plist in eng.promises.values():
        _count_promises(dy, plist, promises)

    start = on - timedelta(days=ACTIVITY_DAYS - 1)
    lo, hi = bisect_left(ser.act_dates, start), bisect_right(ser.act_dates, on)
    activity = Counter(ser.act_channels[lo:hi])

    acc = _ForecastSums(on, currencies_seen)
    book_late = _book_late(dy.behaviour(c).avg_days_late for c in dy.by_client)
    for cid, open_ in dy.by_client.items():
        _client_forecast(dy, cid, open_, acc, book_late)
    return _assemble(on, currencies, trend, clients, acc, lists, promises, activity)


def _currency_figures(cur: str, a: list[Decimal], credit: Decimal, f: Figures, count: int) -> CurrencyFigures:
    total = f.total
    return CurrencyFigures(cur, dict(zip(BUCKETS, a)), total, total - a[0], credit, f.sales_90d, f.dso,
                           f.best_possible_dso, f.add, f.dso_countback, f.cei, count)


def _assemble(on: date, currencies: dict, trend: dict, clients: list, acc: "_ForecastSums", lists: list,
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
    return Report(on, currencies, clients, acc.forecast(), trend, top, escalations, holds, disputes, plans,
                  PromiseFigures(made, kept, broken, open_n), dict(sorted(activity.items())),
                  on - timedelta(days=ACTIVITY_DAYS - 1))


def _client_rows(dy, cid: str) -> list[ClientFigures]:
    """The client's positions, one per currency (its own currency always)."""
    client = dy.eng.book.clients[cid]
    states = dy.states
    totals = dy.totals
    credits = dy.credit
    zero_t = (ZERO, ZERO, 0, 0)
    curs = dy.client_currencies(cid)
    if client.currency not in curs:
        curs.append(client.currency)
    st = dy.status(cid)
    b = dy.behaviour(cid)
    r: Risk = dy.risk(cid)
    out = []
    for cur in sorted(curs):
        amt, over, count, oldest = totals.get((cid, cur), zero_t)
        own = cur == client.currency
        out.append(ClientFigures(
            cid, client.name, cur, amt - credits.get((cid, cur), ZERO), amt, over, count, oldest,
            b.avg_days_to_pay, b.avg_days_late, b.worsening, b.promises_kept_rate, r.score, r.reasons,
            st.hold, st.hold_reason, st.over_credit_limit if own else False,
            client.credit_limit if own else None,
            sum(1 for n in st.handed_over if states[n].invoice.currency == cur) if st.handed_over else 0,
            sum(1 for d in st.disputes if d.invoice in states and states[d.invoice].invoice.currency == cur)
            if st.disputes else 0,
        ))
    return out


def _client_lists(dy, cid: str) -> tuple[tuple, Hold | None, tuple, PlanLine | None]:
    """The client's escalations, hold, disputes and plan."""
    st = dy.status(cid)
    states = dy.states
    name = dy.eng.book.clients[cid].name
    escalations = []
    for n, to in sorted(st.handed_over.items()):
        s = states[n]
        escalations.append(Escalation(cid, name, n, to, s.outstanding, s.invoice.currency))
    hold = Hold(cid, name, st.hold_reason) if st.hold else None
    disputes = []
    for d in st.disputes:
        s = states.get(d.invoice)
        if s is not None:
            disputes.append(DisputeLine(d.id, cid, name, d.invoice, d.reason, d.opened, s.outstanding,
                                        s.invoice.currency))
    plan = None
    if st.plan is not None:
        pl = st.plan.plan
        k = st.plan.next_index
        plan = PlanLine(pl.id, cid, name, pl.currency, pl.total, st.plan.paid, len(pl.installments),
                        pl.installments[k].due if k is not None else None,
                        pl.installments[k].amount if k is not None else None)
    return tuple(escalations), hold, tuple(disputes), plan


def _count_promises(dy, plist, counts: list[int]) -> None:
    """Add to [made, kept, broken, open] the promises of ``plist`` made in the 365 days."""
    on = dy.on
    year_ago = on - timedelta(days=365)
    for p in plist:
        if p.made > on or p.made <= year_ago:
            continue
        counts[0] += 1
        ps = dy.promise_status(p)
        if ps.state == "kept":
            counts[1] += 1
        elif ps.state == "open":
            counts[3] += 1
        elif ps.state in ("broken", "followed-up"):
            counts[2] += 1  # (a promise replaced by a later one counts as neither)


# ---------------------------------------------------------------------------------------
# the forecast


class _ForecastSums:
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

    def merge(self, other: "_ForecastSums") -> None:
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


def _book_late(lates) -> int:
    """The book's average days late (for clients without history): of the clients with
    open invoices and a history, to whole days."""
    known = [x for x in lates if x is not None]
    return int(_tenth(sum(known, ZERO) / len(known)).to_integral_value(ROUND_HALF_UP)) if known else 0


def _client_forecast(dy, cid: str, open_, acc: _ForecastSums, book_late: int | None,
                     floating: list | None = None) -> None:
    """The client's expected receipts into ``acc``. Without a history of its own, its
    invoices are expected at the book's average lateness: with ``book_late`` None they are
    put in ``floating`` as (currency, due day, outstanding) instead, to expect later."""
    on = dy.on
    st = dy.status(cid)
    skip = set(st.handed_over)
    for ps in st.promises:
        if ps.state == "open":
            skip.update(ps.invoices)
            owed = sum((dy.states[n].outstanding for n in ps.invoices if n in dy.states), ZERO)
            left = min(owed, max(ZERO, ps.promise.amount - ps.paid))
            if left > 0:
                acc.put(ps.promise.currency, max(ps.promise.by, on), left)
    if st.plan is not None:
        pl = st.plan.plan
        skip.update(pl.invoices)
        paid = st.plan.paid
        cum = ZERO
        for inst in pl.installments:
            prev = cum
            cum += inst.amount
            unmet = cum - max(paid, prev)
            if unmet > 0:
                acc.put(pl.currency, max(inst.due, on), min(unmet, inst.amount))
    b = dy.behaviour(cid)
    late = int(b.avg_days_late.to_integral_value(ROUND_HALF_UP)) if b.avg_days_late is not None else book_late
    for s in open_:
        if s.disputed or (skip and s.invoice.number in skip):
            continue
        inv = s.invoice
        if late is None:
            floating.append((inv.currency, inv.due.toordinal(), s.outstanding))
        else:
            acc.expect(inv.currency, inv.due.toordinal(), late, s.outstanding)


# ---------------------------------------------------------------------------------------
# the report as a sum of per-client parts
#
# Every figure of the report is a sum over clients, or a list of per-client pieces, or
# worked out from such sums (DSO and friends from AR and sales at a few dates). A client's
# part holds its share, worked out from its own records only; the report of a book is
# its parts merged (:func:`report_from_parts`), exactly as :func:`build_report` makes it.
# So a report can be made again after a change by working out only the changed clients'
# parts (publishing keeps the parts with the site, see publish.fast).


@dataclass(frozen=True, slots=True)
class CurrencyPart:
    """One client's share of one currency's figures."""

    aging: tuple[Decimal, ...]  # outstanding by BUCKETS
    count: int  # open invoices
    credit: Decimal
    # at each of month_ends(on): AR, current AR, credit sales of the 90 days, AR at the start
    # of the CEI period, credit sales since
    points: tuple[tuple[Decimal, Decimal, Decimal, Decimal, Decimal], ...]
    months: dict  # first day of a month -> credit sales (the date's month: counted to the date)
    first_issue: date | None  # None: no invoice in this currency


@dataclass(frozen=True, slots=True)
class ClientPart:
    client: str
    currencies: dict  # code -> CurrencyPart
    rows: tuple  # ClientFigures
    lists: tuple  # escalations, hold, disputes, plan (see _client_lists)
    promises: tuple[int, int, int, int]  # made, kept, broken, open
    activity: dict  # channel -> count over ACTIVITY_DAYS days ending on the date
    activity_year: dict  # channel -> count over the 365 days ending on the date
    open: bool  # has open invoices (its own lateness counts toward the book's average)
    late: Decimal | None  # average days late, from its history
    forecast: _ForecastSums
    floating: tuple  # (currency, due day, outstanding): expected at the book's average lateness


def client_parts(book_or_index: Book | BookIndex | Ledger, policy: Policy, on: date,
                 clients=None) -> dict[str, ClientPart]:
    """The parts of ``clients`` (every client when None): what each adds to the report of ``on``."""
    with quiet_gc():
        dy = day(book_or_index, policy, on)
        eng = dy.eng
        book = eng.book
        wanted = list(book.clients) if clients is None else [c for c in clients if c in book.clients]
        keep = set(wanted)
        invoices: dict[str, dict] = defaultdict(dict)
        for n, inv in book.invoices.items():
            if inv.client in keep:
                invoices[inv.client][n] = inv
        acts: dict[str, list] = defaultdict(list)
        for a in book.activities:
            if a.client in keep:
                acts[a.client].append(a)
        dates = month_ends(on)
        return {cid: _client_part(dy, cid, invoices.get(cid, {}), acts.get(cid, ()), dates) for cid in wanted}


def _client_part(dy, cid: str, invoices: dict, activities, dates: list[date]) -> ClientPart:
    eng, on = dy.eng, dy.on
    ser = _Series.of_invoices(invoices, eng.settlements)
    open_ = dy.by_client.get(cid, ())
    aging, counts = _aging(open_)
    credit: dict[str, Decimal] = {}
    for d, cur, amt in eng.credits.get(cid, ()):
        if d <= on:
            credit[cur] = credit.get(cur, ZERO) + amt
    one = timedelta(days=1)
    this_month = _month_start(on)
    currencies = {}
    for cur in sorted(set(aging) | set(ser.sales) | set(credit)):
        points = []
        for d in dates:
            start = _cei_start(d)
            points.append((_ar(eng, ser, cur, d), _current_ar(eng, ser, cur, d),
                           _sales(ser, cur, d - timedelta(days=89), d), _ar(eng, ser, cur, start - one),
                           _sales(ser, cur, start, d)))
        months: dict[date, Decimal] = {}
        daily = ser.daily.get(cur)
        if daily is not None:
            for d, amount in daily[0].items():
                if d <= on:
                    m = d.replace(day=1) if d < this_month else this_month
                    months[m] = months.get(m, ZERO) + amount
        currencies[cur] = CurrencyPart(tuple(aging.get(cur) or [ZERO] * len(BUCKETS)), counts[cur],
                                       credit.get(cur, ZERO), tuple(points), months, ser.first_issue.get(cur))
    promises = [0, 0, 0, 0]
    _count_promises(dy, eng.promises.get(cid, ()), promises)
    start = on - timedelta(days=ACTIVITY_DAYS - 1)
    month, year = Counter(), Counter()
    for a in activities:
        if a.date <= on:
            if (on - a.date).days < 365:
                year[a.channel] += 1
            if a.date >= start:
                month[a.channel] += 1
    acc = _ForecastSums(on, [])
    floating: list = []
    is_open = cid in dy.by_client
    if is_open:
        _client_forecast(dy, cid, open_, acc, None, floating)
    return ClientPart(cid, currencies, tuple(_client_rows(dy, cid)), _client_lists(dy, cid), tuple(promises),
                      dict(month), dict(year), is_open, dy.behaviour(cid).avg_days_late, acc, tuple(floating))


def report_from_parts(parts, on: date) -> Report:
    """The report of ``on`` from every client's part (a mapping of client id to part), as
    :func:`build_report` makes it from the whole book."""
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
            figs.append(_figures(d, ar, current, sales90, begin, since, _countback(sales, first.get(cur), d, ar)))
        currencies[cur] = _currency_figures(cur, a, credit.get(cur, ZERO), figs[-1], counts[cur])
        trend[cur] = tuple(figs)
    acc = _ForecastSums(on, currencies_seen)
    for p in parts.values():
        acc.merge(p.forecast)
    book_late = _book_late(p.late for p in parts.values() if p.open)
    for p in parts.values():
        for cur, due, amount in p.floating:
            acc.expect(cur, due, book_late, amount)
    lists = [parts[cid].lists for cid in sorted(parts)]
    return _assemble(on, currencies, trend, clients, acc, lists, promises, activity)


# ---------------------------------------------------------------------------------------
# JSON


def _days(x: Decimal | None) -> str | None:
    return None if x is None else format(_tenth(x), "f")


def report_to_json(report: Report) -> dict:
    """The ``dun report --json`` document (see the module docstring for the formats)."""
    def m(x: Decimal, cur: str) -> str:
        return to_text(x, cur)

    cur_json = {}
    for cur, f in report.currencies.items():
        aging = {b: m(f.aging[b], cur) for b in BUCKETS}
        aging["total"] = m(f.total, cur)
        aging["overdue"] = m(f.overdue, cur)
        cur_json[cur] = {
            "aging": aging,
            "dso": _days(f.dso),
            "best_possible_dso": _days(f.best_possible_dso),
            "add": _days(f.add),
            "dso_countback": _days(f.dso_countback),
            "cei": _days(f.cei),
            "sales_90d": m(f.sales_90d, cur),
            "credit": m(f.credit, cur),
            "open_invoices": f.open_invoices,
        }
    clients = [{
        "id": c.client, "name": c.name, "currency": c.currency,
        "balance": m(c.balance, c.currency), "overdue": m(c.overdue, c.currency),
        "open_invoices": c.open_invoices, "oldest_days_overdue": c.oldest_days_overdue,
        "avg_days_to_pay": _days(c.avg_days_to_pay), "avg_days_late": _days(c.avg_days_late),
        "worsening": c.worsening, "promises_kept_rate": _days(c.promises_kept_rate),
        "risk": {"score": c.risk, "reasons": list(c.risk_reasons)},
        "hold": c.hold, "over_credit_limit": c.over_credit_limit,
        "credit_limit": None if c.credit_limit is None else m(c.credit_limit, c.currency),
        "handed_over": c.handed_over, "disputes": c.disputes,
    } for c in report.clients]
    forecast = {
        cur: {
            "weeks": [{"start": w.start.isoformat(), "end": w.end.isoformat(), "amount": m(w.amount, cur)} for w in f.weeks],
            "total": m(f.total, cur), "later": m(f.later, cur), "doubtful": m(f.doubtful, cur),
        }
        for cur, f in report.forecast.items()
    }
    trend = {
        cur: [{
            "date": p.date.isoformat(), "total": m(p.total, cur), "overdue": m(p.overdue, cur),
            "dso": _days(p.dso), "best_possible_dso": _days(p.best_possible_dso), "add": _days(p.add),
            "dso_countback": _days(p.dso_countback), "cei": _days(p.cei),
        } for p in pts]
        for cur, pts in report.trend.items()
    }
    pf = report.promises
    return {
        "on": report.on.isoformat(),
        "currencies": cur_json,
        "clients": clients,
        "top_debtors": {
            cur: [{"id": c.client, "name": c.name, "balance": m(c.balance, cur), "overdue": m(c.overdue, cur),
                   "risk": c.risk} for c in lst]
            for cur, lst in report.top_debtors.items()
        },
        "forecast": forecast,
        "trend": trend,
        "escalations": [{"client": e.client, "name": e.name, "invoice": e.invoice, "to": e.to,
                         "outstanding": m(e.outstanding, e.currency), "currency": e.currency}
                        for e in report.escalations],
        "holds": [{"client": h.client, "name": h.name, "reason": h.reason} for h in report.holds],
        "disputes": [{"id": d.id, "client": d.client, "name": d.name, "invoice": d.invoice, "reason": d.reason,
                      "opened": d.opened.isoformat(), "outstanding": m(d.outstanding, d.currency),
                      "currency": d.currency} for d in report.disputes],
        "plans": [{"id": p.id, "client": p.client, "name": p.name, "currency": p.currency,
                   "total": m(p.total, p.currency), "paid": m(p.paid, p.currency), "installments": p.installments,
                   "next_due": p.next_due.isoformat() if p.next_due else None,
                   "next_amount": m(p.next_amount, p.currency) if p.next_amount is not None else None}
                  for p in report.plans],
        "promises": {"made": pf.made, "kept": pf.kept, "broken": pf.broken, "open": pf.open,
                     "kept_rate": _days(pf.kept_rate)},
        "activity": {"from": report.activity_from.isoformat(), "to": report.on.isoformat(),
                     "by_channel": report.activity},
    }
