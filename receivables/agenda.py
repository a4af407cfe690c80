"""The day's agenda: what the owner must do on a date, most urgent first.

Pure functions of (book, policy, date). The rules, as the README states them:

**Ladder.** An invoice is on the ladder on day D while it is open with at least
``[ladder] tolerance`` outstanding and it is not disputed, not covered by an active payment
plan, not covered by a live promise (or a broken promise not yet followed up) and not
handed over. The *step date* of step s for invoice i is the later of due(i) +
s.after_due_days and (the last ladder activity on i) + ``min_gap_days``, moved forward to
the next business day (:mod:`receivables.calendar`). The *due step* is found among the
steps after the last step done for i, in ladder order: the latest whose step date is on or
before D, except that an undone ``required`` step is never jumped (walking stops there). A
step whose ``min_overdue`` exceeds the client's overdue total in that currency is passed
over. One action per client, currency and due step covers the invoices whose due step it
is.

**Done.** A step is done for an invoice when an activity naming the step covers it.
Activities whose outcome is ``snoozed`` or ``skipped`` do not do anything; an activity
named by a later activity's ``corrects`` no longer counts. A step activity with no
invoices covers every invoice of the client open on its date. Actions that are not ladder
steps are done by an activity whose ``step`` is the action's :attr:`Action.key`
(:func:`activity_for` builds it), or by any activity without a step, dated on or after the
action's ``since``, that covers one of its invoices (or names none).

**Snooze / skip.** An activity with outcome ``snoozed`` and ``snooze_until`` hides the
client's actions (only those of its ``step``/key if it names one) until that date; one
with outcome ``skipped`` hides them on its own date.

**Hold and hand-over.** A done ``credit_hold`` step puts the client on hold while any
invoice it covered is open, until an activity with outcome ``hold_lifted`` is logged after
it; the client's own hold flag also holds. A done ``escalate`` step hands the invoices it
covered to the agency or legal: they leave the ladder and stay listed as handed over.

**Promises.** A promise covers its invoices (none named: the client's invoices in its
currency open on the day it was made); a later promise on any of the same invoices
replaces it. It is kept once the client's payments in that
currency dated from the day it was made reach its amount, by ``by`` + ``promise_grace_days``.
Until then (or until kept) its invoices are off the ladder; if not kept, a ``promise``
action is due the day after, and once it is done the invoices return to the ladder.

**Plans.** A plan's installments are met in order by the client's payments in the plan's
currency dated from the day it was created. The first unmet installment gets an
``installment`` reminder from :data:`INSTALLMENT_REMINDER_DAYS` days before its date and an
``installment`` (missed) action from the day after; once an installment is unmet
``plan_grace_days`` after its date the plan is broken and its invoices return to the
ladder. A cancelled or fully paid plan covers nothing.

**Disputes.** An open dispute with no activity on its invoice for ``dispute_review_days``
(counted from the later of the day it was opened and the last activity) becomes a
``dispute`` action.

**Credit.** A client whose balance in its own currency exceeds its credit limit is
flagged. A credit check older than ``credit_review_days`` becomes a ``credit_review``
action (done by renewing the check or by an activity whose ``step`` is ``credit_review``).

**Order.** Escalation steps and broken promises first; then by the overdue amount the
action covers weighted by the client's risk score (amount x (100 + risk) / 100); then by
days overdue. Amounts of different currencies are compared as plain numbers.
"""
from __future__ import annotations

import gc
from bisect import bisect_left, bisect_right
from contextlib import contextmanager
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import compress, islice
from operator import attrgetter, itemgetter
from decimal import Decimal
from typing import Iterable

from .calendar import calendar_for
from .ledger import DISPUTED, OPEN, BookIndex, InvoiceState, Ledger, index_book, invoice_state, splice
from .model import Activity, Book, PaymentPlan, PromiseToPay
from .money import to_text
from .policy import Policy, Step

ZERO = Decimal(0)
HUNDRED = Decimal(100)
_FOREVER = date.max
_first = itemgetter(0)
# date-independent data other modules keep in ``_Engine.extra``, and how each is carried over
# to the engine of a changed book: name -> fn(old data, new engine, changed part, delta)
EXTRA_UPDATES: dict = {}
_ONE = timedelta(days=1)
INSTALLMENT_REMINDER_DAYS = 3
KINDS = ("step", "promise", "installment", "dispute", "credit_review")
NOT_DONE = ("snoozed", "skipped")
HOLD_LIFTED = "hold_lifted"


# ---------------------------------------------------------------------------------------
# public records


@dataclass(frozen=True, slots=True)
class Action:
    client: str
    kind: str  # one of KINDS
    step: str | None
    channel: str
    invoices: tuple[str, ...]
    amount: Decimal  # what those invoices still owe
    currency: str
    template: str | None
    title: str
    reason: str
    since: date
    ref: str | None = None  # promise, plan or dispute id
    escalate: str | None = None  # "agency" | "legal"
    credit_hold: bool = False  # doing this step puts the client on hold
    priority: tuple = ()  # (tier, weighted overdue amount, days overdue): higher is more urgent
    client_name: str = ""
    overdue: Decimal = ZERO  # the part of ``amount`` that is overdue
    days_overdue: int = 0  # the oldest of the invoices
    risk: int = 0
    key: str = ""  # what an activity's ``step`` holds when it does this action

    @property
    def id(self) -> str:
        """A stable id for the action on its date: client, currency and key."""
        return f"{self.client}/{self.currency}/{self.key}"


@dataclass(frozen=True, slots=True)
class PromiseStatus:
    promise: PromiseToPay
    invoices: tuple[str, ...]  # covered
    paid: Decimal  # paid toward it since it was made (as of the date)
    state: str  # "open" | "kept" | "broken" | "followed-up" | "superseded" (by a later promise)
    deadline: date  # by + grace
    kept_on: date | None = None


@dataclass(frozen=True, slots=True)
class PlanStatus:
    plan: PaymentPlan
    paid: Decimal
    state: str  # "active" | "completed" | "broken" | "cancelled"
    next_index: int | None  # first unmet installment (0-based)
    broken_on: date | None = None


@dataclass(frozen=True, slots=True)
class ClientStatus:
    client: str
    hold: bool
    hold_reason: str
    handed_over: dict  # invoice number -> "agency" | "legal" (open invoices only)
    promises: tuple[PromiseStatus, ...]  # open and broken-not-followed-up
    plan: PlanStatus | None  # the active plan, if any
    disputes: tuple  # open Dispute records
    over_credit_limit: bool
    credit_limit: Decimal | None
    balance: Decimal  # in the client's own currency
    credit_review_due: date | None  # when the credit review became due, if it is


