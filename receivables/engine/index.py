"""One client's date-independent index: what the engine looks up about it on any day.

Built from the client's records alone (a :class:`~receivables.model.Book` holding one
client, see :func:`receivables.engine.book.group_by_client`); nothing in it refers to any
other client, so a client's index never needs to be updated in place: a change to the
client means a new index of its records.
"""
from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from datetime import date
from decimal import Decimal

from ..daylog import taken_back
from ..ledger import BookIndex
from ..model import ANSWERED, Activity, PaymentPlan, PromiseToPay
from .figures import Series, ar_on, current_ar_on, point_dates, sales_between
from .judgement import averages
from .records import HOLD_LIFTED, NOT_DONE, ZERO, in_date_order

_FOREVER = date.max


class ClientIndex:
    """The lookups of :class:`receivables.ledger.BookIndex` plus the engine's own, over one
    client's records (it holds no reference back to anything that holds it)."""

    __slots__ = (
        "settlements", "credits", "open_disputes", "book", "final", "live_keys", "live_numbers", "step_acts",
        "client_acts", "history", "history_keys", "promise_cover", "promises", "plans",
        "disputes", "pauses", "hist_pay", "hist_late", "client_act_dates", "rank", "lifts", "kept_on", "by_step",
        "toward", "_series", "act_days", "_kept",
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

        payments = in_date_order(book.payments)

        # activities, in date order (so every list below is in date order too)
        activities = in_date_order(book.activities)
        # every activity's date by channel, in date order (what the report counts)
        act_days: dict[str, list[date]] = {}
        for a in activities:
            got = act_days.get(a.channel)
            if got is None:
                act_days[a.channel] = [a.date]
            else:
                got.append(a.date)
        self.act_days = act_days
        self._kept: dict = {}  # what dates asked for that is the same on every date (see its users)
        corrected = taken_back(activities)
        client_acts: dict[str, list[Activity]] = defaultdict(list)
        pauses: dict[str, list[Activity]] = defaultdict(list)  # snoozes and skips
        lifts: dict[str, list[date]] = defaultdict(list)  # holds lifted
        by_step: dict[str, list[tuple[date, str, tuple]]] = defaultdict(list)  # step -> (date, client, invoices)
        step_acts: dict[str, list[tuple[date, str, str]]] = defaultdict(list)
        by_client_invoices = index.invoices_by_client
        if corrected:
            activities = [a for a in activities if a.id not in corrected]
        for a in activities:
            cid = a.client
            client_acts[cid].append(a)
            outcome = a.outcome
            if outcome == HOLD_LIFTED:
                lifts[cid].append(a.date)
            if outcome in NOT_DONE:
                pauses[cid].append(a)
                continue
            step = a.step
            if not step or ":" in step or outcome in ANSWERED:  # ("promise:P1" and the like are not
                continue  # ladder steps; nor is a step the client answered: see receivables.model.ANSWERED)
            nums = a.invoices
            if not nums:
                nums = tuple(
                    n for n in by_client_invoices.get(cid, ())
                    if invoices[n].issued <= a.date and (final[n] is None or final[n] > a.date)
                )
            entry = (a.date, step, a.id)
            for n in nums:
                step_acts[n].append(entry)
            by_step[step].append((a.date, cid, nums))
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
        plans: dict[str, list[PaymentPlan]] = defaultdict(list)
        for pl in book.plans:
            plans[pl.client].append(pl)
        self.plans = dict(plans)
        # what was paid toward each promise and plan (see _toward), and the day each promise
        # was kept (what was paid toward it reached its amount), if ever
        self.toward = {p.id: _toward(payments, p.currency, p.made, cover[p.id]) for p in book.promises}
        self.toward.update((pl.id, _toward(payments, pl.currency, pl.created, pl.invoices)) for pl in book.plans)
        self.kept_on = {p.id: _reaching(self.toward[p.id], p.amount) for p in book.promises}
        disputes: dict[str, list] = defaultdict(list)
        for d in book.disputes:
            disputes[d.client].append(d)
        self.disputes = dict(disputes)

    # -- queries -------------------------------------------------------------------------

    @property
    def series(self) -> Series:
        """The client's credit sales as step functions of the date, by currency (the report's
        share on any date reads them; made when first asked for, and kept). Their AR and
        current AR, read for a month's figures only, are let go of once those are kept
        (:meth:`month`): on a large book they would hold more than the rest of the index."""
        try:
            return self._series
        except AttributeError:
            got = self._series = Series(self.book.invoices, self.settlements)
            return got

    def month(self, on: date) -> dict[str, tuple]:
        """What the client's share of the report reads that is the same on every date of
        ``on``'s month, by currency of its invoices: its figures at each month-end before the
        month (see :meth:`points`), its AR before the month's CEI period (which starts on a
        month's first day) and its credit sales of each whole month before it. Kept; the AR
        and current AR series they are read from are let go of then (on a large book they
        would hold more than the rest of the index), and made again for another month."""
        month = on.replace(day=1)
        key = ("month", month)
        got = self._kept.get(key)
        if got is None:
            ser = self.series
            if ser.ar is None:
                ser = Series(self.book.invoices, self.settlements)
            dates = point_dates(on)
            got = self._kept[key] = {c: (*_month_points(self, ser, c, dates), _whole_months(ser, c, month))
                                     for c in ser.sales}
            self._series = ser.sales_only()
        return got

    def points(self, cur: str, on: date, aging: tuple[Decimal, ...]) -> tuple:
        """The client's figures in ``cur`` at each of the report's points
        (:func:`~receivables.engine.figures.point_dates` of ``on``): AR, current AR, credit
        sales of the 90 days, AR before the CEI period and credit sales since, on that point's
        dates. Those at the month-ends before ``on``'s month are the month's (:meth:`month`).
        On ``on`` itself, AR and current AR are what its open invoices owe in all and not yet
        due (``aging``, by BUCKETS), as the report shows them."""
        dates = point_dates(on)
        got = self.month(on).get(cur)
        months, begin = got[:2] if got else ((_NOTHING,) * (len(dates) - 1), ZERO)  # (no invoice in it: nothing)
        _, first90, start, _ = dates[-1]
        ser = self.series
        return months + ((sum(aging, ZERO), aging[0], sales_between(ser, cur, first90, on), begin,
                          sales_between(ser, cur, start, on)),)

    def months(self, cur: str, on: date) -> dict[date, Decimal]:
        """Credit sales in ``cur`` by month (its first day) up to ``on``: each month before
        ``on``'s whole (:meth:`month`), ``on``'s month to ``on``; a month is there if an
        invoice was issued in it by ``on``, whatever its sum."""
        got = self.month(on).get(cur)
        if got is None:
            return {}
        out = dict(got[2])
        this_month = on.replace(day=1)
        ser = self.series
        days = ser.sales[cur][0]
        if bisect_left(days, this_month) < bisect_right(days, on):
            out[this_month] = sales_between(ser, cur, this_month, on)
        return out

    def steps_done(self, step_ids: tuple[str, ...]) -> dict[str, list[tuple[date, str, str]]]:
        """Per invoice, (date, step, invoice) of every activity doing one of ``step_ids`` on
        it, in order (the same on every date: kept for each set of steps asked about)."""
        key = ("done", step_ids)
        got = self._kept.get(key)
        if got is None:
            per: dict[str, list[tuple[date, str, str]]] = defaultdict(list)
            for sid in step_ids:
                for d, _client, nums in self.by_step.get(sid, ()):
                    for n in nums:
                        per[n].append((d, sid, n))
            for v in per.values():
                v.sort()
            got = self._kept[key] = dict(per)
        return got

    def channels(self, cid: str) -> dict[str, str]:
        """The channel of each of the client's activities (but those taken back), by id (kept:
        a message's context asks on any date)."""
        key = ("channels", cid)
        got = self._kept.get(key)
        if got is None:
            got = self._kept[key] = {a.id: a.channel for a in self.client_acts.get(cid, ())}
        return got

    def paid_averages(self, cid: str, lo: int, mid: int, hi: int) -> tuple:
        """:func:`~receivables.engine.judgement.averages` of these settlements (kept: the
        next date mostly asks for the same)."""
        key = ("paid", cid, lo, mid, hi)
        got = self._kept.get(key)
        if got is None:
            got = self._kept[key] = averages(self, cid, lo, mid, hi)
        return got

    def activity_counts(self, first: date, after: date, on: date) -> tuple[dict[str, int], dict[str, int]]:
        """Every activity's count by channel (snoozes and corrections too) dated ``first`` to
        ``on``, and dated after ``after`` to ``on``."""
        since: dict[str, int] = {}
        recent: dict[str, int] = {}
        for channel, days in self.act_days.items():
            hi = bisect_right(days, on)
            n = hi - bisect_left(days, first)
            if n > 0:
                since[channel] = n
            n = hi - bisect_right(days, after)
            if n > 0:
                recent[channel] = n
        return since, recent

    def paid_toward(self, key: str, end: date) -> Decimal:
        """What was paid toward promise or plan ``key`` (its id) up to ``end`` (inclusive)."""
        dates, cum = self.toward[key]
        hi = bisect_right(dates, end)
        return cum[hi - 1] if hi else ZERO

    def done_between(self, client: str, first: date, last: date):
        """The client's activities dated ``first`` to ``last``, in date order, but the snoozed
        and skipped ones (they do nothing)."""
        acts = self.client_acts.get(client)
        if not acts or last < first:
            return
        for k in range(bisect_left(self.client_act_dates[client], first), len(acts)):
            a = acts[k]
            if a.date > last:
                return
            if a.outcome not in NOT_DONE:
                yield a

    def last_touch(self, client: str, number: str, start: date, on: date) -> date:
        """The date of the last counting activity on invoice ``number`` from ``start`` to ``on``
        (``start`` if none). A step activity without invoices covers the client's open ones."""
        last = start
        for a in self.done_between(client, start, on):
            if number in a.invoices or (not a.invoices and a.step):
                last = a.date
        return last


_NOTHING = (ZERO,) * 5  # a point's figures in a currency with no invoice


def _month_points(eng: ClientIndex, ser: Series, cur: str, dates) -> tuple:
    """The figures in ``cur`` at the month-ends of ``dates`` (:func:`point_dates`) but the
    last, and the AR before the last's CEI period."""
    months = tuple((ar_on(eng, ser, cur, d), current_ar_on(eng, ser, cur, d), sales_between(ser, cur, first90, d),
                    ar_on(eng, ser, cur, before), sales_between(ser, cur, start, d))
                   for d, first90, start, before in dates[:-1])
    return months, ar_on(eng, ser, cur, dates[-1][3])


def _whole_months(ser: Series, cur: str, month: date) -> dict[date, Decimal]:
    """Credit sales in ``cur`` of each month before ``month`` (with an invoice issued in it)."""
    starts, sums = ser.monthly[cur]
    k = bisect_left(starts, month)
    return dict(zip(starts[:k], sums[:k]))


def _toward(payments: list, currency: str, start: date, invoices: tuple[str, ...]) -> tuple[list[date], list[Decimal]]:
    """What counts toward a promise or a plan on ``invoices`` made on ``start``: each of the
    client's payments in ``currency`` dated from that day, by the part of it put on those
    invoices and the part left as client credit. A payment put on another of the client's
    invoices is not money toward these: before, a promise to pay INV-2 was kept by a payment
    of INV-1 while INV-2 stayed unpaid, and was off the ladder. ``payments``: in date order.
    The dates and the running totals, in date order."""
    mine = set(invoices)
    dates: list[date] = []
    cum: list[Decimal] = []
    run = ZERO
    for p in payments:
        if p.date < start or p.currency != currency:
            continue
        part = p.amount
        for a in p.allocations:
            if a.invoice not in mine:
                part -= a.amount
        if part > 0:
            run += part
            dates.append(p.date)
            cum.append(run)
    return dates, cum


def _reaching(toward: tuple[list[date], list[Decimal]], amount: Decimal) -> date | None:
    """The first date on which what was paid toward reaches ``amount``."""
    dates, cum = toward
    k = bisect_left(cum, amount)
    return dates[k] if k < len(dates) else None
