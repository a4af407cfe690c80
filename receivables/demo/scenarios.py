"""Demo events beyond plain payment: payment plans, disputes and promises (a few guaranteed,
more in proportion to the book), then the payments, part payments, credit notes and
write-offs that follow from each invoice's fate."""
from __future__ import annotations

import bisect
import random
from collections import defaultdict
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from ..model import Client, Installment
from ..policy import LadderSettings
from .records import CENT, DAY, ZERO, Inv, Out, Profile, money, pct, weekday

def _choose(rng: random.Random, pool: list[Inv], taken: set[str]) -> Inv | None:
    pool = [i for i in pool if i.number not in taken]
    if not pool:
        return None
    inv = rng.choice(pool)
    taken.add(inv.number)
    return inv


def play_scenarios(rng: random.Random, by_client: dict[str, list[Inv]], profiles: dict[str, Profile],
               clients: dict[str, Client], today: date, ladder: LadderSettings, out: Out) -> None:
    """Disputes, promises, a payment plan: a few guaranteed, more in proportion to the book."""
    taken: set[str] = set()
    all_invs = sorted((i for lst in by_client.values() for i in lst), key=lambda i: i.due)
    due_keys = [i.due for i in all_invs]

    def window(lo: date, hi: date) -> list[Inv]:  # invoices due in [lo, hi]
        return all_invs[bisect.bisect_left(due_keys, lo): bisect.bisect_right(due_keys, hi)]

    scale = max(1, len(clients) // 40)
    late_clients = [c for c in by_client if profiles[c].kind in ("late", "slow")] or list(by_client)
    rough = today - timedelta(days=55)
    plan_cands = [c for c in late_clients
                  if sum(1 for i in by_client[c] if i.due < rough - timedelta(days=20) and (i.pay is None or i.pay > rough)) >= 2]
    rng.shuffle(plan_cands)

    # A payment plan (one per 40 clients): a late client with old unpaid invoices.
    for k in range(scale):
        created = today - timedelta(days=50 + rng.randint(0, 10))
        if not plan_cands:
            break
        cid = plan_cands.pop()
        plan_invs = [i for i in by_client[cid] if i.due < created and (i.pay is None or i.pay > created)
                     and i.number not in taken]
        plan_invs.sort(key=lambda i: (i.due, i.number))
        plan_invs = plan_invs[: rng.randint(2, 4)]
        if not plan_invs:
            continue
        for i in plan_invs:
            taken.add(i.number)
            i.special = "plan"
            i.pay = None
            i.pauses.append((created, None))
        total = sum((i.amount for i in plan_invs), ZERO)
        n = 4
        base = (total / n).quantize(CENT, rounding=ROUND_HALF_UP)
        amounts = [base] * (n - 1) + [total - base * (n - 1)]
        dues = [weekday(created + timedelta(days=15 + 30 * j)) for j in range(n)]
        out.plans.append((created, cid, clients[cid].currency, tuple(i.number for i in plan_invs),
                          tuple(Installment(d, a) for d, a in zip(dues, amounts))))
        out.activity(created, cid, channel="phone", step=None, invoices=tuple(i.number for i in plan_invs),
                     outcome="reached", body=f"Agreed a payment plan: {n} monthly installments of about {base} {clients[cid].currency}.")
        queue = list(plan_invs)
        for d, amt in zip(dues, amounts):
            if d > today - timedelta(days=1):
                break
            allocs, rest = [], amt
            for i in queue:
                owed = i.outstanding(d)
                if owed <= 0:
                    continue
                take = min(owed, rest)
                allocs.append((i, take))
                rest -= take
                if rest <= 0:
                    break
            out.pay(allocs, d, cid, clients[cid].currency, method="standing order", reference="Plan installment")
            for i, _ in allocs:
                if i.outstanding(d) <= 0:
                    i.settled = d

    # Disputes: one stale (needs a review), one fresh, one resolved with a credit note; more in big books.
    reasons = ("Goods arrived damaged", "Hours billed do not match the timesheet", "Price differs from the quote",
               "Work not finished to specification", "Invoice sent to the wrong department", "Duplicate of an earlier invoice?")
    plans_of = {pl[1] for pl in out.plans}

    def dispute_pool(opened: date) -> list[Inv]:
        return [i for i in window(opened - timedelta(days=40), opened - timedelta(days=2))
                if i.client not in plans_of and not i.special
                and (i.pay is None or i.pay > opened) and profiles[i.client].kind != "prompt"]

    for k in range(scale):
        for kind, opened in (("stale", today - timedelta(days=rng.randint(20, 32))),
                             ("fresh", today - timedelta(days=rng.randint(3, 8))),
                             ("resolved", today - timedelta(days=rng.randint(70, 200)))):
            inv = _choose(rng, dispute_pool(opened), taken)
            if inv is None:
                continue
            reason = rng.choice(reasons)
            inv.special = "dispute"
            out.activity(opened, inv.client, channel="email", direction="in", invoices=(inv.number,), outcome="disputed",
                         body=f"Client disputes {inv.number}: {reason}.")
            if kind == "resolved":
                resolved = opened + timedelta(days=rng.randint(8, 30))
                credit = pct(inv.amount, rng.choice((10, 15, 20, 25)))
                out.adjust(inv, resolved, "credit_note", credit, f"Agreed reduction after dispute: {reason.lower()}")
                out.disputes.append((opened, inv.number, inv.client, reason, resolved,
                                     f"Credit note of {credit} {inv.currency} agreed; balance to be paid"))
                out.activity(resolved, inv.client, channel="phone", invoices=(inv.number,), outcome="reached",
                             body=f"Dispute settled: credit note of {credit} {inv.currency}, the rest will be paid this week.")
                inv.pauses.append((opened, resolved + timedelta(days=7)))
                inv.pay = weekday(resolved + timedelta(days=rng.randint(2, 7)))
                if inv.pay > today:
                    inv.pay = None
                inv.special = "resolved"
            else:
                out.disputes.append((opened, inv.number, inv.client, reason, None, ""))
                inv.pauses.append((opened, None))
                inv.pay = None

    # Promises: a recent broken one (an action today), one still to come, and a kept one.
    grace = timedelta(days=ladder.promise_grace_days)
    for k in range(scale):
        made = today - timedelta(days=rng.randint(9, 12))
        by = today - timedelta(days=rng.randint(4, 5))
        pool = [i for i in window(made - timedelta(days=60), made - timedelta(days=12))
                if not i.special and i.pay is None and i.client not in plans_of]
        inv = _choose(rng, pool, taken)
        if inv is not None:
            inv.special = "promise"
            _promise(out, inv, made, by, grace, clients, kept=False)
            # the client has paid nothing since: that is what makes the promise broken
            profiles[inv.client].stop = made
            for other in by_client[inv.client]:
                if other.pay is not None and other.pay >= made and other.special != "plan":
                    other.pay = None
        made = today - timedelta(days=rng.randint(3, 6))
        by = today + timedelta(days=rng.randint(2, 6))
        pool = [i for i in window(made - timedelta(days=30), made - timedelta(days=5))
                if not i.special and i.pay is None and i.client not in plans_of]
        inv = _choose(rng, pool, taken)
        if inv is not None:
            inv.special = "promise"
            _promise(out, inv, made, by, grace, clients, kept=None)
        pool = [i for i in window(today - timedelta(days=120), today - timedelta(days=32))
                if not i.special and i.pay is not None
                and i.pay - i.due >= timedelta(days=12) and i.pay <= today - timedelta(days=20)]
        inv = _choose(rng, pool, taken)
        if inv is not None:
            made = inv.pay - timedelta(days=rng.randint(4, 8))
            by = inv.pay + timedelta(days=rng.randint(0, 2))
            _promise(out, inv, made, by, grace, clients, kept=True)


def _promise(out: Out, inv: Inv, made: date, by: date, grace: timedelta, clients: dict[str, Client],
             kept: bool | None) -> None:
    c = clients[inv.client]
    who = c.contacts[0].name.split()[0] if c.contacts and c.contacts[0].name else "them"
    out.activity(made, inv.client, channel="phone", invoices=(inv.number,), outcome="reached",
                 body=f"Spoke to {who}: promised to pay {inv.number} in full by {by.isoformat()}.")
    out.promises.append((made, inv.client, inv.outstanding(made), inv.currency, by, (inv.number,)))
    inv.pauses.append((made, by + grace + DAY))


def settle(rng: random.Random, by_client: dict[str, list[Inv]], profiles: dict[str, Profile],
            clients: dict[str, Client], today: date, out: Out) -> None:
    """Payments, partial payments, bank charges, credit notes and write-offs from the fates."""
    credit_given = 0
    for cid, invs in by_client.items():
        p, c = profiles[cid], clients[cid]
        run: dict[date, list[tuple[Inv, Decimal]]] = defaultdict(list)
        for inv in invs:
            if inv.special == "plan":
                continue
            # a credit note now and then (returned goods, pricing error)
            if not inv.special and rng.random() < 0.012 and inv.issued + timedelta(days=20) <= today:
                d = weekday(inv.issued + timedelta(days=rng.randint(3, 20)))
                if inv.pay is not None and d >= inv.pay:
                    d = max(inv.issued, inv.pay - DAY)
                credit = min(pct(inv.amount, rng.choice((5, 10, 20, 50))), inv.outstanding(date.max))
                reason = rng.choice(("Returned goods", "Pricing error", "Goodwill: late delivery"))
                if credit > 0:
                    out.adjust(inv, d, "credit_note", credit, reason)
            # a bad debt: very late and long past the agency step
            if inv.pay is None and not inv.special and p.kind == "late" and (today - inv.due).days > 240 and rng.random() < 0.5:
                d = weekday(inv.due + timedelta(days=rng.randint(200, 230)))
                left = min(inv.outstanding(d), inv.outstanding(date.max))
                if left > 0:
                    out.adjust(inv, d, "write_off", left, "Bad debt: the agency could not recover it")
                inv.settled = d
                continue
            # a partial payment first
            if not inv.special and rng.random() < p.partial:
                first = weekday(inv.due + timedelta(days=rng.randint(0, 20)))
                last = inv.pay or today
                if first < last and first <= today and (p.stop is None or first < p.stop):
                    # of what is owed then, and never more than is left after every credit
                    # (a credit note dated after this payment counts too: no invoice is settled twice)
                    owed = min(inv.outstanding(first), inv.outstanding(date.max))
                    part = pct(owed, rng.choice((25, 30, 40, 50, 60)))
                    if part > 0:
                        out.pay([(inv, part)], first, cid, inv.currency, reference=f"Part payment {inv.number}")
            if inv.pay is None:
                continue
            rest = inv.outstanding(date.max)  # every credit, whatever its date
            if rest <= 0:
                inv.settled = inv.pay
                continue
            if inv.currency != "GBP" and rng.random() < 0.06 and rest > money(450):  # the bank took its charges
                fee = money(rng.randint(150, 450))
                out.pay([(inv, rest - fee)], inv.pay, cid, inv.currency, reference=inv.number)
                wo = weekday(inv.pay + timedelta(days=rng.randint(1, 4)))
                if wo <= today:
                    out.adjust(inv, wo, "write_off", fee, "Bank charges deducted by the client's bank")
                    inv.settled = wo
                continue
            if p.batch and not inv.special:
                friday = inv.pay + timedelta(days=(4 - inv.pay.weekday()) % 7)
                if friday <= today:
                    run[friday].append((inv, rest))
                    inv.settled = friday
                    continue
            extra = ZERO
            if credit_given < max(1, len(clients) // 40) and rest > 100 and rng.random() < 0.05:
                extra = money(rng.randint(500, 5000))  # paid a round sum: the rest is their credit
                credit_given += 1
            out.pay([(inv, rest)], inv.pay, cid, inv.currency, extra=extra,
                    reference=inv.reference or inv.number)
            inv.settled = inv.pay
        for d, items in sorted(run.items()):
            out.pay(items, d, cid, c.currency, reference=f"Remittance {d.strftime('%d%m%y')}")