@dataclass(frozen=True, slots=True)
class Behaviour:
    """How a client has paid over the 12 months before a date."""

    paid_count: int
    avg_days_to_pay: Decimal | None  # to one decimal
    avg_days_late: Decimal | None
    worsening: bool
    recent_days_late: Decimal | None
    earlier_days_late: Decimal | None
    promises_made: int
    promises_kept: int
    promises_broken: int

    @property
    def promises_kept_rate(self) -> Decimal | None:
        n = self.promises_kept + self.promises_broken
        return None if n == 0 else (Decimal(self.promises_kept) * HUNDRED / n).quantize(Decimal("0.1"))


@dataclass(frozen=True, slots=True)
class Risk:
    score: int  # 0-100
    reasons: tuple[str, ...]


# ---------------------------------------------------------------------------------------
# the date-independent engine index, kept in BookIndex.cache


class _Engine:
    """The engine's date-independent index of one book.

    It holds the index's lookups it needs, never the :class:`BookIndex` itself, and nothing
    that points back at it (the days built on it are kept in ``index.cache``, see :func:`day`):
    with no reference cycle, a replaced book's index and engine are freed by reference
    counting alone, even where the cyclic collector is paused or the heap frozen (the app)."""

    __slots__ = (
        "settlements", "credits", "open_disputes", "book", "final", "live_keys", "live_numbers", "step_acts", "client_acts",
        "pay_dates", "pay_cum", "history", "history_keys", "promise_cover", "promises", "plans",
        "disputes", "extra", "pauses", "hist_pay", "hist_late", "client_act_dates", "rank",
        "lifts", "kept_on", "by_step",
    )

    def __init__(self, index: BookIndex) -> None:
        self.settlements = index.settlements
        self.credits = index.credits
        self.open_disputes = index.open_disputes
        book = self.book = index.book
        invoices = book.invoices
        settlements = index.settlements
        # when each invoice was settled for good (None: still owes something after its last settlement)
        final: dict[str, date | None] = dict.fromkeys(invoices)
        for number, ss in settlements.items():
            inv = invoices.get(number)
            if inv is None:
                continue
            if len(ss) == 1:  # the common case: paid in one go
                s = ss[0]
                if s.amount >= inv.amount:
                    final[number] = s.date if s.date > inv.issued else inv.issued
                continue
            running = inv.amount
            when = None
            for s in ss:
                running -= s.amount
                if running <= 0:
                    if when is None:
                        when = s.date if s.date > inv.issued else inv.issued
                else:
                    when = None
            final[number] = when if running <= 0 else None
        self.final = final
        # position of each invoice among its client's, oldest due first
        self.rank = {n: k for nums in index.invoices_by_client.values() for k, n in enumerate(nums)}
        settled = [n for n, w in final.items() if w is not None]
        settled.sort(key=final.__getitem__)
        self.live_keys = [final[n] for n in settled]
        self.live_numbers = settled + [n for n, w in final.items() if w is None]
        self.live_keys += [_FOREVER] * (len(self.live_numbers) - len(settled))

        # payments by (client, currency), in date order: dates and running totals
        payments = _in_date_order(book.payments)
        self.pay_dates: dict[tuple[str, str], list[date]] = defaultdict(list)
        self.pay_cum: dict[tuple[str, str], list[Decimal]] = defaultdict(list)
        runs: dict[tuple[str, str], Decimal] = {}
        for p in payments:
            k = (p.client, p.currency)
            run = runs.get(k, ZERO) + p.amount
            runs[k] = run
            self.pay_dates[k].append(p.date)
            self.pay_cum[k].append(run)
        self.pay_dates = dict(self.pay_dates)
        self.pay_cum = dict(self.pay_cum)

        # activities, in date order (so every list below is in date order too)
        activities = _in_date_order(book.activities)
        corrected = {a.corrects for a in activities if a.corrects}
        client_acts: dict[str, list[Activity]] = defaultdict(list)
        pauses: dict[str, list[Activity]] = defaultdict(list)  # snoozes and skips
        lifts: dict[str, list[date]] = defaultdict(list)  # holds lifted
        by_step: dict[str, list[tuple[date, str, tuple]]] = defaultdict(list)  # step -> (date, client, invoices)
        step_acts: dict[str, list[tuple[date, str, str]]] = defaultdict(list)
        by_client_invoices = index.invoices_by_client
        for a in activities:
            if corrected and a.id in corrected:
                continue
            client_acts[a.client].append(a)
            if a.outcome == HOLD_LIFTED:
                lifts[a.client].append(a.date)
            if a.outcome in NOT_DONE:
                pauses[a.client].append(a)
                continue
            nums = a.invoices
            step = a.step
            if not nums and step:
                nums = tuple(
                    n for n in by_client_invoices.get(a.client, ())
                    if invoices[n].issued <= a.date and (final[n] is None or final[n] > a.date)
                )
            if step and ":" not in step:  # "promise:P1" and the like are not ladder steps
                entry = (a.date, step, a.id)
                for n in nums:
                    step_acts[n].append(entry)
                by_step[step].append((a.date, a.client, nums))
        self.pauses = dict(pauses)
        self.lifts = dict(lifts)
        self.by_step = dict(by_step)
        self.client_acts = dict(client_acts)
        self.client_act_dates = {c: [a.date for a in v] for c, v in client_acts.items()}
        self.step_acts = dict(step_acts)

        # payment history: invoices settled for good, by client, in settlement order
        hist: dict[str, list[tuple[date, date, date]]] = defaultdict(list)
        for number, when in final.items():
            if when is not None:
                inv = invoices[number]
                hist[inv.client].append((when, inv.issued, inv.due))
        for v in hist.values():
            v.sort()
        self.history = dict(hist)
        self.history_keys = {c: [h[0].toordinal() for h in v] for c, v in hist.items()}  # ints: fast bisect
        # running totals of days to pay and days late, in settlement order
        self.hist_pay: dict[str, list[int]] = {}
        self.hist_late: dict[str, list[int]] = {}
        for c, v in hist.items():
            pay, late, rp, rl = [0], [0], 0, 0
            for settled, issued, due in v:
                rp += (settled - issued).days
                rl += max(0, (settled - due).days)
                pay.append(rp)
                late.append(rl)
            self.hist_pay[c] = pay
            self.hist_late[c] = late

        # promises, plans, disputes by client
        proms: dict[str, list[PromiseToPay]] = defaultdict(list)
        cover: dict[str, tuple[str, ...]] = {}
        for p in book.promises:
            proms[p.client].append(p)
            if p.invoices:
                cover[p.id] = tuple(p.invoices)
            else:
                cover[p.id] = tuple(
                    n for n in by_client_invoices.get(p.client, ())
                    if invoices[n].currency == p.currency and invoices[n].issued <= p.made
                    and (final[n] is None or final[n] > p.made)
                )
        self.promises = dict(proms)
        self.promise_cover = cover
        # the day each promise was kept (payments since it was made reached its amount), if ever
        self.kept_on = {p.id: self.first_reaching(p.client, p.currency, p.made, p.amount) for p in book.promises}
        plans: dict[str, list[PaymentPlan]] = defaultdict(list)
        for pl in book.plans:
            plans[pl.client].append(pl)
        self.plans = dict(plans)
        disputes: dict[str, list] = defaultdict(list)
        for d in book.disputes:
            disputes[d.client].append(d)
        self.disputes = dict(disputes)
        self.extra: dict = {}  # date-independent data other code derives (never anything holding the engine)

    @classmethod
    def updated(cls, index: BookIndex, delta) -> "_Engine":
        """The engine of ``index``, made from the engine of an earlier state of the book
        (``delta``, see :func:`receivables.ledger.index_book`): the changed clients' part is
        built by this same class over their records alone and put in place of their old part.
        Everything here is per client or per invoice except the settled-order and step lists,
        which are merged; the result equals a full build (tests/test_incremental.py)."""
        old: _Engine = delta.base_engine
        part = cls(delta.after_index)
        changed = delta.clients
        before = delta.before
        old_numbers = set(before.invoices)
        eng = cls.__new__(cls)
        eng.settlements = index.settlements
        eng.credits = index.credits
        eng.open_disputes = index.open_disputes
        eng.book = index.book

        def spliced(name: str, drop) -> dict:
            return splice(getattr(old, name), getattr(part, name), drop)

        for name in ("final", "rank", "step_acts"):
            setattr(eng, name, spliced(name, old_numbers))
        for name in ("client_acts", "client_act_dates", "pauses", "lifts", "history", "history_keys", "hist_pay",
                     "hist_late", "promises", "plans", "disputes"):
            setattr(eng, name, spliced(name, changed))
        for name in ("pay_dates", "pay_cum"):
            setattr(eng, name, spliced(name, [k for k in old.pay_dates if k[0] in changed]))
        old_promises = [pr.id for pr in before.promises]
        eng.promise_cover = spliced("promise_cover", old_promises)
        eng.kept_on = spliced("kept_on", old_promises)

        # settled order: the others' in their order, the changed clients' merged in by date
        keys, numbers = old.live_keys, old.live_numbers
        if old_numbers:
            keep = [n not in old_numbers for n in numbers]
            keys, numbers = list(compress(keys, keep)), list(compress(numbers, keep))
        else:
            keys, numbers = list(keys), list(numbers)
        for k, n in zip(part.live_keys, part.live_numbers):
            i = bisect_right(keys, k)
            keys.insert(i, k)
            numbers.insert(i, n)
        eng.live_keys, eng.live_numbers = keys, numbers

        # done steps by step, in date order
        by_step = dict(old.by_step)
        steps = {a.step for a in before.activities if a.step} | set(part.by_step)
        for step in steps:
            entries = [e for e in by_step.get(step, ()) if e[1] not in changed]
            for e in part.by_step.get(step, ()):
                entries.insert(bisect_right(entries, e[0], key=_first), e)
            if entries:
                by_step[step] = entries
            else:
                by_step.pop(step, None)
        eng.by_step = by_step
        eng.extra = {}
        for name, update in EXTRA_UPDATES.items():
            got = old.extra.get(name)
            if got is not None:
                eng.extra[name] = update(got, eng, part, delta)
        return eng

    # -- queries -------------------------------------------------------------------------

    def paid_between(self, client: str, currency: str, start: date, end: date) -> Decimal:
        """The client's payments in ``currency`` dated start..end (inclusive)."""
        if end < start:
            return ZERO
        key = (client, currency)
        dates = self.pay_dates.get(key)
        if not dates:
            return ZERO
        cum = self.pay_cum[key]
        hi = bisect_right(dates, end)
        lo = bisect_left(dates, start)
        if hi <= lo:
            return ZERO
        return cum[hi - 1] - (cum[lo - 1] if lo else ZERO)

    def last_touch(self, client: str, number: str, start: date, on: date) -> date:
        """The date of the last counting activity on invoice ``number`` from ``start`` to ``on``
        (``start`` if none). A step activity without invoices covers the client's open ones."""
        acts = self.client_acts.get(client)
        last = start
        if not acts:
            return last
        dates = self.client_act_dates[client]
        for k in range(bisect_left(dates, start), len(acts)):
            a = acts[k]
            if a.date > on:
                break
            if a.outcome in NOT_DONE:
                continue
            if number in a.invoices or (not a.invoices and a.step):
                last = a.date
        return last

    def first_reaching(self, client: str, currency: str, start: date, amount: Decimal) -> date | None:
        """The first date on which payments from ``start`` reach ``amount``."""
        key = (client, currency)
        dates = self.pay_dates.get(key)
        if not dates:
            return None
        cum = self.pay_cum[key]
        lo = bisect_left(dates, start)
        base = cum[lo - 1] if lo else ZERO
        for i in range(lo, len(dates)):
            if cum[i] - base >= amount:
                return dates[i]
        return None


