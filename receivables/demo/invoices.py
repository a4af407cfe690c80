"""Demo invoices over the last ~18 months (some itemised, UK VAT on GBP ones), and when
each gets paid from its client's behaviour."""
from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from ..model import Client, InvoiceLine
from .records import CENT, DAY, HISTORY_DAYS, ZERO, Inv, Profile, money, pct, weekday

def make_invoices(rng: random.Random, clients: dict[str, Client], profiles: dict[str, Profile],
                   n: int, today: date) -> list[Inv]:
    ids = list(clients)
    # a few big accounts, many small ones (Pareto-ish weights)
    # a few big accounts, many small ones; no client gets more than ~6% of the invoices
    weights = [min(rng.paretovariate(1.6), 8.0) * (3 if profiles[c].size == "large" else 1) for c in ids]
    mean_w = sum(weights) / len(weights)
    for k, c in enumerate(ids):  # the drifting client needs a steady flow of invoices to show it
        if profiles[c].kind == "drifting":
            weights[k] = max(weights[k], 2.5 * mean_w)
    counts = [0] * len(ids)
    if n >= len(ids):
        counts = [1] * len(ids)
        rest = n - len(ids)
    else:
        rest = n
    for idx in rng.choices(range(len(ids)), weights=weights, k=rest):
        counts[idx] += 1
    drafts: list[tuple] = []
    for cid, k in zip(ids, counts):
        c, p = clients[cid], profiles[cid]
        span = max(1, (today - p.start).days)
        po = rng.random() < 0.3
        for _ in range(k):
            issued = weekday(p.start + timedelta(days=rng.randint(0, span)))
            if issued > today:
                issued = today - timedelta(days=rng.randint(0, 3))
            drafts.append((issued, cid, rng.random(), po))
    drafts.sort(key=lambda t: (t[0], t[1], t[2]))
    invs: list[Inv] = []
    for seq, (issued, cid, _, po) in enumerate(drafts, start=1):
        c, p = clients[cid], profiles[cid]
        lo, hi = {"small": (100, 1500), "medium": (600, 6000), "large": (2000, 15000)}[p.size]
        vat = c.currency == "GBP"
        if rng.random() < 0.35:  # itemised invoice
            lines = []
            for _ in range(rng.randint(1, 4)):
                if rng.random() < 0.5:
                    qty = Decimal(rng.randint(1, 16) * 5).scaleb(-1)  # hours: 0.5 .. 8.0
                    unit = Decimal(rng.choice((45, 60, 75, 85, 95, 120, 150)))
                else:  # goods: the line comes to roughly a quarter of a typical invoice
                    qty = Decimal(rng.randint(1, 12))
                    unit = money(rng.randint(lo, hi) * 25 // int(qty))
                line_amt = (qty * unit).quantize(CENT, rounding=ROUND_HALF_UP)
                lines.append(InvoiceLine(_line_text(rng, qty), qty, unit.quantize(CENT), line_amt))
            net = sum((ln.amount for ln in lines), ZERO)
            line_tuple = tuple(lines)
        else:
            net = money(rng.randint(lo, hi) * 100 + rng.choice((0, 0, 0, 50, rng.randint(1, 99))))
            line_tuple = ()
        tax = pct(net, 20) if vat else ZERO
        if net + tax > 50000:  # the largest invoices stay under 50k
            net = money(rng.randint(30000, 41000) * 100)
            line_tuple = ()
            tax = pct(net, 20) if vat else ZERO
        invs.append(Inv(
            number=f"INV-{seq:06d}", client=cid, issued=issued, due=issued + timedelta(days=c.terms_days),
            amount=net + tax, currency=c.currency, tax=tax, lines=line_tuple,
            reference=f"PO-{rng.randint(10000, 99999)}" if po else "",
        ))
    return invs


_ITEMS = ("Consultancy", "Site visit", "Design work", "Installation", "Maintenance visit", "Materials",
          "Delivery", "Training session", "Support hours", "Printing", "Call-out fee", "Project management")


def _line_text(rng: random.Random, qty: Decimal) -> str:
    return rng.choice(_ITEMS) + (" (hours)" if qty != qty.to_integral_value() else "")


def decide_fates(rng: random.Random, invs: list[Inv], profiles: dict[str, Profile], today: date) -> None:
    """When each invoice gets paid (None: not yet), from its client's behaviour."""
    for inv in invs:
        p = profiles[inv.client]
        mean = p.mean
        if p.kind == "drifting":  # on time a year and a half ago, ~45 days late now
            t = max(0.0, min(1.0, (inv.issued - p.start).days / HISTORY_DAYS))
            mean = 45.0 * t ** 1.5
        late = rng.gauss(mean, p.spread)
        if p.kind == "late" and rng.random() < 0.08:
            late += rng.uniform(60, 300)  # the occasional very bad one
        pay = weekday(inv.due + timedelta(days=round(late)))
        if pay <= inv.issued:
            pay = weekday(inv.issued + DAY)
        inv.pay = pay if pay <= today else None
