"""One client's state on one date: its open invoices, status, promises and plans, and the
ladder's facts about each invoice (the rules are in :mod:`receivables.agenda`)."""
from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from itertools import islice
from typing import Iterable

from ..ledger import DISPUTED, OPEN, InvoiceState, invoice_state, make_state
from ..model import PaymentPlan, PromiseToPay
from ..policy import Policy, Step
from .index import ClientIndex
from .judgement import Judgement
from .records import (BUCKETS, ZERO, Behaviour, ClientStatus, PlanStatus, PromiseStatus, Risk, bucket_index,
                      make_status)

_ONE = timedelta(days=1)


class LadderTables:
    """What a client's day looks up in the policy's ladder: the same for every client and date
    of one policy, so made once for it (:func:`ladder_tables`). Read only."""

    __slots__ = ("policy", "steps_by_id", "step_idx", "rungs", "gap", "special")

    def __init__(self, policy: Policy) -> None:
        steps = policy.steps
        self.policy = policy
        self.steps_by_id = {s.id: s for s in steps}
        self.step_idx = {s.id: i for i, s in enumerate(steps)}
        self.rungs = [(s, timedelta(days=s.after_due_days), s.min_overdue, s.required) for s in steps]
        self.gap = timedelta(days=policy.ladder.min_gap_days)
        self.special = tuple(s.id for s in steps if s.escalate or s.credit_hold)  # (in the ladder's order)


_TABLES: dict[int, LadderTables] = {}


def ladder_tables(policy: Policy) -> LadderTables:
    """The :class:`LadderTables` of ``policy`` (the last few policies' are kept, each with its
    policy: the same object, not merely an equal one)."""
    got = _TABLES.get(id(policy))
    if got is None or got.policy is not policy:
        if len(_TABLES) >= 8:
            _TABLES.clear()
        got = _TABLES[id(policy)] = LadderTables(policy)
    return got


class Day(Judgement):
    """One client's state on one date, worked out from its :class:`ClientIndex`: what its
    agenda, its statement and its share of the report are read from."""

    __slots__ = (
        "eng", "policy", "on", "states", "by_client", "overdue", "statuses", "steps_by_id", "totals", "aging", "credit",
        "_behaviour", "_risk", "_ladder", "_step_idx", "_gap", "_holds", "_promises", "_curs",
        "paid_late_rows",
    )

    def __init__(self, eng: ClientIndex, policy: Policy, on: date) -> None:
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
            if disputes and n in disputes:
                for d in disputes[n]:
                    if d.opened <= on and (d.resolved is None or d.resolved > on):
                        disputed = True
                        break
            ss = get_settlements(n)
            if (not ss or ss[0].date > on) and inv.amount > 0:  # nothing settled yet: the common case
                states[n] = make_state(inv, ZERO, ZERO, ZERO, inv.amount, DISPUTED if disputed else OPEN,
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
        # and per (client, currency): what is outstanding by BUCKETS
        aging: dict[tuple[str, str], list[Decimal]] = {}
        for st in states.values():
            inv = st.invoice
            key = (inv.client, inv.currency)
            t = totals.get(key)
            if t is None:
                t = totals[key] = [ZERO, ZERO, 0, 0]
                a = aging[key] = [ZERO] * len(BUCKETS)
            else:
                a = aging[key]
            days = st.days_overdue
            out = st.outstanding
            t[0] += out
            t[2] += 1
            if days > 0:
                t[1] += out
                if days > t[3]:
                    t[3] = days
            a[bucket_index(days)] += out
        for key, t in totals.items():
            overdue[key] = t[1]
        self.totals = totals
        self.overdue = overdue
        self.aging = aging
        credit: dict[tuple[str, str], Decimal] = {}
        for cid, items in eng.credits.items():
            for d, cur, amt in items:
                if d <= on:
                    credit[(cid, cur)] = credit.get((cid, cur), ZERO) + amt
        self.credit = credit
        tables = ladder_tables(policy)
        self.steps_by_id, self._step_idx, self._ladder = tables.steps_by_id, tables.step_idx, tables.rungs
        self._gap, self._holds = tables.gap, tables.special
        self.statuses: dict[str, ClientStatus] = {}
        self._behaviour: dict[str, Behaviour] = {}
        self._risk: dict[str, Risk] = {}
        self._promises: dict[str, PromiseStatus] = {}
        self._curs: dict[str, list[str]] = {}
        self.paid_late_rows: dict[str, tuple] = {}  # by currency (engine.context._paid_late)

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
            return make_status(cid, client.hold, (client.hold_reason or "on hold") if client.hold else "", {}, (),
                               None, (), limit is not None and balance > limit, limit, balance, None)
        lad = policy.ladder
        # hand-overs and holds from done steps
        handed: dict[str, str] = {}
        hold_since: tuple[date, Step] | None = None
        # escalations and holds done on its open invoices, by date (then step, invoice)
        done = self.eng.steps_done(self._holds)
        special = sorted(x for st in open_ for x in done.get(st.invoice.number, ()) if x[0] <= on) if done else ()
        for d, sid, n in special:
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
        return make_status(cid, hold, reason, handed, promises, plan, disputes, over, limit, balance, review)

    def _logged(self, cid: str, key: str, since: date, invoices: Iterable[str], strict: bool = False) -> bool:
        """Has an activity done the non-step action ``key`` (due since ``since``)? ``strict``:
        only an activity naming the key counts."""
        nums = None
        for a in self.eng.done_between(cid, since, self.on):
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
        kept_on = eng.kept_on[p.id]
        paid = eng.paid_toward(p.id, min(on, deadline))
        if kept_on is not None and kept_on <= min(on, deadline):
            return PromiseStatus(p, cover, paid, "kept", deadline, kept_on)
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
        paid = eng.paid_toward(pl.id, on)
        if pl.cancelled is not None and pl.cancelled <= on:
            return PlanStatus(pl, paid, "cancelled", None)
        grace = timedelta(days=self.policy.ladder.plan_grace_days)
        cum = ZERO
        nxt = None
        for k, inst in enumerate(pl.installments):
            cum += inst.amount
            limit = inst.due + grace
            if limit < on and eng.paid_toward(pl.id, limit) < cum:
                return PlanStatus(pl, paid, "broken", k, limit + _ONE)
            if nxt is None and paid < cum:
                nxt = k
        if nxt is None:
            return PlanStatus(pl, paid, "completed", None)
        return PlanStatus(pl, paid, "active", nxt)

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
        done = self.done_steps(st.invoice.number)
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
