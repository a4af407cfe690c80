"""How long the collections engine takes for one date on a large book.

    python benchmarks/engine.py [--clients 2000] [--invoices 100000] [--runs 7] [--on 2026-11-20]

Builds the book in memory (``receivables.demo.generate`` when that module exists, else
the deterministic generator below), then times, for one date:

- cold: index the book + agenda + report (what a fresh process pays once);
- warm: agenda + report for another date of the same book (what a process pays when the
  date changes): a new date each run, so nothing of the date's own work is kept; what
  does not depend on the date (each client's records and index) is shared with the cold
  run's derivation.

Prints medians and the ratio to the 300 ms target.
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from receivables import agenda as agenda_mod  # noqa: E402
from receivables.agenda import build_agenda  # noqa: E402
from receivables.ledger import index_book  # noqa: E402
from receivables.model import (  # noqa: E402
    Activity, Allocation, Book, Client, CreditCheck, Dispute, Installment, Invoice, Payment, PaymentPlan,
    PromiseToPay,
)
from receivables.policy import read_policy  # noqa: E402
from receivables.report import build_report  # noqa: E402

TARGET_MS = 300.0
ROOT = Path(__file__).resolve().parent.parent


def synthetic_book(clients: int, invoices: int, seed: int, today: date) -> Book:
    """A deterministic book: ~3 years of invoices, most paid (some late, some partly),
    the recent ones open, ladder activities on overdue ones, promises, plans, disputes."""
    rnd = random.Random(seed)
    cl: dict[str, Client] = {}
    profile: dict[str, tuple[int, int]] = {}
    for k in range(clients):
        cid = f"C{k:05d}"
        terms = rnd.choice((14, 30, 30, 30, 45, 60))
        check = CreditCheck(today - timedelta(days=rnd.randint(0, 500)), "agency", rnd.choice("ABCD")) if k % 3 == 0 else None
        limit = Decimal(rnd.choice((5000, 10000, 20000, 50000))) if k % 4 == 0 else None
        cl[cid] = Client(cid, f"Client {k} Ltd", "GBP" if k % 10 else "EUR", terms, credit_limit=limit, credit_check=check)
        profile[cid] = (rnd.choice((0, 0, 2, 5, 10, 20, 40)), rnd.choice((2, 5, 10, 20)))
    ids = list(cl)
    start = today - timedelta(days=3 * 365)
    span = (today - start).days
    inv: dict[str, Invoice] = {}
    pays: list[Payment] = []
    acts: list[Activity] = []
    for k in range(invoices):
        cid = ids[rnd.randrange(clients)]
        c = cl[cid]
        issued = start + timedelta(days=int(span * (k / invoices)) + rnd.randint(0, 3))
        if issued > today:
            issued = today
        due = issued + timedelta(days=c.terms_days)
        amount = Decimal(rnd.randint(5000, 800000)).scaleb(-2)
        num = f"INV-{k:06d}"
        inv[num] = Invoice(num, cid, issued, due, c.currency, amount)
        late, spread = profile[cid]
        paid_on = due + timedelta(days=late + rnd.randint(-spread, spread))
        if paid_on < issued:
            paid_on = issued + timedelta(days=1)
        r = rnd.random()
        if paid_on <= today and r < 0.95:
            if r < 0.05:  # paid in two parts
                half = (amount / 2).quantize(Decimal("0.01"))
                mid = issued + (paid_on - issued) / 2
                pays.append(Payment(f"P{k}a", mid, cid, half, c.currency, allocations=(Allocation(num, half),)))
                pays.append(Payment(f"P{k}b", paid_on, cid, amount - half, c.currency,
                                    allocations=(Allocation(num, amount - half),)))
            else:
                pays.append(Payment(f"P{k}", paid_on, cid, amount, c.currency, allocations=(Allocation(num, amount),)))
        # ladder activity on invoices that ran late
        if paid_on > due + timedelta(days=1) and due + timedelta(days=1) <= today:
            acts.append(Activity(f"A{k}r", due + timedelta(days=1), cid, "email", step="reminder", invoices=(num,),
                                 outcome="sent"))
            if paid_on > due + timedelta(days=12) and due + timedelta(days=12) <= today:
                acts.append(Activity(f"A{k}c", due + timedelta(days=12), cid, "phone", step="call", invoices=(num,),
                                     outcome="reached"))
    promises, plans, disputes = [], [], []
    open_by_client: dict[str, list[str]] = {}
    for num, i in inv.items():
        if i.due < today - timedelta(days=20):
            open_by_client.setdefault(i.client, []).append(num)
    paid = {a.invoice for p in pays for a in p.allocations}
    for n, cid in enumerate(ids[:300]):
        opens = [x for x in open_by_client.get(cid, ()) if x not in paid]
        if not opens:
            continue
        if n % 3 == 0:
            promises.append(PromiseToPay(f"PTP{n}", cid, today - timedelta(days=rnd.randint(1, 30)), inv[opens[0]].amount,
                                         inv[opens[0]].currency, today + timedelta(days=rnd.randint(-10, 10)),
                                         (opens[0],)))
        elif n % 3 == 1:
            disputes.append(Dispute(f"D{n}", opens[0], cid, "goods damaged", today - timedelta(days=rnd.randint(1, 40))))
        elif n % 15 == 2:
            total = inv[opens[0]].amount
            part = (total / 3).quantize(Decimal("0.01"))
            created = today - timedelta(days=40)
            plans.append(PaymentPlan(f"PL{n}", cid, created, inv[opens[0]].currency, (opens[0],), (
                Installment(created + timedelta(days=14), part), Installment(created + timedelta(days=44), part),
                Installment(created + timedelta(days=74), total - 2 * part))))
    return Book(clients=cl, invoices=inv, payments=tuple(pays), activities=tuple(acts), promises=tuple(promises),
                plans=tuple(plans), disputes=tuple(disputes))


def make_book(clients: int, invoices: int, seed: int, today: date) -> tuple[Book, str]:
    try:
        from receivables.demo import generate  # another engineer's module, if it is there
    except ImportError:
        return synthetic_book(clients, invoices, seed, today), "benchmarks/engine.py synthetic"
    return generate(clients=clients, invoices=invoices, seed=seed, today=today), "receivables.demo.generate"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=2000)
    ap.add_argument("--invoices", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--on", type=date.fromisoformat, default=date(2026, 11, 20))
    ap.add_argument("--freeze", action="store_true", help="gc.freeze() the loaded book first (as a long-running app may)")
    ap.add_argument("--synthetic", action="store_true", help="use this script's generator even if receivables.demo exists")
    args = ap.parse_args(argv)
    policy = read_policy(ROOT / "policy.toml")
    t = time.perf_counter()
    if args.synthetic:
        book, source = synthetic_book(args.clients, args.invoices, args.seed, args.on), "synthetic"
    else:
        book, source = make_book(args.clients, args.invoices, args.seed, args.on)
    built = time.perf_counter() - t
    print(f"book: {len(book.clients)} clients, {len(book.invoices)} invoices, {len(book.payments)} payments, "
          f"{len(book.activities)} activities ({source}, built in {built:.1f} s)")
    build_agenda(book, policy, args.on - timedelta(days=400))  # warm the holiday calendar and imports

    cold, cold_cpu, warm, warm_cpu, ag_only, rep_only = [], [], [], [], [], []
    if args.freeze:
        import gc

        gc.collect()
        gc.freeze()  # the loaded book is long-lived: keep it out of every later full collection
    n_actions = 0
    for r in range(args.runs):
        c0 = time.process_time()
        t0 = time.perf_counter()
        with agenda_mod.quiet_gc():  # as cli/collect_cmds.py does
            # (a book object of its own each run: nothing kept from the runs before it)
            index = index_book(replace(book))
        t1 = time.perf_counter()
        acts = build_agenda(index, policy, args.on)
        t2 = time.perf_counter()
        build_report(index, policy, args.on)
        t3 = time.perf_counter()
        cold.append((t3 - t0) * 1000)
        cold_cpu.append((time.process_time() - c0) * 1000)
        n_actions = len(acts)
        # warm: same index, another date (nothing date-specific cached)
        on = args.on - timedelta(days=r + 1)
        c4 = time.process_time()
        t4 = time.perf_counter()
        build_agenda(index, policy, on)
        t5 = time.perf_counter()
        build_report(index, policy, on)
        t6 = time.perf_counter()
        warm_cpu.append((time.process_time() - c4) * 1000)
        warm.append((t6 - t4) * 1000)
        ag_only.append((t5 - t4) * 1000)
        rep_only.append((t6 - t5) * 1000)
        del index
    med = statistics.median
    print(f"agenda on {args.on}: {n_actions} actions")
    print(f"cold (index + engine index + agenda + report): median {med(cold):7.1f} ms   ratio to {TARGET_MS:.0f} ms: {med(cold) / TARGET_MS:.2f}   (CPU {med(cold_cpu):.1f} ms)")
    print(f"warm (agenda + report for a new date):         median {med(warm):7.1f} ms   ratio to {TARGET_MS:.0f} ms: {med(warm) / TARGET_MS:.2f}")
    print(f"   of which agenda {med(ag_only):.1f} ms, report {med(rep_only):.1f} ms; CPU time {med(warm_cpu):.1f} ms")
    try:
        load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
        print(f"(load average during the run: {load}; other work on the machine inflates wall times)")
    except OSError:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
