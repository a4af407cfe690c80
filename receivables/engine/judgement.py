"""How a client pays and how risky it is, as of a date (the README states the rules)."""
from __future__ import annotations

from bisect import bisect_right
from datetime import timedelta
from decimal import Decimal

from .records import ZERO, Behaviour, Risk, make_behaviour, make_risk


class Judgement:
    """The behaviour and risk half of :class:`receivables.engine.day.Day`."""

    __slots__ = ()

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
        e_n, r_n = mid - lo, hi - mid
        avg_pay, avg_late, earlier, recent = eng.paid_averages(cid, lo, mid, hi)
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
        return make_behaviour(n, avg_pay, avg_late, worsening, recent, earlier, made, kept, broken)

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
            # the client's unallocated credit goes on the oldest first: the balance and what of it
            # is overdue are what is left (a client whose credit covers its overdue invoices has
            # none of its balance overdue)
            credit = self.credit.get((cid, cur), ZERO)
            total += max(t[0] - credit, ZERO)
            overdue += max(t[1] - credit, ZERO)
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
        return make_risk(min(100, score), tuple(reasons))


def averages(eng, cid: str, lo: int, mid: int, hi: int) -> tuple:
    """Average days to pay and days late of the client's settlements ``lo`` to ``hi`` (in
    settlement order), and days late of ``lo`` to ``mid`` and of ``mid`` to ``hi``."""
    if hi > lo:
        pay, lat = eng.hist_pay[cid], eng.hist_late[cid]
        return (_avg(pay[hi] - pay[lo], hi - lo), _avg(lat[hi] - lat[lo], hi - lo), _avg(lat[mid] - lat[lo], mid - lo),
                _avg(lat[hi] - lat[mid], hi - mid))
    return None, None, None, None


def _avg(total: int, n: int) -> Decimal | None:
    """total / n to one decimal, rounded half-up (whole-number arithmetic; total >= 0)."""
    if n <= 0:
        return None
    q, r = divmod(total * 10, n)
    if 2 * r >= n:
        q += 1
    return Decimal(q).scaleb(-1)