@contextmanager
def quiet_gc():
    """Pause the cyclic garbage collector while the engine allocates: a loaded book holds
    millions of objects, and a full collection in the middle of a computation costs more
    than the computation. The engine makes no reference cycles, so nothing is held longer."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _in_date_order(records):
    """The records sorted by date (stable); as given when they already are, as a log is."""
    dates = [r.date for r in records]
    if all(a <= b for a, b in zip(dates, dates[1:])):
        return records
    return sorted(records, key=attrgetter("date"))


def engine(book_or_index: Book | BookIndex | Ledger) -> _Engine:
    """The engine's date-independent index of a book, built once and kept with the index."""
    return _engine_of(_as_index(book_or_index))


def _as_index(book_or_index: Book | BookIndex | Ledger) -> BookIndex:
    if isinstance(book_or_index, Ledger):
        return book_or_index.index
    return book_or_index if isinstance(book_or_index, BookIndex) else _index_of(book_or_index)


def _engine_of(index: BookIndex) -> _Engine:
    eng = index.cache.get("engine")
    if eng is None:
        with quiet_gc():
            delta = index.cache.pop("delta", None)  # the earlier engine is let go of here
            eng = index.cache["engine"] = _Engine(index) if delta is None else _Engine.updated(index, delta)
    return eng


_LAST_INDEX: list = [None, None]  # (book, index): repeated calls with one small Book index it once
_CACHE_BOOKS_UP_TO = 20_000  # invoices; larger books should come with their BookIndex (nothing stale is kept)


