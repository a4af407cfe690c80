"""A client's day: everything the faces show about one client on one date, worked out from
that client's records alone (:func:`derive_client`). The book's day is the fold of every
client's (:mod:`receivables.engine.book`)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from threading import Lock

from ..ledger import InvoiceState, index_book
from ..model import Book, record_maker
from ..policy import Policy
from .context import action_context
from .day import Day
from .figures import ForecastSums
from .index import ClientIndex
from .ladder import client_actions
from .records import (ACTIVITY_DAYS, BUCKETS, ZERO, Action, Behaviour, ClientFigures, ClientStatus, DisputeLine,
                      Escalation, Hold, PlanLine, Risk, make_figures)


@dataclass(frozen=True, slots=True)
class CurrencyPart:
    """One client's share of one currency's figures."""

    aging: tuple[Decimal, ...]  # outstanding by BUCKETS
    count: int  # open invoices
    credit: Decimal
    # at each of month_ends(on): AR, current AR, credit sales of the 90 days, AR at the start
    # of the CEI period, credit sales since (on the date itself, AR and current AR are what the
    # aging holds in all and in "current", as the report shows them: ClientIndex.points)
    points: tuple[tuple[Decimal, Decimal, Decimal, Decimal, Decimal], ...]
    months: dict  # first day of a month -> credit sales (the date's month: counted to the date)
    first_issue: date | None  # None: no invoice in this currency


@dataclass(frozen=True, slots=True)
class ForecastPart:
    """A client's expected receipts: by currency, 13 weekly sums, later, doubtful."""

    weeks: dict  # code -> tuple of 13 Decimals
    later: dict  # code -> Decimal
    doubtful: dict  # code -> Decimal


@dataclass(frozen=True, slots=True)
class ClientPart:
    """The client's share of the report of its date."""

    client: str
    currencies: dict  # code -> CurrencyPart
    rows: tuple  # ClientFigures, one per currency
    lists: tuple  # escalations, hold (or None), disputes, plan (or None)
    promises: tuple[int, int, int, int]  # made, kept, broken, open (made in the 365 days)
    activity: dict  # channel -> count over ACTIVITY_DAYS days ending on the date
    activity_year: dict  # channel -> count over the 365 days ending on the date
    open: bool  # has open invoices (its own lateness counts toward the book's average)
    late: Decimal | None  # average days late, from its history
    forecast: ForecastPart
    floating: tuple  # (currency, due day, outstanding): expected at the book's average lateness


@dataclass(frozen=True, slots=True)
class ClientDay:
    """One client on one date (plain frozen data: what the derived layer keeps)."""

    client: str
    on: date
    open: tuple[InvoiceState, ...]  # invoices open on the date, oldest due first
    status: ClientStatus
    behaviour: Behaviour
    risk: Risk
    actions: tuple[Action, ...]  # due on the date, most urgent first
    part: ClientPart
    contexts: tuple[dict, ...] = ()  # each action's message context (receivables.engine.context)

    def context_of(self, action: Action) -> dict | None:
        """The message context of ``action`` if it is one of this day's actions."""
        return _context_of(self.actions, self.contexts, action)


@dataclass(frozen=True, slots=True)
class ClientDue:
    """What is due from one client on one date, each action with its message context: the
    first part of its day (:func:`start_client`), all a day's queue needs."""

    client: str
    on: date
    actions: tuple[Action, ...]  # most urgent first
    contexts: tuple[dict, ...]

    def context_of(self, action: Action) -> dict | None:
        return _context_of(self.actions, self.contexts, action)


_ACTIVITY_SPAN, _YEAR = timedelta(days=ACTIVITY_DAYS - 1), timedelta(days=365)
# (made for every client on every date asked about: see receivables.engine.records)
_client_day, _client_due, _client_part_of = record_maker(ClientDay), record_maker(ClientDue), record_maker(ClientPart)
_currency_part, _forecast_part = record_maker(CurrencyPart), record_maker(ForecastPart)


def _context_of(actions, contexts, action) -> dict | None:
    for a, ctx in zip(actions, contexts):
        if a == action:
            return ctx
    return None


def client_index(records: Book) -> ClientIndex:
    """The date-independent lookups over one client's records (the same for every date and
    policy: :class:`~receivables.engine.book.Derivation` keeps them while it is asked about
    other dates of the same book)."""
    return ClientIndex(index_book(records))


def client_day_state(records: Book, policy: Policy, on: date, index: ClientIndex | None = None) -> Day:
    """The working state behind a client's day (for what is asked of one client only, e.g.
    a message's context); ``records`` hold that client alone, ``index`` (if given) is
    :func:`client_index` of them."""
    return Day(index if index is not None else client_index(records), policy, on)


def derive_client(records: Book, policy: Policy, on: date, client_id: str | None = None,
                  index: ClientIndex | None = None) -> ClientDay:
    """The day of the one client ``records`` hold (a :class:`Book` of that client's records;
    ``client_id`` names it when the records hold no client record; ``index``: as for
    :func:`client_day_state`)."""
    return finish_client(*start_client(records, policy, on, client_id, index))


def start_client(records: Book, policy: Policy, on: date, client_id: str | None = None,
                 index: ClientIndex | None = None) -> tuple[Day, ClientDue]:
    """The first part of :func:`derive_client`: the client's working state on the date and
    what is due from it; :func:`finish_client` makes the rest of its day from them."""
    client_id = _client_id(records, client_id)
    dy = client_day_state(records, policy, on, index)
    actions = tuple(client_actions(dy, client_id))
    return dy, _client_due(client_id, on, actions, _contexts(dy, actions, policy, on))