def _index_of(book: Book) -> BookIndex:
    if _LAST_INDEX[0] is book:
        return _LAST_INDEX[1]
    idx = index_book(book)
    if len(book.invoices) <= _CACHE_BOOKS_UP_TO:
        _LAST_INDEX[0], _LAST_INDEX[1] = book, idx
    else:
        _LAST_INDEX[0] = _LAST_INDEX[1] = None
    return idx


# ---------------------------------------------------------------------------------------
# the state of the book on one day


class _Day:
    """Everything the agenda and the report share for one date."""

    __slots__ = (
        "eng", "policy", "on", "states", "by_client", "overdue", "statuses", "steps_by_id", "totals", "credit",
        "_behaviour", "_risk", "_ladder", "_step_idx", "_gap", "_promises", "_special", "agenda", "_curs",
    )

    def __init__(self, eng: _Engine, policy: Policy, on: date) -> None:
        self.eng = eng
        self.policy = policy
        self.on = on
        invoices = eng.book.invoices
        settlements = eng.settlements
        disputes = eng.open_disputes
        states: dict[str, InvoiceState] = {}
        start = bisect_right(eng.live_keys, on)
        get_settlements = settlements.get
        for n in islice(eng.live_numbers, start, None):
            inv = invoices[n]
            if inv.issued > on:
                continue
            disputed = False
            if n in disputes:
                for d in disputes[n]:
                    if d.opened <= on and (d.resolved is None or d.resolved > on):
                        disputed = True
                        break
            ss = get_settlements(n)
            if (not ss or ss[0].date > on) and inv.amount > 0:  # nothing settled yet: the common case
                states[n] = InvoiceState(inv, ZERO, ZERO, ZERO, inv.amount,
                                         DISPUTED if disputed else OPEN,
                                         (on - inv.due).days if on > inv.due else 0, None, None, disputed)
                continue
            st = invoice_state(inv, ss, on, disputed)
            if st.outstanding > 0:
                states[n] = st
        self.states = states
        by_client: dict[str, list[InvoiceState]] = defaultdict(list)
        for n in sorted(states, key=eng.rank.__getitem__):  # oldest due first
            st = states[n]
            by_client[st.invoice.client].append(st)
        self.by_client = by_client
        # per (client, currency): [open amount, overdue amount, open invoices, oldest days overdue]
        totals: dict[tuple[str, str], list] = {}
        overdue: dict[tuple[str, str], Decimal] = {}
        for st in states.values():
            inv = st.invoice
            key = (inv.client, inv.currency)
            t = totals.get(key)
            if t is None:
                t = totals[key] = [ZERO, ZERO, 0, 0]
            t[0] += st.outstanding
            t[2] += 1
            if st.days_overdue > 0:
                t[1] += st.outstanding
                if st.days_overdue > t[3]:
                    t[3] = st.days_overdue
        for key, t in totals.items():
            overdue[key] = t[1]
        self.totals = totals
        self.overdue = overdue
        credit: dict[tuple[str, str], Decimal] = {}
        for cid, items in eng.credits.items():
            for d, cur, amt in items:
                if d <= on:
                    credit[(cid, cur)] = credit.get((cid, cur), ZERO) + amt
        self.credit = credit
        self.steps_by_id = {s.id: s for s in policy.steps}
        self._step_idx = {s.id: i for i, s in enumerate(policy.steps)}
        self._ladder = [(s, timedelta(days=s.after_due_days), s.min_overdue, s.required) for s in policy.steps]
        self._gap = timedelta(days=policy.ladder.min_gap_days)
        self.statuses: dict[str, ClientStatus] = {}
        self._behaviour: dict[str, Behaviour] = {}
        self._risk: dict[str, Risk] = {}
        self._promises: dict[str, PromiseStatus] = {}
        self._special = None
        self.agenda: list[Action] | None = None
        self._curs: dict[str, list[str]] = {}

    # -- per-invoice ladder facts -------------------------------------------------------

    def done_steps(self, number: str) -> list[tuple[date, str, str]]:
        acts = self.eng.step_acts.get(number)
        if not acts:
            return []
        on = self.on
        if acts[-1][0] <= on:
            return acts
        return [a for a in acts if a[0] <= on]

    def handed_over(self, number: str) -> str | None:
        for d, sid, _ in self.done_steps(number):
            s = self.steps_by_id.get(sid)
            if s is not None and s.escalate:
                return s.escalate
        return None

    # -- per-client status ---------------------------------------------------------------

    def status(self, client_id: str) -> ClientStatus:
        got = self.statuses.get(client_id)
        if got is None:
            got = self.statuses[client_id] = self._status(client_id)
        return got

    def _status(self, cid: str) -> ClientStatus:
        eng, on, policy = self.eng, self.on, self.policy
        client = eng.book.clients.get(cid)
        open_ = self.by_client.get(cid, ())
        if (not open_ and client is not None and client.credit_check is None and cid not in eng.promises
                and cid not in eng.plans and cid not in eng.disputes):
            # nothing open, nothing promised or planned: only the hold flag and any credit count
            balance = -sum((amt for d, c, amt in eng.credits.get(cid, ()) if c == client.currency and d <= on),
                           ZERO)
            limit = client.credit_limit
            return ClientStatus(cid, client.hold, (client.hold_reason or "on hold") if client.hold else "", {}, (),
                                None, (), limit is not None and balance > limit, limit, balance, None)
        lad = policy.ladder
        # hand-overs and holds from done steps
        handed: dict[str, str] = {}
        hold_since: tuple[date, Step] | None = None
        states = self.states
        for d, sid, n in self._special_acts().get(cid, ()):  # escalations and holds done, by date
            if d > on:
                break
            if n not in states:
                continue
            s = self.steps_by_id[sid]
            if s.escalate and n not in handed:
                handed[n] = s.escalate
            if s.credit_hold and (hold_since is None or d > hold_since[0]):
                hold_since = (d, s)
        hold = bool(client and client.hold)
        reason = (client.hold_reason or "on hold") if hold else ""
        if not hold and hold_since is not None:
            lifted = any(hold_since[0] <= d <= on for d in eng.lifts.get(cid, ()))
            if not lifted:
                hold = True
                reason = f"{hold_since[1].title or hold_since[1].id} done on {hold_since[0].isoformat()}"
        grace = timedelta(days=lad.promise_grace_days)
        kept_on = eng.kept_on
        promises = []
        for p in eng.promises.get(cid, ()):
            if p.made > on:
                continue
            k = kept_on.get(p.id)
            if k is not None and k <= on and k <= p.by + grace:
                continue  # kept
            ps = self.promise_status(p)
            if ps.state in ("open", "broken"):
                promises.append(ps)
        promises = tuple(promises)
        plan = None
        for pl in eng.plans.get(cid, ()):
            ps = self.plan_status(pl)
            if ps is not None and ps.state == "active":
                plan = ps
        disputes = tuple(
            d for d in eng.disputes.get(cid, ())
            if d.opened <= on and (d.resolved is None or d.resolved > on)
        )
        balance = ZERO
        limit = client.credit_limit if client else None
        if client is not None:
            key = (cid, client.currency)
            t = self.totals.get(key)
            balance = (t[0] if t else ZERO) - self.credit.get(key, ZERO)
        over = limit is not None and balance > limit
        review = None
        if client is not None and client.credit_check is not None:
            due = client.credit_check.date + timedelta(days=lad.credit_review_days)
            if due <= on and not self._logged(cid, "credit_review", due, (), strict=True):
                review = due
        return ClientStatus(cid, hold, reason, handed, promises, plan, disputes, over, limit, balance, review)

    def _special_acts(self) -> dict[str, list[tuple[date, str, str]]]:
        """Per client, (date, step, invoice) of every done step that escalates or holds
        (date-independent; kept with the engine per set of such steps)."""
        if self._special is not None:
            return self._special
        key = tuple((s.id, s.escalate, s.credit_hold) for s in self.policy.steps if s.escalate or s.credit_hold)
        cache = self.eng.extra.setdefault("special_acts", {})
        got = cache.get(key)
        if got is None:
            per: dict[str, list[tuple[date, str, str]]] = defaultdict(list)
            for sid, _, _ in key:
                for d, client, nums in self.eng.by_step.get(sid, ()):
                    for n in nums:
                        per[client].append((d, sid, n))
            for v in per.values():
                v.sort()
            got = cache[key] = dict(per)
        self._special = got
        return got

    def _logged(self, cid: str, key: str, since: date, invoices: Iterable[str], strict: bool = False) -> bool:
        """Has an activity done the non-step action ``key`` (due since ``since``)? ``strict``:
        only an activity naming the key counts."""
        acts = self.eng.client_acts.get(cid)
        if not acts:
            return False
        dates = self.eng.client_act_dates[cid]
        on = self.on
        nums = None
        for k in range(bisect_left(dates, since), len(acts)):
            a = acts[k]
            if a.date > on:
                break
            if a.outcome in NOT_DONE:
                continue
            if a.step == key:
                return True
            if a.step is None and not strict:
                if not a.invoices:
                    return True
                if nums is None:
                    nums = set(invoices)
                if not nums or nums.intersection(a.invoices):
                    return True
        return False

    def promise_status(self, p: PromiseToPay) -> PromiseStatus:
        got = self._promises.get(p.id)
        if got is None or got.promise is not p:
            got = self._promises[p.id] = self._promise_status(p)
        return got

    def _promise_status(self, p: PromiseToPay) -> PromiseStatus:
        eng, on = self.eng, self.on
        deadline = p.by + timedelta(days=self.policy.ladder.promise_grace_days)
        cover = eng.promise_cover.get(p.id, p.invoices)
        kept_on = eng.kept_on[p.id] if p.id in eng.kept_on else eng.first_reaching(p.client, p.currency, p.made, p.amount)
        if kept_on is not None and kept_on <= min(on, deadline):
            paid = eng.paid_between(p.client, p.currency, p.made, min(on, deadline))
            return PromiseStatus(p, cover, paid, "kept", deadline, kept_on)
        paid = eng.paid_between(p.client, p.currency, p.made, min(on, deadline))
        # a later promise on any of the same invoices replaces this one
        later = False
        mine = set(cover)
        for q in reversed(eng.promises.get(p.client, ())):
            if q is p:
                break
            if q.made <= on and q.made >= p.made and mine.intersection(eng.promise_cover.get(q.id, q.invoices)):
                later = True
                break
        if later:
            return PromiseStatus(p, cover, paid, "superseded", deadline)
        if on <= deadline:
            return PromiseStatus(p, cover, paid, "open", deadline)
        since = deadline + _ONE
        if self._logged(p.client, f"promise:{p.id}", since, cover):
            return PromiseStatus(p, cover, paid, "followed-up", deadline)
        return PromiseStatus(p, cover, paid, "broken", deadline)

    def plan_status(self, pl: PaymentPlan) -> PlanStatus | None:
        eng, on = self.eng, self.on
        if pl.created > on:
            return None
        paid = eng.paid_between(pl.client, pl.currency, pl.created, on)
        if pl.cancelled is not None and pl.cancelled <= on:
            return PlanStatus(pl, paid, "cancelled", None)
        grace = timedelta(days=self.policy.ladder.plan_grace_days)
        cum = ZERO
        nxt = None
        for k, inst in enumerate(pl.installments):
            cum += inst.amount
            limit = inst.due + grace
            if limit < on and eng.paid_between(pl.client, pl.currency, pl.created, limit) < cum:
                return PlanStatus(pl, paid, "broken", k, limit + _ONE)
            if nxt is None and paid < cum:
                nxt = k
        if nxt is None:
            return PlanStatus(pl, paid, "completed", None)
        return PlanStatus(pl, paid, "active", nxt)

    # -- behaviour and risk ----------------------------------------------------------------

    def behaviour(self, cid: str) -> Behaviour:
        got = self._behaviour.get(cid)
        if got is None:
            got = self._behaviour[cid] = self._compute_behaviour(cid)
        return got

    def _compute_behaviour(self, cid: str) -> Behaviour:
        eng, on = self.eng, self.on
        year_ago = on - timedelta(days=365)
        keys = eng.history_keys.get(cid, ())
        today = on.toordinal()
        lo, hi = bisect_right(keys, today - 365), bisect_right(keys, today)
        n = hi - lo
        mid = bisect_right(keys, today - 91, lo, hi) if n else lo
        if n:
            pay, lat = eng.hist_pay[cid], eng.hist_late[cid]
            to_pay = pay[hi] - pay[lo]
            late = lat[hi] - lat[lo]
            e_late, e_n = lat[mid] - lat[lo], mid - lo
            r_late, r_n = lat[hi] - lat[mid], hi - mid
        else:
            to_pay = late = e_late = e_n = r_late = r_n = 0
        avg_pay = _avg(to_pay, n)
        avg_late = _avg(late, n)
        earlier = _avg(e_late, e_n)
        recent = _avg(r_late, r_n)
        # later and later: the last 91 days' settlements are at least a week (and half as much
        # again) later than the 9 months before, and 10+ days late; or a client who used to pay within a fortnight
        # now has an invoice overdue far beyond that (the payments have stopped)
        worsening = bool(
            e_n >= 3 and r_n >= 3 and recent is not None and earlier is not None
            and recent >= earlier + max(7, earlier / 2) and recent >= 10
        )
        if not worsening and earlier is not None and earlier <= 15 and e_n >= 3:
            limit = max(30, 2 * int(earlier) + 14)
            t = self.totals
            worsening = any(t[(cid, c)][3] > limit for c in self.client_currencies(cid))
        made = kept = broken = 0
        for p in eng.promises.get(cid, ()):
            if p.made > on or p.made <= year_ago:
                continue
            made += 1
            ps = self.promise_status(p)
            if ps.state == "kept":
                kept += 1
            elif ps.state in ("broken", "followed-up"):
                broken += 1
        return Behaviour(n, avg_pay, avg_late, worsening, recent, earlier, made, kept, broken)

    def risk(self, cid: str) -> Risk:
        got = self._risk.get(cid)
        if got is None:
            got = self._risk[cid] = self._compute_risk(cid)
        return got

    def _compute_risk(self, cid: str) -> Risk:
        st = self.status(cid)
        b = self.behaviour(cid)
        total = overdue = ZERO
        oldest = 0
        for cur in self.client_currencies(cid):
            t = self.totals[(cid, cur)]
            total += t[0]
            overdue += t[1]
            if t[3] > oldest:
                oldest = t[3]
        score = 0
        reasons: list[str] = []
        if total > 0 and overdue > 0:
            share = int((overdue * 30 / total).to_integral_value())
            if share:
                score += share
                reasons.append(f"{int((overdue * 100 / total).to_integral_value())}% of the balance is overdue")
        if oldest > 90:
            score += 25
            reasons.append(f"oldest invoice {oldest} days overdue")
        elif oldest > 60:
            score += 15
            reasons.append(f"oldest invoice {oldest} days overdue")
        elif oldest > 30:
            score += 8
            reasons.append(f"oldest invoice {oldest} days overdue")
        if b.avg_days_late is not None and b.avg_days_late > 15:
            score += 15 if b.avg_days_late > 30 else 8
            reasons.append(f"pays {b.avg_days_late} days late on average")
        if b.worsening:
            score += 15
            reasons.append(f"paying later and later ({b.earlier_days_late} → {b.recent_days_late} days late)")
        if b.promises_broken:
            score += min(20, 10 * b.promises_broken)
            reasons.append(f"{b.promises_broken} broken promise{'s' if b.promises_broken > 1 else ''} in 12 months")
        if st.over_credit_limit:
            score += 10
            reasons.append("over its credit limit")
        if st.handed_over:
            score += 20
            reasons.append(f"{len(st.handed_over)} invoice{'s' if len(st.handed_over) > 1 else ''} handed over")
        if st.hold:
            score += 10
            reasons.append(f"on hold ({st.hold_reason})")
        if st.disputes:
            score += 5
            reasons.append(f"{len(st.disputes)} open dispute{'s' if len(st.disputes) > 1 else ''}")
        return Risk(min(100, score), tuple(reasons))

    def client_currencies(self, cid: str) -> list[str]:
        """The currencies of the client's open invoices, in order of first appearance."""
        got = self._curs.get(cid)
        if got is None:
            got = []
            for st in self.by_client.get(cid, ()):
                c = st.invoice.currency
                if c not in got:
                    got.append(c)
            self._curs[cid] = got
        return list(got)

    # -- the ladder ----------------------------------------------------------------------

    def off_ladder_invoices(self, cid: str) -> set[str]:
        st = self.status(cid)
        out = set(st.handed_over)
        for ps in st.promises:
            out.update(ps.invoices)
        if st.plan is not None:
            out.update(st.plan.plan.invoices)
        return out

    def due_step(self, st: InvoiceState, overdue_total: Decimal, cal) -> tuple[Step, date] | None:
        """The due step of an invoice on the ladder, with the date it became due."""
        done = self.done_steps(st.number)
        last_idx = -1
        floor = None
        if done:
            idx = self._step_idx
            last = None
            for d, sid, _ in done:  # in date order
                i = idx.get(sid, -1)
                if i < 0:
                    continue  # not a step of this ladder
                last = d
                if i > last_idx:
                    last_idx = i
            if last is not None:
                floor = last + self._gap
        due = st.invoice.due
        on = self.on
        found = None
        ladder = self._ladder
        nbd = cal.next_business_day
        for i in range(last_idx + 1, len(ladder)):
            s, after, min_overdue, required = ladder[i]
            if min_overdue is not None and min_overdue > overdue_total:
                continue
            when = due + after
            if floor is not None and floor > when:
                when = floor
            when = nbd(when)
            if when > on:
                break
            found = (s, when)
            if required:
                break
        return found


def _avg(total: int, n: int) -> Decimal | None:
    """total / n to one decimal, rounded half-up (whole-number arithmetic; total >= 0)."""
    if n <= 0:
        return None
    q, r = divmod(total * 10, n)
    if 2 * r >= n:
        q += 1
    return Decimal(q).scaleb(-1)


def day(book_or_index: Book | BookIndex | Ledger, policy: Policy, on: date) -> _Day:
    """The shared state of a book on a date (cached with the index: the agenda and report of
    one date share it)."""
    index = _as_index(book_or_index)
    cache = index.cache
    last = cache.get("last_day")
    if last is not None and last.on == on and last.policy is policy:
        return last  # the common case: many questions about one day (no policy hashing)
    days = cache.get("days")
    if days is None:
        days = cache["days"] = {}
    try:
        key = (on, policy)  # equal policies share (the store reads a new Policy object each time)
        got = days.get(key)
    except TypeError:  # an unhashable policy-like object
        key = (on, id(policy))
        got = days.get(key)
        if got is not None and got.policy is not policy:
            got = None
    if got is None:
        if len(days) > 8:
            days.clear()
        got = days[key] = _Day(_engine_of(index), policy, on)
    cache["last_day"] = got
    return got


# ---------------------------------------------------------------------------------------
# the agenda