def begin_client(records: Book, policy: Policy, on: date, client_id: str | None = None,
                 index: ClientIndex | None = None) -> "PendingDue":
    """What is due from the client on the date, its message contexts worked out when first
    asked for (:class:`PendingDue`)."""
    client_id = _client_id(records, client_id)
    dy = client_day_state(records, policy, on, index)
    return PendingDue(client_id, on, tuple(client_actions(dy, client_id)), dy, policy)


def _client_id(records: Book, client_id: str | None) -> str:
    if client_id is None:
        if len(records.clients) != 1:
            raise ValueError("derive_client needs the records of exactly one client")
        client_id = next(iter(records.clients))
    return client_id


def _contexts(dy: Day, actions: tuple[Action, ...], policy: Policy, on: date) -> tuple[dict, ...]:
    return tuple(action_context(dy, a, policy, on) for a in actions) if actions else ()


class PendingDue:
    """A client's actions on a date, each message context worked out the first time it is
    asked for (a queue can be shown before them; its drafts ask for one or two). Two threads
    may ask (the app draws a draft while its worker finishes the day): one works them out,
    under the lock, and both get the same."""

    __slots__ = ("client", "on", "actions", "day_state", "policy", "_contexts", "_lock")

    def __init__(self, client: str, on: date, actions: tuple[Action, ...], dy: Day, policy: Policy) -> None:
        self.client, self.on, self.actions, self.day_state, self.policy = client, on, actions, dy, policy
        self._contexts: tuple[dict, ...] | None = None
        self._lock = Lock()

    @property
    def contexts(self) -> tuple[dict, ...]:
        with self._lock:
            if self._contexts is None:
                self._contexts = _contexts(self.day_state, self.actions, self.policy, self.on)
            return self._contexts

    def context_of(self, action: Action) -> dict | None:
        return _context_of(self.actions, self.contexts, action) if action in self.actions else None

    def due(self) -> ClientDue:
        return _client_due(self.client, self.on, self.actions, self.contexts)


def finish_client(dy: Day, due: ClientDue) -> ClientDay:
    """The client's day from what :func:`start_client` made of it."""
    cid = due.client
    return _client_day(cid, due.on, tuple(dy.by_client.get(cid, ())), dy.status(cid), dy.behaviour(cid),
                       dy.risk(cid), due.actions, _client_part(dy, cid), due.contexts)


def _client_part(dy: Day, cid: str) -> ClientPart:
    eng, on = dy.eng, dy.on
    ser = eng.series  # (its sales: the same on every date, kept by the index)
    open_ = dy.by_client.get(cid, ())
    aging = {cur: a for (c, cur), a in dy.aging.items() if c == cid}
    counts = {cur: t[2] for (c, cur), t in dy.totals.items() if c == cid}
    credit = {cur: amt for (c, cur), amt in dy.credit.items() if c == cid}
    currencies = {}
    for cur in sorted(set(aging) | set(ser.sales) | set(credit)):
        by_bucket = tuple(aging.get(cur) or [ZERO] * len(BUCKETS))
        currencies[cur] = _currency_part(by_bucket, counts.get(cur, 0), credit.get(cur, ZERO),
                                         eng.points(cur, on, by_bucket), eng.months(cur, on), ser.first_issue.get(cur))
    promises = [0, 0, 0, 0]
    _count_promises(dy, eng.promises.get(cid, ()), promises)
    # (the activity counts: the ACTIVITY_DAYS days ending on the date; fewer than 365 days before it)
    month, year = eng.activity_counts(on - _ACTIVITY_SPAN, on - _YEAR, on)
    acc = ForecastSums(on, [])
    floating: list = []
    is_open = cid in dy.by_client
    if is_open:
        _client_forecast(dy, cid, open_, acc, None, floating)
    forecast = _forecast_part({c: tuple(w) for c, w in acc.weeks.items()}, dict(acc.later), dict(acc.doubtful))
    return _client_part_of(cid, currencies, tuple(_client_rows(dy, cid)), _client_lists(dy, cid), tuple(promises),
                      month, year, is_open, dy.behaviour(cid).avg_days_late, forecast, tuple(floating))


def _client_rows(dy, cid: str) -> list[ClientFigures]:
    """The client's positions, one per currency it owes or holds credit in (its own currency
    always): a payment in euros from a client billed in pounds is its credit, shown."""
    client = dy.eng.book.clients[cid]
    states = dy.states
    totals = dy.totals
    credits = dy.credit
    zero_t = (ZERO, ZERO, 0, 0)
    curs = dy.client_currencies(cid)
    if client.currency not in curs:
        curs.append(client.currency)
    for _, cur, _ in dy.eng.credits.get(cid, ()):
        if cur not in curs and credits.get((cid, cur)):
            curs.append(cur)
    st = dy.status(cid)
    b = dy.behaviour(cid)
    r: Risk = dy.risk(cid)
    out = []
    for cur in sorted(curs):
        amt, over, count, oldest = totals.get((cid, cur), zero_t)
        own = cur == client.currency
        out.append(make_figures(
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


def _client_forecast(dy, cid: str, open_, acc: ForecastSums, book_late: int | None,
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