def build_agenda(book_or_index: Book | BookIndex | Ledger, policy: Policy, on: date) -> list[Action]:
    """Every action due on ``on``, most urgent first."""
    with quiet_gc():
        return _build_agenda(book_or_index, policy, on)


def _build_agenda(book_or_index, policy: Policy, on: date) -> list[Action]:
    dy = day(book_or_index, policy, on)
    if dy.agenda is None:
        dy.agenda = _agenda_of(dy)
    return list(dy.agenda)


def _agenda_of(dy: "_Day") -> list[Action]:
    actions: list[Action] = []
    clients = set(dy.by_client)
    eng = dy.eng
    clients.update(eng.promises)
    clients.update(eng.plans)
    clients.update(eng.disputes)
    clients.update(c.id for c in eng.book.clients.values() if c.credit_check is not None)
    for cid in clients:
        actions.extend(_client_actions(dy, cid))
    actions.sort(key=_sort_key)
    return actions


def _sort_key(a: Action):
    tier, weighted, days = a.priority
    return (-tier, -weighted, -days, a.client, a.currency, KINDS.index(a.kind), a.since, a.key)


def client_actions(book_or_index: Book | BookIndex | Ledger, policy: Policy, client_id: str, on: date) -> list[Action]:
    """The actions due for one client on ``on``, most urgent first."""
    dy = day(book_or_index, policy, on)
    out = _client_actions(dy, client_id)
    out.sort(key=_sort_key)
    return out


def invoices_for_step(book_or_index: Book | BookIndex | Ledger, policy: Policy, client_id: str,
                      step_id: str, on: date) -> tuple[str, ...]:
    """The invoices the client's action for ``step_id`` covers on ``on`` (empty if none is due):
    what ``dun note CLIENT --step S`` without ``--invoice`` marks as done."""
    out: list[str] = []
    for a in client_actions(book_or_index, policy, client_id, on):
        if a.kind == "step" and a.step == step_id:
            out.extend(a.invoices)
    return tuple(out)


def open_ledger(book_or_index: Book | BookIndex | Ledger, policy: Policy, on: date) -> Ledger:
    """A :class:`~receivables.ledger.Ledger` as of ``on`` holding only the invoices open on
    that date (what every action covers): positions, open invoices and credits are exact,
    without deriving the whole paid history."""
    index = _as_index(book_or_index)
    return Ledger(index, on, dict(day(index, policy, on).states))


def client_status(book_or_index: Book | BookIndex | Ledger, policy: Policy, client_id: str, on: date) -> ClientStatus:
    return day(book_or_index, policy, on).status(client_id)


def client_behaviour(book_or_index: Book | BookIndex | Ledger, policy: Policy, client_id: str, on: date) -> Behaviour:
    return day(book_or_index, policy, on).behaviour(client_id)


def client_risk(book_or_index: Book | BookIndex | Ledger, policy: Policy, client_id: str, on: date) -> Risk:
    return day(book_or_index, policy, on).risk(client_id)


def _hidden(dy: _Day, cid: str) -> list[tuple[str | None, date | None]]:
    """Snoozes and skips in force: (step or key or None for all, until)."""
    out = []
    on = dy.on
    for a in dy.eng.pauses.get(cid, ()):
        if a.date > on:
            break
        if a.outcome == "snoozed" and a.snooze_until is not None and a.snooze_until > on:
            out.append(a.step)
        elif a.outcome == "skipped" and a.date == on:
            out.append(a.step)
    return out


def _client_actions(dy: _Day, cid: str) -> list[Action]:
    eng, policy, on = dy.eng, dy.policy, dy.on
    client = eng.book.clients.get(cid)
    if client is None:
        return []
    status = dy.status(cid)
    open_ = dy.by_client.get(cid, ())
    states = dy.states
    out: list[Action] = []
    name = client.name

    def total(nums) -> tuple[Decimal, Decimal, int]:
        amt = over = ZERO
        days = 0
        for n in nums:
            st = states.get(n)
            if st is None:
                continue
            amt += st.outstanding
            if st.days_overdue > 0:
                over += st.outstanding
                days = max(days, st.days_overdue)
        return amt, over, days

    # ladder
    if open_ and policy.steps:
        tol = policy.ladder.tolerance
        off = dy.off_ladder_invoices(cid)
        cal = calendar_for(policy)
        groups: dict[tuple[str, str], list] = {}
        for st in open_:
            if st.disputed or st.outstanding < tol or st.number in off:
                continue
            cur = st.invoice.currency
            got = dy.due_step(st, dy.overdue.get((cid, cur), ZERO), cal)
            if got is None:
                continue
            s, when = got
            g = groups.get((cur, s.id))
            if g is None:
                groups[(cur, s.id)] = [s, when, [st.number]]
            else:
                g[2].append(st.number)
                if when < g[1]:
                    g[1] = when
        for (cur, sid), (s, when, nums) in groups.items():
            amt, over, days = total(nums)
            if s.escalate:
                reason = f"{len(nums)} invoice{'s' if len(nums) > 1 else ''} {days} days overdue: hand over to {'the agency' if s.escalate == 'agency' else 'legal'}"
            elif days:
                reason = f"{len(nums)} invoice{'s' if len(nums) > 1 else ''} up to {days} days overdue"
            else:
                first_due = min(states[n].invoice.due for n in nums)
                reason = f"{len(nums)} invoice{'s' if len(nums) > 1 else ''} due {first_due.isoformat()}"
            out.append(_action(dy, cid, name, "step", s.id, s.channel, nums, amt, over, days, cur, s.template,
                               s.title or s.id, reason, when, None, s.escalate, s.credit_hold, f"{s.id}",
                               tier=2 if s.escalate else 1))

    # broken promises
    for ps in status.promises:
        if ps.state != "broken":
            continue
        nums = tuple(n for n in ps.invoices if n in states)
        if not nums:
            continue
        p = ps.promise
        amt, over, days = total(nums)
        reason = (f"promised {to_text(p.amount, p.currency)} {p.currency} by {p.by.isoformat()}; "
                  f"{to_text(ps.paid, p.currency)} paid since {p.made.isoformat()}")
        out.append(_action(dy, cid, name, "promise", None, "phone", nums, amt, over, days, p.currency,
                           "broken_promise", "Broken promise", reason, ps.deadline + _ONE, p.id, None, False,
                           f"promise:{p.id}", tier=2))

    # the active plan's next installment
    if status.plan is not None and status.plan.next_index is not None:
        ps = status.plan
        pl = ps.plan
        k = ps.next_index
        inst = pl.installments[k]
        cum = sum((i.amount for i in pl.installments[: k + 1]), ZERO)
        short = cum - ps.paid
        nums = tuple(n for n in pl.invoices if n in states)
        if nums:
            amt, over, days = total(nums)
            cur = pl.currency
            label = (f"installment {k + 1} of {len(pl.installments)} ({to_text(inst.amount, cur)} {cur}) "
                     f"due {inst.due.isoformat()}")
            if on > inst.due:
                key = f"installment:{pl.id}:{k + 1}"
                since = inst.due + _ONE
                if not dy._logged(cid, key, since, nums):
                    out.append(_action(dy, cid, name, "installment", None, "phone", nums, amt, over, days,
                                       pl.currency, "installment_missed", "Missed installment",
                                       f"{label}; {to_text(short, cur)} {cur} still to pay", since, pl.id, None, False,
                                       key, tier=1, weight=short))
            elif on >= inst.due - timedelta(days=INSTALLMENT_REMINDER_DAYS):
                key = f"installment-reminder:{pl.id}:{k + 1}"
                since = inst.due - timedelta(days=INSTALLMENT_REMINDER_DAYS)
                if not dy._logged(cid, key, since, nums):
                    out.append(_action(dy, cid, name, "installment", None, "email", nums, amt, ZERO, 0,
                                       pl.currency, "installment_reminder", "Installment reminder",
                                       label, since, pl.id, None, False, key, tier=1))

    # disputes that need a review
    review = timedelta(days=policy.ladder.dispute_review_days)
    for d in status.disputes:
        if d.invoice not in states:
            continue
        last = eng.last_touch(cid, d.invoice, d.opened, on)
        since = last + review
        if since > on:
            continue
        amt, over, days = total((d.invoice,))
        cur = states[d.invoice].invoice.currency
        out.append(_action(dy, cid, name, "dispute", None, "email", (d.invoice,), amt, over, days, cur,
                           "dispute_review", "Review dispute",
                           f"disputed since {d.opened.isoformat()} with no follow-up for {(on - last).days} days: {_one_line(d.reason)}",
                           since, d.id, None, False, f"dispute:{d.id}", tier=1))

    # credit review
    if status.credit_review_due is not None:
        cc = client.credit_check
        out.append(_action(dy, cid, name, "credit_review", None, "other", (), ZERO, ZERO, 0, client.currency,
                           "credit_review", "Credit review",
                           f"credit check of {cc.date.isoformat()} ({cc.source or 'no source'}, rating {cc.rating or '-'}) is over {policy.ladder.credit_review_days} days old",
                           status.credit_review_due, None, None, False, "credit_review", tier=0))

    hidden = _hidden(dy, cid)
    if hidden:
        out = [a for a in out if not any(h is None or h == a.key or h == a.step for h in hidden)]
    return out


def _one_line(text: str, width: int = 80) -> str:
    line = " ".join((text or "").split())
    return line if len(line) <= width else line[: width - 1] + "…"


def _action(dy: _Day, cid, name, kind, step, channel, nums, amt, over, days, cur, template, title, reason,
            since, ref, escalate, credit_hold, key, tier: int, weight: Decimal | None = None) -> Action:
    risk = dy.risk(cid).score
    base = over if weight is None else weight
    weighted = (base * (HUNDRED + risk) / HUNDRED).quantize(Decimal("0.01"))
    return Action(
        client=cid, kind=kind, step=step, channel=channel, invoices=tuple(nums), amount=amt, currency=cur,
        template=template, title=title, reason=reason, since=since, ref=ref, escalate=escalate,
        credit_hold=credit_hold, priority=(tier, weighted, days), client_name=name, overdue=over,
        days_overdue=days, risk=risk, key=key,
    )


def activity_for(action: Action, on: date, *, channel: str | None = None, body: str = "",
                 outcome: str = "done", invoices: Iterable[str] | None = None, direction: str = "out") -> Activity:
    """The activity that records ``action`` as done on ``on`` (id left "" for the store)."""
    return Activity(
        id="", date=on, client=action.client, channel=channel or action.channel, direction=direction,
        step=action.step if action.kind == "step" else action.key,
        invoices=tuple(invoices) if invoices is not None else action.invoices,
        outcome=outcome, body=body,
    )


# ---------------------------------------------------------------------------------------
# message context


def message_context(action: Action, ledger: Ledger | Book | BookIndex, policy: Policy, on: date) -> dict:
    """What a message template needs about ``action`` (Decimal and date values; publishing
    formats them): client, invoices (number, issued, due, amount, outstanding,
    days_overdue, interest, compensation), totals, currency, step, promise / plan / dispute."""
    from .interest import claims_index, invoice_interest

    dy = day(ledger, policy, on)
    eng = dy.eng
    client = eng.book.clients[action.client]
    settlements = eng.settlements
    claims = claims_index(eng.book)  # interest already claimed on a charge document does not run again
    rows = []
    tot_amount = tot_out = tot_int = tot_comp = ZERO
    for n in action.invoices:
        st = dy.states.get(n)
        if st is None:
            continue
        r = invoice_interest(st, settlements.get(n, ()), policy.interest, on, claims.get(n))
        inv = st.invoice
        rows.append({
            "number": n, "issued": inv.issued, "due": inv.due, "reference": inv.reference,
            "amount": inv.amount, "outstanding": st.outstanding, "days_overdue": st.days_overdue,
            "interest": r.interest, "compensation": r.compensation, "rate": r.rate,
            "interest_from": r.start, "interest_to": r.end, "interest_note": r.problem,
        })
        tot_amount += inv.amount
        tot_out += st.outstanding
        tot_int += r.interest
        tot_comp += r.compensation
    step = dy.steps_by_id.get(action.step) if action.step else None
    ctx = {
        "client_id": client.id,
        "client_name": client.name,
        "currency": action.currency,
        "invoices": rows,
        "total_amount": tot_amount,
        "total_outstanding": tot_out,
        "total": tot_out,
        "interest_total": tot_int,
        "compensation_total": tot_comp,
        "total_with_charges": tot_out + tot_int + tot_comp,
        "step_title": (step.title if step else "") or action.title,
        "action_title": action.title,
        "reason": action.reason,
        "days_overdue": action.days_overdue,
        "hold": dy.status(client.id).hold,
    }
    if action.kind == "promise" and action.ref:
        p = next((p for p in eng.promises.get(client.id, ()) if p.id == action.ref), None)
        if p is not None:
            ps = dy.promise_status(p)
            ctx["promise"] = {"amount": p.amount, "by": p.by, "made": p.made, "currency": p.currency,
                              "paid": ps.paid, "shortfall": max(ZERO, p.amount - ps.paid), "state": ps.state}
    if action.kind == "installment" and action.ref:
        pl = next((p for p in eng.plans.get(client.id, ()) if p.id == action.ref), None)
        if pl is not None:
            ps = dy.plan_status(pl)
            k = ps.next_index if ps and ps.next_index is not None else 0
            cum = sum((i.amount for i in pl.installments[: k + 1]), ZERO)
            ctx["plan"] = {
                "installments": [{"due": i.due, "amount": i.amount} for i in pl.installments],
                "count": len(pl.installments), "total": pl.total, "paid": ps.paid if ps else ZERO,
                "number": k + 1, "installment": {"due": pl.installments[k].due, "amount": pl.installments[k].amount},
                "shortfall": max(ZERO, cum - (ps.paid if ps else ZERO)),
            }
    if action.kind == "dispute" and action.ref:
        d = next((d for d in eng.disputes.get(client.id, ()) if d.id == action.ref), None)
        if d is not None:
            ctx["dispute"] = {"invoice": d.invoice, "reason": d.reason, "opened": d.opened}
    return ctx
